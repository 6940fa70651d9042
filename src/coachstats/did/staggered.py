"""Staggered difference-in-differences (Callaway & Sant'Anna 2021).

For every treated cohort ``g`` (first treated period) and period ``t`` the group-time effect
``ATT(g, t)`` compares the change in the outcome of cohort ``g`` between a base period and
``t`` with the same change among controls: never-treated units, or units not yet treated by
``max(t, base) + anticipation``. Post-treatment cells (``t >= g``) use the base period
``g - 1 - anticipation``; pre-treatment cells use ``t - 1`` ("varying", the R ``did``
default) or the same base as the post cells ("universal"). With covariates each cell is the
outcome-regression, IPW or doubly robust two-period estimator of Sant'Anna & Zhao (2020),
with covariates taken at the base period.

Inference uses influence functions: every estimate (cells and aggregations, including the
estimation of the aggregation weights) is linear in the columns of one matrix ``Z`` (cell
influence functions and cohort indicators), so analytic standard errors come from
``Z'Z / n^2`` (summed within clusters when ``cluster`` is given) and the multiplier bootstrap
(Mammen weights, one per cluster) draws ``Z`` once; aggregations then cost nothing. Uniform
bands use the bootstrap ``1 - alpha`` quantile of the largest studentised deviation, with
the bootstrap SE taken from the interquartile range, as in R ``did``.

With few clusters per cohort (``small_sample="webb"``) the bootstrap is a wild cluster
bootstrap-t: Webb six-point weights, and every draw divided by its own standard error,
computed from the bootstrap sample's influence functions (re-centred within cohorts, as
re-estimating the cohort means would) with the same per-cohort CR1 scaling as the analytic
SE. Intervals are ``estimate +- q * SE`` with ``q`` the bootstrap quantile of ``|t*|``
(uniform bands: of ``max |t*|``), so the heavier tails of a t statistic with few clusters
come from the bootstrap itself, not from a t distribution put on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validate as v
from .._cells import is_out_of_core
from .._progress import ProgressLike, progress_bar
from .._rng import RNGLike, as_generator
from ..privacy import DEFAULT_MIN_GROUP_SIZE
from ..results import Caution, Result, new_axes, tidy_frame
from ._cautions import few_clusters_caution, pretrend_caution
from ._cells import cell_panel, with_row_counts
from ._drdid import ESTIMATORS
from ._joiners import joiner_note, split_joiners
from ._panel import Panel, build_panel
from ._privacy import check_cohort_sizes

__all__ = ["AggregateResult", "PretrendTest", "StaggeredResult", "staggered"]

_KINDS = ("simple", "group", "dynamic", "calendar")


# ---------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PretrendTest(Result):
    """Wald test that every pre-treatment ``ATT(g, t)`` is zero.

    Parameters
    ----------
    statistic : float
        Wald statistic.
    df : int
        Its degrees of freedom (rank of the pre-treatment covariance).
    p_value : float
        Chi-square p-value.
    n_cells : int
        Pre-treatment group-time cells tested.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=40, rng=1)
    >>> res = cs.did.staggered(sim.data, "engagement", "team", "quarter", "coached_from",
    ...                        aggregate=True, n_boot=0)
    >>> 0 <= res.pretrend_test().p_value <= 1
    True
    """

    statistic: float
    df: int
    p_value: float
    n_cells: int

    @property
    def title(self) -> str:
        return "Pre-trend test (joint Wald, pre-treatment ATT(g,t) = 0)"

    @property
    def notes(self) -> list[str]:
        return ["Chi-square test with the analytic influence-function covariance. A large "
                "p-value does not show parallel trends hold; the test has little power with "
                "few pre-periods (Roth 2022)."]

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame([{"term": "pretrend_wald", "statistic": self.statistic,
                            "df": self.df, "p_value": self.p_value}])


@dataclass(frozen=True)
class AggregateResult(Result):
    """An aggregation of group-time effects (``simple``, ``group``, ``dynamic``,
    ``calendar``).

    ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` describe the overall effect; the
    table (``to_frame()``) adds one row per cohort, event time or period. For ``dynamic``,
    ``group`` and ``calendar`` the rows' ``ci_low``/``ci_high`` are the uniform
    (simultaneous) band when a bootstrap was run (``band`` says which).

    Parameters
    ----------
    kind : str
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    estimate, std_error, ci_low, ci_high : float
        The overall effect, its standard error and ``ci_level`` interval.
    ci_level : float
        Confidence level.
    table : DataFrame
        The ``to_frame()`` table: the overall row and one row per cohort, event time or
        period.
    crit_uniform : float
        Critical value of the uniform band (NaN without bootstrap).
    n_boot : int
        Bootstrap draws (0: analytic pointwise intervals only).
    notes_ : tuple of str
        Notes specific to this aggregation (read them through ``notes``).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=40, rng=1)
    >>> res = cs.did.staggered(sim.data, "engagement", "team", "quarter", "coached_from",
    ...                        aggregate=True, n_boot=0)
    >>> res.aggregate("dynamic").kind
    'dynamic'
    """

    kind: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    table: pd.DataFrame = field(repr=False, compare=False)
    crit_uniform: float = float("nan")
    n_boot: int = 0
    notes_: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"Callaway-Sant'Anna ATT, {self.kind} aggregation"

    @property
    def notes(self) -> list[str]:
        return list(self.notes_)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Event-study plot (dynamic) or estimates with intervals by cohort/period.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :func:`coachstats.plotting.event_study.event_study_plot`: ``reference``,
            ``truth`` (x value -> true effect, drawn as crosses), ``ylabel``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from ..plotting.event_study import event_study_plot

        if self.kind == "simple":
            ax = new_axes(ax, figsize=(4.0, 3.0))
            ax.errorbar([0], [self.estimate], yerr=[[self.estimate - self.ci_low],
                                                    [self.ci_high - self.estimate]],
                        fmt="o", color="C0", capsize=3)
            ax.axhline(0.0, color="0.3", lw=0.8)
            ax.set_xticks([0], ["simple ATT"])
            ax.set_ylabel(f"effect ({self.ci_level:.0%} CI)")
            return ax
        rows = self.table[self.table["term"].str.contains(r"\[")]
        return event_study_plot(rows, ax=ax, kind=self.kind, **kwargs)


@dataclass(frozen=True)
class StaggeredResult(Result):
    """Callaway & Sant'Anna group-time effects with their aggregations.

    Parameters
    ----------
    group_time : DataFrame
        ``cohort, time, event_time, estimate, std_error, ci_low, ci_high, ci_level, post,
        n_treated, n_control`` (+ bootstrap SE and uniform band when ``n_boot > 0``).
    att, std_error, ci_low, ci_high : float
        Simple aggregation (the overall effect).
    ci_level : float
        Confidence level.
    control : str
        Control group: ``"never"`` or ``"not_yet"``.
    method : str
        ``"dr"``, ``"reg"`` or ``"ipw"``.
    anticipation : int
        Periods of anticipation allowed before the cohort start.
    base_period : str
        ``"varying"`` or ``"universal"``.
    n_units : int
        Units in the panel.
    n_clusters : int
        Clusters of the standard errors and the bootstrap.
    n_boot : int
        Multiplier-bootstrap draws (0: analytic only).
    cluster : str or None
        Cluster column (None: units).
    covariates : tuple of str
        Covariates of the outcome regression / propensity model.
    aggregated : bool
        Whether individual rows were averaged to unit-period cells first.
    n_individual_rows : int
        Individual rows before aggregation.
    panel : bool
        False when rows were treated as repeated cross-sections.
    balanced : bool
        Whether every unit is observed in every period.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    outcome_sd : float
        SD of the outcome.
    standardizer, standardizer_se : float
        Pre-treatment SD of individual outcomes in the comparison group (the DiD
        standardizer of :meth:`standardized`) and its standard error.
    standardizer_n : int
        Rows behind the standardizer.
    standardizer_source : str
        Which rows the standardizer comes from.
    small_sample : str or None
        Small-cluster correction (``"webb"``) or None.
    df_small : float
        Degrees of freedom of the t critical values with ``small_sample`` and no bootstrap
        (smallest cohort's clusters - 1; inf: normal). With a bootstrap the intervals use
        the bootstrap-t quantiles instead.
    _cov, _draws, _pg, _cohorts, _times, _cell_g, _cell_t : ndarray
        Internal: influence-function covariance, bootstrap draws, cohort shares and cell
        indices used by :meth:`aggregate`.
    _boot_t : WildBootstrapT or None
        Internal: with ``small_sample`` and a bootstrap, the Webb weights and cluster
        influence functions that studentise the draws of any aggregation (bootstrap-t).
    n_joiners : int
        Rows flagged in the ``joined`` column (people who joined a unit after it was
        treated).
    joiners : str or None
        What was done with them: ``"exclude"`` or ``"keep"`` (None without ``joined``).
    joined : str or None
        Column flagging the joiners.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=40, rng=1)
    >>> res = cs.did.staggered(sim.data, "engagement", "team", "quarter", "coached_from",
    ...                        cluster="manager", aggregate=True, n_boot=0)
    >>> res.control, res.method
    ('never', 'dr')
    """

    group_time: pd.DataFrame = field(repr=False, compare=False)
    att: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    control: str
    method: str
    anticipation: int
    base_period: str
    n_units: int
    n_clusters: int
    n_boot: int
    cluster: str | None
    covariates: tuple[str, ...]
    aggregated: bool
    n_individual_rows: int
    panel: bool
    balanced: bool
    n_dropped: int
    outcome_sd: float = float("nan")
    standardizer: float = float("nan")
    standardizer_se: float = float("nan")
    standardizer_n: int = 0
    standardizer_source: str = ""
    small_sample: str | None = None
    #: t degrees of freedom with ``small_sample`` and no bootstrap (inf: normal)
    df_small: float = float("inf")
    # linear representation for aggregations: coefficients -> covariance and draws
    _cov: np.ndarray = field(repr=False, compare=False, default=None)  # type: ignore
    _draws: np.ndarray | None = field(repr=False, compare=False, default=None)
    _pg: np.ndarray = field(repr=False, compare=False, default=None)  # type: ignore
    _cohorts: np.ndarray = field(repr=False, compare=False, default=None)  # type: ignore
    _times: np.ndarray = field(repr=False, compare=False, default=None)  # type: ignore
    _cell_g: np.ndarray = field(repr=False, compare=False, default=None)  # type: ignore
    _cell_t: np.ndarray = field(repr=False, compare=False, default=None)  # type: ignore
    _boot_t: WildBootstrapT | None = field(repr=False, compare=False, default=None)
    n_joiners: int = 0
    joiners: str | None = None
    joined: str | None = None

    @property
    def title(self) -> str:
        return "Staggered DiD (Callaway & Sant'Anna 2021)"

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """Pre-trend test rejected (or borderline) and few clusters."""
        out: tuple[Caution, ...] = ()
        if (~self.group_time["post"].to_numpy()).any():
            pt = self.pretrend_test()
            out += pretrend_caution(pt.statistic, pt.df, pt.p_value)
        few = few_clusters_caution(self.n_clusters, self.cluster)
        if few and self.small_sample is None:
            c = few[0]
            few = (Caution(c.code, c.message + " Refit with small_sample='webb' (wild cluster "
                           "bootstrap-t with Webb weights, per-cohort CR1 scaling).", c.value,
                           c.severity),)
        return out + few

    @property
    def estimate(self) -> float:
        return self.att

    def assumptions(self) -> list[str]:
        ctrl = ("never-treated units" if self.control == "never"
                else "units not yet treated")
        out = [f"Parallel trends: without coaching, treated cohorts would have changed like "
               f"{ctrl}" + (" given the covariates." if self.covariates else "."),
               "Treatment, once started, stays on (no reversals).",
               "No effects before treatment" + (
                   f" beyond {self.anticipation} period(s) of anticipation." if
                   self.anticipation else " (no anticipation).")]
        if self.cluster:
            out.append(f"Clusters ({self.cluster}) are independent of each other.")
        return out

    def limitations(self) -> list[str]:
        return ["Group-time effects late in the panel rest on few cohorts and are noisier.",
                "The pre-trend test cannot show parallel trends hold; it can only fail to "
                "reject."]

    @property
    def notes(self) -> list[str]:
        out = [
            f"{self.method.upper()} estimator, controls: "
            f"{'never treated' if self.control == 'never' else 'not yet treated'}, "
            f"base period: {self.base_period}, anticipation: {self.anticipation}.",
            (f"{self.n_units} units" if self.panel else
             f"Repeated cross-sections: {self.n_units} rows")
            + f" in {self.n_clusters} clusters"
            + (f" ({self.cluster})" if self.cluster else " (units)") + ".",
            "Standard errors: analytic influence function"
            + (f"; uniform bands: multiplier bootstrap, {self.n_boot} draws, clustered by "
               f"{self.cluster or 'unit'}." if self.n_boot else "."),
        ]
        if self.small_sample and self.n_boot:
            out.append(f"Small-cluster correction: cluster sums scaled by G/(G-1) within "
                       f"each cohort; intervals and bands from a wild cluster bootstrap-t "
                       f"(Webb six-point weights, {self.n_boot} draws, each draw studentised "
                       f"by its own standard error).")
        elif self.small_sample:
            out.append(f"Small-cluster correction: cluster sums scaled by G/(G-1) within "
                       f"each cohort, t critical values with {self.df_small:g} degrees of "
                       f"freedom (smallest cohort's clusters - 1); conservative: the "
                       f"bootstrap-t (n_boot > 0) is the calibrated option.")
        if self.aggregated:
            out.append(
                f"Individual rows ({self.n_individual_rows:,}) were averaged to unit-period "
                "means; each unit weighs equally (counts in did.aggregate_panel)."
            )
        if not self.balanced:
            out.append("Unbalanced panel: each ATT(g,t) uses units observed in both of its "
                       "periods.")
        if self.n_dropped:
            out.append(f"{self.n_dropped} rows with missing values were dropped.")
        out += joiner_note(self.n_joiners, self.joiners, self.joined)
        return out

    def to_frame(self) -> pd.DataFrame:
        """Simple ATT first, then every ``ATT(g, t)`` as ``att_gt[g,t]``."""
        gt = self.group_time
        rows = [{"term": "att", "estimate": self.att, "std_error": self.std_error,
                 "ci_low": self.ci_low, "ci_high": self.ci_high, "ci_level": self.ci_level}]
        for r in gt.itertuples(index=False):
            rows.append({"term": f"att_gt[{_fmt(r.cohort)},{_fmt(r.time)}]",
                         "estimate": r.estimate, "std_error": r.std_error,
                         "ci_low": r.ci_low, "ci_high": r.ci_high, "ci_level": r.ci_level,
                         "cohort": r.cohort, "time": r.time, "event_time": r.event_time})
        return tidy_frame(rows)

    # -- aggregation ---------------------------------------------------------------------

    def aggregate(self, kind: str = "simple", *, min_e: float = -np.inf,
                  max_e: float = np.inf, balance_e: int | None = None) -> AggregateResult:
        """Aggregate group-time effects.

        Parameters
        ----------
        kind : {"simple", "group", "dynamic", "calendar"}
            ``simple``: post-treatment cells weighted by cohort size; ``group``: average
            effect of each cohort, overall weighted by cohort size; ``dynamic``: by event
            time (overall = mean of event times ``>= 0``); ``calendar``: by period.
        min_e, max_e : float
            Event-time window for ``dynamic`` (and the post cells used by the others).
        balance_e : int, optional
            ``dynamic`` only: keep cohorts observed for at least ``balance_e`` periods after
            their start and event times up to ``balance_e``, so every event time averages
            the same cohorts (as R ``did``'s ``aggte(balance_e=)``).
        """
        rows, overall, att = self._agg_rows(kind, min_e, max_e, balance_e)
        return self._aggregate_table(kind, rows, overall, att)

    def _agg_rows(self, kind: str, min_e: float, max_e: float, balance_e: int | None
                  ) -> tuple[list[tuple[str, np.ndarray, Any]], tuple[str, np.ndarray],
                             np.ndarray]:
        """Coefficient vectors (on cells and cohort shares) of an aggregation's rows."""
        kind = v.check_choice(kind, "kind", _KINDS)
        g, t = self._cell_g, self._cell_t
        gpos = np.searchsorted(self._times, g)
        tpos = np.searchsorted(self._times, t)
        e = tpos - gpos
        pg_cell = self._pg[np.searchsorted(self._cohorts, g)]
        att = self.group_time["estimate"].to_numpy()
        K = len(att)
        ng = len(self._cohorts)
        post = (e >= 0) & (e >= min_e) & (e <= max_e)
        rows: list[tuple[str, np.ndarray, Any]] = []  # (term, coefficient vector, label)

        def weighted(keep: np.ndarray) -> np.ndarray:
            # coefficients of the weighted mean with estimated cohort-share weights
            a = np.zeros(K + ng)
            w = pg_cell[keep]
            s = w.sum()
            a[np.flatnonzero(keep)] = w / s
            cg = np.searchsorted(self._cohorts, g[keep])
            a_att = att[keep]
            np.add.at(a, K + cg, a_att / s)
            np.add.at(a, K + cg, -np.sum(w * a_att) / s**2)
            return a

        if kind == "simple":
            a = weighted(post)
            overall = ("att", a)
        elif kind == "group":
            per = []
            for j, c in enumerate(self._cohorts):
                keep = post & (g == c)
                if not keep.any():
                    continue
                a = np.zeros(K + ng)
                a[np.flatnonzero(keep)] = 1.0 / keep.sum()
                rows.append((f"group[{_fmt(c)}]", a, c))
                per.append((j, a))
            A = np.array([a for _, a in per])
            est_g = A @ np.r_[att, np.zeros(ng)]
            pgs = self._pg[[j for j, _ in per]]
            s = pgs.sum()
            a = (pgs / s) @ A
            idx = np.array([j for j, _ in per])
            a[K + idx] += est_g / s - np.sum(pgs * est_g) / s**2
            overall = ("att_group", a)
        elif kind == "dynamic":
            if balance_e is not None:
                v.check_int(balance_e, "balance_e", minimum=0)
                keep_g = (len(self._times) - 1 - gpos) >= balance_e
                if not keep_g.any():
                    raise ValueError(f"balance_e={balance_e}: no cohort is observed that long "
                                     "after its start.")
                max_e = min(max_e, balance_e)
                min_e = max(min_e, balance_e - (len(self._times) - 1))
                e = np.where(keep_g, e, np.iinfo(np.int64).min)
            es = np.unique(e[(e >= min_e) & (e <= max_e)])
            post_rows = []
            for ev in es:
                a = weighted(e == ev)
                rows.append((f"event_time[{int(ev)}]", a, int(ev)))
                if ev >= 0:
                    post_rows.append(a)
            overall = ("att_dynamic", np.mean(post_rows, axis=0))
        else:
            per = []
            for tt in np.unique(t[post]):
                a = weighted(post & (t == tt))
                rows.append((f"calendar[{_fmt(tt)}]", a, tt))
                per.append(a)
            overall = ("att_calendar", np.mean(per, axis=0))
        return rows, overall, att

    def _aggregate_table(self, kind: str, rows: list[tuple[str, np.ndarray, Any]],
                         overall: tuple[str, np.ndarray], att: np.ndarray) -> AggregateResult:
        theta = np.r_[att, np.zeros(len(self._cohorts))]
        z = _zcrit(self.ci_level, self.df_small)
        A = np.array([a for _, a, _ in rows] + [overall[1]])
        est = A @ theta
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", A, self._cov, A), 0))
        lo, hi = est - z * se, est + z * se
        crit = float("nan")
        se_b = np.full(len(est), np.nan)
        ulo, uhi = lo.copy(), hi.copy()
        band = "pointwise"
        if self._draws is not None and self._boot_t is not None:
            # wild bootstrap-t: every row's interval from its own studentised draws, the
            # band from their largest absolute value; the analytic SE scales both
            d = self._draws @ A.T
            se_b = _iqr_se(d)
            tb = _studentise(d, self._boot_t.variances(A))
            q = np.quantile(np.abs(tb), self.ci_level, axis=0, method="inverted_cdf")
            lo, hi = est - q * se, est + q * se
            ulo, uhi = lo.copy(), hi.copy()
            if rows:
                crit = _uniform_crit_t(tb[:, :-1], self.ci_level)
                ulo[:-1] = est[:-1] - crit * se[:-1]
                uhi[:-1] = est[:-1] + crit * se[:-1]
                band = "uniform"
        elif self._draws is not None:
            d = self._draws @ A.T
            se_b = _iqr_se(d)
            if rows:
                crit = _uniform_crit(d[:, :-1], se_b[:-1], self.ci_level)
                ulo[:-1] = est[:-1] - crit * se_b[:-1]
                uhi[:-1] = est[:-1] + crit * se_b[:-1]
                band = "uniform"
            # overall effect: pointwise with bootstrap SE
            ulo[-1] = est[-1] - z * se_b[-1]
            uhi[-1] = est[-1] + z * se_b[-1]
        labels = [lab for *_, lab in rows] + [np.nan]
        col = {"group": "cohort", "dynamic": "event_time", "calendar": "time"}.get(kind)
        out = []
        for i, (term, lab) in enumerate(zip([r[0] for r in rows] + [overall[0]], labels,
                                            strict=True)):
            r = {"term": term, "estimate": est[i], "std_error": se[i],
                 "ci_low": ulo[i], "ci_high": uhi[i], "ci_level": self.ci_level,
                 "band": band if i < len(rows) else "pointwise",
                 "ci_low_pointwise": lo[i], "ci_high_pointwise": hi[i],
                 "std_error_boot": se_b[i]}
            if col is not None:
                r[col] = lab
            out.append(r)
        table = tidy_frame(out[-1:] + out[:-1])
        notes = [f"Standard errors: analytic influence function (including estimated "
                 f"aggregation weights); clustered by {self.cluster or 'unit'}."]
        if band == "uniform" and self._boot_t is not None:
            notes.append(f"Row intervals are {self.ci_level:.0%} uniform bands (wild cluster "
                         f"bootstrap-t, Webb weights, {self.n_boot} draws, critical value "
                         f"{crit:.3f} times the analytic SE); the overall effect's interval "
                         "is its own bootstrap-t interval.")
        elif band == "uniform":
            notes.append(f"Row intervals are {self.ci_level:.0%} uniform bands (multiplier "
                         f"bootstrap, {self.n_boot} draws, critical value {crit:.3f}).")
        if self.aggregated:
            notes.append("Outcome: unit-period means of individual rows.")
        return AggregateResult(
            kind=kind, estimate=float(est[-1]), std_error=float(se[-1]),
            ci_low=float(lo[-1]), ci_high=float(hi[-1]), ci_level=self.ci_level,
            table=table, crit_uniform=crit, n_boot=self.n_boot, notes_=tuple(notes),
        )

    def sensitivity(self, kind: str = "relative_magnitude", m: Any = None, *,
                    period: int | None = None, min_e: float = -np.inf,
                    max_e: float = np.inf, ci_level: float | None = None,
                    breakdown: bool = True, rng: RNGLike = 0) -> Any:
        """Rambachan & Roth (2023) robust confidence sets for the average post-treatment
        effect of the dynamic aggregation (or the effect at event time ``period``).

        Needs ``base_period="universal"`` (every event-time effect relative to the period
        before treatment, as R ``honest_did`` for ``did``). ``kind`` is
        ``"relative_magnitude"`` (``m`` = values of Mbar) or ``"smoothness"`` (``m`` =
        values of M); see :mod:`coachstats.did.honest`.

        Examples
        --------
        >>> import coachstats as cs
        >>> sim = cs.simulate.engagement_panel(n_managers=60, rng=1)
        >>> res = cs.did.staggered(sim.data, "engagement", "team", "quarter",
        ...                        "coached_from", aggregate=True, n_boot=0,
        ...                        base_period="universal")
        >>> res.sensitivity("smoothness", m=[0.0], breakdown=False).to_frame()["term"].tolist()
        ['original', 'robust[M=0]']
        """
        from .honest import sensitivity_from_event_times

        if self.base_period != "universal":
            raise ValueError("sensitivity: refit with base_period='universal' so every "
                             "event-time effect is relative to the same pre-treatment period "
                             "(short-difference pre-trends are not comparable).")
        rows, _, att = self._agg_rows("dynamic", min_e, max_e, None)
        A = np.array([a for _, a, _ in rows])
        est = A @ np.r_[att, np.zeros(len(self._cohorts))]
        V = A @ self._cov @ A.T
        return sensitivity_from_event_times(
            np.array([lab for *_, lab in rows]), est, V, -1 - self.anticipation, kind=kind,
            m=m, period=period, ci_level=self.ci_level if ci_level is None else ci_level,
            breakdown=breakdown, rng=rng)

    def pretrend_test(self) -> PretrendTest:
        """Joint Wald test that all pre-treatment ``ATT(g, t)`` are zero."""
        gt = self.group_time
        pre = ~gt["post"].to_numpy()
        k = int(pre.sum())
        if k == 0:
            raise ValueError("pretrend_test: there are no pre-treatment cells (every cohort "
                             "has a single pre-period used as the base).")
        a = gt["estimate"].to_numpy()[pre]
        idx = np.flatnonzero(pre)
        V = self._cov[np.ix_(idx, idx)]
        w = float(a @ np.linalg.pinv(V) @ a)
        rank = int(np.linalg.matrix_rank(V))
        return PretrendTest(statistic=w, df=rank, p_value=float(stats.chi2.sf(w, rank)),
                            n_cells=k)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Event-study plot of the dynamic aggregation with its uniform band.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :meth:`AggregateResult.plot` of the dynamic aggregation: ``truth``,
            ``ylabel``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        return self.aggregate("dynamic").plot(ax=ax, **kwargs)

    def standardized(self) -> pd.DataFrame:
        """The simple ATT in SD units of the one DiD standardizer, with its interval.

        The standardizer is the SD of individual outcomes in the comparison group before
        treatment starts (``standardizer_source`` says which rows), so it does not change
        with how the data were aggregated and contains no treatment effect. The interval
        (delta method) carries the uncertainty of both the ATT and the SD.
        """
        sd, se_sd = self.standardizer, self.standardizer_se
        z = _zcrit(self.ci_level, self.df_small)
        d = self.att / sd if sd > 0 else np.nan
        se = float(np.sqrt((self.std_error / sd) ** 2 + (self.att * se_sd / sd**2) ** 2)) \
            if sd > 0 else np.nan
        return tidy_frame([{
            "term": "att_standardized", "estimate": d, "std_error": se, "ci_low": d - z * se,
            "ci_high": d + z * se, "ci_level": self.ci_level, "standardizer": sd,
            "standardizer_se": se_sd, "standardizer_n": self.standardizer_n,
            "standardizer_source": "pre-treatment SD of individual outcomes, "
                                   + self.standardizer_source,
        }])

    def interpret(self, sd: float | None = None, rule: str = "cohen1988_d") -> list[Any]:
        """Label the simple ATT in SD units by ONE named rule (default Cohen 1988).

        ``sd`` defaults to the DiD standardizer (pre-treatment SD of individual outcomes in
        the comparison group, see :meth:`standardized`); pass ``rule="wwc_g"`` for the What
        Works Clearinghouse rule. A report uses one rule, chosen in its spec.
        """
        from ..interpret import label

        sd = self.standardizer if sd is None else float(sd)
        if not np.isfinite(sd) or sd <= 0:
            return []
        return [label(self.att / sd, rule, term="att")]


def _fmt(x: Any) -> str:
    f = float(x)
    return str(int(f)) if f == int(f) else repr(f)


def _iqr_se(d: np.ndarray) -> np.ndarray:
    q75, q25 = np.quantile(d, [0.75, 0.25], axis=0, method="inverted_cdf")
    return (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))


def _zcrit(level: float, df: float) -> float:
    """Two-sided critical value: normal, or t with ``df`` degrees of freedom."""
    q = 0.5 + level / 2
    return float(stats.norm.ppf(q) if not np.isfinite(df) else stats.t.ppf(q, df))


def _uniform_crit(d: np.ndarray, se: np.ndarray, level: float) -> float:
    """Quantile of the largest studentised deviation (draws divided by one SE per column)."""
    ok = np.isfinite(se) & (se > 0)
    if not ok.any():
        return float("nan")
    tmax = np.max(np.abs(d[:, ok] / se[ok]), axis=1)
    return float(np.quantile(tmax, level, method="inverted_cdf"))


def _studentise(d: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Bootstrap t statistics: each draw's deviation over its own SE (``var``: each draw's
    variance of each column); a column without variation gives 0."""
    sd = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, d / np.where(sd > 0, sd, 1.0), 0.0)


def _uniform_crit_t(tb: np.ndarray, level: float) -> float:
    """Quantile of the largest absolute bootstrap t statistic of a draw (sup-t band)."""
    if tb.shape[1] == 0:
        return float("nan")
    return float(np.quantile(np.max(np.abs(tb), axis=1), level, method="inverted_cdf"))


# ---------------------------------------------------------------------------------------
# estimation
# ---------------------------------------------------------------------------------------


#: Mammen's two-point distribution with its probability rounded to a 16-bit threshold; the
#: two values are solved for that probability so the weights have mean 0 and variance 1
#: exactly (the third moment is 1 to within 1e-4).
_P16 = 47421  # round(65536 * (sqrt(5) + 1) / (2 sqrt(5)))
_PM = _P16 / 65536
_LOW = -np.sqrt((1 - _PM) / _PM)
_HIGH = np.sqrt(_PM / (1 - _PM))


def multiplier_bootstrap(zc: np.ndarray, n: int, n_boot: int,
                         rng: np.random.Generator, chunk: int = 128,
                         progress: ProgressLike = False) -> np.ndarray:
    """Draws of ``(1/n) sum_c v_c zc_c`` with Mammen-type weights ``v_c`` (``zc``: cluster
    sums of influence functions, clusters x columns).

    ``v = low + (high - low) * B`` with ``B`` Bernoulli, so each draw is
    ``low * colsum(zc) + (high - low) * B @ zc``: random 16-bit integers are compared with a
    threshold (no floating-point uniforms) and the product runs in float32, chunk by chunk,
    which bounds memory at about ``6 * chunk * clusters`` bytes.
    """
    zc32 = np.ascontiguousarray(zc, dtype=np.float32)
    base = _LOW * zc.sum(axis=0)
    nc = zc.shape[0]
    out = np.empty((n_boot, zc.shape[1]))
    with progress_bar(progress, "multiplier bootstrap", n_boot) as advance:
        for s in range(0, n_boot, chunk):
            b = min(chunk, n_boot - s)
            bits = np.frombuffer(rng.bytes(2 * b * nc), dtype=np.uint16).reshape(b, nc)
            hits = (bits < _P16).view(np.uint8).astype(np.float32)
            out[s:s + b] = (base + (_HIGH - _LOW) * (hits @ zc32)) / n
            advance(b)
    return out


#: Webb's six-point distribution (mean 0, variance 1): +-sqrt(1/2), +-1, +-sqrt(3/2)
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True)
class WildBootstrapT:
    """Draws of a wild cluster bootstrap-t with Webb six-point weights (Webb 2023).

    ``z`` holds the cluster sums of the influence functions divided by ``n`` (clusters x
    coefficients) and ``v`` one Webb weight per draw and cluster (as indices into the six
    points). A draw of a linear combination ``a`` is ``sum_c v_c a'z_c`` (the bootstrap
    estimate minus the estimate); its variance is computed as the analytic one is, but from
    the bootstrap sample's influence functions: ``v_c a'z_c`` re-centred within the
    cluster's group (its cohort: re-estimating the group means in the bootstrap sample takes
    ``share_c`` of the group's total off each cluster) and multiplied by ``factor`` (the
    small-sample scaling of the analytic SE). A draw over its own SE is a bootstrap t.
    """

    z: np.ndarray
    v: np.ndarray
    factor: np.ndarray
    group: np.ndarray
    share: np.ndarray

    def _chunks(self, k: int) -> Any:
        nb, nc = self.v.shape
        step = max(1, min(256, int(4e6 // max(1, nc * k))))
        for s in range(0, nb, step):
            yield s, _WEBB[self.v[s:s + step]]

    def draws(self) -> np.ndarray:
        """Draws x coefficients: the bootstrap estimates minus the estimates."""
        out = np.empty((self.v.shape[0], self.z.shape[1]))
        for s, vb in self._chunks(1):
            out[s:s + vb.shape[0]] = vb @ self.z
        return out

    def variances(self, A: np.ndarray) -> np.ndarray:
        """Draws x rows of ``A``: each draw's variance of each linear combination."""
        za = self.z @ np.atleast_2d(A).T  # clusters x rows
        H = np.zeros((za.shape[0], int(self.group.max()) + 1))
        H[np.arange(za.shape[0]), self.group] = 1.0
        out = np.empty((self.v.shape[0], za.shape[1]))
        for s, vb in self._chunks(za.shape[1]):
            zb = vb[:, :, None] * za[None, :, :]  # draws x clusters x rows
            tot = np.einsum("bcr,ch->bhr", zb, H)
            zb -= self.share[None, :, None] * tot[:, self.group, :]
            zb *= self.factor[None, :, None]
            out[s:s + vb.shape[0]] = np.einsum("bcr,bcr->br", zb, zb)
        return out


def webb_bootstrap(zc: np.ndarray, n: int, n_boot: int, rng: np.random.Generator,
                   factor: np.ndarray | None = None, group: np.ndarray | None = None,
                   size: np.ndarray | None = None) -> WildBootstrapT:
    """Wild cluster bootstrap-t with Webb six-point weights on cluster sums of influence
    functions ``zc`` (clusters x columns): one weight per draw and cluster; ``group``
    (e.g. the cluster's cohort), ``size`` (its units) and ``factor`` (its small-sample
    scaling) define the bootstrap SE (see :class:`WildBootstrapT`)."""
    nc = zc.shape[0]
    factor = np.ones(nc) if factor is None else np.asarray(factor, float)
    group = np.zeros(nc, dtype=np.int64) if group is None else np.asarray(group)
    size = np.ones(nc) if size is None else np.asarray(size, float)
    _, gi = np.unique(group, return_inverse=True)
    share = size / np.bincount(gi, weights=size)[gi]  # size_c / size of its group
    v = np.empty((n_boot, nc), dtype=np.int8)
    step = max(2, 2 * (int(4e6 // max(1, nc)) // 2))
    for s in range(0, n_boot, step):
        b = min(step, n_boot - s)
        v[s:s + b] = rng.integers(0, 6, size=(b, nc))
    return WildBootstrapT(z=np.asarray(zc, float) / n, v=v, factor=factor,
                          group=gi.astype(np.int64), share=share)


def _rc_cells(p: Panel, cells: list[tuple[int, int, int]], control: str, anticipation: int,
              Z: np.ndarray, att: np.ndarray, n_t: np.ndarray, n_c: np.ndarray) -> None:
    """Repeated cross-sections: ``ATT(g,t) = (A - B) - (C - D)`` from four row means
    (cohort g at t and at the base period b; controls at t and at b); fills ``Z``."""
    y, tr_, gr = p.rows["y"], p.rows["t"], p.rows["g"]
    n = y.size
    never = gr < 0
    times = p.times
    for k, (g, t, b) in enumerate(cells):
        ctrl = never if control == "never" else never | (gr > max(t, b) + anticipation)
        at_t, at_b = tr_ == t, tr_ == b
        parts = [((gr == g) & at_t, 1.0), ((gr == g) & at_b, -1.0), (ctrl & at_t, -1.0),
                 (ctrl & at_b, 1.0)]
        counts = [int(np.count_nonzero(m)) for m, _ in parts]
        if min(counts) == 0:
            which = ["cohort at t", "cohort at the base period", "controls at t",
                     "controls at the base period"][counts.index(0)]
            raise ValueError(f"No rows for ATT(g={_fmt(times[g])}, t={_fmt(times[t])}): "
                             f"{which} (base period {_fmt(times[b])}, control='{control}').")
        est = 0.0
        for (m, sign), c in zip(parts, counts, strict=True):
            mu = float(np.einsum("i,i->", m.astype(float), y)) / c
            est += sign * mu
            Z[k] += np.where(m, sign * (y - mu) * (n / c), 0.0)
        att[k] = est
        n_t[k], n_c[k] = counts[0], counts[2]


def _cells(p: Panel, control: str, anticipation: int, base_period: str
           ) -> list[tuple[int, int, int]]:
    """(cohort position, period position, base position) of every cell."""
    T = p.times.size
    gpos = np.unique(p.cohort_pos[p.cohort_pos >= 0])
    out = []
    for g in gpos:
        base_post = g - 1 - anticipation
        for t in range(T):
            if t >= g or base_period == "universal":
                b = base_post
                if t == b:
                    continue
            else:
                b = t - 1
                if b < 0:
                    continue
            out.append((int(g), t, int(b)))
    return out


def staggered(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    never_treated: Any = 0,
    control: str = "never",
    method: str = "dr",
    covariates: Sequence[str] | None = None,
    cluster: str | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    n_boot: int = 999,
    ci_level: float = 0.95,
    aggregate: bool = False,
    panel: bool = True,
    dropna: bool = False,
    small_sample: str | None = None,
    rng: RNGLike = None,
    progress: ProgressLike = False,
    joined: str | None = None,
    joiners: str = "exclude",
    person: str | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> StaggeredResult:
    """Callaway & Sant'Anna (2021) group-time effects for staggered adoption.

    Parameters
    ----------
    data : DataFrame, Parquet path or Dask DataFrame
        Long panel: one row per unit and period (or individual rows with
        ``aggregate=True``). A Parquet path or Dask DataFrame (larger than memory) is
        reduced to unit x period sums and counts first (see :mod:`coachstats.did._cells`).
    outcome, unit, time, cohort : str
        Columns: outcome, unit id, period (numeric), first treated period (constant within
        unit; ``never_treated``, missing or infinite for never treated).
    never_treated : scalar
        Cohort value of never-treated units (default 0).
    control : {"never", "not_yet"}
        Control group: never treated, or never plus not yet treated.
    method : {"dr", "reg", "ipw"}
        Doubly robust, outcome regression or IPW (identical without covariates).
    covariates : list of str, optional
        Numeric covariates (values at each cell's base period are used).
    cluster : str, optional
        Column in which units are nested (e.g. manager); clusters the analytic SEs and the
        bootstrap. Default: units.
    anticipation : int
        Periods before the cohort start in which effects may already occur.
    base_period : {"varying", "universal"}
        Base of pre-treatment cells (see module docstring).
    n_boot : int
        Multiplier bootstrap draws for uniform bands (0: analytic pointwise only).
    ci_level : float
        Confidence level.
    aggregate : bool
        Average several rows per unit and period (individual survey answers) to cell means
        first; the result says so.
    panel : bool
        ``False``: treat rows as repeated cross-sections (e.g. individual survey answers
        when people come and go): each ``ATT(g, t)`` compares four cell means of rows, and
        rows are clustered by ``cluster`` (default: ``unit``, e.g. team). No covariates.
    dropna : bool
        Drop rows with missing values (counted in the result) instead of raising.
    small_sample : {None, "webb"}
        Small-cluster correction for few clusters per cohort (e.g. about 20 managers):
        cluster sums of the influence functions are scaled by ``sqrt(G_h / (G_h - 1))``
        within each cohort ``h`` (CR1 per cohort; clusters must be nested in cohorts,
        otherwise the overall ``G / (G - 1)`` is used), and with ``n_boot > 0`` every
        interval (cells, aggregations, the headline ATT) and uniform band comes from a
        wild cluster bootstrap-t with Webb six-point weights (see the module docstring).
        Without a bootstrap, critical values are t with ``min_h G_h - 1`` degrees of
        freedom, which is conservative. Default: none (normal critical values, multiplier
        bootstrap as R ``did``).
    rng : int, Generator or None
        Random source of the bootstrap.
    progress : bool or Progress
        Show a bar of the bootstrap draws on standard error (``True``, e.g. in a notebook);
        a :class:`coachstats._progress.Progress` adds it to that display. The numbers do
        not depend on it.
    joined : str, optional
        Boolean column flagging rows of people who joined a unit after it was treated
        (``joined_after_treatment`` from :func:`coachstats.prepare.cohorts`). They were
        never observed untreated in that unit: counted as its members they would change the
        treated unit's composition after treatment, and they are not a later cohort.
    joiners : {"exclude", "keep"}
        With ``joined``: drop the flagged rows (default) or keep them as members of the
        treated unit. Either way the result counts them (``n_joiners``) and says so in its
        notes. Without ``joined`` nothing is flagged and every row is used.
    person : str, optional
        Column identifying people, used to count them (e.g. individual survey rows under
        team units).
    min_group_size : int
        Privacy threshold (default 5, never below 3): every cohort, and the never-treated
        group, must hold this many distinct people (``person``), else distinct units; a
        smaller cohort is refused with advice to merge it (see
        :mod:`coachstats.did._privacy`). A Parquet path or Dask DataFrame counts units.

    Returns
    -------
    StaggeredResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=60, rng=1)
    >>> res = cs.did.staggered(sim.data, outcome="engagement", unit="team",
    ...                        time="quarter", cohort="coached_from", cluster="manager",
    ...                        aggregate=True, n_boot=199, rng=1)
    >>> res.aggregate("dynamic").to_frame().columns[:6].tolist()
    ['term', 'estimate', 'std_error', 'ci_low', 'ci_high', 'ci_level']
    """
    if joined is not None:  # people who joined a treated unit: excluded or kept, and counted
        args = dict(locals())
        rows, n_j, policy = split_joiners(data, joined, joiners)
        res = staggered(**{**args, "data": rows, "joined": None})
        return replace(res, n_joiners=n_j, joiners=policy, joined=joined)
    if is_out_of_core(data):  # Parquet path / Dask DataFrame: reduce to cells, then fit
        args = {**locals(), "person": None}
        frame, table = cell_panel(**args)
        res = staggered(**{**args, "data": frame, "aggregate": False, "dropna": False})
        return with_row_counts(res, table)
    control = v.check_choice(control, "control", ("never", "not_yet"))
    method = v.check_choice(method, "method", tuple(ESTIMATORS))
    base_period = v.check_choice(base_period, "base_period", ("varying", "universal"))
    ci_level = v.check_ci_level(ci_level)
    anticipation = v.check_int(anticipation, "anticipation", minimum=0)
    n_boot = v.check_int(n_boot, "n_boot", minimum=0)
    if 0 < n_boot < 99:
        raise ValueError(f"n_boot={n_boot} is too few for a uniform band; use >= 99 (or 0).")
    if small_sample is not None:
        if isinstance(small_sample, str):
            small_sample = small_sample.lower()
        small_sample = v.check_choice(small_sample, "small_sample", ("webb",))
    if not panel and covariates:
        raise ValueError("covariates: not supported with panel=False (repeated "
                         "cross-sections); use panel data or drop the covariates.")
    p = build_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                    never_treated=never_treated, cluster=cluster, covariates=covariates,
                    aggregate=aggregate or not panel, dropna=dropna, keep_rows=not panel)
    check_cohort_sizes(data, unit, cohort, never_treated=never_treated, person=person,
                       min_group_size=min_group_size, what="did.staggered", outcome=outcome)
    G = p.cohort_pos
    n = G.size if panel else p.rows["y"].size
    times = p.times
    treated_pos = np.unique(G[G >= 0])
    if treated_pos.size == 0:
        raise ValueError(f"cohort: no unit in {cohort!r} is ever treated.")
    early = treated_pos[treated_pos - 1 - anticipation < 0]
    if early.size:
        raise ValueError(
            f"cohort: cohort(s) [{', '.join(_fmt(times[g]) for g in early)}] have no pre-treatment "
            f"period{' before the anticipation window' if anticipation else ''} (first "
            f"period is {_fmt(times[0])}); drop those units or use a later cohort."
        )
    if control == "never" and not (G < 0).any():
        raise ValueError(
            f"cohort: no never-treated units ({cohort} == {never_treated!r}); use "
            "control='not_yet'."
        )
    cells = _cells(p, control, anticipation, base_period)
    est_fn = ESTIMATORS[method]
    K = len(cells)
    coh_vals = times[treated_pos]
    ng = treated_pos.size
    # Z: one row per cell influence function, then cohort indicators minus cohort shares
    # (the influence functions of the estimated aggregation weights); rows are contiguous
    Z = np.zeros((K + ng, n))
    att = np.empty(K)
    n_t = np.empty(K, dtype=np.int64)
    n_c = np.empty(K, dtype=np.int64)
    never = G < 0
    if not panel:
        _rc_cells(p, cells, control, anticipation, Z, att, n_t, n_c)
        Gr = p.rows["g"]
    is_g = {int(g): (G if panel else Gr) == g for g in treated_pos}
    yT = np.ascontiguousarray(p.y.T)  # periods x units
    obsT = ~np.isnan(yT)
    fast = p.balanced and p.covariates is None
    if fast:  # balanced, no covariates: float indicators, no per-cell masks
        f_never = never.astype(float)
        f_g = {g: m.astype(float) for g, m in is_g.items()}
    for k, (g, t, b) in enumerate(cells if panel else []):
        if fast:
            both = None
            tr = is_g[g]
            ct = never if control == "never" else never | (G > max(t, b) + anticipation)
        else:
            both = obsT[t] & obsT[b]
            tr = is_g[g] & both
            if control == "never":
                ct = never & both
            else:
                ct = (never | (G > max(t, b) + anticipation)) & both
        n_t[k], n_c[k] = np.count_nonzero(tr), np.count_nonzero(ct)
        if n_t[k] == 0 or n_c[k] == 0:
            who = "treated units" if n_t[k] == 0 else "control units"
            raise ValueError(
                f"No {who} for ATT(g={_fmt(times[g])}, t={_fmt(times[t])}) "
                f"(base period {_fmt(times[b])}, control='{control}')"
                + ("; no cohort is still untreated then: use control='never' or add "
                   "never-treated units." if control == "not_yet" and n_c[k] == 0 else
                   "; check which units are observed in both periods.")
            )
        dy = yT[t] - yT[b]
        if fast:
            ft = f_g[g]
            fc = f_never if control == "never" else ct.astype(float)
            m1 = np.einsum("i,i->", ft, dy) / n_t[k]
            m0 = np.einsum("i,i->", fc, dy) / n_c[k]
            att[k] = m1 - m0
            # IF = s1 (dy - m1) on treated, -s0 (dy - m0) on controls
            s1, s0 = n / n_t[k], n / n_c[k]
            w = ft * s1 - fc * s0
            Z[k] = w * dy - (ft * (s1 * m1) - fc * (s0 * m0))
        elif p.covariates is None:
            dy = np.where(both, dy, 0.0)
            m1 = np.einsum("i,i->", tr.astype(float), dy) / n_t[k]
            m0 = np.einsum("i,i->", ct.astype(float), dy) / n_c[k]
            att[k] = m1 - m0
            Z[k] = np.where(tr, (dy - m1) * (n / n_t[k]), 0.0) - np.where(
                ct, (dy - m0) * (n / n_c[k]), 0.0)
        else:
            sub = tr | ct
            x = p.covariates[sub, b, :]
            if np.isnan(x).any():
                raise ValueError(f"covariates: missing at base period {_fmt(times[b])} for "
                                 "some units; fill them or pass dropna=True.")
            xi = np.column_stack([np.ones(np.count_nonzero(sub)), x])
            d = tr[sub].astype(float)
            if np.linalg.matrix_rank(xi) < xi.shape[1]:
                raise ValueError(f"covariates are collinear within ATT(g={_fmt(times[g])}, "
                                 f"t={_fmt(times[t])}); drop redundant ones.")
            att[k], inf = est_fn(dy[sub], d, xi)
            Z[k, sub] = inf * (n / np.count_nonzero(sub))
    pg = np.empty(ng)
    for j, g in enumerate(treated_pos):
        pg[j] = np.count_nonzero(is_g[int(g)]) / n
        Z[K + j] = is_g[int(g)] - pg[j]
    if not panel:
        codes = p.rows["cluster"]
        Zc = np.stack([np.bincount(codes, weights=row, minlength=codes.max() + 1)
                       for row in Z])
    elif cluster is not None:
        Zc = np.stack([np.bincount(p.cluster, weights=row, minlength=p.n_clusters)
                       for row in Z])
    else:
        Zc = Z
    df_small, boot = float("inf"), None
    gen = as_generator(rng)
    Zraw = Zc
    if small_sample:
        factor, df_small, group, size = _cr1_by_cohort(Zc.shape[1], p, panel, cluster)
        Zc = Zc * factor[None, :]
    # einsum, not BLAS: a 30 x 100,000 Gram product is slow in threaded BLAS on busy hosts
    cov = np.einsum("ik,jk->ij", Zc, Zc, optimize=False) / n**2
    draws = None
    if n_boot:
        if small_sample:
            boot = webb_bootstrap(Zraw.T, n, int(n_boot), gen, factor=factor, group=group,
                                  size=size)
            draws = boot.draws()
        else:
            draws = multiplier_bootstrap(Zc.T, n, int(n_boot), gen, progress=progress)
    z = _zcrit(ci_level, df_small)
    se = np.sqrt(np.diag(cov)[:K])
    cg = times[[c[0] for c in cells]]
    ct_ = times[[c[1] for c in cells]]
    gt = pd.DataFrame({
        "cohort": cg, "time": ct_,
        "event_time": np.array([c[1] - c[0] for c in cells], dtype=np.int64),
        "estimate": att, "std_error": se, "ci_low": att - z * se, "ci_high": att + z * se,
        "ci_level": ci_level, "post": np.array([c[1] >= c[0] for c in cells]),
        "base_period": times[[c[2] for c in cells]],
        "n_treated": n_t, "n_control": n_c,
    })
    if boot is not None:  # wild bootstrap-t: intervals and band from studentised draws
        tb = _studentise(draws[:, :K], boot.variances(np.eye(K + ng)[:K]))
        q = np.quantile(np.abs(tb), ci_level, axis=0, method="inverted_cdf")
        crit = _uniform_crit_t(tb, ci_level)
        gt["ci_low"], gt["ci_high"] = att - q * se, att + q * se
        gt["std_error_boot"] = _iqr_se(draws[:, :K])
        gt["ci_low_uniform"] = att - crit * se
        gt["ci_high_uniform"] = att + crit * se
    elif draws is not None:
        se_b = _iqr_se(draws[:, :K])
        crit = _uniform_crit(draws[:, :K], se_b, ci_level)
        gt["std_error_boot"] = se_b
        gt["ci_low_uniform"] = att - crit * se_b
        gt["ci_high_uniform"] = att + crit * se_b
    n_cl = (int(p.rows["cluster"].max()) + 1) if not panel else int(p.n_clusters)
    res = StaggeredResult(
        group_time=gt, att=np.nan, std_error=np.nan, ci_low=np.nan, ci_high=np.nan,
        ci_level=ci_level, control=control, method=method, anticipation=int(anticipation),
        base_period=base_period, n_units=int(n), n_clusters=n_cl,
        n_boot=int(n_boot), cluster=cluster, covariates=p.covariate_names,
        aggregated=p.aggregated and panel, n_individual_rows=p.n_individual_rows,
        panel=bool(panel), balanced=p.balanced or not panel,
        n_dropped=p.n_dropped, outcome_sd=p.outcome_sd, standardizer=p.std_sd,
        standardizer_se=p.std_se, standardizer_n=p.std_n, standardizer_source=p.std_source,
        _cov=cov, _draws=draws, _pg=pg,
        _cohorts=coh_vals, _times=times, _cell_g=cg, _cell_t=ct_,
        small_sample=small_sample, df_small=df_small, _boot_t=boot,
    )
    # the headline ATT is the simple aggregate of the cells just estimated
    simple = res.aggregate("simple")
    return replace(res, att=simple.estimate, std_error=simple.std_error,
                   ci_low=simple.ci_low, ci_high=simple.ci_high)


def _cr1_by_cohort(nc: int, p: Panel, panel: bool, cluster: str | None
                   ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Small-sample design of the clusters: the factor ``sqrt(G_h / (G_h - 1))`` of each
    cluster's influence-function sums (``G_h``: clusters of its cohort ``h``; never treated
    is one cohort), the t degrees of freedom ``min_h G_h - 1``, each cluster's cohort and
    its number of units (rows). Clusters spanning cohorts get the overall ``G / (G - 1)``
    and form one group."""
    if not panel:
        codes, g = p.rows["cluster"], p.rows["g"]
    elif cluster is not None:
        codes, g = p.cluster, p.cohort_pos
    else:
        codes, g = np.arange(p.cohort_pos.size), p.cohort_pos
    lo = np.full(nc, np.iinfo(np.int64).max)
    hi = np.full(nc, np.iinfo(np.int64).min)
    np.minimum.at(lo, codes, g)
    np.maximum.at(hi, codes, g)
    size = np.bincount(codes, minlength=nc).astype(float)
    if (lo == hi).all():
        _, inv, counts = np.unique(lo, return_inverse=True, return_counts=True)
        if counts.min() < 2:
            raise ValueError("small_sample: a cohort has a single cluster; no small-sample "
                             "correction can be computed (merge cohorts or drop it).")
        factor = np.sqrt(counts / (counts - 1.0))[inv]
        return factor, float(counts.min() - 1), inv, size
    # clusters span cohorts: overall CR1 factor, one group
    return (np.full(nc, np.sqrt(nc / (nc - 1.0))), float(nc - 1),
            np.zeros(nc, dtype=np.int64), size)
