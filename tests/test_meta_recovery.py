"""Recovery of the meta-analysis estimators on simulate.meta_correlations (MCSE-aware)."""

import pytest

from coachstats.meta._recovery import CHECKS
from coachstats.validate import recovery


def _run(name, n_reps, rng):
    c = CHECKS[name]
    return recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=n_reps,
                    rng=rng).to_frame().set_index("term")


def _covers(row, nominal=0.95, z=3.5):
    return abs(row["coverage"] - nominal) <= z * max(row["coverage_mcse"], 0.005)


def test_reml_knha_covers_the_mean_fast():
    f = _run("meta_reml_knha", 150, 1)
    assert _covers(f.loc["mu_z"]) and _covers(f.loc["tau_z"])
    assert f.loc["mu_z", "n_failed"] == 0
    assert abs(f.loc["mu_z", "bias"]) < 4 * f.loc["mu_z", "bias_mcse"] + 0.002


def test_hunter_schmidt_recovers_disattenuated_rho_fast():
    f = _run("meta_hunter_schmidt", 40, 2)
    assert abs(f.loc["rho", "bias"]) < 4 * f.loc["rho", "bias_mcse"] + 0.003
    assert abs(f.loc["r_bar", "bias"]) < 4 * f.loc["r_bar", "bias_mcse"] + 0.003


@pytest.mark.slow
@pytest.mark.parametrize("name", ["meta_reml_knha", "meta_reml_knha_small_k"])
def test_reml_knha_coverage_full(name):
    f = _run(name, 2000, 3)
    assert _covers(f.loc["mu_z"], z=3) and _covers(f.loc["tau_z"], z=3)


@pytest.mark.slow
def test_wald_z_undercovers_with_few_studies_full():
    f = _run("meta_reml_z_small_k", 2000, 3)
    assert f.loc["mu_z", "coverage"] < 0.95 - 2 * f.loc["mu_z", "coverage_mcse"]


@pytest.mark.slow
def test_hunter_schmidt_full():
    f = _run("meta_hunter_schmidt", 1000, 4)
    assert abs(f.loc["rho", "bias"]) < 3 * f.loc["rho", "bias_mcse"] + 0.002
    assert f.loc["rho", "coverage"] > 0.90
