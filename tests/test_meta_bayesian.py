"""Bayesian random-effects meta-analysis (real sampling, small draws)."""

import warnings

import numpy as np
import pytest

import coachstats as cs
from coachstats.bayes import ConvergenceWarning


@pytest.fixture(scope="module")
def fitted():
    sim = cs.simulate.meta_correlations(k=60, rho=0.39, tau=0.10, rng=21)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = cs.meta.bayesian(sim.data, draws=400, tune=400, chains=2, rng=5)
        b = cs.meta.bayesian(sim.data, draws=400, tune=400, chains=2, rng=5)
    return sim, a, b


def test_posterior_agrees_with_reml_and_is_reproducible(fitted):
    sim, a, b = fitted
    reml = cs.meta.correlations(sim.data)
    t = a.to_frame().set_index("term")
    assert list(t.index) == ["mu", "tau", "r", "r_new"]
    # with k = 60 the posterior mean of mu is within a fraction of an SE of REML's estimate
    assert abs(t.loc["mu", "estimate"] - reml.estimate) < 0.5 * reml.std_error
    assert t.loc["mu", "ci_low"] < reml.estimate < t.loc["mu", "ci_high"]
    assert t.loc["tau", "ci_low"] < np.sqrt(reml.tau2) < t.loc["tau", "ci_high"]
    # a new study's correlation is far less certain than the mean
    assert t.loc["r_new", "ci_high"] - t.loc["r_new", "ci_low"] > 2 * (
        t.loc["r", "ci_high"] - t.loc["r", "ci_low"]
    )
    np.testing.assert_array_equal(a.r_new_draws, b.r_new_draws)
    assert t.loc["mu", "rhat"] < 1.05


def test_diagnostics_and_helpers(fitted):
    _, a, _ = fitted
    d = a.diagnostics
    assert d.chains == 2 and d.draws == 400 and d.n_divergent >= 0
    assert 0.9 < a.prob_above(0.2) <= 1.0
    assert a.prob_above(0.39, "r_new") < a.prob_above(0.2, "r_new")
    assert "half-normal" in a.summary()
    assert a.plot() is not None


def test_bad_priors_raise():
    sim = cs.simulate.meta_correlations(k=10, rng=1)
    with pytest.raises(ValueError, match="prior_tau"):
        cs.meta.bayesian(sim.data, prior_tau="uniform")
    with pytest.raises(ValueError, match="tau_scale"):
        cs.meta.bayesian(sim.data, tau_scale=0)


def test_observed_predictive_for_a_new_study_is_wider():
    sim = cs.simulate.meta_correlations(k=30, rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = cs.meta.bayesian(sim.data, draws=300, tune=300, chains=2, n_new=50, rng=3)
    t = res.to_frame().set_index("term")
    width = t["ci_high"] - t["ci_low"]
    assert width["r_new_observed"] > width["r_new"] > width["r"]
    with pytest.raises(ValueError, match="n_new"):
        cs.meta.bayesian(sim.data, n_new=3)


@pytest.mark.slow
def test_half_cauchy_prior_gives_similar_answer_with_many_studies():
    sim = cs.simulate.meta_correlations(k=110, rng=4)
    hn = cs.meta.bayesian(sim.data, draws=1000, tune=1000, chains=2, rng=1)
    hc = cs.meta.bayesian(sim.data, prior_tau="half_cauchy", tau_scale=0.2, draws=1000,
                          tune=1000, chains=2, rng=1)
    a, b = hn.to_frame().set_index("term"), hc.to_frame().set_index("term")
    assert abs(a.loc["mu", "estimate"] - b.loc["mu", "estimate"]) < 0.01
    assert abs(a.loc["tau", "estimate"] - b.loc["tau", "estimate"]) < 0.01
    assert hc.diagnostics.n_divergent == 0
