"""Difference-in-differences for coaching roll-outs.

``two_by_two`` (one treated group, before/after), ``event_study`` (two-way fixed effects),
``bacon_decomposition`` (Goodman-Bacon 2021), ``staggered`` (Callaway & Sant'Anna 2021, with
``aggregate`` and ``pretrend_test``), ``aggregate_panel`` (individual survey rows to
unit-period means with counts) and ``bayesian`` (multilevel Bayesian DiD, PyMC; imported on
first use).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["bayesian"]


def __getattr__(name: str) -> Any:
    if name in ("bayesian", "BayesianDiDResult"):
        return getattr(importlib.import_module(".bayesian", __name__), name)
    raise AttributeError(f"module 'coachstats.did' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
