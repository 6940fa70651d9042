"""API behaviour of the SMD constructors, dependent-effects models, subgroups, cumulative,
conversions, cautions and the forest plot."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.meta._recovery import CHECKS
from coachstats.validate import recovery


@pytest.fixture(scope="module")
def sim():
    return cs.simulate.meta_effects(k_studies=20, effects_per_study=(2, 4), rng=5)


@pytest.fixture(scope="module")
def groups():
    return pd.DataFrame({
        "m1": [3.6, 3.9, 3.4, 3.8, 3.5], "sd1": [0.8, 0.7, 0.9, 0.6, 0.8],
        "n1": [40, 25, 60, 30, 45], "m2": [3.3, 3.5, 3.3, 3.4, 3.4],
        "sd2": [0.8, 0.8, 0.9, 0.7, 0.8], "n2": [38, 27, 55, 31, 44],
        "study": ["A", "B", "C", "D", "E"], "year": [2015, 2003, 2010, 2020, 2008],
    })  # fmt: skip


def test_generator_reproducible_and_truthful(sim):
    again = cs.simulate.meta_effects(k_studies=20, effects_per_study=(2, 4), rng=5)
    pd.testing.assert_frame_equal(sim.data, again.data)
    assert sim.truth.k_studies == 20 and sim.truth.n_effects == len(sim.data)
    assert set(sim.data["design"]) <= {"controlled", "pre-post"}
    assert sim.data.groupby("study").size().between(2, 4).all()
    with pytest.raises(ValueError, match="within_r"):
        cs.simulate.meta_effects(within_r=1.2)


def test_inputs_not_modified(sim, groups):
    before, gb = sim.data.copy(), groups.copy()
    cs.meta.multilevel(sim.data, "yi", "vi", levels=["study", "effect"]).robust()
    cs.meta.rve(sim.data, "yi", "vi", "study")
    cs.meta.smd(groups, "m1", "sd1", "n1", "m2", "sd2", "n2", study="study")
    pd.testing.assert_frame_equal(sim.data, before)
    pd.testing.assert_frame_equal(groups, gb)


def test_bad_input_names_column_and_rows(groups):
    bad = groups.copy()
    bad.loc[2, "sd1"] = -1
    with pytest.raises(ValueError, match="sd1"):
        cs.meta.smd(bad, "m1", "sd1", "n1", "m2", "sd2", "n2")
    with pytest.raises(TypeError, match="pre-post correlation"):
        cs.meta.smd(groups, "m1", "sd1", "n1", "m2", "sd2", measure="SMCR")
    with pytest.raises(ValueError, match="measure"):
        cs.meta.smd(groups, "m1", "sd1", "n1", "m2", "sd2", "n2", measure="OR")
    miss = groups.copy()
    miss.loc[1, "m1"] = np.nan
    with pytest.raises(ValueError, match="m1"):
        cs.meta.smd(miss, "m1", "sd1", "n1", "m2", "sd2", "n2")
    res = cs.meta.smd(miss, "m1", "sd1", "n1", "m2", "sd2", "n2", dropna=True)
    assert res.k == 4 and res.data.missing.n_dropped == 1


def test_duplicate_labels_and_small_k_warn(groups):
    dup = groups.assign(study=["A", "A", "B", "C", "D"])
    with pytest.warns(UserWarning, match="repeat"):
        cs.meta.smd(dup, "m1", "sd1", "n1", "m2", "sd2", "n2", study="study")
    with pytest.warns(UserWarning, match="not identified"):
        res = cs.meta.smd(groups.iloc[:2], "m1", "sd1", "n1", "m2", "sd2", "n2")
    assert "tau2_not_identified" in [c.code for c in res.cautions]


def test_multilevel_rejects_repeated_pairs(sim):
    d = sim.data.copy()
    d.loc[1, "effect"] = d.loc[0, "effect"]
    with pytest.raises(ValueError, match="repeat the same"):
        cs.meta.multilevel(d, "yi", "vi", levels=["study", "effect"])


def test_correlations_show_r_by_default():
    res = cs.meta.correlations(cs.simulate.meta_correlations(k=20, rng=2).data)
    f = res.to_frame()
    assert f.loc[0, "term"] == "r" and f.loc[0, "estimate"] == pytest.approx(np.tanh(res.estimate))
    assert res.to_frame(scale="z").loc[0, "term"] == "mu"
    text = res.summary()
    assert f"{np.tanh(res.estimate):.3f}" in text and "on Fisher z" in text
    assert f"{np.tanh(res.estimate):.3f}" in res._repr_html_()
    assert "mu " in res.summary(scale="z")
    with pytest.raises(ValueError, match="correlations"):
        cs.meta.smd(pd.DataFrame({"m1": [1.0, 2, 3], "sd1": [1.0, 1, 1], "n1": [9, 9, 9],
                                  "m2": [0.5, 1, 2], "sd2": [1.0, 1, 1], "n2": [9, 9, 9]}),
                    "m1", "sd1", "n1", "m2", "sd2", "n2").to_frame(scale="r")


def test_cautions_heterogeneity_and_pi():
    d = pd.DataFrame({"g": [-0.6, 0.9, 0.1, 1.2, -0.3, 0.5], "v": [0.01] * 6})
    res = cs.meta.effects(d, "g", "v")
    codes = {c.code for c in res.cautions}
    assert {"high_heterogeneity", "prediction_interval_includes_zero"} <= codes
    assert "I^2" in res.summary()
    calm = cs.meta.effects(pd.DataFrame({"g": [0.3, 0.32, 0.29, 0.31], "v": [0.01] * 4}),
                           "g", "v")
    assert calm.cautions == ()


def test_prepost_sensitivity_range():
    pp = pd.read_csv("tests/reference/meta_data_prepost.csv")
    res = cs.meta.smd(pp, "m_post", None, "n", "m_pre", "sd_pre", measure="SMCR",
                      r=(0.3, 0.5, 0.7))
    s = res.sensitivity
    assert s["r_prepost"].tolist() == [0.3, 0.5, 0.7] and res.assumed_r == 0.5
    mid = cs.meta.smd(pp, "m_post", None, "n", "m_pre", "sd_pre", measure="SMCR", r=0.5)
    assert res.estimate == pytest.approx(mid.estimate)
    assert s["tau2"].is_monotonic_increasing  # higher r: smaller sampling variances
    assert "sensitivity" in res.summary()


def test_ppc_reuses_morris():
    d = pd.DataFrame({"a": [30.6, 10.0, 5.0], "b": [38.5, 12.0, 6.1], "s": [15.0, 4.0, 2.0],
                      "n": [20, 30, 25], "c": [23.1, 10.2, 5.1], "e": [19.7, 10.9, 5.3],
                      "f": [13.8, 4.2, 2.1], "m": [20, 28, 24]})
    res = cs.meta.ppc(d, "a", "b", "s", "n", "c", "e", "f", "m", r=0.47)
    one = cs.effects.ppc_d_from_stats(m_pre_t=30.6, m_post_t=38.5, sd_pre_t=15.0, n_t=20,
                                      m_pre_c=23.1, m_post_c=19.7, sd_pre_c=13.8, n_c=20,
                                      r=0.47)  # fmt: skip
    row = one.to_frame().iloc[0]
    assert res.data.yi[0] == pytest.approx(row["estimate"])
    assert res.data.vi[0] == pytest.approx(row["std_error"] ** 2)
    assert res.measure == "PPC"


def test_conversions_borenstein():
    d = pd.DataFrame({"es": [0.3, 0.5, 0.8], "v": [0.01, 0.04, 0.09],
                      "metric": ["r", "d", "logOR"], "n1": [50, 30, 40], "n2": [50, 30, 60]})
    out = cs.meta.convert(d, "es", "v", "metric", to="d")
    assert out.loc[0, "yi"] == pytest.approx(2 * 0.3 / np.sqrt(1 - 0.09))
    assert out.loc[0, "vi"] == pytest.approx(4 * 0.01 / (1 - 0.09) ** 3)
    assert out.loc[2, "yi"] == pytest.approx(0.8 * np.sqrt(3) / np.pi)
    assert out.loc[2, "vi"] == pytest.approx(0.09 * 3 / np.pi**2)
    assert "eq. 7.5" in out.loc[0, "conversion"]
    back = cs.meta.convert(out.assign(metric="d"), "yi", "vi", "metric", to="r",
                           n1="n1", n2="n2")  # fmt: skip
    assert back.loc[0, "yi"] == pytest.approx(0.3)  # n1 = n2: a = 4 inverts r -> d exactly
    res = cs.meta.effects(out, "yi", "vi", measure="D", conversion="conversion")
    assert res.data.row_notes[1] == "d as d"
    with pytest.raises(ValueError, match="unknown metric"):
        cs.meta.convert(d.assign(metric="rr"), "es", "v", "metric")


def test_cumulative(groups):
    res = cs.meta.smd(groups, "m1", "sd1", "n1", "m2", "sd2", "n2", study="study")
    cum = cs.meta.cumulative(res, order="year")
    t = cum.to_frame()
    assert t["term"].tolist() == ["B", "E", "C", "A", "D"]
    assert t["k"].tolist() == [1, 2, 3, 4, 5]
    assert t["estimate"].iloc[-1] == pytest.approx(res.estimate)
    assert t["estimate"].iloc[0] == pytest.approx(res.data.yi[1])
    assert cum.plot() is not None


def test_subgroups_need_one_categorical_moderator(sim):
    res = cs.meta.effects(sim.data, "yi", "vi", measure="SMD")
    with pytest.raises(ValueError, match="exactly one categorical"):
        res.subgroups()
    with pytest.raises(ValueError, match="numeric"):
        cs.meta.effects(sim.data, "yi", "vi", moderators="year").subgroups()


def test_forest_plot_columns_subgroups_legend(sim):
    one = sim.data.groupby("study").head(1)
    res = cs.meta.effects(one, "yi", "vi", n="n", study="study", moderators="design",
                          measure="SMD")
    ax = res.plot(subgroup="design")
    texts = [t.get_text() for t in ax.texts]
    assert "estimate [CI]" in texts and "weight" in texts and "n" in texts
    assert any(t.endswith("%") for t in texts)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("prediction interval" in s for s in labels)
    assert any("Subtotal" in t.get_text() for t in ax.get_yticklabels())
    ml = cs.meta.multilevel(sim.data, "yi", "vi", levels=["study", "effect"])
    assert ml.plot(columns=()).get_xlabel() == "effect size"


def test_multilevel_result_members(sim):
    res = cs.meta.multilevel(sim.data, "yi", "vi", levels=["study", "effect"], measure="SMD")
    f = res.to_frame()
    assert f["term"].tolist() == ["intercept", "sigma2_study", "sigma2_effect"]
    assert "Three-level" in res.summary() and "<table" in res._repr_html_()
    rob = res.robust()
    assert rob.n_clusters == 20 and rob.to_frame().loc[0, "df"] < 20
    with pytest.raises(ValueError, match="whole"):
        res.robust(cluster="effect")
    rv = cs.meta.rve(sim.data, "yi", "vi", "study")
    assert set(rv.sensitivity["rho"]) >= {0.0, 0.8, 1.0}


def _run(name, n_reps, rng):
    c = CHECKS[name]
    return recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=n_reps,
                    rng=rng).to_frame().set_index("term").loc["delta"]


def test_three_level_cr2_covers_and_naive_undercovers_fast():
    good = _run("meta_three_level_cr2", 60, 21)
    naive = _run("meta_naive_dependent", 60, 21)
    assert abs(good["coverage"] - 0.95) <= 3.5 * max(good["coverage_mcse"], 0.028)
    assert abs(good["bias"]) < 4 * good["bias_mcse"] + 0.005
    assert naive["coverage"] < 0.85  # ignoring dependence: intervals far too narrow
    assert naive["mean_ci_width"] < 0.7 * good["mean_ci_width"]


@pytest.mark.slow
def test_three_level_cr2_coverage_full():
    good = _run("meta_three_level_cr2", 1000, 7)
    naive = _run("meta_naive_dependent", 1000, 7)
    assert abs(good["coverage"] - 0.95) <= 3 * good["coverage_mcse"]
    assert naive["coverage"] < 0.85


def test_bayesian_effects_rejects_bad_input(sim):
    with pytest.raises(ValueError, match="tau_scale"):
        cs.meta.bayesian_effects(sim.data, tau_scale=-1)
    with pytest.raises(ValueError, match="levels"):
        cs.meta.bayesian_effects(sim.data, levels=["study"])
    with pytest.raises(ValueError, match="prior_tau"):
        cs.meta.bayesian_effects(sim.data, prior_tau="flat")


@pytest.mark.slow
def test_bayesian_three_level_agrees_with_reml(sim):
    ml = cs.meta.multilevel(sim.data, "yi", "vi", levels=["study", "effect"])
    res = cs.meta.bayesian_effects(sim.data, levels=["study", "effect"], measure="SMD",
                                   draws=800, tune=800, chains=2, rng=3)
    t = res.to_frame().set_index("term")
    assert list(t.index) == ["mu", "tau_study", "tau_within", "theta_new"]
    assert abs(t.loc["mu", "estimate"] - ml.estimate) < 0.5 * ml.std_error
    assert t.loc["mu", "ci_low"] < ml.estimate < t.loc["mu", "ci_high"]
    assert t.loc["theta_new", "ci_high"] - t.loc["theta_new", "ci_low"] > (
        t.loc["mu", "ci_high"] - t.loc["mu", "ci_low"])
    assert 0 < res.prob_above(0.0) <= 1


@pytest.mark.slow
@pytest.mark.parametrize("name", ["meta_smd_knha", "meta_rve"])
def test_smd_and_rve_coverage_full(name):
    f = _run(name, 1000, 8)
    assert abs(f["coverage"] - 0.95) <= 3 * f["coverage_mcse"]
    assert abs(f["bias"]) < 0.02  # inverse-variance weights of g bias the mean slightly down
