"""Retention and time-to-promotion: Kaplan-Meier, Cox regression, competing risks, cost.

All estimators are written in NumPy/SciPy and verified against R ``survival`` 3.5
(lifelines is not used: it caps pandas below 3). Each function's Notes say why.

Examples
--------
>>> import coachstats as cs
>>> sim = cs.simulate.retention(rng=3)
>>> km = cs.survival.kaplan_meier(sim.data.assign(exit=sim.data["event"].eq("exit")),
...                               duration="months", event="exit", group="coached")
>>> km.medians.shape[0]
2
"""

from ._competing import CompetingRisksResult, competing_risks
from ._cost import TurnoverCostResult, turnover_cost
from ._cox import CoxResult, PHCheckResult, cox
from ._finegray import FineGrayResult, fine_gray
from ._guard import mark_after_origin
from ._km import KaplanMeierResult, kaplan_meier
from ._landmark import landmark

__all__ = [
    "CompetingRisksResult",
    "CoxResult",
    "FineGrayResult",
    "KaplanMeierResult",
    "PHCheckResult",
    "TurnoverCostResult",
    "competing_risks",
    "cox",
    "fine_gray",
    "kaplan_meier",
    "landmark",
    "mark_after_origin",
    "turnover_cost",
]
