"""Recovery checks of the survey estimators (run by ``coachstats validate``).

Each generator and estimator is module-level so joblib can pickle it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulate import SimulatedData
from ..simulate.exits import exit_survey
from ..validate.checks import RecoveryCheck
from .proportion import proportion

# --- simple random sample, small n, Wilson and Clopper-Pearson ----------------------------

SRS = {"n": 40, "p": 0.42}


def generate_srs(rng: np.random.Generator) -> SimulatedData:
    """40 respondents answering yes with probability 0.42."""
    y = (rng.random(SRS["n"]) < SRS["p"]).astype(int)
    return SimulatedData(pd.DataFrame({"yes": y}), {"p": SRS["p"]}, dict(SRS))


def estimate_srs_wilson(data: pd.DataFrame) -> pd.DataFrame:
    return proportion(data, "yes").to_frame().assign(term="p")


def estimate_srs_exact(data: pd.DataFrame) -> pd.DataFrame:
    return proportion(data, "yes", method="clopper-pearson").to_frame().assign(term="p")


# --- exit survey with nonresponse, raked to the known margins -----------------------------

EXIT_N = 1500
MARGINS = exit_survey(EXIT_N, rng=0).truth.margins  # fixed by the design, not the draw


def generate_exit(rng: np.random.Generator) -> SimulatedData:
    """Default exit_survey: 1,500 leavers, about 46% respond, response depends on tenure."""
    return exit_survey(EXIT_N, rng=rng)


def estimate_exit_raked(data: pd.DataFrame) -> pd.DataFrame:
    f = proportion(data, "preventable", margins=MARGINS).to_frame()
    return f.assign(term="raked")


def estimate_exit_naive(data: pd.DataFrame) -> pd.DataFrame:
    return proportion(data, "preventable").to_frame().assign(term="unweighted")


def truth_exit(sim: SimulatedData) -> dict[str, float]:
    return {"raked": sim.truth.proportion}


def truth_exit_naive(sim: SimulatedData) -> dict[str, float]:
    return {"unweighted": sim.truth.proportion}


CHECKS: dict[str, RecoveryCheck] = {
    "survey.proportion_wilson": RecoveryCheck(
        estimate_srs_wilson, generate_srs, {"p": SRS["p"]}, default_reps=2000,
        description="proportion: Wilson interval, 40 respondents, p = 0.42"),
    "survey.proportion_exact": RecoveryCheck(
        estimate_srs_exact, generate_srs, {"p": SRS["p"]}, default_reps=2000,
        description="proportion: Clopper-Pearson interval (conservative), 40 respondents"),
    "survey.proportion_raked": RecoveryCheck(
        estimate_exit_raked, generate_exit, truth_exit, default_reps=500,
        description="proportion raked to tenure-band and level totals under nonresponse "
                    "(exit_survey, 1,500 leavers); truth = the leavers' share in that draw"),
}
