"""Bayesian structural time series: the counterfactual of one series forecast from its past.

The CausalImpact model (Brodersen et al. 2015) with a local level and a static regression on
series the program did not affect (a sister division, a benchmark)::

    y_t  = mu_t + x_t' beta + e_t,       e_t   ~ N(0, sigma_obs^2)
    mu_t = mu_{t-1} + eta_t,             eta_t ~ N(0, sigma_level^2)

It is fitted on the pre-program waves only. The counterfactual of each post-program wave is
the posterior predictive forecast (level carried forward as a random walk, the covariates at
their observed post-program values); the effects are observed minus counterfactual, per wave
(pointwise), averaged over the post-program waves and summed (cumulative), each with an
equal-tailed credible interval of the probability the caller names, and P(average effect > 0).

The outcome and covariates are standardised by their pre-program mean and SD and the priors
are stated on that scale: ``sigma_obs ~ HalfNormal(1)``, ``sigma_level ~ HalfNormal(0.5)``,
initial level ``N(0, 2^2)``, each coefficient ``N(0, 2^2)`` (per SD of the covariate, in SD
of the outcome). Given the two standard deviations the model is linear and Gaussian, so the
level path and the coefficients are integrated out exactly: the sampled likelihood is the
multivariate normal ``y ~ N(0, sigma_obs^2 I + 4 (1 1' + X X') + sigma_level^2 min(s, t))``
(the Kalman filter's prediction-error likelihood written in closed form), and NUTS samples
only ``sigma_obs`` and ``sigma_level``. For each draw of those, the level and coefficients at
the end of the pre-period are drawn from their exact Gaussian posterior (Kalman filter) and
the post-program path is simulated forward. The compiled model has the same two parameters
whatever the series length and the number of covariates, so it is compiled once (and cached
on disk). Unlike CausalImpact the coefficients have a Gaussian prior, not a spike-and-slab
one: with many candidate covariates choose the few that matter first.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import bayes
from .._rng import RNGLike, as_generator
from .._validate import (
    check_choice,
    check_ci_level,
    check_int,
    prepare,
    require_unique_keys,
)
from ..privacy import DEFAULT_MIN_GROUP_SIZE
from ..results import Caution, Result, new_axes, tidy_frame
from ._respondents import wave_means

__all__ = ["StructuralTimeSeriesResult", "structural"]

#: Prior scales on the standardised outcome (see the module docstring).
SIGMA_OBS_SCALE = 1.0
SIGMA_LEVEL_SCALE = 0.5
LEVEL0_SD = 2.0
BETA_SD = 2.0
_PARAMS = ("sigma_obs", "sigma_level")


def _build(d: dict[str, np.ndarray]) -> Any:
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model() as model:
        y = pm.Data("y", d["y"])
        x = pm.Data("x", d["x"])
        beta_sd = pm.Data("beta_sd", d["beta_sd"])
        scales = pm.Data("scales", d["scales"])  # sigma_obs, sigma_level, level0 sd
        sigma_obs = pm.HalfNormal("sigma_obs", scales[0])
        sigma_level = pm.HalfNormal("sigma_level", scales[1])
        idx = pt.arange(y.shape[0])
        steps = pt.minimum(idx[:, None], idx[None, :])
        xs = x * beta_sd[None, :]
        cov = (sigma_obs**2 * pt.eye(y.shape[0]) + scales[2] ** 2
               + sigma_level**2 * steps + pt.dot(xs, xs.T))
        pm.MvNormal("y_obs", mu=pt.zeros(y.shape[0]), cov=cov, observed=y)
    return model


def _model_data(y: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    if x.shape[1] == 0:  # a column of zeros keeps one compiled graph for every case
        x = np.zeros((len(y), 1))
        beta_sd = np.zeros(1)
    else:
        beta_sd = np.full(x.shape[1], BETA_SD)
    return {"y": np.asarray(y, float), "x": np.asarray(x, float), "beta_sd": beta_sd,
            "scales": np.array([SIGMA_OBS_SCALE, SIGMA_LEVEL_SCALE, LEVEL0_SD])}


def compiled_structural_model() -> Any:
    """The compiled local-level model (one for every series length and covariate count)."""
    from ..bayes.compiled import cached_model

    example = _model_data(np.linspace(-1, 1, 8), np.zeros((8, 0)))
    return cached_model(("coachstats.timeseries.structural", 1), _build, example,
                        var_names=list(_PARAMS))


def kalman_filter(y: np.ndarray, x: np.ndarray, sigma2_obs: np.ndarray,
                  sigma2_level: np.ndarray, level0_var: float, beta_var: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kalman filter of the local level with static regression, vectorised over draws.

    State ``(mu_t, beta)``, initial state ``N(0, diag(level0_var, beta_var))``.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Pre-period outcome.
    x : ndarray, shape (n, k)
        Pre-period covariates (``k`` may be 0).
    sigma2_obs, sigma2_level : ndarray, shape (d,)
        Observation and level variances, one per draw.
    level0_var : float
        Prior variance of the first level.
    beta_var : ndarray, shape (k,)
        Prior variances of the coefficients.

    Returns
    -------
    a : ndarray, shape (d, 1 + k)
        Predicted state mean for the first period after the data.
    p : ndarray, shape (d, 1 + k, 1 + k)
        Its covariance.
    loglik : ndarray, shape (d,)
        Log-likelihood (prediction-error decomposition).
    """
    s_obs = np.atleast_1d(np.asarray(sigma2_obs, float))
    s_lvl = np.atleast_1d(np.asarray(sigma2_level, float))
    n_draws, k = len(s_obs), x.shape[1]
    m = 1 + k
    a = np.zeros((n_draws, m))
    p = np.zeros((n_draws, m, m))
    p[:, 0, 0] = level0_var
    if k:
        p[:, np.arange(1, m), np.arange(1, m)] = np.asarray(beta_var, float)
    ll = np.zeros(n_draws)
    for t in range(len(y)):
        z = np.r_[1.0, x[t]]
        v = y[t] - a @ z
        pz = p @ z
        f = pz @ z + s_obs
        gain = pz / f[:, None]
        a = a + gain * v[:, None]
        p = p - gain[:, :, None] * pz[:, None, :]
        p = 0.5 * (p + np.transpose(p, (0, 2, 1)))
        p[:, 0, 0] += s_lvl
        ll += -0.5 * (math.log(2 * math.pi) + np.log(f) + v * v / f)
    return a, p, ll


def forecast_moments(a: np.ndarray, p: np.ndarray, x_post: np.ndarray, sigma2_obs: np.ndarray,
                     sigma2_level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of each post-period forecast given the filtered state, per draw."""
    z = np.column_stack([np.ones(len(x_post)), x_post])  # (h, m)
    mean = a @ z.T
    h = np.arange(len(x_post))
    var = (np.einsum("hm,dmn,hn->dh", z, p, z) + np.outer(sigma2_level, h)
           + np.asarray(sigma2_obs)[:, None])
    return mean, var


def _simulate_forecast(a: np.ndarray, p: np.ndarray, x_post: np.ndarray, sigma_obs: np.ndarray,
                       sigma_level: np.ndarray, g: np.random.Generator) -> np.ndarray:
    n_draws, m = a.shape
    h = len(x_post)
    jitter = 1e-12 * np.eye(m)
    chol = np.linalg.cholesky(p + jitter)
    state = a + np.einsum("dij,dj->di", chol, g.standard_normal((n_draws, m)))
    steps = g.standard_normal((n_draws, h))
    steps[:, 0] = 0.0
    level = state[:, :1] + np.cumsum(steps, axis=1) * sigma_level[:, None]
    reg = state[:, 1:] @ x_post.T if m > 1 else 0.0
    return level + reg + sigma_obs[:, None] * g.standard_normal((n_draws, h))


@dataclass(frozen=True)
class StructuralTimeSeriesResult(Result):
    """Program effect as observed minus a Bayesian structural forecast (CausalImpact-style).

    ``to_frame()`` terms: ``average_effect`` (mean over the post-program waves),
    ``cumulative_effect`` (their sum), ``effect_<t>`` for each post-program time ``t``
    (pointwise), then ``sigma_obs`` and ``sigma_level`` (in outcome units) and
    ``beta:<covariate>`` (per unit of the covariate). ``estimate`` is the posterior mean,
    ``std_error`` the posterior SD, ``ci_low``/``ci_high`` an equal-tailed credible interval of
    probability ``ci_level``.

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table above.
    series : DataFrame
        ``time, observed, counterfactual, ci_low, ci_high, effect, effect_low, effect_high``
        (counterfactual columns missing before the program).
    outcome, time : str
        Outcome and time columns.
    intervention : float
        Program start ``t0``.
    covariates : tuple of str
        Regression covariates.
    n_pre, n_post : int
        Periods before and from the program start.
    ci_level : float
        Probability of the credible intervals.
    prob_positive : float
        Posterior probability that the average effect is above zero.
    diagnostics : Diagnostics
        R-hat, ESS and divergences of the sampler (``sigma_obs``, ``sigma_level``).
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    min_respondents : int or None
        Fewest distinct respondents behind a wave mean (None when not checked).
    min_group_size : int
        Threshold the waves were checked against.
    draws : dict of str to ndarray
        Posterior draws of ``average_effect``, ``cumulative_effect``, ``counterfactual``
        (draws x post-program waves), ``sigma_obs`` and ``sigma_level`` (outcome units).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_series(n_donors=0, rng=2)
    >>> res = cs.timeseries.structural(sim.data, "engagement", "wave", intervention=13,
    ...                                draws=300, tune=300, chains=2, rng=2)  # doctest: +SKIP
    >>> res.to_frame()["term"].iloc[0]                                       # doctest: +SKIP
    'average_effect'
    """

    table: pd.DataFrame = field(repr=False, compare=False)
    series: pd.DataFrame = field(repr=False, compare=False)
    outcome: str = "outcome"
    time: str = "time"
    intervention: float = 0.0
    covariates: tuple[str, ...] = ()
    n_pre: int = 0
    n_post: int = 0
    ci_level: float = 0.95
    prob_positive: float = math.nan
    diagnostics: Any = field(default=None, repr=False, compare=False)
    n_dropped: int = 0
    min_respondents: int | None = None
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    central = "posterior mean"

    @property
    def title(self) -> str:
        return (f"Bayesian structural time series of {self.outcome} (program from {self.time} "
                f"= {self.intervention:g})")

    @property
    def average_effect(self) -> float:
        """Posterior mean of the average post-program effect."""
        return float(self.table.set_index("term").loc["average_effect", "estimate"])

    def posterior_draws(self, term: str) -> np.ndarray | None:
        """Posterior draws of ``average_effect``, ``cumulative_effect`` or ``effect_<t>``."""
        if term in ("average_effect", "cumulative_effect"):
            return self.draws[term].copy()
        if term.startswith("effect_") and "counterfactual" in self.draws:
            post = self.series.loc[self.series["time"] >= self.intervention]
            labels = [f"effect_{t:g}" for t in post["time"]]
            if term in labels:
                j = labels.index(term)
                return float(post["observed"].iloc[j]) - self.draws["counterfactual"][:, j]
        return None

    @property
    def notes(self) -> list[str]:
        pct = f"{100 * self.ci_level:g}%"
        reg = (" plus a static regression on " + ", ".join(self.covariates)
               if self.covariates else "")
        out = [f"Local level (random walk){reg}, fitted on the {self.n_pre} pre-program "
               f"waves; the counterfactual of the {self.n_post} post-program waves is the "
               f"posterior predictive forecast. Estimates are posterior means with {pct} "
               "equal-tailed credible intervals (Brodersen et al. 2015).",
               f"P(average effect > 0) = {self.prob_positive:.3f}.",
               "Priors on the pre-period standardised scale: sigma_obs ~ HalfNormal("
               f"{SIGMA_OBS_SCALE:g}), sigma_level ~ HalfNormal({SIGMA_LEVEL_SCALE:g}), initial "
               f"level ~ N(0, {LEVEL0_SD:g}^2)"
               + (f", coefficients ~ N(0, {BETA_SD:g}^2) per SD of each covariate"
                  if self.covariates else "") + "; level and coefficients integrated out "
               "exactly (Kalman filter)."]
        d = self.diagnostics
        if d is not None:
            out.append(f"Sampler: {d.chains} chains x {d.draws} draws; largest R-hat "
                       f"{d.max_rhat:.3f}, smallest ESS "
                       f"{min(d.min_ess_bulk, d.min_ess_tail):.0f}, {d.n_divergent} divergent "
                       "transitions.")
        if self.min_respondents is not None:
            out.append(f"Every wave mean rests on at least {self.min_respondents} distinct "
                       f"respondents (threshold {self.min_group_size}).")
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        out = ["Without the program the series would have continued as a random-walk level"
               + (" plus the same regression on the covariates" if self.covariates else "")
               + ": no other change at the program start (a reorganisation, a new survey, a "
               "new chief executive).",
               "The series measures the same population the same way throughout; "
               "observation errors are independent and normal with one variance."]
        if self.covariates:
            out.append("The covariates (" + ", ".join(self.covariates) + ") were not affected "
                       "by the program, and their relation to the outcome is the same before "
                       "and after it.")
        return out

    def limitations(self) -> list[str]:
        return ["A random-walk level has no trend: a steady pre-program rise is not "
                "projected forward, and the counterfactual band widens with the horizon "
                "(its variance grows by sigma_level^2 each wave), so late post-program "
                "effects are uncertain.",
                "One organisation: any event that coincides with the program is part of the "
                "estimate, unless a covariate series shares it.",
                "With few pre-program waves the split between level drift and noise rests "
                "partly on the priors."]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = list(self.diagnostics.cautions) if self.diagnostics is not None else []
        if self.n_pre < 8:
            out.append(Caution("short_pre_period",
                               f"Only {self.n_pre} pre-program waves to learn the series' "
                               "behaviour from; the forecast rests heavily on the priors.",
                               float(self.n_pre)))
        if self.min_respondents is None:
            out.append(Caution("respondents_unchecked",
                               "The number of respondents behind each wave mean was not "
                               "checked (give person= or respondents=).", math.nan))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, panel: str = "both", **kwargs: Any) -> Any:
        """Observed series against the counterfactual band, and the pointwise effect.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on. When None and ``panel="both"`` a figure with two stacked panels
            is made (the second is ``ax.figure.axes[1]``).
        panel : {"both", "series", "effect"}
            What to draw; with a given ``ax``, ``"both"`` draws the series panel.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The (first) Axes drawn on.
        """
        panel = str(check_choice(panel, "panel", ("both", "series", "effect")))
        if ax is None and panel == "both":
            import matplotlib.pyplot as plt

            _fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7.0, 6.0), sharex=True,
                                          height_ratios=(2, 1))
        else:
            ax = new_axes(ax, figsize=(7.0, 4.0))
            ax2 = None
        s = self.series
        post = s["time"] >= self.intervention
        pct = f"{100 * self.ci_level:g}%"
        if panel in ("both", "series"):
            ax.plot(s["time"], s["observed"], "o-", color="0.3", ms=3, lw=1, label="observed")
            ax.plot(s.loc[post, "time"], s.loc[post, "counterfactual"], color="C0", ls="--",
                    label="counterfactual (posterior mean)")
            ax.fill_between(s.loc[post, "time"], s.loc[post, "ci_low"], s.loc[post, "ci_high"],
                            color="C0", alpha=0.2, label=f"{pct} credible band")
            ax.set_ylabel(self.outcome)
            ax.set_title(self.title, fontsize=10)
            ax.legend(frameon=False, fontsize=8)
            ax.axvline(self.intervention, color="C3", lw=1, ls=":")
        eff_ax = ax2 if ax2 is not None else (ax if panel == "effect" else None)
        if eff_ax is not None:
            eff_ax.plot(s.loc[post, "time"], s.loc[post, "effect"], color="C1",
                        label="pointwise effect")
            eff_ax.fill_between(s.loc[post, "time"], s.loc[post, "effect_low"],
                                s.loc[post, "effect_high"], color="C1", alpha=0.2)
            eff_ax.axhline(0, color="0.5", lw=0.8)
            eff_ax.axvline(self.intervention, color="C3", lw=1, ls=":")
            eff_ax.set_ylabel("effect")
            eff_ax.legend(frameon=False, fontsize=8)
        (ax2 if ax2 is not None else ax).set_xlabel(self.time)
        return ax


def structural(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    *,
    intervention: float,
    covariates: Sequence[str] = (),
    ci_level: float = 0.95,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.99,
    rng: RNGLike = None,
    person: str | None = None,
    respondents: str | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    dropna: bool = False,
) -> StructuralTimeSeriesResult:
    """Bayesian structural time series (local level + regression) around a program start.

    See the module docstring for the model and priors. Fitted on the waves before
    ``intervention``; the post-program counterfactual is the posterior predictive forecast.

    Parameters
    ----------
    data : DataFrame
        One row per time point (or per response with ``person=``); never modified.
    outcome : str
        Numeric series (e.g. mean engagement per survey wave).
    time : str
        Numeric time (wave number); one row per value.
    intervention : float
        First time value under the program (``t0``).
    covariates : sequence of str
        Numeric series not affected by the program (e.g. a sister division's engagement),
        one value per time point, entering a static regression.
    ci_level : float
        Probability of the equal-tailed credible intervals.
    draws, tune, chains : int
        Posterior draws per chain, tuning steps per chain and chains (nutpie NUTS).
    target_accept : float
        NUTS target acceptance rate; the default 0.99 (small steps) avoids the occasional
        divergent transition of this two-parameter posterior at a negligible cost.
    rng : int, Generator or None
        Seeds the sampler and the forecast draws; the same seed gives the same numbers.
    person : str, optional
        Respondent column when ``data`` holds one row per survey response: the wave means are
        computed here and a wave answered by fewer than ``min_group_size`` distinct people is
        refused (covariates must then be constant within a wave).
    respondents : str, optional
        For a series already aggregated: the column holding each wave's number of distinct
        respondents, checked against ``min_group_size``.
    min_group_size : int
        Fewest respondents a published wave mean may rest on (default 5, never below 3).
    dropna : bool
        Drop rows with a missing value (counted in ``n_dropped``) instead of raising.

    Returns
    -------
    StructuralTimeSeriesResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_series(n_donors=0, rng=1)
    >>> res = cs.timeseries.structural(sim.data, "engagement", "wave", intervention=13,
    ...                                draws=300, tune=300, chains=2, rng=1)  # doctest: +SKIP
    >>> res.to_frame()["term"].tolist()[:2]                                  # doctest: +SKIP
    ['average_effect', 'cumulative_effect']
    """
    ci_level = check_ci_level(ci_level)
    for name, v in (("draws", draws), ("tune", tune), ("chains", chains)):
        check_int(v, name, minimum=1)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    if outcome in covariates or time in covariates:
        raise ValueError(f"covariates {covariates!r} must not include the outcome or time "
                         "column.")
    cols: dict[str, str | None] = {"outcome": outcome, "time": time, "person": person,
                                   "respondents": respondents}
    cols.update({f"covariates[{i}]": c for i, c in enumerate(covariates)})
    num = ["outcome", "time", "respondents", *[f"covariates[{i}]" for i in range(len(covariates))]]
    frame, miss = prepare(data, cols, numeric=num, dropna=dropna)
    if person is None:
        require_unique_keys(frame, [time], hint="A structural time series has one value per "
                            "time point; average the rows of each wave first, or name the "
                            "respondent column with person= to have it done here.")
    cov_frame = None
    if covariates:
        if person is not None:
            varying = frame.groupby(time)[covariates].nunique().gt(1)
            if varying.to_numpy().any():
                col = varying.columns[varying.any()][0]
                raise ValueError(f"covariate {col!r} varies within waves of {time!r} "
                                 f"(e.g. {varying.index[varying[col]].tolist()[:5]}); a "
                                 "covariate series has one value per wave.")
        cov_frame = frame.groupby(time)[covariates].first()
    means, fewest = wave_means(frame.drop(columns=covariates), outcome, [time], person=person,
                               respondents=respondents, min_group_size=min_group_size)
    means = means.sort_values(time)
    t = means[time].to_numpy(float)
    y = means[outcome].to_numpy(float)
    xraw = (cov_frame.loc[means[time]].to_numpy(float) if cov_frame is not None
            else np.zeros((len(t), 0)))
    if not (np.isfinite(t).all() and np.isfinite(y).all() and np.isfinite(xraw).all()):
        raise ValueError(f"columns {[outcome, time, *covariates]!r} must be finite.")
    t0 = float(intervention)
    pre = t < t0
    n_pre, n_post = int(pre.sum()), int((~pre).sum())
    if n_pre < 3 or n_post < 1:
        raise ValueError(f"need at least 3 time points before and 1 from intervention={t0:g} "
                         f"in column {time!r}; found {n_pre} before and {n_post} after.")
    y_mean, y_sd = float(y[pre].mean()), float(y[pre].std(ddof=1))
    if not y_sd > 0:
        raise ValueError(f"column {outcome!r} is constant before intervention={t0:g}; there "
                         "is no variation to model.")
    x_mean = xraw[pre].mean(axis=0)
    x_sd = xraw[pre].std(axis=0, ddof=1)
    if covariates and not (x_sd > 0).all():
        bad = [c for c, s in zip(covariates, x_sd, strict=True) if not s > 0]
        raise ValueError(f"covariate(s) {bad} are constant before intervention={t0:g}; drop "
                         "them (a constant is absorbed by the level).")
    ys = (y - y_mean) / y_sd
    xs = (xraw - x_mean) / np.where(x_sd > 0, x_sd, 1.0)

    g = as_generator(rng)
    cm = compiled_structural_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        idata = cm.fit(_model_data(ys[pre], xs[pre]), draws=draws, tune=tune, chains=chains,
                       target_accept=target_accept, rng=g)
    diag = bayes.diagnose(idata, list(_PARAMS))
    chain_shape = bayes.draws(idata, "sigma_obs").shape
    s_obs = bayes.draws(idata, "sigma_obs").reshape(-1)
    s_lvl = bayes.draws(idata, "sigma_level").reshape(-1)
    k = len(covariates)
    a, p, _ = kalman_filter(ys[pre], xs[pre], s_obs**2, s_lvl**2, LEVEL0_SD**2,
                            np.full(k, BETA_SD**2))
    # coefficient draws from their exact conditional posterior, then the forecast path
    cf_std = _simulate_forecast(a, p, xs[~pre], s_obs, s_lvl, g)
    counter = y_mean + y_sd * cf_std  # (draws, n_post)
    effect = y[~pre][None, :] - counter
    avg = effect.mean(axis=1)
    cum = effect.sum(axis=1)
    alpha = (1 - ci_level) / 2

    def row(term: str, v: np.ndarray, **extra: Any) -> dict[str, Any]:
        r, eb, et = bayes._rhat_ess(v.reshape(chain_shape))
        return {"term": term, "estimate": float(v.mean()), "std_error": float(v.std(ddof=1)),
                "ci_low": float(np.quantile(v, alpha)),
                "ci_high": float(np.quantile(v, 1 - alpha)), "ci_level": ci_level,
                "median": float(np.median(v)), "ci_kind": "equal-tailed", "rhat": r,
                "ess_bulk": eb, "ess_tail": et, **extra}

    rows = [row("average_effect", avg, prob_positive=float(np.mean(avg > 0))),
            row("cumulative_effect", cum)]
    for j, tj in enumerate(t[~pre]):
        rows.append(row(f"effect_{tj:g}", effect[:, j], time=float(tj)))
    rows += [row("sigma_obs", y_sd * s_obs), row("sigma_level", y_sd * s_lvl)]
    if k:
        chol = np.linalg.cholesky(p[:, 1:, 1:] + 1e-12 * np.eye(k))
        beta = a[:, 1:] + np.einsum("dij,dj->di", chol, g.standard_normal((len(a), k)))
        for j, c in enumerate(covariates):
            rows.append(row(f"beta:{c}", beta[:, j] * y_sd / x_sd[j]))
    n = len(t)
    cf_mean = np.full(n, np.nan)
    band = np.full((2, n), np.nan)
    eff = np.full((3, n), np.nan)
    cf_mean[~pre] = counter.mean(axis=0)
    band[:, ~pre] = np.quantile(counter, [alpha, 1 - alpha], axis=0)
    eff[0, ~pre] = effect.mean(axis=0)
    eff[1:, ~pre] = np.quantile(effect, [alpha, 1 - alpha], axis=0)
    series = pd.DataFrame({"time": t, "observed": y, "counterfactual": cf_mean,
                           "ci_low": band[0], "ci_high": band[1], "effect": eff[0],
                           "effect_low": eff[1], "effect_high": eff[2]})
    return StructuralTimeSeriesResult(
        table=tidy_frame(rows), series=series, outcome=outcome, time=time, intervention=t0,
        covariates=tuple(covariates), n_pre=n_pre, n_post=n_post, ci_level=ci_level,
        prob_positive=float(np.mean(avg > 0)), diagnostics=diag, n_dropped=miss.n_dropped,
        min_respondents=fewest, min_group_size=min_group_size,
        draws={"average_effect": avg, "cumulative_effect": cum, "counterfactual": counter,
               "sigma_obs": y_sd * s_obs, "sigma_level": y_sd * s_lvl})
