"""pre_post_360: realistic defaults, reproducible, and a truth that matches large samples."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.simulate.pre_post import DEFAULT_GROUPS, pre_post_360


def test_defaults_shape_and_reproducible():
    a = pre_post_360(rng=360)
    b = pre_post_360(rng=360)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert list(a.data.columns) == ["leader", "rater_group", "rater", "time", "rating"]
    assert a.data["leader"].nunique() == 120
    assert set(a.data["rater_group"]) == set(DEFAULT_GROUPS)
    assert a.data["rater"].is_unique
    per = a.data.groupby(["leader", "rater_group", "time"]).size().unstack("rater_group")
    assert (per["self"] == 1).all() and (per["manager"] == 1).all()
    assert per["peer"].between(3, 8).all() and per["direct_report"].between(3, 10).all()
    assert 3.0 < a.data["rating"].mean() < 4.3
    assert not a.data.equals(pre_post_360(rng=361).data)
    assert a.truth.overall_groups == ("manager", "peer", "direct_report")


def test_truth_matches_a_large_sample():
    sim = pre_post_360(n_leaders=6000, rng=1)
    m = sim.data.groupby(["leader", "rater_group", "time"])["rating"].mean().unstack(
        ["rater_group", "time"])
    tr = sim.truth
    for g in DEFAULT_GROUPS:
        pre, post = m[(g, "pre")], m[(g, "post")]
        assert pre.std() == pytest.approx(tr.sd_pre[g], rel=0.03)
        assert post.std() == pytest.approx(tr.sd_post[g], rel=0.03)
        assert np.corrcoef(pre, post)[0, 1] == pytest.approx(tr.r_pre_post[g], abs=0.02)
        assert (post - pre).mean() == pytest.approx(tr.change[g], abs=0.02)
        sd_change = (post - pre).std()
        assert tr.change[g] / sd_change == pytest.approx(tr.d_z[g], abs=0.04)
    over = [m[(g, t)] for g in tr.overall_groups for t in ("pre", "post")]
    pre = sum(over[0::2]) / 3
    post = sum(over[1::2]) / 3
    d_av = (post - pre).mean() / ((pre.std() + post.std()) / 2)
    assert d_av == pytest.approx(tr.d_av["overall"], abs=0.03)
    r = np.corrcoef(m[("peer", "pre")], m[("direct_report", "pre")])[0, 1]
    assert r == pytest.approx(tr.correlation_pre["peer~direct_report"], abs=0.03)
    # ICC(1) of peers matches the single-rater reliability in the truth
    res = cs.effects.rater_agreement(sim.data, leader="leader", rater_group="rater_group",
                                     rating="rating", time="time", rater="rater")
    rel = res.reliability_frame().set_index("term")
    assert rel.loc["peer:pre", "icc1"] == pytest.approx(tr.icc1["peer"], abs=0.03)


def test_custom_groups_and_parameter_errors():
    sim = pre_post_360(n_leaders=10, groups={"team": (3.5, 0.1, 0.5, 0.3, 5, 6)},
                       overall_exclude=(), rng=0)
    assert set(sim.data["rater_group"]) == {"team"}
    assert sim.truth.d_av["overall"] == pytest.approx(sim.truth.d_av["team"])
    with pytest.raises(ValueError, match="n_leaders must be at least 3"):
        pre_post_360(n_leaders=2)
    with pytest.raises(ValueError, match="leader_sd must be positive"):
        pre_post_360(leader_sd=0)
    with pytest.raises(ValueError, match=r"groups\['x'\] must have 6 entries"):
        pre_post_360(groups={"x": (1, 2)})
    with pytest.raises(ValueError, match=r"groups\['x'\] max_raters must be at least 4"):
        pre_post_360(groups={"x": (3.5, 0.1, 0.5, 0.3, 4, 2)})
    with pytest.raises(ValueError, match="overall_exclude names unknown"):
        pre_post_360(overall_exclude=("boss",))


def test_truth_change_correlation_matches_a_large_sample():
    sim = pre_post_360(n_leaders=6000, rng=2)
    m = sim.data.groupby(["leader", "rater_group", "time"])["rating"].mean().unstack(
        ["rater_group", "time"])
    dp = m[("peer", "post")] - m[("peer", "pre")]
    dd = m[("direct_report", "post")] - m[("direct_report", "pre")]
    r = np.corrcoef(dp, dd)[0, 1]
    assert r == pytest.approx(sim.truth.correlation_change["peer~direct_report"], abs=0.03)
