"""coachstats.causal against R (tests/reference/causal_reference.R -> causal_reference.json)
and published sensitivity examples.

Provenance: R 4.2, MatchIt 4.5.1 and sandwich 3.0-2 (Debian bookworm packages) on MatchIt's
``lalonde`` (614 rows, exported to causal_lalonde.csv), formula
``treat ~ age + educ + race + married + nodegree + re74 + re75``. Matched samples come from
MatchIt's general nearest-neighbour routine in its default largest-first order (see the R
script for why); weighting, entropy balancing and AIPW are computed in base R, the weighting
sandwich by finite differences of the stacked estimating equations (independent of the
complex-step Jacobian used here).

Abadie-Imbens SEs of matching with replacement: tests/reference/causal_matching_ai.R ->
causal_matching_ai.json (R 4.2, MatchIt 4.5.1, Matching 4.10-8; sample = FALSE and
TRUE for the population and sample ATT): MatchIt's matched pairs
handed to ``Matching::Match(..., estimand = "ATT", Var.calc = 1, match.out = <pairs>)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachstats import causal
from coachstats.effects import group_difference

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "causal_reference.json").read_text())
AI = json.loads((REF / "causal_matching_ai.json").read_text())
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
RTOL = 1e-6


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    d = pd.read_csv(REF / "causal_lalonde.csv")
    return d.set_index("id", drop=False)


MATCH_CASES = {
    "nearest_ps": {"distance": "ps"},
    "nearest_logit": {},
    "ratio2_logit": {"ratio": 2},
    "caliper_logit": {"caliper": 0.2},
    "exact_married_logit": {"exact": "married"},
}


@pytest.mark.parametrize("case", sorted(MATCH_CASES))
def test_matching_same_sample_att_and_se_as_matchit(lalonde, case):
    ref = R["matching"][case]
    res = causal.matching(lalonde, "treat", "re78", COVS, **MATCH_CASES[case])
    got: dict[str, list[str]] = {}
    for t, c in zip(res.pairs["treated"], res.pairs["comparison"], strict=True):
        got.setdefault(t, []).append(c)
    for t, m in zip(ref["treated"], ref["matches"], strict=True):
        want = [m] if isinstance(m, str) else [c for c in (m or []) if c]
        assert sorted(got.get(t, [])) == sorted(want), t
    w_ref = pd.Series(ref["weights"], index=ref["order"]).reindex(lalonde.index)
    np.testing.assert_allclose(res.weights.to_numpy(), w_ref.to_numpy(), rtol=1e-12)
    assert res.estimate == pytest.approx(ref["att"], rel=RTOL)
    assert res.std_error == pytest.approx(ref["att_se"], rel=RTOL)
    assert res.n_comparison == ref["n_matched_controls"]


def test_balance_matches_matchit_summary(lalonde):
    ref = R["matching"]["nearest_logit"]
    res = causal.matching(lalonde, "treat", "re78", COVS)
    tab = res.balance.table.set_index("term")
    for when, key in (("before", "balance_before"), ("after", "balance_after")):
        b = pd.DataFrame(ref[key]).replace("NA", np.nan)
        b = b[b["term"] != "distance"]
        terms = [t.replace("race", "race[") + "]" if t.startswith("race") else t
                 for t in b["term"]]
        np.testing.assert_allclose(tab.loc[terms, f"smd_{when}"], b["smd"].astype(float),
                                   rtol=RTOL)
        np.testing.assert_allclose(tab.loc[terms, f"var_ratio_{when}"],
                                   b["var_ratio"].astype(float), rtol=RTOL)
        np.testing.assert_allclose(tab.loc[terms, f"ks_{when}"], b["ecdf_max"].astype(float),
                                   rtol=RTOL)


@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATO"])
def test_weighting_estimate_ess_and_mestimation_se(lalonde, estimand):
    ref = R["weighting"][estimand]
    res = causal.weighting(lalonde, "treat", "re78", COVS, estimand=estimand)
    assert res.estimate == pytest.approx(ref["estimate"], rel=RTOL)
    assert res.std_error == pytest.approx(ref["se_mestimation"], rel=RTOL)
    assert res.ess_treated == pytest.approx(ref["ess_treated"], rel=RTOL)
    assert res.ess_comparison == pytest.approx(ref["ess_control"], rel=RTOL)
    # the weights flow into group_difference: same difference, known-weights (HC0) SE
    df = lalonde.assign(w=res.weights)
    g = group_difference(df, "re78", "treat", reference=0, weights="w")
    row = g.to_frame().iloc[0]
    assert row["raw_difference"] == pytest.approx(ref["estimate"], rel=RTOL)
    se = (row["raw_ci_high"] - row["raw_ci_low"]) / (2 * 1.959963984540054)
    assert se == pytest.approx(ref["se_hc0_weights_known"], rel=RTOL)
    # estimating the weights makes the interval narrower here, as theory says it may
    assert res.std_error < ref["se_hc0_weights_known"]


def test_entropy_balancing_att(lalonde):
    res = causal.weighting(lalonde, "treat", "re78", COVS, method="entropy")
    assert res.estimate == pytest.approx(R["entropy"]["estimate"], rel=RTOL)
    assert res.balance.max_abs_smd < 1e-8


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_aipw(lalonde, estimand):
    ref = R["aipw"][estimand]
    res = causal.aipw(lalonde, "treat", "re78", COVS, estimand=estimand)
    assert res.estimate == pytest.approx(ref["estimate"], rel=RTOL)
    assert res.std_error == pytest.approx(ref["se"], rel=RTOL)


def test_published_evalue_vanderweele_ding_2017():
    r = causal.evalue(3.9, 1.8, 8.7)
    assert r.evalue == pytest.approx(7.26, abs=0.005)
    assert r.evalue_ci == pytest.approx(3.0, rel=1e-12)
    assert r.evalue == pytest.approx(R["sensitivity"]["evalue_rr"], rel=1e-12)
    # protective effects use the reciprocal and the upper limit
    p = causal.evalue(1 / 3.9, 1 / 8.7, 1 / 1.8)
    assert p.evalue == pytest.approx(r.evalue) and p.evalue_ci == pytest.approx(3.0)
    assert causal.evalue(1.3, 0.9, 1.8).evalue_ci == 1.0


def test_published_robustness_value_cinelli_hazlett_2020():
    r = causal.robustness_value(4.18, 783, alpha=0.05)
    assert round(r.rv, 3) == 0.139
    assert round(r.rv_alpha, 3) == 0.076
    assert r.rv == pytest.approx(R["sensitivity"]["rv_q1"], rel=1e-12)
    assert r.rv_alpha == pytest.approx(R["sensitivity"]["rv_q1_alpha05"], rel=1e-12)


def test_cluster_robust_ses(lalonde):
    """Clustering by years of education (a stand-in for a manager id)."""
    for est in ("ATT", "ATE"):
        w = causal.weighting(lalonde, "treat", "re78", COVS, estimand=est, cluster="educ")
        want = R["weighting"][est]["se_mestimation_cluster_educ"]
        assert w.std_error == pytest.approx(want, rel=RTOL)
        a = causal.aipw(lalonde, "treat", "re78", COVS, estimand=est, cluster="educ")
        assert a.std_error == pytest.approx(R["aipw"][f"{est}_se_cluster_educ"], rel=RTOL)
    m = causal.matching(lalonde, "treat", "re78", COVS, cluster="educ")
    assert m.std_error == pytest.approx(R["matching"]["nearest_logit"]["att_se_cluster_educ"],
                                        rel=RTOL)


def _pairs(res) -> dict[str, list[str]]:
    got: dict[str, list[str]] = {}
    for t, c in zip(res.pairs["treated"], res.pairs["comparison"], strict=True):
        got.setdefault(t, []).append(c)
    return got


@pytest.mark.parametrize("case,kw", [("replace_logit", {}), ("replace_ps", {"distance": "ps"})])
def test_matching_with_replacement_abadie_imbens_se_as_r_matching(lalonde, case, kw):
    ref = AI[case]
    res = causal.matching(lalonde, "treat", "re78", COVS, replace=True,
                          score_adjustment=False, **kw)
    got = _pairs(res)
    want = {t: sorted([m] if isinstance(m, str) else m)  # JSON unboxes single matches
            for t, m in zip(ref["treated"], ref["matches"], strict=True)}
    assert want == {
        t: sorted(c) for t, c in got.items()}
    assert res.estimate == pytest.approx(ref["att"], rel=RTOL)
    assert res.std_error == pytest.approx(ref["se_ai_varcalc1"], rel=RTOL)
    assert "Abadie-Imbens" in res.se_method
    sample = causal.matching(lalonde, "treat", "re78", COVS, replace=True, target="SAMPLE",
                             **kw)
    assert sample.estimate == res.estimate
    assert sample.std_error == pytest.approx(ref["se_ai_varcalc1_sample"], rel=RTOL)
    assert "sample ATT" in sample.se_method


def test_abadie_imbens_se_for_ratio_2_pairs_from_r(lalonde):
    """1:2 with replacement: the SE of R's matched pairs (reuse weights K and KK differ)."""
    from coachstats.causal.matching import abadie_imbens_se
    ref = AI["replace_ratio2_logit"]
    lp = causal.propensity(lalonde, "treat", COVS).linear_predictor.to_numpy()
    pos = {k: i for i, k in enumerate(lalonde.index)}
    t = lalonde["treat"].to_numpy()
    treated = [lalonde.index[i] for i in np.flatnonzero(t == 1)]
    sets = dict(zip(ref["treated"], ref["matches"], strict=True))
    mm = np.array([[pos[c] for c in sets[i]] for i in treated])
    y = lalonde["re78"].to_numpy(float)
    assert abadie_imbens_se(y, t, mm, lp) == pytest.approx(ref["se_ai_varcalc1"], rel=RTOL)
    assert abadie_imbens_se(y, t, mm, lp, target="sample") == pytest.approx(
        ref["se_ai_varcalc1_sample"], rel=RTOL)
