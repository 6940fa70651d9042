"""How much does the manager matter: multilevel variance decomposition and agreement.

:func:`decompose` splits the variance of an outcome between nested group levels (e.g.
manager > team > person) by REML/ML (lme4-equivalent, O(groups) per likelihood evaluation)
or Bayesian sampling, and reports ICC(1), ICC(2) and between-unit shares with intervals;
:func:`agreement` gives within-group agreement (rwg(j), awg) with small groups suppressed.

Examples
--------
>>> import coachstats as cs
>>> sim = cs.simulate.engagement_panel(rng=1)                                  # doctest: +SKIP
>>> res = cs.variance.decompose(sim.data, outcome="engagement",
...                             levels=["manager", "team"], rng=1)             # doctest: +SKIP
>>> res.between_share(level="team", of="manager")                             # doctest: +SKIP
"""

from .agreement import AgreementResult, agreement
from .decompose import BetweenShare, ProfileIntervals, VarianceResult, decompose

__all__ = [
    "AgreementResult",
    "BetweenShare",
    "ProfileIntervals",
    "VarianceResult",
    "agreement",
    "decompose",
]
