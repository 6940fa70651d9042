"""One organisation's engagement survey series before and after a program, with donor units.

The seed article's culture-change story: one company, about 1,100 leaders through a
nine-month program, no control group, a long series of engagement surveys. Unit ``j``
(``"focal"`` or a donor ``"D01"...``) has mean engagement in wave ``t = 1..waves``::

    y_jt = mu_j + trend (t - 1) + lambda_j f_t + effect_jt + e_jt
    f_t = f_{t-1} + N(0, factor_sd^2)                     (shared shocks, unit loadings)
    e_jt = ar e_j,t-1 + N(0, noise_sd^2 (1 - ar^2))      (stationary AR(1), SD noise_sd)
    effect_jt = [j focal, t >= t0] (level_change + slope_change (t - t0))

Donors have ``mu_j ~ N(3.6, 0.15^2)`` and ``lambda_j ~ U(0.5, 1.5)``; the focal unit's
``mu`` and ``lambda`` are a convex combination of four donors (``truth.donor_weights``), so
a synthetic control can reproduce its untreated path. ``outside_hull = d > 0`` raises the
focal unit's loading to ``d`` above the largest donor loading: no convex combination of
donors then tracks it, the classic synthetic control is biased by the shared shocks, and the
augmented one (which may extrapolate) is not. With ``factor_sd = 0`` (and any number of
donors) the focal series follows a straight line plus AR(1) noise, the interrupted time
series model. ``respondents=n`` adds a ``respondents`` column (``n`` distinct people behind
every wave mean) for the privacy check of the estimators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_number, check_positive
from ._base import SimulatedData


@dataclass(frozen=True)
class EngagementSeriesTruth:
    """True program effects on the focal unit and the donor weights of its untreated path."""

    level_change: float
    slope_change: float
    effect: dict[int, float]
    att_post: float
    intervention: int
    donor_weights: dict[str, float]
    outside_hull: float = 0.0


def engagement_series(
    waves: int = 24,
    *,
    intervention: int = 13,
    level_change: float = 0.15,
    slope_change: float = 0.01,
    n_donors: int = 20,
    trend: float = 0.005,
    factor_sd: float = 0.02,
    noise_sd: float = 0.04,
    ar: float = 0.4,
    outside_hull: float = 0.0,
    respondents: int | None = None,
    rng: RNGLike = None,
) -> SimulatedData:
    """Engagement means per survey wave for one organisation and comparable donor units.

    Parameters
    ----------
    waves : int
        Survey waves (e.g. quarters).
    intervention : int
        First wave under the program.
    level_change, slope_change : float
        True jump at ``intervention`` and change in slope per wave (0, 0: no effect).
    n_donors : int
        Comparison units never exposed (0 for the focal series alone).
    trend : float
        Common linear trend per wave.
    factor_sd : float
        SD of the shared random-walk shocks (0: no shared shocks).
    noise_sd : float
        Marginal SD of each unit's own AR(1) noise.
    ar : float
        AR(1) coefficient of the noise, in (-1, 1).
    outside_hull : float
        How far the focal unit's factor loading lies above the largest donor loading (0: a
        convex combination of four donors, which a synthetic control can match).
    respondents : int, optional
        Adds a ``respondents`` column: the number of distinct people behind each wave mean.
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data``: ``unit, wave, engagement, treated, post``; ``truth``:
        :class:`EngagementSeriesTruth`.

    Examples
    --------
    >>> sim = engagement_series(rng=1)
    >>> sim.truth.effect[13]
    0.15
    """
    check_int(waves, "waves", minimum=6)
    check_int(intervention, "intervention", minimum=2)
    if not 3 < intervention <= waves - 2:
        raise ValueError(f"intervention must leave at least 3 waves before and 3 from it on; "
                         f"got intervention={intervention} with waves={waves}.")
    check_int(n_donors, "n_donors", minimum=0)
    if 0 < n_donors < 4:
        raise ValueError(f"n_donors must be 0 or at least 4, got {n_donors}.")
    check_positive(factor_sd, "factor_sd", allow_zero=True)
    check_positive(noise_sd, "noise_sd")
    check_number(ar, "ar", low=-1, high=1, low_open=True, high_open=True)
    if check_positive(outside_hull, "outside_hull", allow_zero=True) > 0 and n_donors == 0:
        raise ValueError("outside_hull needs donors (n_donors >= 4).")
    if respondents is not None:
        check_int(respondents, "respondents", minimum=1)
    g = as_generator(rng)
    nd = n_donors
    mu_d = g.normal(3.6, 0.15, nd)
    lam_d = g.uniform(0.5, 1.5, nd)
    w = np.zeros(nd)
    if nd:
        pick = g.choice(nd, size=4, replace=False)
        w[pick] = g.dirichlet(np.ones(4))
        mu_f, lam_f = float(w @ mu_d), float(w @ lam_d)
        if outside_hull > 0:
            lam_f = float(lam_d.max()) + outside_hull
    else:
        mu_f, lam_f = 3.6, 1.0
    mu = np.r_[mu_f, mu_d]
    lam = np.r_[lam_f, lam_d]
    t = np.arange(1, waves + 1)
    f = np.cumsum(g.normal(0, factor_sd, waves)) if factor_sd > 0 else np.zeros(waves)
    e = np.empty((nd + 1, waves))
    e[:, 0] = g.normal(0, noise_sd, nd + 1)
    innov = noise_sd * np.sqrt(1 - ar**2)
    for s in range(1, waves):
        e[:, s] = ar * e[:, s - 1] + g.normal(0, innov, nd + 1)
    eff = np.where(t >= intervention, level_change + slope_change * (t - intervention), 0.0)
    y = mu[:, None] + trend * (t - 1)[None, :] + lam[:, None] * f[None, :] + e
    y[0] += eff
    units = ["focal"] + [f"D{j + 1:02d}" for j in range(nd)]
    data = pd.DataFrame({
        "unit": np.repeat(units, waves),
        "wave": np.tile(t, nd + 1),
        "engagement": y.ravel(),
        "treated": np.repeat((np.arange(nd + 1) == 0).astype(int), waves),
        "post": np.tile((t >= intervention).astype(int), nd + 1),
    })
    if respondents is not None:
        data["respondents"] = int(respondents)
    post_eff = {int(s): round(float(v), 12) for s, v in zip(t, eff, strict=True)
                if s >= intervention}
    truth = EngagementSeriesTruth(
        level_change=level_change, slope_change=slope_change, effect=post_eff,
        att_post=float(np.mean(list(post_eff.values()))), intervention=intervention,
        donor_weights={units[j + 1]: float(w[j]) for j in range(nd) if w[j] > 0},
        outside_hull=float(outside_hull))
    params = {"waves": waves, "intervention": intervention, "level_change": level_change,
              "slope_change": slope_change, "n_donors": n_donors, "trend": trend,
              "factor_sd": factor_sd, "noise_sd": noise_sd, "ar": ar,
              "outside_hull": outside_hull, "respondents": respondents}
    return SimulatedData(data, truth, params)
