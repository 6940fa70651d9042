"""The PyMC adapter samples for real, summarises with named intervals and flags poor health."""

import numpy as np
import pytest

from coachstats.bayes import ConvergenceWarning, diagnose, posterior_table, sample


def _model(y):
    import pymc as pm

    with pm.Model() as m:
        mu = pm.Normal("mu", 0, 10)
        sigma = pm.HalfNormal("sigma", 5)
        pm.Normal("y", mu, sigma, observed=y)
    return m


def test_normal_mean_posterior_matches_conjugate_and_is_healthy():
    y = np.random.default_rng(0).normal(2.0, 1.0, 200)
    idata = sample(_model(y), draws=500, tune=500, chains=2, rng=1)
    tab = posterior_table(idata, ["mu"], ci_level=0.9).set_index("term")
    se = y.std(ddof=1) / np.sqrt(len(y))
    assert tab.loc["mu", "estimate"] == pytest.approx(y.mean(), abs=0.25 * se)
    assert tab.loc["mu", "std_error"] == pytest.approx(se, rel=0.15)
    assert tab.loc["mu", "ci_level"] == 0.9 and tab.loc["mu", "ci_kind"] == "equal-tailed"
    d = diagnose(idata, ["mu", "sigma"], ess_min=200)
    assert d.ok, d.problems
    assert d.chains == 2 and d.draws == 500


def test_same_seed_same_draws():
    y = np.random.default_rng(1).normal(size=30)
    a = sample(_model(y), draws=100, tune=100, chains=2, rng=5)
    b = sample(_model(y), draws=100, tune=100, chains=2, rng=5)
    np.testing.assert_array_equal(a["posterior"]["mu"].values, b["posterior"]["mu"].values)


def test_progress_bar_counts_every_draw_and_leaves_the_draws_alone(capsys):
    import io

    from rich.console import Console

    from coachstats._progress import Progress

    y = np.random.default_rng(1).normal(size=30)
    buf = io.StringIO()
    shown = Progress(True, console=Console(file=buf, force_terminal=True, width=120))
    a = sample(_model(y), draws=100, tune=100, chains=2, rng=5, progress=shown)
    b = sample(_model(y), draws=100, tune=100, chains=2, rng=5)
    assert "MCMC sampling" in buf.getvalue() and "400/400" in buf.getvalue()
    np.testing.assert_array_equal(a["posterior"]["mu"].values, b["posterior"]["mu"].values)
    assert capsys.readouterr().err == ""  # nothing drawn by default


def test_short_chains_warn():
    y = np.random.default_rng(2).normal(size=30)
    idata = sample(_model(y), draws=30, tune=30, chains=2, rng=3)
    with pytest.warns(ConvergenceWarning, match="ESS"):
        d = diagnose(idata, ["mu", "sigma"])
    assert not d.ok
    assert not d.to_frame()["ok"].all()


def test_sample_returns_the_groups_pm_sample_gives():
    import pymc as pm

    y = np.random.default_rng(3).normal(size=25)
    with pm.Model() as m:
        x = pm.Data("x", np.arange(25.0))
        b = pm.Normal("b", 0, 1)
        pm.Normal("y", b * x, 1.0, observed=y)
    idata = sample(m, draws=50, tune=50, chains=1, rng=2)
    np.testing.assert_array_equal(idata["observed_data"]["y"].values, y)
    np.testing.assert_array_equal(idata["constant_data"]["x"].values, np.arange(25.0))
    assert {"diverging", "n_steps"} <= set(idata["sample_stats"].data_vars)
    assert idata["posterior"]["b"].shape == (1, 50)
