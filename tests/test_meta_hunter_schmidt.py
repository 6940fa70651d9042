"""Hunter-Schmidt psychometric meta-analysis: hand-computed values, corrections, errors."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

D = pd.DataFrame({"r": [0.20, 0.40, 0.30], "n": [50, 100, 150],
                  "rxx": [0.80, 0.90, 0.70], "ryy": [0.60, 0.75, 0.80]})


def test_bare_bones_by_hand():
    # N = 300; rbar = (50*.2 + 100*.4 + 150*.3)/300 = 95/300
    rbar = 95 / 300
    var_r = (50 * (0.2 - rbar) ** 2 + 100 * (0.4 - rbar) ** 2 + 150 * (0.3 - rbar) ** 2) / 300
    ve_mean_n = (1 - rbar**2) ** 2 / (100 - 1)
    ve_avg = (1 - rbar**2) ** 2 * (50 / 49 + 100 / 99 + 150 / 149) / 300
    a = cs.meta.hunter_schmidt(D, error_variance="mean_n")
    b = cs.meta.hunter_schmidt(D, error_variance="average", se="textbook")
    assert a.r_bar == pytest.approx(rbar, rel=1e-12)
    assert a.var_r == pytest.approx(var_r, rel=1e-12)
    assert a.var_e == pytest.approx(ve_mean_n, rel=1e-12)
    assert b.var_e == pytest.approx(ve_avg, rel=1e-12)
    assert a.var_res == max(0.0, var_r - ve_mean_n)
    assert b.pct_var_sampling == pytest.approx(100 * ve_avg / var_r, rel=1e-12)
    assert b.se_r_bar == pytest.approx(np.sqrt(var_r / 3), rel=1e-12)
    assert a.rho == a.r_bar and not a.artifacts
    f = b.to_frame().set_index("term")
    z90 = 1.2815515655446004
    assert f.loc["r_bar", "cred_high"] == pytest.approx(rbar + z90 * np.sqrt(b.var_res))


def test_individual_reliability_correction_by_hand():
    A = np.sqrt(D["rxx"] * D["ryy"]).to_numpy()
    rc = D["r"].to_numpy() / A
    w = D["n"].to_numpy() * A**2
    rho = np.sum(w * rc) / w.sum()
    var_rc = np.sum(w * (rc - rho) ** 2) / w.sum()
    rbar = 95 / 300
    ve = (1 - rbar**2) ** 2 / (D["n"].to_numpy() - 1) / A**2
    var_rho = max(0.0, var_rc - np.sum(w * ve) / w.sum())
    hs = cs.meta.hunter_schmidt(D, rxx="rxx", ryy="ryy")
    assert hs.rho == pytest.approx(rho, rel=1e-12)
    assert hs.var_rho == pytest.approx(var_rho, rel=1e-12, abs=1e-15)
    # the weighted (robust) SE of a weighted mean
    se = np.sqrt(3 / 2 * np.sum(w**2 * (rc - rho) ** 2)) / w.sum()
    assert hs.se_rho == pytest.approx(se, rel=1e-12)


def test_artifact_distribution_with_constant_artifacts_equals_simple_disattenuation():
    hs = cs.meta.hunter_schmidt(D, rxx=0.8, ryy=0.7, correction="artifact_distribution")
    assert hs.rho == pytest.approx(hs.r_bar / np.sqrt(0.8 * 0.7), rel=1e-12)
    assert hs.sd_rho == pytest.approx(hs.sd_res / np.sqrt(0.8 * 0.7), rel=1e-12)


def test_range_restriction_thorndike_case_ii():
    # one constant correlation: the correction must equal Thorndike's formula exactly
    d = pd.DataFrame({"r": [0.25, 0.25], "n": [100, 100]})
    hs = cs.meta.hunter_schmidt(d, u=0.5)
    U = 2.0
    assert hs.rho == pytest.approx(U * 0.25 / np.sqrt(1 + 0.25**2 * (U**2 - 1)), rel=1e-12)


def test_artifact_distribution_allows_missing_reliabilities():
    d = D.assign(rxx=[0.8, np.nan, 0.7])
    hs = cs.meta.hunter_schmidt(d, rxx="rxx", ryy="ryy", correction="artifact_distribution")
    assert np.isfinite(hs.rho)
    with pytest.raises(ValueError, match=r"'rxx'.*missing"):
        cs.meta.hunter_schmidt(d, rxx="rxx", ryy="ryy")


def test_corrected_rho_recovers_construct_truth():
    sim = cs.simulate.meta_correlations(k=400, rho=0.4, tau=0.08, rxx=0.8, ryy=0.7,
                                        reliability_spread=0.08, rng=8)
    for corr in ("individual", "artifact_distribution"):
        hs = cs.meta.hunter_schmidt(sim.data, rxx="rxx", ryy="ryy", correction=corr)
        assert abs(hs.rho - 0.4) < 3 * hs.se_rho
        assert abs(hs.sd_rho - 0.08) < 0.03
        assert abs(hs.r_bar - sim.truth.rho_obs) < 3 * hs.se_r_bar


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rxx": 1.2}, "rxx.*\\(0, 1\\]"),
        ({"u": "nope"}, "argument u="),
        ({"correction": "x"}, "correction"),
        ({"error_variance": "x"}, "error_variance"),
        ({"credibility": 80}, "credibility"),
        ({"rxx": True}, "rxx"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cs.meta.hunter_schmidt(D, **kwargs)


def test_result_renders(tmp_path):
    hs = cs.meta.hunter_schmidt(D, rxx="rxx", ryy="ryy")
    assert "Hunter-Schmidt" in hs.summary()
    assert hs.to_frame()["term"].tolist() == ["r_bar", "rho"]
    assert hs.plot() is not None
    assert "Funder" in str(hs.interpret()[0])
