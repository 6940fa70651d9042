"""Recovery checks of the single-organisation designs (run by ``coachstats validate``).

Each generator and estimator is module-level so joblib can pickle it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulate import SimulatedData
from ..simulate.series import engagement_series
from ..validate.checks import RecoveryCheck
from .interrupted import interrupted

ITS = {"waves": 24, "intervention": 13, "level_change": 0.15, "slope_change": 0.01,
       "n_donors": 0, "factor_sd": 0.0, "ar": 0.4}
ITS_LONG = {**ITS, "waves": 48, "intervention": 25}
ITS_TRUTH = {"level_change": 0.15, "slope_change": 0.01}


def generate_its(rng: np.random.Generator) -> SimulatedData:
    """24 waves (12 before, 12 after), AR(1) noise with phi = 0.4, no comparison units."""
    return engagement_series(**ITS, rng=rng)


def generate_its_long(rng: np.random.Generator) -> SimulatedData:
    """48 waves (24 before, 24 after), AR(1) noise with phi = 0.4."""
    return engagement_series(**ITS_LONG, rng=rng)


def estimate_its_ar1(data: pd.DataFrame) -> pd.DataFrame:
    t0 = int(data.loc[data["post"] == 1, "wave"].min())
    return interrupted(data, "engagement", "wave", intervention=t0).to_frame()


def estimate_its_hac(data: pd.DataFrame) -> pd.DataFrame:
    t0 = int(data.loc[data["post"] == 1, "wave"].min())
    return interrupted(data, "engagement", "wave", intervention=t0, errors="hac").to_frame()


def estimate_its_arma(data: pd.DataFrame) -> pd.DataFrame:
    t0 = int(data.loc[data["post"] == 1, "wave"].min())
    return interrupted(data, "engagement", "wave", intervention=t0, errors="arma").to_frame()


CHECKS: dict[str, RecoveryCheck] = {
    "timeseries.interrupted_ar1": RecoveryCheck(
        estimate_its_ar1, generate_its, ITS_TRUTH, default_reps=1000,
        description="interrupted: AR(1) errors by REML (default), 12 + 12 waves, phi 0.4"),
    "timeseries.interrupted_ar1_long": RecoveryCheck(
        estimate_its_ar1, generate_its_long, ITS_TRUTH, default_reps=1000,
        description="interrupted: AR(1) errors by REML (default), 24 + 24 waves, phi 0.4"),
    "timeseries.interrupted_hac": RecoveryCheck(
        estimate_its_hac, generate_its, ITS_TRUTH, default_reps=1000,
        description="interrupted: segmented OLS + Newey-West HAC, 12 + 12 waves, AR(1) 0.4"),
    "timeseries.interrupted_hac_long": RecoveryCheck(
        estimate_its_hac, generate_its_long, ITS_TRUTH, default_reps=1000,
        description="interrupted: segmented OLS + Newey-West HAC, 24 + 24 waves, AR(1) 0.4"),
    "timeseries.interrupted_arma": RecoveryCheck(
        estimate_its_arma, generate_its, ITS_TRUTH, default_reps=150,
        description="interrupted: AR(1) errors by exact ML, 12 + 12 waves"),
}


# --- synthetic control: 20 donors sharing random-walk shocks ------------------------------

SYNTH = {"waves": 24, "intervention": 13, "n_donors": 20}


def generate_synth(rng: np.random.Generator) -> SimulatedData:
    """engagement_series default: focal unit + 20 donors, shared shocks, effect 0.15 + 0.01 t."""
    return engagement_series(**SYNTH, rng=rng)


def generate_synth_null(rng: np.random.Generator) -> SimulatedData:
    """The same panel with no program effect."""
    return engagement_series(**SYNTH, level_change=0.0, slope_change=0.0, rng=rng)


def estimate_synth(data: pd.DataFrame) -> pd.DataFrame:
    from .synthetic import synthetic_control

    res = synthetic_control(data, "engagement", "unit", "wave", treated="focal",
                            intervention=SYNTH["intervention"])
    f = res.to_frame()
    p = res.p_value
    extra = pd.DataFrame({"term": ["rejects_at_10pct"], "estimate": [float(p <= 0.1)]})
    return pd.concat([f.loc[f["term"] == "att"], extra], ignore_index=True)


def truth_synth(sim: SimulatedData) -> dict[str, float]:
    return {"att": sim.truth.att_post}


CHECKS["timeseries.synthetic_control"] = RecoveryCheck(
    estimate_synth, generate_synth, truth_synth, default_reps=300,
    description="synthetic_control: mean post-program gap, focal unit + 20 donors with "
                "shared random-walk shocks")
CHECKS["timeseries.synthetic_control_null"] = RecoveryCheck(
    estimate_synth, generate_synth_null, {"att": 0.0, "rejects_at_10pct": 2 / 21},
    default_reps=300,
    description="synthetic_control under no effect: bias of the gap, and the placebo test's "
                "rejection rate at 10% (exact size 2/21 with 20 donors)")


# --- augmented synthetic control: the focal unit outside the donors' convex hull ----------

SYNTH_AUG = {"waves": 40, "intervention": 31, "n_donors": 20, "outside_hull": 0.5,
             "factor_sd": 0.04}


def generate_synth_outside(rng: np.random.Generator) -> SimulatedData:
    """30 + 10 waves, 20 donors; the focal unit loads 0.5 above every donor on shocks of SD
    0.04 per wave, so no convex combination of donors tracks it."""
    return engagement_series(**SYNTH_AUG, rng=rng)


def _synth_terms(data: pd.DataFrame, method: str, ci_level: float) -> pd.DataFrame:
    from .synthetic import synthetic_control

    t0 = int(data.loc[data["post"] == 1, "wave"].min())
    f = synthetic_control(data, "engagement", "unit", "wave", treated="focal",
                          intervention=t0, method=method, inference="conformal",
                          ci_level=ci_level).to_frame()
    return f.loc[(f["term"] == "att") | f["term"].str.startswith("gap_")]


def estimate_synth_augmented_point(data: pd.DataFrame) -> pd.DataFrame:
    """Augmented (``att``) and classic (``att_scm``) estimates of the same fit, no inference."""
    from .synthetic import synthetic_control

    t0 = int(data.loc[data["post"] == 1, "wave"].min())
    f = synthetic_control(data, "engagement", "unit", "wave", treated="focal",
                          intervention=t0, method="augmented", inference="none").to_frame()
    return f.loc[f["term"].isin(["att", "att_scm"])]


def truth_synth_point(sim: SimulatedData) -> dict[str, float]:
    return {"att": sim.truth.att_post, "att_scm": sim.truth.att_post}


def estimate_synth_augmented(data: pd.DataFrame) -> pd.DataFrame:
    return _synth_terms(data, "augmented", 0.95)


def estimate_synth_classic_conformal(data: pd.DataFrame) -> pd.DataFrame:
    return _synth_terms(data, "classic", 0.95)


def truth_synth_gaps(sim: SimulatedData) -> dict[str, float]:
    out = {"att": sim.truth.att_post}
    out.update({f"gap_{t:g}": v for t, v in sim.truth.effect.items()})
    return out


CHECKS["timeseries.synthetic_augmented"] = RecoveryCheck(
    estimate_synth_augmented, generate_synth_outside, truth_synth_gaps, default_reps=200,
    description="synthetic_control(method='augmented'): mean post gap and per-period gaps "
                "with 95% conformal intervals, focal unit outside the donors' hull "
                "(30 + 10 waves, 20 donors)")
CHECKS["timeseries.synthetic_augmented_vs_classic"] = RecoveryCheck(
    estimate_synth_augmented_point, generate_synth_outside, truth_synth_point,
    default_reps=300,
    description="augmented (att) against classic (att_scm) synthetic control on the same "
                "draws, focal unit outside the donors' hull: bias and RMSE")
CHECKS["timeseries.synthetic_classic_outside_hull"] = RecoveryCheck(
    estimate_synth_classic_conformal, generate_synth_outside, truth_synth_gaps,
    default_reps=200,
    description="synthetic_control (classic, conformal intervals) on the same design: the "
                "comparison the augmented method improves on")


# --- Bayesian structural time series: the focal unit, the donors' mean as covariate -------

BSTS = {"waves": 24, "intervention": 13, "n_donors": 20}


def generate_bsts(rng: np.random.Generator) -> SimulatedData:
    """engagement_series default (effect 0.15 + 0.01 t, shared random-walk shocks, common
    trend): the focal series with the mean of the 20 unexposed donors as a covariate."""
    sim = engagement_series(**BSTS, rng=rng)
    d = sim.data
    wide = d.pivot(index="wave", columns="unit", values="engagement")
    focal = d.loc[d["unit"] == "focal", ["wave", "engagement", "post"]].reset_index(drop=True)
    focal["donors"] = wide.drop(columns="focal").mean(axis=1).to_numpy()
    return SimulatedData(focal, sim.truth, {**sim.params, "covariate": "donors"})


def estimate_bsts(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    from .structural import structural

    t0 = int(data.loc[data["post"] == 1, "wave"].min())
    f = structural(data, "engagement", "wave", intervention=t0, covariates=["donors"],
                   draws=500, tune=500, chains=2, rng=rng).to_frame()
    return f.loc[f["term"] == "average_effect"]


def truth_bsts(sim: SimulatedData) -> dict[str, float]:
    return {"average_effect": sim.truth.att_post}


CHECKS["timeseries.structural"] = RecoveryCheck(
    estimate_bsts, generate_bsts, truth_bsts, default_reps=200,
    description="structural: average post-program effect of a local level + regression on "
                "the donors' mean, 12 + 12 waves, 2 chains x 500 draws")


BSTS_ALONE = {"waves": 24, "intervention": 13, "n_donors": 0, "trend": 0.0}


def generate_bsts_alone(rng: np.random.Generator) -> SimulatedData:
    """The focal series alone, no common trend: a random-walk level (shocks SD 0.02 per wave)
    plus AR(1) noise (phi 0.4), effect 0.15 + 0.01 t from wave 13."""
    return engagement_series(**BSTS_ALONE, rng=rng)


def estimate_bsts_alone(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    from .structural import structural

    t0 = int(data.loc[data["post"] == 1, "wave"].min())
    f = structural(data, "engagement", "wave", intervention=t0, draws=500, tune=500, chains=2,
                   rng=rng).to_frame()
    return f.loc[f["term"] == "average_effect"]


CHECKS["timeseries.structural_alone"] = RecoveryCheck(
    estimate_bsts_alone, generate_bsts_alone, truth_bsts, default_reps=200,
    description="structural without covariates: average post-program effect, focal series "
                "alone (random-walk level + AR(1) noise, no trend), 12 + 12 waves")
