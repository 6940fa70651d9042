"""Recovery of the survival estimators on simulate.retention: bias and interval coverage
within Monte Carlo error of the nominal level (fast here; full size marked slow)."""

import math

import pytest

from coachstats.survival._recovery import CHECKS
from coachstats.validate import recovery
from coachstats.validate.checks import all_checks


def _assert_recovers(name, n_reps, rng, n_jobs=1, bias_slack=0.0):
    c = CHECKS[name]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=n_reps, rng=rng,
                 n_jobs=n_jobs).to_frame()
    for _, r in f.iterrows():
        assert r["n_failed"] == 0
        nominal = r["ci_level"]
        mcse = math.sqrt(nominal * (1 - nominal) / r["n_reps"])
        assert abs(r["coverage"] - nominal) <= 3 * mcse, (name, r["term"], r["coverage"])
        assert abs(r["bias"]) <= 3 * r["bias_mcse"] + bias_slack, (name, r["term"], r["bias"])
    return f


def test_survival_checks_are_registered():
    assert set(CHECKS) <= set(all_checks())


def test_cox_exit_hr_recovery_fast():
    # the population-averaged ratio is ~0.01 closer to 0 than the within-manager truth
    _assert_recovers("survival_cox_exit_clustered", 120, rng=11, bias_slack=0.02)


def test_cif_recovery_fast():
    _assert_recovers("survival_cif_24", 100, rng=12)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_survival_recovery_full(name):
    _assert_recovers(name, 2000, rng=2026, n_jobs=2, bias_slack=0.015)


# --- coaching during follow-up, no effect on exits: the immortal-time design ----------------

def test_time_varying_and_landmark_recover_null_effect_fast():
    _assert_recovers("survival_cox_exit_time_varying", 80, rng=21)
    _assert_recovers("survival_cox_exit_landmark", 80, rng=22)


def test_naive_baseline_model_is_biased_towards_benefit_fast():
    c = CHECKS["survival_cox_exit_naive_immortal"]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=40, rng=23).to_frame()
    r = f.iloc[0]
    # truth: log HR 0; the naive "ever coached" ratio is far below 1 and rarely covers 0
    assert r["bias"] < -0.5 and r["bias"] + 3 * r["bias_mcse"] < 0
    assert r["coverage"] < 0.2
