"""Design planning: minimum detectable effects, power and sample size for coaching designs.

* :func:`mdes`, :func:`power_at`, :func:`sample_size` - closed forms (PowerUp!-compatible)
  for individual, blocked and cluster random assignment, paired pre/post and
  difference-in-differences with serially correlated waves.
* :func:`simulate` - power of any generator + estimator pair over a grid of designs, with
  Monte Carlo SEs, serially or on a Dask cluster.
* :func:`optimal_allocation` - managers x employees with the smallest MDES for a budget.
* :func:`design_mdes` - what the design behind a fitted result could detect.
"""

from . import scenarios
from ._designs import wave_covariances
from .allocation import AllocationResult, optimal_allocation
from .closed_form import DesignResult, mdes, multiplier, power_at, sample_size
from .detectable import DetectableEffect, design_mdes
from .simulation import SimulatedPower, simulate

__all__ = [
    "AllocationResult",
    "DesignResult",
    "DetectableEffect",
    "SimulatedPower",
    "design_mdes",
    "mdes",
    "multiplier",
    "optimal_allocation",
    "power_at",
    "sample_size",
    "scenarios",
    "simulate",
    "wave_covariances",
]
