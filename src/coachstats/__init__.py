"""coachstats: statistics for evaluating leadership coaching and mentoring programs.

Submodules load on first use (``cs.meta``, ``cs.did`` ...), so ``import coachstats`` stays
fast and never imports PyMC or PyTensor.

Examples
--------
>>> import coachstats as cs
>>> sim = cs.simulate.meta_correlations(k=20, rng=1)      # doctest: +SKIP
>>> cs.meta.correlations(sim.data, r="r", n="n").to_frame(scale="r")   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "bayes",
    "causal",
    "did",
    "effects",
    "interpret",
    "meta",
    "plotting",
    "privacy",
    "prepare",
    "power",
    "report",
    "results",
    "roi",
    "simulate",
    "survey",
    "survival",
    "timeseries",
    "validate",
    "variance",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'coachstats' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
