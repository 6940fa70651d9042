"""Single-organisation designs: interrupted time series (segmented regression with HAC or
ARMA errors).

Examples
--------
>>> import coachstats as cs
>>> sim = cs.simulate.engagement_series(n_donors=0, factor_sd=0.0, rng=2)
>>> res = cs.timeseries.interrupted(sim.data, "engagement", "wave", intervention=13)
>>> res.to_frame()["term"].iloc[0]
'level_change'
"""

from .interrupted import InterruptedTimeSeriesResult, interrupted

__all__ = ["InterruptedTimeSeriesResult", "interrupted"]
