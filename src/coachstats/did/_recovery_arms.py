"""Recovery check of the multi-arm staggered DiD (run by ``coachstats validate``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulate import SimulatedData
from ..simulate.rollout import arms_rollout
from ..validate.checks import RecoveryCheck
from .arms import staggered_arms


def generate_rollout(rng: np.random.Generator) -> SimulatedData:
    """arms_rollout default: 180 teams, coaching 0.15, mentoring 0.05, 60 never treated."""
    return arms_rollout(rng=rng)


def estimate_rollout(data: pd.DataFrame) -> pd.DataFrame:
    return staggered_arms(data, "engagement", "team", "period", "cohort", "arm").to_frame()


def truth_rollout(sim: SimulatedData) -> dict[str, float]:
    att = sim.truth.att
    return {"arm=coaching": att["coaching"], "arm=mentoring": att["mentoring"],
            "coaching vs mentoring": att["coaching"] - att["mentoring"]}


CHECKS: dict[str, RecoveryCheck] = {
    "did.staggered_arms": RecoveryCheck(
        estimate_rollout, generate_rollout, truth_rollout, default_reps=300,
        description="staggered_arms: Callaway-Sant'Anna ATT per arm against never-treated "
                    "teams and the (conservative) arm contrast"),
}
