"""Recovery: the effect-size estimators find the generators' truth with nominal coverage.

Fast versions run in the default suite; the full-size versions (``-m slow``) use each
check's default number of replicates. Tolerances are k Monte Carlo standard errors.
"""

import math

import pytest

from coachstats.effects._recovery import CHECKS
from coachstats.validate import recovery


def _check(name, n_reps, seed, k=3.0):
    c = CHECKS[name]
    res = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=n_reps, rng=seed)
    f = res.to_frame()
    assert (f["n_failed"] == 0).all()
    for row in f.itertuples():
        mcse = math.sqrt(row.ci_level * (1 - row.ci_level) / row.n_reps)
        assert abs(row.coverage - row.ci_level) <= k * mcse, (
            f"{name} {row.term}: coverage {row.coverage:.3f} vs {row.ci_level} "
            f"(MCSE {mcse:.3f})")
        assert abs(row.bias) <= k * row.bias_mcse, (
            f"{name} {row.term}: bias {row.bias:.4f} (MCSE {row.bias_mcse:.4f})")
    return f


def test_paired_d_recovery_fast():
    f = _check("effects.repeated_measures_d", 300, 2024)
    assert set(f["term"]) == {"g_z", "g_av", "g_rm"}


def test_ppc_d_recovery_fast():
    _check("effects.ppc_d", 300, 7)


def test_rater_change_360_recovery_fast():
    f = _check("effects.rater_change_360", 30, 360)
    assert len(f) == 6


def test_hires_gap_recovery_fast():
    _check("effects.group_difference_hires", 40, 2009)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_effects_recovery_full(name):
    _check(name, CHECKS[name].default_reps, 11)
