"""Leaders hand-picked into coaching: selection on observed traits (and optionally on an
unobserved one), with a known effect of coaching.

Each leader has a potential rating (standardized), tenure (years), a prior performance
rating (1-5 scale, rounded to 0.5) and a business unit. Coaching is assigned by a logistic
model in these (strength ``selection``) plus an unobserved trait ``ambition`` (strength
``hidden_selection``); the outcome, a later performance rating, depends on the same traits
(``ambition`` with strength ``hidden_outcome``) plus the effect of coaching, which grows
with potential (``effect + effect_heterogeneity * potential``), so the ATT differs from the
ATE. ``truth`` holds the sample ATT and ATE (means of the individual effects over the
coached and over everyone) and the bias of the raw difference in means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_positive, check_probability
from ._base import SimulatedData


@dataclass(frozen=True)
class SelectionTruth:
    """True effects of coaching in the generated sample."""

    att: float
    ate: float
    raw_difference: float
    raw_bias_att: float
    share_coached: float


def selection_into_coaching(
    n_leaders: int = 600,
    n_units: int = 6,
    *,
    effect: float = 0.30,
    effect_heterogeneity: float = 0.10,
    selection: float = 1.0,
    hidden_selection: float = 0.0,
    hidden_outcome: float = 0.0,
    baseline_share: float = 0.30,
    noise_sd: float = 0.5,
    rng: RNGLike = None,
) -> SimulatedData:
    """Leaders selected into coaching on potential, tenure, prior rating and unit.

    Parameters
    ----------
    n_leaders : int
        People (one row each).
    n_units : int
        Business units (a categorical covariate with unit-level selection and outcome shifts).
    effect : float
        Effect of coaching on the later rating at average potential (rating points).
    effect_heterogeneity : float
        Change in the effect per SD of potential (high potentials gain more).
    selection : float
        Strength of selection on the observed traits (0 = coaching assigned at random).
    hidden_selection, hidden_outcome : float
        Log-odds and rating-point effects of the unobserved trait ``ambition`` (standard
        normal, not in the data) on selection and on the outcome: set both to make the
        observed-covariate estimators biased by a known mechanism.
    baseline_share : float
        Approximate share coached.
    noise_sd : float
        Residual SD of the outcome.
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data`` columns: leader, unit, potential, tenure, prior_rating, coached (0/1),
        performance. ``truth``: :class:`SelectionTruth`.

    Examples
    --------
    >>> sim = selection_into_coaching(rng=1)
    >>> sorted(sim.data.columns)[:3]
    ['coached', 'leader', 'performance']
    >>> round(sim.truth.att - sim.truth.ate, 2) > 0
    True
    """
    check_int(n_leaders, "n_leaders", minimum=20)
    check_int(n_units, "n_units", minimum=1)
    check_positive(noise_sd, "noise_sd")
    check_probability(baseline_share, "baseline_share")
    params = dict(n_leaders=n_leaders, n_units=n_units, effect=effect,
                  effect_heterogeneity=effect_heterogeneity, selection=selection,
                  hidden_selection=hidden_selection, hidden_outcome=hidden_outcome,
                  baseline_share=baseline_share, noise_sd=noise_sd)
    g = as_generator(rng)
    n = n_leaders
    unit = g.integers(0, n_units, n)
    unit_sel = g.normal(0, 0.4, n_units)
    unit_out = g.normal(0, 0.2, n_units)
    potential = g.normal(0, 1, n)
    tenure = np.round(g.gamma(3.0, 2.0, n), 1)
    prior = np.clip(np.round((3.3 + 0.35 * potential + g.normal(0, 0.6, n)) * 2) / 2, 1, 5)
    ambition = g.normal(0, 1, n)
    base = np.log(baseline_share / (1 - baseline_share))
    lin = (base + selection * (0.8 * potential - 0.06 * (tenure - 6) + 0.5 * (prior - 3.3)
                               + unit_sel[unit]) + hidden_selection * ambition)
    coached = (g.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    y0 = (3.2 + 0.25 * potential + 0.02 * tenure + 0.35 * (prior - 3.3) + unit_out[unit]
          + hidden_outcome * ambition + g.normal(0, noise_sd, n))
    tau = effect + effect_heterogeneity * potential
    y = np.round(y0 + coached * tau, 3)
    t = coached.astype(bool)
    if t.all() or not t.any():
        raise ValueError("every leader fell in one group; raise n_leaders or change "
                         "baseline_share.")
    raw = float(y[t].mean() - y[~t].mean())
    att = float(tau[t].mean())
    data = pd.DataFrame({
        "leader": [f"L{i:04d}" for i in range(n)],
        "unit": [f"unit_{u + 1}" for u in unit],
        "potential": np.round(potential, 3),
        "tenure": tenure,
        "prior_rating": prior,
        "coached": coached,
        "performance": y,
    })
    truth = SelectionTruth(att=att, ate=float(tau.mean()), raw_difference=raw,
                           raw_bias_att=raw - att, share_coached=float(t.mean()))
    return SimulatedData(data=data, truth=truth, params=params)
