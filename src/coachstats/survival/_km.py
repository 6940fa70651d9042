"""Kaplan-Meier survival curves with Greenwood variance, numbers at risk and median survival."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._deprecate import renamed_arguments
from .._validate import MissingReport, prepare
from ..results import Caution, Result, missing_reasons, tidy_frame
from ._common import (
    binary_events,
    check_ci,
    check_clusters,
    check_durations,
    check_episodes,
    check_weights,
    prob_interval,
    resolve_min_group_size,
)
from ._guard import immortal_time_check

_TOL = float(np.sqrt(np.finfo(float).eps))


def km_steps(t: np.ndarray, d: np.ndarray, entry: np.ndarray | None = None,
             w: np.ndarray | None = None) -> pd.DataFrame:
    """Product-limit estimate at every distinct time (events and censorings).

    With ``entry`` (delayed entry, R ``Surv(start, stop, event)``) a row is at risk at t
    when entry < t <= stop, and only the distinct exit times are steps. Returns columns
    ``time, n_risk, n_event, n_censor, survival, se_log`` where ``se_log`` is Greenwood's
    standard error of log S(t) (infinite once every subject at risk has had the event, as
    in R). With case weights ``w`` the counts are weighted (R ``survfit(weights=)``) and
    the variance is Greenwood's with weighted counts (R's ``robust = FALSE``).
    """
    ww = np.ones(len(t)) if w is None else np.asarray(w, dtype=float)
    ut, inv = np.unique(t, return_inverse=True)
    n_event = np.bincount(inv, weights=d * ww, minlength=len(ut))
    n_total = np.bincount(inv, weights=ww, minlength=len(ut)).astype(float)
    n_risk = n_total[::-1].cumsum()[::-1]
    if entry is not None:
        # those entering at or after t are not yet at risk at t
        e_ord = np.argsort(entry, kind="stable")
        later = np.concatenate([np.cumsum(ww[e_ord][::-1])[::-1], [0.0]])
        n_risk = n_risk - later[np.searchsorted(entry[e_ord], ut, side="left")]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n_risk > 0, 1.0 - n_event / n_risk, 1.0))
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    se_log = np.sqrt(np.cumsum(term))
    cast = (lambda v: v.astype(int)) if w is None else (lambda v: v)
    return pd.DataFrame(
        {
            "time": ut,
            "n_risk": cast(n_risk),
            "n_event": cast(n_event),
            "n_censor": cast(n_total - n_event),
            "survival": surv,
            "se_log": se_log,
        }
    )


def km_robust_se(t: np.ndarray, d: np.ndarray, w: np.ndarray, cluster: np.ndarray,
                 times: np.ndarray, n_risk: np.ndarray,
                 entry: np.ndarray | None = None) -> np.ndarray:
    """Infinitesimal-jackknife (robust) standard error of the Kaplan-Meier S(t) at
    ``times`` (the steps of :func:`km_steps`, whose weighted ``n_risk`` is passed in).

    The influence of cluster ``k`` on S(t) is ``-S(t) X_k(t)`` with
    ``X_k(t) = sum_{s <= t} [dN_k(s) / (Y - D) - Y_k(s) D / (Y (Y - D))]`` (``Y``, ``D``:
    weighted numbers at risk and of events at event time ``s``; ``Y_k``, ``dN_k``: the
    cluster's), the closed form of the product-limit recursion R ``survfit(robust = TRUE)``
    runs (survival 3.x, "survfitkm: robust variance"); the variance is ``sum_k U_k^2`` and
    is 0 once everyone at risk has had the event. With ``C(t)`` the running sum of
    ``D / (Y (Y - D))``, each row contributes ``w (d / (Y - D) at its exit - C(exit) +
    C(entry))`` once it has left and ``w (C(entry) - C(t))`` while at risk, so every
    ``X_k = alpha_k - beta_k C(t)`` and ``sum_k X_k^2`` follows from three running sums
    updated as rows enter and leave: O(rows + times), not O(clusters x times).
    """
    w = np.asarray(w, dtype=float)
    cl = np.asarray(cluster, dtype=np.int64)
    nc = int(cl.max()) + 1 if cl.size else 0
    n_t = len(times)
    out = np.zeros(n_t)
    pos = np.searchsorted(times, t)  # exit step of every row
    ev = (np.asarray(d) > 0).astype(float)
    D = np.bincount(pos, weights=w * ev, minlength=n_t)
    Y = np.asarray(n_risk, dtype=float)
    alpha, beta = np.zeros(nc), np.zeros(nc)
    sums = np.zeros(3)  # sum alpha^2, sum alpha beta, sum beta^2

    def move(rows: np.ndarray, d_alpha: np.ndarray, d_beta: np.ndarray) -> None:
        if rows.size == 0:
            return
        k = cl[rows]
        uk = np.unique(k)
        a0, b0 = alpha[uk], beta[uk]
        np.add.at(alpha, k, d_alpha)
        np.add.at(beta, k, d_beta)
        a1, b1 = alpha[uk], beta[uk]
        sums[0] += a1 @ a1 - a0 @ a0
        sums[1] += a1 @ b1 - a0 @ b0
        sums[2] += b1 @ b1 - b0 @ b0

    exit_ord = np.argsort(pos, kind="stable")
    pos_sorted = pos[exit_ord]
    if entry is None:
        move(np.arange(len(t)), np.zeros(len(t)), w)
    else:
        ent_ord = np.argsort(entry, kind="stable")
        e_sorted = entry[ent_ord]
    C, S, p_in, p_out = 0.0, 1.0, 0, 0
    ev_idx = np.flatnonzero(D > 0)
    last = np.full(n_t, -1)
    for j in ev_idx:
        if entry is not None:  # rows entering before this time join the risk set
            q = np.searchsorted(e_sorted, times[j], side="left")
            rows = ent_ord[p_in:q]
            move(rows, w[rows] * C, w[rows])
            p_in = q
        q = np.searchsorted(pos_sorted, j, side="left")  # rows that left before (censored)
        rows = exit_ord[p_out:q]
        move(rows, -w[rows] * C, -w[rows])
        p_out = q
        if D[j] >= Y[j] * (1 - 1e-12):  # everyone at risk has the event: S = 0, U = 0
            last[j:] = j
            out[j] = 0.0
            break
        C += D[j] / (Y[j] * (Y[j] - D[j]))
        q = np.searchsorted(pos_sorted, j, side="right")  # rows leaving at this time
        rows = exit_ord[p_out:q]
        move(rows, w[rows] * (ev[rows] / (Y[j] - D[j]) - C), -w[rows])
        p_out = q
        S *= 1.0 - D[j] / Y[j]
        out[j] = S * np.sqrt(max(sums[0] - 2 * C * sums[1] + C * C * sums[2], 0.0))
        last[j] = j
    # between event times the SE stays at the last event time's (0 before the first)
    last = np.maximum.accumulate(last)
    return np.where(last >= 0, out[np.maximum(last, 0)], 0.0)


def _robust_design(frame: pd.DataFrame, d: np.ndarray, w: np.ndarray | None,
                   cluster: str | None, person: str | None, robust: bool | None
                   ) -> tuple[bool, np.ndarray, int]:
    """Whether the SE is robust (R ``survfitKM``'s default when ``robust`` is None) and the
    cluster code of every row: ``cluster``, else ``person`` (R's ``id``), else the row."""
    if robust is not None and not isinstance(robust, bool | np.bool_):
        raise TypeError(f"robust must be True, False or None, got {robust!r}.")
    if cluster is not None:
        if robust is False:
            raise ValueError(f"cluster={cluster!r} needs the robust variance; drop cluster "
                             "or leave robust unset.")
        check_clusters(frame, cluster)
    if robust is None:
        fractional = w is not None and bool(np.any(w != np.floor(w)))
        repeated = person is not None and bool(
            frame.loc[d > 0, person].duplicated().any())
        robust = cluster is not None or fractional or repeated
    by = cluster if cluster is not None else person
    if by is not None:
        codes = pd.factorize(frame[by], sort=True)[0].astype(np.int64)
    else:
        codes = np.arange(len(frame), dtype=np.int64)
    return bool(robust), codes, int(codes.max()) + 1 if codes.size else 0


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float = _TOL) -> float:
    """Time where the cumulative curve ``y`` (0 at ``x[0]``) first reaches ``p``.

    A port of the rule in R ``survival:::findq``: if the curve is flat at exactly ``p``
    (within ``tol``), the midpoint of the flat stretch is returned.
    """
    ok = ~np.isnan(y)
    if not ok.any() or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    _, first = np.unique(y, return_index=True)  # drop repeated values (censorings)
    keep = np.zeros(len(y), dtype=bool)
    keep[first] = True
    # np.unique treats NaNs as distinct; R keeps the first NaN only and approx() drops it
    x, y = x[keep & ok], y[keep & ok]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    i1 = np.flatnonzero(y + tol >= p)
    i2 = np.flatnonzero(y - tol >= p)
    if len(i1) == 0:
        return np.nan
    a = x[i1[0]]
    if abs(p - y[-1]) < tol:  # the curve ends on a flat at p
        return float((a + xmax) / 2)
    if len(i2) == 0:
        return np.nan
    return float((a + x[i2[0]]) / 2)


def median_with_ci(steps: pd.DataFrame, p: float = 0.5) -> tuple[float, float, float]:
    """Quantile ``p`` of the event-time distribution with the CI from the pointwise band.

    As in R ``quantile.survfit``: the lower limit is where the lower band crosses 1 - p, the
    upper limit where the upper band does.
    """
    x = np.concatenate([[0.0], steps["time"].to_numpy(float)])

    def q(s: np.ndarray) -> float:
        return _findq(x, np.concatenate([[0.0], 1.0 - s]), p)

    return (
        q(steps["survival"].to_numpy(float)),
        q(steps["ci_low"].to_numpy(float)),
        q(steps["ci_high"].to_numpy(float)),
    )


@dataclass(frozen=True, eq=False)
class KaplanMeierResult(Result):
    """Kaplan-Meier curves (one per group), their medians and numbers at risk.

    ``steps`` holds the curve at every distinct time (``group, time, n_risk, n_event,
    n_censor, survival, std_error, ci_low, ci_high``); when ``min_at_risk`` was given, steps
    with fewer subjects at risk are not kept at all. ``medians`` holds the median survival
    time per group with its interval (NaN where the curve or band never reaches 0.5).
    ``std_error`` is Greenwood's SE of S(t) (R ``summary.survfit`` reports the same).

    Parameters
    ----------
    steps : DataFrame
        The curves (see above).
    medians : DataFrame
        Median survival time per group with its interval.
    at_times : DataFrame
        Survival at the requested times (the ``to_frame()`` rows).
    group : str or None
        Grouping column.
    ci : str
        Interval scale: ``"log"``, ``"log-log"`` or ``"plain"``.
    ci_level : float
        Confidence level.
    min_at_risk : int or None
        Steps with fewer subjects at risk are not kept.
    n : int
        Subjects analysed.
    n_events : int
        Events.
    missing : MissingReport
        Rows dropped for missing values, by column.
    start : str or None
        Entry-time column (delayed entry).
    design_cautions : tuple of Caution
        Cautions about the design.
    variance : str
        ``"greenwood"`` or ``"robust"`` (infinitesimal jackknife).
    cluster : str or None
        Column whose groups the robust variance treats as independent (None: rows, or
        ``person`` when given).
    n_clusters : int or None
        Independent clusters of the robust variance (None with Greenwood's).

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> df = pd.DataFrame({"months": [3, 5, 5, 8, 12, 12, 20], "left": [1, 1, 0, 1, 0, 1, 0]})
    >>> km = cs.survival.kaplan_meier(df, duration="months", event="left")
    >>> km.n, km.n_events
    (7, 4)
    """

    steps: pd.DataFrame
    medians: pd.DataFrame
    at_times: pd.DataFrame
    group: str | None
    ci: str
    ci_level: float
    min_at_risk: int | None
    n: int
    n_events: int
    missing: MissingReport = field(repr=False, compare=False)
    start: str | None = None
    design_cautions: tuple[Caution, ...] = field(default=(), repr=False, compare=False)
    variance: str = "greenwood"
    cluster: str | None = None
    n_clusters: int | None = None

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """An immortal-time caution when a group that starts during follow-up was allowed,
        and few clusters behind a cluster-robust SE."""
        out = list(self.design_cautions)
        if self.cluster is not None and self.n_clusters is not None and self.n_clusters < 20:
            out.append(Caution(
                "few_clusters",
                f"Only {self.n_clusters} clusters of {self.cluster!r}: a cluster-robust "
                "standard error is unreliable with fewer than 20 (bands too narrow).",
                float(self.n_clusters)))
        return tuple(out)

    @property
    def title(self) -> str:
        by = f" by {self.group}" if self.group else ""
        return f"Kaplan-Meier survival{by}"

    @property
    def n_dropped(self) -> int:
        """Rows left out for missing values (``dropna=True``)."""
        return self.missing.n_dropped

    @property
    def dropped(self) -> dict[str, int]:
        return missing_reasons(self.missing.n_dropped, self.missing.by_column)

    @property
    def notes(self) -> list[str]:
        out = [
            f"{self.n:,} subjects, {self.n_events:,} events; {self._variance_words}; "
            f"{self.ci_level:.0%} pointwise intervals on the {self.ci!r} scale "
            "(R survfit's default is 'log'; lifelines' is 'log-log').",
            "Median CI: times where the interval band crosses 0.5 (Brookmeyer-Crowley "
            "style, as R quantile.survfit).",
        ]
        if self.medians["median"].isna().any():
            out.append("A blank median means the curve never fell to 0.5 (median not reached).")
        if self.min_at_risk:
            out.append(
                f"Curve steps with fewer than {self.min_at_risk} at risk are hidden (privacy)."
            )
        if self.start:
            out.append(f"Delayed entry: each row is at risk only after its {self.start!r}.")
        if self.missing.n_dropped:
            out.append(f"{self.missing.n_dropped} row(s) with missing values were dropped.")
        return out

    @property
    def _variance_words(self) -> str:
        if self.variance == "greenwood":
            return "Greenwood variance"
        by = (f"clusters of {self.cluster!r}" if self.cluster else "rows")
        return (f"robust (infinitesimal-jackknife) variance over {self.n_clusters:,} {by}, "
                "as R survfit(robust = TRUE)")

    def assumptions(self) -> list[str]:
        return [
            "Censoring is independent of the event time (those censored are like those who "
            "stay under observation).",
            "Everyone counted from a common time origin.",
        ]

    def limitations(self) -> list[str]:
        return ["Unadjusted: differences between groups may reflect who was selected."]

    def to_frame(self) -> pd.DataFrame:
        """Median survival per group, then S(t) at the requested ``times``."""
        rows: list[dict[str, Any]] = []
        for r in self.medians.to_dict("records"):
            rows.append(
                {
                    "term": "median" + _suffix(self.group, r["group"]),
                    "estimate": r["median"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "ci_level": self.ci_level,
                    "group": r["group"],
                    "time": np.nan,
                    "n_risk": np.nan,
                }
            )
        for r in self.at_times.to_dict("records"):
            rows.append(
                {
                    "term": f"S({r['time']:g})" + _suffix(self.group, r["group"]),
                    "estimate": r["survival"],
                    "std_error": r["std_error"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "ci_level": self.ci_level,
                    "group": r["group"],
                    "time": r["time"],
                    "n_risk": r["n_risk"],
                }
            )
        return tidy_frame(rows)

    def at_risk(self, times: Sequence[float]) -> pd.DataFrame:
        """Numbers at risk at ``times`` per group (wide: one row per group).

        Counts below ``min_at_risk`` (and times past the kept part of the curve) are NaN.
        """
        out = {}
        for g, s in self.steps.groupby("group", sort=False, dropna=False):
            vals = []
            for t in times:
                later = s.loc[s["time"] >= t, "n_risk"]
                hidden = self.min_at_risk is not None and (
                    later.empty or int(later.iloc[0]) < self.min_at_risk
                )
                vals.append(np.nan if hidden else (int(later.iloc[0]) if len(later) else 0))
            out[g] = vals
        return pd.DataFrame(out, index=pd.Index(list(times), name="time")).T.rename_axis(
            "group"
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Step curves with pointwise bands; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :func:`coachstats.plotting.km.plot_km`: ``band`` (draw the pointwise band,
            default True), ``min_at_risk`` (hide steps with fewer people at risk) and
            ``at_risk_times`` (times at which to print the numbers at risk).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from ..plotting.km import plot_km

        return plot_km(self, ax=ax, **kwargs)


def _suffix(group: str | None, value: Hashable) -> str:
    return f" ({group}={value})" if group else ""


def _at_times(steps: pd.DataFrame, times: Sequence[float], min_at_risk: int | None) -> list[dict]:
    rows = []
    tt = steps["time"].to_numpy(float)
    for t in times:
        i = np.searchsorted(tt, t, side="right") - 1  # last step at or before t
        later = steps.loc[steps["time"] >= t, "n_risk"]
        n_risk = later.iloc[0] if len(later) else 0
        n_risk = int(n_risk) if float(n_risk).is_integer() else float(n_risk)
        people = (steps.loc[steps["time"] >= t, "n_rows_at_risk"]
                  if "n_rows_at_risk" in steps.columns else later)
        n_rows = int(people.iloc[0]) if len(people) else 0
        if len(later) == 0 or (min_at_risk is not None and n_rows < min_at_risk):
            s = se = lo = hi = np.nan  # past the curve (R summary() drops these times)
        elif i < 0:
            s, se, lo, hi = 1.0, 0.0, 1.0, 1.0
        else:
            r = steps.iloc[i]
            s, se, lo, hi = r["survival"], r["std_error"], r["ci_low"], r["ci_high"]
        rows.append(
            {"time": float(t), "n_risk": n_risk, "survival": s, "std_error": se,
             "ci_low": lo, "ci_high": hi}
        )
    return rows


@renamed_arguments(min_at_risk="min_group_size")
def kaplan_meier(
    data: pd.DataFrame,
    duration: str,
    event: str,
    group: str | None = None,
    *,
    ci: str = "log",
    ci_level: float = 0.95,
    times: Sequence[float] = (),
    event_of_interest: Hashable | None = None,
    start: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    person: str | None = None,
    min_group_size: int | None = None,
    robust: bool | None = None,
    immortal_time: str = "refuse",
    dropna: bool = False,
) -> KaplanMeierResult:
    """Kaplan-Meier estimate of the survival function, optionally by group.

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    duration : str
        Column with the follow-up time (non-negative).
    event : str
        Column with 1 (event, e.g. voluntary exit) or 0 (censored); booleans also work.
        With ``event_of_interest`` it may hold any codes (e.g. "exit", "promotion").
    group : str, optional
        Column defining separate curves (e.g. coached vs not).
    ci : {"log", "log-log", "plain"}
        Scale of the pointwise interval. The default "log" is R ``survfit``'s default;
        lifelines and SAS use "log-log", which keeps both ends inside (0, 1).
    ci_level : float
        Interval level (default 0.95).
    times : sequence of float
        Times at which to report S(t) in ``to_frame()`` (as R ``summary(fit, times=)``).
    event_of_interest : optional
        Code in ``event`` counted as the event; every other code is censored (R
        ``Surv(time, event == "exit")``). With competing events, 1 - S(t) then overstates the
        share who had the event: use :func:`competing_risks` for "how many by time t".
    start : str, optional
        Column with the entry time (delayed entry / left truncation, R ``Surv(start, stop,
        event)``): a row is at risk over (start, duration]. Use it for people who join the
        risk set late (hired before the data window, or counted from coaching start).
    weights : str, optional
        Column of non-negative case weights (e.g. inverse-probability weights): weighted
        numbers at risk and events, as R ``survfit(weights=)``. With non-integer weights
        the standard error is by default the robust (infinitesimal-jackknife) one, as R's
        default (see ``robust``). The privacy threshold still counts people (rows), not
        weights.
    cluster : str, optional
        Column of independent clusters (e.g. manager) for a cluster-robust SE (R
        ``survfit(cluster=)``): influences are summed within clusters. Implies
        ``robust=True``.
    person : str, optional
        Person identifier; with ``min_group_size`` the privacy count is of distinct people.
        It is also R's ``id``: the robust SE treats each person's rows as one subject, and
        a person with more than one event makes the robust SE the default.
    min_group_size : int, optional
        Privacy threshold (floor 3): curve steps with fewer people at risk are dropped, and a
        group with fewer distinct people is refused. Reports pass the study's threshold.
    robust : bool, optional
        Standard error of S(t): ``True`` the infinitesimal-jackknife (robust) SE, ``False``
        Greenwood's. The default follows R ``survfit`` (survival 3.x): robust when
        ``cluster`` is given, when any weight is not a whole number, or when a ``person``
        has more than one event; Greenwood's otherwise. Bands and median intervals use the
        chosen SE.
    immortal_time : {"refuse", "allow"}
        A ``group`` marked as starting after the time origin (see
        :func:`mark_after_origin`) is refused unless "allow" (then the result cautions).
    dropna : bool
        Drop rows with missing values (counted in ``missing``) instead of raising.

    Returns
    -------
    KaplanMeierResult

    Notes
    -----
    Written directly in NumPy (a product-limit estimate needs nothing more); statsmodels'
    ``SurvfuncRight`` gives the same curve but only the "log-log" band, and lifelines is not
    used because it caps pandas below 3. Estimates, bands (both transforms) and medians agree
    with R ``survival::survfit`` (tests/reference/survival_reference.R), and the robust SE with
    ``survfit(robust = TRUE)``, weights, clusters and delayed entry
    (tests/reference/survival_km_robust.R).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"months": [3, 5, 5, 8, 12, 12, 20], "left": [1, 1, 0, 1, 0, 1, 0]})
    >>> km = kaplan_meier(df, duration="months", event="left")
    >>> round(float(km.medians["median"].iloc[0]), 1)
    12.0
    """
    z = check_ci(ci, ci_level)
    min_at_risk = resolve_min_group_size(min_group_size)
    design_cautions = immortal_time_check(data, [group], policy=immortal_time,
                                          where="survival.kaplan_meier")
    frame, missing = prepare(
        data,
        {"duration": duration, "event": event, "group": group, "start": start,
         "person": person, "weights": weights, "cluster": cluster},
        numeric=["duration", "start", "weights"],
        dropna=dropna,
    )
    t = check_durations(frame, duration)
    entry = check_episodes(frame, start, duration) if start else None
    w = check_weights(frame, weights) if weights else None
    d = binary_events(frame, event, event_of_interest=event_of_interest)
    robust, codes, n_clusters = _robust_design(frame, d, w, cluster, person, robust)
    keys = frame[group] if group else pd.Series("all", index=frame.index)
    levels = list(pd.unique(keys)) if group else ["all"]
    try:
        levels = sorted(levels)
    except TypeError:
        pass
    steps_all, med_rows, at_rows = [], [], []
    for g in levels:
        m = (keys == g).to_numpy()
        if min_at_risk is not None:
            n_people = frame.loc[m, person].nunique() if person else int(m.sum())
            if n_people < min_at_risk:
                raise ValueError(
                    f"group {g!r} of {group!r} has {n_people} "
                    f"{'distinct people' if person else 'rows'}, fewer than "
                    f"min_group_size={min_at_risk}: its curve would describe individuals. "
                    "Merge it with another group or leave it out.")
        st = km_steps(t[m], d[m], entry=None if entry is None else entry[m],
                      w=None if w is None else w[m])
        if w is not None:  # the privacy threshold counts people, not weights
            rows = km_steps(t[m], d[m], entry=None if entry is None else entry[m])
            st["n_rows_at_risk"] = rows["n_risk"].to_numpy()
        if robust:
            se_s = km_robust_se(t[m], d[m], np.ones(int(m.sum())) if w is None else w[m],
                                codes[m], st["time"].to_numpy(float),
                                st["n_risk"].to_numpy(float),
                                entry=None if entry is None else entry[m])
            with np.errstate(divide="ignore", invalid="ignore"):
                st["se_log"] = se_s / st["survival"].to_numpy(float)
            st["std_error"] = se_s
        else:
            st["std_error"] = st["survival"] * st["se_log"]
        st["ci_low"], st["ci_high"] = prob_interval(st["survival"], st["se_log"], z, ci)
        med, lo, hi = median_with_ci(st)
        med_rows.append({"group": g, "median": med, "ci_low": lo, "ci_high": hi,
                         "n": int(m.sum()), "n_events": int(d[m].sum())})
        for row in _at_times(st, times, min_at_risk):
            at_rows.append({"group": g, **row})
        if min_at_risk is not None:
            kept = st["n_rows_at_risk"] if w is not None else st["n_risk"]
            st = st.loc[kept >= min_at_risk]
        st.insert(0, "group", g)
        steps_all.append(st.drop(columns="se_log"))
    return KaplanMeierResult(
        steps=pd.concat(steps_all, ignore_index=True),
        medians=pd.DataFrame(med_rows),
        at_times=pd.DataFrame(
            at_rows, columns=["group", "time", "n_risk", "survival", "std_error", "ci_low",
                              "ci_high"]
        ),
        group=group,
        ci=ci,
        ci_level=float(ci_level),
        min_at_risk=min_at_risk,
        n=len(frame),
        n_events=int(d.sum()),
        missing=missing,
        start=start,
        design_cautions=design_cautions,
        variance="robust" if robust else "greenwood",
        cluster=cluster if robust else None,
        n_clusters=n_clusters if robust else None,
    )
