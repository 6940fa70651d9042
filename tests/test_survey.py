"""coachstats.survey against R (stats, survey 4.1-1) and by simulation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.survey import _recovery as R
from coachstats.validate import recovery

REF = Path(__file__).parent / "reference"
J = json.loads((REF / "survey_reference.json").read_text())
RTOL = 1e-6


@pytest.fixture(scope="module")
def exit_data():
    d = pd.read_csv(REF / "survey_exit.csv")
    d["base_w"] = 1 + np.arange(len(d)) % 3
    return d


POP = {"tenure_band": {"<1y": 525, "1-3y": 600, "3y+": 375},
       "level": {"individual": 1275, "manager": 225}}


@pytest.mark.parametrize("case", J["unweighted"], ids=lambda c: f"{c['x']}/{c['n']}")
def test_unweighted_intervals_equal_r(case):
    x, n = case["x"], case["n"]
    d = pd.DataFrame({"y": [1] * int(x) + [0] * int(n - x)})
    for method, key, lvl in (("wilson", "wilson", 0.95), ("Wilson", "wilson90", 0.9),
                             ("clopper-pearson", "clopper_pearson", 0.95)):
        f = cs.survey.proportion(d, "y", method=method, ci_level=lvl, min_group_size=5).to_frame()
        np.testing.assert_allclose(f.loc[0, ["ci_low", "ci_high"]].to_numpy(float), case[key],
                                   rtol=RTOL, atol=1e-12)
        assert f.loc[0, "estimate"] == pytest.approx(x / n)


def test_weighted_equals_svymean_and_svyciprop_beta(exit_data):
    f = cs.survey.proportion(exit_data, "preventable", weights="base_w", by="tenure_band",
                             method="clopper-pearson").to_frame().set_index("term")
    ref = J["weighted"]
    assert f.loc["all", "estimate"] == pytest.approx(ref["estimate"], rel=RTOL)
    assert f.loc["all", "std_error"] == pytest.approx(ref["std_error"], rel=RTOL)
    np.testing.assert_allclose(f.loc["all", ["ci_low", "ci_high"]].to_numpy(float), ref["beta"],
                               rtol=RTOL)
    sub = J["weighted_band_lt1"]
    row = f.loc["tenure_band=<1y"]
    assert row["estimate"] == pytest.approx(sub["estimate"], rel=RTOL)
    assert row["std_error"] == pytest.approx(sub["std_error"], rel=RTOL)
    np.testing.assert_allclose(row[["ci_low", "ci_high"]].to_numpy(float), sub["beta"], rtol=RTOL)


def test_rake_equals_survey_rake(exit_data):
    before = exit_data.copy()
    r = cs.survey.rake(exit_data, POP)
    np.testing.assert_allclose(r.weights.to_numpy(), J["raked_weights"], rtol=RTOL)
    r1 = cs.survey.rake(exit_data, POP, weights="base_w")
    np.testing.assert_allclose(r1.weights.to_numpy(), J["raked_weights_base"], rtol=RTOL)
    pd.testing.assert_frame_equal(exit_data, before)
    assert r.converged and r.to_frame()["estimate"].to_numpy() == pytest.approx(
        r.to_frame()["target"].to_numpy())
    f = cs.survey.proportion(exit_data, "preventable", margins=POP,
                             method="clopper-pearson").to_frame()
    ref = J["raked_fixed"]
    assert f.loc[0, "estimate"] == pytest.approx(ref["estimate"], rel=RTOL)
    assert f.loc[0, "std_error"] == pytest.approx(ref["std_error"], rel=RTOL)
    np.testing.assert_allclose(f.loc[0, ["ci_low", "ci_high"]].to_numpy(float), ref["beta"],
                               rtol=RTOL)


def test_toml_style_string_keys_match_levels():
    d = pd.DataFrame({"y": [0, 1] * 10, "g": [1, 2] * 10})
    a = cs.survey.rake(d, {"g": {"1": 30, "2": 70}}).weights
    b = cs.survey.rake(d, {"g": {1: 30, 2: 70}}).weights
    np.testing.assert_allclose(a, b)


def test_published_proportion_uses_effective_n():
    d = pd.DataFrame({"claim": ["a", "b"], "p": [0.42, 0.42], "n": [200, 200],
                      "deff": [1.0, 2.0]})
    f = cs.survey.published_proportion(d, "p", "n", label="claim",
                                       design_effect="deff").to_frame()
    ref = cs.survey.wilson(0.42 * 100, 100)
    np.testing.assert_allclose(f.loc[1, ["ci_low", "ci_high"]].to_numpy(float), ref)
    assert f.loc[0, "ci_high"] - f.loc[0, "ci_low"] < f.loc[1, "ci_high"] - f.loc[1, "ci_low"]


def test_small_groups_withheld_counting_people():
    d = pd.DataFrame({"y": [1, 0, 1, 1, 0, 0, 1, 0, 1, 1], "g": ["a"] * 7 + ["b"] * 3,
                      "pid": list("abcdefghij")})
    res = cs.survey.proportion(d, "y", by="g", person="pid", min_group_size=5)
    f = res.to_frame().set_index("term")
    assert f.loc["g=b", "suppressed"] and np.isnan(f.loc["g=b", "estimate"])
    assert not f.loc["g=a", "suppressed"]
    assert len(res.suppressions("x")) == 1
    with pytest.raises(ValueError, match="at least 3"):
        cs.survey.proportion(d, "y", min_group_size=2)
    dup = pd.concat([d, d.iloc[[0]]])
    with pytest.raises(ValueError, match="pid"):
        cs.survey.proportion(dup, "y", person="pid")


def test_bad_input_messages():
    d = pd.DataFrame({"y": [0, 1, 2, 1, 0, 1], "g": list("aabbcc")})
    with pytest.raises(ValueError, match=r"'y'.*0/1"):
        cs.survey.proportion(d, "y")
    ok = d.assign(y=[0, 1, 1, 1, 0, 1])
    with pytest.raises(ValueError, match="no population total"):
        cs.survey.rake(ok, {"g": {"a": 10, "b": 10}})
    with pytest.raises(ValueError, match="no respondent"):
        cs.survey.rake(ok, {"g": {"a": 10, "b": 10, "c": 5, "d": 5}})
    with pytest.raises(ValueError, match="method"):
        cs.survey.proportion(ok, "y", method="wald")
    with pytest.raises(ValueError, match="missing"):
        cs.survey.proportion(ok.assign(y=[0, 1, None, 1, 0, 1]), "y")
    r = cs.survey.proportion(ok.assign(y=[0, 1, None, 1, 0, 1]), "y", dropna=True,
                             min_group_size=3)
    assert r.n_dropped == 1
    with pytest.raises(ValueError, match="percentages"):
        cs.survey.published_proportion(pd.DataFrame({"p": [42], "n": [100]}), "p", "n")


def test_result_verbs():
    sim = cs.simulate.exit_survey(rng=5)
    res = cs.survey.proportion(sim.data, "preventable", margins=sim.truth.margins,
                               by="tenure_band")
    assert "Wilson" in res.summary() and "<table" in res._repr_html_()
    assert res.plot() is not None
    assert list(res.to_frame().columns[:6]) == ["term", "estimate", "std_error", "ci_low",
                                                "ci_high", "ci_level"]
    a = cs.simulate.exit_survey(rng=5).data
    pd.testing.assert_frame_equal(a, sim.data)


def test_raking_removes_nonresponse_bias_fast():
    raked = recovery(R.estimate_exit_raked, R.generate_exit, truth=R.truth_exit, n_reps=100,
                     rng=11).to_frame().iloc[0]
    naive = recovery(R.estimate_exit_naive, R.generate_exit, truth=R.truth_exit_naive,
                     n_reps=60, rng=11).to_frame().iloc[0]
    assert abs(raked["bias"]) < 3 * raked["bias_mcse"] + 0.003
    assert naive["bias"] < -0.02  # the unweighted share is biased down by design
    assert raked["coverage"] >= 0.93


def test_wilson_coverage_fast():
    row = recovery(R.estimate_srs_wilson, R.generate_srs, truth={"p": 0.42}, n_reps=300,
                   rng=3).to_frame().iloc[0]
    assert abs(row["coverage"] - 0.95) < 3 * row["coverage_mcse"] + 0.01


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(R.CHECKS))
def test_survey_recovery_full(name):
    c = R.CHECKS[name]
    row = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=c.default_reps,
                   rng=2024).to_frame().iloc[0]
    assert abs(row["bias"]) < 3 * row["bias_mcse"] + 0.003
    lo = 0.95 - 3 * row["coverage_mcse"] - 0.01
    assert row["coverage"] >= lo
