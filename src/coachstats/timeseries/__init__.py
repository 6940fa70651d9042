"""Single-organisation designs: interrupted time series (segmented regression with AR(1),
HAC or ARMA errors) and synthetic control - classic (on outcomes, or on predictors with
Synth's nested V optimisation) or ridge-augmented (Ben-Michael, Feller & Rothstein 2021) -
with placebo-in-space or conformal inference - and a Bayesian structural time series (local
level plus regression on unaffected series, CausalImpact-style). Every wave mean can be
checked against the privacy threshold: ``person=`` for individual responses,
``respondents=`` for aggregated series.

Examples
--------
>>> import coachstats as cs
>>> sim = cs.simulate.engagement_series(n_donors=0, factor_sd=0.0, rng=2)
>>> res = cs.timeseries.interrupted(sim.data, "engagement", "wave", intervention=13)
>>> res.to_frame()["term"].iloc[0]
'level_change'
"""

from .interrupted import InterruptedTimeSeriesResult, interrupted
from .structural import StructuralTimeSeriesResult, structural
from .synthetic import SyntheticControlResult, simplex_weights, synthetic_control

__all__ = ["InterruptedTimeSeriesResult", "StructuralTimeSeriesResult", "SyntheticControlResult",
           "interrupted", "simplex_weights", "structural", "synthetic_control"]
