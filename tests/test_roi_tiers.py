"""roi.tiers (hierarchical ROI by tier) and simulate.tiered_roi.

References: the unpooled column must equal roi.phillips on the tier's rows and the pooled
columns roi.bayesian on all rows with the same seed (both to 1e-12 relative: the same
deterministic computation / the same seeded sampler). Calibration tolerances: coverage of
the tier ROIs within 3 Monte Carlo SE of 0.95; with equal tiers, P(highest) above 0.9 in at
most 10% of datasets and the most likely tier named no more often than chance (1/3) plus
3 Monte Carlo SE.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.roi._recovery import CHECKS, tier_calibration

KW = dict(benefit="benefit", cost="cost", attribution="attribution", confidence="confidence")
FIT = dict(draws=200, tune=200, chains=2)


@pytest.fixture(scope="module")
def fitted():
    sim = cs.simulate.tiered_roi(rng=11)
    before = sim.data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.roi.tiers(sim.data, "tier", **KW, **FIT, rng=5)
    pd.testing.assert_frame_equal(sim.data, before)
    return sim, res


def test_generator_truth_and_seed():
    sim = cs.simulate.tiered_roi(rng=0)
    t = sim.truth
    mf = math.pi * 0.6 / math.sin(math.pi * 0.6)
    assert t.roi_pct["middle_manager"] == pytest.approx(
        100 * (0.7 * 40_000 * mf * 0.5 * 0.7 / 12_000 - 1), rel=1e-12)
    assert t.highest == "middle_manager"
    assert sim.data.groupby("tier").size().to_dict() == {
        "c_suite": 12, "emerging_leader": 40, "middle_manager": 60}
    pd.testing.assert_frame_equal(sim.data, cs.simulate.tiered_roi(rng=0).data)
    eq = cs.simulate.tiered_roi(20, cost_mean=1000, benefit_median=3000, rng=1)
    assert eq.truth.highest is None and len(set(eq.truth.roi_pct.values())) == 1
    with pytest.raises(ValueError, match="benefit_median"):
        cs.simulate.tiered_roi(benefit_median=(1.0, 2.0))


def test_unpooled_equals_phillips_and_pooled_equals_bayesian(fitted):
    sim, res = fitted
    f = res.to_frame().set_index("tier")
    for t in sim.truth.tiers:
        ph = cs.roi.phillips(sim.data.loc[sim.data["tier"] == t], **KW)
        assert f.loc[t, "unpooled_estimate"] == pytest.approx(ph.roi_pct, rel=1e-12)
    seed = int(np.random.default_rng(5).integers(0, 2**31 - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = cs.roi.bayesian(sim.data, **KW, **FIT, rng=seed)
    row = b.to_frame().set_index("term").loc["roi_pct"]
    for col in ("estimate", "ci_low", "ci_high"):
        assert np.allclose(f[f"pooled_{col}"], row[col], rtol=1e-12)


def test_result_members(fitted):
    sim, res = fitted
    f = res.to_frame()
    assert list(f["tier"]) == list(sim.truth.tiers)
    assert f["prob_highest"].sum() == pytest.approx(1.0)
    d = res.draws["roi_pct"]
    assert np.allclose(f["prob_positive"], (d > 0).mean(0))
    assert np.allclose(f["estimate"], np.median(d, 0))
    assert (f["ci_low"] < f["estimate"]).all() and (f["estimate"] < f["ci_high"]).all()
    assert f["n_people"].tolist() == [12, 60, 40]
    codes = [c.code for c in res.cautions]
    assert "few_participants" in codes and "c_suite" in res.cautions[0].message
    assert "P(highest ROI)" in res.summary()
    assert res.plot().get_xlabel().startswith("ROI (%)")
    assert "roi.tiers" in CHECKS


def test_privacy_and_bad_input():
    sim = cs.simulate.tiered_roi((4, 20, 20), rng=2)
    with pytest.raises(ValueError, match="c_suite"):
        cs.roi.tiers(sim.data, "tier", **KW)
    d = cs.simulate.tiered_roi((6, 20, 20), rng=2).data
    d["person"] = d["participant"]
    d.loc[d["tier"] == "c_suite", "person"] = [1, 1, 2, 2, 3, 4]  # 6 rows, 4 people
    with pytest.raises(ValueError, match="min_group_size"):
        cs.roi.tiers(d, "tier", **KW, person="person")
    d2 = sim.data.copy()
    d2.loc[3, "tier"] = None
    with pytest.raises(ValueError, match="rows 3"):
        cs.roi.tiers(d2, "tier", **KW)
    with pytest.raises(ValueError, match="at least two"):
        cs.roi.tiers(sim.data.assign(tier="all"), "tier", **KW)
    with pytest.raises(ValueError, match="min_group_size must be at least 3"):
        cs.roi.tiers(sim.data, "tier", **KW, min_group_size=2)


def test_equal_tiers_not_confident_fast():
    # two datasets whose tiers are equal: no tier may get P(highest) above 0.9
    def light(data, rng):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cs.roi.tiers(data, "tier", **KW, pooled=False, **FIT, rng=rng)

    r = tier_calibration(2, equal=True, rng=7, estimate=light)
    assert (r["max_prob_highest"] < 0.9).all(), r["max_prob_highest"]


@pytest.mark.slow
def test_calibration_full():
    eq = tier_calibration(40, equal=True, rng=2027)
    assert np.mean(eq["max_prob_highest"] > 0.9) <= 0.10
    h = eq["hit"]
    assert h.mean() <= 1 / 3 + 3 * math.sqrt(1 / 3 * 2 / 3 / h.size)
    for r in (eq, tier_calibration(40, equal=False, rng=2026)):
        c = r["covered"]
        assert abs(c.mean() - 0.95) <= 3 * math.sqrt(0.95 * 0.05 / c.size), c.mean()
