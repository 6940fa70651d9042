"""Recovery of scale reliability: bias, RMSE and Feldt-interval coverage over simulated item
sets with a known population alpha and omega (simulate.raw_exports.scale_items).

Full run (1,000 replicates each, seed 7; `coachstats validate prepare.scale_parallel
prepare.scale_congeneric --reps 1000 --seed 7`):
parallel n = 150: alpha bias -0.0022 (MCSE 0.0011), RMSE 0.034, coverage 0.954 (MCSE 0.007);
omega bias 0.0005 (MCSE 0.0011), RMSE 0.034. Congeneric n = 300: alpha bias -0.0005 (MCSE
0.0007), coverage 0.947 (MCSE 0.007); omega bias 0.0005 (MCSE 0.0006), RMSE 0.019.
"""

from __future__ import annotations

import math

import pytest

from coachstats.prepare._recovery import CHECKS
from coachstats.validate import recovery


def _check(name: str, n_reps: int, seed: int, k: float = 3.0):
    c = CHECKS[name]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=n_reps, rng=seed).to_frame()
    assert (f["n_failed"] == 0).all()
    for row in f.itertuples():
        assert abs(row.bias) <= k * row.bias_mcse, (name, row.term, row.bias)
        if not math.isnan(row.coverage):
            mcse = math.sqrt(row.ci_level * (1 - row.ci_level) / row.n_reps)
            assert abs(row.coverage - row.ci_level) <= k * mcse, (name, row.coverage)
    return f


def test_scale_recovery_fast():
    f = _check("prepare.scale_parallel", 30, 11)
    assert set(f["term"]) == {"alpha", "omega_total"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_scale_recovery_full(name):
    _check(name, CHECKS[name].default_reps, 7)
