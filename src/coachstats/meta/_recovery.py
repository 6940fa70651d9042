"""Recovery checks of the meta-analysis estimators (run by ``coachstats validate``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulate.meta import meta_correlations, meta_effects
from ..validate.checks import RecoveryCheck
from .correlations import correlations
from .hunter_schmidt import hunter_schmidt
from .multilevel import multilevel
from .rve import rve
from .smd import effects, smd


def generate_re(rng: np.random.Generator):
    """30 studies, rho = .39, tau = .10, no artifacts."""
    return meta_correlations(k=30, rho=0.39, tau=0.10, rng=rng)


def generate_small_k(rng: np.random.Generator):
    """10 studies with larger heterogeneity: where Knapp-Hartung matters."""
    return meta_correlations(k=10, rho=0.30, tau=0.15, rng=rng)


def generate_artifacts(rng: np.random.Generator):
    """110 studies with unreliable measures (rxx ~ .80, ryy ~ .70, varying by study)."""
    return meta_correlations(k=110, rho=0.39, tau=0.10, rxx=0.80, ryy=0.70,
                             reliability_spread=0.08, rng=rng)  # fmt: skip


def generate_dependent(rng: np.random.Generator):
    """20 coaching studies with 2-5 correlated effects each (controlled and pre-post)."""
    return meta_effects(k_studies=20, effects_per_study=(2, 5), delta=0.35, tau_study=0.20,
                        tau_within=0.10, within_r=0.6, rng=rng)  # fmt: skip


def generate_controlled(rng: np.random.Generator):
    """25 controlled studies, one effect each (Hedges' g from group statistics)."""
    return meta_effects(k_studies=25, effects_per_study=1, delta=0.35, tau_study=0.15,
                        tau_within=0.0, design_mix=1.0, rng=rng)  # fmt: skip


def estimate_smd_knha(data: pd.DataFrame) -> pd.DataFrame:
    """Hedges' g from the group statistics, REML + Knapp-Hartung."""
    f = smd(data, "m1", "sd1", "n1", "m2", "sd2", "n2", test="knha").to_frame()
    return f[f["term"] == "mu"].assign(term="delta")


def estimate_rve(data: pd.DataFrame) -> pd.DataFrame:
    """Correlated-effects RVE (rho = .8) with CR2 / Satterthwaite intervals."""
    f = rve(data, "yi", "vi", "study").to_frame()
    return f[f["term"] == "intercept"].assign(term="delta")


def truth_delta(sim) -> dict[str, float]:
    return {"delta": sim.truth.delta}


def estimate_three_level_cr2(data: pd.DataFrame) -> pd.DataFrame:
    """Three-level REML model; the mean with its CR2 (Satterthwaite t) interval."""
    res = multilevel(data, "yi", "vi", levels=["study", "effect"]).robust()
    return res.to_frame().assign(term="delta")


def estimate_naive(data: pd.DataFrame) -> pd.DataFrame:
    """Every effect treated as an independent study (REML, Wald z): ignores dependence."""
    f = effects(data, "yi", "vi").to_frame()
    return f[f["term"] == "mu"].assign(term="delta")


def truth_z(sim) -> dict[str, float]:
    return {"mu_z": sim.truth.mu_z, "tau_z": sim.truth.tau_z}


def truth_rho(sim) -> dict[str, float]:
    return {"rho": sim.truth.rho, "r_bar": sim.truth.rho_obs}


def estimate_reml_knha(data: pd.DataFrame) -> pd.DataFrame:
    """REML + Knapp-Hartung: the mean (t CI) and tau (Q-profile CI) on Fisher z."""
    f = correlations(data, r="r", n="n", method="REML", test="knha").to_frame(scale="z")
    f = f[f["term"].isin(["mu", "tau"])].copy()
    f["term"] = f["term"].map({"mu": "mu_z", "tau": "tau_z"})
    return f


def estimate_reml_z(data: pd.DataFrame) -> pd.DataFrame:
    """REML with Wald z intervals (for comparison with Knapp-Hartung)."""
    f = correlations(data, r="r", n="n", method="REML", test="z").to_frame(scale="z")
    f = f[f["term"].isin(["mu", "tau"])].copy()
    f["term"] = f["term"].map({"mu": "mu_z", "tau": "tau_z"})
    return f


def estimate_hs(data: pd.DataFrame) -> pd.DataFrame:
    """Hunter-Schmidt with individual corrections from the reported reliabilities."""
    return hunter_schmidt(data, r="r", n="n", rxx="rxx", ryy="ryy").to_frame()


CHECKS: dict[str, RecoveryCheck] = {
    "meta_reml_knha": RecoveryCheck(
        estimate_reml_knha, generate_re, truth_z, 400,
        "REML + Knapp-Hartung mean and Q-profile tau on Fisher z (k = 30)",
    ),
    "meta_reml_knha_small_k": RecoveryCheck(
        estimate_reml_knha, generate_small_k, truth_z, 400,
        "REML + Knapp-Hartung with k = 10, tau = .15",
    ),
    "meta_reml_z_small_k": RecoveryCheck(
        estimate_reml_z, generate_small_k, truth_z, 400,
        "REML + Wald z with k = 10 (expected to under-cover)",
    ),
    "meta_three_level_cr2": RecoveryCheck(
        estimate_three_level_cr2, generate_dependent, truth_delta, 1000,
        "Three-level REML + CR2 robust CI of the mean effect (20 studies, 2-5 effects each)",
    ),
    "meta_naive_dependent": RecoveryCheck(
        estimate_naive, generate_dependent, truth_delta, 1000,
        "Independent-effects model on dependent effects (expected to under-cover)",
    ),
    "meta_smd_knha": RecoveryCheck(
        estimate_smd_knha, generate_controlled, truth_delta, 1000,
        "Hedges' g (escalc SMD) + REML + Knapp-Hartung, 25 controlled studies",
    ),
    "meta_rve": RecoveryCheck(
        estimate_rve, generate_dependent, truth_delta, 1000,
        "Correlated-effects RVE (rho = .8), CR2 + Satterthwaite CI of the mean effect",
    ),
    "meta_hunter_schmidt": RecoveryCheck(
        estimate_hs, generate_artifacts, truth_rho, 200,
        "Hunter-Schmidt corrected rho recovers the disattenuated truth (k = 110)",
    ),
}  # fmt: skip
