"""roi_program: reproducible, the truth matches large samples, bad parameters are named."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.simulate import roi_program


def test_defaults_and_same_seed_identical():
    a, b = roi_program(rng=5), roi_program(rng=5)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.truth == b.truth
    assert a.data.shape == (189, 5)
    assert list(a.data.columns) == ["participant", "cost", "benefit", "attribution", "confidence"]
    assert not roi_program(rng=6).data.equals(a.data)
    c = roi_program(level="company", rng=5)
    assert list(c.data.columns) == ["company", "cost", "benefit", "multiple", "responded"]
    pd.testing.assert_frame_equal(c.data, roi_program(level="company", rng=5).data)


def test_truth_definitions():
    t = roi_program(rng=0).truth
    factor = math.pi * 0.6 / math.sin(math.pi * 0.6)
    assert t.mean_positive_benefit == pytest.approx(30_000 * factor, rel=1e-12)
    assert t.bcr == pytest.approx(0.7 * 30_000 * factor * 0.5 * 0.7 / 12_000, rel=1e-12)
    assert t.roi_pct == pytest.approx(100 * (t.bcr - 1), rel=1e-12)
    assert t.roi_positive == (t.bcr > 1)
    assert 0 < t.p_participant_recoups < 1 and 0 < t.p_program_roi_positive < 1


def test_large_sample_participant_truth():
    # benefit_shape < 1/2 gives benefits a finite variance, so sample means settle
    sim = roi_program(400_000, benefit_shape=0.3, rng=1)
    d, t = sim.data, sim.truth
    adj = d["benefit"] * d["attribution"] * d["confidence"]
    assert adj.sum() / d["cost"].sum() == pytest.approx(t.bcr, rel=0.01)
    assert (d["benefit"] > 0).mean() == pytest.approx(t.share_with_benefit, abs=0.003)
    assert d["cost"].mean() == pytest.approx(t.mean_cost, rel=0.002)
    assert d["attribution"].mean() == pytest.approx(t.mean_attribution, abs=0.002)
    assert d["confidence"].mean() == pytest.approx(t.mean_confidence, abs=0.002)
    assert (adj > d["cost"]).mean() == pytest.approx(t.p_participant_recoups, abs=0.004)
    pos = d.loc[d["benefit"] > 0, "benefit"]
    assert pos.median() == pytest.approx(30_000, rel=0.01)


def test_program_probability_matches_fresh_programs():
    t = roi_program(rng=0).truth
    wins = 0
    reps = 600
    for i in range(reps):
        d = roi_program(rng=1000 + i).data
        wins += cs.roi.phillips(
            d, benefit="benefit", cost="cost", attribution="attribution",
            confidence="confidence",
        ).roi_pct > 0
    se = math.sqrt(t.p_program_roi_positive * (1 - t.p_program_roi_positive) / reps)
    assert wins / reps == pytest.approx(t.p_program_roi_positive, abs=4 * se)


def test_large_sample_company_truth_and_selective_response():
    sim = roi_program(300_000, level="company", response_ratio=2.0, response_rate=0.3, rng=2)
    d, t = sim.data, sim.truth
    # population quantities need the nonrespondents' multiples: regenerate with everyone
    full = roi_program(300_000, level="company", response_rate=1.0, rng=2)
    m = full.data["multiple"]
    assert (m >= 1).mean() == pytest.approx(t.share_recouped, abs=0.003)
    assert m.median() == pytest.approx(t.median_multiple, rel=0.02)
    edges = [0, 1, 10, 50, np.inf]
    for (lo, hi), (lab, share) in zip(
        itertools.pairwise(edges), t.band_shares.items(), strict=True
    ):
        assert ((m >= lo) & (m < hi)).mean() == pytest.approx(share, abs=0.003), lab
    resp = d.loc[d["responded"], "multiple"]
    for (lo, hi), share in zip(
        itertools.pairwise(edges), t.respondent_band_shares.values(), strict=True
    ):
        assert ((resp >= lo) & (resp < hi)).mean() == pytest.approx(share, abs=0.005)
    assert d["benefit"].isna().sum() == (~d["responded"]).sum()
    # recouped companies respond twice as often
    lost = t.band_shares["[0, 1)"]
    expected = 0.3 * lost + 0.6 * (1 - lost)
    assert d["responded"].mean() == pytest.approx(expected, abs=0.004)


def test_participant_nonresponse_leaves_costs():
    d = roi_program(response_rate=0.5, response_ratio=1.5, rng=3).data
    assert d["benefit"].isna().any() and not d["cost"].isna().any()


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"n": 1}, "n"),
        ({"level": "team"}, "level"),
        ({"cost_mean": -5.0}, "cost_mean"),
        ({"cost_cv": -0.1}, "cost_cv"),
        ({"p_benefit": 1.5}, "p_benefit"),
        ({"benefit_shape": 1.0}, "benefit_shape"),
        ({"attribution_mean": 0.0}, "attribution_mean"),
        ({"confidence_concentration": 0.0}, "confidence_concentration"),
        ({"response_rate": 0.8, "response_ratio": 2.0}, "response_ratio"),
    ],
)
def test_bad_parameters_named(kw, name):
    with pytest.raises((ValueError, TypeError), match=name):
        roi_program(**kw, rng=0)


def test_bundled_dataset_matches_generator():
    from pathlib import Path

    from coachstats.cli import BUNDLED_SEEDS

    csv = Path(__file__).parent.parent / "data" / "synthetic" / "roi_program.csv"
    if not csv.exists():
        pytest.skip("bundled data not generated yet")
    on_disk = pd.read_csv(csv)
    fresh = roi_program(rng=BUNDLED_SEEDS["roi_program"]).data
    np.testing.assert_allclose(on_disk["benefit"], fresh["benefit"], rtol=1e-9)
