"""Meta-analysis of correlations: random effects and meta-regression (metafor-grade),
publication-bias diagnostics, influence, Hunter-Schmidt psychometric meta-analysis and a
Bayesian random-effects model.

Examples
--------
>>> import coachstats as cs
>>> sim = cs.simulate.meta_correlations(k=40, rng=3)
>>> res = cs.meta.correlations(sim.data, r="r", n="n", method="REML", test="knha")
>>> res.k
40
"""

from .bayesian import BayesMetaResult, bayesian
from .bias import (
    EggerResult,
    PetPeeseResult,
    TrimFillResult,
    egger_test,
    pet_peese,
    trim_and_fill,
)
from .correlations import MetaResult, correlations
from .hunter_schmidt import HunterSchmidtResult, hunter_schmidt
from .influence import InfluenceResult, LeaveOneOutResult, influence, leave_one_out

__all__ = [
    "BayesMetaResult",
    "EggerResult",
    "HunterSchmidtResult",
    "InfluenceResult",
    "LeaveOneOutResult",
    "MetaResult",
    "PetPeeseResult",
    "TrimFillResult",
    "bayesian",
    "correlations",
    "egger_test",
    "hunter_schmidt",
    "influence",
    "leave_one_out",
    "pet_peese",
    "trim_and_fill",
]
