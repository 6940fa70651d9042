"""Bayesian random-effects meta-analysis of correlations (PyMC).

Model on Fisher's z (``y_i = atanh r_i``, ``v_i = 1/(n_i - 3)``), with the study effects
integrated out::

    y_i ~ Normal(mu, sqrt(v_i + tau^2))
    mu  ~ Normal(0, mu_sd)
    tau ~ HalfNormal(tau_scale)   or   HalfCauchy(tau_scale)

The predictive distribution of a new study's true correlation is ``tanh(mu + tau * e)``,
``e ~ N(0, 1)``, drawn once per posterior draw. The model is compiled once per prior
family and reused across fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._progress import ProgressLike
from .._rng import RNGLike, as_generator
from .._validate import MissingReport, check_choice, check_ci_level, check_int, check_positive
from ..bayes import Diagnostics, diagnose, posterior_table
from ..results import Result, dropped_notes, missing_reasons, new_axes, tidy_frame
from ._data import study_data

__all__ = ["BayesMetaResult", "bayesian"]


def _build(prior_tau: str):
    def build(d):
        import pymc as pm

        with pm.Model() as model:
            y = pm.Data("y", d["y"])
            v = pm.Data("v", d["v"])
            tau_scale = pm.Data("tau_scale", d["tau_scale"])
            mu_sd = pm.Data("mu_sd", d["mu_sd"])
            mu = pm.Normal("mu", 0.0, mu_sd)
            if prior_tau == "half_normal":
                tau = pm.HalfNormal("tau", tau_scale)
            else:
                tau = pm.HalfCauchy("tau", tau_scale)
            pm.Normal("y_obs", mu, pm.math.sqrt(v + tau**2), observed=y)
        return model

    return build


@dataclass(frozen=True)
class BayesMetaResult(Result):
    """Posterior of the mean (``mu``, Fisher z), between-study SD (``tau``), the mean
    correlation (``r = tanh(mu)``) and a new study's true correlation (``r_new``).

    Parameters
    ----------
    table : DataFrame
        Posterior summaries (the ``to_frame()`` table).
    k : int
        Studies.
    prior_tau : str
        ``"half_normal"`` or ``"half_cauchy"``.
    tau_scale : float
        Scale of the prior on tau.
    mu_sd : float
        SD of the normal prior on the mean Fisher z.
    ci_level : float
        Probability of the equal-tailed credible intervals.
    diagnostics : Diagnostics
        R-hat, ESS and divergences of the sampler.
    r_new_draws : ndarray
        Posterior predictive draws of the true correlation in a new study.
    idata : arviz.InferenceData
        The full posterior.
    missing : MissingReport, optional
        Studies left out for missing values (``dropna=True``), by column.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=20, rng=1)
    >>> res = cs.meta.bayesian(sim.data, draws=300, tune=300, chains=2, rng=1)  # doctest: +SKIP
    >>> res.k  # doctest: +SKIP
    20
    """

    table: pd.DataFrame
    k: int
    prior_tau: str
    tau_scale: float
    mu_sd: float
    ci_level: float
    diagnostics: Diagnostics
    r_new_draws: np.ndarray = field(repr=False, compare=False)
    idata: Any = field(repr=False, compare=False)
    missing: MissingReport | None = field(default=None, repr=False, compare=False)

    @property
    def n_dropped(self) -> int:
        """Studies left out for missing values (``dropna=True``)."""
        return self.missing.n_dropped if self.missing is not None else 0

    @property
    def dropped(self) -> dict[str, int]:
        if self.missing is None:
            return {}
        return missing_reasons(self.missing.n_dropped, self.missing.by_column, "studies")

    @property
    def title(self) -> str:
        return f"Bayesian random-effects meta-analysis of correlations (k = {self.k})"

    @property
    def notes(self) -> list[str]:
        prior = "half-normal" if self.prior_tau == "half_normal" else "half-Cauchy"
        return [
            f"Priors: mu ~ Normal(0, {self.mu_sd:g}) on Fisher z; tau ~ {prior}"
            f"({self.tau_scale:g}). Intervals are {self.ci_level:.0%} equal-tailed "
            "posterior intervals.",
            "r_new: where the true correlation of a new comparable study is expected to lie.",
            *self.diagnostics.notes,
            *dropped_notes(self.dropped),
        ]

    def assumptions(self) -> list[str]:
        return [
            "Independent studies; normal distribution of true effects on Fisher z.",
            "Sampling variances known (1/(n-3)); priors as stated.",
        ]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def prob_above(self, threshold: float, term: str = "r") -> float:
        """Posterior probability that the mean correlation (``term="r"``) or a new study's
        correlation (``term="r_new"``) exceeds ``threshold``."""
        term = check_choice(term, "term", ("r", "r_new"))
        x = self.r_new_draws if term == "r_new" else np.tanh(self._mu_draws())
        return float(np.mean(x > threshold))

    def _mu_draws(self) -> np.ndarray:
        return np.asarray(self.idata["posterior"]["mu"].values).ravel()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Posterior density of the mean correlation and the predictive of a new study.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        r = np.tanh(self._mu_draws())
        bins = np.linspace(min(r.min(), self.r_new_draws.min()),
                           max(r.max(), self.r_new_draws.max()), 60)  # fmt: skip
        ax.hist(self.r_new_draws, bins=bins, density=True, alpha=0.4, color="C1",
                label="new study's r (predictive)")  # fmt: skip
        ax.hist(r, bins=bins, density=True, alpha=0.6, color="C0", label="mean r (posterior)")
        ax.set_xlabel("correlation")
        ax.set_yticks([])
        ax.legend(fontsize=8)
        return ax


def bayesian(
    data: pd.DataFrame,
    r: str = "r",
    n: str = "n",
    *,
    prior_tau: str = "half_normal",
    tau_scale: float = 0.5,
    mu_sd: float = 1.0,
    ci_level: float = 0.95,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.9,
    n_new: int | None = None,
    rng: RNGLike = None,
    dropna: bool = False,
    progress: ProgressLike = False,
) -> BayesMetaResult:
    """Bayesian random-effects meta-analysis of correlations on Fisher's z.

    Parameters
    ----------
    data : DataFrame
    r, n : str
        Correlation and sample-size columns.
    prior_tau : {"half_normal", "half_cauchy"}
        Prior family of the between-study SD tau (on Fisher z, where tau ~ 0.1-0.2 is
        typical for organisational research).
    tau_scale : float
        Scale of that prior.
    mu_sd : float
        SD of the normal prior on the mean Fisher z.
    ci_level : float
        Posterior interval probability (equal-tailed).
    draws, tune, chains, target_accept
        Sampler settings.
    n_new : int, optional
        Also give the posterior predictive of the *observed* correlation in a new study of
        this size (term ``r_new_observed``: true-effect spread plus sampling error).
    rng : int, Generator or None
        Seeds the sampler and the predictive draws.
    dropna : bool, default False
        Drop studies with missing values (counted) instead of raising.
    progress : bool or Progress
        Show a bar of the MCMC draws on standard error (``True``, e.g. in a notebook); a
        :class:`coachstats._progress.Progress` adds it to that display.

    Returns
    -------
    BayesMetaResult
        Posterior summaries of the mean correlation, tau and the predictive correlation.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=20, rng=1)
    >>> res = cs.meta.bayesian(sim.data, draws=300, tune=300, chains=2, rng=1)  # doctest: +SKIP
    >>> res.to_frame()["term"].tolist()  # doctest: +SKIP
    ['mu', 'tau', 'r', 'r_new']
    """
    from ..bayes.compiled import cached_model

    prior_tau = check_choice(prior_tau, "prior_tau", ("half_normal", "half_cauchy"))
    for nm, val in (("tau_scale", tau_scale), ("mu_sd", mu_sd)):
        check_positive(val, nm)
    ci_level = check_ci_level(ci_level)
    if n_new is not None:
        check_int(n_new, "n_new", minimum=4)
    sd = study_data(data, r, n, measure="z", dropna=dropna)
    g = as_generator(rng)
    d = {
        "y": sd.yi,
        "v": sd.vi,
        "tau_scale": np.asarray(float(tau_scale)),
        "mu_sd": np.asarray(float(mu_sd)),
    }
    cm = cached_model(("coachstats.meta.bayesian", prior_tau), _build(prior_tau), d,
                      var_names=["mu", "tau"])  # fmt: skip
    idata = cm.fit(d, draws=draws, tune=tune, chains=chains, target_accept=target_accept, rng=g,
                   progress=progress)
    table = posterior_table(idata, ["mu", "tau"], ci_level=ci_level)
    diag = diagnose(idata, ["mu", "tau"])
    mu = np.asarray(idata["posterior"]["mu"].values).ravel()
    tau = np.asarray(idata["posterior"]["tau"].values).ravel()
    theta_new = mu + tau * g.standard_normal(mu.shape)
    r_new = np.tanh(theta_new)
    a = (1 - ci_level) / 2
    extra = []
    terms = [("r", np.tanh(mu)), ("r_new", r_new)]
    if n_new is not None:
        obs = np.tanh(theta_new + g.standard_normal(mu.shape) / np.sqrt(n_new - 3.0))
        terms.append(("r_new_observed", obs))
    for term, x in terms:
        extra.append(
            {
                "term": term, "estimate": float(x.mean()), "std_error": float(x.std(ddof=1)),
                "ci_low": float(np.quantile(x, a)), "ci_high": float(np.quantile(x, 1 - a)),
                "ci_level": ci_level, "median": float(np.median(x)), "ci_kind": "equal-tailed",
            }
        )  # fmt: skip
    table = tidy_frame([*table.to_dict("records"), *extra])
    return BayesMetaResult(
        table=table, k=len(sd.yi), prior_tau=prior_tau, tau_scale=float(tau_scale),
        mu_sd=float(mu_sd), ci_level=ci_level, diagnostics=diag, r_new_draws=r_new, idata=idata,
        missing=sd.missing,
    )  # fmt: skip
