"""Synthetic data with a known truth, one generator per kind of data.

Each generator returns :class:`SimulatedData` (``data``, ``truth``, ``params``) and takes
``rng``. ``cs.simulate.KIND(rng=0)`` alone gives a realistic dataset.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._base import SimulatedData

# public generator name -> module that defines it (one module per data kind). A module must
# not share its generator's name: importing it would bind the package attribute to the module.
GENERATORS: dict[str, str] = {
    "meta_correlations": ".meta",
    "meta_effects": ".meta",
    "engagement_panel": ".engagement",
    "roi_program": ".roi",
    "pre_post_360": ".pre_post",
    "retention": ".careers",
    "hire_performance": ".hires",
    "selection_into_coaching": ".selection",
    "exit_survey": ".exits",
    "leader_mediation": ".leaders",
    "engagement_series": ".series",
    "program_arms": ".arms",
    "arms_rollout": ".rollout",
    "tiered_roi": ".tiers",
}

__all__ = ["GENERATORS", "SimulatedData", *GENERATORS]


def __getattr__(name: str) -> Any:
    if name in GENERATORS:
        return getattr(importlib.import_module(GENERATORS[name], __name__), name)
    raise AttributeError(f"module 'coachstats.simulate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
