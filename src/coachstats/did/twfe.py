"""Two-way fixed-effects DiD: the 2x2 comparison, static TWFE, the TWFE event study and the
Goodman-Bacon (2021) decomposition of the static TWFE estimate.

Standard errors (named ``CR1``): cluster-robust sandwich with the small-sample factor
``G / (G - 1) * (N - 1) / (N - K)``, ``G`` clusters, ``N`` observations and ``K`` = slope
coefficients + number of periods (time effects and intercept); unit effects are absorbed
and not counted because units are nested in clusters. This is the convention of Stata's
``xtreg, fe vce(cluster)`` with period dummies. Without ``cluster`` units are the clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validate as v
from ..privacy import DEFAULT_MIN_GROUP_SIZE
from ..results import Caution, Result, new_axes, tidy_frame
from ._cautions import few_clusters_caution, pretrend_caution
from ._joiners import joiner_note, split_joiners
from ._panel import Panel, build_panel
from ._privacy import check_cell_sizes, check_cohort_sizes

__all__ = [
    "BaconResult",
    "EventStudyResult",
    "TwfeResult",
    "TwoByTwoResult",
    "bacon_decomposition",
    "event_study",
    "twfe",
    "two_by_two",
]

SE_CONVENTION = ("CR1: G/(G-1)*(N-1)/(N-K), K = slopes + periods (unit effects nested in "
                 "clusters), as Stata xtreg, fe vce(cluster)")


# ---------------------------------------------------------------------------------------
# linear algebra on (units x periods) arrays
# ---------------------------------------------------------------------------------------


def _gram(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a.T @ b`` for tall, skinny matrices without threaded BLAS (slow on busy hosts)."""
    return np.einsum("ki,kj->ij", a, b, optimize=False)


def _demean(x: np.ndarray, obs: np.ndarray, tol: float = 1e-13, max_iter: int = 10_000
            ) -> np.ndarray:
    """Two-way within transformation of ``x`` (units x periods [x k]) over observed cells,
    by alternating projections (exact after one sweep for balanced panels)."""
    flat = x.ndim == 2
    x3 = (x[..., None] if flat else x).astype(float)
    m = obs.astype(float)[..., None]
    x3 = np.where(m > 0, x3, 0.0)
    nu = np.maximum(m.sum(axis=1), 1)[:, None, :]  # (n_u, 1, 1)
    nt = np.maximum(m.sum(axis=0), 1)[None, :, :]  # (1, T, 1)
    scale = max(float(np.abs(x3).max()), 1.0)
    for _ in range(max_iter):
        x_old = x3
        x3 = x3 - x3.sum(axis=1, keepdims=True) / nu * m
        x3 = x3 - x3.sum(axis=0, keepdims=True) / nt * m
        if np.max(np.abs(x3 - x_old)) < tol * scale:
            break
    return x3[..., 0] if flat else x3


@dataclass(frozen=True)
class _Fit:
    coef: np.ndarray
    vcov: np.ndarray
    n_obs: int
    n_clusters: int
    dof_resid: int


def _fit_twfe(p: Panel, X: np.ndarray) -> _Fit:
    """OLS of y on X (units x periods x k) with unit and period effects; CR1 SEs."""
    obs = ~np.isnan(p.y)
    yd = _demean(np.nan_to_num(p.y), obs)
    Xd = _demean(X, obs)
    k = X.shape[2]
    xm = Xd[obs]  # (N, k)
    ym = yd[obs]
    xtx = _gram(xm, xm)
    if np.linalg.matrix_rank(xtx) < k:
        raise ValueError("TWFE: the treatment indicators are collinear with the unit and "
                         "period effects (e.g. an event time observed for no unit, or no "
                         "never/late-treated comparison); narrow the window.")
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ _gram(xm, ym[:, None])[:, 0]
    u = yd - np.einsum("utk,k->ut", Xd, beta)
    u = np.where(obs, u, 0.0)
    su = (Xd * u[..., None]).sum(axis=1)  # per-unit scores (n_u, k)
    sc = np.zeros((p.n_clusters, k))
    np.add.at(sc, p.cluster, su)
    G = p.n_clusters
    N = int(obs.sum())
    K = k + p.times.size
    adj = G / (G - 1) * (N - 1) / (N - K)
    V = adj * xtx_inv @ _gram(sc, sc) @ xtx_inv
    return _Fit(coef=beta, vcov=V, n_obs=N, n_clusters=G, dof_resid=G - 1)


def _treat_matrix(p: Panel, anticipation: int = 0) -> np.ndarray:
    T = p.times.size
    t = np.arange(T)[None, :]
    g = p.cohort_pos[:, None]
    return ((g >= 0) & (t >= g - anticipation)).astype(float)


# ---------------------------------------------------------------------------------------
# static TWFE
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwfeResult(Result):
    """Static two-way fixed-effects DiD coefficient on the treatment indicator.

    Parameters
    ----------
    estimate, std_error, ci_low, ci_high : float
        The coefficient, its standard error and ``ci_level`` interval.
    ci_level : float
        Confidence level.
    p_value : float
        Two-sided p-value of the coefficient.
    n_obs : int
        Unit-period observations in the fit.
    n_clusters : int
        Clusters of the standard errors.
    cluster : str or None
        Cluster column (None: units).
    aggregated : bool
        Whether individual rows were averaged to unit-period cells first.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=40, rng=2)
    >>> res = cs.did.twfe(sim.data, "engagement", "team", "quarter", "coached_from",
    ...                   cluster="manager", aggregate=True)
    >>> res.cluster
    'manager'
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    p_value: float
    n_obs: int
    n_clusters: int
    cluster: str | None
    aggregated: bool = False

    @property
    def title(self) -> str:
        return "Two-way fixed-effects DiD (static)"

    @property
    def cautions(self) -> tuple[Caution, ...]:
        return few_clusters_caution(self.n_clusters, self.cluster)

    @property
    def notes(self) -> list[str]:
        out = [f"Standard error: {SE_CONVENTION}; clusters: {self.cluster or 'units'} "
               f"({self.n_clusters}); t reference with G-1 df.",
               "With staggered adoption and effects that change over time this estimate "
               "mixes in forbidden comparisons (Goodman-Bacon 2021); prefer did.staggered."]
        if self.aggregated:
            out.append("Outcome: unit-period means of individual rows.")
        return out

    def assumptions(self) -> list[str]:
        return ["Parallel trends; a constant effect across cohorts and over time."]

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame([{"term": "att_twfe", "estimate": self.estimate,
                            "std_error": self.std_error, "ci_low": self.ci_low,
                            "ci_high": self.ci_high, "ci_level": self.ci_level,
                            "p_value": self.p_value, "n_obs": self.n_obs,
                            "n_clusters": self.n_clusters}])


def _tci(est: np.ndarray, se: np.ndarray, df: int, level: float
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = stats.t.ppf(0.5 + level / 2, df)
    p = 2 * stats.t.sf(np.abs(est / se), df)
    return est - q * se, est + q * se, p


def twfe(
    data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, *,
    never_treated: Any = 0, cluster: str | None = None, ci_level: float = 0.95,
    aggregate: bool = False, dropna: bool = False, person: str | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> TwfeResult:
    """Static TWFE: ``y_it = a_i + b_t + beta D_it + e_it`` with ``D_it = 1[t >= cohort]``.

    Privacy: every cohort (and the never-treated group) must hold ``min_group_size``
    distinct people (``person=``), else distinct units (default 5, never below 3); a
    smaller cohort is refused with advice to merge it (see :mod:`coachstats.did._privacy`).

    Parameters
    ----------
    data : DataFrame
        Long panel: one row per unit and period (or individual rows with ``aggregate=True``).
    outcome, unit, time, cohort : str
        Columns: outcome, unit id, period (numeric), first treated period (constant within
        unit; ``never_treated`` for units never treated).
    never_treated : scalar, default 0
        Cohort value of never-treated units.
    cluster : str, optional
        Cluster column for CR1 standard errors (e.g. manager); units otherwise.
    ci_level : float, default 0.95
        Confidence level.
    aggregate : bool, default False
        Average several rows per unit and period to cell means first.
    dropna : bool, default False
        Drop rows with missing values (counted in the result) instead of raising.
    person : str, optional
        Column identifying people, used to count them in each cohort.
    min_group_size : int
        Privacy threshold (default 5, never below 3), counting distinct people or units.

    Returns
    -------
    TwfeResult
        The coefficient on the treatment indicator with its standard error and interval.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=40, rng=2)
    >>> res = cs.did.twfe(sim.data, "engagement", "team", "quarter", "coached_from",
    ...                   cluster="manager", aggregate=True)
    >>> res.n_clusters
    40
    """
    ci_level = v.check_ci_level(ci_level)
    p = build_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                    never_treated=never_treated, cluster=cluster, aggregate=aggregate,
                    dropna=dropna)
    check_cohort_sizes(data, unit, cohort, never_treated=never_treated, person=person,
                       min_group_size=min_group_size, what="did.twfe", outcome=outcome)
    D = _treat_matrix(p)[..., None]
    f = _fit_twfe(p, D)
    est, se = f.coef[0], float(np.sqrt(f.vcov[0, 0]))
    lo, hi, pv = _tci(np.array([est]), np.array([se]), f.dof_resid, ci_level)
    return TwfeResult(estimate=float(est), std_error=se, ci_low=float(lo[0]),
                      ci_high=float(hi[0]), ci_level=ci_level, p_value=float(pv[0]),
                      n_obs=f.n_obs, n_clusters=f.n_clusters, cluster=cluster,
                      aggregated=p.aggregated)


# ---------------------------------------------------------------------------------------
# event study
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventStudyResult(Result):
    """TWFE event-study coefficients relative to event time ``reference``.

    Parameters
    ----------
    table : DataFrame
        One row per event time: ``term, estimate, std_error, ci_low, ci_high, ci_level,
        p_value, event_time`` (the ``to_frame()`` table).
    window : tuple of (int, int)
        First and last event time with its own dummy.
    reference : int
        The event time left out.
    n_obs : int
        Unit-period observations in the fit.
    n_clusters : int
        Clusters of the standard errors.
    cluster : str or None
        Cluster column (None: units).
    ci_level : float
        Confidence level.
    aggregated : bool
        Whether individual rows were averaged to unit-period cells first.
    pre_wald : tuple of (float, int, float) or None
        Wald test that every lead is zero: statistic, degrees of freedom, p-value (None
        without leads).
    vcov : ndarray or None
        Covariance matrix of the coefficients (rows of ``table``).
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
    >>> sim = cs.simulate.engagement_panel(n_managers=40, rng=2)
    >>> es = cs.did.event_study(sim.data, "engagement", "team", "quarter", "coached_from",
    ...                         cluster="manager", window=(-3, 3), aggregate=True)
    >>> es.window, es.reference
    ((-3, 3), -1)
    """

    table: pd.DataFrame = field(repr=False, compare=False)
    window: tuple[int, int]
    reference: int
    n_obs: int
    n_clusters: int
    cluster: str | None
    ci_level: float
    aggregated: bool = False
    #: joint Wald test that every lead (event time < 0) is zero: (chi2, df, p)
    pre_wald: tuple[float, int, float] | None = None
    #: covariance matrix of the coefficients (rows of ``table``)
    vcov: np.ndarray | None = field(default=None, repr=False, compare=False)
    n_joiners: int = 0
    joiners: str | None = None
    joined: str | None = None

    @property
    def title(self) -> str:
        return "TWFE event study"

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """Leads jointly non-zero (pre-trend rejected or borderline) and few clusters."""
        out: tuple[Caution, ...] = ()
        if self.pre_wald is not None:
            out += pretrend_caution(self.pre_wald[0], self.pre_wald[1], self.pre_wald[2])
        return out + few_clusters_caution(self.n_clusters, self.cluster)

    @property
    def notes(self) -> list[str]:
        out = [f"Event times outside {self.window} are binned into the end points; reference "
               f"event time {self.reference}.",
               f"Standard errors: {SE_CONVENTION}; clusters: {self.cluster or 'units'} "
               f"({self.n_clusters}).",
               "Under staggered adoption with heterogeneous effects TWFE leads and lags are "
               "contaminated by other periods' effects (Sun & Abraham 2021); compare with "
               "did.staggered(...).aggregate('dynamic')."]
        if self.aggregated:
            out.append("Outcome: unit-period means of individual rows.")
        return out + joiner_note(self.n_joiners, self.joiners, self.joined)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result and return the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :func:`coachstats.plotting.event_study.event_study_plot`: ``truth`` (event
            time -> true effect, drawn as crosses), ``ylabel``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from ..plotting.event_study import event_study_plot

        return event_study_plot(self.table, ax=ax, kind="dynamic", reference=self.reference,
                                **kwargs)

    def sensitivity(self, kind: str = "relative_magnitude", m: Any = None, *,
                    period: int | None = None, ci_level: float | None = None,
                    breakdown: bool = True, rng: Any = 0) -> Any:
        """Rambachan & Roth (2023) robust confidence sets for the average post-treatment
        effect (or the effect at event time ``period``); see :mod:`coachstats.did.honest`.

        Examples
        --------
        >>> import coachstats as cs
        >>> sim = cs.simulate.engagement_panel(n_managers=40, rng=2)
        >>> es = cs.did.event_study(sim.data, "engagement", "team", "quarter",
        ...                         "coached_from", cluster="manager", window=(-3, 3),
        ...                         aggregate=True)
        >>> s = es.sensitivity("smoothness", m=[0, 0.05], breakdown=False)
        >>> s.to_frame()["term"].tolist()[0]
        'original'
        """
        from .honest import sensitivity_from_event_times

        if self.vcov is None:
            raise ValueError("sensitivity: this result carries no covariance matrix.")
        return sensitivity_from_event_times(
            self.table["event_time"].to_numpy(), self.table["estimate"].to_numpy(),
            self.vcov, self.reference, kind=kind, m=m, period=period,
            ci_level=self.ci_level if ci_level is None else ci_level,
            breakdown=breakdown, rng=rng)


def event_study(
    data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, *,
    cluster: str | None = None, window: tuple[int, int] = (-4, 4), reference: int = -1,
    never_treated: Any = 0, ci_level: float = 0.95, aggregate: bool = False,
    dropna: bool = False, joined: str | None = None, joiners: str = "exclude",
    person: str | None = None, min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> EventStudyResult:
    """TWFE event study: unit and period effects plus one dummy per event time.

    Privacy: every cohort (and the never-treated group) must hold ``min_group_size``
    distinct people (``person=``), else distinct units (default 5, never below 3); a
    smaller cohort is refused with advice to merge it (see :mod:`coachstats.did._privacy`).

    ``y_it = a_i + b_t + sum_{e != reference} beta_e 1[t - cohort_i = e] + e_it`` with event
    times outside ``window`` binned into its end points and never-treated units carrying no
    dummies.

    Parameters
    ----------
    data : DataFrame
        Long panel: one row per unit and period (or individual rows with ``aggregate=True``).
    outcome, unit, time, cohort : str
        Columns: outcome, unit id, period (numeric), first treated period (constant within
        unit; ``never_treated`` for units never treated).
    cluster : str, optional
        Cluster column for CR1 standard errors (e.g. manager); units otherwise.
    window : tuple of (int, int), default (-4, 4)
        First and last event time with its own dummy; event times beyond are binned into
        the end points.
    reference : int, default -1
        Event time left out (normalised to zero).
    never_treated : scalar, default 0
        Cohort value of never-treated units.
    ci_level : float, default 0.95
        Confidence level.
    aggregate : bool, default False
        Average several rows per unit and period to cell means first.
    dropna : bool, default False
        Drop rows with missing values (counted in the result) instead of raising.
    joined : str, optional
        Boolean column flagging rows of people who joined a unit after it was treated
        (``joined_after_treatment`` from :func:`coachstats.prepare.cohorts`): excluded
        (``joiners="exclude"``, the default) or kept (``joiners="keep"``), counted in
        ``n_joiners`` and the notes, as in :func:`coachstats.did.staggered`.
    joiners : {"exclude", "keep"}
        What to do with the rows flagged by ``joined``.
    person : str, optional
        Column identifying people, used to count them in each cohort.
    min_group_size : int
        Privacy threshold (default 5, never below 3), counting distinct people or units.

    Returns
    -------
    EventStudyResult
        One coefficient per event time, and a Wald test of the leads.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=40, rng=2)
    >>> es = cs.did.event_study(sim.data, "engagement", "team", "quarter", "coached_from",
    ...                         cluster="manager", window=(-3, 3), aggregate=True)
    >>> es.to_frame()["term"].tolist()[:3]
    ['event_time[-3]', 'event_time[-2]', 'event_time[0]']
    """
    if joined is not None:  # people who joined a treated unit: excluded or kept, and counted
        args = dict(locals())
        rows, n_j, policy = split_joiners(data, joined, joiners)
        res = event_study(**{**args, "data": rows, "joined": None})
        return replace(res, n_joiners=n_j, joiners=policy, joined=joined)
    ci_level = v.check_ci_level(ci_level)
    try:
        lo_w, hi_w = (int(window[0]), int(window[1]))
    except (TypeError, ValueError, IndexError):
        raise TypeError(f"window must be a pair of integers, got {window!r}.") from None
    if not lo_w <= reference <= hi_w or lo_w >= hi_w:
        raise ValueError(f"window {window!r} must satisfy low < high and contain the "
                         f"reference event time {reference}.")
    p = build_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                    never_treated=never_treated, cluster=cluster, aggregate=aggregate,
                    dropna=dropna)
    check_cohort_sizes(data, unit, cohort, never_treated=never_treated, person=person,
                       min_group_size=min_group_size, what="did.event_study", outcome=outcome)
    T = p.times.size
    g = p.cohort_pos[:, None]
    e = np.arange(T)[None, :] - g
    e = np.clip(e, lo_w, hi_w)
    treated = np.broadcast_to(g >= 0, e.shape)
    obs = ~np.isnan(p.y)
    levels = [k for k in range(lo_w, hi_w + 1) if k != reference
              and (treated & (e == k) & obs).any()]
    X = np.stack([(treated & (e == k)).astype(float) for k in levels], axis=2)
    f = _fit_twfe(p, X)
    se = np.sqrt(np.diag(f.vcov))
    lo, hi, pv = _tci(f.coef, se, f.dof_resid, ci_level)
    table = tidy_frame([
        {"term": f"event_time[{k}]", "estimate": f.coef[i], "std_error": se[i],
         "ci_low": lo[i], "ci_high": hi[i], "ci_level": ci_level, "p_value": pv[i],
         "event_time": k, "binned": k in (lo_w, hi_w)}
        for i, k in enumerate(levels)
    ])
    leads = [i for i, k in enumerate(levels) if k < 0]
    pre_wald = None
    if leads:
        b, vv = f.coef[leads], f.vcov[np.ix_(leads, leads)]
        w = float(b @ np.linalg.pinv(vv) @ b)
        dfw = int(np.linalg.matrix_rank(vv))
        pre_wald = (w, dfw, float(stats.chi2.sf(w, dfw)))
    return EventStudyResult(table=table, window=(lo_w, hi_w), reference=reference,
                            n_obs=f.n_obs, n_clusters=f.n_clusters, cluster=cluster,
                            ci_level=ci_level, aggregated=p.aggregated, pre_wald=pre_wald,
                            vcov=f.vcov)


# ---------------------------------------------------------------------------------------
# 2x2
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoByTwoResult(Result):
    """Canonical 2x2 DiD: (treated post - treated pre) - (control post - control pre).

    Parameters
    ----------
    estimate, std_error, ci_low, ci_high : float
        The DiD estimate, its standard error and ``ci_level`` interval.
    ci_level : float
        Confidence level.
    p_value : float
        Two-sided p-value.
    means : DataFrame
        ``group, post, mean, n``: the four cell means and their sizes.
    n_obs : int
        Observations in the fit.
    n_clusters : int or None
        Clusters of the CR1 standard errors (None: HC1).
    cluster : str or None
        Cluster column.
    n_joiners : int
        Rows flagged in the ``joined`` column (people who joined a unit after it was
        treated).
    joiners : str or None
        What was done with them: ``"exclude"`` or ``"keep"`` (None without ``joined``).
    joined : str or None
        Column flagging the joiners.

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> df = pd.DataFrame({"y": [1, 2, 1, 4, 1.5, 2.5, 0.5, 4.5] * 3,
    ...                    "g": [0, 0, 1, 1] * 6, "p": [0, 1] * 12})
    >>> res = cs.did.two_by_two(df, "y", "g", "p", min_group_size=3)
    >>> res.means["mean"].tolist()
    [1.25, 2.25, 0.75, 4.25]
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    p_value: float
    means: pd.DataFrame = field(repr=False, compare=False)
    n_obs: int
    n_clusters: int | None
    cluster: str | None
    n_joiners: int = 0
    joiners: str | None = None
    joined: str | None = None

    @property
    def title(self) -> str:
        return "2x2 difference-in-differences"

    @property
    def cautions(self) -> tuple[Caution, ...]:
        return few_clusters_caution(self.n_clusters, self.cluster)

    @property
    def notes(self) -> list[str]:
        se = (f"CR1 cluster-robust by {self.cluster} ({self.n_clusters} clusters, t with "
              "G-1 df)" if self.cluster else "HC1 heteroskedasticity-robust (t with N-4 df)")
        return [f"OLS of outcome on group, post and their interaction; SE: {se}.",
                *joiner_note(self.n_joiners, self.joiners, self.joined)]

    def assumptions(self) -> list[str]:
        return ["Parallel trends: without treatment both groups would have changed alike.",
                "Group composition is stable between the periods."]

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame([{"term": "att_2x2", "estimate": self.estimate,
                            "std_error": self.std_error, "ci_low": self.ci_low,
                            "ci_high": self.ci_high, "ci_level": self.ci_level,
                            "p_value": self.p_value, "n_obs": self.n_obs}])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Group means before and after (the counterfactual trend dashed).

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
        m = self.means.set_index(["group", "post"])["mean"]
        ax.plot([0, 1], [m[(0, 0)], m[(0, 1)]], "o-", color="0.5", label="control")
        ax.plot([0, 1], [m[(1, 0)], m[(1, 1)]], "o-", color="C0", label="treated")
        ax.plot([0, 1], [m[(1, 0)], m[(1, 0)] + m[(0, 1)] - m[(0, 0)]], "--", color="C0",
                alpha=0.6, label="treated without effect (parallel trend)")
        ax.set_xticks([0, 1], ["pre", "post"])
        ax.set_ylabel("mean outcome")
        ax.legend(frameon=False)
        return ax


def two_by_two(
    data: pd.DataFrame, outcome: str, group: str, post: str, *, cluster: str | None = None,
    ci_level: float = 0.95, dropna: bool = False, joined: str | None = None,
    joiners: str = "exclude", person: str | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> TwoByTwoResult:
    """Difference-in-differences of two groups in two periods.

    Parameters
    ----------
    data : DataFrame
        One row per observation (panel or repeated cross-sections).
    outcome : str
        Numeric outcome column.
    group, post : str
        0/1 columns: treated group, post period.
    cluster : str, optional
        Cluster column (e.g. team or manager) for CR1 standard errors; HC1 otherwise.
    ci_level : float, default 0.95
        Confidence level.
    dropna : bool, default False
        Drop rows with missing values (counted in the result) instead of raising.
    joined : str, optional
        Boolean column flagging rows of people who joined a unit after it was treated
        (``joined_after_treatment`` from :func:`coachstats.prepare.cohorts`).
    joiners : {"exclude", "keep"}
        With ``joined``: drop the flagged rows (default) or keep them; the result counts
        them (``n_joiners``) and says so in its notes (they break the stable group composition
        a 2x2 DiD of repeated cross-sections assumes).
    person : str, optional
        Column identifying people, to count them in each cell.
    min_group_size : int
        Privacy threshold (default 5, never below 3): each of the four group x period
        cells, whose means and sizes are published, must hold this many distinct people
        (``person``), else rows (one row per person and period); smaller cells are refused.

    Returns
    -------
    TwoByTwoResult
        The DiD estimate with its standard error, interval and the four group means.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 2, 1, 4, 1.5, 2.5, 0.5, 4.5] * 3,
    ...                    "g": [0, 0, 1, 1] * 6, "p": [0, 1] * 12})
    >>> round(two_by_two(df, "y", "g", "p", min_group_size=3).estimate, 6)
    2.5
    """
    if joined is not None:  # people who joined a treated unit: excluded or kept, and counted
        args = dict(locals())
        rows, n_j, policy = split_joiners(data, joined, joiners)
        res = two_by_two(**{**args, "data": rows, "joined": None})
        return replace(res, n_joiners=n_j, joiners=policy, joined=joined)
    ci_level = v.check_ci_level(ci_level)
    df, _ = v.prepare(data, {"outcome": outcome, "group": group, "post": post,
                             "cluster": cluster}, numeric=["outcome", "group", "post"],
                      dropna=dropna, finite=False)
    for arg, col in (("group", group), ("post", post)):
        vals = df[col].to_numpy(dtype=float)
        if not np.isin(vals, (0, 1)).all():
            raise ValueError(f"{arg}: column {col!r} must be coded 0/1.")
    gg = df[group].to_numpy(dtype=float)
    pp = df[post].to_numpy(dtype=float)
    y = df[outcome].to_numpy(dtype=float)
    if not np.isfinite(y).all():
        raise ValueError(
            f"outcome: column {outcome!r} has non-finite values (inf or -inf) in rows "
            f"{df.index[~np.isfinite(y)][:5].tolist()}. Replace them with finite numbers, or "
            "set them to missing and pass dropna=True."
        )
    cells = pd.DataFrame({"group": gg.astype(int), "post": pp.astype(int), "y": y})
    counts = cells.groupby(["group", "post"]).size()
    missing = [c for c in [(0, 0), (0, 1), (1, 0), (1, 1)] if c not in counts.index]
    if missing:
        raise ValueError(f"two_by_two needs all four group x post cells; missing (group, "
                         f"post) = {missing}.")
    check_cell_sizes(df if person is None else data.loc[df.index], [group, post],
                     person=person, min_group_size=min_group_size, what="did.two_by_two")
    X = np.column_stack([np.ones_like(y), gg, pp, gg * pp])
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    u = y - X @ b
    N = y.size
    if cluster is not None:
        codes, uniq = pd.factorize(df[cluster])
        G = len(uniq)
        if G < 2:
            raise ValueError(f"cluster: column {cluster!r} has a single cluster.")
        s = np.zeros((G, 4))
        np.add.at(s, codes, X * u[:, None])
        V = G / (G - 1) * (N - 1) / (N - 4) * xtx_inv @ (s.T @ s) @ xtx_inv
        dof = G - 1
    else:
        G = None
        s = X * u[:, None]
        V = N / (N - 4) * xtx_inv @ (s.T @ s) @ xtx_inv
        dof = N - 4
    se = float(np.sqrt(V[3, 3]))
    lo, hi, pv = _tci(np.array([b[3]]), np.array([se]), dof, ci_level)
    means = cells.groupby(["group", "post"], as_index=False)["y"].agg(["mean", "size"])
    means = means.rename(columns={"size": "n"})
    return TwoByTwoResult(estimate=float(b[3]), std_error=se, ci_low=float(lo[0]),
                          ci_high=float(hi[0]), ci_level=ci_level, p_value=float(pv[0]),
                          means=means, n_obs=N, n_clusters=G, cluster=cluster)


# ---------------------------------------------------------------------------------------
# Goodman-Bacon decomposition
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaconResult(Result):
    """Static TWFE as a weighted average of all 2x2 DiD comparisons (Goodman-Bacon 2021).

    Parameters
    ----------
    table : DataFrame
        One row per 2x2 comparison: its type, the cohorts compared, estimate and weight.
    twfe_estimate : float
        The static TWFE coefficient.
    weighted_sum : float
        Weighted sum of the 2x2 estimates (equals ``twfe_estimate``).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=40, turnover=0.0, rng=2)
    >>> b = cs.did.bacon_decomposition(sim.data, "engagement", "team", "quarter",
    ...                                "coached_from", aggregate=True)
    >>> round(float(b.table["weight"].sum()), 6)
    1.0
    """

    table: pd.DataFrame = field(repr=False, compare=False)
    twfe_estimate: float
    weighted_sum: float

    @property
    def title(self) -> str:
        return "Goodman-Bacon decomposition of the TWFE estimate"

    @property
    def notes(self) -> list[str]:
        bad = self.table.loc[self.table["type"] == "later vs earlier treated", "weight"].sum()
        return [f"TWFE estimate {self.twfe_estimate:.4f} = sum of weight x estimate over the "
                f"2x2 comparisons ({self.weighted_sum:.4f}).",
                f"Weight on comparisons that use already-treated units as controls: "
                f"{bad:.1%} (biased when effects change over time)."]

    def to_frame(self) -> pd.DataFrame:
        """One row per 2x2 comparison: ``term`` names it, ``estimate`` and ``weight``."""
        t = self.table
        treated = t["cohort_treated"].map(lambda v: f"{v:g}" if pd.notna(v) else "")
        control = t["cohort_control"].map(lambda v: f" vs {v:g}" if pd.notna(v) else "")
        return tidy_frame(t.assign(term=t["type"].astype(str) + " (" + treated + control
                                   + ")").to_dict("records"))

    def headline(self) -> tuple[str, ...]:
        """None: a decomposition explains another estimate."""
        return ()

    def summary_by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate of each comparison type."""
        t = self.table.assign(we=self.table["weight"] * self.table["estimate"])
        out = t.groupby("type", sort=False).agg(weight=("weight", "sum"), we=("we", "sum"))
        out["estimate"] = out["we"] / out["weight"]
        return out.drop(columns="we").reset_index()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Each 2x2 estimate against its weight, coloured by comparison type.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to matplotlib's ``Axes.scatter`` (e.g. ``s``, ``alpha``; not ``color``, which
            marks the comparison type).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        for i, (typ, sub) in enumerate(self.table.groupby("type", sort=False)):
            ax.scatter(sub["weight"], sub["estimate"], color=f"C{i}", label=typ, **kwargs)
        ax.axhline(self.twfe_estimate, color="0.3", ls="--", lw=1, label="TWFE estimate")
        ax.set_xlabel("weight")
        ax.set_ylabel("2x2 DiD estimate")
        ax.legend(frameon=False, fontsize="small")
        return ax


def bacon_decomposition(
    data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, *,
    never_treated: Any = 0, aggregate: bool = False, dropna: bool = False,
) -> BaconResult:
    """Decompose the static TWFE estimate into 2x2 comparisons (balanced panels).

    Comparisons: treated cohorts vs never treated; earlier vs later treated (later cohort as
    control before it is treated); later vs earlier treated (earlier cohort, already treated,
    as control). Weights follow Goodman-Bacon (2021, J. Econometrics 225:254, eq. 10) and
    sum to one; the weighted sum reproduces the TWFE coefficient.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel: one row per unit and period (or individual rows with
        ``aggregate=True``).
    outcome, unit, time, cohort : str
        Columns: outcome, unit id, period (numeric), first treated period (constant within
        unit; ``never_treated`` for units never treated).
    never_treated : scalar, default 0
        Cohort value of never-treated units.
    aggregate : bool, default False
        Average several rows per unit and period to cell means first.
    dropna : bool, default False
        Drop rows with missing values (counted in the result) instead of raising.

    Returns
    -------
    BaconResult
        Every 2x2 comparison with its estimate and weight, and the TWFE coefficient.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=40, turnover=0.0, rng=2)
    >>> b = cs.did.bacon_decomposition(sim.data, "engagement", "team", "quarter",
    ...                                "coached_from", aggregate=True)
    >>> abs(b.weighted_sum - b.twfe_estimate) < 1e-10
    True
    """
    p = build_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                    never_treated=never_treated, aggregate=aggregate, dropna=dropna)
    if not p.balanced:
        raise ValueError("bacon_decomposition needs a balanced panel (every unit observed in "
                         "every period); the decomposition does not hold otherwise.")
    T = p.times.size
    G = p.cohort_pos
    codes = np.unique(G)  # -1 = never
    n_all = G.size
    share = np.array([(G == c).mean() for c in codes])
    M = np.array([p.y[G == c].mean(axis=0) for c in codes])  # group x period means
    dbar = np.array([0.0 if c < 0 else (T - c) / T for c in codes])
    D = _treat_matrix(p)
    Dd = _demean(D, np.ones_like(D, dtype=bool))
    VD = float((Dd**2).sum() / (n_all * T))
    t_idx = np.arange(T)

    def dd(a: int, b: int, pre: np.ndarray, post: np.ndarray) -> float:
        return float((M[a, post].mean() - M[a, pre].mean())
                     - (M[b, post].mean() - M[b, pre].mean()))

    rows = []
    never_i = np.flatnonzero(codes < 0)
    treated_i = np.flatnonzero(codes >= 0)
    for k in treated_i:
        gk = codes[k]
        if never_i.size and 0 < gk:
            u = never_i[0]
            nk, nu = share[k], share[u]
            nku = nk / (nk + nu)
            w = (nk + nu) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / VD
            rows.append({"type": "treated vs never treated", "cohort_treated": p.times[gk],
                         "cohort_control": np.nan, "estimate": dd(k, u, t_idx < gk,
                                                                   t_idx >= gk),
                         "weight": w})
    for i, k in enumerate(treated_i):
        for l_ in treated_i[i + 1:]:
            gk, gl = codes[k], codes[l_]  # gk < gl: k treated earlier
            nk, nl = share[k], share[l_]
            nkl = nk / (nk + nl)
            Dk, Dl = dbar[k], dbar[l_]
            if Dl < 1:  # earlier vs later (later as control), window t < gl
                w = (((nk + nl) * (1 - Dl)) ** 2 * nkl * (1 - nkl)
                     * (Dk - Dl) / (1 - Dl) * (1 - Dk) / (1 - Dl) / VD)
                if gk > 0:
                    rows.append({"type": "earlier vs later treated",
                                 "cohort_treated": p.times[gk],
                                 "cohort_control": p.times[gl],
                                 "estimate": dd(k, l_, t_idx < gk, (t_idx >= gk) & (t_idx < gl)),
                                 "weight": w})
            if Dk > 0:  # later vs earlier (already treated as control), window t >= gk
                w = (((nk + nl) * Dk) ** 2 * nkl * (1 - nkl)
                     * (Dl / Dk) * (Dk - Dl) / Dk / VD)
                rows.append({"type": "later vs earlier treated",
                             "cohort_treated": p.times[gl], "cohort_control": p.times[gk],
                             "estimate": dd(l_, k, (t_idx >= gk) & (t_idx < gl),
                                            t_idx >= gl),
                             "weight": w})
    table = pd.DataFrame(rows)
    tw = _fit_twfe(p, D[..., None]).coef[0]
    wsum = float((table["weight"] * table["estimate"]).sum())
    return BaconResult(table=table, twfe_estimate=float(tw), weighted_sum=wsum)
