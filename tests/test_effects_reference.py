"""Effect sizes against R and published values.

Pinned values come from tests/reference/effects_reference.json, written by
tests/reference/effects_reference.R (R 4.2.2, metafor 3.8.1; base-R ``pt(..., ncp=)`` +
``uniroot`` for noncentral-t limits). Published values are quoted with their page/table.
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import coachstats as cs
from coachstats.effects import (
    correct_attenuation,
    d_to_r,
    hedges_g,
    hedges_j,
    icc_oneway,
    jacobson_truax_cutoff,
    ncp_interval,
    ppc_d_from_stats,
    r_to_d,
    r_to_z,
    reliable_change,
    repeated_measures_d,
    z_to_r,
)

pytestmark = pytest.mark.reference
REF = json.loads((Path(__file__).parent / "reference" / "effects_reference.json").read_text())
RTOL = 1e-6


def _movies():
    lk = REF["lakens"]
    return pd.DataFrame({"pre": lk["pre"], "post": lk["post"]})


def test_lakens_2013_movie_example_published_values():
    # Lakens (2013), Front. Psychol. 4:863, within-subjects example (Table 1): t(9) = 4.74,
    # d_z = 1.50, 95% CI [0.561, 2.403], d_av = 1.13, d_rm = 1.11. The ten pairs are a
    # reconstruction of Table 1: they reproduce every summary value the paper reports
    # (means 8.7 / 7.7, SDs 0.82 / 0.95, r = .726), not a copy of the spreadsheet file.
    f = repeated_measures_d(_movies(), kind="all", hedges=False).to_frame().set_index("term")
    assert f.loc["d_z", "t"] == pytest.approx(4.74, abs=0.005)
    assert f.loc["d_z", "estimate"] == pytest.approx(1.50, abs=0.005)
    assert f.loc["d_z", "ci_low"] == pytest.approx(0.561, abs=0.0005)
    assert f.loc["d_z", "ci_high"] == pytest.approx(2.403, abs=0.0005)
    assert f.loc["d_av", "estimate"] == pytest.approx(1.13, abs=0.005)
    assert f.loc["d_rm", "estimate"] == pytest.approx(1.11, abs=0.005)


def test_lakens_movie_example_against_r():
    lk = REF["lakens"]
    f = repeated_measures_d(_movies(), kind="all", hedges=False).to_frame().set_index("term")
    # d_z = mean(diff)/sd(diff) (Lakens eq. 6); exact CI from pt(ncp=) + uniroot
    assert f.loc["d_z", "estimate"] == pytest.approx(lk["d_z"], rel=RTOL)
    assert f.loc["d_z", "ci_low"] == pytest.approx(lk["d_z_ci"][0], rel=RTOL)
    assert f.loc["d_z", "ci_high"] == pytest.approx(lk["d_z_ci"][1], rel=RTOL)
    assert f.loc["d_z", "p_value"] == pytest.approx(lk["p"], rel=RTOL)
    # d_av = mean(diff) / ((sd1 + sd2)/2) (eq. 10); d_rm = d_z sqrt(2(1 - r)) (eq. 9)
    assert f.loc["d_av", "estimate"] == pytest.approx(lk["d_av"], rel=RTOL)
    assert f.loc["d_rm", "estimate"] == pytest.approx(lk["d_rm"], rel=RTOL)
    assert f.loc["d_z", "r_pre_post"] == pytest.approx(lk["r"], rel=RTOL)
    g = repeated_measures_d(_movies(), kind="z").to_frame().iloc[0]
    assert g["estimate"] == pytest.approx(lk["J9"] * 1.5, rel=RTOL)
    # the exact interval is for delta_z: the same with or without the correction
    assert g["ci_low"] == pytest.approx(lk["d_z_ci"][0], rel=RTOL)


def test_hedges_j_exact_against_r_and_approximation():
    assert hedges_j(9) == pytest.approx(REF["lakens"]["J9"], rel=1e-12)
    for m in (5, 20, 200):
        assert hedges_j(m) == pytest.approx(1 - 3 / (4 * m - 1), abs=2 / m**2)


def test_two_group_g_against_metafor_escalc_and_noncentral_ci():
    tg = REF["two_group"]
    d = pd.DataFrame({"y": tg["y1"] + tg["y0"],
                      "grp": ["b"] * len(tg["y1"]) + ["a"] * len(tg["y0"])})
    row = cs.effects.independent_d(d, "y", "grp", reference="a").to_frame().iloc[0]
    # escalc(measure="SMD"): yi = exact-J g, vi = 1/n1 + 1/n2 + g^2/(2(n1 + n2))
    assert row["estimate"] == pytest.approx(tg["g"], rel=RTOL)
    assert row["std_error"] ** 2 == pytest.approx(tg["vi"], rel=RTOL)
    assert row["d"] == pytest.approx(tg["d"], rel=RTOL)
    assert row["ci_low"] == pytest.approx(tg["ci"][0], rel=RTOL)
    assert row["ci_high"] == pytest.approx(tg["ci"][1], rel=RTOL)
    assert row["t"] == pytest.approx(tg["t"], rel=RTOL)
    assert row["p_value"] == pytest.approx(tg["p"], rel=RTOL)
    assert row["raw_ci_low"] == pytest.approx(tg["welch_ci"][0], rel=RTOL)
    assert row["raw_ci_high"] == pytest.approx(tg["welch_ci"][1], rel=RTOL)


MORRIS_TABLE5 = [0.7684, 0.8010, 1.2045, 1.0476, 0.4389]


@pytest.mark.parametrize("i", range(5))
def test_morris_2008_table5_dppc2(i):
    # Morris (2008), Organ. Res. Methods 11:364, Table 5 (p. 382), d_ppc2 for the five
    # Carlson & Schmidt (1999) training studies; 4-decimal values as reproduced in metafor's
    # tests (test_analysis_example_morris2008.r), R values with exact c_P for rel 1e-6.
    m = REF["morris"]
    t, c = m["treatment"][i], m["control"][i]
    res = ppc_d_from_stats(m_pre_t=t["m_pre"], m_post_t=t["m_post"], sd_pre_t=t["sd_pre"],
                           n_t=t["n"], m_pre_c=c["m_pre"], m_post_c=c["m_post"],
                           sd_pre_c=c["sd_pre"], n_c=c["n"], r=m["rho"][i])
    row = res.to_frame().iloc[0]
    assert row["estimate"] == pytest.approx(MORRIS_TABLE5[i], abs=5e-5)
    assert row["estimate"] == pytest.approx(m["d_ppc2"][i], rel=RTOL)
    # Morris eq. 25 variance, written out independently in the R script
    assert row["std_error"] ** 2 == pytest.approx(m["var_eq25"][i], rel=RTOL)
    assert row["hedges_j"] == pytest.approx(m["cp"][i], rel=1e-10)


@pytest.mark.parametrize("case", REF["ncp"], ids=lambda c: f"t={c['t']},df={c['df']}")
def test_noncentral_limits_against_r(case):
    for level, key in ((0.95, "ci95"), (0.90, "ci90")):
        lo, hi = ncp_interval(case["t"], case["df"], ci_level=level)
        assert lo == pytest.approx(case[key][0], rel=1e-8)
        assert hi == pytest.approx(case[key][1], rel=1e-8)


def _cdf_by_integration(t, df, nc):
    def f(u):
        return stats.norm.cdf(t * u / math.sqrt(df) - nc) * stats.chi.pdf(u, df)
    return integrate.quad(f, 0, 60, points=[nc * math.sqrt(df) / t], limit=500)[0]


def test_noncentral_limits_beyond_rs_accuracy_range():
    # R's pt(ncp=) is documented inaccurate for ncp > 37.62; check the defining equations
    # by direct numerical integration instead (t = 30, df = 5: upper limit ~ 48.15).
    lo, hi = ncp_interval(30.0, 5)
    assert _cdf_by_integration(30.0, 5, lo) == pytest.approx(0.975, abs=1e-9)
    assert _cdf_by_integration(30.0, 5, hi) == pytest.approx(0.025, abs=1e-9)
    assert hi == pytest.approx(48.1526, abs=1e-3)


def test_correlation_fisher_ci_against_cor_test():
    c = REF["cor"]
    n = len(c["x"])
    ratings = pd.DataFrame({
        "leader": list(range(n)) * 2, "group": ["a"] * n + ["b"] * n,
        "time": "pre", "y": c["x"] + c["y"]})
    ratings = pd.concat([ratings, ratings.assign(time="post")])
    res = cs.effects.rater_agreement(ratings, leader="leader", rater_group="group",
                                     rating="y", time="time",
                                     exempt_groups=("a", "b"))
    row = res.agreement_frame().set_index("term").loc["a~b:pre"]
    assert row["estimate"] == pytest.approx(c["r"], rel=RTOL)
    assert row["ci_low"] == pytest.approx(c["ci"][0], rel=RTOL)
    assert row["ci_high"] == pytest.approx(c["ci"][1], rel=RTOL)


def test_icc_oneway_against_r_anova():
    ic = REF["icc"]
    icc1, icc2, k = icc_oneway(np.array(ic["y"]), np.array(ic["g"]))
    assert k == 5
    assert icc1 == pytest.approx(ic["icc1"], rel=RTOL)
    assert icc2 == pytest.approx(ic["icc2"], rel=RTOL)


def test_jacobson_truax_worked_example_by_hand():
    # Hand computation: SD_pre = 10, r_xx = .80
    #   SE     = 10 * sqrt(1 - .80)         = 4.472136
    #   S_diff = sqrt(2 * 4.472136^2)       = 6.324555
    #   critical change = 1.959964 * 6.324555 = 12.395901 scale points
    # Changes of +12.3 (below), +12.5 (above), -12.5 and 0 with cut-off c between a
    # dysfunctional (M 30, SD 8) and functional (M 50, SD 10) population:
    #   c = (10 * 30 + 8 * 50) / (8 + 10) = 38.888889
    d = pd.DataFrame({
        "pre": [30.0, 30.0, 45.0, 40.0, 33.0, 20.0],
        "post": [42.3, 42.5, 32.5, 40.0, 49.0, 34.0],
    })
    cut = jacobson_truax_cutoff(30, 8, 50, 10, criterion="c")
    assert cut == pytest.approx(38.888889, abs=1e-6)
    res = reliable_change(d, "pre", "post", reliability=0.8, sd_pre=10, cutoff=cut)
    assert res.se_measurement == pytest.approx(4.472136, abs=1e-6)
    assert res.s_diff == pytest.approx(6.324555, abs=1e-6)
    assert res.critical_change == pytest.approx(12.395901, abs=1e-6)
    # 30 -> 42.3: +12.3 < 12.396 -> unchanged although it crosses the cut-off
    # 30 -> 42.5: reliable and crosses 38.89 -> recovered
    # 45 -> 32.5: -12.5 -> deteriorated;  40 -> 40: unchanged
    # 33 -> 49: +16, crosses -> recovered; 20 -> 34: +14, stays below -> improved
    assert res.counts == {"recovered": 2, "improved": 1, "unchanged": 2, "deteriorated": 1}
    assert jacobson_truax_cutoff(30, 8, criterion="a") == 46
    assert jacobson_truax_cutoff(30, 8, 50, 10, criterion="b") == 30
    assert jacobson_truax_cutoff(30, 8, criterion="a", higher_is_better=False) == 14


def test_conversions_by_formula():
    # Borenstein et al. (2009) eq. 7.7-7.8 with a = 4 (equal groups); Fisher (1921)
    assert r_to_z(0.5) == pytest.approx(0.5 * math.log(3), rel=1e-12)
    assert z_to_r(r_to_z(0.37)) == pytest.approx(0.37, rel=1e-12)
    assert d_to_r(0.5) == pytest.approx(0.5 / math.sqrt(4.25), rel=1e-12)
    assert r_to_d(d_to_r(0.8, 30, 70), 30, 70) == pytest.approx(0.8, rel=1e-12)
    assert d_to_r(0.5, 50, 50) == pytest.approx(d_to_r(0.5), rel=1e-12)
    assert hedges_g(1.5, 9) == pytest.approx(1.5 * REF["lakens"]["J9"], rel=1e-12)
    np.testing.assert_allclose(hedges_g([1.0, 2.0], [9, 9]), np.array([1, 2]) * hedges_j(9))
    assert correct_attenuation(0.3, 0.81, 0.64) == pytest.approx(0.3 / 0.72, rel=1e-12)


@pytest.mark.parametrize("kind", ["av", "rm"])
def test_d_av_d_rm_satterthwaite_interval_against_r_arithmetic(kind):
    # No exact interval exists for d_av/d_rm; the package's noncentral-t interval with the
    # Satterthwaite df of the standardizer is written out independently in the R script
    # (function satt) to pin its arithmetic on the Lakens data.
    ref = REF[f"lakens_{kind}"]
    row = repeated_measures_d(_movies(), kind=kind).to_frame().iloc[0]
    assert row["d"] == pytest.approx(ref["d"], rel=RTOL)
    assert row["df"] == pytest.approx(ref["nu"], rel=RTOL)
    assert row["hedges_j"] == pytest.approx(ref["J"], rel=RTOL)
    assert row["estimate"] == pytest.approx(ref["g"], rel=RTOL)
    assert row["ci_low"] == pytest.approx(ref["ci"][0], rel=RTOL)
    assert row["ci_high"] == pytest.approx(ref["ci"][1], rel=RTOL)
