"""The compiled-model helper: compile once, refit on data of another length, exact answers."""

import numpy as np
import pytest

from coachstats.bayes.compiled import CompiledModel


def _build(d):
    import pymc as pm

    with pm.Model() as m:
        y = pm.Data("y", d["y"])
        mu = pm.Normal("mu", 0, 100)
        pm.Normal("obs", mu, 1.0, observed=y)
    return m


@pytest.fixture(scope="module")
def cm():
    return CompiledModel(_build, {"y": np.zeros(3)})


def test_refit_matches_conjugate_posterior(cm):
    for n, true_mu in ((40, 2.0), (250, -1.0)):
        y = np.random.default_rng(n).normal(true_mu, 1.0, n)
        idata = cm.fit({"y": y}, draws=1000, tune=300, chains=2, rng=1)
        mu = idata["posterior"]["mu"].values.reshape(-1)
        # conjugate: posterior mean ~ ybar (prior sd 100), sd 1/sqrt(n)
        assert mu.mean() == pytest.approx(y.mean(), abs=4 / np.sqrt(n) / np.sqrt(300))
        assert mu.std() == pytest.approx(1 / np.sqrt(n), rel=0.15)
    assert cm.n_fits == 2


def test_same_seed_same_draws(cm):
    y = np.arange(5.0)
    a = cm.fit({"y": y}, draws=100, tune=100, chains=2, rng=3)
    b = cm.fit({"y": y}, draws=100, tune=100, chains=2, rng=3)
    np.testing.assert_array_equal(a["posterior"]["mu"].values, b["posterior"]["mu"].values)


def test_bad_data(cm):
    with pytest.raises(ValueError, match="missing"):
        cm.fit({"z": np.zeros(3)}, draws=10, tune=10, chains=1)
    with pytest.raises(ValueError, match="dimension"):
        cm.fit({"y": np.zeros((3, 2))}, draws=10, tune=10, chains=1)


def test_build_must_name_containers():
    with pytest.raises(ValueError, match=r"pymc\.Data containers named"):
        CompiledModel(_build, {"y": np.zeros(3), "x": np.zeros(3)})
