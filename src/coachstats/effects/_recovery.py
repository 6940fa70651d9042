"""Recovery checks of the effect-size estimators (run by ``coachstats validate``).

Each generator and estimator is module-level so joblib can pickle it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..simulate import SimulatedData
from ..simulate.hires import hire_performance
from ..simulate.pre_post import pre_post_360
from ..validate.checks import RecoveryCheck
from .independent import group_difference
from .ppc import ppc_d
from .rater import rater_agreement
from .repeated import repeated_measures_d

# --- 360 change per rater group ------------------------------------------------------------

N_LEADERS_360 = 60


def generate_360(rng: np.random.Generator) -> SimulatedData:
    """Default 360 design with 60 leaders."""
    return pre_post_360(n_leaders=N_LEADERS_360, rng=rng)


def estimate_360(data: pd.DataFrame) -> pd.DataFrame:
    """g_av per rater group and overall, plus g_z overall, from :func:`rater_agreement`."""
    frames = []
    for kind in ("av", "z"):
        f = rater_agreement(data, leader="leader", rater_group="rater_group", rating="rating",
                            time="time", rater="rater", kind=kind).to_frame()
        if kind == "z":
            f = f.loc[f["term"] == "overall"]
        frames.append(f.assign(term=f"d_{kind}:" + f["term"]))
    return pd.concat(frames, ignore_index=True)


def truth_360(sim: SimulatedData) -> dict[str, float]:
    out = {f"d_av:{g}": v for g, v in sim.truth.d_av.items()}
    out["d_z:overall"] = sim.truth.d_z["overall"]
    return out


# --- paired d on bivariate normal pairs ----------------------------------------------------

PAIRED = {"n": 25, "sd_pre": 1.0, "sd_post": 1.3, "rho": 0.6, "change": 0.5}


def _paired_truth() -> dict[str, float]:
    p = PAIRED
    s1, s2, rho = p["sd_pre"], p["sd_post"], p["rho"]
    sd_d = math.sqrt(s1**2 + s2**2 - 2 * rho * s1 * s2)
    dz = p["change"] / sd_d
    return {"g_z": dz, "g_av": p["change"] / ((s1 + s2) / 2), "g_rm": dz * math.sqrt(2 * (1 - rho))}


PAIRED_TRUTH = _paired_truth()


def generate_paired(rng: np.random.Generator) -> SimulatedData:
    """n = 25 pairs, unequal SDs (1.0, 1.3), r = .6, mean change 0.5."""
    p = PAIRED
    s1, s2 = p["sd_pre"], p["sd_post"]
    cov = [[s1**2, p["rho"] * s1 * s2], [p["rho"] * s1 * s2, s2**2]]
    x = rng.multivariate_normal([0.0, p["change"]], cov, size=p["n"])
    return SimulatedData(pd.DataFrame({"pre": x[:, 0], "post": x[:, 1]}), PAIRED_TRUTH, dict(p))


def estimate_paired(data: pd.DataFrame) -> pd.DataFrame:
    return repeated_measures_d(data, "pre", "post", kind="all").to_frame()


# --- pretest-posttest-control --------------------------------------------------------------

PPC = {"n_t": 40, "n_c": 40, "rho": 0.6, "delta": 0.5, "control_change": 0.2}


def generate_ppc(rng: np.random.Generator) -> SimulatedData:
    """Two arms of 40, pre-post r = .6, SD 1, true d_ppc = 0.5 (control drifts by 0.2)."""
    p = PPC
    cov = [[1.0, p["rho"]], [p["rho"], 1.0]]
    t = rng.multivariate_normal([0.0, p["control_change"] + p["delta"]], cov, size=p["n_t"])
    c = rng.multivariate_normal([0.0, p["control_change"]], cov, size=p["n_c"])
    df = pd.DataFrame({"pre": np.r_[t[:, 0], c[:, 0]], "post": np.r_[t[:, 1], c[:, 1]],
                       "arm": ["coached"] * p["n_t"] + ["comparison"] * p["n_c"]})
    return SimulatedData(df, {"d_ppc2": p["delta"]}, dict(p))


def estimate_ppc(data: pd.DataFrame) -> pd.DataFrame:
    return ppc_d(data, "pre", "post", "arm", control="comparison").to_frame()


# --- internal vs external hires ------------------------------------------------------------


def generate_hires(rng: np.random.Generator) -> SimulatedData:
    """Default hire_performance design (500 internal, 300 external, 4 tenure years)."""
    return hire_performance(rng=rng)


def estimate_hires(data: pd.DataFrame) -> pd.DataFrame:
    return group_difference(data, "rating", "hire_type", by="year",
                            reference="internal").to_frame()


def truth_hires(sim: SimulatedData) -> dict[str, float]:
    return dict(sim.truth.gap_d)


CHECKS: dict[str, RecoveryCheck] = {
    "effects.rater_change_360": RecoveryCheck(
        estimate_360, generate_360, truth_360, default_reps=400,
        description="rater_agreement: g_av per rater group and overall, g_z overall "
                    "(pre_post_360, 60 leaders)"),
    "effects.repeated_measures_d": RecoveryCheck(
        estimate_paired, generate_paired, PAIRED_TRUTH, default_reps=1000,
        description="repeated_measures_d: g_z (exact), g_av, g_rm; n = 25 pairs, unequal SDs"),
    "effects.ppc_d": RecoveryCheck(
        estimate_ppc, generate_ppc, {"d_ppc2": PPC["delta"]}, default_reps=1000,
        description="ppc_d: Morris d_ppc2, 40 + 40 people, r = .6"),
    "effects.group_difference_hires": RecoveryCheck(
        estimate_hires, generate_hires, truth_hires, default_reps=400,
        description="group_difference by tenure year on hire_performance (Hedges g, exact "
                    "interval)"),
}
