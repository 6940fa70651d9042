"""Return on investment of coaching programs: Phillips point values and Bayesian posteriors.

* :func:`phillips` — the classic conservative calculation (benefit x attribution x
  confidence over fully loaded costs).
* :func:`bayesian` — a hurdle model with a heavy-tailed positive part giving the posterior
  of ROI and BCR, ``prob_positive``, ``break_even_attribution`` and a sensitivity tornado.
* :func:`tiers` — ROI in each tier (e.g. C-suite, middle managers) with partial pooling
  across tiers, P(this tier has the highest ROI) and the unpooled and pooled answers.
* :func:`from_summary` — re-analyse a published distribution of return multiples (e.g.
  shares of companies in return bands) with a nonresponse sensitivity.

ROI% = (benefits - costs) / costs x 100 = (BCR - 1) x 100: a "7x return" is ROI 600%.
PyMC is imported only when a Bayesian model is fitted.
"""

from .bayesian import BayesianRoiResult, RoiPrior, SensitivityResult, bayesian
from .phillips import PhillipsResult, phillips
from .sbc import SbcResult, sbc
from .summary import SummaryRoiResult, from_summary
from .tiers import TierPrior, TierRoiResult, tiers

__all__ = [
    "BayesianRoiResult",
    "PhillipsResult",
    "RoiPrior",
    "SbcResult",
    "SensitivityResult",
    "SummaryRoiResult",
    "TierPrior",
    "TierRoiResult",
    "bayesian",
    "from_summary",
    "phillips",
    "sbc",
    "tiers",
]
