"""Subgroup analysis: per-subgroup pooled effects and the between-subgroups Q test."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import check_choice
from ..results import Result, tidy_frame
from . import _core
from ._data import MEASURE_INFO

if TYPE_CHECKING:
    from .correlations import MetaResult

__all__ = ["SubgroupResult", "subgroups"]


@dataclass(frozen=True)
class SubgroupResult(Result):
    """Pooled effect per level of a categorical moderator and the test of their difference.

    ``table`` has one row per subgroup (``term`` = level; ``k``, estimate and CI on the
    analysis scale, ``tau2`` and ``i2``). ``q_between`` on ``df`` degrees of freedom tests
    whether the subgroup means differ.

    Parameters
    ----------
    moderator : str
        The categorical moderator defining the subgroups.
    tau2_kind : str
        ``"separate"`` or ``"common"``.
    table : DataFrame
        One row per subgroup (the ``to_frame()`` table).
    q_between : float
        Between-subgroups Q statistic.
    df : float
        Its degrees of freedom.
    p_value : float
        Its p-value.
    test_kind : str
        ``"Q"`` (chi-square) or ``"F"`` (after a Knapp-Hartung fit with a common tau^2).
    ci_level : float
        Confidence level.
    measure : str
        Effect-size measure.
    model : MetaResult
        The model with the moderator.
    fits : dict of str to MetaResult
        The model fitted within each subgroup (``tau2_kind="separate"``).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=30, effects_per_study=1, rng=2)
    >>> res = cs.meta.effects(sim.data, "yi", "vi", measure="SMD", moderators="design")
    >>> res.subgroups().moderator
    'design'
    """

    moderator: str
    tau2_kind: str
    table: pd.DataFrame
    q_between: float
    df: float
    p_value: float
    test_kind: str
    ci_level: float
    measure: str
    model: MetaResult = field(repr=False, compare=False)
    fits: dict[str, MetaResult] = field(repr=False, compare=False, default_factory=dict)

    @property
    def title(self) -> str:
        return (f"Subgroups by {self.moderator} ({self.tau2_kind} tau^2; "
                f"k = {int(self.table['k'].sum())})")  # fmt: skip

    @property
    def notes(self) -> list[str]:
        if self.tau2_kind == "separate":
            how = ("each subgroup has its own tau^2 (a random-effects model per subgroup); "
                   "the subgroup means are compared with a fixed-effect Wald test "
                   "(Borenstein et al. 2009, ch. 19)")  # fmt: skip
        else:
            how = ("one tau^2 shared by all subgroups (a meta-regression on the subgroup "
                   "dummies); the test is its QM")  # fmt: skip
        stat = "F" if self.test_kind == "F" else "Q"
        out = [
            f"Between-subgroups test: {stat} = {self.q_between:.3f} on {self.df:g} df, "
            f"p = {self.p_value:.3g}; {how}.",
            f"Analysis scale: {MEASURE_INFO[self.measure][1]}.",
        ]
        small = self.table.loc[self.table["k"] < 3, "term"].tolist()
        if small:
            out.append(f"Subgroups with fewer than 3 studies ({small}): their tau^2 is not "
                       "identified.")  # fmt: skip
        return out

    def to_frame(self) -> pd.DataFrame:
        test = {"term": f"q_between ({self.moderator})", "statistic": self.q_between,
                "df": self.df, "p_value": self.p_value}  # fmt: skip
        return tidy_frame([*self.table.to_dict("records"), test])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot grouped by subgroup with subtotals (separate tau^2 per subgroup).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :func:`coachstats.plotting.forest.forest_plot`: ``scale``, ``columns``,
            ``max_studies``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        return self.model.plot(ax=ax, subgroup=self.moderator, **kwargs)


def _levels(res: MetaResult) -> tuple[str, np.ndarray, list[str]]:
    sd = res.data
    if len(sd.moderators) != 1 or sd.frame is None:
        raise ValueError(
            "subgroups() needs a model with exactly one categorical moderator, e.g. "
            "cs.meta.smd(..., moderators='design'); this model has "
            f"{list(sd.moderators) or 'none'}."
        )
    mod = sd.moderators[0]
    col = sd.frame[mod]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        raise ValueError(
            f"moderator {mod!r} is numeric: a subgroup analysis compares categories. Convert "
            f"it (data[{mod!r}].astype(str)) or use the meta-regression as it is."
        )
    values = col.astype(str).to_numpy()
    return mod, values, sorted(pd.unique(values))


def subgroups(res: MetaResult, tau2: str = "separate") -> SubgroupResult:
    """Per-subgroup estimates and the between-subgroups test (see
    :meth:`MetaResult.subgroups`).

    Parameters
    ----------
    res : MetaResult
        A model with one categorical moderator (the subgroups).
    tau2 : {"separate", "common"}, default "separate"
        ``"separate"`` fits a random-effects model in each subgroup and compares the means
        with a fixed-effect Wald test; ``"common"`` uses the model's single residual tau^2.

    Returns
    -------
    SubgroupResult
        Per-subgroup estimates and the between-subgroups Q test.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=30, effects_per_study=1, rng=2)
    >>> res = cs.meta.effects(sim.data, "yi", "vi", measure="SMD", moderators="design")
    >>> sg = res.subgroups()
    >>> sorted(sg.table["term"])
    ['controlled', 'pre-post']
    """

    tau2 = check_choice(tau2, "tau2", ("separate", "common"))
    mod, values, levels = _levels(res)
    sd = res.data
    rows = []
    fits: dict[str, MetaResult] = {}
    lvl = res.ci_level
    if tau2 == "separate":
        for g in levels:
            keep = values == g
            sub = replace(
                sd, yi=sd.yi[keep], vi=sd.vi[keep], ri=sd.ri[keep], ni=sd.ni[keep],
                X=np.ones((int(keep.sum()), 1)), terms=("intercept",),
                given_labels=tuple(np.asarray(sd.labels, dtype=object)[keep]),
                frame=sd.frame.loc[keep], moderators=(),
                row_notes=None if sd.row_notes is None
                else tuple(np.asarray(sd.row_notes, dtype=object)[keep]),
            )  # fmt: skip
            if keep.sum() == 1:
                f = res._refit(sub, "FE", "z", lvl)
            else:
                f = res._refit(sub, res.method, res.test, lvl)
            fits[g] = f
            rows.append({"term": g, "estimate": f.estimate, "std_error": f.std_error,
                         "ci_low": f.ci_low, "ci_high": f.ci_high, "ci_level": lvl,
                         "k": f.k, "tau2": f.tau2, "i2": f.i2, "pi_low": f.pi_low,
                         "pi_high": f.pi_high, "p_value": f.p_value})  # fmt: skip
        est = np.array([r["estimate"] for r in rows])
        w = 1 / np.array([r["std_error"] for r in rows]) ** 2
        mean = np.sum(w * est) / np.sum(w)
        q = float(np.sum(w * (est - mean) ** 2))
        df = float(len(levels) - 1)
        p = float(stats.chi2.sf(q, df))
        kind = "Q"
    else:
        X = np.column_stack([(values == g).astype(float) for g in levels])
        f = _core.fit(sd.yi, sd.vi, X, method=res.method, test=res.test)
        se = np.sqrt(np.diag(f.vb[0]))
        crit = float(_core.crit_value(res.test, lvl, f.ddf[0]))
        for i, g in enumerate(levels):
            b = float(f.beta[0][i])
            rows.append({"term": g, "estimate": b, "std_error": float(se[i]),
                         "ci_low": b - crit * se[i], "ci_high": b + crit * se[i],
                         "ci_level": lvl, "k": int((values == g).sum()),
                         "tau2": float(f.tau2[0]), "i2": np.nan})  # fmt: skip
        q, p = res.qm, res.qm_p_value
        df = float(res.qm_df[0])
        kind = "F" if res.test == "knha" else "Q"
    table = tidy_frame(rows)
    return SubgroupResult(
        moderator=mod, tau2_kind=tau2, table=table, q_between=q, df=df, p_value=p,
        test_kind=kind, ci_level=lvl, measure=res.measure, model=res, fits=fits,
    )  # fmt: skip
