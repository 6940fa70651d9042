"""A 2 x 2 program evaluation: no program, coaching, mentoring, or both.

The seed article: "coaching drives near-term performance while mentoring builds the
long-term pipeline; the strongest programs run both". People are assigned at random (equal
numbers) to ``none``, ``coaching``, ``mentoring`` or ``both``; ``coaching`` and ``mentoring``
are the two factors. Each outcome ``k`` (standardised: SD 1 within every arm) is::

    y_k = coach_effect_k C + mentor_effect_k M + interaction_k C M + N(0, 1)

Near-term outcomes: ``change_360`` (360 feedback change) and ``engagement``; long-term:
``readiness`` (promotion-readiness rating a year later). Because the within-arm SD is 1, the
true standardised difference between two arms equals their true mean difference
(``truth.d[outcome][arm]`` against ``none``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int
from ._base import SimulatedData

ARMS = ("none", "coaching", "mentoring", "both")
OUTCOMES = ("change_360", "engagement", "readiness")
_DEFAULT = {
    "change_360": (0.45, 0.10, 0.0),
    "engagement": (0.30, 0.10, 0.0),
    "readiness": (0.10, 0.40, 0.15),
}


@dataclass(frozen=True)
class ProgramArmsTruth:
    """True standardised differences of each arm against ``none`` and the factorial terms."""

    d: dict[str, dict[str, float]]
    coach_effect: dict[str, float]
    mentor_effect: dict[str, float]
    interaction: dict[str, float]


def program_arms(
    n_per_arm: int = 60,
    *,
    effects: Mapping[str, tuple[float, float, float]] | None = None,
    rng: RNGLike = None,
) -> SimulatedData:
    """People randomised to no program, coaching, mentoring or both, with three outcomes.

    Parameters
    ----------
    n_per_arm : int
        People per arm.
    effects : mapping, optional
        ``{outcome: (coach_effect, mentor_effect, interaction)}`` in within-arm SD units for
        ``change_360``, ``engagement``, ``readiness`` (defaults: (0.45, 0.10, 0),
        (0.30, 0.10, 0), (0.10, 0.40, 0.15)).
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data``: ``person, arm, coaching, mentoring, change_360, engagement, readiness``;
        ``truth``: :class:`ProgramArmsTruth`.

    Examples
    --------
    >>> sim = program_arms(rng=1)
    >>> sim.truth.d["readiness"]["both"]
    0.65
    """
    check_int(n_per_arm, "n_per_arm", minimum=2)
    eff = dict(_DEFAULT)
    if effects is not None:
        unknown = sorted(set(effects) - set(OUTCOMES))
        if unknown:
            raise ValueError(f"effects: unknown outcome(s) {unknown}; use {list(OUTCOMES)}.")
        for k, v in effects.items():
            if len(tuple(v)) != 3:
                raise ValueError(f"effects[{k!r}] must be (coach, mentor, interaction).")
            eff[k] = tuple(float(x) for x in v)
    g = as_generator(rng)
    arm = g.permutation(np.repeat(np.arange(4), n_per_arm))
    c = np.isin(arm, (1, 3)).astype(int)
    m = np.isin(arm, (2, 3)).astype(int)
    n = len(arm)
    cols = {}
    for k in OUTCOMES:
        bc, bm, bi = eff[k]
        cols[k] = bc * c + bm * m + bi * c * m + g.normal(size=n)
    data = pd.DataFrame({"person": [f"P{i:05d}" for i in range(n)],
                         "arm": np.array(ARMS, dtype=object)[arm], "coaching": c,
                         "mentoring": m, **cols})
    d = {k: {"coaching": round(eff[k][0], 12), "mentoring": round(eff[k][1], 12),
             "both": round(eff[k][0] + eff[k][1] + eff[k][2], 12)} for k in OUTCOMES}
    truth = ProgramArmsTruth(d=d, coach_effect={k: eff[k][0] for k in OUTCOMES},
                             mentor_effect={k: eff[k][1] for k in OUTCOMES},
                             interaction={k: eff[k][2] for k in OUTCOMES})
    return SimulatedData(data, truth, {"n_per_arm": n_per_arm,
                                       "effects": {k: list(v) for k, v in eff.items()}})
