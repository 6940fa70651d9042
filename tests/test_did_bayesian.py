"""Multilevel Bayesian DiD: exact likelihood, recovery of a simulated truth, errors, API.

Sampling is real (nutpie) with small draws on a tiny panel; the full-size recovery study is
marked slow.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import coachstats as cs
from coachstats.bayes import ConvergenceWarning, Diagnostics, posterior_table
from coachstats.did.bayesian import BayesianDiDResult, bayesian

# the module, not the function of the same name that coachstats.did exposes
bmod = importlib.import_module("coachstats.did.bayesian")

COLS = dict(outcome="engagement", unit="team", time="quarter", cohort="coached_from")
FIT = dict(COLS, levels=("manager", "team"))
FAST = dict(draws=300, tune=300, chains=2)


def _panel(n_managers=30, periods=6, cohorts=(3, 5), team_size=6, effect=0.3, rng=0, **kw):
    """A small engagement panel (employees in teams under managers, Likert-mean outcome)
    and its truth: the CS-'simple' ATT and event-time effects on the observed scale."""
    sim = cs.simulate.engagement_panel(
        n_managers=n_managers, teams_per_manager=kw.pop("teams_per_manager", 2),
        team_size=team_size, periods=periods, cohorts=cohorts, effect=effect,
        effect_growth=kw.pop("effect_growth", 0.06), rng=rng, **kw,
    )
    return sim.data, _truth(sim)


def _truth(sim):
    return {k: v for k, v in sim.truth.terms().items() if not k.startswith("group[")}


def _means(df):
    out = df.groupby(["manager", "team", "quarter", "coached_from"], as_index=False).agg(
        engagement=("engagement", "mean"),
        sd=("engagement", "std"),
        n=("engagement", "size"),
    )
    out["sd"] = out["sd"].fillna(0.0)
    return out


@pytest.fixture(scope="module")
def panel():
    return _panel(rng=4)


@pytest.fixture(scope="module")
def fit(panel):
    df, _ = panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return bayesian(df, **FIT, placebo=True, ci_level=0.9, **FAST, rng=11)


# --- import hygiene --------------------------------------------------------------------


def test_import_does_not_load_pymc():
    code = (
        "import sys, coachstats, coachstats.did, coachstats.did.bayesian;"
        "bad=[m for m in ('pymc','pytensor','arviz','matplotlib') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cs_did_bayesian_stays_callable_on_repeated_access():
    code = (
        "import coachstats as cs\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        assert not isinstance(cs.did.bayesian, type(cs))\n"
        "        cs.did.bayesian([1], outcome='y', unit='u', time='t', cohort='g')\n"
        "    except TypeError as e:\n"
        "        assert 'DataFrame' in str(e), e\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]


# --- the likelihood on cell summaries equals the row-level likelihood -------------------


def test_cell_likelihood_equals_row_likelihood_up_to_a_constant():
    """Means + within sums of squares reproduce the multivariate-normal likelihood of the
    rows (cell shock integrated out) at any parameter value, differing by a constant."""
    df, _ = _panel(n_managers=6, periods=4, cohorts=(3,), team_size=4, rng=2)
    lev = bmod._as_levels(("manager", "team"), "team")
    cells = bmod._prepare(df, **COLS, levels=lev, n=None, sd=None, never_treated=0,
                          anticipation=0, dropna=False)
    d = bmod._design(cells)
    model = bmod._build_model(cells, d)
    obs = model["cell_mean"]
    mean = model.replace_rvs_by_values([obs.owner.inputs[2]])[0]  # mean of cell_mean
    pot = model.replace_rvs_by_values([model.potentials[0]])[0]
    f = model.compile_fn([model.logp(vars=[obs], jacobian=False), pot, mean],
                         inputs=model.value_vars, on_unused_input="ignore")
    ys = (df.sort_values(["team", "quarter"]).groupby(["team", "quarter"])["engagement"]
          .apply(np.asarray).tolist())
    r = np.random.default_rng(0)
    diffs = []
    for _ in range(3):
        point = {k: r.normal(0, 0.5, np.shape(val)) for k, val in model.initial_point().items()}
        sigma = float(np.exp(point["sigma_log__"]))
        sd_cell = float(np.exp(point["sd_cell_log__"]))
        lp_obs, lp_pot, mu = f(point)
        # rows on the standardised scale, cell by cell
        ll = 0.0
        for y, m in zip(ys, mu, strict=True):
            z = (y - d.center) / d.scale
            cov = sigma**2 * np.eye(len(z)) + sd_cell**2
            ll += stats.multivariate_normal(np.full(len(z), m), cov).logpdf(z)
        diffs.append(float(lp_obs) + float(lp_pot) - ll)
    assert np.ptp(diffs) < 1e-8, diffs


# --- sampling: recovery, reproducibility, data shapes -----------------------------------


def test_recovers_simulated_truth_within_intervals(fit, panel):
    _, truth = panel
    assert fit.ci_low < truth["att"] < fit.ci_high
    tab = posterior_table(fit.idata, ["event_time_effect"], ci_level=0.99)
    post = fit.event_time[fit.event_time["kind"] == "effect"]
    for (_, row), e in zip(tab.iterrows(), post["event_time"], strict=True):
        assert row["ci_low"] < truth[f"event_time[{e}]"] < row["ci_high"], e
    # no pre-trend in the simulation: placebo effects cover zero
    pl = posterior_table(fit.idata, ["placebo_effect"], ci_level=0.99)
    assert len(pl) == 3 and ((pl["ci_low"] < 0) & (pl["ci_high"] > 0)).all()
    # and the interval is informative: it excludes zero
    assert fit.ci_low > 0


def test_bias_over_a_few_seeds_is_within_monte_carlo_error(fit, panel):
    """Average error over three panels, judged against the posterior SDs (|z| < 3)."""
    errs, var = [fit.estimate - panel[1]["att"]], [fit.std_error**2]
    for seed in (21, 22):
        df, truth = _panel(rng=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = bayesian(df, **FIT, **FAST, rng=seed)
        errs.append(res.estimate - truth["att"])
        var.append(res.std_error**2)
    z = np.mean(errs) / np.sqrt(np.mean(var) / len(errs))
    assert abs(z) < 3, (errs, z)


def test_same_rng_same_draws_and_means_with_sd_equal_rows(fit, panel):
    df, _ = panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again = bayesian(df, **FIT, placebo=True, ci_level=0.9, **FAST, rng=11)
        means = bayesian(_means(df), **FIT, n="n", sd="sd", placebo=True, ci_level=0.9,
                         **FAST, rng=11)
    a = fit.idata["posterior"]["att"].values
    np.testing.assert_array_equal(a, again.idata["posterior"]["att"].values)
    assert again == fit
    assert means.data_shape == "means_sd" and fit.data_shape == "individual"
    assert means.n_obs == fit.n_obs == len(df)
    # same sufficient statistics -> same posterior (up to floating-point drift in NUTS paths)
    assert means.estimate == pytest.approx(fit.estimate, abs=0.2 * fit.std_error)
    assert means.std_error == pytest.approx(fit.std_error, rel=0.2)


def test_input_frame_is_not_modified(panel, fit):
    df, _ = panel
    fresh, _ = _panel(rng=4)
    pd.testing.assert_frame_equal(df, fresh)


# --- the result ---------------------------------------------------------------------------


def test_result_frame_terms_and_named_interval(fit):
    assert isinstance(fit, BayesianDiDResult)
    tab = fit.to_frame()
    assert list(tab.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                     "ci_level"]
    assert tab["term"].tolist() == ["att"] + [f"event_time[{e}]" for e in (-4, -3, -2, 0, 1,
                                                                            2, 3)]
    assert tab["kind"].tolist()[1:] == ["placebo"] * 3 + ["effect"] * 4
    assert (tab["ci_level"] == 0.9).all() and (tab["ci_kind"] == "equal-tailed").all()
    assert {"rhat", "ess_bulk", "ess_tail"} <= set(tab.columns)
    assert tab.loc[0, "estimate"] == fit.estimate
    full = fit.to_frame("all")
    terms = full["term"].tolist()
    assert {"att_gt[3, 3]", "placebo_gt[5, 1]", "sd_manager", "sigma"} <= set(terms)
    gt = fit.group_time[fit.group_time["kind"] != "placebo"]
    assert {"cohort", "time", "event_time", "estimate", "ci_low", "ci_high"} <= set(gt.columns)
    # the ATT is the cohort-size weighted mean of the post-period cohort x period effects
    w = gt["n_units"].where(gt["event_time"] >= 0, 0.0)
    att_from_cells = np.average(
        fit.idata["posterior"]["att_gt"].values.reshape(-1, len(gt)), axis=1, weights=w
    )
    np.testing.assert_allclose(att_from_cells, fit.idata["posterior"]["att"].values.ravel())
    with pytest.raises(ValueError, match="include="):
        fit.to_frame("everything")


def test_result_text_diagnostics_plot_interpret(fit):
    assert isinstance(fit.diagnostics, Diagnostics)
    assert fit.diagnostics.chains == 2 and fit.diagnostics.draws == 300
    text = fit.summary()
    assert "90% equal-tailed" in text and "event_time[0]" in text
    assert "Pre-trend check: " in text
    assert any("Parallel trends" in a for a in fit.assumptions())
    assert any("anticipation" in a for a in fit.assumptions())
    assert fit.limitations()
    assert "<table" in fit._repr_html_()
    assert 0.99 < fit.prob_positive <= 1
    labels = fit.interpret()
    assert labels[0].citation == "Cohen (1988)"
    ax = fit.plot()
    assert ax.get_xlabel().startswith("periods since")
    assert [t.get_text().split(":")[0] for t in ax.get_legend().get_texts()] == ["placebo",
                                                                                "effect"]
    assert len(ax.collections) >= len(fit.event_time)  # one violin per event time
    # privacy: the tables hold model terms only, never unit or person identifiers
    terms = fit.to_frame("all")["term"]
    pattern = (r"^(att|event_time\[-?\d+\]|(att|placebo)_gt\[\d+, \d+\]|sigma|sd_\w+"
               r"|effect_mean)$")
    assert terms.str.match(pattern).all(), terms.tolist()


def test_short_chains_warn():
    df, _ = _panel(n_managers=10, periods=4, cohorts=(3,), rng=5)
    with pytest.warns(ConvergenceWarning):
        res = bayesian(df, **FIT, draws=30, tune=30, chains=2, rng=1)
    assert not res.diagnostics.ok
    assert "DIAGNOSTICS POOR" in res.summary()


# --- preparation (no sampling) --------------------------------------------------------------


def _cells(df, **kw):
    args = dict(COLS, levels=bmod._as_levels(kw.pop("levels", ("manager", "team")), "team"),
                n=None, sd=None, never_treated=0, anticipation=0, dropna=False)
    args.update(kw)
    return bmod._prepare(df, **args)


def test_without_never_treated_the_all_treated_periods_are_dropped():
    df, _ = _panel(n_managers=12, periods=6, cohorts=(3, 5), rng=1)
    df = df[df["coached_from"] > 0]
    cells = _cells(df)
    assert cells.dropped_periods == (5.0, 6.0)
    assert cells.frame["_t"].max() == 4
    assert cells.cohorts.tolist() == [3.0]  # cohort 5 is a pure comparison group


def test_placebo_leads_need_comparison_cells_in_their_periods():
    df, _ = _panel(n_managers=12, periods=6, cohorts=(3, 5), rng=1)
    cells = _cells(df, placebo=True)  # with never-treated units every period is kept
    assert cells.dropped_periods == ()
    assert cells.frame.loc[cells.frame["_lead"], "_e"].max() == -2
    cells = _cells(df[df["coached_from"] > 0], placebo=True)
    # periods 1 and 3 hold only leads or treated cells, 5 and 6 only treated cells
    assert cells.dropped_periods == (1.0, 3.0, 5.0, 6.0)


def test_never_treated_coded_as_missing_or_infinite():
    df, _ = _panel(n_managers=12, periods=6, cohorts=(3, 5), rng=1)
    ref = _cells(df).frame
    for code in (np.nan, np.inf):
        alt = df.assign(coached_from=df["coached_from"].replace(0, code))
        cells = _cells(alt, never_treated=code).frame
        assert cells["_never"].sum() == ref["_never"].sum() > 0
        np.testing.assert_array_equal(cells["_treated"], ref["_treated"])
    assert df["coached_from"].notna().all()  # caller's frame untouched


def test_anticipation_moves_effects_earlier():
    df, _ = _panel(n_managers=12, periods=6, cohorts=(3, 5), rng=1)
    c0, c1 = _cells(df), _cells(df, anticipation=1)
    assert c1.frame["_treated"].sum() > c0.frame["_treated"].sum()
    d1 = bmod._design(c1)
    assert d1.event_times.min() == -1
    assert d1.att_weights[d1.ge["event_time"].to_numpy() < 0].sum() == 0


# --- bad input ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    return _panel(n_managers=8, periods=4, cohorts=(3,), team_size=3, rng=3)[0]


def test_bad_input_errors(small):
    df = small
    with pytest.raises(TypeError, match="DataFrame"):
        bayesian(df.to_numpy(), **FIT)
    with pytest.raises(ValueError, match=r"'score'.*outcome="):
        bayesian(df, **{**FIT, "outcome": "score"})
    with pytest.raises(ValueError, match=r"'manager'.*not found"):
        bayesian(df.drop(columns="manager"), **FIT)
    bad = df.assign(engagement=df["engagement"].astype(str).where(df.index > 0, "high"))
    with pytest.raises(TypeError, match="must be numeric"):
        bayesian(bad, **FIT)
    with pytest.raises(ValueError, match="must hold the first treated period"):
        bayesian(df.assign(coached_from=df["coached_from"].replace(3, 9)), **FIT)
    rev = df.copy()
    never_team = rev.loc[rev["coached_from"] == 0, "team"].iloc[0]
    rev.loc[(rev["team"] == never_team) & (rev["quarter"] == 4), "coached_from"] = 3
    with pytest.raises(ValueError, match="never reverse"):
        bayesian(rev, **FIT)
    with pytest.raises(ValueError, match=r"no untreated\s+pre-period"):
        bayesian(df.assign(coached_from=df["coached_from"].replace(3, 1)), **FIT)
    with pytest.raises(ValueError, match="anticipation=1"):
        bayesian(df.assign(coached_from=df["coached_from"].replace(3, 2)), **FIT,
                 anticipation=1)
    with pytest.raises(ValueError, match="no comparison group"):
        bayesian(df[df["coached_from"] == 3], **FIT)
    with pytest.raises(ValueError, match="whole-number periods"):
        bayesian(df.assign(quarter=df["quarter"] + 0.5), **FIT)
    moved = df.copy()
    moved.loc[moved.index[-1], "manager"] = moved["manager"].iloc[0]
    with pytest.raises(ValueError, match="more than one 'manager'"):
        bayesian(moved, **FIT)
    with pytest.raises(ValueError, match="missing value"):
        bayesian(df.assign(engagement=df["engagement"].where(df.index != 5)), **FIT)
    with pytest.raises(ValueError, match=r"Did you mean 0\.95"):
        bayesian(df, **FIT, ci_level=95)
    with pytest.raises(ValueError, match="draws must be at least 1"):
        bayesian(df, **FIT, draws=0)
    with pytest.raises(TypeError, match="chains must be an integer"):
        bayesian(df, **FIT, chains=2.0)
    with pytest.raises(TypeError, match="levels: expected a list"):
        bayesian(df, **COLS, levels=3)


def test_bad_means_input_errors(small):
    m = _means(small)
    with pytest.raises(ValueError, match="sd= was given without n="):
        bayesian(m, **FIT, sd="sd")
    with pytest.raises(ValueError, match=r"share a .*team, quarter"):
        bayesian(pd.concat([m, m.head(2)]), **FIT, n="n")
    with pytest.raises(ValueError, match=r"'n'.*must lie in \[1, inf\]"):
        bayesian(m.assign(n=0), **FIT, n="n")
    with pytest.raises(ValueError, match=r"'sd'.*must lie in"):
        bayesian(m.assign(sd=-1.0), **FIT, n="n", sd="sd")


def test_aggregate_panel_output_is_accepted_with_single_response_cells(small):
    from coachstats.did import aggregate_panel

    cell = (small["team"] == small["team"].iloc[0]) & (small["quarter"] == 1)
    df = small.drop(index=small.index[cell][1:])  # that cell keeps one response
    agg = aggregate_panel(df, "engagement", "team", "quarter", keep=["manager", "coached_from"])
    assert agg["sd"].isna().any()
    ref = _cells(df)
    cells = _cells(agg, n="n", sd="sd")
    assert cells.shape == "means_sd" and cells.n_obs == len(df)
    np.testing.assert_allclose(cells.frame["ss"], ref.frame["ss"], atol=1e-10)
    np.testing.assert_allclose(cells.frame["mean"], ref.frame["mean"])
    with pytest.raises(ValueError, match="missing value"):
        _cells(agg.assign(sd=np.nan), n="n", sd="sd")


def test_dropna_counts_dropped_rows(small):
    df = small.assign(engagement=small["engagement"].where(small.index % 50 != 0))
    cells = _cells(df, dropna=True)
    assert cells.n_dropped_missing == int(df["engagement"].isna().sum()) > 0
    assert cells.n_obs == len(df) - cells.n_dropped_missing


def test_recovery_check_functions_are_picklable_and_match_terms():
    import pickle

    for fn in (bmod._recovery_generate, bmod._recovery_estimate, bmod._recovery_truth):
        assert pickle.loads(pickle.dumps(fn)) is fn
    sim = cs.simulate.engagement_panel(n_managers=12, periods=8, rng=1)
    keys = list(bmod._recovery_truth(sim))
    assert keys[0] == "att" and keys[1:] == [f"event_time[{e}]" for e in range(len(keys) - 1)]


# --- full-size recovery (slow) ----------------------------------------------------------------


def _full_size(rng):
    """The 200-manager, 8-quarter study (generator defaults otherwise)."""
    return cs.simulate.engagement_panel(n_managers=200, periods=8, rng=rng)


def _fit_full(data, rng):
    return bayesian(data, **FIT, draws=500, tune=500, chains=2, rng=rng)


@pytest.mark.slow
def test_full_size_recovery_bias_and_coverage():
    from coachstats.validate import recovery

    res = recovery(_fit_full, _full_size, truth=_truth, n_reps=20, rng=2024)
    tab = res.to_frame().set_index("term")
    print(tab[["bias", "bias_mcse", "rmse", "coverage", "coverage_mcse"]].to_string())
    assert tab["n_failed"].sum() == 0
    att = tab.loc["att"]
    assert abs(att["bias"]) < 3 * att["bias_mcse"] + 0.005
    # 20 replicates: P(coverage <= 0.8 | true 0.95) is about 1.6%
    assert att["coverage"] > 0.8
    assert (tab["coverage"] >= 0.75).all(), tab["coverage"]
