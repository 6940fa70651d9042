"""Recovery checks of the ROI estimators on ``simulate.roi_program`` (``coachstats validate``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..simulate import roi_program
from ..validate.checks import RecoveryCheck

#: population quantities checked (names shared by the result's terms and the truth)
TERMS = ("roi_pct", "bcr", "share_with_benefit", "mean_attribution", "mean_confidence")


def generate_program(rng: np.random.Generator) -> Any:
    """The bundled design: 189 participants, default parameters."""
    return roi_program(rng=rng)


def estimate_bayesian(data: Any, rng: np.random.Generator | None = None) -> Any:
    """Bayesian ROI with 2 chains x 500 draws (reuses the compiled model)."""
    from .bayesian import bayesian

    return bayesian(
        data, benefit="benefit", cost="cost", attribution="attribution",
        confidence="confidence", draws=500, tune=500, chains=2, rng=rng,
    )


def truth_of(sim: Any) -> dict[str, float]:
    """The truth terms of one simulated program."""
    t = sim.truth
    return {k: float(getattr(t, k)) for k in TERMS}


CHECKS: dict[str, RecoveryCheck] = {
    "roi.bayesian": RecoveryCheck(
        estimate_fn=estimate_bayesian,
        generate_fn=generate_program,
        truth=truth_of,
        default_reps=200,
        description="Bayesian hurdle ROI on roi_program (189 participants): 95% ETI coverage "
        "of the population ROI, BCR, share with benefit, mean attribution and confidence.",
    ),
}
