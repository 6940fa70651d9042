"""Competing risks: Aalen-Johansen cumulative incidence with infinitesimal-jackknife variance."""

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
    check_ci,
    check_clusters,
    check_durations,
    check_episodes,
    coded_events,
    prob_interval,
    resolve_min_group_size,
)
from ._guard import immortal_time_check


def aalen_johansen(
    t: np.ndarray, code: np.ndarray, n_causes: int, unit: np.ndarray | None = None,
    entry: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Cumulative incidence of each cause at every distinct time, with IJ standard errors.

    ``code`` is 0 for censored and 1..K for the cause. The variance is the infinitesimal
    jackknife: the sum over units (subjects, or clusters when ``unit`` is given) of the
    squared derivative of the estimate with respect to the unit's case weight. This is the
    variance R ``survfit`` reports for multi-state curves (survival >= 3). With ``entry``
    (delayed entry) a row joins the risk set after its entry time.
    """
    n = len(t)
    if unit is None:
        unit = np.arange(n)
    n_units = int(unit.max()) + 1
    ut, inv = np.unique(t, return_inverse=True)
    m = len(ut)
    n_total = np.bincount(inv, minlength=m).astype(float)
    y = n_total[::-1].cumsum()[::-1]
    if entry is not None:
        e_sorted = np.sort(entry)
        y = y - (n - np.searchsorted(e_sorted, ut, side="left"))
        e_order = np.argsort(entry, kind="stable")
        e_pos = 0
    dn = np.zeros((m, n_causes))
    ev = code > 0
    np.add.at(dn, (inv[ev], code[ev] - 1), 1.0)
    lam = dn / y[:, None]
    lam_all = lam.sum(axis=1)
    at_risk = (np.bincount(unit, minlength=n_units).astype(float) if entry is None
               else np.zeros(n_units))
    order = np.argsort(inv, kind="stable")
    starts = np.searchsorted(inv[order], np.arange(m + 1))
    s_prev, d_s = 1.0, np.zeros(n_units)
    cif = np.zeros((m, n_causes))
    se = np.zeros((m, n_causes))
    surv = np.zeros(m)
    f_prev, d_f = np.zeros(n_causes), np.zeros((n_units, n_causes))
    for j in range(m):
        idx = order[starts[j] : starts[j + 1]]  # subjects whose time is ut[j]
        if entry is not None:  # rows that entered before ut[j] join the risk set
            while e_pos < n and entry[e_order[e_pos]] < ut[j]:
                at_risk[unit[e_order[e_pos]]] += 1.0
                e_pos += 1
        # derivative of each cause-specific hazard increment w.r.t. each unit's weight
        d_lam = -(at_risk[:, None] * lam[j][None, :]) / y[j]
        e = idx[code[idx] > 0]
        np.add.at(d_lam, (unit[e], code[e] - 1), 1.0 / y[j])
        d_lam_all = d_lam.sum(axis=1)
        d_f = d_f + d_s[:, None] * lam[j][None, :] + s_prev * d_lam
        f_prev = f_prev + s_prev * lam[j]
        d_s = d_s * (1 - lam_all[j]) - s_prev * d_lam_all
        s_prev = s_prev * (1 - lam_all[j])
        cif[j], surv[j] = f_prev, s_prev
        se[j] = np.sqrt((d_f**2).sum(axis=0))
        np.subtract.at(at_risk, unit[idx], 1.0)
    return {"time": ut, "n_risk": y, "n_event": dn, "cif": cif, "se": se, "surv": surv}


@dataclass(frozen=True, eq=False)
class CompetingRisksResult(Result):
    """Cumulative incidence curves of competing events (e.g. promotion-ready vs exit).

    ``steps`` (long): ``group, event, time, n_risk, n_event, cif, std_error, ci_low,
    ci_high`` at every distinct time (steps with fewer than ``min_at_risk`` at risk are not
    kept). ``to_frame()`` reports the cumulative incidence at ``times``.

    Parameters
    ----------
    steps : DataFrame
        The long table above.
    at_times : DataFrame
        The cumulative incidence at the requested times (the ``to_frame()`` rows).
    events : tuple
        The event types (censoring excluded).
    event_of_interest : object or None
        The event reported first (None: all events alike).
    group : str or None
        Grouping column (one set of curves per level).
    cluster : str or None
        Cluster column of the standard errors.
    ci : str
        Interval scale: ``"log"``, ``"log-log"`` or ``"plain"``.
    ci_level : float
        Confidence level.
    min_at_risk : int or None
        Steps with fewer people at risk are not kept.
    n : int
        People (rows) analysed.
    n_by_event : dict of str to int
        Events of each type.
    missing : MissingReport
        Rows dropped for missing values, by column.
    design_cautions : tuple of Caution
        Cautions about the design (e.g. a treatment that starts after the time origin).

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> df = pd.DataFrame({"months": [2, 4, 4, 6, 9, 12], "outcome": ["exit", "promoted", 0,
    ...                    "exit", "promoted", 0]})
    >>> res = cs.survival.competing_risks(df, "months", "outcome", "exit", times=[12])
    >>> res.n, res.n_by_event["exit"]
    (6, 2)
    """

    steps: pd.DataFrame
    at_times: pd.DataFrame
    events: tuple[Hashable, ...]
    event_of_interest: Hashable | None
    group: str | None
    cluster: str | None
    ci: str
    ci_level: float
    min_at_risk: int | None
    n: int
    n_by_event: dict[str, int]
    missing: MissingReport = field(repr=False, compare=False)
    design_cautions: tuple[Caution, ...] = field(default=(), repr=False, compare=False)

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """An immortal-time caution when a group that starts during follow-up was allowed."""
        return tuple(self.design_cautions)

    @property
    def title(self) -> str:
        by = f" by {self.group}" if self.group else ""
        return f"Cumulative incidence (Aalen-Johansen){by}"

    @property
    def n_dropped(self) -> int:
        """Rows left out for missing values (``dropna=True``)."""
        return self.missing.n_dropped

    @property
    def dropped(self) -> dict[str, int]:
        return missing_reasons(self.missing.n_dropped, self.missing.by_column)

    @property
    def notes(self) -> list[str]:
        counts = ", ".join(f"{k}: {v:,}" for k, v in self.n_by_event.items())
        var = (
            f"infinitesimal-jackknife SEs summed within {self.cluster!r}"
            if self.cluster
            else "infinitesimal-jackknife SEs (as R survfit for multi-state data)"
        )
        out = [
            f"{self.n:,} subjects ({counts}); {var}; {self.ci_level:.0%} pointwise intervals "
            f"on the {self.ci!r} scale.",
            "Each curve is the probability of that event happening first by time t; the "
            "curves plus the event-free share sum to 1 (1 - KM would overstate each risk).",
        ]
        if self.min_at_risk:
            out.append(f"Steps with fewer than {self.min_at_risk} at risk are hidden (privacy).")
        if self.missing.n_dropped:
            out.append(f"{self.missing.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "Censoring (end of follow-up, other losses) is independent of both event types.",
            "The event types are exhaustive and mutually exclusive: whichever comes first ends "
            "follow-up for the others.",
        ]

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for r in self.at_times.to_dict("records"):
            if self.event_of_interest is not None and r["event"] != self.event_of_interest:
                continue
            suffix = f" ({self.group}={r['group']})" if self.group else ""
            rows.append(
                {
                    "term": f"{r['event']} by {r['time']:g}{suffix}",
                    "estimate": r["cif"],
                    "std_error": r["std_error"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "ci_level": self.ci_level,
                    "event": r["event"],
                    "group": r["group"],
                    "time": r["time"],
                    "n_risk": r["n_risk"],
                }
            )
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Cumulative incidence step curves with bands; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :func:`coachstats.plotting.km.plot_cif`: ``band`` (draw the pointwise
            band, default True) and ``events`` (which event types to draw).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from ..plotting.km import plot_cif

        return plot_cif(self, ax=ax, **kwargs)


@renamed_arguments(min_at_risk="min_group_size")
def competing_risks(
    data: pd.DataFrame,
    duration: str,
    event: str,
    event_of_interest: Hashable | None = None,
    *,
    events: Sequence[Hashable] | None = None,
    censor: Hashable = 0,
    group: str | None = None,
    cluster: str | None = None,
    times: Sequence[float] | None = None,
    ci: str = "log",
    ci_level: float = 0.95,
    start: str | None = None,
    person: str | None = None,
    min_group_size: int | None = None,
    immortal_time: str = "refuse",
    dropna: bool = False,
) -> CompetingRisksResult:
    """Aalen-Johansen cumulative incidence of competing events, optionally by group.

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    duration : str
        Follow-up time to the first event or censoring (non-negative).
    event : str
        Column coding which event ended follow-up (e.g. "exit", "promotion") or ``censor``.
    event_of_interest : optional
        The event type ``to_frame()`` reports (default: all declared types).
    events : sequence, optional
        The declared event codes; any other code except ``censor`` raises. Default: every
        observed code other than ``censor``.
    censor : default 0
        The code for censored follow-up (e.g. 0 or "censored").
    group : str, optional
        Column defining separate curves.
    cluster : str, optional
        Column of cluster ids (e.g. manager): the jackknife influences are summed within
        cluster before squaring (R ``survfit(..., cluster=)``).
    times : sequence of float, optional
        Horizons reported by ``to_frame()`` (default: the last time of each curve).
    ci : {"log", "log-log", "plain"}
        Interval scale for the cumulative incidence; "log" is R survfit's default.
    ci_level : float
    start : str, optional
        Column with the entry time (delayed entry): a row is at risk over (start, duration].
    person : str, optional
        Person identifier; with it the privacy count of a group is of distinct people.
    min_group_size : int, optional
        Privacy threshold (default 5, floor 3): steps with fewer at risk are dropped, and a
        group with fewer people is refused.
    immortal_time : {"refuse", "allow"}
        A ``group`` marked as starting after the time origin is refused unless "allow".
    dropna : bool

    Returns
    -------
    CompetingRisksResult

    Notes
    -----
    Written in NumPy: statsmodels has no Aalen-Johansen estimator, and lifelines (which
    has one) caps pandas below 3. Estimates and standard errors agree with R
    ``survfit(Surv(time, factor_event) ~ 1)`` (tests/reference/survival_cif.R).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"months": [2, 4, 4, 6, 9, 12], "outcome": ["exit", "promoted", 0,
    ...                    "exit", "promoted", 0]})
    >>> res = competing_risks(df, "months", "outcome", "exit", times=[6], min_group_size=3)
    >>> round(float(res.to_frame()["estimate"].iloc[0]), 3)
    0.389
    """
    z = check_ci(ci, ci_level)
    min_at_risk = resolve_min_group_size(min_group_size)
    design_cautions = immortal_time_check(data, [group], policy=immortal_time,
                                          where="survival.competing_risks")
    frame, missing = prepare(
        data,
        {"duration": duration, "event": event, "group": group, "cluster": cluster,
         "start": start, "person": person},
        numeric=["duration", "start"],
        dropna=dropna,
    )
    t = check_durations(frame, duration)
    entry = check_episodes(frame, start, duration) if start else None
    check_clusters(frame, cluster)
    code, declared = coded_events(frame, event, events, censor)
    if event_of_interest is not None and event_of_interest not in declared:
        raise ValueError(
            f"event_of_interest={event_of_interest!r} is not among the event codes "
            f"{declared!r}; choose one of them."
        )
    keys = frame[group] if group else pd.Series("all", index=frame.index)
    levels = list(pd.unique(keys))
    try:
        levels = sorted(levels)
    except TypeError:
        pass
    unit_all = pd.factorize(frame[cluster])[0] if cluster else None
    steps, at_rows = [], []
    for g in levels:
        msk = (keys == g).to_numpy()
        n_people = frame.loc[msk, person].nunique() if person else int(msk.sum())
        if n_people < min_at_risk:
            raise ValueError(
                f"group {g!r} of {group!r} has {n_people} "
                f"{'distinct people' if person else 'rows'}, fewer than "
                f"min_group_size={min_at_risk}: its curves would describe individuals. Merge "
                "it with another group or leave it out.")
        unit = pd.factorize(unit_all[msk])[0] if cluster else None
        if unit is None and person:
            unit = pd.factorize(frame.loc[msk, person])[0]
        aj = aalen_johansen(t[msk], code[msk], len(declared), unit,
                            entry=None if entry is None else entry[msk])
        for k, ev in enumerate(declared):
            p, se = aj["cif"][:, k], aj["se"][:, k]
            with np.errstate(divide="ignore", invalid="ignore"):
                se_log = np.where(se == 0, 0.0, se / p)
            lo, hi = prob_interval(p, se_log, z, ci)
            lo, hi = np.where(p == 0, np.nan, lo), np.where(p == 0, np.nan, hi)
            st = pd.DataFrame({"group": g, "event": ev, "time": aj["time"],
                               "n_risk": aj["n_risk"].astype(int),
                               "n_event": aj["n_event"][:, k].astype(int), "cif": p,
                               "std_error": se, "ci_low": lo, "ci_high": hi})
            horizons = [float(aj["time"][-1])] if times is None else list(times)
            for h in horizons:
                i = np.searchsorted(st["time"].to_numpy(), h, side="right") - 1
                later = st.loc[st["time"] >= h, "n_risk"]
                n_risk = int(later.iloc[0]) if len(later) else 0
                hidden = min_at_risk is not None and n_risk < min_at_risk
                if hidden or (len(later) == 0 and h > st["time"].iloc[-1]):
                    vals = dict(cif=np.nan, std_error=np.nan, ci_low=np.nan, ci_high=np.nan)
                elif i < 0:
                    vals = dict(cif=0.0, std_error=0.0, ci_low=np.nan, ci_high=np.nan)
                else:
                    vals = st.iloc[i][["cif", "std_error", "ci_low", "ci_high"]].to_dict()
                at_rows.append({"group": g, "event": ev, "time": h, "n_risk": n_risk, **vals})
            if min_at_risk is not None:
                st = st.loc[st["n_risk"] >= min_at_risk]
            steps.append(st)
    counts = {str(ev): int((code == k).sum()) for k, ev in enumerate(declared, start=1)}
    counts["censored"] = int((code == 0).sum())
    return CompetingRisksResult(
        steps=pd.concat(steps, ignore_index=True),
        at_times=pd.DataFrame(at_rows),
        events=tuple(declared),
        event_of_interest=event_of_interest,
        group=group,
        cluster=cluster,
        ci=ci,
        ci_level=float(ci_level),
        min_at_risk=min_at_risk,
        n=len(frame),
        n_by_event=counts,
        missing=missing,
        design_cautions=design_cautions,
    )
