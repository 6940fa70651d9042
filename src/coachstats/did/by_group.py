"""Conditional ATT by subgroup: :func:`staggered` in each group of a unit-level column, with
a Wald test that the groups' effects are equal.

Each group (e.g. the tier of the coached manager) is a separate Callaway & Sant'Anna fit on
its own units, controls included, so the groups' overall ATTs are independent when no
cluster spans two groups (checked). The test of equality is the Wald statistic of the
``k - 1`` differences from the first group,
``W = (C theta)' (C V C')^-1 (C theta)`` with ``V = diag(se^2)``, which equals the
inverse-variance heterogeneity statistic ``sum w_g (theta_g - theta_w)^2`` and is referred
to chi-square with ``k - 1`` degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validate as V
from .._rng import RNGLike, as_generator
from .._validate import check_ci_level
from ..results import Caution, Result, new_axes, tidy_frame
from .staggered import StaggeredResult, staggered

__all__ = ["ByGroupResult", "staggered_by"]


@dataclass(frozen=True)
class ByGroupResult(Result):
    """Each group's overall ATT and the Wald test that they are equal.

    Parameters
    ----------
    table : DataFrame
        One row per group (``term = att[group]``), then the equality test (the
        ``to_frame()`` table).
    by : str
        Unit-level column defining the groups.
    statistic : float
        Wald chi-square statistic of the test that the groups' ATTs are equal.
    df : int
        Degrees of freedom of the test (groups - 1).
    p_value : float
        P-value of the test.
    ci_level : float
        Confidence level.
    fits : dict of str to StaggeredResult
        Each group's :func:`staggered` fit, keyed by the group label.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=60, rng=1)
    >>> d = sim.data.groupby(["team", "quarter", "coached_from"], as_index=False)[
    ...     "engagement"].mean()
    >>> d["half"] = d["team"] % 2
    >>> res = cs.did.staggered_by(d, "engagement", "team", "quarter", "coached_from",
    ...                           by="half", rng=1)
    >>> res.by, sorted(res.fits)
    ('half', ['0', '1'])
    """

    table: pd.DataFrame = field(compare=False)
    by: str
    statistic: float
    df: int
    p_value: float
    ci_level: float
    fits: dict[str, StaggeredResult] = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self) -> str:
        return f"Staggered DiD: ATT by {self.by}"

    @property
    def notes(self) -> list[str]:
        return [
            f"Each row is did.staggered on the units of one {self.by} group (its own "
            f"controls); {100 * self.ci_level:g}% confidence intervals.",
            f"Test that the groups' ATTs are equal: Wald chi-square({self.df}) = "
            f"{self.statistic:.3f}, p = {self.p_value:.4f} (groups independent: no cluster "
            "spans two groups).",
        ]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out: list[Caution] = []
        for g, r in self.fits.items():
            for c in r.cautions:
                out.append(Caution(c.code, f"{self.by} = {g}: {c.message}", c.value,
                                   severity=c.severity))
        return tuple(out)

    def assumptions(self) -> list[str]:
        return ["Parallel trends hold within each group (against that group's controls).",
                "Groups are independent: no unit or cluster belongs to two groups."]

    def to_frame(self) -> pd.DataFrame:
        """One row per group (``term = att[group]``), then the equality test."""
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Each group's ATT with its confidence interval.

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
        ax = new_axes(ax)
        t = self.table.loc[self.table["group"].notna()]
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["estimate"], y, xerr=[t["estimate"] - t["ci_low"],
                                            t["ci_high"] - t["estimate"]],
                    fmt="o", capsize=3, label=f"ATT, {100 * self.ci_level:g}% CI")
        ax.axvline(0, color="k", lw=1)
        ax.set_yticks(y, [str(g) for g in t["group"]])
        ax.set_xlabel("ATT")
        ax.set_title(f"ATT by {self.by}: equality p = {self.p_value:.3f}")
        ax.legend(fontsize=8)
        return ax


def staggered_by(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    by: str,
    cluster: str | None = None,
    ci_level: float = 0.95,
    min_group_size: int = 5,
    rng: RNGLike = None,
    **kwargs: Any,
) -> ByGroupResult:
    """Conditional ATT by subgroup of a unit-level column, with a Wald test of equality.

    Parameters
    ----------
    data, outcome, unit, time, cohort : as in :func:`staggered`
    by : str
        Unit-level column (constant within each unit) defining the groups.
    cluster : str, optional
        As in :func:`staggered`; a cluster may not span two groups.
    ci_level : float
    min_group_size : int
        Groups with fewer distinct units are refused (default 5, at least 3).
    rng : int, Generator or None
    **kwargs
        Passed to :func:`staggered` (``control``, ``method``, ``covariates``, ...).

    Returns
    -------
    ByGroupResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=60, rng=1)
    >>> d = sim.data.groupby(["team", "quarter", "coached_from"], as_index=False)[
    ...     "engagement"].mean()
    >>> d["half"] = d["team"] % 2
    >>> res = cs.did.staggered_by(d, "engagement", "team", "quarter", "coached_from",
    ...                           by="half", rng=1)
    >>> res.df
    1
    """
    from ..privacy import check_min_group_size

    ci_level = check_ci_level(ci_level)
    min_group_size = check_min_group_size(min_group_size)
    df = V.check_dataframe(data)
    V.require_columns(df, {"by": by, "unit": unit, **({"cluster": cluster} if cluster else {})})
    if df[by].isna().any():
        rows = df.index[df[by].isna()]
        raise ValueError(f"Column {by!r} (argument by=) has {len(rows)} missing value(s) "
                         f"(rows {V._rows(rows)}); give every unit a group.")
    varying = df.groupby(unit)[by].nunique()
    if (varying > 1).any():
        bad = list(varying.index[varying > 1][:5])
        raise ValueError(f"Column {by!r} (argument by=) changes within unit(s) {bad}; by= must "
                         "be a unit-level column (constant within each unit).")
    if cluster is not None:
        span = df.groupby(cluster)[by].nunique()
        if (span > 1).any():
            bad = list(span.index[span > 1][:5])
            raise ValueError(
                f"Cluster(s) {bad} of column {cluster!r} span several {by!r} groups, so the "
                "groups' estimates are not independent and the Wald test would be wrong. "
                "Group by a column constant within clusters.")
    sizes = df.groupby(by)[unit].nunique()
    small = {str(k): int(v) for k, v in sizes.items() if v < min_group_size}
    if small:
        raise ValueError(f"Column {by!r}: group(s) {small} have fewer than min_group_size="
                         f"{min_group_size} units; merge or leave them out.")
    if len(sizes) < 2:
        raise ValueError(f"Column {by!r} (argument by=) has one group; at least two needed.")
    g = as_generator(rng)
    fits: dict[str, StaggeredResult] = {}
    for lab in sizes.index:
        fits[str(lab)] = staggered(df.loc[df[by] == lab], outcome, unit, time, cohort,
                                   cluster=cluster, ci_level=ci_level, rng=g, **kwargs)
    theta = np.array([r.att for r in fits.values()])
    se = np.array([r.std_error for r in fits.values()])
    k = theta.size
    C = np.hstack([-np.ones((k - 1, 1)), np.eye(k - 1)])
    d = C @ theta
    W = float(d @ np.linalg.solve(C @ np.diag(se**2) @ C.T, d))
    p = float(stats.chi2.sf(W, k - 1))
    rows = [{"term": f"att[{lab}]", "estimate": r.att, "std_error": r.std_error,
             "ci_low": r.ci_low, "ci_high": r.ci_high, "ci_level": ci_level, "group": lab,
             "n_units": int(r.n_units)} for lab, r in fits.items()]
    rows.append({"term": "wald_equal", "estimate": W, "statistic": W, "df": k - 1,
                 "p_value": p})
    return ByGroupResult(table=tidy_frame(rows), by=str(by), statistic=W, df=k - 1,
                         p_value=p, ci_level=ci_level, fits=fits)
