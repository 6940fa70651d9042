"""Employee engagement surveys under a staggered roll-out of manager coaching.

Employees ``i`` sit in teams ``j`` led by managers ``m``; everyone answers an engagement
survey each quarter ``t = 1..periods``. Manager ``m`` starts coaching in quarter ``g_m``
(a cohort; ``0`` = never coached). The latent engagement score is::

    eta_it = mean + period_t + u_m + v_j + w_i + tau(g_m, t) + e_it

- ``u_m ~ N(0, var_manager)``, ``v_j ~ N(0, var_team)``, ``w_i ~ N(0, var_employee)``:
  persistent manager, team and person effects; ``e_it ~ N(0, var_occasion)``: the quarter's
  own fluctuation (independent across quarters);
- ``period_t = period_trend * (t - 1) + N(0, period_sd^2)``: shocks shared by everyone;
- ``tau(g, t) = effect + effect_growth * (t - g)`` for coached managers from quarter ``g`` on
  (zero before: no anticipation), the same for every cohort at a given event time;
- cohorts are assigned to managers at random (a share ``never_share`` is never coached, the
  rest split evenly over ``cohorts``), so untreated outcomes follow parallel trends on any
  scale.

Engagement is measured as the mean of ``n_items`` Likert items: item ``k`` is
``1 + #{c in (1.5, 2.5, 3.5, 4.5): eta_it + d_k + eps_ikt > c}`` with item offsets ``d_k``
evenly spaced on ``[-item_spread, item_spread]`` and ``eps_ikt ~ N(0, item_sd^2)``. With
``n_items=0`` engagement is the latent score itself.

Each team has ``team_size`` positions (per team ``max(3, Poisson(team_size))``); each quarter
after the first, each position's holder leaves with probability ``turnover`` and a new
employee (new person effect) takes the place, so panels of people are unbalanced while teams
are observed every quarter.

Truth. On the latent scale the group-time effect is ``tau(g, t)``. On the observed (Likert
mean) scale it is the population expectation, exact in closed form because every component
is normal: with ``S^2 = var_manager + var_team + var_employee + var_occasion + item_sd^2``,
``E[item_k | t, tau] = 1 + sum_c Phi((mean + period_t + tau + d_k - c) / S)`` and
``ATT(g, t) = mean_k E[item_k | t, tau(g, t)] - E[item_k | t, 0]``. ``att`` is the simple
aggregation of Callaway & Sant'Anna (2021) at team level: the average of the post-treatment
``ATT(g, t)`` (``t >= g``) weighted by the number of teams in cohort ``g`` (the realised
counts, as the estimator weights them). ``event_time[e]`` averages ``ATT(g, g + e)`` over
cohorts observed at ``e``, weighted the same way (the "dynamic" aggregation).

Variance components are on the latent scale. ``manager_share_between_teams =
var_manager / (var_manager + var_team)`` is the share of the variance of true team means
that lies between managers; ``icc_manager = var_manager / (var_manager + var_team +
var_employee + var_occasion)`` is the share of one person's latent score variance. The
defaults give a manager share of about 0.7 while the individual ICC is about 0.12: the
"managers account for 70% of the variance in team engagement" claim (Gallup, *State of the
American Manager*, 2015) concerns team means, not individuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_positive, check_probability
from ._base import SimulatedData

__all__ = ["EngagementTruth", "engagement_panel", "likert_expectation"]

_CUTS = np.array([1.5, 2.5, 3.5, 4.5])


@dataclass(frozen=True)
class EngagementTruth:
    """True values behind a generated engagement panel.

    Attributes
    ----------
    att, att_latent : float
        Simple-aggregation ATT (team-weighted, post-treatment cells) on the observed and
        latent scales.
    event_time, event_time_latent : dict
        Event time ``e`` (``>= 0``) -> dynamic-aggregation effect.
    group_time : list of dict
        One record per cohort and quarter: ``cohort, time, event_time, att, att_latent``
        (zero before treatment).
    group : dict
        Cohort -> average post-treatment effect of that cohort (observed scale).
    var_manager, var_team, var_employee, var_occasion, var_item : float
        Latent-scale variance components (``var_item`` = one item's measurement error).
    manager_share_between_teams, icc_manager, icc_team : float
        Shares of variance (see the module docstring).
    period_effects : dict
        Quarter -> shared period shock (latent scale).
    n_teams_by_cohort : dict
        Cohort (0 = never) -> number of teams.
    """

    att: float
    att_latent: float
    event_time: dict[int, float]
    event_time_latent: dict[int, float]
    group_time: list[dict[str, float]]
    group: dict[int, float]
    var_manager: float
    var_team: float
    var_employee: float
    var_occasion: float
    var_item: float
    manager_share_between_teams: float
    icc_manager: float
    icc_team: float
    period_effects: dict[int, float]
    n_teams_by_cohort: dict[int, int]

    def terms(self) -> dict[str, float]:
        """Flat ``term -> value`` map matching the ``did`` estimators' term names."""
        out = {"att": self.att}
        out |= {f"event_time[{e}]": v for e, v in self.event_time.items()}
        out |= {f"group[{g}]": v for g, v in self.group.items()}
        return out


def likert_expectation(
    location: np.ndarray | float, scale: float, offsets: np.ndarray
) -> np.ndarray:
    """Expected mean of 1-5 Likert items given a normal latent location.

    ``E = mean_k (1 + sum_c Phi((location + d_k - c) / scale))`` for cut points ``c = 1.5,
    2.5, 3.5, 4.5``; ``scale`` is the SD of latent score plus item noise.
    """
    loc = np.asarray(location, float)[..., None, None]
    z = (loc + offsets[:, None] - _CUTS) / scale
    return 1.0 + ndtr(z).sum(axis=-1).mean(axis=-1)


def _check_cohorts(cohorts: Sequence[int], periods: int) -> tuple[int, ...]:
    try:
        cs = tuple(int(c) for c in cohorts)
    except (TypeError, ValueError):
        raise TypeError(
            f"cohorts must be a sequence of integer quarters, got {cohorts!r}."
        ) from None
    if not cs:
        raise ValueError("cohorts must name at least one coaching start quarter.")
    if any(c != float(c0) for c, c0 in zip(cs, cohorts, strict=True)):
        raise TypeError(f"cohorts must be integer quarters, got {cohorts!r}.")
    if len(set(cs)) != len(cs):
        raise ValueError(f"cohorts must be distinct, got {cohorts!r}.")
    bad = [c for c in cs if not 2 <= c <= periods]
    if bad:
        raise ValueError(
            f"cohorts must lie in 2..periods={periods} (a cohort needs a pre-period and must "
            f"start within the panel), got {bad}."
        )
    return tuple(sorted(cs))


def engagement_panel(
    n_managers: int = 120,
    *,
    teams_per_manager: int | tuple[int, int] = (1, 3),
    team_size: int = 8,
    periods: int = 8,
    cohorts: Sequence[int] = (3, 4, 5, 6),
    never_share: float = 0.3,
    effect: float = 0.15,
    effect_growth: float = 0.03,
    turnover: float = 0.05,
    n_items: int = 5,
    item_sd: float = 0.6,
    item_spread: float = 0.15,
    mean: float = 3.6,
    var_manager: float = 0.045,
    var_team: float = 0.02,
    var_employee: float = 0.20,
    var_occasion: float = 0.10,
    period_trend: float = 0.02,
    period_sd: float = 0.03,
    rng: RNGLike = None,
) -> SimulatedData:
    """Simulate quarterly engagement surveys of employees in teams under coached managers.

    The model is described in the module docstring (:mod:`coachstats.simulate.engagement`).

    Parameters
    ----------
    n_managers : int
        Number of managers.
    teams_per_manager : int or (int, int)
        Teams per manager, fixed or drawn uniformly from the inclusive range.
    team_size : int
        Mean number of positions per team (each team: ``max(3, Poisson(team_size))``).
    periods : int
        Number of quarters (labelled ``1..periods``).
    cohorts : sequence of int
        Quarters in which coaching starts (each in ``2..periods``).
    never_share : float
        Share of managers never coached (``coached_from = 0``); must leave managers for
        every cohort.
    effect, effect_growth : float
        Latent effect at the start of coaching and its growth per quarter since then.
    turnover : float
        Quarterly probability that a position's holder is replaced.
    n_items : int
        Likert items per survey (``0``: engagement is the continuous latent score).
    item_sd, item_spread : float
        Item noise SD and the half-range of item offsets (item difficulty).
    mean : float
        Latent mean in quarter 1 (on the 1-5 metric).
    var_manager, var_team, var_employee, var_occasion : float
        Latent variance components.
    period_trend, period_sd : float
        Linear trend per quarter and SD of shared quarterly shocks.
    rng : int, Generator or None
        Random source.

    Returns
    -------
    SimulatedData
        ``data``: one row per employee and quarter with columns ``employee, team, manager,
        quarter, coached_from, coached, engagement, engagement_latent``; ``truth``:
        :class:`EngagementTruth`.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=30, rng=1)
    >>> sorted(sim.data["coached_from"].unique().tolist())
    [0, 3, 4, 5, 6]
    >>> round(sim.truth.manager_share_between_teams, 2)
    0.69
    """
    params: dict[str, Any] = {k: v for k, v in locals().items() if k != "rng"}
    check_int(n_managers, "n_managers", minimum=2)
    if isinstance(teams_per_manager, tuple | list):
        if len(teams_per_manager) != 2:
            raise ValueError("teams_per_manager must be an int or a (low, high) pair, got "
                             f"{teams_per_manager!r}.")
        t_lo, t_hi = teams_per_manager
        check_int(t_lo, "teams_per_manager", minimum=1)
        check_int(t_hi, "teams_per_manager", minimum=int(t_lo))
    else:
        check_int(teams_per_manager, "teams_per_manager", minimum=1)
        t_lo = t_hi = teams_per_manager
    check_int(team_size, "team_size", minimum=1)
    check_int(periods, "periods", minimum=2)
    cs_ = _check_cohorts(cohorts, periods)
    check_probability(never_share, "never_share", open="high")
    check_probability(turnover, "turnover", open="high")
    check_int(n_items, "n_items", minimum=0)
    for name, val in (("effect", effect), ("effect_growth", effect_growth), ("mean", mean),
                      ("period_trend", period_trend)):
        if not np.isfinite(val):
            raise ValueError(f"{name} must be finite, got {val!r}.")
    for name, val in (("var_manager", var_manager), ("var_team", var_team),
                      ("var_employee", var_employee), ("var_occasion", var_occasion),
                      ("item_sd", item_sd), ("item_spread", item_spread),
                      ("period_sd", period_sd)):
        check_positive(val, name, allow_zero=True)
    if var_manager + var_team + var_employee + var_occasion <= 0:
        raise ValueError("var_manager + var_team + var_employee + var_occasion must be > 0.")
    n_treat = n_managers - round(never_share * n_managers)
    if n_treat < len(cs_):
        raise ValueError(
            f"never_share={never_share} leaves {n_treat} coached managers for {len(cs_)} "
            "cohorts; lower never_share or raise n_managers."
        )

    r = as_generator(rng)
    # managers: cohorts by even allocation, randomly permuted
    n_never = n_managers - n_treat
    alloc = [0] * n_never + [cs_[i % len(cs_)] for i in range(n_treat)]
    mgr_cohort = r.permutation(np.array(alloc, dtype=np.int64))
    u = r.normal(0.0, np.sqrt(var_manager), n_managers)
    n_teams_m = r.integers(t_lo, t_hi + 1, n_managers)
    team_mgr = np.repeat(np.arange(n_managers), n_teams_m)
    n_teams = team_mgr.size
    v = r.normal(0.0, np.sqrt(var_team), n_teams)
    sizes = np.maximum(3, r.poisson(team_size, n_teams)) if team_size > 3 else np.full(
        n_teams, team_size)
    pos_team = np.repeat(np.arange(n_teams), sizes)
    n_pos = pos_team.size
    period = period_trend * np.arange(periods) + r.normal(0.0, period_sd, periods)

    # occupants: each quarter a position's holder is replaced with probability `turnover`
    leave = r.random((periods, n_pos)) < turnover
    leave[0] = False
    new_count = np.cumsum(leave, axis=0)  # replacements so far per position
    # employee id: positions first (0..n_pos-1), then replacements numbered in order
    n_new = int(leave.sum())
    order = np.zeros_like(leave, dtype=np.int64)
    order[leave] = np.arange(n_new) + n_pos  # id of each newcomer (row-major: by quarter)
    # the current holder = last newcomer id in this position so far, else the original
    last = np.where(leave, order, -1)
    last = np.maximum.accumulate(last, axis=0)
    emp = np.where(new_count > 0, last, np.arange(n_pos)[None, :])
    w = r.normal(0.0, np.sqrt(var_employee), n_pos + n_new)

    t_idx = np.repeat(np.arange(periods), n_pos)  # 0-based quarter, row-major (t, position)
    pos = np.tile(np.arange(n_pos), periods)
    team = pos_team[pos]
    mgr = team_mgr[team]
    g = mgr_cohort[mgr]
    quarter = t_idx + 1
    treated = (g > 0) & (quarter >= g)
    tau = np.where(treated, effect + effect_growth * (quarter - g), 0.0)
    e_id = emp.reshape(-1)
    eta = (mean + period[t_idx] + u[mgr] + v[team] + w[e_id] + tau
           + r.normal(0.0, np.sqrt(var_occasion), t_idx.size))
    offsets = (np.linspace(-item_spread, item_spread, n_items) if n_items > 1
               else np.zeros(max(n_items, 1)))
    if n_items > 0:
        noise = r.normal(0.0, item_sd, (t_idx.size, n_items))
        items = 1 + ((eta[:, None] + offsets[None, :] + noise)[:, :, None] > _CUTS).sum(-1)
        y = items.mean(axis=1)
    else:
        y = eta

    df = pd.DataFrame({
        "employee": e_id.astype(np.int64),
        "team": team.astype(np.int64),
        "manager": mgr.astype(np.int64),
        "quarter": quarter.astype(np.int64),
        "coached_from": g.astype(np.int64),
        "coached": treated.astype(np.int64),
        "engagement": y,
        "engagement_latent": eta,
    })
    df = df.sort_values(["manager", "team", "employee", "quarter"], kind="stable")
    df = df.reset_index(drop=True)

    # truth ------------------------------------------------------------------------------
    total = var_manager + var_team + var_employee + var_occasion
    scale = float(np.sqrt(total + item_sd**2))
    n_by_g = {int(c): int(np.sum(mgr_cohort[team_mgr] == c)) for c in (0, *cs_)}
    loc = mean + period

    def observed(t0: int, eff: float) -> float:
        if n_items == 0:
            return eff
        e1, e0 = likert_expectation(np.array([loc[t0] + eff, loc[t0]]), scale, offsets)
        return float(e1 - e0)

    gt = []
    for c in cs_:
        for t in range(1, periods + 1):
            lat = effect + effect_growth * (t - c) if t >= c else 0.0
            gt.append({"cohort": c, "time": t, "event_time": t - c,
                       "att": observed(t - 1, lat) if t >= c else 0.0, "att_latent": lat})
    post = [x for x in gt if x["event_time"] >= 0 and n_by_g[x["cohort"]] > 0]
    wts = np.array([n_by_g[x["cohort"]] for x in post], float)

    def wavg(rows: list[dict[str, float]], key: str) -> float:
        ww = np.array([n_by_g[x["cohort"]] for x in rows], float)
        return float(np.sum(ww * [x[key] for x in rows]) / ww.sum())

    ev = sorted({x["event_time"] for x in post})
    truth = EngagementTruth(
        att=float(np.sum(wts * [x["att"] for x in post]) / wts.sum()),
        att_latent=float(np.sum(wts * [x["att_latent"] for x in post]) / wts.sum()),
        event_time={e: wavg([x for x in post if x["event_time"] == e], "att") for e in ev},
        event_time_latent={e: wavg([x for x in post if x["event_time"] == e], "att_latent")
                           for e in ev},
        group_time=gt,
        group={c: float(np.mean([x["att"] for x in post if x["cohort"] == c]))
               for c in cs_ if n_by_g[c] > 0},
        var_manager=float(var_manager),
        var_team=float(var_team),
        var_employee=float(var_employee),
        var_occasion=float(var_occasion),
        var_item=float(item_sd**2),
        manager_share_between_teams=(float(var_manager / (var_manager + var_team))
                                     if var_manager + var_team > 0 else float("nan")),
        icc_manager=float(var_manager / total),
        icc_team=float((var_manager + var_team) / total),
        period_effects={t + 1: float(period[t]) for t in range(periods)},
        n_teams_by_cohort=n_by_g,
    )
    params["cohorts"] = list(cs_)
    if isinstance(teams_per_manager, tuple | list):
        params["teams_per_manager"] = [int(t_lo), int(t_hi)]
    return SimulatedData(data=df, truth=truth, params=params)
