"""Bayesian random-effects meta-analysis of precomputed effects (SMDs or any kind), with one
effect per study or several (three-level), compiled once per structure and prior family.

Two-level: ``y_i ~ Normal(mu, sqrt(v_i + tau^2))``. Three-level (effects ``i`` in studies
``j``): ``y_ij = mu + u_j + w_ij + e_ij`` with ``u_j ~ N(0, tau_study^2)``,
``w_ij ~ N(0, tau_within^2)``; both random effects are integrated out analytically (the
per-study covariance ``diag(v + tau_within^2) + tau_study^2 11'`` has a closed-form inverse
and determinant), so the sampler sees three parameters whatever the number of studies.
Priors: ``mu ~ Normal(0, mu_sd)``, each SD ``~ HalfNormal(tau_scale)`` or
``HalfCauchy(tau_scale)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._progress import ProgressLike
from .._rng import RNGLike, as_generator
from .._validate import (
    MissingReport,
    check_choice,
    check_ci_level,
    check_positive,
    prepare,
    require_range,
)
from ..bayes import Diagnostics, diagnose, posterior_table
from ..results import Result, dropped_notes, missing_reasons, new_axes, tidy_frame
from ._data import MEASURE_INFO

__all__ = ["BayesEffectsResult", "bayesian_effects"]


def _build(three_level: bool, prior_tau: str):
    def build(d):
        import pymc as pm
        import pytensor.tensor as pt

        with pm.Model() as model:
            y = pm.Data("y", d["y"])
            v = pm.Data("v", d["v"])
            tau_scale = pm.Data("tau_scale", d["tau_scale"])
            mu_sd = pm.Data("mu_sd", d["mu_sd"])
            mu = pm.Normal("mu", 0.0, mu_sd)
            half = pm.HalfNormal if prior_tau == "half_normal" else pm.HalfCauchy
            if not three_level:
                tau = half("tau", tau_scale)
                pm.Normal("y_obs", mu, pm.math.sqrt(v + tau**2), observed=y)
                return model
            idx = pm.Data("cluster", d["cluster"])
            ts = half("tau_study", tau_scale)
            tw = half("tau_within", tau_scale)
            m = idx.max() + 1
            dd = v + tw**2
            e = y - mu
            a = pt.inc_subtensor(pt.zeros((m,))[idx], 1.0 / dd)
            b = pt.inc_subtensor(pt.zeros((m,))[idx], e / dd)
            s1 = ts**2
            c = s1 / (1.0 + s1 * a)
            logp = -0.5 * (pt.sum(pt.log(dd)) + pt.sum(pt.log1p(s1 * a))
                           + pt.sum(e * e / dd) - pt.sum(c * b * b))  # fmt: skip
            pm.Potential("likelihood", logp)
        return model

    return build


@dataclass(frozen=True)
class BayesEffectsResult(Result):
    """Posterior of the mean effect ``mu``, the between-study SD(s) and a new study's true
    effect (``theta_new``).

    Parameters
    ----------
    table : DataFrame
        Posterior summaries (the ``to_frame()`` table).
    k : int
        Effects.
    n_clusters : int
        Clusters (studies) in a three-level model; equal to ``k`` otherwise.
    three_level : bool
        Whether effects are nested in clusters (two variance components).
    prior_tau : str
        ``"half_normal"`` or ``"half_cauchy"``.
    tau_scale : float
        Scale of the prior on each tau.
    mu_sd : float
        SD of the normal prior on the mean effect.
    ci_level : float
        Probability of the equal-tailed credible intervals.
    measure : str
        Effect-size measure.
    diagnostics : Diagnostics
        R-hat, ESS and divergences of the sampler.
    theta_new_draws : ndarray
        Posterior predictive draws of the true effect in a new study.
    idata : arviz.InferenceData
        The full posterior.
    missing : MissingReport, optional
        Studies left out for missing values (``dropna=True``), by column.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=15, rng=1)
    >>> res = cs.meta.bayesian_effects(sim.data, levels=["study", "effect"], draws=300,
    ...                                tune=300, chains=2, rng=1)  # doctest: +SKIP
    >>> res.three_level  # doctest: +SKIP
    True
    """

    table: pd.DataFrame
    k: int
    n_clusters: int
    three_level: bool
    prior_tau: str
    tau_scale: float
    mu_sd: float
    ci_level: float
    measure: str
    diagnostics: Diagnostics
    theta_new_draws: np.ndarray = field(repr=False, compare=False)
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
        kind = "three-level " if self.three_level else ""
        return (f"Bayesian {kind}random-effects meta-analysis of "
                f"{MEASURE_INFO[self.measure][0]} (k = {self.k})")  # fmt: skip

    @property
    def notes(self) -> list[str]:
        prior = "half-normal" if self.prior_tau == "half_normal" else "half-Cauchy"
        sds = "tau_study and tau_within" if self.three_level else "tau"
        return [
            f"Priors: mu ~ Normal(0, {self.mu_sd:g}); {sds} ~ {prior}({self.tau_scale:g}). "
            f"Intervals are {self.ci_level:.0%} equal-tailed posterior intervals.",
            "theta_new: where the true effect of a new comparable study is expected to lie.",
            *self.diagnostics.notes,
            *dropped_notes(self.dropped),
        ]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def prob_above(self, threshold: float = 0.0, term: str = "mu") -> float:
        """Posterior probability that the mean (``"mu"``) or a new study's true effect
        (``"theta_new"``) exceeds ``threshold``."""

        term = check_choice(term, "term", ("mu", "theta_new"))
        x = (self.theta_new_draws if term == "theta_new"
             else np.asarray(self.idata["posterior"]["mu"].values).ravel())  # fmt: skip
        return float(np.mean(x > threshold))

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Posterior of the mean and the predictive distribution of a new study's effect.

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
        mu = np.asarray(self.idata["posterior"]["mu"].values).ravel()
        bins = np.linspace(min(mu.min(), self.theta_new_draws.min()),
                           max(mu.max(), self.theta_new_draws.max()), 60)  # fmt: skip
        ax.hist(self.theta_new_draws, bins=bins, density=True, alpha=0.4, color="C1",
                label="new study's true effect (predictive)")  # fmt: skip
        ax.hist(mu, bins=bins, density=True, alpha=0.6, color="C0", label="mean (posterior)")
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_yticks([])
        ax.legend(fontsize=8)
        return ax


def bayesian_effects(
    data: pd.DataFrame,
    yi: str = "yi",
    vi: str = "vi",
    *,
    levels: Sequence[str] | None = None,
    measure: str = "GEN",
    prior_tau: str = "half_normal",
    tau_scale: float = 0.5,
    mu_sd: float = 1.0,
    ci_level: float = 0.95,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.9,
    rng: RNGLike = None,
    dropna: bool = False,
    progress: ProgressLike = False,
) -> BayesEffectsResult:
    """Bayesian random-effects meta-analysis of SMDs (or any effects), one or several per study.

    Parameters
    ----------
    data : DataFrame
        One row per effect; never modified.
    yi, vi : str
        Effect sizes (e.g. Hedges' g) and their sampling variances.
    levels : (str, str), optional
        ``[study, effect]`` for the three-level model; None for one effect per study.
    measure : str
        Label of the effect kind (``"SMD"``, ``"GEN"`` ...).
    prior_tau : {"half_normal", "half_cauchy"}
        Prior family of the between-study SD(s).
    tau_scale : float
        Scale of that prior (on the effect scale: 0.5 SD is weakly informative for SMDs).
    mu_sd : float
        SD of the normal prior on the mean effect.
    ci_level : float
        Posterior interval probability (equal-tailed).
    draws, tune, chains, target_accept
        Sampler settings (nutpie; the model is compiled once per structure and prior).
    rng : int, Generator or None
    dropna : bool
    progress : bool or Progress
        Show a bar of the MCMC draws on standard error (``True``, e.g. in a notebook); a
        :class:`coachstats._progress.Progress` adds it to that display.

    Returns
    -------
    BayesEffectsResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=15, rng=1)
    >>> res = cs.meta.bayesian_effects(sim.data, levels=["study", "effect"], draws=300,
    ...                                tune=300, chains=2, rng=1)  # doctest: +SKIP
    >>> res.to_frame()["term"].tolist()  # doctest: +SKIP
    ['mu', 'tau_study', 'tau_within', 'theta_new']
    """
    from ..bayes.compiled import cached_model

    prior_tau = check_choice(prior_tau, "prior_tau", ("half_normal", "half_cauchy"))
    measure = check_choice(measure, "measure", tuple(MEASURE_INFO))
    for nm, val in (("tau_scale", tau_scale), ("mu_sd", mu_sd)):
        check_positive(val, nm)
    ci_level = check_ci_level(ci_level)
    three = levels is not None
    cols: dict[str, str | None] = {"yi": yi, "vi": vi}
    if three:
        levels = list(levels)
        if len(levels) != 2:
            raise ValueError(f"levels must name two columns (study, effect), got {levels!r}.")
        cols["levels[0]"], cols["levels[1]"] = levels
    df, missing = prepare(data, cols, numeric=["yi", "vi"], dropna=dropna)
    require_range(df, vi, 0, None, low_inclusive=False, arg="vi",
                  hint="Sampling variances must be positive.")  # fmt: skip
    if len(df) < 3:
        raise ValueError(f"a meta-analysis needs at least 3 effects, got {len(df)}.")
    d: dict[str, np.ndarray] = {
        "y": df[yi].to_numpy(float), "v": df[vi].to_numpy(float),
        "tau_scale": np.asarray(float(tau_scale)), "mu_sd": np.asarray(float(mu_sd)),
    }  # fmt: skip
    n_clusters = len(df)
    if three:
        dup = df.duplicated(subset=levels, keep=False)
        if dup.any():
            raise ValueError(f"rows {df.index[dup][:10].tolist()} repeat the same "
                             f"({levels[0]}, {levels[1]}) pair; each row must be one effect.")
        codes, uniq = pd.factorize(df[levels[0]])
        d["cluster"] = codes.astype("int64")
        n_clusters = len(uniq)
    sds = ["tau_study", "tau_within"] if three else ["tau"]
    g = as_generator(rng)
    cm = cached_model(("coachstats.meta.bayesian_effects", three, prior_tau),
                      _build(three, prior_tau), d, var_names=["mu", *sds])  # fmt: skip
    idata = cm.fit(d, draws=draws, tune=tune, chains=chains, target_accept=target_accept, rng=g,
                   progress=progress)
    table = posterior_table(idata, ["mu", *sds], ci_level=ci_level)
    diag = diagnose(idata, ["mu", *sds])
    post = idata["posterior"]
    mu = np.asarray(post["mu"].values).ravel()
    total = sum(np.asarray(post[s].values).ravel() ** 2 for s in sds)
    theta_new = mu + np.sqrt(total) * g.standard_normal(mu.shape)
    a = (1 - ci_level) / 2
    extra = {"term": "theta_new", "estimate": float(theta_new.mean()),
             "std_error": float(theta_new.std(ddof=1)),
             "ci_low": float(np.quantile(theta_new, a)),
             "ci_high": float(np.quantile(theta_new, 1 - a)), "ci_level": ci_level,
             "median": float(np.median(theta_new)), "ci_kind": "equal-tailed"}  # fmt: skip
    table = tidy_frame([*table.to_dict("records"), extra])
    return BayesEffectsResult(
        table=table, k=len(df), n_clusters=n_clusters, three_level=three, prior_tau=prior_tau,
        tau_scale=float(tau_scale), mu_sd=float(mu_sd), ci_level=ci_level, measure=measure,
        diagnostics=diag, theta_new_draws=theta_new, idata=idata, missing=missing,
    )  # fmt: skip
