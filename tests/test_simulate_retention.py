"""The retention generator: reproducible, realistic, and drawn from the truth it reports."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.simulate.careers import retention, true_cif


def test_same_seed_same_data_and_defaults_are_realistic():
    a, b = retention(rng=11), retention(rng=11)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.truth == b.truth
    assert not a.data.equals(retention(rng=12).data)
    d = a.data
    assert d.shape == (1000, 5)
    assert list(d.columns) == ["employee", "manager", "coached", "months", "event"]
    assert d["manager"].nunique() == 150
    assert set(d["event"]) == {"exit", "promotion", "censored"}
    assert d["months"].between(0.1, 36).all()
    # administrative censoring only: every censored employee was followed 24-36 months
    assert d.loc[d["event"] == "censored", "months"].min() >= 24
    assert 0.1 < (d["event"] == "exit").mean() < 0.3
    # reachable through the lazy public name too, more than once
    assert cs.simulate.retention(rng=11).data.equals(d)
    assert cs.simulate.retention(rng=11).data.equals(d)


def test_rng_generator_advances():
    g = np.random.default_rng(5)
    assert not retention(rng=g).data.equals(retention(rng=g).data)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"hr_exit": 0}, "hr_exit"),
        ({"hr_promotion": -1.0}, "hr_promotion"),
        ({"frailty_var": -0.1}, "frailty_var"),
        ({"coached_share": 1.0}, "coached_share"),
        ({"n_managers": 0}, "n_managers"),
        ({"n_employees": 10, "n_managers": 20}, "n_employees"),
        ({"accrual": 40.0}, "accrual"),
        ({"exit_scale": float("nan")}, "exit_scale"),
        ({"follow_up": 0}, "follow_up"),
        ({"horizons": [12, -1]}, "horizons"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        retention(rng=0, **kwargs)


def test_true_cif_closed_form_without_frailty():
    # no frailty, exponential exit (shape 1) and promotion (shape 1): CIF has a closed form
    kw = dict(hr_exit=1.0, hr_promotion=1.0, exit_shape=1.0, exit_scale=50.0,
              promotion_shape=1.0, promotion_scale=25.0, frailty_var=0.0)
    le, lp = 1 / 50, 1 / 25
    t = 24.0
    expect = le / (le + lp) * (1 - np.exp(-(le + lp) * t))
    assert true_cif("exit", 0, t, **kw) == pytest.approx(expect, rel=1e-9)


def test_large_sample_recovers_truth():
    sim = retention(n_employees=40_000, n_managers=4_000, rng=2024)
    t = sim.truth
    d = sim.data
    for cause, truth in (("exit", t.log_hr_exit), ("promotion", t.log_hr_promotion)):
        f = cs.survival.cox(d.assign(ev=(d["event"] == cause).astype(int)), "months", "ev",
                            ["coached"], cluster="manager").to_frame()
        est, se = f["estimate"].item(), f["std_error"].item()
        assert abs(est - truth) < 4 * se, (cause, est, truth, se)
    cr = cs.survival.competing_risks(d, "months", "event", censor="censored",
                                     group="coached", cluster="manager", times=[12, 24])
    f = cr.to_frame()
    for _, r in f.iterrows():
        truth = t.cif_at(r["event"], int(r["group"]), r["time"])
        assert abs(r["estimate"] - truth) < 4 * r["std_error"], (r["term"], r["estimate"], truth)


def test_manager_frailty_has_the_stated_variance():
    # 200 employees per manager, no coaching effect, exponential exit hazard: each manager's
    # exit rate relative to the overall rate is Z_m plus Poisson noise of variance ~1/events
    sim = retention(n_employees=40_000, n_managers=200, hr_exit=1.0, rng=3)
    d = sim.data.assign(e=lambda x: x["event"] == "exit")
    g = d.groupby("manager").agg(ev=("e", "sum"), exposure=("months", "sum"))
    rel = (g["ev"] / g["exposure"]) / (g["ev"].sum() / g["exposure"].sum())
    theta_hat = rel.var(ddof=1) - np.mean(rel / g["ev"])
    assert abs(theta_hat - sim.truth.frailty_var) < 0.12
    # and without frailty the same statistic is near zero
    d0 = retention(n_employees=40_000, n_managers=200, hr_exit=1.0, frailty_var=0.0, rng=3).data
    d0 = d0.assign(e=lambda x: x["event"] == "exit")
    g0 = d0.groupby("manager").agg(ev=("e", "sum"), exposure=("months", "sum"))
    rel0 = (g0["ev"] / g0["exposure"]) / (g0["ev"].sum() / g0["exposure"].sum())
    assert abs(rel0.var(ddof=1) - np.mean(rel0 / g0["ev"])) < 0.06
