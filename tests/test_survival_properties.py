"""Property-based checks of the survival estimators over random small datasets."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachstats.survival import competing_risks, cox, kaplan_meier

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def survival_data(draw, min_n=8, max_n=60, causes=1):
    n = draw(st.integers(min_n, max_n))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = np.round(rng.exponential(1.0, n) * np.exp(-0.5 * x), draw(st.sampled_from([0, 1, 3])))
    t = np.maximum(t, 0.0)
    code = rng.integers(0, causes + 1, n)
    code[0] = 1  # at least one event
    return pd.DataFrame({"t": t, "e": code, "x": x, "g": rng.integers(0, 2, n)})


@SETTINGS
@given(survival_data(), st.sampled_from(["log", "log-log", "plain"]))
def test_km_is_a_monotone_probability_inside_its_band(d, ci):
    km = kaplan_meier(d, "t", "e", ci=ci)
    s = km.steps
    assert s["survival"].between(0, 1).all()
    assert (np.diff(s["survival"]) <= 1e-15).all()
    assert (np.diff(s["n_risk"]) <= 0).all()
    band = s.dropna(subset=["ci_low", "ci_high"])
    assert (band["ci_low"] <= band["survival"] + 1e-12).all()
    assert (band["ci_high"] >= band["survival"] - 1e-12).all()
    assert band["ci_low"].between(0, 1).all() and band["ci_high"].between(0, 1).all()
    m = km.medians.iloc[0]
    if not np.isnan(m["median"]):
        assert np.isnan(m["ci_low"]) or m["ci_low"] <= m["median"]
        assert np.isnan(m["ci_high"]) or m["ci_high"] >= m["median"]


@SETTINGS
@given(survival_data(min_n=25), st.floats(0.2, 5.0))
def test_cox_depends_on_time_only_through_its_order(d, power):
    # the partial likelihood uses only the ordering of times (ties kept), so a strictly
    # increasing transformation of time changes nothing; scaling x rescales beta
    if d["x"].std() == 0:
        return
    a = cox(d, "t", "e", ["x"], robust=True).to_frame()
    b = cox(d.assign(t=d["t"] ** power + 1), "t", "e", ["x"], robust=True).to_frame()
    if not (np.isfinite(a["estimate"]).all() and abs(a["estimate"].item()) < 10):
        return
    np.testing.assert_allclose(b["estimate"], a["estimate"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b["std_error"], a["std_error"], rtol=1e-8)
    c = cox(d.assign(x=3 * d["x"]), "t", "e", ["x"]).to_frame()
    np.testing.assert_allclose(3 * c["estimate"], a["estimate"], rtol=1e-7, atol=1e-10)


@SETTINGS
@given(survival_data(causes=2))
def test_cumulative_incidence_adds_up_to_one_with_event_free_survival(d):
    cr = competing_risks(d, "t", "e", events=[1, 2])
    wide = cr.steps.pivot(index="time", columns="event", values="cif")
    assert (wide.diff().fillna(0) >= -1e-15).all().all()
    km = kaplan_meier(d.assign(any=(d["e"] > 0).astype(int)), "t", "any")
    np.testing.assert_allclose(wide.sum(axis=1).to_numpy() + km.steps["survival"].to_numpy(),
                               1.0, atol=1e-12)
    assert (cr.steps["std_error"] >= 0).all()
