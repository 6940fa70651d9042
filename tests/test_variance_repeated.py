"""variance.decompose with repeated answers (survey waves): refusal without a person level,
person/occasion levels equal to lme4 (tests/reference/variance_waves.R), ICC(2) by people."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "variance_waves.json").read_text())


@pytest.fixture(scope="module")
def waves():
    return pd.read_csv(REF / "variance_waves.csv")


def test_repeated_person_is_refused_with_the_fix(waves):
    with pytest.raises(ValueError, match=r"'employee' looks like a person identifier.*992 rows "
                                         r"come from 284 people.*person='employee'.*average"):
        cs.variance.decompose(waves, "engagement", ["manager", "team"], n_boot=0)
    with pytest.raises(ValueError, match="occasion= needs person="):
        cs.variance.decompose(waves, "engagement", ["manager", "team"], occasion="quarter",
                              n_boot=0)
    dup = pd.concat([waves, waves.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="one row per person and occasion"):
        cs.variance.decompose(dup, "engagement", ["manager", "team"], person="employee",
                              occasion="quarter", n_boot=0)
    # one row per person passes the check
    one = waves.groupby(["manager", "team", "employee"], as_index=False)["engagement"].mean()
    assert cs.variance.decompose(one, "engagement", ["manager", "team"], n_boot=0).n == 284


@pytest.mark.reference
def test_person_and_occasion_match_lme4(waves):
    before = waves.copy()
    r = cs.variance.decompose(waves, "engagement", ["manager", "team"], person="employee",
                              occasion="quarter", n_boot=0)
    pd.testing.assert_frame_equal(waves, before)
    v = dict(zip(r.components["level"], r.components["variance"], strict=True))
    ref = R["variances"]
    for ours, theirs in [("manager", "manager"), ("team", "team"), ("employee", "employee"),
                         ("residual", "Residual")]:
        assert v[ours] == pytest.approx(ref[theirs], rel=1e-5)
    np.testing.assert_allclose(r.fixed["estimate"], R["fixef"], rtol=1e-5)
    assert r.criterion == pytest.approx(R["reml"], rel=1e-8)
    assert any("992 answers from 284 people" in n for n in r.notes)


def test_icc2_counts_distinct_people(waves):
    r = cs.variance.decompose(waves, "engagement", ["manager", "team"], person="employee",
                              occasion="quarter", n_boot=0)
    icc2 = r.icc2.set_index("level")
    team = icc2.loc["team"]
    people = waves.groupby("team")["employee"].nunique()
    assert team["mean_people"] == pytest.approx(people.mean())
    # by hand: true team-mean variance over that plus person and occasion error of each
    # team's mean (person variance / people, weighted by answers per person)
    v = dict(zip(r.components["level"], r.components["variance"], strict=True))
    true = v["manager"] + v["team"]
    rel = []
    for _, g in waves.groupby("team"):
        n_h = g.groupby("employee").size().to_numpy(float)
        n = n_h.sum()
        err = v["employee"] * (n_h**2).sum() / n**2 + v["residual"] / n
        rel.append(true / (true + err))
    assert team["icc2"] == pytest.approx(np.mean(rel), rel=1e-10)
    # treating 992 answers as 992 people overstates it
    naive = cs.variance.decompose(waves.drop(columns="employee"), "engagement",
                                  ["manager", "team"], n_boot=0)
    assert naive.icc2.set_index("level").loc["team", "icc2"] > team["icc2"] + 0.1
