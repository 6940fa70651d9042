"""Bayesian structural time series (timeseries.structural).

Reference: with the two variances fixed the model is linear and Gaussian, so the likelihood,
the filtered state and the forecast are those of the Kalman filter; statsmodels'
``UnobservedComponents(level="llevel", exog=X, mle_regression=False)`` with the same known
initial state computes them independently (its coefficients are states, as ours are
integrated out). The pinned numbers below were computed with statsmodels 0.15.0 on the data
of ``_fixed_data()``: ``mod.initialize_known(zeros(3), diag([4, 4, 4]))``,
``mod.loglikelihood_burn = 0``, ``res = mod.filter([0.25, 0.09])``,
``res.get_forecast(6, exog=x_post)``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.timeseries import _recovery as R
from coachstats.timeseries.structural import (
    BETA_SD,
    LEVEL0_SD,
    _build,
    _model_data,
    forecast_moments,
    kalman_filter,
)
from coachstats.validate.recovery import recovery

# statsmodels 0.15.0, fixed variances (sigma2.irregular 0.25, sigma2.level 0.09): see above
SM_LLF = -22.186451386863844
SM_FORECAST_MEAN = [2.2083309127789894, 2.3551761703680856, 2.31170390121185,
                    2.220653614780609, 2.543358370739474, 2.5726920047763207]
SM_FORECAST_VAR = [0.46640762355592835, 0.5568057241768505, 0.6425757146377113,
                   0.7248125998181782, 0.917728835671207, 1.1473705886408354]


def _fixed_data():
    rng = np.random.default_rng(0)
    n, h = 15, 6
    x = rng.normal(size=(n + h, 2))
    y = np.cumsum(rng.normal(0, 0.3, n)) + x[:n] @ [0.5, -0.3] + rng.normal(0, 0.5, n)
    return y, x[:n], x[n:]


def _statsmodels_fit(y, x, s2_obs, s2_lvl, level_var, beta_var, x_post):
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    k = x.shape[1]
    mod = UnobservedComponents(y, level="llevel", exog=x if k else None,
                               mle_regression=False)
    mod.initialize_known(np.zeros(1 + k), np.diag([level_var, *([beta_var] * k)]))
    mod.loglikelihood_burn = 0
    res = mod.filter([s2_obs, s2_lvl])
    fc = res.get_forecast(len(x_post), exog=x_post if k else None)
    return res.llf, np.asarray(fc.predicted_mean), np.asarray(fc.var_pred_mean)


def test_kalman_filter_equals_statsmodels():
    y, x, x_post = _fixed_data()
    llf, mean, var = _statsmodels_fit(y, x, 0.25, 0.09, 4.0, 4.0, x_post)
    a, p, ll = kalman_filter(y, x, np.array([0.25]), np.array([0.09]), 4.0, np.full(2, 4.0))
    m, v = forecast_moments(a, p, x_post, np.array([0.25]), np.array([0.09]))
    np.testing.assert_allclose(ll[0], SM_LLF, rtol=1e-10)
    np.testing.assert_allclose(ll[0], llf, rtol=1e-10)
    np.testing.assert_allclose(m[0], mean, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(v[0], var, rtol=1e-8)
    np.testing.assert_allclose(m[0], SM_FORECAST_MEAN, rtol=1e-8)
    np.testing.assert_allclose(v[0], SM_FORECAST_VAR, rtol=1e-8)


def test_pymc_likelihood_equals_kalman_likelihood():
    """The sampled closed-form likelihood is the Kalman filter's, at any variances."""
    import pymc as pm

    y, x, _ = _fixed_data()
    model = _build(_model_data(y, x))
    logp = model.compile_logp(vars=[model["y_obs"]], jacobian=False)
    for so, sl in [(0.5, 0.3), (1.3, 0.05), (0.2, 0.9)]:
        point = {"sigma_obs_log__": np.log(so), "sigma_level_log__": np.log(sl)}
        _, _, ll = kalman_filter(y, x, np.array([so**2]), np.array([sl**2]), LEVEL0_SD**2,
                                 np.full(2, BETA_SD**2))
        np.testing.assert_allclose(float(logp(point)), ll[0], rtol=1e-8)
    # and the same compiled graph serves another length and no covariates
    with model:
        pm.set_data({"y": y[:9], "x": np.zeros((9, 1)), "beta_sd": np.zeros(1)})
    _, _, ll = kalman_filter(y[:9], np.zeros((9, 0)), np.array([0.25]), np.array([0.09]),
                             LEVEL0_SD**2, np.zeros(0))
    point = {"sigma_obs_log__": np.log(0.5), "sigma_level_log__": np.log(0.3)}
    np.testing.assert_allclose(float(logp(point)), ll[0], rtol=1e-8)


@pytest.fixture(scope="module")
def company():
    sim = R.generate_bsts(np.random.default_rng(11))
    return sim


@pytest.fixture(scope="module")
def fit(company):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.bayes.ConvergenceWarning)
        return cs.timeseries.structural(company.data, "engagement", "wave", intervention=13,
                                        covariates=["donors"], draws=500, tune=500, chains=2,
                                        rng=3)


def test_posterior_counterfactual_equals_statsmodels_forecast(company, fit):
    """Posterior mean and SD of the counterfactual against the Kalman forecast.

    Given the variance draws, each counterfactual draw is an exact Gaussian forecast, so the
    posterior mean must equal the average of statsmodels' forecast means over those draws
    (computed with our filter, itself equal to statsmodels to 1e-8 above, and checked against
    statsmodels directly at the posterior medians) up to the simulation error
    sqrt(mean forecast variance / draws); 4 Monte Carlo SEs.
    """
    d = company.data
    pre = d["wave"] < 13
    y, xr = d["engagement"].to_numpy(), d[["donors"]].to_numpy()
    ym, ysd = y[pre].mean(), y[pre].std(ddof=1)
    xm, xsd = xr[pre].mean(0), xr[pre].std(0, ddof=1)
    ys, xs = (y - ym) / ysd, (xr - xm) / xsd
    so = fit.draws["sigma_obs"] / ysd
    sl = fit.draws["sigma_level"] / ysd
    a, p, _ = kalman_filter(ys[pre], xs[pre], so**2, sl**2, LEVEL0_SD**2, [BETA_SD**2])
    m, v = forecast_moments(a, p, xs[~pre], so**2, sl**2)
    rb_mean = ym + ysd * m.mean(0)
    rb_sd = ysd * np.sqrt(v.mean(0) + m.var(0))
    post = fit.series.loc[fit.series["time"] >= 13]
    mcse = ysd * np.sqrt(v.mean(0) / len(so))
    assert np.all(np.abs(post["counterfactual"].to_numpy() - rb_mean) < 4 * mcse)
    sd = fit.draws["counterfactual"].std(0, ddof=1)
    np.testing.assert_allclose(sd, rb_sd, rtol=0.1)  # SD of a SD from ~1000 draws: ~2-3%
    # statsmodels at the posterior-median variances: the forecast the mixture centres on
    _, sm_mean, sm_var = _statsmodels_fit(ys[pre], xs[pre], np.median(so) ** 2,
                                          np.median(sl) ** 2, LEVEL0_SD**2, BETA_SD**2,
                                          xs[~pre])
    np.testing.assert_allclose(ym + ysd * sm_mean, rb_mean, atol=0.2 * rb_sd.min())
    assert np.all(ysd * np.sqrt(sm_var) < 1.5 * rb_sd)
    # the effects are observed minus counterfactual
    f = fit.to_frame().set_index("term")
    obs = y[~pre]
    np.testing.assert_allclose(f.loc["average_effect", "estimate"],
                               obs.mean() - post["counterfactual"].mean(), rtol=1e-10)
    np.testing.assert_allclose(f.loc["cumulative_effect", "estimate"],
                               obs.sum() - post["counterfactual"].sum(), rtol=1e-10)


def test_result_contents(company, fit):
    f = fit.to_frame()
    assert f["term"].tolist()[:3] == ["average_effect", "cumulative_effect", "effect_13"]
    assert {"effect_24", "sigma_obs", "sigma_level", "beta:donors"} <= set(f["term"])
    assert (f["ci_low"] <= f["estimate"]).all() and (f["estimate"] <= f["ci_high"]).all()
    assert (f["ci_level"] == 0.95).all()
    assert fit.prob_positive == pytest.approx(np.mean(fit.draws["average_effect"] > 0))
    assert any("P(average effect > 0)" in n for n in fit.notes)
    assert any("HalfNormal" in n for n in fit.notes)
    assert fit.n_pre == 12 and fit.n_post == 12
    e14 = fit.posterior_draws("effect_14")
    assert e14.mean() == pytest.approx(f.set_index("term").loc["effect_14", "estimate"])
    assert fit.posterior_draws("sigma_obs") is None
    assert fit.assumptions() and fit.limitations()
    import matplotlib

    matplotlib.use("Agg")
    ax = fit.plot()
    assert len(ax.figure.axes) == 2
    assert fit.plot(panel="effect").get_ylabel() == "effect"


def test_same_seed_same_numbers_and_input_untouched(company):
    d = company.data.copy()
    before = d.copy()
    kw = dict(intervention=13, draws=200, tune=200, chains=2, rng=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.bayes.ConvergenceWarning)
        a = cs.timeseries.structural(d, "engagement", "wave", **kw).to_frame()
        b = cs.timeseries.structural(d, "engagement", "wave", **kw).to_frame()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(d, before)


def test_bad_input(company):
    d = company.data
    with pytest.raises(ValueError, match="at least 3 time points before"):
        cs.timeseries.structural(d, "engagement", "wave", intervention=2)
    with pytest.raises(ValueError, match="one value per time point"):
        cs.timeseries.structural(pd.concat([d, d]), "engagement", "wave", intervention=13)
    e = d.copy()
    e.loc[3, "engagement"] = np.nan
    with pytest.raises(ValueError, match="engagement"):
        cs.timeseries.structural(e, "engagement", "wave", intervention=13)
    c = d.assign(flat=1.0)
    with pytest.raises(ValueError, match="constant before"):
        cs.timeseries.structural(c, "engagement", "wave", intervention=13, covariates=["flat"])
    with pytest.raises(ValueError, match="draws"):
        cs.timeseries.structural(d, "engagement", "wave", intervention=13, draws=0)
    small = d.assign(respondents=np.where(d["wave"] == 5, 3, 60))
    with pytest.raises(ValueError, match="fewer than min_group_size=5"):
        cs.timeseries.structural(small, "engagement", "wave", intervention=13,
                                 respondents="respondents")


def test_recovery_fast():
    """8 replicates: the average effect is unbiased within 3 Monte Carlo SEs."""
    c = R.CHECKS["timeseries.structural"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=8,
                     rng=5).to_frame().set_index("term")
    row = f.loc["average_effect"]
    assert abs(row["bias"]) < 3 * row["bias_mcse"]
    assert row["coverage"] >= 0.75


@pytest.mark.slow
@pytest.mark.parametrize("name", ["timeseries.structural", "timeseries.structural_alone"])
def test_recovery_full(name):
    """Measured (seed 2024, 200 reps): with the donors' mean, bias 0.0077 +- 0.0034, coverage
    0.980 +- 0.010; the series alone, bias 0.0006 +- 0.0040, coverage 0.945 +- 0.016."""
    c = R.CHECKS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=c.default_reps,
                     rng=2024).to_frame().set_index("term")
    row = f.loc["average_effect"]
    assert abs(row["bias"]) < 3 * row["bias_mcse"]
    assert row["coverage"] > 0.9


def test_person_rows_give_the_same_fit_as_wave_means():
    """One row per response: wave means computed here, people counted, small waves refused."""
    rng = np.random.default_rng(4)
    waves = np.repeat(np.arange(1, 17), 6)
    people = np.tile([f"p{i}" for i in range(6)], 16)
    score = 3.5 + 0.01 * waves + (waves >= 11) * 0.2 + rng.normal(0, 0.1, len(waves))
    rows = pd.DataFrame({"wave": waves, "pid": people, "score": score})
    means = rows.groupby("wave", as_index=False)["score"].mean()
    kw = dict(intervention=11, draws=100, tune=100, chains=2, rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.bayes.ConvergenceWarning)
        a = cs.timeseries.structural(rows, "score", "wave", person="pid", **kw)
        b = cs.timeseries.structural(means, "score", "wave", **kw)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.min_respondents == 6 and b.min_respondents is None
    assert "respondents_unchecked" in [c.code for c in b.cautions]
    with pytest.raises(ValueError, match="wave=4: 3"):
        cs.timeseries.structural(rows.loc[~((rows["wave"] == 4) & (rows["pid"] > "p2"))],
                                 "score", "wave", person="pid", **kw)
