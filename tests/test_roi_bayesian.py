"""Bayesian ROI: real sampling (small draws), named intervals, diagnostics, reuse, errors."""

import warnings

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.bayes import ConvergenceWarning

KW = {"benefit": "benefit", "cost": "cost", "attribution": "attribution",
      "confidence": "confidence"}
FAST = {"draws": 500, "tune": 400, "chains": 2}


@pytest.fixture(scope="module")
def sim():
    return cs.simulate.roi_program(rng=189)


@pytest.fixture(scope="module")
def res(sim):
    return cs.roi.bayesian(sim.data, **KW, target_roi=50, **FAST, rng=1)


def test_table_names_interval_and_terms(res):
    f = res.to_frame()
    assert list(f.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                   "ci_level"]
    assert {"roi_pct", "bcr", "prob_roi_positive", "share_with_benefit", "mean_attribution",
            "mean_confidence", "break_even_attribution", "mean"} <= set(f["term"]) | set(
        f.columns)
    assert (f["ci_level"] == 0.95).all()
    assert "95% equal-tailed credible intervals" in res.summary()
    t = f.set_index("term")
    assert t.loc["roi_pct", "ci_low"] < t.loc["roi_pct", "estimate"] < t.loc["roi_pct", "ci_high"]
    # ROI% and BCR are the same posterior on two scales
    assert t.loc["roi_pct", "estimate"] == pytest.approx(100 * (t.loc["bcr", "estimate"] - 1),
                                                       rel=1e-9)


def test_posterior_near_truth_and_phillips(res, sim):
    t = res.to_frame().set_index("term")
    truth = sim.truth
    for term in ("bcr", "share_with_benefit", "mean_attribution", "mean_confidence"):
        lo, hi = t.loc[term, "ci_low"], t.loc[term, "ci_high"]
        assert lo < getattr(truth, term) < hi, term
    assert res.phillips.roi_pct == pytest.approx(
        cs.roi.phillips(sim.data, **KW).roi_pct, rel=1e-12
    )


def test_probabilities(res):
    r = res.draws["roi_pct"]
    assert res.prob_positive == pytest.approx(np.mean(r > 0))
    assert res.prob_target == res.prob_exceeds(50) == pytest.approx(np.mean(r > 50))
    probs = [res.prob_exceeds(x) for x in (-50, 0, 50, 200)]
    assert probs == sorted(probs, reverse=True)
    assert res.to_frame().set_index("term").loc["prob_roi_positive", "estimate"] == (
        pytest.approx(res.prob_positive)
    )


def test_break_even_attribution_gives_zero_roi(res):
    d = res.draws
    # scaling each draw's mean attribution to the break-even share makes BCR exactly 1
    bcr_at = d["bcr"] * d["break_even_attribution"] / d["attribution_mean_share"]
    np.testing.assert_allclose(bcr_at, 1.0, rtol=1e-10)
    assert res.break_even_attribution == pytest.approx(np.median(d["break_even_attribution"]))


def test_sensitivity_tornado(res):
    s = res.sensitivity(horizon_years=(1.0, 2.0))
    f = s.to_frame()
    assert set(f["factor"]) == {"attribution", "horizon_years", "cost_loading", "nonresponse"}
    assert (f["ci_level"] == 0.95).all()
    h = f[f["factor"] == "horizon_years"].set_index("bound")
    # a one-year horizon is the baseline; two years doubles every BCR draw
    assert h.loc["low", "estimate"] == pytest.approx(np.median(res.draws["roi_pct"]))
    assert h.loc["high", "estimate"] == pytest.approx(
        np.median(100 * (2 * res.draws["bcr"] - 1))
    )
    c = f[f["factor"] == "cost_loading"].set_index("bound")
    assert c.loc["high", "estimate"] < c.loc["low", "estimate"]
    ax = s.plot()
    assert ax.get_xlabel() == "posterior median ROI (%)"
    with pytest.raises(ValueError, match="nonresponse"):
        res.sensitivity(nonresponse=(0, 1.5))


def test_plot_names_probability(res):
    ax = res.plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "95% equal-tailed credible interval" in labels
    assert "Phillips point ROI" in labels
    assert "P(ROI > 0)" in ax.get_title()


def test_diagnostics_and_convergence_warning(sim, res):
    assert res.diagnostics.chains == 2 and res.diagnostics.draws == 500
    assert res.diagnostics.n_divergent == 0
    with pytest.warns(ConvergenceWarning, match="ESS"):
        cs.roi.bayesian(sim.data, **KW, draws=20, tune=20, chains=2, rng=3)


def test_same_seed_same_result_and_model_reused(sim, res):
    from coachstats.bayes import compiled as C
    from coachstats.roi.bayesian import RoiPrior, compiled_roi_model

    cm = compiled_roi_model(RoiPrior())
    before = cm.n_fits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again = cs.roi.bayesian(sim.data, **KW, target_roi=50, **FAST, rng=1)
        other = cs.roi.bayesian(
            cs.simulate.roi_program(n=60, rng=2).data, **KW, **FAST, rng=1
        )
    np.testing.assert_array_equal(again.draws["roi_pct"], res.draws["roi_pct"])
    assert other.n == 60
    assert cm.n_fits == before + 2  # refitted with new data, not rebuilt
    assert compiled_roi_model(RoiPrior()) is cm
    assert ("coachstats.roi.bayesian", RoiPrior(), True, True) in C._CACHE


def test_extreme_claim_has_bounded_influence(sim, res):
    d = sim.data.copy()
    i = d["benefit"].idxmax()
    d.loc[i, "benefit"] = d.loc[i, "benefit"] * 100  # one wildly inflated claim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r2 = cs.roi.bayesian(d, **KW, **FAST, rng=1)
    ph_ratio = cs.roi.phillips(d, **KW).bcr / res.phillips.bcr
    bayes_ratio = np.median(r2.draws["bcr"]) / np.median(res.draws["bcr"])
    assert ph_ratio > 3  # the raw sum is dominated by the one claim
    assert bayes_ratio < 1.3  # the heavy-tailed model keeps it without being dominated


def test_shares_of_exactly_one_are_handled(sim):
    d = sim.data.copy()
    d.loc[d.index[:10], "confidence"] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = cs.roi.bayesian(d, **KW, **FAST, rng=2)
    assert r.squeezed == ("confidence",)
    assert "Smithson & Verkuilen" in r.summary()
    m = r.to_frame().set_index("term").loc["mean_confidence"]
    pos = d["benefit"] > 0
    assert m["ci_low"] < d.loc[pos, "confidence"].mean() < m["ci_high"]


def test_input_errors(sim):
    d = sim.data
    with pytest.raises(ValueError, match="percentages"):
        cs.roi.bayesian(d.assign(attribution=d["attribution"] * 100), **KW, **FAST)
    with pytest.raises(ValueError, match="cannot be negative"):
        cs.roi.bayesian(d.assign(cost=-d["cost"]), **KW, **FAST)
    with pytest.raises(ValueError, match="every benefit is 0"):
        cs.roi.bayesian(d.assign(benefit=0.0), **KW, **FAST)
    few = d.assign(benefit=np.where(np.arange(len(d)) < 2, 1000.0, 0.0))
    with pytest.raises(ValueError, match="at least 3"):
        cs.roi.bayesian(few, **KW, **FAST)
    nan = d.copy()
    nan.loc[nan.index[3], "benefit"] = np.nan
    with pytest.raises(ValueError, match="blank_benefit_as_zero=True"):
        cs.roi.bayesian(nan, **KW, **FAST)
    with pytest.raises(ValueError, match="ci_level"):
        cs.roi.bayesian(d, **KW, ci_level=95)
    with pytest.raises(TypeError, match="RoiPrior"):
        cs.roi.bayesian(d, **KW, prior={"mu": 1})
    with pytest.raises(ValueError, match="tail_shape"):
        cs.roi.RoiPrior(tail_shape=(0.0, 1.0))


def test_input_not_modified(sim):
    d = sim.data.copy()
    d.loc[d.index[0], "benefit"] = np.nan
    before = d.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = cs.roi.bayesian(d, **KW, blank_benefit_as_zero=True, **FAST, rng=4)
    pd.testing.assert_frame_equal(d, before)
    assert r.n == len(d)


def test_one_central_value_in_table_plot_sensitivity_and_break_even(res):
    t = res.to_frame().set_index("term")
    med = float(np.median(res.draws["roi_pct"]))
    assert res.central == "posterior median"
    assert t.loc["roi_pct", "estimate"] == pytest.approx(med, rel=1e-12)
    assert t.loc["roi_pct", "mean"] == pytest.approx(np.mean(res.draws["roi_pct"]), rel=1e-12)
    assert res.sensitivity().baseline_median == pytest.approx(med, rel=1e-12)
    assert res.break_even_attribution == pytest.approx(
        t.loc["break_even_attribution", "estimate"], rel=1e-12)
    ax = res.plot()
    assert any(ln.get_label() == "posterior median" and ln.get_xdata()[0] == pytest.approx(med)
               for ln in ax.get_lines())
    hi = t.loc["break_even_attribution", "ci_high"]
    codes = [c.code for c in res.cautions]
    assert ("break_even_beyond_full_attribution" in codes) == (hi > 1)
