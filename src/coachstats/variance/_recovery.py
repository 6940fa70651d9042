"""Recovery checks of the variance decomposition (run by ``coachstats validate``).

Data: one quarter (a cross-section) of :func:`coachstats.simulate.engagement_panel`, on the
latent engagement scale where its truth is defined. In one quarter the person and occasion
variances are not separable, so they form the residual; the truth of the manager's share of
true team-mean variance is ``var_manager / (var_manager + var_team)`` and ICC(1) of manager
is ``var_manager / (var_manager + var_team + var_employee + var_occasion)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulate import SimulatedData
from ..simulate.engagement import engagement_panel
from ..validate.checks import RecoveryCheck
from .decompose import decompose


def _cross_section(sim: SimulatedData) -> SimulatedData:
    q1 = sim.data.loc[sim.data["quarter"] == 1].reset_index(drop=True)
    return SimulatedData(data=q1, truth=sim.truth, params=sim.params)


def generate_default(rng: np.random.Generator) -> SimulatedData:
    """120 managers with 1-3 teams of about 8: the generator's defaults, one quarter."""
    return _cross_section(engagement_panel(periods=2, cohorts=(2,), rng=rng))


def generate_gallup(rng: np.random.Generator) -> SimulatedData:
    """200 managers with 2-4 teams of about 8; ICC(1) of manager .20, manager share .70."""
    sim = engagement_panel(
        n_managers=200, teams_per_manager=(2, 4), periods=2, cohorts=(2,),
        var_manager=0.0875, var_team=0.0375, var_employee=0.2125, var_occasion=0.10, rng=rng,
    )  # fmt: skip
    return _cross_section(sim)


def truth_shares(sim: SimulatedData) -> dict[str, float]:
    t = sim.truth
    return {
        "between_share_team_of_manager": t.manager_share_between_teams,
        "icc1_manager": t.icc_manager,
        "var_manager": t.var_manager,
        "var_team": t.var_team,
        "var_residual": t.var_employee + t.var_occasion,
    }


def _estimate(data: pd.DataFrame, rng: np.random.Generator, n_boot: int) -> pd.DataFrame:
    res = decompose(data, outcome="engagement_latent", levels=["manager", "team"],
                    n_boot=n_boot, rng=rng)  # fmt: skip
    return res.to_frame()


def estimate_reml(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """REML with 1,000-replicate parametric-bootstrap percentile intervals."""
    return _estimate(data, rng, 1000)


def estimate_reml_fast(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """REML with 200 bootstrap replicates (for the quick test)."""
    return _estimate(data, rng, 200)


CHECKS: dict[str, RecoveryCheck] = {
    "variance_reml_default": RecoveryCheck(
        estimate_reml, generate_default, truth_shares, 500,
        "REML + parametric bootstrap: manager share of team-mean variance and ICC(1), "
        "engagement_panel defaults (one quarter, latent scale)",
    ),
    "variance_reml_gallup": RecoveryCheck(
        estimate_reml, generate_gallup, truth_shares, 500,
        "REML + parametric bootstrap with ICC(1) .20 and manager share .70 (200 managers)",
    ),
}  # fmt: skip
