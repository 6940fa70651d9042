"""Recovery checks of the DiD estimators on ``simulate.engagement_panel`` (run by
``coachstats validate``), plus the simultaneous-coverage study of the uniform event-study
band. Functions are module-level so joblib can pickle them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from ..simulate import SimulatedData
from ..simulate.engagement import engagement_panel
from ..validate.checks import RecoveryCheck
from .bayesian import _recovery_estimate as _bayes_estimate
from .bayesian import _recovery_generate as _bayes_generate
from .bayesian import _recovery_truth as _bayes_truth
from .staggered import staggered
from .twfe import twfe

COLS = {"outcome": "engagement", "unit": "team", "time": "quarter", "cohort": "coached_from"}

#: a design with strongly growing effects, where static TWFE is known to be biased
GROWING = {"effect": 0.1, "effect_growth": 0.12}


def generate(rng: np.random.Generator) -> SimulatedData:
    """Default engagement panel (120 managers, 8 quarters, 4 cohorts + never coached)."""
    return engagement_panel(rng=rng)


def generate_growing(rng: np.random.Generator) -> SimulatedData:
    """Engagement panel whose effect grows by 0.12 (latent units) per quarter."""
    return engagement_panel(**GROWING, rng=rng)


def estimate_staggered(data: pd.DataFrame, rng: Any = None) -> pd.DataFrame:
    """Simple ATT (analytic CI) and dynamic effects (uniform band, 499 draws), team means,
    clustered by manager."""
    res = staggered(data, **COLS, cluster="manager", aggregate=True, n_boot=499, rng=rng)
    dyn = res.aggregate("dynamic").to_frame()
    return pd.concat([res.to_frame().iloc[:1], dyn[dyn["term"] != "att_dynamic"]],
                     ignore_index=True)


def estimate_simple(data: pd.DataFrame) -> pd.DataFrame:
    """Simple ATT only (analytic CI, no bootstrap)."""
    res = staggered(data, **COLS, cluster="manager", aggregate=True, n_boot=0)
    return res.to_frame().iloc[:1]


def estimate_rc(data: pd.DataFrame) -> pd.DataFrame:
    """Simple ATT from individual rows as repeated cross-sections, clustered by manager."""
    res = staggered(data, **COLS, cluster="manager", panel=False, n_boot=0)
    return res.to_frame().iloc[:1]


def estimate_twfe(data: pd.DataFrame) -> pd.DataFrame:
    """Static TWFE on team means, CR1 by manager, relabelled as an estimate of ``att``."""
    f = twfe(data, **COLS, cluster="manager", aggregate=True).to_frame()
    return f.assign(term="att")


def truth_staggered(sim: SimulatedData) -> dict[str, float]:
    t = sim.truth
    out = {"att": t.att}
    out |= {f"event_time[{e}]": val for e, val in t.event_time.items()}
    return out


def truth_att(sim: SimulatedData) -> dict[str, float]:
    return {"att": sim.truth.att}


def simultaneous_coverage(
    n_reps: int, *, rng: RNGLike = None, n_boot: int = 499, ci_level: float = 0.95,
    small_sample: str | None = None, **design: Any,
) -> dict[str, float]:
    """Share of replicates whose uniform event-study band covers every true event-time
    effect at once (pre-treatment event times: true effect 0), with its Monte Carlo SE.

    Also returns the bias, its MCSE and the coverage of the simple ATT's analytic CI.
    ``small_sample`` is passed to :func:`staggered`.
    """
    ss = np.random.SeedSequence(int(as_generator(rng).integers(0, 2**63 - 1)))
    band, cover, err = [], [], []
    for child in ss.spawn(n_reps):
        g_rng, e_rng = (np.random.default_rng(s) for s in child.spawn(2))
        sim = engagement_panel(**design, rng=g_rng)
        res = staggered(sim.data, **COLS, cluster="manager", aggregate=True, n_boot=n_boot,
                        ci_level=ci_level, small_sample=small_sample, rng=e_rng)
        dyn = res.aggregate("dynamic").to_frame()
        rows = dyn[dyn["term"] != "att_dynamic"]
        truth = np.array([sim.truth.event_time.get(int(e), 0.0) if e >= 0 else 0.0
                          for e in rows["event_time"]])
        band.append(bool(np.all((rows["ci_low"] <= truth) & (truth <= rows["ci_high"]))))
        cover.append(res.ci_low <= sim.truth.att <= res.ci_high)
        err.append(res.att - sim.truth.att)
    b, c, e = np.mean(band), np.mean(cover), np.asarray(err)
    return {
        "n_reps": n_reps,
        "band_coverage": float(b), "band_coverage_mcse": math.sqrt(b * (1 - b) / n_reps),
        "att_coverage": float(c), "att_coverage_mcse": math.sqrt(c * (1 - c) / n_reps),
        "att_bias": float(e.mean()), "att_bias_mcse": float(e.std(ddof=1) / math.sqrt(n_reps)),
    }


#: differential trend of coached teams (engagement points per quarter, every quarter): a
#: linear violation of parallel trends, inside Delta^SD(0) and Delta^RM(1)
PRETREND_SLOPE = 0.03
#: managers of the sensitivity design (about 80 per cohort), where the analytic SEs of the
#: event-time effects are accurate, so coverage measures the robust set itself
PRETREND_MANAGERS = 480


def generate_linear_pretrend(rng: np.random.Generator,
                             n_managers: int = PRETREND_MANAGERS) -> SimulatedData:
    """Engagement panel whose coached teams drift apart from the others by
    ``PRETREND_SLOPE`` per quarter, before and after coaching starts (parallel trends
    fails linearly). The truth is the panel's: the coaching effects."""
    sim = engagement_panel(n_managers=n_managers, rng=rng)
    d = sim.data
    treated = (d["coached_from"] > 0).to_numpy()
    drift = np.where(treated, PRETREND_SLOPE * (d["quarter"] - d["coached_from"] + 1), 0.0)
    return SimulatedData(data=d.assign(engagement=d["engagement"] + drift), truth=sim.truth,
                         params={**sim.params, "pretrend_slope": PRETREND_SLOPE})


def estimate_sensitivity(data: pd.DataFrame) -> pd.DataFrame:
    """Average post-treatment effect of the dynamic aggregation (universal base period):
    the conventional interval (``theta_conventional``) and the smoothness-robust set with
    M = 0 (``theta_robust_sd0``, estimate = its centre), which allows any linear
    violation."""
    res = staggered(data, **COLS, cluster="manager", aggregate=True, n_boot=0,
                    base_period="universal")
    f = res.sensitivity("smoothness", m=[0.0], breakdown=False).to_frame()
    f = f[f["term"].isin(["original", "robust[M=0]"])].copy()
    f["term"] = f["term"].map({"original": "theta_conventional",
                               "robust[M=0]": "theta_robust_sd0"})
    # the FLCI is centred on its affine estimator (unbiased under any linear violation)
    robust = f["term"] == "theta_robust_sd0"
    f.loc[robust, "estimate"] = (f.loc[robust, "ci_low"] + f.loc[robust, "ci_high"]) / 2
    return f.reset_index(drop=True)


def truth_theta(sim: SimulatedData) -> dict[str, float]:
    """Mean of the true post-treatment event-time effects (event times 0, 1, ...)."""
    theta = float(np.mean([v for e, v in sim.truth.event_time.items() if e >= 0]))
    return {"theta_conventional": theta, "theta_robust_sd0": theta}


CHECKS: dict[str, RecoveryCheck] = {
    "did_staggered_engagement": RecoveryCheck(
        estimate_fn=estimate_staggered, generate_fn=generate, truth=truth_staggered,
        default_reps=200,
        description="Callaway-Sant'Anna on team means of simulate.engagement_panel: simple "
                    "ATT (analytic CI) and event-time effects (uniform band, so per-term "
                    "coverage exceeds the nominal level), clustered by manager.",
    ),
    "did_staggered_growing_effects": RecoveryCheck(
        estimate_fn=estimate_simple, generate_fn=generate_growing, truth=truth_att,
        default_reps=200,
        description="Callaway-Sant'Anna simple ATT when effects grow 0.12 per quarter.",
    ),
    "did_staggered_rc_engagement": RecoveryCheck(
        estimate_fn=estimate_rc, generate_fn=generate, truth=truth_att, default_reps=200,
        description="Callaway-Sant'Anna on individual survey rows as repeated "
                    "cross-sections (row-weighted; its weights equal the team weights in "
                    "expectation), clustered by manager.",
    ),
    "did_twfe_growing_effects": RecoveryCheck(
        estimate_fn=estimate_twfe, generate_fn=generate_growing, truth=truth_att,
        default_reps=200,
        description="Static TWFE on the same growing-effect design: expected to be biased "
                    "downward (already-treated cohorts serve as controls; Goodman-Bacon 2021).",
    ),
    "did_sensitivity_linear_pretrend": RecoveryCheck(
        estimate_fn=estimate_sensitivity, generate_fn=generate_linear_pretrend,
        truth=truth_theta, default_reps=300,
        description="HonestDiD smoothness sensitivity (Rambachan & Roth 2023) of the "
                    "staggered dynamic aggregation when coached teams drift apart linearly "
                    "(0.03 per quarter, 480 managers): the M = 0 robust set should cover the "
                    "average post-treatment effect at 95% or more; the conventional interval, "
                    "centred on a biased estimate, should not.",
    ),
    "did_bayesian_engagement": RecoveryCheck(
        estimate_fn=_bayes_estimate, generate_fn=_bayes_generate, truth=_bayes_truth,
        default_reps=50,
        description="Multilevel Bayesian DiD on the 200-manager, 8-quarter engagement panel: "
                    "att and event_time[e] (95% equal-tailed credible intervals).",
    ),
}
