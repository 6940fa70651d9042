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

from .correlations import MetaResult, correlations

__all__ = ["MetaResult", "correlations"]
