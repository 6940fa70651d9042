"""effects.arm_contrasts and effects.factorial against R (t.test, p.adjust, lm) and by
simulation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.effects import _recovery_claims as R
from coachstats.validate import recovery

REF = Path(__file__).parent / "reference"
J = json.loads((REF / "arms_reference.json").read_text())


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "arms_program.csv")


@pytest.mark.parametrize("outcome", ["change_360", "engagement", "readiness"])
@pytest.mark.parametrize("adjust,key", [("holm", "holm"), ("BH", "bh"),
                                        ("bonferroni", "bonferroni")])
def test_contrasts_equal_r(data, outcome, adjust, key):
    before = data.copy()
    f = cs.effects.arm_contrasts(data, outcome, "arm", reference="none", contrasts="all",
                                 adjust=adjust).to_frame()
    ref = J[outcome]
    assert f["term"].tolist() == ref["terms"]
    np.testing.assert_allclose(f["raw_difference"], ref["raw_difference"], rtol=1e-10)
    np.testing.assert_allclose(f["p_value"], ref["p_value"], rtol=1e-6)
    np.testing.assert_allclose(f["p_adjusted"], ref[key], rtol=1e-6)
    pd.testing.assert_frame_equal(data, before)


def test_contrasts_match_group_difference(data):
    f = cs.effects.arm_contrasts(data, "readiness", "arm", reference="none",
                                 contrasts=[["both", "coaching"]]).to_frame()
    two = data[data["arm"].isin(["both", "coaching"])]
    g = cs.effects.group_difference(two, "readiness", "arm", reference="coaching").to_frame()
    for col in ("estimate", "ci_low", "ci_high", "p_value"):
        assert f.loc[0, col] == pytest.approx(g.loc[0, col], rel=1e-12)
    # a single contrast is its own family: nothing to adjust
    assert f.loc[0, "p_adjusted"] == pytest.approx(f.loc[0, "p_value"])


def test_factorial_equals_lm(data):
    f = cs.effects.factorial(data, "readiness", ["coaching", "mentoring"]).to_frame()
    ref = J["factorial_readiness"]
    assert f["term"].tolist() == ref["terms"]
    for col in ("estimate", "std_error", "p_value"):
        np.testing.assert_allclose(f[col], ref[col], rtol=1e-8)
    g = cs.effects.factorial(data, "change_360", ["coaching", "mentoring"],
                             covariates=["engagement"]).to_frame()
    np.testing.assert_allclose(g["estimate"], J["factorial_change_cov"]["estimate"], rtol=1e-8)
    np.testing.assert_allclose(g["std_error"], J["factorial_change_cov"]["std_error"],
                               rtol=1e-8)


def test_bad_input_and_privacy(data):
    with pytest.raises(ValueError, match="adjust="):
        cs.effects.arm_contrasts(data, "readiness", "arm", adjust="sidak")
    with pytest.raises(ValueError, match="not an arm"):
        cs.effects.arm_contrasts(data, "readiness", "arm", contrasts=[["both", "neither"]])
    with pytest.raises(ValueError, match="reference="):
        cs.effects.arm_contrasts(data, "readiness", "arm", reference="nobody")
    small = pd.concat([data[data["arm"] != "both"], data[data["arm"] == "both"].head(4)])
    res = cs.effects.arm_contrasts(small, "readiness", "arm", reference="none",
                                   person="person")
    f = res.to_frame().set_index("term")
    assert f.loc["both vs none", "suppressed"] and np.isnan(f.loc["both vs none", "estimate"])
    # the withheld contrast is not part of the adjusted family
    assert f["p_adjusted"].notna().sum() == 2
    with pytest.raises(ValueError, match="fewer than 5"):
        cs.effects.factorial(small, "readiness", ["coaching", "mentoring"])
    with pytest.raises(ValueError, match="must be 0/1"):
        cs.effects.factorial(data.assign(coaching=data["coaching"] * 2), "readiness",
                             ["coaching", "mentoring"])
    dup = pd.concat([data, data.iloc[[0]]])
    with pytest.raises(ValueError, match="repeats people"):
        cs.effects.arm_contrasts(dup, "readiness", "arm", person="person")


def test_result_verbs(data):
    res = cs.effects.factorial(data, "readiness", ["coaching", "mentoring"])
    assert res.plot() is not None and "interaction" in res.limitations()[0]
    r2 = cs.effects.arm_contrasts(data, "readiness", "arm", reference="none")
    assert r2.plot() is not None and "Holm" in r2.summary()


def test_recovery_fast():
    f = recovery(R.estimate_arms, R.generate_arms, truth=R.truth_arms, n_reps=20,
                 rng=5).to_frame().set_index("term")
    for term, row in f.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_mcse"] + 0.02, term
    # 20 replicates per term: judge coverage over the 160 intervals together
    assert f["coverage"].mean() > 0.9


@pytest.mark.slow
def test_arms_recovery_full():
    c = R.CHECKS["effects.arm_contrasts_factorial"]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=c.default_reps,
                 rng=2024).to_frame()
    for _, row in f.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_mcse"] + 0.005
        assert abs(row["coverage"] - 0.95) < 3 * row["coverage_mcse"] + 0.01
