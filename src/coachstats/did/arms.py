"""Several programs rolled out in a staggered way: Callaway & Sant'Anna per arm against the
never-treated teams, and contrasts between arms with multiplicity control.

Each arm's ATT is :func:`coachstats.did.staggered` (simple aggregation) fitted to the teams of
that arm and the never-treated teams. A contrast between two arms is the difference of their
ATTs with standard error ``sqrt(se_a^2 + se_b^2)``: the two estimates share the never-treated
comparison group and are positively correlated, so this standard error is conservative (too
large, never too small). p-values of the contrasts are adjusted by Holm, Benjamini-Hochberg
or Bonferroni (statsmodels ``multipletests``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from scipy import stats

from .._multiplicity import adjust_p_values, check_adjust
from .._progress import Progress, ProgressLike, progress_bar
from .._rng import RNGLike, spawn
from .._validate import check_ci_level, prepare
from ..results import Result, term_intervals, tidy_frame
from .staggered import staggered

__all__ = ["StaggeredArmsResult", "staggered_arms"]



@dataclass(frozen=True)
class StaggeredArmsResult(Result):
    """ATT of each arm (``arm=<name>``) and contrasts between arms (``<a> vs <b>``).

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table: one row per arm and per contrast.
    outcome : str
        Outcome column.
    adjust : str
        Adjustment of the contrasts' p-values (``"holm"``, ``"bh"``, ``"bonferroni"`` or
        ``"none"``).
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.arms_rollout(rng=2)
    >>> res = cs.did.staggered_arms(sim.data, "engagement", "team", "period", "cohort", "arm")
    >>> res.adjust
    'holm'
    """

    table: pd.DataFrame = field(repr=False)
    outcome: str = "outcome"
    adjust: str = "holm"
    n_dropped: int = 0

    @property
    def title(self) -> str:
        return f"Staggered difference-in-differences of {self.outcome} by program arm"

    @property
    def notes(self) -> list[str]:
        return ["Each arm: Callaway & Sant'Anna (2021) simple ATT against the never-treated "
                "units only.",
                "Contrasts: difference of ATTs with a conservative SE (the shared comparison "
                f"group's positive covariance ignored); normal intervals; p_adjusted: "
                f"{self.adjust}."] + ([f"{self.n_dropped} row(s) with missing values were "
                                       "dropped."] if self.n_dropped else [])

    def assumptions(self) -> list[str]:
        return ["Parallel trends between each arm and the never-treated units; no "
                "anticipation; arms assigned without regard to the teams' trends."]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Each arm's ATT and each contrast with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = term_intervals(self.table, ax, xlabel=f"effect on {self.outcome}")
        ax.set_title(self.title, fontsize=10)
        return ax


def staggered_arms(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    treatment: str,
    *,
    never_treated: Any = 0,
    adjust: str = "holm",
    cluster: str | None = None,
    n_boot: int = 0,
    ci_level: float = 0.95,
    dropna: bool = False,
    rng: RNGLike = None,
    progress: ProgressLike = False,
) -> StaggeredArmsResult:
    """Staggered DiD for each program arm against never-treated units, and arm contrasts.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period; never modified.
    outcome, unit, time, cohort : str
        As in :func:`coachstats.did.staggered`.
    treatment : str
        Arm of each unit (constant within unit); ignored for never-treated units.
    never_treated : scalar
        Cohort value of never-treated units (default 0).
    adjust : {"holm", "bh", "bonferroni", "none"}
        Adjustment of the contrasts' p-values.
    cluster : str, optional
        Passed to :func:`coachstats.did.staggered`.
    n_boot : int
        Bootstrap draws per arm (0: analytic standard errors).
    ci_level : float
    dropna : bool
    rng : int, Generator or None
    progress : bool or Progress
        Show a bar over the arms (and each arm's bootstrap when ``n_boot > 0``); ``None``
        shows it only on a terminal. The numbers do not depend on it.

    Returns
    -------
    StaggeredArmsResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.arms_rollout(rng=2)
    >>> res = cs.did.staggered_arms(sim.data, "engagement", "team", "period", "cohort", "arm")
    >>> res.to_frame()["term"].tolist()
    ['arm=coaching', 'arm=mentoring', 'coaching vs mentoring']
    """
    ci_level = check_ci_level(ci_level)
    adjust = check_adjust(adjust)
    frame, miss = prepare(data, {"outcome": outcome, "unit": unit, "time": time,
                                 "cohort": cohort, "treatment": treatment, "cluster": cluster},
                          dropna=dropna)
    varying = frame.groupby(unit)[treatment].nunique()
    if (varying > 1).any():
        bad = varying.index[varying > 1].tolist()[:5]
        raise ValueError(f"column {treatment!r} (argument treatment=) changes within unit(s) "
                         f"{bad}; each unit belongs to one arm.")
    never = frame[cohort] == never_treated
    if not never.any():
        raise ValueError(f"no never-treated units ({cohort!r} == {never_treated!r}); each arm "
                         "is compared with them.")
    arms = sorted(frame.loc[~never, treatment].unique().tolist(), key=str)
    if not arms:
        raise ValueError("no treated units.")
    rngs = spawn(rng, len(arms))
    rows = []
    with Progress.of(progress) as display, \
            progress_bar(display, "arms", len(arms)) as advance:
        for a, r in zip(arms, rngs, strict=True):
            sub = frame.loc[never | (frame[treatment] == a)]
            res = staggered(sub, outcome, unit, time, cohort, never_treated=never_treated,
                            cluster=cluster, n_boot=n_boot, ci_level=ci_level, rng=r,
                            progress=display)
            rows.append({"term": f"arm={a}", "estimate": res.att, "std_error": res.std_error,
                         "ci_low": res.ci_low, "ci_high": res.ci_high, "ci_level": ci_level,
                         "n_units": int(
                             sub.loc[~(sub[cohort] == never_treated), unit].nunique()),
                         "arm": a})
            advance()
    z = float(stats.norm.ppf(0.5 + ci_level / 2))
    by = {row["arm"]: row for row in rows}
    contrasts = []
    for a, b in itertools.combinations(arms, 2):
        d = by[a]["estimate"] - by[b]["estimate"]
        se = math.sqrt(by[a]["std_error"] ** 2 + by[b]["std_error"] ** 2)
        contrasts.append({"term": f"{a} vs {b}", "estimate": d, "std_error": se,
                          "ci_low": d - z * se, "ci_high": d + z * se, "ci_level": ci_level,
                          "p_value": float(2 * stats.norm.sf(abs(d / se)))})
    if contrasts:
        padj, _ = adjust_p_values([c["p_value"] for c in contrasts], adjust)
        for c, v in zip(contrasts, padj, strict=True):
            c["p_adjusted"] = float(v)
    return StaggeredArmsResult(table=tidy_frame(rows + contrasts), outcome=outcome,
                               adjust=adjust.lower(), n_dropped=miss.n_dropped)
