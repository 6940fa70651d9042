"""Disk-cached nutpie callbacks: the same numbers as nutpie's own compilation, loaded from disk.

The point of the module is speed at start-up, which is measured in benchmarks/bench_roi.py;
these tests check what speed must not cost: identical log densities, gradients and draws,
data swapping, and that a second process really loads the callbacks instead of compiling.
"""

import ctypes
import json
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from coachstats.bayes._disk_cached import compile_model

LOGP_PROTO = ctypes.CFUNCTYPE(
    ctypes.c_int64, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
    ctypes.c_void_p,
)


def _data(n, seed):
    g = np.random.default_rng(seed)
    return {
        "n_trials": np.array(3 * n, dtype=np.int64),
        "n_success": np.array(n, dtype=np.int64),
        "y": g.normal(1.0, 2.0, n),
        "X": g.normal(size=(n, 2)),
    }


def _build(d):
    import pymc as pm

    with pm.Model() as m:
        n_trials = pm.Data("n_trials", d["n_trials"])
        n_success = pm.Data("n_success", d["n_success"])
        y = pm.Data("y", d["y"])
        X = pm.Data("X", d["X"])
        p = pm.Beta("p", 2, 2)
        beta = pm.Normal("beta", 0, 1, shape=2)
        sigma = pm.HalfNormal("sigma", 2)
        pm.Deterministic("odds", p / (1 - p))
        pm.Binomial("k", n=n_trials, p=p, observed=n_success)
        pm.Normal("obs", X @ beta, sigma, observed=y)
    return m


@pytest.fixture(scope="module")
def pair():
    import nutpie

    m = _build(_data(40, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_model(m), nutpie.compile_pymc_model(m), m


def _logp_grad(compiled, x):
    fn = LOGP_PROTO(compiled.compiled_logp_func.address)
    grad = np.zeros_like(x)
    logp = np.zeros(1)
    code = fn(len(x), x.ctypes.data, grad.ctypes.data, logp.ctypes.data,
              compiled.user_data.ctypes.data)
    return code, logp[0], grad


def test_is_the_disk_cached_model(pair):
    ours, _, _ = pair
    assert type(ours).__name__ == "DiskCachedPyMCModel"


def test_logp_and_gradient_equal_nutpie_and_pymc(pair):
    ours, theirs, model = pair
    logp_pymc = model.compile_logp()
    names = [v.name for v in model.value_vars]
    sizes = [int(np.prod(ours.shapes[n])) for n in names]
    for seed in range(5):
        x = np.random.default_rng(seed).normal(size=ours.n_dim)
        code, lp, grad = _logp_grad(ours, x)
        code0, lp0, grad0 = _logp_grad(theirs, x)
        assert code == code0 == 0
        assert lp == lp0
        np.testing.assert_array_equal(grad, grad0)
        point = dict(zip(names, np.split(x, np.cumsum(sizes)[:-1]), strict=True))
        point = {k: (v[0] if ours.shapes[k] == () else v) for k, v in point.items()}
        assert lp == pytest.approx(float(logp_pymc(point)), rel=1e-12)
    code, _, _ = _logp_grad(ours, np.zeros(ours.n_dim + 1))
    assert code == -1


def _draws(compiled, seed):
    import nutpie

    idata = nutpie.sample(compiled, draws=200, tune=200, chains=2, seed=seed,
                          progress_bar=False)
    post = idata["posterior"]
    return {v: post[v].values for v in post.data_vars}


def test_same_draws_as_nutpie_before_and_after_with_data(pair):
    ours, theirs, _ = pair
    a, b = _draws(ours, 7), _draws(theirs, 7)
    assert sorted(a) == sorted(b) == ["beta", "odds", "p", "sigma"]
    for v in a:
        np.testing.assert_array_equal(a[v], b[v])
    new = _data(95, 2)  # other lengths, other values
    a, b = _draws(ours.with_data(**new), 8), _draws(theirs.with_data(**new), 8)
    for v in a:
        np.testing.assert_array_equal(a[v], b[v])
    # the posterior moved with the data: p is near 1/3 of 95 of 285
    assert a["p"].mean() == pytest.approx((95 + 2) / (285 + 4), abs=0.02)


def test_with_data_copies_and_checks(pair):
    ours, _, _ = pair
    y = np.zeros(10)
    swapped = ours.with_data(y=y, X=np.zeros((10, 2)))
    y[:] = 1.0  # the caller's array is not shared with the sampler
    key = {v.name: k for v, k in swapped.shared_var_keys.items()}["y"]
    assert not np.any(swapped.shared_data[key])
    assert swapped.shared_data[key].ctypes.data in swapped.user_data  # what the sampler reads
    assert swapped.shared_data[key].ctypes.data not in ours.user_data
    with pytest.raises(KeyError, match="Unknown shared variable"):
        ours.with_data(z=np.zeros(3))
    with pytest.raises(ValueError, match="rank 1"):
        ours.with_data(y=np.zeros((3, 3)))


CHILD = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_bayes_disk_cached import _build, _data
    from coachstats.bayes._disk_cached import compile_model
    cm = compile_model(_build(_data(12, 3)))
    print(json.dumps([cm.compiled_logp_func.cache_hits, cm.compiled_expand_func.cache_hits]))
    """
)


def test_a_new_process_loads_the_callbacks_from_disk():
    import pathlib

    code = CHILD.format(tests=str(pathlib.Path(__file__).parent))
    hits = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        hits.append(json.loads(out.stdout.strip().splitlines()[-1]))
    # the first process may find them cached by an earlier run; the second always does
    assert hits[1] == [1, 1], hits
