"""Recovery checks of mediation and multi-arm contrasts (run by ``coachstats validate``).

Each generator and estimator is module-level so joblib can pickle it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulate import SimulatedData
from ..simulate.arms import program_arms
from ..simulate.leaders import leader_mediation
from ..validate.checks import RecoveryCheck
from .arms import arm_contrasts, factorial
from .mediation import mediation

# --- single-level mediation: 150 people, one row each --------------------------------------

MED = {"n_managers": 150, "team_size": 1, "a": 0.5, "b": 0.3, "direct": 0.05}
MED_TRUTH = {"indirect": 0.15, "direct": 0.05, "total": 0.2, "a": 0.5, "b": 0.3}


def generate_mediation(rng: np.random.Generator) -> SimulatedData:
    """leader_mediation with one row per manager (single level), no confounding."""
    return leader_mediation(**MED, rng=rng)


def estimate_mediation_mc(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return mediation(data, "coached", "coaching_behaviour", "engagement",
                     covariates=["experience"], n_sims=2000, rng=rng).to_frame()


def estimate_mediation_boot(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return mediation(data, "coached", "coaching_behaviour", "engagement",
                     covariates=["experience"], method="bootstrap", n_sims=1000,
                     rng=rng).to_frame()


# --- 2-2-1: 100 coached / uncoached managers, teams of 8 -----------------------------------


def generate_221(rng: np.random.Generator) -> SimulatedData:
    """leader_mediation, 100 managers with teams of 8 (2-2-1)."""
    return leader_mediation(100, team_size=8, rng=rng)


def estimate_221(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return mediation(data, "coached", "coaching_behaviour", "engagement",
                     covariates=["experience"], cluster="manager", n_sims=2000,
                     rng=rng).to_frame()


# --- confounded mediator: the sensitivity curve at the true rho ---------------------------

RHO = 0.4


def generate_confounded(rng: np.random.Generator) -> SimulatedData:
    """Single level, an unmeasured mediator-outcome confounder with error correlation 0.4."""
    return leader_mediation(300, team_size=1, rho=RHO, rng=rng)


def estimate_at_true_rho(data: pd.DataFrame) -> pd.DataFrame:
    res = mediation(data, "coached", "coaching_behaviour", "engagement",
                    covariates=["experience"], n_sims=200, rng=0)
    naive = res.indirect
    rho_model = RHO * 0.25 / np.sqrt(0.25**2 + 0.7**2)
    adj = float(res.sensitivity([rho_model]).curve["indirect"].iloc[0])
    return pd.DataFrame({"term": ["naive", "at_true_rho"], "estimate": [naive, adj]})


# --- Bayesian multilevel mediation: 60 managers, teams of 6 (2-2-1 and 2-1-1) -------------

ML_TRUTH = {"indirect": 0.15, "direct": 0.05, "total": 0.2, "a": 0.5, "b": 0.3}


def generate_ml_221(rng: np.random.Generator) -> SimulatedData:
    """leader_mediation, 60 managers with teams of 6, mediator on managers (2-2-1)."""
    return leader_mediation(60, team_size=6, rng=rng)


def generate_ml_211(rng: np.random.Generator) -> SimulatedData:
    """leader_mediation, 60 managers with teams of 6, mediator on employees (2-1-1)."""
    return leader_mediation(60, team_size=6, design="2-1-1", rng=rng)


def estimate_ml(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """multilevel_mediation with 2 chains x 500 draws (the compiled model is reused)."""
    from .mediation_multilevel import multilevel_mediation

    return multilevel_mediation(data, "coached", "coaching_behaviour", "engagement",
                                cluster="manager", covariates=["experience"], draws=500,
                                tune=500, chains=2, rng=rng).to_frame()


def generate_ml_confounded(rng: np.random.Generator) -> SimulatedData:
    """2-2-1, 100 managers x 8, the managers' behaviour error correlated RHO with the teams'
    engagement intercept (an unmeasured manager-level confounder)."""
    return leader_mediation(100, team_size=8, rho=RHO, rng=rng)


def estimate_ml_at_true_rho(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The multilevel sensitivity curve at the true cluster-level error correlation."""
    from .mediation_multilevel import multilevel_mediation

    res = multilevel_mediation(data, "coached", "coaching_behaviour", "engagement",
                               cluster="manager", covariates=["experience"], draws=500,
                               tune=500, chains=2, rng=rng)
    f = res.sensitivity([RHO]).to_frame().iloc[[0]].assign(term="at_true_rho")
    return pd.concat([res.to_frame().loc[lambda x: x["term"] == "indirect"], f])


# --- three arms and no program (2 x 2), 60 per arm ---------------------------------------


def generate_arms(rng: np.random.Generator) -> SimulatedData:
    """program_arms default: 60 people per arm."""
    return program_arms(60, rng=rng)


def estimate_arms(data: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for y in ("change_360", "readiness"):
        # intervals do not depend on the p-value adjustment; "none" skips multipletests
        f = arm_contrasts(data, y, "arm", reference="none", adjust="none").to_frame()
        frames.append(f.assign(term=y + ":" + f["focal"]))
        g = factorial(data, y, ["coaching", "mentoring"]).to_frame()
        frames.append(g.loc[g["term"] == "coaching:mentoring"].assign(term=y + ":interaction"))
    return pd.concat(frames, ignore_index=True)


def truth_arms(sim: SimulatedData) -> dict[str, float]:
    out = {f"{y}:{arm}": v for y in ("change_360", "readiness")
           for arm, v in sim.truth.d[y].items()}
    out.update({f"{y}:interaction": sim.truth.interaction[y]
                for y in ("change_360", "readiness")})
    return out


CHECKS: dict[str, RecoveryCheck] = {
    "effects.arm_contrasts_factorial": RecoveryCheck(
        estimate_arms, generate_arms, truth_arms, default_reps=500,
        description="arm_contrasts (Hedges g of each arm vs none) and factorial interaction, "
                    "program_arms, 60 per arm"),
    "effects.mediation_monte_carlo": RecoveryCheck(
        estimate_mediation_mc, generate_mediation, MED_TRUTH, default_reps=500,
        description="mediation: product of coefficients, Monte Carlo interval, 150 people"),
    "effects.mediation_bootstrap": RecoveryCheck(
        estimate_mediation_boot, generate_mediation, {"indirect": 0.15}, default_reps=300,
        description="mediation: percentile bootstrap interval of a*b, 150 people"),
    "effects.mediation_221": RecoveryCheck(
        estimate_221, generate_221, {"indirect": 0.15, "direct": 0.05, "total": 0.2},
        default_reps=400,
        description="mediation with cluster=: 2-2-1, 100 managers x 8 employees"),
    "effects.multilevel_mediation_221": RecoveryCheck(
        estimate_ml, generate_ml_221, ML_TRUTH, default_reps=200,
        description="multilevel_mediation (Bayesian, random intercepts), 2-2-1: 60 managers "
                    "x 6 employees, 95% credible interval coverage"),
    "effects.multilevel_mediation_211": RecoveryCheck(
        estimate_ml, generate_ml_211, {**ML_TRUTH, "b_within": 0.1}, default_reps=200,
        description="multilevel_mediation (Bayesian, random intercepts), 2-1-1 (mediator "
                    "rated by employees): 60 managers x 6 employees"),
    "effects.multilevel_mediation_sensitivity": RecoveryCheck(
        estimate_ml_at_true_rho, generate_ml_confounded, {"at_true_rho": 0.15},
        default_reps=200,
        description="multilevel_mediation sensitivity (2-2-1, 100 managers x 8): credible "
                    "interval of the indirect effect at the true manager-level error "
                    "correlation 0.4 covers a*b (the naive one is biased)"),
    "effects.mediation_sensitivity": RecoveryCheck(
        estimate_at_true_rho, generate_confounded, {"at_true_rho": 0.15}, default_reps=300,
        description="mediation sensitivity: indirect effect at the true error correlation "
                    "(IKY 2010) recovers a*b under confounding (naive is biased)"),
}
