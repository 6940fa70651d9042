"""from_summary: reproduces the ICF/PwC bands, solves exact cases, corrects for selection."""

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

BANDS = pd.read_csv(Path(__file__).parent / "reference" / "roi_icf_pwc_2009_bands.csv")
COLS = {"low": "return_multiple_low", "high": "return_multiple_high",
        "share": "share_of_companies"}


@pytest.fixture(scope="module")
def icf():
    return {
        o: cs.roi.from_summary(BANDS, n=189, median_multiple=7, nonresponse_odds=o, rng=1,
                               **COLS)
        for o in (1.0, 2.0, 4.0)
    }


@pytest.mark.reference
def test_icf_bands_reproduced(icf):
    rep = icf[1.0].reproduction.set_index("quantity")
    for q in ("share[0, 1)", "share[1, 10)", "share[10, 50)", "share[50, inf)",
              "share_recouped"):
        r = rep.loc[q]
        assert abs(r["fitted"] - r["given"]) < 0.03, q
        assert r["ci_low"] < r["given"] < r["ci_high"], q
    assert rep.loc["share_recouped", "given"] == pytest.approx(0.86)
    m = rep.loc["median_multiple"]
    assert m["ci_low"] < 7 < m["ci_high"]
    assert (icf[1.0].to_frame()["ci_level"] == 0.95).all()


def test_seven_x_is_roi_600(icf):
    res = icf[1.0]
    assert "a median of 7x is ROI 600%, not 700%" in res.summary()
    t = res.to_frame().set_index("term")
    assert t.loc["median_roi_pct", "estimate"] == pytest.approx(
        100 * (t.loc["median_multiple", "estimate"] - 1), rel=1e-6
    )


def test_selection_lowers_the_population_figures(icf):
    med = [icf[o].to_frame().set_index("term").loc["median_multiple", "estimate"]
           for o in (1.0, 2.0, 4.0)]
    rec = [icf[o].to_frame().set_index("term").loc["share_recouped", "estimate"]
           for o in (1.0, 2.0, 4.0)]
    assert med[0] > med[1] > med[2]
    assert rec[0] > rec[1] > rec[2]
    # the respondents' fitted share recouped stays at the published 86% under every odds
    for o in (1.0, 2.0, 4.0):
        r = icf[o].reproduction.set_index("quantity").loc["share_recouped", "fitted"]
        assert r == pytest.approx(0.86, abs=0.03)
    s = icf[1.0].sensitivity(odds=(1, 2, 4)).to_frame()
    got = s[s["term"] == "median_multiple"]["estimate"].to_numpy()
    np.testing.assert_allclose(got, med, rtol=1e-12)
    assert s.shape[0] == 9


@pytest.mark.parametrize("odds", [1.0, 2.0])
def test_exact_solution_with_two_figures(odds):
    # two figures, two parameters: with a huge n the posterior sits on the exact solution
    res = cs.roi.from_summary(n=1e6, share_recouped=0.86, median_multiple=7,
                              nonresponse_odds=odds, rng=1)
    t = res.to_frame().set_index("term")
    r = odds
    pop_recouped = 0.86 / (r - 0.86 * (r - 1))  # solves r p / (1 - p + r p) = 0.86
    f1 = 1 - pop_recouped
    d = f1 + r * pop_recouped
    f7 = f1 + (d / 2 - f1) / r  # population CDF at the respondents' median
    logit = lambda q: math.log(q / (1 - q))  # noqa: E731
    s = math.log(7) / (logit(f7) - logit(f1))
    mu = -s * logit(f1)
    assert t.loc["share_recouped", "estimate"] == pytest.approx(pop_recouped, abs=2e-3)
    assert t.loc["median_multiple", "estimate"] == pytest.approx(math.exp(mu), rel=0.01)
    assert t.loc["tail_shape", "estimate"] == pytest.approx(s, rel=0.01)
    if odds == 1.0:
        assert t.loc["median_multiple", "estimate"] == pytest.approx(7, rel=0.01)


def test_recovers_population_from_selected_survey():
    sim = cs.simulate.roi_program(4000, level="company", p_benefit=1.0, response_rate=0.2,
                                  response_ratio=2.0, rng=11)
    m = sim.data.loc[sim.data["responded"], "multiple"].to_numpy()
    edges = [0, 1, 10, 50, None]
    bins = [(lo, hi, float(np.mean((m >= lo) & (m < (hi or np.inf)))))
            for lo, hi in itertools.pairwise(edges)]
    res = cs.roi.from_summary(bins, n=m.size, median_multiple=float(np.median(m)),
                              nonresponse_odds=2.0, rng=1)
    t = res.to_frame().set_index("term")
    for term, truth in (("median_multiple", sim.truth.median_multiple),
                        ("share_recouped", sim.truth.share_recouped)):
        assert t.loc[term, "ci_low"] < truth < t.loc[term, "ci_high"], term
    naive = cs.roi.from_summary(bins, n=m.size, median_multiple=float(np.median(m)), rng=1)
    assert naive.to_frame().set_index("term").loc["share_recouped", "ci_low"] > (
        sim.truth.share_recouped
    )


def test_plots(icf):
    ax = icf[2.0].plot()
    assert any("95% equal-tailed" in t.get_text() for t in ax.get_legend().get_texts())
    ax = icf[1.0].plot(kind="bands")
    assert ax.get_xlabel() == "share of respondents"
    ax = icf[1.0].sensitivity().plot()
    assert "nonresponse_odds" in ax.get_xlabel()


def test_errors():
    with pytest.raises(ValueError, match="percentages"):
        cs.roi.from_summary([(0, 1, 14), (1, None, 86)], n=100)
    with pytest.raises(ValueError, match="sum to 1"):
        cs.roi.from_summary([(0, 1, 0.14), (1, None, 0.5)], n=100)
    with pytest.raises(ValueError, match="contiguous"):
        cs.roi.from_summary([(0, 1, 0.14), (2, None, 0.86)], n=100)
    with pytest.raises(ValueError, match="0 to infinity"):
        cs.roi.from_summary([(0, 1, 0.14), (1, 10, 0.86)], n=100)
    with pytest.raises(ValueError, match="disagrees"):
        cs.roi.from_summary(BANDS, n=189, share_recouped=0.7, **COLS)
    with pytest.raises(ValueError, match="nonresponse_odds"):
        cs.roi.from_summary(BANDS, n=189, nonresponse_odds=0, **COLS)
    with pytest.raises(ValueError, match=r"share_recouped.*percentage"):
        cs.roi.from_summary(n=189, share_recouped=86)
    with pytest.raises(ValueError, match="columns"):
        cs.roi.from_summary(BANDS, n=189)
    with pytest.raises(ValueError, match="at least one"):
        cs.roi.from_summary(n=189)
