"""Registry of recovery checks, one module per estimator family.

Each family module defines ``CHECKS: dict[str, RecoveryCheck]``; ``coachstats validate``
runs them. A family that is not installed yet is skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: modules that define CHECKS
FAMILIES: tuple[str, ...] = (
    "coachstats.meta._recovery",
    "coachstats.did._recovery",
    "coachstats.variance._recovery",
    "coachstats.roi._recovery",
    "coachstats.effects._recovery",
    "coachstats.survival._recovery",
    "coachstats.causal._recovery",
    "coachstats.prepare._recovery",
    "coachstats.survey._recovery",
    "coachstats.timeseries._recovery",
    "coachstats.effects._recovery_claims",
    "coachstats.did._recovery_arms",
)


@dataclass(frozen=True)
class RecoveryCheck:
    """An estimator, its generator and the truth terms it should recover."""

    estimate_fn: Callable[..., Any]
    generate_fn: Callable[..., Any]
    truth: Any
    default_reps: int = 200
    description: str = ""


def all_checks() -> dict[str, RecoveryCheck]:
    """Collect the CHECKS of every family module that exists."""
    out: dict[str, RecoveryCheck] = {}
    for mod in FAMILIES:
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name and mod.startswith(exc.name):
                continue
            raise
        out.update(getattr(m, "CHECKS", {}))
    return out
