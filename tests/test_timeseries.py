"""timeseries.interrupted against R (nlme 3.1 gls REML, sandwich NeweyWest, arima) and by
simulation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.timeseries import _recovery as R
from coachstats.validate import recovery

REF = Path(__file__).parent / "reference"
J = json.loads((REF / "timeseries_reference.json").read_text())
ORDER = J["order"]


@pytest.fixture(scope="module")
def series():
    return pd.read_csv(REF / "timeseries_its.csv")


def _fit(d, **kw):
    res = cs.timeseries.interrupted(d, "engagement", "wave", intervention=13, **kw)
    return res, res.to_frame().set_index("term").loc[ORDER]


@pytest.mark.parametrize("key,kw", [("ols", {"errors": "ols"}),
                                    ("hac_lag2", {"errors": "HAC", "maxlags": 2}),
                                    ("hac_lag4", {"errors": "hac", "maxlags": 4}),
                                    ("gls_ar1_reml", {})])
def test_equals_r(series, key, kw):
    res, f = _fit(series, **kw)
    np.testing.assert_allclose(f["estimate"], J[key]["estimate"], rtol=1e-6)
    np.testing.assert_allclose(f["std_error"], J[key]["std_error"], rtol=1e-6)
    if "p_value" in J[key]:
        np.testing.assert_allclose(f["p_value"], J[key]["p_value"], rtol=1e-6)
    if key == "gls_ar1_reml":
        assert res.ar_phi == pytest.approx(J[key]["phi"], rel=1e-6)


def test_arma_errors_close_to_r_arima(series):
    # both sides stop a numerical optimiser; R's BFGS (reltol 1e-8) limits the agreement
    _, f = _fit(series, errors="arma", arma_order=(1, 0))
    np.testing.assert_allclose(f["estimate"], J["arma_1_0"]["estimate"], rtol=1e-4)
    np.testing.assert_allclose(f["std_error"], J["arma_1_0"]["std_error"], rtol=0.02)


def test_effect_at_and_counterfactual(series):
    res, _ = _fit(series, effect_at=[0, 5])
    f = res.to_frame().set_index("term")
    assert f.loc["effect_at_0", "estimate"] == pytest.approx(f.loc["level_change", "estimate"])
    assert f.loc["effect_at_5", "estimate"] == pytest.approx(
        f.loc["level_change", "estimate"] + 5 * f.loc["slope_change", "estimate"])
    s = res.series
    post = s["time"] >= 13
    gap = (s.loc[post, "fitted"] - s.loc[post, "counterfactual"]).to_numpy()
    h = s.loc[post, "time"].to_numpy() - 13
    np.testing.assert_allclose(gap, f.loc["level_change", "estimate"]
                               + h * f.loc["slope_change", "estimate"])
    assert res.plot() is not None and "REML" not in res.title


def test_bad_input(series):
    before = series.copy()
    with pytest.raises(ValueError, match="at least 3 time points"):
        cs.timeseries.interrupted(series, "engagement", "wave", intervention=23)
    with pytest.raises(ValueError, match="share a"):
        cs.timeseries.interrupted(pd.concat([series, series.iloc[[0]]]), "engagement", "wave",
                                  intervention=13)
    with pytest.raises(ValueError, match="errors="):
        cs.timeseries.interrupted(series, "engagement", "wave", intervention=13, errors="gls")
    miss = series.copy()
    miss.loc[3, "engagement"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        cs.timeseries.interrupted(miss, "engagement", "wave", intervention=13)
    r = cs.timeseries.interrupted(miss, "engagement", "wave", intervention=13, dropna=True)
    assert r.n_dropped == 1
    pd.testing.assert_frame_equal(series, before)


def test_no_effect_series_is_not_called_an_effect():
    sim = cs.simulate.engagement_series(level_change=0.0, slope_change=0.0, n_donors=0,
                                        factor_sd=0.0, rng=8)
    f = cs.timeseries.interrupted(sim.data, "engagement", "wave",
                                  intervention=13).to_frame().set_index("term")
    assert f.loc["level_change", "ci_low"] < 0 < f.loc["level_change", "ci_high"]


def test_recovery_ar1_fast():
    f = recovery(R.estimate_its_ar1, R.generate_its_long, truth=R.ITS_TRUTH, n_reps=60,
                 rng=3).to_frame().set_index("term")
    for term in R.ITS_TRUTH:
        row = f.loc[term]
        assert abs(row["bias"]) < 3 * row["bias_mcse"]
        # REML AR(1) intervals run a little short with 24 + 24 waves (about 0.92)
        assert row["coverage"] > 0.8


def test_hac_undercovers_in_short_series_fast():
    """The documented weakness: Newey-West intervals are too narrow with 12 + 12 waves."""
    f = recovery(R.estimate_its_hac, R.generate_its, truth=R.ITS_TRUTH, n_reps=60,
                 rng=3).to_frame().set_index("term")
    assert f.loc["level_change", "coverage"] < 0.9


@pytest.mark.slow
@pytest.mark.parametrize("name", ["timeseries.interrupted_ar1", "timeseries.interrupted_ar1_long"])
def test_its_recovery_full(name):
    c = R.CHECKS[name]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=c.default_reps,
                 rng=2024).to_frame()
    for _, row in f.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_mcse"]
        assert row["coverage"] > 0.86


# --- synthetic control ---------------------------------------------------------------------

SJ = json.loads((REF / "timeseries_synth.json").read_text())


@pytest.fixture(scope="module")
def panel():
    return pd.read_csv(REF / "timeseries_synth.csv")


def test_synth_weights_equal_quadprog(panel):
    before = panel.copy()
    res = cs.timeseries.synthetic_control(panel, "engagement", "unit", "wave", treated="focal",
                                          intervention=25)
    w = res.weights.loc[SJ["donors"]].to_numpy()
    np.testing.assert_allclose(w, SJ["weights"], atol=1e-7)
    f = res.to_frame().set_index("term")
    assert f.loc["att", "estimate"] == pytest.approx(SJ["att"], rel=1e-6)
    assert res.pre_rmspe == pytest.approx(SJ["pre_rmspe"], rel=1e-6)
    ratios = res.placebos.groupby("unit")["rmspe_ratio"].first()
    np.testing.assert_allclose(ratios.loc[SJ["ratio_units"]], SJ["ratios"], rtol=1e-5)
    assert res.p_value == pytest.approx(SJ["p_value"])
    pd.testing.assert_frame_equal(panel, before)
    assert res.plot() is not None and res.plot(kind="placebos") is not None
    assert any(c.code == "few_donors" for c in res.cautions)


def test_simplex_weights_recovers_exact_combination():
    rng = np.random.default_rng(0)
    y0 = rng.normal(size=(30, 6))
    w = np.array([0.5, 0.0, 0.3, 0.0, 0.2, 0.0])
    np.testing.assert_allclose(cs.timeseries.simplex_weights(y0 @ w, y0), w, atol=1e-10)


def test_synth_bad_input(panel):
    with pytest.raises(ValueError, match="not a value"):
        cs.timeseries.synthetic_control(panel, "engagement", "unit", "wave", treated="nobody",
                                        intervention=25)
    with pytest.raises(ValueError, match="unbalanced"):
        cs.timeseries.synthetic_control(panel.iloc[1:], "engagement", "unit", "wave",
                                        treated="focal", intervention=25)


def test_synth_recovery_fast():
    f = recovery(R.estimate_synth, R.generate_synth, truth=R.truth_synth, n_reps=30,
                 rng=6).to_frame().set_index("term")
    assert abs(f.loc["att", "bias"]) < 3 * f.loc["att", "bias_mcse"] + 0.01


@pytest.mark.slow
def test_synth_recovery_full():
    c = R.CHECKS["timeseries.synthetic_control"]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=c.default_reps,
                 rng=2024).to_frame().set_index("term")
    assert abs(f.loc["att", "bias"]) < 3 * f.loc["att", "bias_mcse"] + 0.005
