"""A staggered roll-out of several programs (e.g. coaching and mentoring) to teams.

Team ``i`` in arm ``a`` (``"none"`` never treated, or one of the programs) starting in period
``g_i`` has outcome::

    y_it = u_i + p_t + effect_a [t >= g_i] + N(0, noise_sd^2),   u_i ~ N(3.6, 0.3^2)

with period effects ``p_t = 0.02 (t - 1) + N(0, 0.03^2)`` shared by every team and start
periods spread evenly over ``cohorts`` for each program (parallel trends hold by design).
The true ATT of each arm is its ``effect`` (constant over time and cohorts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_positive, check_probability
from ._base import SimulatedData


@dataclass(frozen=True)
class ArmsRolloutTruth:
    """True ATT of each program arm against no program."""

    att: dict[str, float]


def arms_rollout(
    n_units: int = 180,
    *,
    periods: int = 8,
    cohorts: Sequence[int] = (3, 4, 5, 6),
    effects: Mapping[str, float] | None = None,
    never_share: float = 1 / 3,
    noise_sd: float = 0.15,
    rng: RNGLike = None,
) -> SimulatedData:
    """Team-period outcomes under a staggered roll-out of several program arms.

    Parameters
    ----------
    n_units : int
        Teams.
    periods : int
        Periods ``1..periods``.
    cohorts : sequence of int
        Possible start periods of the programs.
    effects : mapping
        ``{arm: effect}`` (default ``{"coaching": 0.15, "mentoring": 0.05}``).
    never_share : float
        Share of teams never treated (arm ``"none"``, cohort 0).
    noise_sd : float
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data``: ``team, period, arm, cohort, engagement``; ``truth``: :class:`ArmsRolloutTruth`.

    Examples
    --------
    >>> sim = arms_rollout(rng=1)
    >>> sim.truth.att["coaching"]
    0.15
    """
    check_int(n_units, "n_units", minimum=12)
    check_int(periods, "periods", minimum=3)
    check_positive(noise_sd, "noise_sd")
    eff = dict(effects or {"coaching": 0.15, "mentoring": 0.05})
    if "none" in eff or not eff:
        raise ValueError("effects must name at least one program arm other than 'none'.")
    cohorts = [int(c) for c in cohorts]
    if min(cohorts) < 2 or max(cohorts) > periods:
        raise ValueError(f"cohorts must lie in 2..{periods}, got {cohorts}.")
    check_probability(never_share, "never_share")
    g = as_generator(rng)
    n_never = round(n_units * never_share)
    arms = list(eff)
    per_arm = (n_units - n_never) // len(arms)
    arm = ["none"] * n_never + [a for a in arms for _ in range(per_arm)]
    arm = np.array(arm + ["none"] * (n_units - len(arm)), dtype=object)
    arm = arm[g.permutation(n_units)]
    cohort = np.zeros(n_units, int)
    for a in arms:
        idx = np.flatnonzero(arm == a)
        cohort[idx] = np.resize(np.array(cohorts), len(idx))[g.permutation(len(idx))]
    u = g.normal(3.6, 0.3, n_units)
    t = np.arange(1, periods + 1)
    p = 0.02 * (t - 1) + g.normal(0, 0.03, periods)
    e = np.array([eff.get(a, 0.0) for a in arm])
    treated = (cohort[:, None] > 0) & (t[None, :] >= cohort[:, None])
    y = u[:, None] + p[None, :] + e[:, None] * treated + g.normal(0, noise_sd, (n_units, periods))
    data = pd.DataFrame({"team": np.repeat([f"T{i:04d}" for i in range(n_units)], periods),
                         "period": np.tile(t, n_units), "arm": np.repeat(arm, periods),
                         "cohort": np.repeat(cohort, periods), "engagement": y.ravel()})
    return SimulatedData(data, ArmsRolloutTruth(att={a: float(v) for a, v in eff.items()}),
                         {"n_units": n_units, "periods": periods, "cohorts": cohorts,
                          "effects": eff, "never_share": never_share, "noise_sd": noise_sd})
