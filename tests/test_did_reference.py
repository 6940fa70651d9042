"""DiD estimators against published R `did` values and R-computed TWFE references on mpdta
(provenance in tests/reference/did_reference.json and did_twfe.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

REF = Path(__file__).parent / "reference"
VALUES = json.loads((REF / "did_reference.json").read_text())
CS = VALUES["mpdta_callaway_santanna"]
TW = VALUES["mpdta_twfe"]
ARGS = ("lemp", "countyreal", "year", "first.treat")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "did_mpdta.csv")


@pytest.fixture(scope="module")
def res(mpdta):
    return cs.did.staggered(mpdta, *ARGS, n_boot=999, rng=20)


def test_group_time_atts_match_did_documentation(res):
    gt = res.group_time.set_index(["cohort", "time"])["estimate"]
    for g, t, val in CS["group_time"]:
        assert round(gt[(g, t)], 4) == pytest.approx(val, abs=1e-12), (g, t)
    assert len(gt) == len(CS["group_time"])


def test_simple_att_and_analytic_se_to_1e5(res):
    assert res.att == pytest.approx(CS["simple_att"], abs=1e-5)
    assert res.std_error == pytest.approx(CS["simple_se_analytic"], abs=1e-5)
    agg = res.aggregate("simple")
    assert agg.estimate == res.att and agg.std_error == res.std_error


def test_dynamic_and_group_aggregations_match(res):
    dyn = res.aggregate("dynamic").to_frame().set_index("term")["estimate"]
    assert round(dyn["att_dynamic"], 4) == pytest.approx(CS["dynamic_overall"], abs=1e-12)
    for e, val in CS["dynamic_event_time"].items():
        assert round(dyn[f"event_time[{e}]"], 4) == pytest.approx(val, abs=1e-12)
    grp = res.aggregate("group")
    assert round(grp.estimate, 4) == pytest.approx(CS["group_overall"], abs=1e-12)


def test_pretrend_wald_p_value_matches(res):
    pt = res.pretrend_test()
    assert pt.df == 5
    assert round(pt.p_value, 5) == pytest.approx(CS["pretest_p_value"], abs=1e-12)


def test_bootstrap_se_close_to_analytic_and_band_wider(res):
    gt = res.group_time
    ratio = gt["std_error_boot"] / gt["std_error"]
    assert ratio.between(0.85, 1.15).all()
    assert (gt["ci_high_uniform"] - gt["ci_low_uniform"]
            > gt["ci_high"] - gt["ci_low"]).all()


def test_twfe_static_matches_r(mpdta):
    r = cs.did.twfe(mpdta, *ARGS)
    assert r.estimate == pytest.approx(-0.03655, abs=5e-6)
    assert r.estimate == pytest.approx(TW["twfe_estimate"], rel=1e-6)
    assert r.std_error == pytest.approx(TW["twfe_se_cr1"], rel=1e-6)


def test_twfe_event_study_matches_r(mpdta):
    es = cs.did.event_study(mpdta, *ARGS, window=(-4, 4)).to_frame().set_index("event_time")
    assert sorted(es.index) == sorted(int(k) for k in TW["event_study"])
    for e, (b, se) in TW["event_study"].items():
        assert es.loc[int(e), "estimate"] == pytest.approx(b, rel=1e-6)
        assert es.loc[int(e), "std_error"] == pytest.approx(se, rel=1e-6)


def test_two_by_two_matches_r_and_equals_att_gt(mpdta, res):
    d = mpdta[(mpdta["year"] <= 2004) & mpdta["first.treat"].isin([0, 2004])].assign(
        g=lambda x: (x["first.treat"] == 2004).astype(int),
        p=lambda x: (x["year"] == 2004).astype(int))
    hc = cs.did.two_by_two(d, "lemp", "g", "p")
    cr = cs.did.two_by_two(d, "lemp", "g", "p", cluster="countyreal")
    ref = TW["two_by_two"]
    assert hc.estimate == pytest.approx(ref["estimate"], rel=1e-6)
    assert hc.std_error == pytest.approx(ref["se_hc1"], rel=1e-6)
    assert cr.std_error == pytest.approx(ref["se_cr1"], rel=1e-6)
    gt = res.group_time.set_index(["cohort", "time"])["estimate"]
    assert cr.estimate == pytest.approx(gt[(2004, 2004)], rel=1e-10)


def test_bacon_weights_sum_to_one_and_reproduce_twfe(mpdta):
    b = cs.did.bacon_decomposition(mpdta, *ARGS)
    assert b.table["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert b.weighted_sum == pytest.approx(TW["twfe_estimate"], rel=1e-8)
    assert set(b.table["type"]) == {"treated vs never treated", "earlier vs later treated",
                                    "later vs earlier treated"}
    # treated-vs-never 2x2 for 2004 is the full-sample DiD of that cohort
    row = b.table[(b.table["type"] == "treated vs never treated")
                  & (b.table["cohort_treated"] == 2004)]
    m = mpdta[mpdta["first.treat"].isin([0, 2004])].assign(
        post=lambda x: x["year"] >= 2004)
    means = m.groupby(["first.treat", "post"])["lemp"].mean()
    manual = (means[(2004, True)] - means[(2004, False)]) - (means[(0, True)]
                                                             - means[(0, False)])
    assert row["estimate"].iloc[0] == pytest.approx(manual, rel=1e-10)


def test_covariate_estimators_agree_with_unconditional_when_covariate_is_noise(mpdta):
    # a covariate independent of everything: reg, ipw and dr stay close to the no-covariate
    # estimate, and reg with an intercept-only design would equal it exactly
    noise = np.random.default_rng(0).normal(size=mpdta["countyreal"].nunique())
    d = mpdta.assign(x=mpdta["countyreal"].map(
        dict(zip(sorted(mpdta["countyreal"].unique()), noise, strict=True))))
    base = cs.did.staggered(mpdta, *ARGS, n_boot=0)
    for m in ("reg", "ipw", "dr"):
        r = cs.did.staggered(d, *ARGS, covariates=["x"], method=m, n_boot=0)
        assert r.att == pytest.approx(base.att, abs=0.004)
        assert r.std_error == pytest.approx(base.std_error, rel=0.1)


@pytest.mark.parametrize("control", ["never", "not_yet"])
def test_doubly_robust_with_a_covariate_matches_did_documentation(mpdta, control):
    ref = VALUES["mpdta_callaway_santanna_lpop"][control]
    r = cs.did.staggered(mpdta, *ARGS, covariates=["lpop"], method="dr", control=control,
                         n_boot=0)
    gt = r.group_time.set_index(["cohort", "time"])["estimate"]
    assert len(gt) == len(ref["group_time"])
    for g, t, val in ref["group_time"]:
        assert round(gt[(g, t)], 4) == pytest.approx(val, abs=1e-12), (g, t)
    assert round(r.pretrend_test().p_value, 5) == pytest.approx(ref["pretest_p_value"],
                                                                abs=1e-12)
    # the covariate matters: the 2006 cohort's first effect moves from -0.0046 to 0.0010
    base = cs.did.staggered(mpdta, *ARGS, control=control, n_boot=0)
    assert not np.allclose(base.group_time["estimate"], r.group_time["estimate"], atol=1e-3)
