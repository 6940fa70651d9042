"""did.staggered_by: conditional ATT by a unit-level subgroup with a Wald test of equality.

Reference: each group's row must equal did.staggered on that group's rows (same function,
exact), and the Wald statistic must equal the inverse-variance heterogeneity statistic
sum w_g (theta_g - theta_w)^2 computed independently from those fits (1e-10 relative).
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import coachstats as cs


def _two_group_panel(effects, rng):
    frames = []
    g = np.random.default_rng(rng)
    for k, eff in enumerate(effects):
        sim = cs.simulate.engagement_panel(n_managers=40, effect=eff, effect_growth=0.0, rng=g)
        d = sim.data.groupby(["team", "manager", "quarter", "coached_from"], as_index=False)[
            "engagement"].mean()
        d["team"] = d["team"] + 100_000 * k
        d["manager"] = d["manager"] + 100_000 * k
        d["group"] = f"g{k}"
        frames.append(d)
    return pd.concat(frames, ignore_index=True)


ARGS = ("engagement", "team", "quarter", "coached_from")


def test_matches_separate_fits_and_wald_formula():
    d = _two_group_panel((0.1, 0.4), rng=3)
    d["group"] = np.where(d["team"] % 3 == 0, "c", d["group"])  # three groups
    before = d.copy()
    res = cs.did.staggered_by(d, *ARGS, by="group", cluster=None, n_boot=0, rng=1)
    pd.testing.assert_frame_equal(d, before)
    f = res.to_frame().set_index("term")
    th, w = [], []
    for lab in ("c", "g0", "g1"):
        one = cs.did.staggered(d.loc[d["group"] == lab], *ARGS, n_boot=0, rng=1)
        assert f.loc[f"att[{lab}]", "estimate"] == pytest.approx(one.att, rel=1e-12)
        assert f.loc[f"att[{lab}]", "std_error"] == pytest.approx(one.std_error, rel=1e-12)
        th.append(one.att)
        w.append(1 / one.std_error**2)
    th, w = np.array(th), np.array(w)
    q = float(np.sum(w * (th - np.sum(w * th) / np.sum(w)) ** 2))
    assert res.statistic == pytest.approx(q, rel=1e-10)
    assert res.df == 2 and res.p_value == pytest.approx(stats.chi2.sf(q, 2), rel=1e-10)
    assert f.loc["wald_equal", "p_value"] == res.p_value
    assert res.plot().get_xlabel() == "ATT"


def test_detects_a_large_difference():
    d = _two_group_panel((0.0, 0.6), rng=5)
    res = cs.did.staggered_by(d, *ARGS, by="group", cluster="manager", n_boot=0, rng=1)
    f = res.to_frame().set_index("term")
    assert res.p_value < 0.01
    assert f.loc["att[g1]", "estimate"] - f.loc["att[g0]", "estimate"] > 0.3


def test_bad_input():
    d = _two_group_panel((0.1, 0.1), rng=1)
    d2 = d.copy()
    d2.loc[d2.index[0], "group"] = "g1"  # a unit in two groups
    with pytest.raises(ValueError, match="changes within unit"):
        cs.did.staggered_by(d2, *ARGS, by="group")
    d3 = d.copy()
    d3["cl"] = 1
    with pytest.raises(ValueError, match="span several"):
        cs.did.staggered_by(d3, *ARGS, by="group", cluster="cl")
    d4 = d.copy()
    few = d4["team"].isin(d4.loc[d4["group"] == "g0", "team"].unique()[:4])
    d4.loc[few, "group"] = "tiny"
    with pytest.raises(ValueError, match="tiny"):
        cs.did.staggered_by(d4, *ARGS, by="group")


@pytest.mark.slow
def test_size_under_equal_effects():
    # equal true effects: the Wald test rejects at 5% within 3 Monte Carlo SE of 5%
    reps, rej = 100, 0
    for i in range(reps):
        d = _two_group_panel((0.2, 0.2), rng=1000 + i)
        rej += cs.did.staggered_by(d, *ARGS, by="group", cluster="manager", n_boot=0,
                                   rng=i).p_value < 0.05
    assert abs(rej / reps - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / reps)
