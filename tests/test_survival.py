"""Unit tests of coachstats.survival: hand-checked values, options, privacy and clear errors."""

import inspect

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.survival import competing_risks, cox, kaplan_meier, turnover_cost


@pytest.fixture
def small():
    # hand example: S = 5/6 at 2, 5/6*3/4 at 4 (one censored at 3), then 5/8*2/3 at 6
    return pd.DataFrame({"t": [2, 3, 4, 6, 6, 9], "e": [1, 0, 1, 1, 0, 0]})


@pytest.fixture(scope="module")
def sim():
    return cs.simulate.retention(rng=42)


@pytest.fixture(scope="module")
def exits(sim):
    d = sim.data
    return d.assign(exit=(d["event"] == "exit").astype(int))


# --- Kaplan-Meier ---------------------------------------------------------------------------

def test_km_hand_values_and_greenwood(small):
    km = kaplan_meier(small, "t", "e", min_group_size=3)
    s = km.steps.set_index("time")
    assert s.loc[2, "survival"] == pytest.approx(5 / 6)
    assert s.loc[4, "survival"] == pytest.approx(5 / 8)
    assert s.loc[6, "survival"] == pytest.approx(5 / 12)
    gw = 1 / (6 * 5) + 1 / (4 * 3) + 1 / (3 * 2)
    assert s.loc[6, "std_error"] == pytest.approx(5 / 12 * np.sqrt(gw))
    assert list(s["n_risk"]) == [6, 5, 4, 3]  # the step with 1 at risk is withheld
    # default interval is R's "log": exp(log S +/- z se), capped at 1
    z = 1.959963984540054
    assert s.loc[6, "ci_low"] == pytest.approx(5 / 12 * np.exp(-z * np.sqrt(gw)))
    assert km.ci == "log" and "R survfit's default is 'log'" in km.notes[0]
    # median: first time S <= 0.5 is 6
    assert km.medians["median"].item() == 6


def test_km_log_log_band_stays_inside_unit_interval(exits):
    km = kaplan_meier(exits, "months", "exit", group="coached", ci="log-log")
    b = km.steps[["ci_low", "ci_high"]].dropna()
    assert (b["ci_low"] > 0).all() and (b["ci_high"] < 1).all()
    log = kaplan_meier(exits, "months", "exit", group="coached")
    assert not np.allclose(b["ci_low"], log.steps.loc[b.index, "ci_low"])


def test_km_groups_times_and_frame(exits):
    km = kaplan_meier(exits, "months", "exit", group="coached", times=[12, 24])
    f = km.to_frame()
    assert list(f.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                   "ci_level"]
    assert "S(12) (coached=1)" in set(f["term"]) and "median (coached=0)" in set(f["term"])
    s12 = f.set_index("term").loc["S(12) (coached=0)", "estimate"]
    st = km.steps[(km.steps["group"] == 0) & (km.steps["time"] <= 12)]
    assert s12 == pytest.approx(st["survival"].iloc[-1])
    tab = km.at_risk([0, 12, 24])
    assert tab.loc[0, 0] == (exits["coached"] == 0).sum()
    assert km.summary().startswith("Kaplan-Meier survival by coached")
    assert "<table" in km._repr_html_()


def test_km_privacy_threshold_hides_small_risk_sets(exits):
    full = kaplan_meier(exits, "months", "exit", group="coached", min_group_size=3)
    assert full.steps["n_risk"].min() < 5
    km = kaplan_meier(exits, "months", "exit", group="coached", min_group_size=5, times=[35.9])
    assert km.steps["n_risk"].min() >= 5
    assert km.at_times["survival"].isna().all()  # at 35.9 months fewer than 5 are at risk
    assert np.isnan(km.at_risk([35.9]).to_numpy()).all()
    assert any("privacy" in n for n in km.notes)
    ax = km.plot(at_risk_times=[0, 12, 24, 36])
    xmax = max(line.get_xdata().max() for line in ax.get_lines())
    assert xmax <= km.steps["time"].max()
    assert "employee" not in km.steps.columns


def test_km_does_not_modify_input(exits):
    before = exits.copy()
    kaplan_meier(exits, "months", "exit", group="coached")
    pd.testing.assert_frame_equal(exits, before)


def test_km_errors_are_clear(small):
    bad = small.assign(t=[2, -3, 4, 6, 6, 9])
    with pytest.raises(ValueError, match=r"'t'.*\[0, inf\].*row\(s\).*1.*negative"):
        kaplan_meier(bad, "t", "e")
    with pytest.raises(ValueError, match=r"'e'.*1 and censoring as 0.*2.*competing_risks"):
        kaplan_meier(small.assign(e=[1, 2, 0, 1, 0, 0]), "t", "e")
    with pytest.raises(ValueError, match="ci='logit' is not supported"):
        kaplan_meier(small, "t", "e", ci="logit")
    with pytest.raises(ValueError, match=r"Did you mean 0\.95"):
        kaplan_meier(small, "t", "e", ci_level=95)
    with pytest.raises(ValueError, match="min_group_size must be at least 3"):
        kaplan_meier(small, "t", "e", min_group_size=2)
    with pytest.warns(FutureWarning, match="min_at_risk= is now called min_group_size="):
        old = kaplan_meier(small, "t", "e", min_at_risk=5)
    assert old.min_at_risk == 5
    assert "min_at_risk" not in inspect.signature(kaplan_meier).parameters
    with pytest.raises(TypeError, match="got both min_at_risk="):
        kaplan_meier(small, "t", "e", min_at_risk=5, min_group_size=5)
    with pytest.raises(ValueError, match=r"'tt'.*not found"):
        kaplan_meier(small, "tt", "e")
    gap = small.assign(t=[2, np.nan, 4, 6, 6, 9])
    with pytest.raises(ValueError, match="missing"):
        kaplan_meier(gap, "t", "e")
    assert kaplan_meier(gap, "t", "e", dropna=True).missing.n_dropped == 1
    assert kaplan_meier(small.assign(e=small["e"].astype(bool)), "t", "e").n_events == 3


# --- Cox ------------------------------------------------------------------------------------

def test_cox_result_shape_and_immutability(exits):
    before = exits.copy()
    fit = cox(exits, "months", "exit", ["coached"], cluster="manager")
    pd.testing.assert_frame_equal(exits, before)
    f = fit.to_frame()
    assert f["hazard_ratio"].item() == pytest.approx(np.exp(f["estimate"].item()))
    assert f["std_error"].item() != f["naive_std_error"].item()
    assert fit.n_clusters == 150 and fit.converged
    chi, df, p = fit.lr_test
    assert chi > 0 and df == 1 and 0 < p < 1
    assert any("cluster-robust" in n for n in fit.notes)
    assert fit.assumptions() and fit.limitations()
    fit.plot()


def test_cox_each_subject_its_own_cluster_equals_robust(exits):
    a = cox(exits.assign(uid=np.arange(len(exits))), "months", "exit", ["coached"],
            cluster="uid").to_frame()
    b = cox(exits, "months", "exit", ["coached"], robust=True).to_frame()
    assert a["std_error"].item() == pytest.approx(b["std_error"].item(), rel=1e-12)


def test_cox_single_stratum_equals_unstratified(exits):
    a = cox(exits.assign(s=1), "months", "exit", ["coached"], strata="s").to_frame()
    b = cox(exits, "months", "exit", ["coached"]).to_frame()
    assert a["estimate"].item() == pytest.approx(b["estimate"].item(), rel=1e-10)


def test_cox_efron_and_breslow_agree_without_ties():
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    d = pd.DataFrame({"t": rng.exponential(1 / np.exp(0.5 * x)), "e": 1, "x": x})
    a = cox(d, "t", "e", ["x"]).to_frame()["estimate"].item()
    b = cox(d, "t", "e", ["x"], ties="breslow").to_frame()["estimate"].item()
    assert a == pytest.approx(b, rel=1e-12)
    assert a == pytest.approx(0.5, abs=0.2)


def test_ph_check_flags_a_hazard_ratio_that_changes_over_time():
    rng = np.random.default_rng(7)
    n = 1500
    g = rng.integers(0, 2, n)
    # group 1: hazard 3x higher during the first year, then 3x lower
    t0 = rng.exponential(1.0, n) / np.where(g == 1, 3.0, 1.0)
    late = rng.exponential(1.0, n) / np.where(g == 1, 1 / 3, 1.0)
    t = np.where(t0 < 1, t0, 1 + late)
    d = pd.DataFrame({"t": np.minimum(t, 4), "e": (t < 4).astype(int), "g": g})
    res = cox(d, "t", "e", ["g"]).check_ph()
    row = res.to_frame().set_index("term").loc["g"]
    assert row["p_value"] < 1e-6 and row["rho"] < 0
    assert "weakens" in row["advice"] or "strengthens" in row["advice"]
    assert res.violations == ["g"]
    res.plot()


def test_ph_check_quiet_when_hazards_are_proportional(exits):
    res = cox(exits, "months", "exit", ["coached"]).check_ph(alpha=0.01)
    assert res.to_frame()["advice"].str.startswith("no").all()
    assert set(res.to_frame()["term"]) == {"coached", "GLOBAL"}
    assert res.binned["n_events"].min() >= 2  # aggregates only


def test_cox_errors_are_clear(exits):
    with pytest.raises(ValueError, match="ties='exact' is not supported"):
        cox(exits, "months", "exit", ["coached"], ties="exact")
    with pytest.raises(ValueError, match=r"'event'.*'promotion'.*competing_risks"):
        cox(exits, "months", "event", ["coached"])
    with pytest.raises(ValueError, match="never vary"):
        cox(exits.assign(k=1.0), "months", "exit", ["coached", "k"])
    with pytest.raises(ValueError, match="collinear"):
        cox(exits.assign(c2=2 * exits["coached"]), "months", "exit", ["coached", "c2"])
    with pytest.raises(ValueError, match="no events"):
        cox(exits.assign(exit=0), "months", "exit", ["coached"])
    with pytest.raises(ValueError, match="at least one"):
        cox(exits, "months", "exit", [])
    with pytest.raises(ValueError, match=r"'months'.*negative"):
        cox(exits.assign(months=-exits["months"]), "months", "exit", ["coached"])


def test_cox_dummy_codes_text_covariates(exits):
    d = exits.assign(level=np.where(exits["employee"] % 3 == 0, "senior", "junior"))
    f = cox(d, "months", "exit", ["coached", "level"]).to_frame()
    assert list(f["term"]) == ["coached", "level[senior]"]


# --- competing risks ------------------------------------------------------------------------

def test_cif_plus_event_free_is_one_and_single_cause_is_one_minus_km(sim, exits):
    d = sim.data
    cr = competing_risks(d, "months", "event", censor="censored")
    km_any = kaplan_meier(d.assign(any=(d["event"] != "censored").astype(int)), "months", "any")
    wide = cr.steps.pivot(index="time", columns="event", values="cif")
    total = wide.sum(axis=1).to_numpy() + km_any.steps["survival"].to_numpy()
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    one = competing_risks(exits, "months", "exit", events=[1])
    km = kaplan_meier(exits, "months", "exit")
    np.testing.assert_allclose(one.steps["cif"], 1 - km.steps["survival"], atol=1e-12)


def test_cif_frame_terms_and_event_of_interest(sim):
    cr = competing_risks(sim.data, "months", "event", "exit", censor="censored",
                         group="coached", times=[12, 24], min_group_size=5)
    f = cr.to_frame()
    assert set(f["term"]) == {f"exit by {t} (coached={g})" for t in (12, 24) for g in (0, 1)}
    assert (cr.steps["n_risk"] >= 5).all()
    assert f["ci_low"].lt(f["estimate"]).all() and f["ci_high"].gt(f["estimate"]).all()
    cr.plot()
    assert cr.assumptions()


def test_cif_clustered_se_differs_from_unclustered(sim):
    a = competing_risks(sim.data, "months", "event", censor="censored", times=[24])
    b = competing_risks(sim.data, "months", "event", censor="censored", times=[24],
                        cluster="manager")
    assert not np.allclose(a.to_frame()["std_error"], b.to_frame()["std_error"])
    np.testing.assert_allclose(a.to_frame()["estimate"], b.to_frame()["estimate"])


def test_competing_risks_errors_are_clear(sim):
    d = sim.data
    with pytest.raises(ValueError, match=r"code\(s\) 'promotion' that are not declared"):
        competing_risks(d, "months", "event", censor="censored", events=["exit"])
    with pytest.raises(ValueError, match=r"censor=0 does not occur.*'censored'"):
        competing_risks(d, "months", "event")
    with pytest.raises(ValueError, match="event_of_interest='quit'"):
        competing_risks(d, "months", "event", "quit", censor="censored")
    with pytest.raises(ValueError, match="also appears in events"):
        competing_risks(d, "months", "event", censor="exit", events=["exit", "promotion"])
    with pytest.raises(ValueError, match="only the censoring code"):
        competing_risks(d.assign(event="censored"), "months", "event", censor="censored")
    with pytest.raises(ValueError, match="negative"):
        competing_risks(d.assign(months=-1.0), "months", "event", censor="censored")


# --- turnover cost --------------------------------------------------------------------------

def test_turnover_cost_by_hand():
    res = turnover_cost({"hazard_ratio": 0.7, "ci_low": 0.5, "ci_high": 0.98}, salary=90_000,
                        replacement_cost_share=0.5, n_employees=200, baseline_risk=0.30,
                        program_cost=500_000)
    f = res.to_frame().set_index("term")
    p1 = 1 - 0.7**0.7
    assert f.loc["risk_with", "estimate"] == pytest.approx(p1)
    assert f.loc["exits_avoided", "estimate"] == pytest.approx(200 * (0.3 - p1))
    assert f.loc["cost_avoided", "estimate"] == pytest.approx(200 * (0.3 - p1) * 45_000)
    lo = 200 * (0.3 - (1 - 0.7**0.98)) * 45_000
    hi = 200 * (0.3 - (1 - 0.7**0.5)) * 45_000
    assert f.loc["cost_avoided", "ci_low"] == pytest.approx(lo)
    assert f.loc["cost_avoided", "ci_high"] == pytest.approx(hi)
    assert f.loc["net_benefit", "estimate"] == pytest.approx(f.loc["cost_avoided", "estimate"]
                                                              - 500_000)
    assert any("Proportional hazards" in a for a in res.assumptions())
    res.plot()


def test_turnover_cost_from_cox_uses_baseline(exits):
    fit = cox(exits, "months", "exit", ["coached"], cluster="manager")
    res = turnover_cost(fit, salary=80_000, replacement_cost_share=1.0, n_employees=100,
                        horizon=24)
    f = res.to_frame().set_index("term")
    b = fit.baseline
    h24 = b.loc[b["time"] <= 24, "cumhaz"].iloc[-1]
    assert f.loc["risk_without", "estimate"] == pytest.approx(1 - np.exp(-h24))
    hr = fit.to_frame()["hazard_ratio"].item()
    assert res.hazard_ratio == pytest.approx(hr)


def test_turnover_cost_errors():
    hr = {"hazard_ratio": 0.7, "ci_low": 0.5, "ci_high": 0.98}
    with pytest.raises(ValueError, match="salary must be positive"):
        turnover_cost(hr, salary=-1, replacement_cost_share=0.5, n_employees=10,
                      baseline_risk=0.2)
    with pytest.raises(ValueError, match="replacement_cost_share"):
        turnover_cost(hr, salary=1, replacement_cost_share=0, n_employees=10, baseline_risk=0.2)
    with pytest.raises(ValueError, match=r"baseline_risk must lie in \(0, 1\)"):
        turnover_cost(hr, salary=1, replacement_cost_share=1, n_employees=10, baseline_risk=1.2)
    with pytest.raises(ValueError, match="horizon="):
        turnover_cost(hr, salary=1, replacement_cost_share=1, n_employees=10)
    with pytest.raises(ValueError, match="missing"):
        turnover_cost({"hazard_ratio": 0.7}, salary=1, replacement_cost_share=1,
                      n_employees=10, baseline_risk=0.2)
    with pytest.raises(TypeError, match="CoxResult"):
        turnover_cost(0.7, salary=1, replacement_cost_share=1, n_employees=10,
                      baseline_risk=0.2)
    with pytest.raises(ValueError, match="ci_low <= hazard_ratio"):
        turnover_cost({"hazard_ratio": 0.7, "ci_low": 0.8, "ci_high": 0.9}, salary=1,
                      replacement_cost_share=1, n_employees=10, baseline_risk=0.2)


def test_import_survival_does_not_load_heavy_modules():
    import subprocess
    import sys

    code = (
        "import sys, coachstats as cs; cs.survival; cs.simulate.retention(rng=0);"
        "bad=[m for m in ('pymc','pytensor','arviz','matplotlib') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_km_curve_that_reaches_zero_matches_r():
    # R 4.2.2, survival 3.5.3:
    #   f <- survfit(Surv(c(1,2,2,3,4), c(1,1,0,1,1)) ~ 1)       # conf.type = "log"
    #   f$std.err -> 0.2236068 0.3651484 0.7958224 Inf; f$lower -> 0.51612576 0.29331643
    #   0.06305448 NA; quantile(f, .5) -> 3 [2, NA]
    #   survfit(..., conf.type = "log-log")$lower -> 0.20380926 0.12573018 0.01230153 NA
    from coachstats.survival._common import prob_interval
    from coachstats.survival._km import km_steps, median_with_ci

    d = pd.DataFrame({"t": [1, 2, 2, 3, 4], "e": [1, 1, 0, 1, 1]})
    # five people: below the privacy threshold, so the estimator core is checked directly
    with pytest.raises(ValueError, match="fewer than min_group_size=6"):
        kaplan_meier(d, "t", "e", min_group_size=6)

    def steps(ci):
        st = km_steps(d["t"].to_numpy(float), d["e"].to_numpy(float))
        st["std_error"] = st["survival"] * st["se_log"]
        st["ci_low"], st["ci_high"] = prob_interval(st["survival"], st["se_log"],
                                                    1.959963984540054, ci)
        return st

    s = steps("log")
    np.testing.assert_allclose(s["std_error"] / s["survival"],
                               [0.2236068, 0.3651484, 0.7958224, np.nan], rtol=1e-6)
    assert np.isnan(s["std_error"].iloc[-1])  # 0 x Inf, as R's summary() shows
    np.testing.assert_allclose(s["ci_low"], [0.51612576, 0.29331643, 0.06305448, np.nan],
                               rtol=1e-6)
    assert s["ci_high"].iloc[:3].eq(1).all() and np.isnan(s["ci_high"].iloc[3])
    m = median_with_ci(s)
    assert m[0] == 3 and m[1] == 2 and np.isnan(m[2])
    ll = steps("log-log")
    np.testing.assert_allclose(ll["ci_low"], [0.20380926, 0.12573018, 0.01230153, np.nan],
                               rtol=1e-6)


def test_event_of_interest_gives_the_cause_specific_analysis(sim, exits):
    a = cox(sim.data, "months", "event", ["coached"], event_of_interest="exit",
            cluster="manager").to_frame()
    b = cox(exits, "months", "exit", ["coached"], cluster="manager").to_frame()
    pd.testing.assert_frame_equal(a, b)
    k1 = kaplan_meier(sim.data, "months", "event", event_of_interest="exit").steps
    k2 = kaplan_meier(exits, "months", "exit").steps
    pd.testing.assert_frame_equal(k1, k2)
    with pytest.raises(ValueError, match=r"event_of_interest='exti' does not occur.*'exit'"):
        kaplan_meier(sim.data, "months", "event", event_of_interest="exti")
