"""The recovery harness reports nominal coverage for a correct interval and not for a wrong one."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from coachstats.simulate import SimulatedData
from coachstats.validate import recovery

N = 15


def gen(rng):
    return SimulatedData(pd.DataFrame({"y": rng.lognormal(0, 0.5, N)}), None, {"n": N})


TRUE_MEAN = float(np.exp(0.5**2 / 2))


def t_interval(df):
    y = df["y"].to_numpy()
    m, se = y.mean(), y.std(ddof=1) / np.sqrt(len(y))
    q = stats.t.ppf(0.975, len(y) - 1)
    return pd.DataFrame(
        {
            "term": ["mean"],
            "estimate": [m],
            "std_error": [se],
            "ci_low": [m - q * se],
            "ci_high": [m + q * se],
            "ci_level": [0.95],
        }
    )


def wrong_interval(df):
    # half the correct width: should cover about 68%, not 95%
    out = t_interval(df)
    half = (out["ci_high"] - out["ci_low"]) / 4
    out["ci_low"], out["ci_high"] = out["estimate"] - half, out["estimate"] + half
    return out


def test_textbook_t_interval_covers_near_nominal():
    res = recovery(t_interval, gen, truth={"mean": TRUE_MEAN}, n_reps=1000, rng=2024)
    row = res.to_frame().iloc[0]
    # lognormal skew costs the t interval a little coverage at n=15; within 3 MCSE of ~0.94
    assert abs(row["coverage"] - 0.95) < 3 * row["coverage_mcse"] + 0.015
    assert abs(row["bias"]) < 3 * row["bias_mcse"]
    assert row["n_failed"] == 0


def test_wrong_interval_is_caught():
    res = recovery(wrong_interval, gen, truth={"mean": TRUE_MEAN}, n_reps=400, rng=7)
    row = res.to_frame().iloc[0]
    assert row["coverage"] < 0.8
    assert row["coverage"] + 3 * row["coverage_mcse"] < 0.95


def test_same_seed_same_result_and_parallel_equal():
    a = recovery(t_interval, gen, truth={"mean": TRUE_MEAN}, n_reps=40, rng=3)
    b = recovery(t_interval, gen, truth={"mean": TRUE_MEAN}, n_reps=40, rng=3, n_jobs=2)
    pd.testing.assert_frame_equal(a.replicates, b.replicates)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as ex:
        c = recovery(t_interval, gen, truth={"mean": TRUE_MEAN}, n_reps=40, rng=3, executor=ex)
    pd.testing.assert_frame_equal(a.replicates, c.replicates)


def test_failed_fits_are_counted_not_hidden():
    def flaky(df):
        if df["y"].iloc[0] > 1.2:
            raise ValueError("boom")
        return t_interval(df)

    res = recovery(flaky, gen, truth={"mean": TRUE_MEAN}, n_reps=60, rng=5)
    row = res.to_frame().iloc[0]
    assert 0 < row["n_failed"] < 60
    assert res.replicates["error"].str.contains("boom").sum() == row["n_failed"]


def test_unknown_truth_term_raises():
    with pytest.raises(KeyError, match="'median'"):
        recovery(t_interval, gen, truth={"median": 1.0}, n_reps=2, rng=1)


def test_every_estimator_family_registers_recovery_checks():
    from coachstats.validate.checks import FAMILIES, all_checks

    checks = all_checks()
    for family in FAMILIES:
        mod = __import__(family, fromlist=["CHECKS"])
        assert mod.CHECKS, f"{family} registers no recovery check"
    assert len(checks) >= len(FAMILIES)
    for name, c in checks.items():
        assert callable(c.estimate_fn) and callable(c.generate_fn), name
        assert c.description, f"{name} has no description"


def test_validate_command_runs_a_registered_check(capsys):
    from coachstats.cli import main

    assert main(["validate", "meta_reml_knha", "--reps", "3", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "coverage" in out and "meta_reml_knha" in out
