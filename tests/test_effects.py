"""Effect sizes: API, input errors, privacy rules, plots and properties of the intervals."""

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coachstats as cs
from coachstats.effects import (
    correct_attenuation,
    group_difference,
    hedges_j,
    ncp_interval,
    nct_cdf,
    ppc_d,
    r_to_z,
    rater_agreement,
    reliable_change,
    repeated_measures_d,
)
from coachstats.results import FRAME_COLUMNS

matplotlib.use("Agg")


@pytest.fixture
def paired():
    rng = np.random.default_rng(4)
    pre = rng.normal(50, 10, 40)
    return pd.DataFrame({"pre": pre, "post": pre + rng.normal(4, 6, 40)})


@pytest.fixture(scope="module")
def ratings():
    return cs.simulate.pre_post_360(n_leaders=40, rng=3).data


def _ra(data, **kw):
    return rater_agreement(data, leader="leader", rater_group="rater_group", rating="rating",
                           time="time", rater="rater", **kw)


# --- repeated_measures_d ----------------------------------------------------------------


def test_frame_shape_and_terms(paired):
    f = repeated_measures_d(paired, "pre", "post", kind="all").to_frame()
    assert tuple(f.columns[:6]) == FRAME_COLUMNS
    assert f["term"].tolist() == ["g_z", "g_av", "g_rm"]
    assert f["ci_method"].tolist()[0] == "exact (noncentral t)"
    assert (f["ci_low"] < f["estimate"]).all() and (f["estimate"] < f["ci_high"]).all()
    f2 = repeated_measures_d(paired, "pre", "post", kind=["rm", "z"], hedges=False).to_frame()
    assert f2["term"].tolist() == ["d_rm", "d_z"]


def test_hedges_factor_per_kind(paired):
    f = repeated_measures_d(paired, "pre", "post", kind="all").to_frame().set_index("kind")
    n = len(paired)
    assert f.loc["z", "hedges_j"] == pytest.approx(hedges_j(n - 1))
    # d_av/d_rm use the Satterthwaite df of their standardizer: between n - 1 and 2(n - 1)
    for k in ("av", "rm"):
        assert n - 1 <= f.loc[k, "df"] <= 2 * (n - 1)
        assert f.loc[k, "hedges_j"] == pytest.approx(hedges_j(f.loc[k, "df"]))
        assert f.loc[k, "estimate"] == pytest.approx(f.loc[k, "d"] * f.loc[k, "hedges_j"])


def test_arrays_and_sign_and_input_untouched(paired):
    before = paired.copy()
    a = repeated_measures_d(paired, "pre", "post").estimate
    b = repeated_measures_d(None, paired["pre"].to_numpy(), paired["post"].to_numpy()).estimate
    c = repeated_measures_d(paired, "post", "pre").estimate
    assert a == pytest.approx(b) and c == pytest.approx(-a)
    pd.testing.assert_frame_equal(paired, before)


def test_d_av_equals_d_rm_when_sds_are_equal():
    pre = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    post = np.array([2.0, 4.0, 3.0, 6.0, 5.0])
    post = (post - post.mean()) / post.std(ddof=1) * pre.std(ddof=1) + post.mean()
    f = repeated_measures_d(None, pre, post, kind="all", hedges=False).to_frame()
    d = f.set_index("kind")["estimate"]
    assert d["av"] == pytest.approx(d["rm"], rel=1e-12)


def test_errors_are_clear(paired):
    with pytest.raises(ValueError, match=r"different lengths \(3 vs 2\)"):
        repeated_measures_d(None, [1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match=r"change scores.*zero variance"):
        repeated_measures_d(None, [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], kind="z")
    with pytest.raises(ValueError, match=r"d_av is undefined.*zero variance"):
        repeated_measures_d(None, [2.0, 2.0, 2.0], [3.0, 3.0, 3.0], kind="av")
    with pytest.raises(ValueError, match="d_rm is undefined: the pre have zero variance"):
        repeated_measures_d(None, [2.0, 2.0, 2.0], [3.0, 1.0, 4.0], kind="rm")
    with pytest.raises(ValueError, match="at least 3 complete pre/post pairs"):
        repeated_measures_d(None, [1.0, 2.0], [2.0, 5.0])
    with pytest.raises(ValueError, match="kind='zz' is not supported"):
        repeated_measures_d(paired, "pre", "post", kind="zz")
    with pytest.raises(ValueError, match=r"Did you mean 0\.95"):
        repeated_measures_d(paired, "pre", "post", ci_level=95)
    with pytest.raises(ValueError, match=r"'before' \(argument pre=\) not found"):
        repeated_measures_d(paired, "before", "post")
    with pytest.raises(TypeError, match="column name, but no DataFrame"):
        repeated_measures_d(None, "pre", "post")
    bad = paired.copy()
    bad.loc[3, "post"] = np.nan
    with pytest.raises(ValueError, match=r"missing value.*dropna=True"):
        repeated_measures_d(bad, "pre", "post")
    res = repeated_measures_d(bad, "pre", "post", dropna=True)
    assert res.n_dropped == 1 and res.to_frame()["n"].item() == len(paired) - 1
    assert any("people with a missing pre or post value (1)" in n for n in res.notes)


def test_summary_plot_interpret(paired):
    res = repeated_measures_d(paired, "pre", "post", kind="all")
    assert "exact" in res.summary() and "<table" in res._repr_html_()
    ax = res.plot()
    assert ax.get_xlabel().startswith("standardized difference (95% CI)")
    labels = res.interpret()
    assert len(labels) == 3 and "Cohen (1988)" in str(labels[0])
    with pytest.raises(AttributeError, match="3 rows"):
        _ = res.estimate


# --- noncentral t: never NaN --------------------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    t=st.floats(-1e4, 1e4, allow_nan=False),
    df=st.floats(1.0, 1e6, allow_nan=False),
    level=st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999]),
)
def test_ncp_interval_always_finite_ordered_and_solves_its_equation(t, df, level):
    lo, hi = ncp_interval(t, df, ci_level=level)
    assert math.isfinite(lo) and math.isfinite(hi)
    assert lo <= t <= hi
    a = 1 - level
    assert nct_cdf(t, df, lo) == pytest.approx(1 - a / 2, abs=1e-6)
    assert nct_cdf(t, df, hi) == pytest.approx(a / 2, abs=1e-6)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(t=st.floats(0, 500, allow_nan=False), df=st.floats(1.0, 1e4, allow_nan=False))
def test_ncp_interval_symmetric_and_nested(t, df):
    lo, hi = ncp_interval(t, df, ci_level=0.95)
    nlo, nhi = ncp_interval(-t, df, ci_level=0.95)
    assert nlo == pytest.approx(-hi, rel=1e-7, abs=1e-7)
    assert nhi == pytest.approx(-lo, rel=1e-7, abs=1e-7)
    lo9, hi9 = ncp_interval(t, df, ci_level=0.90)
    assert lo - 1e-7 <= lo9 and hi9 <= hi + 1e-7


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    n=st.integers(3, 400),
    shift=st.floats(-1e3, 1e3, allow_nan=False),
    scale=st.floats(1e-3, 1e3, allow_nan=False),
    seed=st.integers(0, 2**16),
)
def test_paired_d_never_nan_on_extreme_data(n, shift, scale, seed):
    rng = np.random.default_rng(seed)
    pre = rng.normal(0, scale, n)
    post = pre + shift + rng.normal(0, scale * 1e-3, n)  # tiny noise: huge d_z
    f = repeated_measures_d(None, pre, post, kind="all").to_frame()
    cols = ["estimate", "ci_low", "ci_high"]
    assert np.isfinite(f[cols].to_numpy()).all()
    assert (f["ci_low"] <= f["ci_high"]).all()


def test_nct_cdf_guard_where_scipy_returns_nan():
    from scipy import stats

    assert math.isnan(stats.nct.cdf(1e4, 1, -1000))  # the failure being guarded
    p = nct_cdf(1e4, 1, -1000)
    assert 0.999 < p <= 1
    lo, hi = ncp_interval(1e4, 1)
    assert lo == pytest.approx(313.38, abs=0.01) and hi == pytest.approx(22414.03, abs=0.1)


# --- two groups and PPC -------------------------------------------------------------------


def test_group_difference_by_stratum_and_privacy():
    sim = cs.simulate.hire_performance(n_internal=60, n_external=40, rng=2)
    data = sim.data
    res = group_difference(data, "rating", "hire_type", by="year", reference="internal")
    f = res.to_frame()
    assert f["term"].tolist() == ["year=1", "year=2", "year=3", "year=4"]
    assert (f["focal"] == "external").all() and not f["suppressed"].any()
    small = data.loc[~((data["hire_type"] == "external") & (data["year"] == 4))
                     | (data.index % 50 == 0)]
    f2 = group_difference(small, "rating", "hire_type", by="year", reference="internal",
                          min_group_size=5).to_frame().set_index("term")
    assert f2.loc["year=4", "suppressed"] and np.isnan(f2.loc["year=4", "estimate"])
    assert np.isnan(f2.loc["year=4", "mean_focal"])
    with pytest.raises(ValueError, match="exactly 2 levels"):
        group_difference(data.assign(hire_type=data["year"]), "rating", "hire_type")
    one_year = data.loc[data["year"] == 1]  # one row per person
    with pytest.raises(ValueError, match="reference='x' is not a level"):
        group_difference(one_year, "rating", "hire_type", reference="x")
    with pytest.raises(ValueError, match="zero variance"):
        cs.effects.independent_d(one_year.assign(rating=1.0), "rating", "hire_type")


def test_ppc_d_direction_and_errors():
    rng = np.random.default_rng(1)
    pre = rng.normal(size=60)
    post = pre + np.r_[rng.normal(0.8, 0.5, 30), rng.normal(0.1, 0.5, 30)]
    d = pd.DataFrame({"pre": pre, "post": post, "arm": ["t"] * 30 + ["c"] * 30})
    a = ppc_d(d, "pre", "post", "arm", control="c").to_frame().iloc[0]
    b = ppc_d(d, "pre", "post", "arm", control="t").to_frame().iloc[0]
    assert a["estimate"] > 0 and b["estimate"] == pytest.approx(-a["estimate"])
    assert a["treatment"] == "t" and a["control"] == "c"
    with pytest.raises(ValueError, match="r must lie in"):
        cs.effects.ppc_d_from_stats(m_pre_t=1, m_post_t=2, sd_pre_t=1, n_t=10, m_pre_c=1,
                                    m_post_c=1, sd_pre_c=1, n_c=10, r=1.0)
    with pytest.raises(ValueError, match="n_t must be at least 2"):
        cs.effects.ppc_d_from_stats(m_pre_t=1, m_post_t=2, sd_pre_t=1, n_t=1, m_pre_c=1,
                                    m_post_c=1, sd_pre_c=1, n_c=10, r=0.5)


# --- reliable change ----------------------------------------------------------------------


def test_reliable_change_counts_only_and_errors(paired):
    res = reliable_change(paired, "pre", "post", reliability=0.9)
    f = res.to_frame()
    assert f["count"].sum() == len(paired) == res.n
    assert f["estimate"].sum() == pytest.approx(1.0)
    assert len(f) == 3  # no per-person rows; no "recovered" without a cut-off
    assert set(f.columns) >= {"term", "count", "n", "ci_low", "ci_high"}
    assert res.reliably_improved == res.counts["improved"]
    assert res.plot().get_xlim() == (0.0, 1.0)
    lower = reliable_change(paired.assign(pre=-paired["pre"], post=-paired["post"]), "pre",
                            "post", reliability=0.9, higher_is_better=False)
    assert lower.counts == res.counts
    perfect = reliable_change(paired, "pre", "post", reliability=1.0)
    assert perfect.critical_change == 0
    assert perfect.counts["unchanged"] == int((paired["post"] == paired["pre"]).sum())
    for bad in (0, 1.2, -0.1, float("nan")):
        with pytest.raises(ValueError, match=r"reliability must lie in \(0, 1\]"):
            reliable_change(paired, "pre", "post", reliability=bad)
    with pytest.raises(TypeError, match="reliability must be a number"):
        reliable_change(paired, "pre", "post", reliability="0.8")
    with pytest.raises(ValueError, match="at least 5 people"):
        reliable_change(paired.head(4), "pre", "post", reliability=0.8)
    with pytest.raises(ValueError, match=r"zero variance.*sd_pre"):
        reliable_change(paired.assign(pre=1.0), "pre", "post", reliability=0.8)


# --- 360: rater agreement -----------------------------------------------------------------


def test_rater_agreement_tables(ratings):
    res = _ra(ratings)
    ch = res.to_frame()
    assert ch["term"].tolist() == ["self", "manager", "peer", "direct_report", "overall"]
    assert not ch["suppressed"].any()
    assert res.overall_groups == ("manager", "peer", "direct_report")
    ag = res.agreement_frame()
    assert len(ag) == 6 * 3 and set(ag["time"]) == {"pre", "post", "change"}
    assert ((ag["ci_low"] <= ag["estimate"]) & (ag["estimate"] <= ag["ci_high"])).all()
    rel = res.reliability_frame().set_index("term")
    assert np.isnan(rel.loc["self:pre", "icc1"])  # one rater: not estimable
    assert 0 < rel.loc["peer:pre", "icc2"] < 1
    dis = ag.set_index("term").loc["peer~direct_report:pre"]
    assert dis["r_disattenuated"] > dis["estimate"]
    assert res.plot().get_title() == "Change by rater group"
    # no individual rows or ids anywhere
    for frame in (ch, ag, rel):
        text = frame.to_string()
        assert "L00" not in text and "R00" not in text


def test_rater_overall_is_mean_of_group_scores(ratings):
    res = _ra(ratings, kind="z", hedges=False)
    ov = res.to_frame().set_index("term").loc["overall"]
    m = ratings.groupby(["leader", "rater_group", "time"])["rating"].mean().unstack("time")
    m = m.loc[(slice(None), ["manager", "peer", "direct_report"]), :].groupby("leader").mean()
    d = (m["post"] - m["pre"]).to_numpy()
    assert ov["estimate"] == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-10)


def test_rater_privacy_threshold(ratings):
    few = ratings.loc[(ratings["rater_group"] != "peer")
                      | ratings["rater"].isin(ratings.loc[ratings["rater_group"] == "peer",
                                                          "rater"].head(4))]
    res = _ra(few)
    ch = res.to_frame().set_index("term")
    assert ch.loc["peer", "suppressed"] and np.isnan(ch.loc["peer", "estimate"])
    assert "peer" not in res.overall_groups and res.suppressed == ("peer",)
    assert not res.agreement_frame()["term"].str.contains("peer").any()
    assert any("fewer than 5 raters" in n for n in res.notes)
    # self and manager have one rater per leader but 40 raters overall: shown; a single
    # leader's report suppresses them unless exempt
    one = ratings.loc[ratings["leader"] == ratings["leader"].iloc[0]]
    single = _ra(one, min_group_size=5).to_frame().set_index("term")
    assert single.loc["self", "suppressed"] and single.loc["manager", "suppressed"]
    ex = _ra(one, exempt_groups=("self",)).to_frame().set_index("term")
    assert "fewer than 3 leaders" in ex.loc["self", "reason"]


def test_rater_agreement_errors(ratings):
    with pytest.raises(ValueError, match="pre='before' is not a value of column 'time'"):
        _ra(ratings, pre="before")
    dup = pd.concat([ratings, ratings.head(1)])
    with pytest.raises(ValueError, match="rate a leader once per occasion"):
        _ra(dup)
    with pytest.raises(ValueError, match="min_group_size must be at least 3"):
        _ra(ratings, min_group_size=2)
    three = pd.concat([ratings, ratings.head(10).assign(time="follow_up")])
    assert _ra(three).n_other_occasions == 10


# --- conversions --------------------------------------------------------------------------


def test_conversion_errors():
    with pytest.raises(ValueError, match=r"r must lie in \(-1, 1\)"):
        r_to_z(1.0)
    with pytest.raises(ValueError, match=r"rxx must lie in \(0, 1\]"):
        correct_attenuation(0.3, 0.0)
    with pytest.raises(ValueError, match="more than 1 degree of freedom"):
        hedges_j(1)
    with pytest.raises(ValueError, match="give both n1 and n2"):
        cs.effects.d_to_r(0.5, n1=10)


def test_suppression_manifest_entries(ratings):
    few = ratings.loc[(ratings["rater_group"] != "peer")
                      | ratings["rater"].isin(ratings.loc[ratings["rater_group"] == "peer",
                                                          "rater"].head(4))]
    sup = _ra(few).suppressions("a1")
    assert len(sup) == 1 and sup[0].analysis == "a1" and "peer" in sup[0].item
    assert _ra(ratings).suppressions() == []
    sim = cs.simulate.hire_performance(n_internal=30, n_external=6, rng=5)
    res = group_difference(sim.data, "rating", "hire_type", by="year", reference="internal")
    items = [s.item for s in res.suppressions("x")]
    assert items and all(i.startswith("estimate for year=") for i in items)


def test_rater_reliable_change_table(ratings):
    res = _ra(ratings, reliability={"manager": 0.5, "overall": 0.8})
    rc = res.reliable_change_frame()
    assert set(rc["rater_group"]) == {"manager", "peer", "direct_report", "overall"}
    assert "self" not in set(rc["rater_group"])  # one rater, no reliability given
    for _, g in rc.groupby("rater_group"):
        assert (g["n"] == 40).all()
        shown = g.loc[~g["suppressed"].astype(bool)]
        if len(shown) == len(g):
            assert shown["count"].sum() == 40
            assert shown["estimate"].sum() == pytest.approx(1.0)
        else:  # small categories withheld, together at least min_group_size people
            assert 40 - shown["count"].sum() >= res.min_group_size
            assert len(g) - len(shown) >= 2
    src = rc.drop_duplicates("rater_group").set_index("rater_group")["reliability_source"]
    assert src["manager"] == "given" and src["peer"] == "ICC(2) at pre"
    icc2 = res.reliability_frame().set_index("term").loc["peer:pre", "icc2"]
    assert rc.loc[rc["rater_group"] == "peer", "reliability"].iloc[0] == pytest.approx(icc2)
    with pytest.raises(ValueError, match=r"reliability\['peer'\] must lie in \(0, 1\]"):
        _ra(ratings, reliability={"peer": 1.5})
    with pytest.raises(ValueError, match="reliability names 'boss'"):
        _ra(ratings, reliability={"boss": 0.7})


def test_ppc_d_raw_equals_summary_statistics_form():
    rng = np.random.default_rng(8)
    pre = rng.normal(10, 2, 50)
    post = pre + rng.normal(1.0, 1.5, 50)
    d = pd.DataFrame({"pre": pre, "post": post, "arm": ["t"] * 25 + ["c"] * 25})
    raw = ppc_d(d, "pre", "post", "arm", control="c").to_frame().iloc[0]
    t, c = d.iloc[:25], d.iloc[25:]
    s = cs.effects.ppc_d_from_stats(
        m_pre_t=t["pre"].mean(), m_post_t=t["post"].mean(), sd_pre_t=t["pre"].std(), n_t=25,
        m_pre_c=c["pre"].mean(), m_post_c=c["post"].mean(), sd_pre_c=c["pre"].std(), n_c=25,
        r=raw["r_pre_post"]).to_frame().iloc[0]
    for col in ("estimate", "std_error", "ci_low", "ci_high"):
        assert raw[col] == pytest.approx(s[col], rel=1e-12)
    # pooled within-group correlation
    ss = lambda x, y: ((x - x.mean()) * (y - y.mean())).sum()  # noqa: E731
    num = ss(t["pre"], t["post"]) + ss(c["pre"], c["post"])
    den = np.sqrt((ss(t["pre"], t["pre"]) + ss(c["pre"], c["pre"]))
                  * (ss(t["post"], t["post"]) + ss(c["post"], c["post"])))
    assert raw["r_pre_post"] == pytest.approx(num / den, rel=1e-12)


@pytest.mark.parametrize("t,df", [(1e5, 399.0), (1e6, 3.0), (-2e5, 40.0)])
def test_wide_interval_closed_form_agrees_with_root_search(t, df):
    from coachstats.effects._noncentral import _solve

    lo, hi = ncp_interval(t, df)
    assert lo == pytest.approx(_solve(t, df, 0.975), rel=1e-8)
    assert hi == pytest.approx(_solve(t, df, 0.025), rel=1e-8)


def test_rater_agreement_without_rater_ids_counts_a_lower_bound_of_people(ratings):
    res = rater_agreement(ratings.drop(columns="rater"), leader="leader",
                          rater_group="rater_group", rating="rating", time="time",
                          exempt_groups=("self", "manager"))
    with_ids = _ra(ratings, exempt_groups=("self", "manager")).to_frame()
    pd.testing.assert_series_equal(res.to_frame()["estimate"], with_ids["estimate"])
    # rows overcount raters; the bound is the most ratings one leader got from the group
    most = ratings.groupby(["rater_group", "time", "leader"]).size().groupby(level=[0, 1]).max()
    peer = res.to_frame().set_index("term").loc["peer"]
    assert peer["n_raters_pre"] == most[("peer", "pre")]
    assert any("lower bound" in n for n in res.notes)


def test_importing_effects_loads_no_heavy_modules():
    import subprocess
    import sys

    code = (
        "import sys, coachstats as cs; cs.effects.repeated_measures_d;"
        "bad=[m for m in ('pymc','pytensor','arviz','matplotlib') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_long_format_matches_wide_and_reports_unpaired(paired):
    long = pd.concat([
        pd.DataFrame({"person": paired.index, "wave": "t0", "score": paired["pre"]}),
        pd.DataFrame({"person": paired.index, "wave": "t1", "score": paired["post"]}),
    ])
    wide = repeated_measures_d(paired, "pre", "post", kind="all").to_frame()
    lng = repeated_measures_d(long, "t0", "t1", kind="all", person="person", time="wave",
                              outcome="score").to_frame()
    pd.testing.assert_frame_equal(wide, lng)
    unpaired = long.iloc[:-2]  # the last two people lack a post value
    with pytest.raises(ValueError, match=r"different lengths: 2 'person' value\(s\)"):
        repeated_measures_d(unpaired, "t0", "t1", person="person", time="wave", outcome="score")
    res = repeated_measures_d(unpaired, "t0", "t1", person="person", time="wave", outcome="score",
                              dropna=True)
    assert res.n_dropped == 2 and res.to_frame()["n"].item() == len(paired) - 2
    with pytest.raises(ValueError, match="one value per occasion"):
        repeated_measures_d(pd.concat([long, long.head(1)]), "t0", "t1", person="person",
                            time="wave", outcome="score")
    with pytest.raises(ValueError, match="needs a DataFrame and all of person="):
        repeated_measures_d(long, "t0", "t1", time="wave", outcome="score")
    with pytest.raises(ValueError, match="pre='t9' is not a value of column 'wave'"):
        repeated_measures_d(long, "t9", "t1", person="person", time="wave", outcome="score")


def test_old_argument_names_still_work_with_a_warning(paired):
    long = pd.concat([
        pd.DataFrame({"person": paired.index, "wave": "t0", "score": paired["pre"]}),
        pd.DataFrame({"person": paired.index, "wave": "t1", "score": paired["post"]}),
    ])
    new = repeated_measures_d(long, "t0", "t1", person="person", time="wave", outcome="score")
    with pytest.warns(FutureWarning, match=r"id= is now called person="):
        old = repeated_measures_d(long, "t0", "t1", id="person", time="wave", value="score")
    pd.testing.assert_frame_equal(new.to_frame(), old.to_frame())
    with pytest.warns(FutureWarning, match=r"df= is now called data="):
        repeated_measures_d(df=paired)
    with pytest.raises(TypeError, match="pass only data="):
        repeated_measures_d(paired, df=paired)

