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


def _register_tiers() -> None:
    CHECKS["roi.tiers"] = RecoveryCheck(
        estimate_fn=estimate_tiers,
        generate_fn=generate_tiers,
        truth=truth_of_tiers,
        default_reps=100,
        description="Hierarchical tier ROI on tiered_roi (12/60/40 participants, middle "
        "managers highest): 95% ETI coverage of each tier's population ROI.",
    )


def generate_tiers(rng: np.random.Generator) -> Any:
    """Three tiers (12, 60, 40 participants) with true differences (middle managers highest)."""
    from ..simulate import tiered_roi

    return tiered_roi(rng=rng)


def generate_equal_tiers(rng: np.random.Generator) -> Any:
    """Three tiers (12, 60, 40 participants) whose ROIs are equal (no tier is best)."""
    from ..simulate import tiered_roi

    return tiered_roi(cost_mean=12_000.0, benefit_median=30_000.0, rng=rng)


def estimate_tiers(data: Any, rng: np.random.Generator | None = None) -> Any:
    """Hierarchical tier ROI, 2 chains x 400 draws, without the complete-pooling fit."""
    import warnings

    from .tiers import tiers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tiers(
            data, "tier", benefit="benefit", cost="cost", attribution="attribution",
            confidence="confidence", pooled=False, draws=400, tune=400, chains=2, rng=rng,
        )


def truth_of_tiers(sim: Any) -> dict[str, float]:
    """Each tier's population ROI, named as the result's terms (``roi_pct[tier]``)."""
    return {f"roi_pct[{t}]": float(v) for t, v in sim.truth.roi_pct.items()}


def tier_calibration(
    reps: int, *, equal: bool, rng: Any = None, estimate: Any = None
) -> dict[str, Any]:
    """Calibration of P(highest) and coverage of the tier ROIs over ``reps`` datasets.

    Returns the per-replicate maximum P(highest), whether the tier with the largest
    P(highest) is the true highest (with equal tiers: whether it is the pre-named first
    tier, which should happen about 1/3 of the time), and 95% coverage of each tier's ROI.
    """
    from .._rng import spawn

    est = estimate or estimate_tiers
    gen = generate_equal_tiers if equal else generate_tiers
    max_p, hit, covered = [], [], []
    for g in spawn(rng, reps):
        sim = gen(g)
        res = est(sim.data, rng=g)
        f = res.to_frame().set_index("term")
        truth = truth_of_tiers(sim)
        ph = res.prob_highest
        max_p.append(max(ph.values()))
        target = sim.truth.highest or sim.truth.tiers[0]
        hit.append(res.most_likely_highest == target)
        covered.extend(
            bool(f.loc[t, "ci_low"] <= v <= f.loc[t, "ci_high"]) for t, v in truth.items()
        )
    return {"max_prob_highest": np.array(max_p), "hit": np.array(hit),
            "covered": np.array(covered)}


_register_tiers()
