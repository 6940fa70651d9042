"""HonestDiD sensitivity against the full-precision results of the R package's own README
build (its knitr cache; tests/reference/honestdid_readme.R has the provenance).

- Smoothness (FLCI): R's critical value is a simulated folded-normal quantile (10^6 draws,
  seed 0). Where that quantile is a shift of the draws' 95% quantile (large bias / SD), the
  half-length is replayed with R's simulated quantile and must agree to 1e-9; elsewhere the
  agreement is within R's Monte Carlo error (3e-5).
- Relative magnitudes (C-LF): R reports the extreme accepted points of a grid
  (``seq(-20 sdTheta, 20 sdTheta, length.out = gridPoints)``) with a simulated
  least-favourable critical value; the ends here (found by bisection) must lie within two
  grid steps.
- The original (conventional) intervals and the inputs extracted from a ``did`` event
  study are exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from coachstats.did import honest

R = json.loads((Path(__file__).parent / "reference" / "honestdid_readme.json").read_text())
Q = R["qfold"]
MC_TOL = 3e-5  # Monte Carlo error of R's simulated folded-normal quantile, times the SD


def _case(name):
    c = R[name]
    return np.array(c["betahat"]), np.array(c["sigma"]), c["n_pre"], c["n_post"]


def test_provenance():
    assert "6813f02ed38f0b63bdca6915604b2eac90491303" in R["provenance"]["source"]
    assert Q["rng"].startswith("Mersenne-Twister/Inversion")


def _replay_rows(ms):
    """R's FLCI ends replayed with its simulated quantile, for M where that quantile is a
    shift (every reflected draw |z + mu| stays below it: mu > (-min_draw - q_shift) / 2)."""
    B, S, n_pre, n_post = _case("medicaid")
    r = R["medicaid"]["sd_first"]
    l_vec = np.array(r["l_vec"], float)
    Phi = honest._hinge_basis(n_pre, n_post)
    for m in ms:
        i = r["m"].index(m)
        a, half = honest.flci_weights(S, n_pre, n_post, l_vec, m)
        est, sd = float(a @ B), float(np.sqrt(a @ S @ a))
        bias = m * float(np.abs(Phi.T @ a).sum())
        assert half == pytest.approx(honest._cv_folded(bias / sd, 0.95) * sd, rel=1e-12)
        assert bias / sd > (-Q["min_draw"] - Q["q_shift"]) / 2
        half_r = bias + sd * Q["q_shift"]
        assert est - half_r == pytest.approx(r["lb"][i], abs=1e-9)
        assert est + half_r == pytest.approx(r["ub"][i], abs=1e-9)
    return est, half


def test_smoothness_replays_r_exactly_where_its_quantile_is_a_shift():
    est, half = _replay_rows([0.03, 0.05])
    B, S, n_pre, n_post = _case("medicaid")
    res = honest.sensitivity(B, S, n_pre, n_post, kind="smoothness", m=[0.05],
                             l_vec=[1.0, 0.0], breakdown=False)
    assert res.table["ci_low"].iloc[0] == pytest.approx(est - half, abs=1e-12)
    assert res.table["ci_high"].iloc[0] == pytest.approx(est + half, abs=1e-12)


@pytest.mark.slow
def test_smoothness_full_table_against_r():
    _replay_rows([0.03, 0.04, 0.05])
    B, S, n_pre, n_post = _case("medicaid")
    r = R["medicaid"]["sd_first"]
    res = honest.sensitivity(B, S, n_pre, n_post, kind="smoothness", m=r["m"],
                             l_vec=r["l_vec"], breakdown=False)
    # the other rows: within R's Monte Carlo error
    assert np.abs(res.table["ci_low"].to_numpy() - r["lb"]).max() < MC_TOL
    assert np.abs(res.table["ci_high"].to_numpy() - r["ub"]).max() < MC_TOL


def test_smoothness_at_m0_is_the_minimum_variance_estimator():
    _, S, n_pre, n_post = _case("medicaid")
    r = R["medicaid"]["sd_first"]
    a, half = honest.flci_weights(S, n_pre, n_post, np.array([1.0, 0.0]), 0.0)
    sd = float(np.sqrt(a @ S @ a))
    # R's half-length with its simulated quantile at mu = 0, to R's optimiser accuracy
    assert sd * Q["q_mu0"] == pytest.approx((r["ub"][0] - r["lb"][0]) / 2, rel=1e-4)
    assert half == pytest.approx(sd * stats.norm.ppf(0.975), rel=1e-12)


@pytest.mark.slow
def test_smoothness_with_a_control_matches_the_printed_readme():
    B, S, n_pre, n_post = _case("medicaid_control")
    r = R["medicaid_control"]["sd_first_printed"]
    res = honest.sensitivity(B, S, n_pre, n_post, kind="smoothness", m=r["m"],
                             l_vec=[1.0, 0.0], breakdown=False)
    for col, printed in (("ci_low", r["lb"]), ("ci_high", r["ub"])):
        x = np.abs(np.asarray(printed))
        tol = 0.5 * 10.0 ** (np.floor(np.log10(x)) - 2) + MC_TOL  # 3 printed digits
        assert (np.abs(res.table[col].to_numpy() - printed) <= tol).all(), col


@pytest.mark.parametrize("case,key", [
    ("medicaid", "rm_first"),
    pytest.param("medicaid", "rm_avg", marks=pytest.mark.slow),
    pytest.param("sunab", "rm_first", marks=pytest.mark.slow),
    pytest.param("callaway_santanna", "rm_first", marks=pytest.mark.slow)])
def test_relative_magnitudes_within_two_grid_steps(case, key):
    B, S, n_pre, n_post = _case(case)
    r = R[case][key]
    l_vec = np.array(r["l_vec"], float)
    post = S[n_pre:, n_pre:]
    step = 40 * np.sqrt(l_vec @ post @ l_vec) / (r["grid_points"] - 1)
    res = honest.sensitivity(B, S, n_pre, n_post, kind="relative_magnitude", m=r["m"],
                             l_vec=l_vec, breakdown=False, rng=0)
    t = res.table
    assert np.abs(t["ci_low"].to_numpy() - r["lb"]).max() < 2 * step
    assert np.abs(t["ci_high"].to_numpy() - r["ub"]).max() < 2 * step
    # the sets widen with Mbar, as R's
    assert (np.diff(t["ci_high"] - t["ci_low"]) > 0).all()


@pytest.mark.parametrize("case", ["sunab", "callaway_santanna"])
def test_original_intervals_are_exact(case):
    B, S, n_pre, n_post = _case(case)
    res = honest.sensitivity(B, S, n_pre, n_post, kind="smoothness", m=[0.0],
                             l_vec=np.eye(n_post)[0], breakdown=False)
    assert res.ci_low == pytest.approx(np.ravel(R[case]["original"]["lb"])[0], rel=1e-10)
    assert res.ci_high == pytest.approx(np.ravel(R[case]["original"]["ub"])[0], rel=1e-10)


def test_medicaid_inputs_reproduce_the_cached_average_interval():
    B, S, n_pre, _ = _case("medicaid")
    o = R["medicaid"]["original_avg"]
    lv = np.array(o["l_vec"])
    est = lv @ B[n_pre:]
    se = np.sqrt(lv @ S[n_pre:, n_pre:] @ lv)
    z = stats.norm.ppf(0.975)
    assert est - z * se == pytest.approx(np.ravel(o["lb"])[0], rel=1e-10)
    assert est + z * se == pytest.approx(np.ravel(o["ub"])[0], rel=1e-10)


def test_event_times_drop_the_reference_period():
    cs = R["callaway_santanna"]
    assert -1 not in cs["event_times"] and len(cs["betahat"]) == cs["n_pre"] + cs["n_post"]
    res = honest.sensitivity_from_event_times(
        np.array(cs["event_times"]), np.array(cs["betahat"]), np.array(cs["sigma"]), -1,
        kind="smoothness", m=[0.0], period=0, breakdown=False)
    assert res.ci_low == pytest.approx(np.ravel(cs["original"]["lb"])[0], rel=1e-10)
