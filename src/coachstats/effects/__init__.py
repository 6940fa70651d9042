"""Effect sizes for evaluating programs: paired change, two-group and PPC differences,
reliable change, 360 rater-group change and agreement, and conversions.

Examples
--------
>>> import pandas as pd, coachstats as cs
>>> d = pd.DataFrame({"pre": [9, 6, 7, 8, 7, 9, 8, 8, 8, 7],
...                   "post": [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]})
>>> round(cs.effects.repeated_measures_d(d, kind="z", hedges=False).estimate, 2)
1.5
"""

from ._noncentral import ncp_interval, nct_cdf
from ._result import EffectSizeResult
from .arms import FactorialResult, arm_contrasts, factorial
from .conversions import (
    correct_attenuation,
    d_to_r,
    hedges_g,
    hedges_j,
    r_to_d,
    r_to_z,
    z_to_r,
)
from .independent import group_difference, independent_d
from .mediation import MediationResult, MediationSensitivity, mediation
from .mediation_multilevel import (
    MultilevelMediationResult,
    MultilevelSensitivity,
    multilevel_mediation,
)
from .ppc import morris_variance, ppc_d, ppc_d_from_stats
from .rater import RaterAgreementResult, icc_oneway, rater_agreement
from .reliable_change import (
    ReliableChangeResult,
    jacobson_truax_cutoff,
    reliable_change,
    wilson_interval,
)
from .repeated import repeated_measures_d

__all__ = [
    "EffectSizeResult",
    "FactorialResult",
    "MediationResult",
    "MediationSensitivity",
    "MultilevelMediationResult",
    "MultilevelSensitivity",
    "RaterAgreementResult",
    "ReliableChangeResult",
    "arm_contrasts",
    "correct_attenuation",
    "d_to_r",
    "factorial",
    "group_difference",
    "hedges_g",
    "hedges_j",
    "icc_oneway",
    "independent_d",
    "jacobson_truax_cutoff",
    "mediation",
    "morris_variance",
    "multilevel_mediation",
    "ncp_interval",
    "nct_cdf",
    "ppc_d",
    "ppc_d_from_stats",
    "r_to_d",
    "r_to_z",
    "rater_agreement",
    "reliable_change",
    "repeated_measures_d",
    "wilson_interval",
    "z_to_r",
]
