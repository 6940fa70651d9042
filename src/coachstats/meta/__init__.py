"""Meta-analysis: random effects and meta-regression of correlations, standardized mean
differences or any precomputed effects (metafor-grade), conversions between metrics,
subgroups, cumulative meta-analysis, dependent effects (three-level model, CR2 cluster-robust
tests, correlated-effects RVE), publication-bias diagnostics, influence, Hunter-Schmidt
psychometric meta-analysis and a Bayesian random-effects model.

Examples
--------
>>> import coachstats as cs
>>> sim = cs.simulate.meta_correlations(k=40, rng=3)
>>> res = cs.meta.correlations(sim.data, r="r", n="n", method="REML", test="knha")
>>> res.k
40
"""

from .bayesian import BayesMetaResult, bayesian
from .bayesian_effects import BayesEffectsResult, bayesian_effects
from .bias import (
    EggerResult,
    PetPeeseResult,
    TrimFillResult,
    egger_test,
    pet_peese,
    trim_and_fill,
)
from .conversions import convert
from .correlations import MetaResult, correlations
from .cumulative import CumulativeResult, cumulative
from .hunter_schmidt import HunterSchmidtResult, hunter_schmidt
from .influence import InfluenceResult, LeaveOneOutResult, influence, leave_one_out
from .multilevel import MultilevelResult, RobustResult, multilevel
from .rve import RVEResult, rve
from .smd import effects, ppc, smd
from .subgroups import SubgroupResult, subgroups

__all__ = [
    "BayesEffectsResult",
    "BayesMetaResult",
    "CumulativeResult",
    "EggerResult",
    "HunterSchmidtResult",
    "InfluenceResult",
    "LeaveOneOutResult",
    "MetaResult",
    "MultilevelResult",
    "PetPeeseResult",
    "RVEResult",
    "RobustResult",
    "SubgroupResult",
    "TrimFillResult",
    "bayesian",
    "bayesian_effects",
    "convert",
    "correlations",
    "cumulative",
    "effects",
    "egger_test",
    "hunter_schmidt",
    "influence",
    "leave_one_out",
    "multilevel",
    "pet_peese",
    "ppc",
    "rve",
    "smd",
    "subgroups",
    "trim_and_fill",
]
