"""Simulation-based power: agreement with the closed forms within Monte Carlo error, type I
error at effect 0, the smallest detectable effect, and identical tables however run.

Tolerances: simulated power within 3 Monte Carlo SE (sqrt(p(1-p)/n_reps), Morris, White &
Crowther 2019) of the closed form; the closed forms are exact for these designs (the t-test
on manager means with equal team sizes is the cra2 test; the staggered DiD with one pre wave
is the DiD of McKenzie 2012 with normal quantiles).
"""

import math

import numpy as np
import pandas as pd
import pytest

from coachstats import power
from coachstats.power import scenarios as sc


def _within(sim, exact, n, k=3.0):
    se = math.sqrt(exact * (1 - exact) / n)
    return abs(sim - exact) <= k * se


def test_cra2_simulated_power_and_type_one_error_match_closed_form():
    n_reps = 300
    res = power.simulate(sc.cluster_trial, sc.cluster_means_test,
                         grid={"effect": [0.0, 0.5]}, fixed=dict(J=20, n=5, icc=.2),
                         n_reps=n_reps, rng=11)
    f = res.to_frame()
    exact = power.power_at("cra2", .5, J=20, n=5, icc=.2).power
    assert _within(f["power"].iloc[1], exact, n_reps), (f["power"].iloc[1], exact)
    assert _within(f["power"].iloc[0], .05, n_reps), f["power"].iloc[0]
    assert f["power_mcse"].iloc[1] == pytest.approx(
        math.sqrt(f["power"].iloc[1] * (1 - f["power"].iloc[1]) / n_reps))
    assert (f["n_failed"] == 0).all() and (f["n_reps"] == n_reps).all()
    assert set(res.replicates["test"]) == {"p_value"}


def test_did_simulated_power_matches_serial_correlation_formula():
    n_reps = 100
    res = power.simulate(sc.wave_panel, sc.staggered_att, grid={"effect": [0.0, 0.3]},
                         fixed=dict(J=100, pre=1, post=3, rho=.5), n_reps=n_reps, rng=5)
    f = res.to_frame()
    exact = power.power_at("did", .3, J=100, pre=1, post=3, rho=.5, correlation="ar1")
    assert _within(f["power"].iloc[1], exact.power, n_reps), (f["power"].iloc[1], exact.power)
    assert _within(f["power"].iloc[0], .05, n_reps)
    # the spread of the estimates is the closed form's standard error
    assert f["sd_estimate"].iloc[1] == pytest.approx(exact.sse, rel=0.2)


@pytest.mark.slow
def test_type_one_error_full():
    n_reps = 4000
    res = power.simulate(sc.cluster_trial, sc.cluster_means_test, grid={"effect": [0.0, .4]},
                         fixed=dict(J=30, n=8, icc=.15), n_reps=n_reps, rng=2)
    f = res.to_frame()
    assert _within(f["power"].iloc[0], .05, n_reps)
    assert _within(f["power"].iloc[1], power.power_at("cra2", .4, J=30, n=8, icc=.15).power,
                   n_reps)


def test_smallest_effect_and_plot():
    res = power.simulate(sc.cluster_trial, sc.cluster_means_test,
                         grid={"J": [20, 40], "effect": [0.2, 0.6, 1.0]},
                         fixed=dict(n=6, icc=.1), n_reps=40, rng=3)
    s = res.smallest_effect(0.8)
    assert list(s["J"]) == [20, 40]
    assert (s["lower"] <= s["smallest_effect"]).all() or s["lower"].isna().any()
    assert s["smallest_effect"].iloc[1] <= s["smallest_effect"].iloc[0]
    # the interpolated value sits between its bracketing grid points
    for _, r in s.iterrows():
        assert r["reached"]
        assert r["upper"] >= r["smallest_effect"]
    closed = power.mdes("cra2", J=40, n=6, icc=.1).mdes
    assert abs(s["smallest_effect"].iloc[1] - closed) < 0.3
    ax = res.plot()
    assert ax.get_xlabel() == "effect" and len(ax.get_legend().get_texts()) == 2
    assert res.to_frame()["term"].iloc[0] == "J=20, effect=0.2"
    never = res.smallest_effect(0.999)
    assert not never["reached"].all()


def test_same_table_whatever_the_chunking_and_process_count():
    kw = dict(grid={"effect": [0.0, 0.4]}, fixed=dict(J=12, n=4, icc=.1), n_reps=20, rng=9)
    a = power.simulate(sc.cluster_trial, sc.cluster_means_test, **kw)
    b = power.simulate(sc.cluster_trial, sc.cluster_means_test, chunk_size=3, **kw)
    pd.testing.assert_frame_equal(a.replicates, b.replicates)
    # common random numbers: replicate r draws the same data in every design
    r = a.replicates
    d0 = r.loc[r["design"] == 0, "estimate"].to_numpy()
    d1 = r.loc[r["design"] == 1, "estimate"].to_numpy()
    assert np.corrcoef(d0, d1)[0, 1] > 0.99


def test_failures_are_counted_and_bad_grids_refused():
    def gen(n, effect, rng):
        return pd.DataFrame({"y": rng.normal(effect, 1, n)})

    def est(df):
        if len(df) < 3:
            raise ValueError("too few")
        m, s = df["y"].mean(), df["y"].std(ddof=1) / math.sqrt(len(df))
        return pd.DataFrame({"term": ["m"], "estimate": [m], "std_error": [s],
                             "ci_low": [m - 1.96 * s], "ci_high": [m + 1.96 * s],
                             "ci_level": [0.95]})

    res = power.simulate(gen, est, grid={"n": [2, 30], "effect": [0.5]}, n_reps=10, rng=1)
    f = res.to_frame()
    assert f["n_failed"].tolist() == [10, 0]
    assert [c.code for c in res.cautions] == ["fits_failed"]
    assert set(res.replicates.loc[res.replicates["error"] == "", "test"]) == {"interval"}
    with pytest.raises(ValueError, match=r"level 0\.95 but alpha=0\.1"):
        power.simulate(gen, est, grid={"n": [30], "effect": [0.5]}, n_reps=2, alpha=.1, rng=1)
    with pytest.raises(TypeError, match="grid"):
        power.simulate(gen, est, grid={}, n_reps=5)
    with pytest.raises(ValueError, match="also grid columns"):
        power.simulate(gen, est, grid={"n": [5]}, fixed={"n": 3, "effect": 0}, n_reps=5)
    with pytest.raises(ValueError, match="n_reps"):
        power.simulate(gen, est, grid={"n": [5]}, n_reps=1)
