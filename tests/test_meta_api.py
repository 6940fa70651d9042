"""coachstats.meta: API shape, input errors, immutability, plots and internal consistency."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.meta import _core


@pytest.fixture(scope="module")
def sim():
    return cs.simulate.meta_correlations(k=40, rng=11)


@pytest.fixture(scope="module")
def res(sim):
    return cs.meta.correlations(sim.data, r="r", n="n", test="knha", study="study")


def test_result_fields_and_frames(res):
    assert res.k == 40 and res.method == "REML" and res.test == "knha"
    for name in ("estimate", "std_error", "ci_low", "ci_high", "pi_low", "pi_high", "tau2",
                 "i2", "h2", "q", "q_p_value"):
        assert np.isfinite(getattr(res, name)), name
    assert res.pi_low < res.ci_low < res.estimate < res.ci_high < res.pi_high
    f = res.to_frame(scale="z")
    assert f["term"].tolist() == ["mu", "tau2", "tau", "i2", "h2"]
    assert res.to_frame()["term"].tolist() == ["r", "tau2", "tau", "i2", "h2"]  # r by default
    fr = res.to_frame(scale="r")
    assert fr.loc[0, "term"] == "r"
    assert fr.loc[0, "estimate"] == pytest.approx(np.tanh(res.estimate))
    assert fr.loc[0, "pi_high"] == pytest.approx(np.tanh(res.pi_high))
    h = res.heterogeneity_ci()
    assert h.loc[0, "ci_low"] < res.tau2 < h.loc[0, "ci_high"]
    assert "Knapp-Hartung" in res.summary() and "<table" in res._repr_html_()
    labels = res.interpret()
    assert "Funder & Ozer" in str(labels[0]) and "Higgins" in str(labels[1])
    assert res.assumptions() and res.limitations()


def test_input_is_not_modified(sim):
    before = sim.data.copy()
    cs.meta.correlations(sim.data, moderators=["rater", "year"])
    pd.testing.assert_frame_equal(sim.data, before)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.assign(r=d["r"].where(d.index != 2, 1.0)), r"'r'.*\(-1, 1\).*2"),
        (lambda d: d.assign(r=d["r"].where(d.index != 0, -1.3)), r"'r'.*\(-1, 1\)"),
        (lambda d: d.assign(n=d["n"].where(d.index != 3, 3)), r"'n'.*n >= 4"),
        (lambda d: d.assign(r=d["r"].where(d.index != 5, np.nan)), "missing.*dropna=True"),
        (lambda d: d.iloc[:1], "at least 2 studies"),
        (lambda d: d.assign(r=d["r"].astype(str) + "x"), "numeric"),
    ],
)
def test_bad_input_raises_clear_errors(sim, change, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cs.meta.correlations(change(sim.data.copy()), r="r", n="n")


def test_bad_arguments(sim):
    d = sim.data
    with pytest.raises(ValueError, match=r"method='XX'.*'REML'"):
        cs.meta.correlations(d, method="XX")
    with pytest.raises(ValueError, match="test="):
        cs.meta.correlations(d, test="t")
    with pytest.raises(ValueError, match=r"Did you mean 0\.95"):
        cs.meta.correlations(d, ci_level=95)
    with pytest.raises(ValueError, match="argument r="):
        cs.meta.correlations(d, r="corr")
    with pytest.raises(ValueError, match="single value"):
        cs.meta.correlations(d.assign(g="a"), moderators="g")
    with pytest.raises(ValueError, match="collinear"):
        cs.meta.correlations(d.assign(y2=d["year"] * 2), moderators=["year", "y2"])
    with pytest.warns(UserWarning, match="not identified"):
        two = cs.meta.correlations(d.iloc[:2])
    with pytest.raises(ValueError, match="at least 3 studies"):
        cs.meta.egger_test(two)
    with pytest.raises(ValueError, match="scale='r'"):
        cs.meta.correlations(d, moderators="rater").to_frame(scale="r")


def test_dropna_counts_dropped_studies(sim):
    d = sim.data.copy()
    d.loc[[1, 4], "r"] = np.nan
    res = cs.meta.correlations(d, dropna=True)
    assert res.k == 38 and res.data.missing.n_dropped == 2
    assert any("2 studies dropped" in n for n in res.notes)


def test_non_convergence_names_method_and_alternative():
    y = np.array([0.1, 0.2, 0.3, 0.9])
    v = np.array([0.01, 0.02, 0.01, 0.03])
    with pytest.raises(_core.NonConvergenceError, match=r"REML did not converge.*method='PM'"):
        _core.fit(y, v, method="REML", maxiter=1)


def test_meta_regression_recovers_moderator_and_predicts():
    sim = cs.simulate.meta_correlations(k=300, moderator_effect=0.2, tau=0.05, rng=3)
    res = cs.meta.correlations(sim.data, moderators=["rater", "year"], test="knha")
    c = res.coefficients.set_index("term")
    # self-rated mean .39 + .2 * .6 = .51, other-rated .39 - .2 * .4 = .31
    diff = np.arctanh(0.51) - np.arctanh(0.31)
    assert c.loc["rater=self", "ci_low"] - 0.01 < diff < c.loc["rater=self", "ci_high"] + 0.01
    assert c.loc["year", "ci_low"] < 0 < c.loc["year", "ci_high"]
    assert res.qm_p_value < 1e-6 and res.r2 > 50
    p = res.predict({"rater=self": 1, "year": 2010}, scale="r")
    assert 0.38 < p.loc[0, "estimate"] < 0.56 and p.loc[0, "pi_low"] < p.loc[0, "ci_low"]


def test_batch_leave_one_out_equals_separate_fits(res):
    loo = cs.meta.leave_one_out(res).to_frame()
    d = res.data
    for i in (0, 17, 39):
        keep = np.arange(res.k) != i
        one = _core.fit(d.yi[keep], d.vi[keep], method="REML", test="knha")
        assert loo.loc[i, "estimate"] == pytest.approx(one.beta[0, 0], rel=1e-9)
        assert loo.loc[i, "tau2"] == pytest.approx(one.tau2[0], rel=1e-7, abs=1e-12)


def test_influence_flags_a_dominant_study(sim):
    d = sim.data.head(15).copy()
    d.loc[3, ["r", "n"]] = [0.9, 5000]
    inf = cs.meta.influence(cs.meta.correlations(d, study="study"))
    t = inf.to_frame().set_index("term")
    assert bool(t.loc["S004", "influential"]) and "cook_d" in t.loc["S004", "reason"]
    assert t["influential"].sum() <= 3


def test_bias_tools_detect_selection():
    sim = cs.simulate.meta_correlations(k=120, rho=0.15, tau=0.05, selection=0.9,
                                        n_median=80, rng=5)
    res = cs.meta.correlations(sim.data)
    eg = cs.meta.egger_test(res)
    assert eg.p_value < 0.05 and eg.slope > 0
    tf = cs.meta.trim_and_fill(res)
    assert tf.side == "left" and tf.k0 > 0 and tf.adjusted.estimate < res.estimate
    pp = cs.meta.pet_peese(res)
    assert pp.estimate < res.estimate
    assert set(tf.to_frame()["term"]) == {"original", "adjusted"}
    with pytest.raises(ValueError, match="without moderators"):
        cs.meta.egger_test(cs.meta.correlations(sim.data, moderators="rater"))


def test_raw_r_measure_and_fixed_tau2(sim):
    res = cs.meta.correlations(sim.data, measure="r", tau2=0.0)
    fe = cs.meta.correlations(sim.data, measure="r", method="FE")
    assert res.estimate == pytest.approx(fe.estimate, rel=1e-12)
    assert res.to_frame(scale="r").loc[0, "estimate"] == pytest.approx(res.estimate)


def test_reml_is_linear_time_and_handles_a_million_studies():
    rng = np.random.default_rng(0)
    k = 1_000_000
    v = 1 / (rng.integers(20, 500, k) - 3.0)
    y = rng.normal(0.4, np.sqrt(0.01 + v))
    f = _core.fit(y, v, method="REML")
    assert f.beta[0, 0] == pytest.approx(0.4, abs=0.002)
    assert f.tau2[0] == pytest.approx(0.01, rel=0.03)


@pytest.mark.parametrize("kind", ["forest", "funnel"])
def test_plots_return_axes(res, kind):
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots()
    assert res.plot(kind=kind, ax=ax) is ax
    assert res.plot(kind=kind) is not None


def test_other_plots_return_axes(res):
    for obj in (cs.meta.egger_test(res), cs.meta.trim_and_fill(res), cs.meta.influence(res),
                cs.meta.leave_one_out(res)):
        assert obj.plot() is not None
