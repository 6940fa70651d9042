"""Recovery checks of the causal estimators on ``simulate.selection_into_coaching`` (run by
``coachstats validate``). Functions are module-level so joblib can pickle them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..simulate import SimulatedData
from ..simulate.selection import selection_into_coaching
from ..validate.checks import RecoveryCheck
from .aipw import aipw
from .matching import matching
from .weighting import weighting

COLS = {"treatment": "coached", "outcome": "performance",
        "covariates": ["potential", "tenure", "prior_rating", "unit"]}


def generate(rng: np.random.Generator) -> SimulatedData:
    """600 leaders, selection on the observed traits only (default design)."""
    return selection_into_coaching(rng=rng)


def estimate_odds_att(data: pd.DataFrame) -> pd.DataFrame:
    return weighting(data, **COLS, estimand="ATT").to_frame()


def estimate_ipw_ate(data: pd.DataFrame) -> pd.DataFrame:
    return weighting(data, **COLS, estimand="ATE").to_frame()


def estimate_entropy_att(data: pd.DataFrame) -> pd.DataFrame:
    return weighting(data, **COLS, estimand="ATT", method="entropy").to_frame()


def estimate_matching_att(data: pd.DataFrame) -> pd.DataFrame:
    return matching(data, **COLS, replace=True).to_frame()


def estimate_aipw_ate(data: pd.DataFrame) -> pd.DataFrame:
    return aipw(data, **COLS, estimand="ATE").to_frame()


def estimate_raw_difference(data: pd.DataFrame) -> pd.DataFrame:
    """Unadjusted difference in means (Welch interval), labelled as an estimate of the ATT."""
    t = data["coached"] == 1
    y1, y0 = data.loc[t, "performance"], data.loc[~t, "performance"]
    v1, v0 = y1.var() / len(y1), y0.var() / len(y0)
    se = float(np.sqrt(v1 + v0))
    df = (v1 + v0) ** 2 / (v1**2 / (len(y1) - 1) + v0**2 / (len(y0) - 1))
    q = float(stats.t.ppf(0.975, df))
    est = float(y1.mean() - y0.mean())
    return pd.DataFrame({"term": ["att"], "estimate": [est], "std_error": [se],
                         "ci_low": [est - q * se], "ci_high": [est + q * se], "ci_level": [0.95]})


def truth_att(sim: SimulatedData) -> dict[str, float]:
    return {"att": sim.truth.att}


def truth_ate(sim: SimulatedData) -> dict[str, float]:
    return {"ate": sim.truth.ate}


_DESIGN = ("600 leaders of simulate.selection_into_coaching (selection on potential, tenure, "
           "prior rating and unit; effect 0.30 + 0.10 x potential)")

CHECKS: dict[str, RecoveryCheck] = {
    "causal_odds_weights_att": RecoveryCheck(
        estimate_fn=estimate_odds_att, generate_fn=generate, truth=truth_att, default_reps=200,
        description=f"Odds-weighted ATT with the stacked-equation sandwich on {_DESIGN}."),
    "causal_ipw_ate": RecoveryCheck(
        estimate_fn=estimate_ipw_ate, generate_fn=generate, truth=truth_ate, default_reps=200,
        description=f"Inverse-probability-weighted ATE on {_DESIGN}."),
    "causal_entropy_att": RecoveryCheck(
        estimate_fn=estimate_entropy_att, generate_fn=generate, truth=truth_att,
        default_reps=200, description=f"Entropy-balancing ATT on {_DESIGN}."),
    "causal_matching_att": RecoveryCheck(
        estimate_fn=estimate_matching_att, generate_fn=generate, truth=truth_att,
        default_reps=200,
        description=f"1:1 nearest-neighbour matching with replacement (Abadie-Imbens SE with "
                    f"the Abadie-Imbens 2016 correction for the estimated score) on "
                    f"{_DESIGN}."),
    "causal_aipw_ate": RecoveryCheck(
        estimate_fn=estimate_aipw_ate, generate_fn=generate, truth=truth_ate, default_reps=200,
        description=f"Augmented IPW ATE (influence-function SE) on {_DESIGN}."),
    "causal_raw_difference": RecoveryCheck(
        estimate_fn=estimate_raw_difference, generate_fn=generate, truth=truth_att,
        default_reps=200,
        description=f"Unadjusted difference in means on {_DESIGN}: biased upward by design "
                    "(truth.raw_bias_att, about +0.34)."),
}
