"""Retention and promotion-readiness of high-potential employees: competing risks with a
coaching effect, manager frailty and administrative censoring."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import integrate

from .._rng import RNGLike, as_generator
from .._validate import check_choice, check_int, check_positive, check_probability
from ..survival._guard import AFTER_ORIGIN
from ._base import SimulatedData

EVENTS = ("exit", "promotion")
CENSORED = "censored"


@dataclass(frozen=True)
class RetentionTruth:
    """The truth behind :func:`retention`.

    Hazard ratios are conditional on the manager (the frailty); ``cif`` holds the true
    population cumulative incidence of each event by coaching status at each horizon
    (averaged over managers, without censoring), as records ``event, coached, month, cif``.
    """

    hr_exit: float
    hr_promotion: float
    log_hr_exit: float
    log_hr_promotion: float
    exit_shape: float
    exit_scale: float
    promotion_shape: float
    promotion_scale: float
    frailty_var: float
    cif: list[dict]

    def cif_at(self, event: str, coached: int, month: float) -> float:
        for r in self.cif:
            if r["event"] == event and r["coached"] == coached and r["month"] == month:
                return float(r["cif"])
        raise KeyError(f"no true CIF for {event!r}, coached={coached}, month={month}.")


def _laplace(h: float, theta: float) -> float:
    """E[exp(-Z h)] for a gamma frailty with mean 1 and variance theta."""
    return float(np.exp(-h)) if theta == 0 else float((1 + theta * h) ** (-1 / theta))


def _laplace_d(h: float, theta: float) -> float:
    """E[Z exp(-Z h)] for the same frailty."""
    return float(np.exp(-h)) if theta == 0 else float((1 + theta * h) ** (-1 / theta - 1))


def true_cif(
    event: str, coached: int, month: float, *, hr_exit: float, hr_promotion: float,
    exit_shape: float, exit_scale: float, promotion_shape: float, promotion_scale: float,
    frailty_var: float,
) -> float:
    """Population cumulative incidence of ``event`` by ``month`` (numerical integration).

    CIF_k(t) = int_0^t E[Z_k h_k(s)] ... with independent gamma frailties for the two causes:
    int h_k(s) E[Z_k exp(-Z_k H_k(s))] E[exp(-Z_j H_j(s))] ds.
    """
    re = hr_exit**coached
    rp = hr_promotion**coached

    def hh(s: float) -> tuple[float, float, float, float]:
        he = re * exit_shape / exit_scale * (s / exit_scale) ** (exit_shape - 1)
        hp = rp * promotion_shape / promotion_scale * (s / promotion_scale) ** (
            promotion_shape - 1)
        return he, hp, re * (s / exit_scale) ** exit_shape, rp * (s / promotion_scale) ** (
            promotion_shape)

    def f(s: float) -> float:
        he, hp, ce, cp = hh(s)
        if event == "exit":
            return he * _laplace_d(ce, frailty_var) * _laplace(cp, frailty_var)
        return hp * _laplace_d(cp, frailty_var) * _laplace(ce, frailty_var)

    return float(integrate.quad(f, 0, month, limit=200, epsabs=1e-12, epsrel=1e-10)[0])


def _piecewise_weibull(e: np.ndarray, z: np.ndarray, s: np.ndarray, hr: float, shape: float,
                       scale: float) -> np.ndarray:
    """Event times whose Weibull hazard is multiplied by ``hr`` from time ``s`` on.

    Inverts H(t) = z (t/b)^a for t <= s and z [(s/b)^a + hr ((t/b)^a - (s/b)^a)] after, at a
    unit exponential draw ``e``.
    """
    u = e / z
    hs = np.where(np.isfinite(s), (np.minimum(s, 1e12) / scale) ** shape, np.inf)
    after = hs + (u - np.where(np.isfinite(hs), hs, 0.0)) / hr
    return scale * np.where(u <= hs, u, after) ** (1 / shape)


def _episodes(data: pd.DataFrame) -> pd.DataFrame:
    """Split each coached person's follow-up at the start of coaching: (start, stop] rows."""
    c = data["coached"].to_numpy() == 1
    before = data.loc[c].assign(start=0.0, stop=data.loc[c, "coached_month"], coached=0,
                                event=CENSORED)
    after = data.loc[c].assign(start=data.loc[c, "coached_month"], stop=data.loc[c, "months"],
                               coached=1)
    never = data.loc[~c].assign(start=0.0, stop=data.loc[~c, "months"])
    out = pd.concat([before, after, never]).sort_values(["employee", "start"], kind="stable")
    out = out.loc[:, ["employee", "manager", "start", "stop", "coached", "event"]]
    return out.reset_index(drop=True)


def retention(
    n_employees: int = 1000,
    n_managers: int = 150,
    *,
    coached_share: float = 0.5,
    hr_exit: float = 0.70,
    hr_promotion: float = 1.30,
    exit_shape: float = 1.0,
    exit_scale: float = 120.0,
    promotion_shape: float = 1.8,
    promotion_scale: float = 55.0,
    frailty_var: float = 0.3,
    follow_up: float = 36.0,
    accrual: float = 12.0,
    horizons: Sequence[float] = (12.0, 24.0, 30.0),
    coaching_start: tuple[float, float] | None = None,
    layout: str = "person",
    rng: RNGLike = None,
) -> SimulatedData:
    """Time to voluntary exit and to promotion-readiness of high-potential employees.

    The model: employees are spread over managers (each manager has at least one) and coached with
    probability ``coached_share`` (randomised per employee). Each manager m has two
    independent gamma frailties Z_exit,m and Z_promo,m with mean 1 and variance
    ``frailty_var`` (managers differ in how many people leave and move up). The
    cause-specific hazards are Weibull::

        h_exit(t)  = Z_exit  * hr_exit**coached      * (a_e / b_e) (t / b_e)**(a_e - 1)
        h_promo(t) = Z_promo * hr_promotion**coached * (a_p / b_p) (t / b_p)**(a_p - 1)

    with shapes a and scales b in months. The first of the two latent times is observed
    unless administrative censoring comes first: employees enter uniformly over the first
    ``accrual`` months and the study ends ``follow_up`` months after the first entry, so
    follow-up is between ``follow_up - accrual`` and ``follow_up`` months. Durations are
    recorded to 0.1 month (some ties, as in HR data).

    With ``coaching_start=(lo, hi)`` coaching begins during follow-up, as in real programmes:
    each employee drawn with probability ``coached_share`` is offered coaching at a time
    uniform on (lo, hi) months after hire, and is coached only if still employed, not yet
    promoted-ready and under observation then. The hazard ratios apply from the start of
    coaching on (a time-varying treatment), so "ever coached" as a baseline covariate
    suffers immortal-time bias: the data's ``attrs`` mark ``coached`` as starting at
    ``coached_month``, and the survival estimators refuse the baseline model. With
    ``layout="episodes"`` the same people come as (start, stop] episodes, split at the start
    of coaching (columns ``employee, manager, start, stop, coached, event``; the event sits
    on the last episode, earlier ones are "censored"), ready for ``cox(..., start="start")``.

    Defaults give 1,000 employees under 150 managers; by 36 months about a fifth of the
    uncoached have left and about 30% have become promotion-ready (coaching: about 15% and
    38%). Few remain under observation at 36 months, so the true cumulative incidence is
    reported at 12, 24 and 30 months by default.

    Parameters
    ----------
    n_employees : int, default 1000
        Employees.
    n_managers : int, default 150
        Managers (each has at least one employee).
    coached_share : float, default 0.5
        Probability that an employee is coached (or offered coaching).
    hr_exit : float, default 0.7
        Hazard ratio of coaching on voluntary exit.
    hr_promotion : float, default 1.3
        Hazard ratio of coaching on promotion-readiness.
    exit_shape, exit_scale : float, default 1.0 and 120.0
        Weibull shape and scale (months) of the exit hazard.
    promotion_shape, promotion_scale : float, default 1.8 and 55.0
        Weibull shape and scale (months) of the promotion hazard.
    frailty_var : float, default 0.3
        Variance of the managers' gamma frailties (mean 1).
    follow_up : float, default 36.0
        Months from the first entry to the end of the study.
    accrual : float, default 12.0
        Months over which employees enter.
    horizons : sequence of float, default (12.0, 24.0, 30.0)
        Months at which the true cumulative incidence is reported.
    coaching_start : tuple of (float, float), optional
        Coaching starts uniformly within these months after hire (time-varying treatment);
        None: coaching from hire.
    layout : {"person", "episodes"}, default "person"
        One row per person, or (start, stop] episodes split at the start of coaching.
    rng : int, Generator or None
        Random source.

    Returns
    -------
    SimulatedData
        ``data`` columns: ``employee, manager, coached, months, event`` with ``event`` one of
        "exit", "promotion", "censored" (with ``coaching_start`` also ``coached_month``:
        months from hire to the start of coaching, missing if never coached). ``truth``:
        :class:`RetentionTruth` (hazard ratios, Weibull baselines, frailty variance, true
        cumulative incidence at ``horizons`` when coaching is fixed at hire).

    Examples
    --------
    >>> sim = retention(rng=0)
    >>> sim.data.shape
    (1000, 5)
    >>> round(sim.truth.log_hr_exit, 3)
    -0.357
    """
    check_int(n_managers, "n_managers", minimum=1)
    check_int(n_employees, "n_employees", minimum=2)
    if n_employees < n_managers:
        raise ValueError(
            f"n_employees must be at least n_managers ({n_managers}), got {n_employees}."
        )
    check_probability(coached_share, "coached_share")
    for name, v in [("hr_exit", hr_exit), ("hr_promotion", hr_promotion),
                    ("exit_shape", exit_shape), ("exit_scale", exit_scale),
                    ("promotion_shape", promotion_shape), ("promotion_scale", promotion_scale),
                    ("follow_up", follow_up)]:
        check_positive(v, name)
    check_positive(frailty_var, "frailty_var", allow_zero=True)
    check_positive(accrual, "accrual", allow_zero=True)
    if accrual >= follow_up:
        raise ValueError(f"accrual must be shorter than follow_up ({follow_up}), got {accrual}.")
    horizons = [float(h) for h in horizons]
    for h in horizons:
        check_positive(h, "horizons")
    layout = check_choice(layout, "layout", ("person", "episodes"))
    if coaching_start is not None:
        lo, hi = (float(v) for v in coaching_start)
        if not (0 <= lo < hi):
            raise ValueError(
                f"coaching_start must be (lo, hi) with 0 <= lo < hi months, got {coaching_start}."
            )
    elif layout == "episodes":
        raise ValueError("layout='episodes' needs coaching_start=(lo, hi): with coaching "
                         "fixed at hire every person is a single episode.")
    g = as_generator(rng)

    extra = g.multinomial(n_employees - n_managers, np.full(n_managers, 1 / n_managers))
    manager = np.repeat(np.arange(n_managers), 1 + extra)
    coached = (g.random(n_employees) < coached_share).astype(int)
    if frailty_var > 0:
        k = 1 / frailty_var
        z_exit = g.gamma(k, frailty_var, n_managers)
        z_promo = g.gamma(k, frailty_var, n_managers)
    else:
        z_exit = z_promo = np.ones(n_managers)
    if coaching_start is None:
        rate_e = z_exit[manager] * hr_exit**coached
        rate_p = z_promo[manager] * hr_promotion**coached
        t_exit = exit_scale * (g.exponential(1.0, n_employees) / rate_e) ** (1 / exit_shape)
        t_promo = promotion_scale * (g.exponential(1.0, n_employees) / rate_p) ** (
            1 / promotion_shape)
        offer = np.full(n_employees, np.inf)
    else:
        offer = np.where(coached == 1, g.uniform(lo, hi, n_employees), np.inf)
        offer = np.where(np.isfinite(offer), np.round(offer, 1), np.inf)
        t_exit = _piecewise_weibull(g.exponential(1.0, n_employees), z_exit[manager], offer,
                                    hr_exit, exit_shape, exit_scale)
        t_promo = _piecewise_weibull(g.exponential(1.0, n_employees), z_promo[manager], offer,
                                     hr_promotion, promotion_shape, promotion_scale)
    censor = follow_up - g.uniform(0, accrual, n_employees) if accrual > 0 else np.full(
        n_employees, follow_up)
    t = np.minimum(np.minimum(t_exit, t_promo), censor)
    event = np.where(t == censor, CENSORED, np.where(t_exit < t_promo, "exit", "promotion"))
    months = np.maximum(np.round(t, 1), 0.1)
    data = pd.DataFrame(
        {
            "employee": np.arange(1, n_employees + 1),
            "manager": [f"M{m + 1:03d}" for m in manager],
            "coached": coached,
            "months": months,
            "event": event,
        }
    )
    if coaching_start is not None:
        began = offer < months  # coached only if still at risk when coaching was offered
        data["coached"] = began.astype(int)
        data["coached_month"] = np.where(began, offer, np.nan)
        data.attrs[AFTER_ORIGIN] = {"coached": "coached_month"}
        if layout == "episodes":
            data = _episodes(data)
    base = dict(hr_exit=hr_exit, hr_promotion=hr_promotion, exit_shape=exit_shape,
                exit_scale=exit_scale, promotion_shape=promotion_shape,
                promotion_scale=promotion_scale, frailty_var=frailty_var)
    cif = [] if coaching_start is not None else [  # CIF by arm is defined for baseline arms
        {"event": ev, "coached": c, "month": h, "cif": true_cif(ev, c, h, **base)}
        for ev in EVENTS for c in (0, 1) for h in horizons
    ]
    truth = RetentionTruth(
        hr_exit=hr_exit, hr_promotion=hr_promotion, log_hr_exit=float(np.log(hr_exit)),
        log_hr_promotion=float(np.log(hr_promotion)), exit_shape=exit_shape,
        exit_scale=exit_scale, promotion_shape=promotion_shape,
        promotion_scale=promotion_scale, frailty_var=frailty_var, cif=cif,
    )
    params = dict(n_employees=n_employees, n_managers=n_managers, coached_share=coached_share,
                  follow_up=follow_up, accrual=accrual, horizons=horizons, **base)
    if coaching_start is not None:
        params.update(coaching_start=[lo, hi], layout=layout)
    return SimulatedData(data=data, truth=truth, params=params)

