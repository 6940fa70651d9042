"""DiD API: shapes, options, invariances and clear errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.did import aggregate_panel, cohort_from_treatment, staggered

COLS = dict(outcome="engagement", unit="team", time="quarter", cohort="coached_from")


@pytest.fixture(scope="module")
def sim():
    return cs.simulate.engagement_panel(n_managers=60, rng=7)


@pytest.fixture(scope="module")
def teams(sim):
    return aggregate_panel(sim.data, "engagement", "team", "quarter",
                           keep=["manager", "coached_from"])


@pytest.fixture(scope="module")
def fit(teams):
    return staggered(teams, **COLS, cluster="manager", n_boot=299, rng=3)


def _toy(n_units=40, periods=5, cohorts=(3, 4), rng=0):
    r = np.random.default_rng(rng)
    g = np.array([0, *cohorts])[np.arange(n_units) % (len(cohorts) + 1)]
    rows = [(i, t, g[i], r.normal() + 0.5 * (g[i] > 0 and t >= g[i]))
            for i in range(n_units) for t in range(1, periods + 1)]
    return pd.DataFrame(rows, columns=["id", "t", "g", "y"])


def test_import_does_not_load_heavy_libraries():
    code = ("import sys, coachstats, coachstats.did; cs = coachstats;"
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('pymc', 'pytensor', 'arviz', 'matplotlib')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_bayesian_is_exposed_lazily():
    assert "bayesian" in dir(cs.did)
    assert callable(cs.did.bayesian)
    with pytest.raises(AttributeError):
        cs.did.no_such_function  # noqa: B018


def test_aggregate_panel_counts_and_means(sim, teams):
    d = sim.data
    assert len(teams) == d.groupby(["team", "quarter"]).ngroups
    assert teams["n"].sum() == len(d)
    one = d[(d["team"] == 0) & (d["quarter"] == 1)]["engagement"]
    row = teams[(teams["team"] == 0) & (teams["quarter"] == 1)].iloc[0]
    assert row["engagement"] == pytest.approx(one.mean())
    assert row["n"] == len(one)
    with pytest.raises(ValueError, match="varies within team"):
        aggregate_panel(d, "engagement", "team", "quarter", keep=["employee"])


def test_individual_rows_need_aggregate_and_give_same_answer(sim, fit):
    with pytest.raises(ValueError, match=r"duplicated.*aggregate=True"):
        staggered(sim.data, **COLS, n_boot=0)
    r = staggered(sim.data, **COLS, cluster="manager", aggregate=True, n_boot=299, rng=3)
    assert r.att == pytest.approx(fit.att, rel=1e-12)
    assert r.std_error == pytest.approx(fit.std_error, rel=1e-12)
    assert any("averaged to unit-period means" in n for n in r.notes)
    assert not any("averaged" in n for n in fit.notes)


def test_input_not_modified_and_result_shapes(teams, fit):
    before = teams.copy()
    staggered(teams, **COLS, n_boot=0)
    pd.testing.assert_frame_equal(teams, before)
    gt = fit.group_time
    assert list(gt.columns[:8]) == ["cohort", "time", "event_time", "estimate", "std_error",
                                    "ci_low", "ci_high", "ci_level"]
    assert {"std_error_boot", "ci_low_uniform", "ci_high_uniform"} <= set(gt.columns)
    # 4 cohorts x 7 non-base periods
    assert len(gt) == 4 * 7
    f = fit.to_frame()
    assert f["term"].iloc[0] == "att"
    assert list(f.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                   "ci_level"]
    assert "Callaway" in fit.summary()
    assert "<table" in fit._repr_html_()
    assert fit.assumptions() and fit.limitations()


@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregations(fit, kind):
    a = fit.aggregate(kind)
    f = a.to_frame()
    assert f["term"].iloc[0] in {"att", "att_group", "att_dynamic", "att_calendar"}
    assert np.isfinite(a.estimate) and a.std_error > 0
    assert a.ci_low < a.estimate < a.ci_high
    if kind != "simple":
        rows = f.iloc[1:]
        assert (rows["band"] == "uniform").all()
        # uniform band contains the pointwise interval
        assert (rows["ci_low"] <= rows["ci_low_pointwise"] + 1e-12).all()
        assert a.crit_uniform > 1.96
    with pytest.raises(ValueError, match="kind"):
        fit.aggregate("weekly")


def test_dynamic_overall_is_mean_of_post_event_times(fit):
    f = fit.aggregate("dynamic").to_frame().set_index("term")
    post = [t for t in f.index if t.startswith("event_time[") and int(t[11:-1]) >= 0]
    assert f.loc["att_dynamic", "estimate"] == pytest.approx(f.loc[post, "estimate"].mean())


def test_same_rng_same_bands_and_seed_only_affects_bootstrap(teams):
    a = staggered(teams, **COLS, cluster="manager", n_boot=199, rng=5)
    b = staggered(teams, **COLS, cluster="manager", n_boot=199, rng=5)
    c = staggered(teams, **COLS, cluster="manager", n_boot=199, rng=6)
    pd.testing.assert_frame_equal(a.group_time, b.group_time)
    assert a.att == c.att
    assert not np.allclose(a.group_time["ci_low_uniform"], c.group_time["ci_low_uniform"])


def test_clustering_changes_se_and_analytic_se_matches_manual(teams):
    unit = staggered(teams, **COLS, n_boot=0)
    clus = staggered(teams, **COLS, cluster="manager", n_boot=0)
    assert unit.att == clus.att
    assert unit.std_error != clus.std_error
    # one 2x2 cell by hand: ATT(3, 3) vs never, base period 2
    w = teams.pivot(index="team", columns="quarter", values="engagement")
    g = teams.groupby("team")["coached_from"].first()
    dy = w[3] - w[2]
    tr, co = dy[g == 3], dy[g == 0]
    cell = unit.group_time.set_index(["cohort", "time"]).loc[(3, 3)]
    assert cell["estimate"] == pytest.approx(tr.mean() - co.mean(), rel=1e-12)
    n = len(g)
    inf = np.r_[(tr - tr.mean()) * n / len(tr), -(co - co.mean()) * n / len(co)]
    assert cell["std_error"] == pytest.approx(np.sqrt(np.sum(inf**2)) / n, rel=1e-10)


def test_not_yet_treated_controls_and_universal_base(teams):
    ny = staggered(teams, **COLS, control="not_yet", n_boot=0)
    nv = staggered(teams, **COLS, control="never", n_boot=0)
    a = ny.group_time.set_index(["cohort", "time"])
    b = nv.group_time.set_index(["cohort", "time"])
    assert (a["n_control"] >= b["n_control"]).all()
    assert (a.loc[(3, 3), "n_control"] > b.loc[(3, 3), "n_control"])
    # last period: everybody is treated, only never-treated remain
    assert a.loc[(3, 8), "n_control"] == b.loc[(3, 8), "n_control"]
    uni = staggered(teams, **COLS, base_period="universal", n_boot=0)
    u = uni.group_time
    assert (u["base_period"] == u["cohort"] - 1).all()
    assert uni.att == pytest.approx(nv.att, rel=1e-12)  # post cells are identical


def test_anticipation_moves_base_period(teams):
    r = staggered(teams, **COLS, anticipation=1, n_boot=0)
    post = r.group_time[r.group_time["post"]]
    assert (post["base_period"] == post["cohort"] - 2).all()


def test_unbalanced_panel_uses_units_observed_in_both_periods(teams):
    drop = teams.sample(frac=0.05, random_state=1)
    r = staggered(teams.drop(drop.index), **COLS, n_boot=0)
    full = staggered(teams, **COLS, n_boot=0)
    assert not r.balanced and full.balanced
    assert (r.group_time["n_treated"] <= full.group_time["n_treated"]).all()
    assert any("Unbalanced" in n for n in r.notes)
    assert abs(r.att - full.att) < 3 * full.std_error


def test_covariates_recover_effect_under_conditional_parallel_trends():
    # trends depend on x, and treated units have higher x: unconditional DiD is biased,
    # reg / ipw / dr with x are not
    r = np.random.default_rng(3)
    n, T = 3000, 4
    x = r.normal(size=n)
    treat = r.random(n) < 1 / (1 + np.exp(-x))
    g = np.where(treat, 3, 0)
    t = np.arange(1, T + 1)
    y = (r.normal(size=(n, 1)) + 0.5 * x[:, None] * t[None, :]
         + 1.0 * ((g[:, None] > 0) & (t[None, :] >= 3)) + r.normal(0, 0.5, (n, T)))
    df = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(t, n),
                       "g": np.repeat(g, T), "x": np.repeat(x, T), "y": y.ravel()})
    naive = staggered(df, "y", "id", "t", "g", n_boot=0)
    assert naive.att - 1.0 > 5 * naive.std_error
    for m in ("reg", "ipw", "dr"):
        res = staggered(df, "y", "id", "t", "g", covariates=["x"], method=m, n_boot=0)
        assert abs(res.att - 1.0) < 3 * res.std_error, m


def test_pretrend_test_detects_violation():
    df = _toy(n_units=600, periods=6, cohorts=(5,), rng=1)
    ok = staggered(df, "y", "id", "t", "g", n_boot=0).pretrend_test()
    bad_df = df.assign(y=df["y"] + 0.3 * df["t"] * (df["g"] > 0))
    bad = staggered(bad_df, "y", "id", "t", "g", n_boot=0).pretrend_test()
    assert bad.p_value < 1e-4 < ok.p_value
    assert ok.df == 3


def test_twfe_event_study_and_two_by_two_shapes(sim):
    es = cs.did.event_study(sim.data, **COLS, cluster="manager", window=(-3, 3),
                            aggregate=True)
    f = es.to_frame()
    assert "event_time[-1]" not in set(f["term"])
    assert f.loc[f["event_time"].isin([-3, 3]), "binned"].all()
    tw = cs.did.twfe(sim.data, **COLS, cluster="manager", aggregate=True)
    assert tw.n_clusters == 60
    d = sim.data.assign(g=(sim.data["coached_from"] == 3).astype(int),
                        p=(sim.data["quarter"] >= 3).astype(int))
    d = d[d["coached_from"].isin([0, 3])]
    tt = cs.did.two_by_two(d, "engagement", "g", "p", cluster="manager")
    assert tt.n_clusters == d["manager"].nunique()
    assert len(tt.means) == 4


def test_plots_return_axes(fit, sim):
    import matplotlib.pyplot as plt

    for ax in (fit.plot(), fit.aggregate("group").plot(), fit.aggregate("calendar").plot(),
               fit.aggregate("simple").plot(),
               cs.did.event_study(sim.data, **COLS, aggregate=True).plot(),
               cs.did.bacon_decomposition(sim.data, **COLS, aggregate=True).plot()):
        assert ax.get_ylabel()
    _, ax = plt.subplots()
    assert fit.plot(ax=ax) is ax
    plt.close("all")


def test_cohort_from_treatment_and_reversal_error():
    df = pd.DataFrame({"u": [1, 1, 1, 2, 2, 2], "t": [1, 2, 3, 1, 2, 3],
                       "d": [0, 1, 1, 0, 0, 0]})
    assert cohort_from_treatment(df, "u", "t", "d").tolist() == [2, 2, 2, 0, 0, 0]
    with pytest.raises(ValueError, match="reverses"):
        cohort_from_treatment(df.assign(d=[0, 1, 0, 0, 0, 0]), "u", "t", "d")


# -- clear errors ------------------------------------------------------------------------


def test_error_cohort_not_a_period():
    df = _toy()
    df["g"] = df["g"].astype(float).where(df["g"] != 3, 3.5)
    with pytest.raises(ValueError, match=r"cohort: values \[3.5\].*not time periods"):
        staggered(df, "y", "id", "t", "g", n_boot=0)


def test_error_cohort_changes_within_unit():
    df = _toy()
    df.loc[(df["id"] == 1) & (df["t"] == 5), "g"] = 4
    with pytest.raises(ValueError, match="changes within id=1"):
        staggered(df, "y", "id", "t", "g", n_boot=0)


def test_error_no_controls_names_the_cell():
    df = _toy(cohorts=(3, 4))
    df = df[df["g"] > 0]  # no never-treated
    with pytest.raises(ValueError, match=r"no never-treated.*not_yet"):
        staggered(df, "y", "id", "t", "g", n_boot=0)
    with pytest.raises(ValueError, match=r"No control units for ATT\(g=3, t=4\)"):
        staggered(df, "y", "id", "t", "g", control="not_yet", n_boot=0)


def test_error_cohort_without_pre_period():
    df = _toy(cohorts=(1, 3))
    with pytest.raises(ValueError, match=r"cohort\(s\) \[1\] have no pre-treatment"):
        staggered(df, "y", "id", "t", "g", n_boot=0)
    with pytest.raises(ValueError, match="anticipation"):
        staggered(_toy(cohorts=(2, 3)), "y", "id", "t", "g", anticipation=1, n_boot=0)


def test_error_duplicated_rows():
    df = _toy()
    df = pd.concat([df, df.iloc[[3]]])
    with pytest.raises(ValueError, match="duplicated"):
        staggered(df, "y", "id", "t", "g", n_boot=0)
    with pytest.raises(ValueError, match="duplicated"):
        cs.did.event_study(df, "y", "id", "t", "g")


def test_error_non_numeric_outcome_and_missing():
    df = _toy()
    with pytest.raises((TypeError, ValueError), match="y"):
        staggered(df.assign(y=df["y"].astype(str)), "y", "id", "t", "g", n_boot=0)
    miss = df.assign(y=df["y"].where(df.index != 7))
    with pytest.raises(ValueError, match="missing"):
        staggered(miss, "y", "id", "t", "g", n_boot=0)
    r = staggered(miss, "y", "id", "t", "g", n_boot=0, dropna=True)
    assert r.n_dropped == 1 and any("dropped" in n for n in r.notes)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"control": "everyone"}, "control"), ({"method": "ols"}, "method"),
     ({"n_boot": 10}, "n_boot"), ({"n_boot": -1}, "n_boot"), ({"ci_level": 95}, "ci_level"),
     ({"anticipation": -1}, "anticipation"), ({"base_period": "first"}, "base_period"),
     ({"cluster": "nope"}, "nope"), ({"covariates": ["nope"]}, "nope")],
)
def test_error_bad_options(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        staggered(_toy(), "y", "id", "t", "g", **{"n_boot": 0, **kwargs})


def test_error_cluster_not_nesting_units():
    df = _toy().assign(c=lambda d: d["t"] % 2)
    with pytest.raises(ValueError, match="nested in clusters"):
        staggered(df, "y", "id", "t", "g", cluster="c", n_boot=0)


def test_error_event_study_window_and_two_by_two_coding():
    df = _toy()
    with pytest.raises(ValueError, match="window"):
        cs.did.event_study(df, "y", "id", "t", "g", window=(0, 3))
    with pytest.raises(ValueError, match="0/1"):
        cs.did.two_by_two(df, "y", "g", "t")
    with pytest.raises(ValueError, match="balanced"):
        cs.did.bacon_decomposition(df.iloc[1:], "y", "id", "t", "g")


def test_repeated_cross_sections_match_panel_on_balanced_data_and_manual_means(sim):
    df = _toy(n_units=90, periods=5)
    pan = staggered(df, "y", "id", "t", "g", n_boot=0)
    rc = staggered(df, "y", "id", "t", "g", panel=False, n_boot=0)
    # balanced, one row per unit and period: difference of means = mean of differences
    assert rc.att == pytest.approx(pan.att, rel=1e-10)
    assert not rc.panel and any("Repeated cross-sections" in n for n in rc.notes)
    d = sim.data
    r = staggered(d, **COLS, cluster="manager", panel=False, n_boot=199, rng=1)
    m = d.groupby(["coached_from", "quarter"])["engagement"].mean()
    manual = (m[(4, 5)] - m[(4, 3)]) - (m[(0, 5)] - m[(0, 3)])
    cell = r.group_time.set_index(["cohort", "time"]).loc[(4, 5)]
    assert cell["estimate"] == pytest.approx(manual, rel=1e-10)
    assert cell["n_treated"] == int(((d["coached_from"] == 4) & (d["quarter"] == 5)).sum())
    assert r.n_clusters == d["manager"].nunique()
    assert r.aggregate("dynamic").crit_uniform > 1.96
    with pytest.raises(ValueError, match="panel=False"):
        staggered(d, **COLS, panel=False, covariates=["employee"], n_boot=0)


def test_interpret_labels_att_by_one_rule_in_standardizer_units(fit, sim):
    labs = fit.interpret()
    assert [lab.rule for lab in labs] == ["cohen1988_d"]
    assert labs[0].value == pytest.approx(fit.att / fit.standardizer)
    assert [lab.rule for lab in fit.interpret(rule="wwc_g")] == ["wwc_g"]
    r = staggered(sim.data, **COLS, aggregate=True, n_boot=0)
    assert r.outcome_sd == pytest.approx(sim.data["engagement"].std())
    assert fit.interpret(sd=1.0)[0].value == pytest.approx(fit.att)


def test_standardizer_is_the_pre_treatment_sd_of_comparison_individuals(sim):
    d = sim.data
    r = staggered(d, **COLS, cluster="manager", aggregate=True, n_boot=0)
    first = d.loc[d["coached_from"] > 0, "coached_from"].min()
    rows = d[(d["coached_from"] == 0) & (d["quarter"] < first)]
    assert r.standardizer == pytest.approx(rows["engagement"].std(), rel=1e-12)
    assert r.standardizer_n == len(rows)
    # cluster-robust SE of s^2 by hand, then the delta method for s
    y = rows["engagement"].to_numpy()
    n, s2 = len(y), y.var(ddof=1)
    infl = pd.Series((y - y.mean()) ** 2 - s2 * (n - 1) / n).groupby(
        rows["manager"].to_numpy()).sum()
    se = np.sqrt((infl**2).sum()) / n / (2 * np.sqrt(s2))
    assert r.standardizer_se == pytest.approx(se, rel=1e-10)
    f = r.standardized().iloc[0]
    assert f["estimate"] == pytest.approx(r.att / r.standardizer)
    assert f["ci_low"] < f["estimate"] < f["ci_high"]
    assert "never-treated units, periods before 3" in f["standardizer_source"]
    # given team means instead of individual rows, the SD is of means (smaller): the
    # standardizer is defined on individual outcomes, so pass individual rows
    agg = d.groupby(["team", "manager", "quarter", "coached_from"], as_index=False)[
        "engagement"].mean()
    r2 = staggered(agg, **COLS, cluster="manager", n_boot=0)
    assert r2.standardizer < r.standardizer
    assert r.outcome_sd != pytest.approx(r.standardizer)


def test_balance_e_keeps_the_same_cohorts_at_every_event_time(fit):
    full = fit.aggregate("dynamic").to_frame().set_index("term")
    bal = fit.aggregate("dynamic", balance_e=2).to_frame().set_index("term")
    # cohorts 3..6 in 8 quarters: cohort 6 reaches event time 2, so all four stay; event
    # times above 2 are dropped
    assert "event_time[3]" not in bal.index and "event_time[2]" in bal.index
    assert bal.loc["event_time[1]", "estimate"] == pytest.approx(
        full.loc["event_time[1]", "estimate"])
    bal4 = fit.aggregate("dynamic", balance_e=4).to_frame().set_index("term")
    gt = fit.group_time
    e0 = gt[(gt["event_time"] == 0) & (gt["cohort"] <= 4)]
    # only cohorts 3 and 4 are observed 4 quarters after their start
    assert bal4.loc["event_time[0]", "estimate"] != pytest.approx(
        full.loc["event_time[0]", "estimate"])
    lo, hi = e0["estimate"].min(), e0["estimate"].max()
    assert lo <= bal4.loc["event_time[0]", "estimate"] <= hi
    with pytest.raises(ValueError, match="balance_e"):
        fit.aggregate("dynamic", balance_e=9)


def test_text_cohort_column_names_the_bad_rows():
    # under pandas 3 text columns have the "str" dtype, not object
    df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "u": [1, 1, 2, 2, 3, 3],
                       "t": [1, 2, 1, 2, 1, 2], "g": ["2", "x", "0", "0", "2", "2"]})
    before = df.copy()
    with pytest.raises(TypeError, match=r"'g' has non-numeric values \(rows \[1\]\)"):
        cs.did.staggered(df, outcome="y", unit="u", time="t", cohort="g")
    pd.testing.assert_frame_equal(df, before)
