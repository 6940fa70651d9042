"""Selection into coaching: propensity scores, weighting, matching, doubly robust
estimates, covariate balance and sensitivity to unmeasured confounding.

Examples
--------
>>> import coachstats as cs
>>> sim = cs.simulate.selection_into_coaching(rng=1)
>>> res = cs.causal.weighting(sim.data, "coached", "performance",
...                           ["potential", "tenure", "prior_rating", "unit"])
>>> res.sensitivity().evalue.evalue > 1
True
"""

from .aipw import aipw
from .balance import BalanceResult, balance
from .matching import MatchingResult, matching
from .propensity import PropensityResult, propensity
from .results import CausalEffectResult, SensitivityResult
from .sensitivity import EValueResult, RobustnessValueResult, evalue, robustness_value
from .weighting import weighting

__all__ = [
    "BalanceResult",
    "CausalEffectResult",
    "EValueResult",
    "MatchingResult",
    "PropensityResult",
    "RobustnessValueResult",
    "SensitivityResult",
    "aipw",
    "balance",
    "evalue",
    "matching",
    "propensity",
    "robustness_value",
    "weighting",
]
