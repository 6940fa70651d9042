"""timeseries.synthetic_control(method="augmented"): ridge ASCM (Ben-Michael, Feller &
Rothstein 2021) against an independent closed-form computation and against the numbers the
authors' R package prints for its Kansas example.

Kansas reference values: ``vignettes/singlesynth-vignette.md`` of
https://github.com/ebenmichael/augsynth (snapshot f942957c7a91febbbdcdee11347d221b177128c6),
output of ``augsynth(lngdpcapita ~ treated, fips, year_qtr, kansas, progfunc = "Ridge",
scm = T)`` and ``progfunc = "None"``; data: the package's ``data/kansas.rda``, exported by
``tests/reference/timeseries_kansas.R``. augsynth cannot be installed here (no CRAN), so only
its printed figures are compared, to the digits printed.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

REF = Path(__file__).parent / "reference"

# printed by the vignette: summary(asyn) (ridge ASCM) and summary(syn) (SCM)
KANSAS_ASCM = {"att": -0.0401, "l2": 0.062, "improvement": 0.847, "avg_bias": 0.011,
               "max_weight": 0.316, "n_donors": 49}
KANSAS_SCM = {"att": -0.0294, "l2": 0.083, "improvement": 0.795, "n_donors": 7,
              "min_weight": 0.053, "max_weight": 0.301}
# time, estimate, 95% CI lower, upper, p-value (conformal inference), summary(asyn)
KANSAS_ASCM_GAPS = np.array([
    [2012.25, -0.022, -0.044, 0.003, 0.057], [2012.50, -0.047, -0.072, -0.018, 0.020],
    [2012.75, -0.043, -0.071, -0.010, 0.023], [2013.00, -0.030, -0.055, -0.004, 0.026],
    [2013.25, -0.041, -0.067, -0.016, 0.024], [2013.50, -0.059, -0.091, -0.030, 0.023],
    [2013.75, -0.045, -0.073, -0.019, 0.024], [2014.00, -0.058, -0.087, -0.026, 0.020],
    [2014.25, -0.055, -0.094, -0.020, 0.023], [2014.50, -0.041, -0.080, -0.006, 0.038],
    [2014.75, -0.029, -0.072, 0.006, 0.051], [2015.00, -0.040, -0.082, 0.000, 0.055],
    [2015.25, -0.030, -0.069, 0.002, 0.045], [2015.50, -0.033, -0.072, 0.000, 0.059],
    [2015.75, -0.029, -0.071, 0.010, 0.056], [2016.00, -0.038, -0.091, 0.004, 0.049]])
# the cross-validated penalty as computed by an independent Python port of augsynth
# (sdfordham/pysyncon, parity_tests/test_augsynth_kansas.py: lambda_asyn); the vignette does
# not print it
KANSAS_LAMBDA = 0.07866222813499749


@pytest.fixture(scope="module")
def kansas():
    return pd.read_csv(REF / "timeseries_kansas.csv")


@pytest.fixture(scope="module")
def kansas_fit(kansas):
    before = kansas.copy()
    res = cs.timeseries.synthetic_control(kansas, "lngdpcapita", "fips", "year_qtr",
                                          treated=20, intervention=2012.25,
                                          method="Augmented")
    pd.testing.assert_frame_equal(kansas, before)
    return res


def _closed_form_ascm(y1, y0, pre, lam):
    """SCM gap minus the ridge-regression estimate of its bias, written from the paper's
    equation (6) with a ridge fit of every period's donor outcomes on their centred
    pre-program outcomes (numpy lstsq on the augmented system), independent of coachstats'
    weight formula."""
    w = cs.timeseries.simplex_weights(y1[pre], y0[pre])
    x0 = y0[pre].T                                # donors x pre periods
    xbar = x0.mean(axis=0)
    xc = x0 - xbar
    k = xc.shape[1]
    a = np.vstack([xc, np.sqrt(lam) * np.eye(k)])
    gaps = []
    for t in range(len(y1)):
        yc = y0[t] - y0[t].mean()
        beta = np.linalg.lstsq(a, np.r_[yc, np.zeros(k)], rcond=None)[0]
        m_treated = y0[t].mean() + (y1[pre] - xbar) @ beta
        m_donors = y0[t].mean() + xc @ beta
        bias = m_treated - w @ m_donors
        gaps.append(y1[t] - y0[t] @ w - bias)
    return np.array(gaps)


def _wide(d, unit, time, outcome, treated):
    wide = d.pivot(index=time, columns=unit, values=outcome).sort_index()
    return (wide.index.to_numpy(float), wide[treated].to_numpy(float),
            wide.drop(columns=treated).to_numpy(float))


@pytest.mark.parametrize("penalty", [0.5, None])
def test_equals_scm_plus_ridge_bias_correction(penalty):
    sim = cs.simulate.engagement_series(rng=11, n_donors=12)
    res = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
                                          treated="focal", intervention=13,
                                          method="augmented", penalty=penalty,
                                          inference="placebo")
    t, y1, y0 = _wide(sim.data, "unit", "wave", "engagement", "focal")
    pre = t < 13
    ref = _closed_form_ascm(y1, y0, pre, res.penalty)
    f = res.to_frame().set_index("term")
    got = f.loc[[f"gap_{x:g}" for x in t[~pre]], "estimate"].to_numpy()
    np.testing.assert_allclose(got, ref[~pre], rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.paths["treated"] - res.paths["synthetic"], ref, atol=1e-8)
    assert f.loc["att", "estimate"] == pytest.approx(ref[~pre].mean(), abs=1e-8)
    assert f.loc["att", "estimate"] == pytest.approx(
        f.loc["att_scm", "estimate"] - f.loc["bias_correction", "estimate"], abs=1e-12)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-10)
    assert (penalty is None) == (res.penalty_path is not None)


def test_kansas_matches_augsynth_vignette(kansas_fit):
    res = kansas_fit
    f = res.to_frame().set_index("term")
    assert f.loc["att", "estimate"] == pytest.approx(KANSAS_ASCM["att"], abs=5e-5)
    assert f.loc["att_scm", "estimate"] == pytest.approx(KANSAS_SCM["att"], abs=5e-5)
    assert f.loc["bias_correction", "estimate"] == pytest.approx(KANSAS_ASCM["avg_bias"],
                                                                 abs=5e-4)
    assert res.l2_imbalance == pytest.approx(KANSAS_ASCM["l2"], abs=5e-4)
    assert res.l2_imbalance_scm == pytest.approx(KANSAS_SCM["l2"], abs=5e-4)
    assert res.improvement_over_uniform == pytest.approx(KANSAS_ASCM["improvement"], abs=5e-4)
    assert 1 - res.l2_imbalance_scm / res.l2_imbalance_uniform == pytest.approx(
        KANSAS_SCM["improvement"], abs=5e-4)
    assert res.fit_improvement > 0
    assert res.penalty == pytest.approx(KANSAS_LAMBDA, rel=1e-8)
    w, ws = res.weights, res.scm_weights
    # augsynth counts donors with |weight| > 1 / (1000 J)
    assert int((w.abs() > 1 / (1000 * 49)).sum()) == KANSAS_ASCM["n_donors"]
    assert (w < 0).any() and w.max() == pytest.approx(KANSAS_ASCM["max_weight"], abs=5e-4)
    used = ws[ws > 1 / (1000 * 49)]
    assert len(used) == KANSAS_SCM["n_donors"]
    assert used.min() == pytest.approx(KANSAS_SCM["min_weight"], abs=5e-4)
    assert used.max() == pytest.approx(KANSAS_SCM["max_weight"], abs=5e-4)
    gaps = f.loc[[f"gap_{x:g}" for x in KANSAS_ASCM_GAPS[:, 0]]]
    np.testing.assert_allclose(gaps["estimate"], KANSAS_ASCM_GAPS[:, 1], atol=5e-4)


def test_kansas_conformal_intervals_match_vignette(kansas_fit):
    """augsynth inverts the test on a 50-point grid over the estimate +- 2 post-period RMS
    gaps (step about 0.0034 here) and estimates each p-value from 1,000 random
    permutations; coachstats computes the exact rank p-value and bisects. Agreement is
    therefore to about two grid steps for the bounds and to the permutation noise (SE about
    0.007 near p = 0.05) for the p-values."""
    f = kansas_fit.to_frame().set_index("term")
    g = f.loc[[f"gap_{x:g}" for x in KANSAS_ASCM_GAPS[:, 0]]]
    np.testing.assert_allclose(g["ci_low"], KANSAS_ASCM_GAPS[:, 2], atol=0.007)
    np.testing.assert_allclose(g["ci_high"], KANSAS_ASCM_GAPS[:, 3], atol=0.007)
    np.testing.assert_allclose(g["p_value"], KANSAS_ASCM_GAPS[:, 4], atol=0.015)
    assert (g["ci_low"] <= g["estimate"]).all() and (g["estimate"] <= g["ci_high"]).all()
    assert (g["ci_level"] == 0.95).all()
    # exact rank p-values over the 89 pre-program periods and the tested one
    np.testing.assert_allclose(g["p_value"] * 90, np.round(g["p_value"] * 90), atol=1e-9)
    assert kansas_fit.plot() is not None
    assert "augmented" in kansas_fit.summary().lower() or kansas_fit.notes


def test_conformal_p_value_for_classic_and_joint():
    sim = cs.simulate.engagement_series(rng=5, n_donors=8, level_change=0.5,
                                        slope_change=0.0)
    res = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
                                          treated="focal", intervention=13,
                                          inference="conformal", ci_level=0.9)
    f = res.to_frame().set_index("term")
    assert res.method == "classic" and res.penalty is None
    # a 0.5 jump against noise SD 0.04: every period rejects (p = 1 / 13 < 0.1), and
    # jointly p = 1 / T
    gaps = f.loc[f.index.str.startswith("gap_")]
    assert (gaps["ci_low"] > 0).all()
    np.testing.assert_allclose(gaps["p_value"], 1 / 13)
    # with 12 pre-program periods no period can reject at 5%: the 95% interval is unbounded
    wide = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
                                           treated="focal", intervention=13,
                                           inference="conformal")
    g = wide.to_frame().query("term.str.startswith('gap_')")
    assert g["ci_low"].isna().all() and g["ci_high"].isna().all()
    assert [c.value for c in wide.cautions if c.code == "unbounded_interval"] == [12.0]
    assert f.loc["att", "p_value"] == pytest.approx(1 / 24)
    assert any(c.code == "few_periods" for c in res.cautions)


def test_augmented_bad_input():
    d = cs.simulate.engagement_series(rng=3, n_donors=6).data
    kw = {"treated": "focal", "intervention": 13}
    with pytest.raises(ValueError, match="method="):
        cs.timeseries.synthetic_control(d, "engagement", "unit", "wave", method="ridge", **kw)
    with pytest.raises(ValueError, match="penalty= applies"):
        cs.timeseries.synthetic_control(d, "engagement", "unit", "wave", penalty=1.0, **kw)
    with pytest.raises(ValueError, match="positive"):
        cs.timeseries.synthetic_control(d, "engagement", "unit", "wave", method="augmented",
                                        penalty=-1.0, **kw)
    with pytest.raises(ValueError, match="inference="):
        cs.timeseries.synthetic_control(d, "engagement", "unit", "wave", inference="jack",
                                        **kw)


def test_generator_outside_hull_and_respondents():
    sim = cs.simulate.engagement_series(rng=1, n_donors=6, outside_hull=0.5, respondents=40)
    assert (sim.data["respondents"] == 40).all() and sim.truth.outside_hull == 0.5
    base = cs.simulate.engagement_series(rng=1, n_donors=6)
    # the draws are the same; only the focal unit's loading moves
    pd.testing.assert_frame_equal(sim.data.loc[sim.data["unit"] != "focal"].drop(
        columns="respondents"), base.data.loc[base.data["unit"] != "focal"])
    with pytest.raises(ValueError, match="outside_hull"):
        cs.simulate.engagement_series(rng=1, n_donors=0, outside_hull=0.5)
    res = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
                                          treated="focal", intervention=13,
                                          respondents="respondents", inference="none")
    assert res.min_respondents == 40


def test_augmented_recovery_fast():
    """Focal unit outside the donors' hull: the augmented estimate is unbiased and beats the
    classic one on the same draws (RMSE)."""
    from coachstats.timeseries import _recovery as R
    from coachstats.validate import recovery

    f = recovery(R.estimate_synth_augmented_point, R.generate_synth_outside,
                 truth=R.truth_synth_point, n_reps=20, rng=7).to_frame().set_index("term")
    assert abs(f.loc["att", "bias"]) < 3 * f.loc["att", "bias_mcse"] + 0.01
    assert f.loc["att", "rmse"] < f.loc["att_scm", "rmse"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["timeseries.synthetic_augmented",
                                  "timeseries.synthetic_augmented_vs_classic"])
def test_augmented_recovery_full(name):
    from coachstats.timeseries import _recovery as R
    from coachstats.validate import recovery

    c = R.CHECKS[name]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=c.default_reps,
                 rng=1).to_frame().set_index("term")
    for term, row in f.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_mcse"] + 0.01, term
        if term.startswith("gap_"):
            # per-period conformal intervals run short at long horizons: the shared shocks are
            # a random walk, so post-program residuals are not exchangeable with pre-program
            # ones (measured 0.82 to 0.94 over 10 post periods)
            assert row["coverage"] > 0.75, term
    if "att_scm" in f.index:
        assert f.loc["att", "rmse"] < 0.85 * f.loc["att_scm", "rmse"]
