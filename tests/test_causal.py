"""coachstats.causal: behaviour, bad input, the generator and a fast recovery check."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats import causal
from coachstats.causal import _recovery
from coachstats.validate import recovery

COVS = ["potential", "tenure", "prior_rating", "unit"]


@pytest.fixture(scope="module")
def sim():
    return cs.simulate.selection_into_coaching(rng=11)


def test_generator_truth_and_reproducible(sim):
    again = cs.simulate.selection_into_coaching(rng=11)
    pd.testing.assert_frame_equal(sim.data, again.data)
    t = sim.truth
    d = sim.data
    y = d["performance"]
    raw = y[d.coached == 1].mean() - y[d.coached == 0].mean()
    assert t.raw_difference == pytest.approx(raw)
    assert t.raw_bias_att == pytest.approx(raw - t.att)
    assert t.raw_bias_att > 0.15  # hand-picked leaders: the raw difference overstates
    assert t.att > t.ate  # high potentials gain more and are picked more
    rnd = cs.simulate.selection_into_coaching(selection=0.0, effect_heterogeneity=0.0, rng=2)
    assert rnd.truth.att == pytest.approx(0.30)


def test_results_api_and_no_mutation(sim):
    before = sim.data.copy()
    for res in (causal.weighting(sim.data, "coached", "performance", COVS),
                causal.matching(sim.data, "coached", "performance", COVS),
                causal.aipw(sim.data, "coached", "performance", COVS)):
        f = res.to_frame()
        assert list(f.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                       "ci_level"]
        assert "p_value" in f.columns and f["ci_low"].item() < f["estimate"].item()
        assert res.summary() and res._repr_html_()
        assert res.plot() is not None
        s = res.sensitivity()
        assert s.evalue.evalue > 1 and 0 < s.robustness.rv < 1
        assert s.evalue.plot() is not None and s.plot() is not None
        assert res.balance.max_abs_smd < res.balance.table["smd_before"].abs().max()
    pd.testing.assert_frame_equal(sim.data, before)
    ps = causal.propensity(sim.data, "coached", COVS)
    assert ps.plot() is not None and set(ps.overlap()["group"]) == {"treated", "comparison"}
    b = causal.balance(sim.data, "coached", COVS)
    assert b.n_imbalanced >= 1 and b.cautions[0].code == "imbalance"
    assert b.labels()[0].citation.startswith("Austin")


def test_weights_reproduce_balance_and_flow_into_group_difference(sim):
    res = causal.weighting(sim.data, "coached", "performance", COVS, method="entropy")
    df = sim.data.assign(w=res.weights)
    b = causal.balance(df, "coached", COVS, weights="w")
    assert b.max_abs_smd < 1e-8
    g = cs.effects.group_difference(df, "performance", "coached", reference=0, weights="w")
    assert g.to_frame()["raw_difference"].item() == pytest.approx(res.estimate, rel=1e-10)
    ones = cs.effects.group_difference(df.assign(w=1.0), "performance", "coached",
                                       reference=0, weights="w")
    plain = cs.effects.group_difference(df, "performance", "coached", reference=0)
    assert ones.to_frame()["raw_difference"].item() == pytest.approx(
        plain.to_frame()["raw_difference"].item())


def test_trim_counts_and_bootstrap_and_cluster(sim):
    full = causal.weighting(sim.data, "coached", "performance", COVS, estimand="ATE")
    tr = causal.weighting(sim.data, "coached", "performance", COVS, estimand="ATE", trim=0.1)
    e = full.propensity.ps
    assert tr.n_trimmed == int(((e < 0.1) | (e > 0.9)).sum()) > 0
    assert (tr.weights[(e < 0.1) | (e > 0.9)] == 0).all()
    bs = causal.weighting(sim.data, "coached", "performance", COVS, ci_method="bootstrap",
                          n_boot=60, rng=1)
    bs2 = causal.weighting(sim.data, "coached", "performance", COVS, ci_method="bootstrap",
                           n_boot=60, rng=1)
    assert bs.ci_low == bs2.ci_low
    sw = causal.weighting(sim.data, "coached", "performance", COVS)
    assert 0.6 < bs.std_error / sw.std_error < 1.6
    cl = causal.weighting(sim.data, "coached", "performance", ["potential", "tenure"],
                          cluster="unit")
    assert cl.std_error > 0 and "clustered by unit" in cl.se_method


def _bad_frame():
    return pd.DataFrame({"t": [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
                         "x": [5.0, 6, 7, 8, 9, 10, 1, 2, 3, 4, 4.5, 3.5],
                         "z": [1.0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
                         "u": list("abababcdcdcd"),
                         "y": np.arange(12.0)})


def test_bad_input():
    d = _bad_frame()
    with pytest.raises(ValueError, match="single level"):
        causal.weighting(d.assign(t=1), "t", "y", ["z"])
    with pytest.raises(ValueError, match=r"perfect separation.*'x'"):
        causal.weighting(d, "t", "y", ["x", "z"])
    with pytest.raises(ValueError, match=r"level 'a' of covariate 'u' holds only treated"):
        causal.matching(d, "t", "y", ["z", "u"])
    with pytest.raises(ValueError, match="negative"):
        causal.balance(d, "t", ["z"], weights=np.r_[-1.0, np.ones(11)])
    with pytest.raises(ValueError, match="NaN"):
        causal.balance(d, "t", ["z"], weights=np.r_[np.nan, np.ones(11)])
    with pytest.raises(ValueError, match="negative or non-finite"):
        cs.effects.group_difference(d.assign(w=-1.0), "y", "t", weights="w")
    with pytest.raises(ValueError, match="missing"):
        causal.weighting(d.assign(z=[np.nan] + [1.0] * 11), "t", "y", ["z"])
    with pytest.raises(ValueError, match="min_group_size"):
        causal.weighting(d.assign(t=[1, 1] + [0] * 10), "t", "y", ["z"])
    with pytest.raises(ValueError, match="estimand"):
        causal.weighting(d, "t", "y", ["z"], estimand="ATX")
    with pytest.raises(ValueError, match="reference="):
        causal.weighting(d.assign(t=np.where(d.t == 1, "yes", "no")), "t", "y", ["z"])
    with pytest.raises(ValueError, match="kind"):
        causal.evalue(2.0, kind="beta")


def test_no_overlap_raises_multivariate_separation():
    rng = np.random.default_rng(0)
    n = 200
    a, b = rng.normal(size=n), rng.normal(size=n)
    t = (a + b > 0).astype(int)  # separable by a + b, by neither alone
    d = pd.DataFrame({"t": t, "a": a, "b": b, "y": rng.normal(size=n)})
    with pytest.raises(ValueError, match="separation"):
        causal.weighting(d, "t", "y", ["a", "b"])


def test_fast_recovery_weighting_and_raw_bias():
    res = recovery(_recovery.estimate_odds_att, _recovery.generate, truth=_recovery.truth_att,
                   n_reps=12, rng=5).to_frame()
    assert abs(res["bias"].item()) < 4 * res["bias_mcse"].item() + 0.02
    raw = recovery(_recovery.estimate_raw_difference, _recovery.generate,
                   truth=_recovery.truth_att, n_reps=12, rng=5).to_frame()
    assert raw["bias"].item() > 0.2  # biased upward, as designed


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_recovery.CHECKS))
def test_full_recovery(name):
    chk = _recovery.CHECKS[name]
    f = recovery(chk.estimate_fn, chk.generate_fn, truth=chk.truth, n_reps=chk.default_reps,
                 rng=2024).to_frame()
    bias, mcse, cov, cov_se = f[["bias", "bias_mcse", "coverage", "coverage_mcse"]].iloc[0]
    if name == "causal_raw_difference":
        assert bias > 0.25 and cov < 0.2
    else:
        assert abs(bias) < 3 * mcse + 0.01
        assert abs(cov - 0.95) < 3 * cov_se + 0.01


def test_splines_nest_the_linear_model(sim):
    lin = causal.propensity(sim.data, "coached", COVS)
    spl = causal.propensity(sim.data, "coached", COVS, splines={"tenure": 5})
    names = spl.to_frame()["term"].tolist()
    assert "tenure" not in names and sum(n.startswith("tenure[spline") for n in names) == 5
    # natural splines contain the linear term, so the fit cannot get worse
    def loglik(r):
        p, t = r.ps.to_numpy(), r.treat
        return float(np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)))
    assert loglik(spl) >= loglik(lin) - 1e-8
    w = causal.weighting(sim.data, "coached", "performance", COVS, splines=["tenure"])
    assert w.balance.table["term"].tolist() == causal.balance(
        sim.data, "coached", COVS).table["term"].tolist()
    with pytest.raises(ValueError, match="categorical"):
        causal.propensity(sim.data, "coached", COVS, splines=["unit"])
    with pytest.raises(ValueError, match="not one of the covariates"):
        causal.propensity(sim.data, "coached", COVS, splines=["age"])
