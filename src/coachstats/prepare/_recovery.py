"""Recovery checks of the scale reliability estimators (run by ``coachstats validate``).

Each generator and estimator is module-level so joblib can pickle it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulate import SimulatedData
from ..simulate.raw_exports import scale_items
from ..validate.checks import RecoveryCheck
from .scale import scale

PARALLEL = {"n": 150, "loadings": (0.6,) * 5}
CONGENERIC = {"n": 300, "loadings": (0.9, 0.8, 0.6, 0.5, 0.4)}


def generate_parallel(rng: np.random.Generator) -> SimulatedData:
    """Five parallel standardized items (loading .6), n = 150: population alpha = omega."""
    return scale_items(PARALLEL["n"], PARALLEL["loadings"], rng=rng)


def generate_congeneric(rng: np.random.Generator) -> SimulatedData:
    """Five congeneric items (loadings .9 to .4), n = 300: alpha < omega."""
    return scale_items(CONGENERIC["n"], CONGENERIC["loadings"], rng=rng)


def estimate_scale(data: pd.DataFrame) -> pd.DataFrame:
    """alpha (Feldt interval) and omega_total from :func:`coachstats.prepare.scale`."""
    items = [c for c in data.columns if c.startswith("Q")]
    f = scale(data, items, scale_range=(-100, 100)).to_frame()
    return f.loc[f["term"].isin(["alpha", "omega_total"])].reset_index(drop=True)


def truth_scale(sim: SimulatedData) -> dict[str, float]:
    return {"alpha": sim.truth.alpha, "omega_total": sim.truth.omega_total}


CHECKS: dict[str, RecoveryCheck] = {
    "prepare.scale_parallel": RecoveryCheck(
        estimate_scale, generate_parallel, truth_scale, default_reps=1000,
        description="scale: Cronbach's alpha with its Feldt interval and ML omega total; five "
                    "parallel items, n = 150"),
    "prepare.scale_congeneric": RecoveryCheck(
        estimate_scale, generate_congeneric, truth_scale, default_reps=1000,
        description="scale: omega total recovers congeneric reliability where alpha "
                    "underestimates it; five items, loadings .9-.4, n = 300"),
}
