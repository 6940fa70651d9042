"""effects.multilevel_mediation (Bayesian 2-2-1 and 2-1-1 mediation) against R lme4 1.1-31
(lmer, REML = FALSE; tests/reference/mediation_multilevel.R), its generator, its recovery of
the generator's truth, and its input checks.

One compiled model per design is shared by every test (module-scoped fits).
"""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import coachstats as cs
from coachstats.effects import _recovery_claims as R
from coachstats.effects import mediation_multilevel as MM
from coachstats.validate import recovery

REF = Path(__file__).parent / "reference"
J = json.loads((REF / "mediation_multilevel.json").read_text())
ARGS = ("coached", "coaching_behaviour", "engagement")
KW = {"cluster": "manager", "covariates": ["experience"]}
#: the reference fits: 4 chains x 1000 draws (about half a second each once compiled)
REF_FIT = {"draws": 1000, "tune": 1000, "chains": 4, "rng": 1}
#: quick fits for input handling (too short for healthy diagnostics: warnings ignored)
SMALL = {"draws": 200, "tune": 200, "chains": 2}


def _data(design: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"mediation_multilevel_{design.replace('-', '')}.csv")


@pytest.fixture(scope="module")
def fits():
    out = {}
    for design in ("2-2-1", "2-1-1"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", cs.bayes.ConvergenceWarning)
            out[design] = cs.effects.multilevel_mediation(_data(design), *ARGS, **KW, **REF_FIT)
    return out


def _pairs(design: str) -> dict[str, dict[str, float]]:
    r = J["d" + design.replace("-", "")]
    a, b = r["a_path"]["coef"], r["b_path"]["coef"]
    between = "coaching_behaviour" if design == "2-2-1" else "m_between"
    out = {"a": a["coached"], "b": b[between], "direct": b["coached"],
           "mediator_model:intercept": a["(Intercept)"],
           "mediator_model:experience": a["experience"],
           "outcome_model:intercept": b["(Intercept)"],
           "outcome_model:experience": b["experience"]}
    if design == "2-1-1":
        out["b_within"] = b["m_within"]
    return out


@pytest.mark.parametrize("design", ["2-2-1", "2-1-1"])
def test_posterior_means_and_sds_match_lme4(fits, design):
    """Posterior means within 4 Monte Carlo SEs (sd / sqrt(ESS)) plus 10% of a standard error
    of lme4's ML estimates (the weak prior and averaging over the variance components move
    a posterior mean by a small fraction of an SE with 60 clusters); posterior SDs within 10%
    of lme4's SEs (which plug in the ML variance components, so they run slightly small)."""
    res = fits[design]
    assert res.design == design and res.n_clusters == 60
    assert res.n == J["d" + design.replace("-", "")]["n"]
    t = res.to_frame().set_index("term")
    for term, ref in _pairs(design).items():
        est, sd, ess = t.loc[term, ["estimate", "std_error", "ess_bulk"]]
        tol = 4 * sd / math.sqrt(ess) + 0.1 * ref["se"]
        assert abs(est - ref["est"]) <= tol, f"{design} {term}: {est:.4f} vs lme4 {ref['est']:.4f}"
        assert abs(sd / ref["se"] - 1) <= 0.10, f"{design} {term}: sd {sd:.4f}, se {ref['se']:.4f}"
    # residual SDs (precisely estimated from hundreds of employees) within 2% of ML
    vc = J["d" + design.replace("-", "")]["b_path"]["vc"]
    sd_median = t.loc["outcome_model:residual_sd", "median"]
    assert sd_median == pytest.approx(vc["residual_sd"], rel=0.02)
    # the indirect effect: posterior of the product, centred on the product of ML estimates
    ab = _pairs(design)["a"]["est"] * _pairs(design)["b"]["est"]
    sd, ess = t.loc["indirect", ["std_error", "ess_bulk"]]
    assert abs(t.loc["indirect", "estimate"] - ab) <= 4 * sd / math.sqrt(ess) + 0.1 * sd


@pytest.mark.parametrize("design", ["2-2-1", "2-1-1"])
def test_likelihood_is_lme4s(design):
    """The model's likelihood (random intercepts integrated out) at lme4's ML estimates equals
    lme4's logLik to 1e-9 (up to the constant 0.5 sum(log n_j) of using cluster means)."""
    d = _data(design)
    data = MM._model_data(d, *ARGS, "manager", ["experience"], design)
    model = MM._build(design, 3)(data)
    r = J["d" + design.replace("-", "")]
    c = r["b_path"]["coef"]
    between = "coaching_behaviour" if design == "2-2-1" else "m_between"
    point = model.initial_point()
    point["beta_b"] = np.array([c["(Intercept)"]["est"], c["coached"]["est"], c[between]["est"],
                                c["experience"]["est"]])
    point["sigma_y_log__"] = np.log(r["b_path"]["vc"]["residual_sd"])
    point["tau_y_log__"] = np.log(r["b_path"]["vc"]["cluster_sd"])
    const = 0.5 * np.sum(np.log(data["n_j"]))
    if design == "2-1-1":
        point["b_within"] = np.array(c["m_within"]["est"])
        ca = r["a_path"]["coef"]
        point["beta_a"] = np.array([ca["(Intercept)"]["est"], ca["coached"]["est"],
                                    ca["experience"]["est"]])
        point["sigma_m_log__"] = np.log(r["a_path"]["vc"]["residual_sd"])
        point["tau_m_log__"] = np.log(r["a_path"]["vc"]["cluster_sd"])
        la = model.compile_logp(vars=[model["mbar_obs"], model["m_within"]], jacobian=False)
        assert la(point) - const == pytest.approx(r["a_path"]["loglik"], rel=1e-9)
    lb = model.compile_logp(vars=[model["ybar_obs"], model["y_within"]], jacobian=False)
    assert lb(point) - const == pytest.approx(r["b_path"]["loglik"], rel=1e-9)


def test_effects_are_functions_of_the_same_draws(fits):
    for res in fits.values():
        a, b = res.posterior_draws("a"), res.posterior_draws("b")
        ind, tot = res.posterior_draws("indirect"), res.posterior_draws("total")
        np.testing.assert_allclose(ind, a * b)
        np.testing.assert_allclose(tot, res.posterior_draws("direct") + ind)
        t = res.to_frame().set_index("term")
        assert t.loc["indirect", "estimate"] == pytest.approx(ind.mean())
        assert t.loc["proportion_mediated", "estimate"] == pytest.approx(np.median(ind / tot))
        assert res.prob_positive == pytest.approx(np.mean(ind > 0))
        assert res.diagnostics.ok and res.diagnostics.chains == 4
        assert (t["ci_level"] == 0.95).all() and (t["ci_kind"] == "equal-tailed").all()


def test_result_says_what_it_assumes(fits):
    r2 = fits["2-1-1"]
    assert "b_within" in r2.to_frame()["term"].tolist()
    assert "b_within" not in fits["2-2-1"].to_frame()["term"].tolist()
    assert any("between-cluster slope" in n for n in r2.notes)
    assert any("Sequential ignorability" in a for a in r2.assumptions())
    assert any("not available for the 2-1-1" in x for x in r2.limitations())
    assert any("sensitivity()" in x for x in fits["2-2-1"].limitations())
    assert any("Luedtke" in x for x in r2.limitations())
    assert r2.central == "posterior mean"
    assert r2.cautions == ()
    assert "indirect" in r2.summary()


@pytest.mark.filterwarnings("ignore::coachstats.bayes.ConvergenceWarning")
def test_sensitivity_at_the_cluster_level(fits):
    res = fits["2-2-1"]
    sens = res.sensitivity([-0.3, 0.0, 0.3])
    c = sens.curve
    assert c.loc[1, "indirect"] == pytest.approx(res.indirect, rel=1e-12)
    assert c.loc[1, "prob_positive"] == pytest.approx(res.prob_positive)
    assert c["indirect"].is_monotonic_decreasing  # a > 0 here: a positive rho explains it away
    # rho_zero is the posterior mean of b s1 / s3, each draw's root of the curve
    b, s1, tau = res.draws["b"], res.sd_draws["sigma_m"], res.sd_draws["tau_y"]
    assert sens.rho_zero == pytest.approx(np.mean(b * s1 / np.sqrt(b**2 * s1**2 + tau**2)))
    f = sens.to_frame()
    assert f["term"].iloc[-1] == "rho_zero" and (f["ci_low"] <= f["estimate"]).all()
    with pytest.raises(ValueError, match="2-2-1 design only"):
        fits["2-1-1"].sensitivity()
    with pytest.raises(ValueError, match="strictly between"):
        res.sensitivity([1.0])


@pytest.mark.filterwarnings("ignore::coachstats.bayes.ConvergenceWarning")
def test_same_seed_same_numbers_and_input_untouched():
    d = _data("2-1-1")
    before = d.copy()
    f1 = cs.effects.multilevel_mediation(d, *ARGS, **KW, **SMALL, rng=4).to_frame()
    f2 = cs.effects.multilevel_mediation(d, *ARGS, **KW, **SMALL, rng=4).to_frame()
    pd.testing.assert_frame_equal(f1, f2)
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.filterwarnings("ignore::coachstats.bayes.ConvergenceWarning")
def test_missing_values_and_design_choice():
    d = _data("2-2-1")
    d.loc[[3, 10], "engagement"] = np.nan
    with pytest.raises(ValueError, match="engagement"):
        cs.effects.multilevel_mediation(d, *ARGS, **KW, **SMALL)
    res = cs.effects.multilevel_mediation(d, *ARGS, **KW, **SMALL, rng=1, dropna=True,
                                          design="2-2-1")
    assert res.n_dropped == 2 and res.n == len(d) - 2 and res.design == "2-2-1"
    with pytest.raises(ValueError, match="design='2-1-1' needs"):
        cs.effects.multilevel_mediation(d, *ARGS, **KW, design="2-1-1", dropna=True)
    with pytest.raises(ValueError, match="design='2-2-1' needs"):
        cs.effects.multilevel_mediation(_data("2-1-1"), *ARGS, **KW, design="2-2-1")


def test_bad_input_names_the_column_and_the_fix():
    d = _data("2-1-1")
    bad = d.copy()
    bad.loc[0, "coached"] = 1 - bad.loc[0, "coached"]
    with pytest.raises(ValueError, match="'coached' varies within cluster"):
        cs.effects.multilevel_mediation(bad, *ARGS, **KW)
    with pytest.raises(ValueError, match="design="):
        cs.effects.multilevel_mediation(d, *ARGS, **KW, design="3-3-1")
    with pytest.raises(ValueError, match="draws"):
        cs.effects.multilevel_mediation(d, *ARGS, **KW, draws=0)
    few = d[d["manager"].isin(d["manager"].unique()[:5])]
    with pytest.raises(ValueError, match="at least 7 clusters"):
        cs.effects.multilevel_mediation(few, *ARGS, **KW)
    one_each = d.drop_duplicates("manager")
    with pytest.raises(ValueError, match="more rows than clusters"):
        cs.effects.multilevel_mediation(one_each, *ARGS, **KW)
    with pytest.raises(ValueError, match=r"'nope' \(argument mediator=\) not found"):
        cs.effects.multilevel_mediation(d, "coached", "nope", "engagement", **KW)


def test_generator_truth_and_designs():
    s1 = cs.simulate.leader_mediation(40, team_size=5, design="2-1-1", rng=9)
    s2 = cs.simulate.leader_mediation(40, team_size=5, design="2-1-1", rng=9)
    pd.testing.assert_frame_equal(s1.data, s2.data)
    t = s1.truth
    assert (t.design, t.a, t.b, t.b_within, t.indirect, t.total) == (
        "2-1-1", 0.5, 0.3, 0.1, pytest.approx(0.15), pytest.approx(0.2))
    assert s1.data.groupby("manager")["coaching_behaviour"].nunique().min() == 5
    assert s1.data.groupby("manager")["coached"].nunique().max() == 1
    s3 = cs.simulate.leader_mediation(40, team_size=5, rng=9)
    assert s3.data.groupby("manager")["coaching_behaviour"].nunique().max() == 1
    assert math.isnan(s3.truth.b_within)
    with pytest.raises(ValueError, match="design"):
        cs.simulate.leader_mediation(40, design="1-1-1")


def _coverage_ok(res, k=3.0):
    """Coverage within k MCSEs (plus one replicate's worth, for small runs); bias within k
    MCSEs of zero, where the bias MCSE is estimated from the replicates themselves."""
    f = res.to_frame()
    assert (f["n_failed"] == 0).all()
    for row in f.itertuples():
        mcse = math.sqrt(row.ci_level * (1 - row.ci_level) / row.n_reps)
        assert abs(row.coverage - row.ci_level) <= k * mcse + 1 / row.n_reps, row
        assert abs(row.bias) <= k * row.bias_mcse + 1e-9, row
    return f


def test_recovery_fast():
    """Eight seeds of the 2-1-1 check. The full checks (effects.multilevel_mediation_221,
    _211 and _sensitivity, 200 replicates each) run with the slow set in
    tests/test_mediation.py::test_mediation_recovery_full, like every mediation check.
    The bias MCSE is estimated from 8 values, so the bias bound uses Student's t with 7 df
    (0.25% in each tail, k = 4.03) instead of 3."""
    c = R.CHECKS["effects.multilevel_mediation_211"]
    res = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=8, rng=3)
    _coverage_ok(res, k=float(stats.t.ppf(0.9975, 7)))
