"""did.staggered_arms: each arm equals did.staggered on that arm and the never-treated; the
contrast and its adjustment; recovery."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

import coachstats as cs
from coachstats.did import _recovery_arms as R
from coachstats.validate import recovery


@pytest.fixture(scope="module")
def sim():
    return cs.simulate.arms_rollout(240, effects={"coaching": 0.15, "mentoring": 0.05,
                                                  "both": 0.2}, rng=3)


def test_each_arm_is_staggered_on_its_subset(sim):
    before = sim.data.copy()
    res = cs.did.staggered_arms(sim.data, "engagement", "team", "period", "cohort", "arm",
                                adjust="BH")
    f = res.to_frame().set_index("term")
    for arm in ("both", "coaching", "mentoring"):
        sub = sim.data[sim.data["arm"].isin(["none", arm])]
        ref = cs.did.staggered(sub, "engagement", "team", "period", "cohort", n_boot=0)
        assert f.loc[f"arm={arm}", "estimate"] == pytest.approx(ref.att, rel=1e-12)
        assert f.loc[f"arm={arm}", "std_error"] == pytest.approx(ref.std_error, rel=1e-12)
    c = f.loc["both vs coaching"]
    assert c["estimate"] == pytest.approx(f.loc["arm=both", "estimate"]
                                          - f.loc["arm=coaching", "estimate"])
    assert c["std_error"] == pytest.approx(np.hypot(f.loc["arm=both", "std_error"],
                                                    f.loc["arm=coaching", "std_error"]))
    p = f.loc[["both vs coaching", "both vs mentoring", "coaching vs mentoring"], "p_value"]
    np.testing.assert_allclose(f.loc[p.index, "p_adjusted"],
                               multipletests(p.to_numpy(), method="fdr_bh")[1])
    pd.testing.assert_frame_equal(sim.data, before)
    assert res.plot() is not None


def test_bad_input(sim):
    bad = sim.data.copy()
    bad.loc[bad.index[0], "arm"] = "mentoring" if bad.loc[bad.index[0], "arm"] != "mentoring" \
        else "coaching"
    with pytest.raises(ValueError, match="changes within unit"):
        cs.did.staggered_arms(bad, "engagement", "team", "period", "cohort", "arm")
    with pytest.raises(ValueError, match="never-treated"):
        cs.did.staggered_arms(sim.data, "engagement", "team", "period", "cohort", "arm",
                              never_treated=99)
    with pytest.raises(ValueError, match="adjust="):
        cs.did.staggered_arms(sim.data, "engagement", "team", "period", "cohort", "arm",
                              adjust="sidak")


def test_recovery_fast():
    f = recovery(R.estimate_rollout, R.generate_rollout, truth=R.truth_rollout, n_reps=20,
                 rng=8).to_frame().set_index("term")
    for term, row in f.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_mcse"] + 0.01, term
        assert row["coverage"] > 0.8, term


@pytest.mark.slow
def test_recovery_full():
    c = R.CHECKS["did.staggered_arms"]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=c.default_reps,
                 rng=2024).to_frame().set_index("term")
    for term, row in f.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_mcse"] + 0.003, term
        assert row["coverage"] > 0.95 - 3 * row["coverage_mcse"] - 0.01, term
