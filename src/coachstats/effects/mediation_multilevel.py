"""Bayesian multilevel mediation: treatment at the cluster level (2-2-1 and 2-1-1 designs).

Employees ``i`` nested in clusters ``j`` (managers). The treatment ``T_j`` belongs to the
cluster. In a **2-2-1** design the mediator ``M_j`` does too (the manager's coaching
behaviour) and only the outcome ``Y_ij`` is measured on employees::

    M_j  = a0 + a T_j + g_a' C_j + e_j,                    e_j ~ N(0, sigma_m^2)
    Y_ij = b0 + c' T_j + b M_j + g_b' C_j + u_j + e_ij,    u_j ~ N(0, tau_y^2),
                                                           e_ij ~ N(0, sigma_y^2)

In a **2-1-1** design the mediator is measured on employees too (each rates the coaching
they get). Its within- and between-cluster parts are separated (group-mean centring, with
the cluster mean reintroduced at level 2: Zhang, Zyphur & Preacher 2009)::

    M_ij = a0 + a T_j + g_a' C_j + v_j + f_ij,             v_j ~ N(0, tau_m^2)
    Y_ij = b0 + c' T_j + b Mbar_j + b_w (M_ij - Mbar_j) + g_b' C_j + u_j + e_ij

A treatment that varies only between clusters can move the mediator only between clusters,
so its indirect effect runs through the between-cluster slope ``b`` and is ``a b``; the
within-cluster slope ``b_w`` carries none of it (Krull & MacKinnon 2001; Zhang, Zyphur &
Preacher 2009). Reporting ``a b_w`` or a single conflated slope would mix the two.

Indirect effect ``a b`` is a posterior of the product (one product per draw), the direct
effect ``c'``, the total ``c' + a b`` and the proportion mediated ``a b / (c' + a b)``
(posterior median of the ratio: its mean need not exist when the total can be near zero).

The random intercepts are integrated out analytically: with only cluster-level predictors
(and a group-mean-centred within part) the likelihood factorises exactly into the cluster
means, ``Ybar_j ~ N(mean_j, tau_y^2 + sigma_y^2 / n_j)``, and the within-cluster residual sum
of squares, with ``N - J`` degrees of freedom. This is the random-intercept likelihood lme4
maximises; sampling it needs no per-cluster parameters, so the compiled model has the same
parameters for any number of clusters and is compiled once per design and covariate count
(cached on disk) and reused. Priors are weak and scaled to the data: coefficients
``Normal(0, 10 sd(y) / sd(x))`` (intercepts ``Normal(mean(y), 10 sd(y))``), standard
deviations ``HalfNormal(2.5 sd(y))``; with tens of clusters the posterior means are close to
the maximum likelihood estimates (``lme4::lmer(..., REML = FALSE)``; tested).
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
from .._rng import RNGLike
from .._validate import (
    _rows,
    check_choice,
    check_ci_level,
    check_int,
    prepare,
    require_varies,
)
from ..results import Caution, Result, new_axes, term_intervals, tidy_frame

__all__ = ["MultilevelMediationResult", "MultilevelSensitivity", "multilevel_mediation"]

_DESIGNS = ("auto", "2-2-1", "2-1-1")
#: fewer clusters than this: the between-cluster paths rest on little information (caution)
FEW_CLUSTERS = 30


@dataclass(frozen=True)
class MultilevelSensitivity(Result):
    """The posterior of a 2-2-1 indirect effect as a function of the cluster-level error
    correlation ``rho`` (Imai, Keele & Yamamoto 2010, Theorem 2, at the cluster level).

    Parameters
    ----------
    curve : DataFrame
        ``rho, indirect`` (posterior mean), ``ci_low, ci_high`` (equal-tailed credible
        interval) and ``prob_positive`` over a grid of error correlations.
    rho_zero : float
        Posterior mean of the error correlation at which the indirect effect is zero.
    rho_zero_ci : tuple of float
        Its credible interval.
    estimate : float
        The indirect effect under sequential ignorability (``rho = 0``).
    ci_level : float
        Probability of the credible intervals.
    cluster : str
        The cluster column.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.leader_mediation(60, team_size=6, rng=3)
    >>> res = cs.effects.multilevel_mediation(
    ...     sim.data, "coached", "coaching_behaviour", "engagement", cluster="manager",
    ...     draws=300, tune=300, chains=2, rng=3)                  # doctest: +SKIP
    >>> list(res.sensitivity().curve.columns)                      # doctest: +SKIP
    ['rho', 'indirect', 'ci_low', 'ci_high', 'prob_positive']
    """

    curve: pd.DataFrame = field(repr=False, compare=False)
    rho_zero: float = math.nan
    rho_zero_ci: tuple[float, float] = (math.nan, math.nan)
    estimate: float = math.nan
    ci_level: float = 0.95
    cluster: str = "cluster"

    central = "posterior mean"

    @property
    def title(self) -> str:
        return f"Sensitivity of the indirect effect to a {self.cluster}-level confounder"

    @property
    def notes(self) -> list[str]:
        lo, hi = self.rho_zero_ci
        return [f"The indirect effect is zero at rho = {self.rho_zero:.3f} ({100 * self.ci_level:g}"
                f"% credible interval {lo:.3f} to {hi:.3f}): an unmeasured {self.cluster} trait "
                f"would have to correlate the {self.cluster}-level errors of the mediator and "
                "outcome models this strongly to explain the estimate away (Imai, Keele & "
                "Yamamoto 2010, at the cluster level).",
                "Linear models with no treatment-mediator interaction; computed per posterior "
                "draw."]

    def to_frame(self) -> pd.DataFrame:
        rows = [{"term": f"rho={r.rho:+.2f}", "estimate": r.indirect, "ci_low": r.ci_low,
                 "ci_high": r.ci_high, "ci_level": self.ci_level, "rho": r.rho,
                 "prob_positive": r.prob_positive} for r in self.curve.itertuples()]
        rows.append({"term": "rho_zero", "estimate": self.rho_zero, "ci_low": self.rho_zero_ci[0],
                     "ci_high": self.rho_zero_ci[1], "ci_level": self.ci_level,
                     "rho": self.rho_zero})
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The indirect effect against rho with its credible band and rho_zero marked.

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
        c = self.curve
        ax.fill_between(c["rho"], c["ci_low"], c["ci_high"], color="C0", alpha=0.2,
                        label=f"{100 * self.ci_level:g}% credible interval")
        ax.plot(c["rho"], c["indirect"], color="C0", label="posterior mean")
        ax.axhline(0, color="0.5", lw=1, ls="--")
        ax.axvline(0, color="0.7", lw=1)
        if np.isfinite(self.rho_zero):
            ax.axvline(self.rho_zero, color="C3", lw=1, ls=":")
        ax.set_xlabel(f"rho (correlation of the {self.cluster}-level errors)")
        ax.set_ylabel("indirect effect")
        ax.set_title(self.title)
        ax.legend(fontsize=7, loc="best")
        return ax


@dataclass(frozen=True)
class MultilevelMediationResult(Result):
    """Paths, indirect, direct and total effects of a multilevel (2-2-1 or 2-1-1) mediation.

    ``to_frame()`` terms: ``a`` (treatment -> mediator), ``b`` (mediator -> outcome between
    clusters, given the treatment), ``b_within`` (2-1-1 only), ``direct`` (c'), ``indirect``
    (a b), ``total`` (c' + a b), ``proportion_mediated``, then the intercepts, covariate
    coefficients and standard deviations of the two models (``mediator_model:...``,
    ``outcome_model:...``). ``estimate`` is the posterior mean (the posterior median for
    ``proportion_mediated``), ``std_error`` the posterior SD, and ``ci_low``/``ci_high`` an
    equal-tailed credible interval of probability ``ci_level``.

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table described above.
    treatment, mediator, outcome, cluster : str
        The model's columns.
    design : str
        ``"2-2-1"`` or ``"2-1-1"``.
    n : int
        Rows (employees) in the fit.
    n_clusters : int
        Clusters in the fit.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    covariates : tuple of str
        Cluster-level covariates in both models.
    ci_level : float
        Probability of the credible intervals.
    diagnostics : Diagnostics
        R-hat, ESS and divergences of the sampler.
    prob_positive : float
        Posterior probability that the indirect effect is above zero.
    draws : dict of str to ndarray
        Posterior draws of ``a``, ``b``, ``direct``, ``indirect`` and ``total`` (flattened).
    sd_draws : dict of str to ndarray
        Posterior draws of the mediator model's residual SD (``sigma_m``) and the outcome
        model's cluster SD (``tau_y``), used by :meth:`sensitivity`.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.leader_mediation(60, team_size=6, rng=3)
    >>> res = cs.effects.multilevel_mediation(
    ...     sim.data, "coached", "coaching_behaviour", "engagement", cluster="manager",
    ...     draws=300, tune=300, chains=2, rng=3)                  # doctest: +SKIP
    >>> res.design                                                 # doctest: +SKIP
    '2-2-1'
    """

    table: pd.DataFrame = field(repr=False, compare=False)
    treatment: str
    mediator: str
    outcome: str
    cluster: str
    design: str
    n: int
    n_clusters: int
    diagnostics: Any = field(repr=False, compare=False)
    n_dropped: int = 0
    covariates: tuple[str, ...] = ()
    ci_level: float = 0.95
    prob_positive: float = math.nan
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    sd_draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    central = "posterior mean"

    @property
    def title(self) -> str:
        return (f"Multilevel mediation ({self.design}) of {self.treatment} -> {self.outcome} "
                f"through {self.mediator}")

    def _get(self, term: str, col: str = "estimate") -> float:
        return float(self.table.set_index("term").loc[term, col])

    @property
    def indirect(self) -> float:
        """Posterior mean of the indirect effect ``a b``."""
        return self._get("indirect")

    def posterior_draws(self, term: str) -> np.ndarray:
        """Posterior draws of ``a``, ``b``, ``direct``, ``indirect`` or ``total``."""
        if term not in self.draws:
            raise KeyError(f"no draws of {term!r}; available: {sorted(self.draws)}.")
        return self.draws[term].copy()

    @property
    def notes(self) -> list[str]:
        pct = f"{100 * self.ci_level:g}%"
        d = self.diagnostics
        out = [
            f"Bayesian {self.design} mediation with random intercepts for {self.n_clusters} "
            f"{self.cluster} clusters ({self.n} rows); estimates are posterior means "
            f"(proportion mediated: posterior median) with {pct} equal-tailed credible "
            "intervals; the indirect effect is the posterior of the product a*b.",
            f"P(indirect effect > 0) = {self.prob_positive:.3f}.",
        ]
        if self.design == "2-1-1":
            out.append(
                f"{self.mediator} varies within {self.cluster}s: it is split into the "
                f"{self.cluster} mean (between, slope b) and the deviation from it (within, "
                "slope b_within). A treatment given to whole clusters moves the mediator only "
                "between clusters, so the indirect effect is a times the between-cluster "
                "slope b (Zhang, Zyphur & Preacher 2009; Krull & MacKinnon 2001).")
        else:
            out.append(
                f"{self.treatment} and {self.mediator} are properties of each {self.cluster}; "
                f"{self.outcome} is measured on individuals, so all effects are between "
                f"{self.cluster}s (2-2-1; Krull & MacKinnon 2001).")
        if self.covariates:
            out.append("Adjusted for " + ", ".join(self.covariates) + " in both models.")
        out.append(f"Sampler: {d.chains} chains x {d.draws} draws; largest R-hat "
                   f"{d.max_rhat:.3f}, smallest ESS "
                   f"{min(d.min_ess_bulk, d.min_ess_tail):.0f}, {d.n_divergent} divergent "
                   "transitions.")
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "Sequential ignorability (Imai, Keele & Tingley 2010), at the cluster level: "
            f"given the covariates, {self.treatment} is as good as randomised across "
            f"{self.cluster}s, and the {self.cluster}s' {self.mediator} is as good as "
            "randomised given treatment and covariates - no unmeasured confounder of the "
            "mediator and the outcome, and none affected by the treatment.",
            "Linear models with no treatment-by-mediator interaction; normal random "
            f"intercepts for {self.cluster}s and normal residuals with one variance.",
            "Each row belongs to one cluster; clusters are independent.",
        ]

    def limitations(self) -> list[str]:
        out = [
            f"Randomising {self.treatment} does not randomise {self.mediator}: the second "
            "path compares clusters whose mediator differs for reasons other than the "
            "treatment, so the indirect effect can be confounded even in an experiment."
            + (" sensitivity() gives the indirect effect if an unmeasured confounder "
               f"correlated the {self.cluster}-level errors of the two models."
               if self.design == "2-2-1" else ""),
            f"The indirect effect is a difference between {self.cluster}s' groups, not a "
            "statement about individual people.",
        ]
        if self.design == "2-1-1":
            out.append(
                "The Imai-Keele-Yamamoto sensitivity analysis (rho) is not available for the "
                f"2-1-1 design: the {self.cluster} mean of {self.mediator} mixes its "
                f"{self.cluster}-level error with the average of individual errors, in a "
                f"proportion that changes with {self.cluster} size, so no single error "
                "correlation indexes the confounding.")
            out.append(
                f"The between slope uses each {self.cluster}'s observed mean {self.mediator}; "
                "if the outcome responds to the latent cluster mean instead, small clusters "
                "pull b towards b_within (Luedtke et al. 2008).")
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = list(self.diagnostics.cautions)
        if self.n_clusters < FEW_CLUSTERS:
            out.append(Caution(
                "few_clusters",
                f"Only {self.n_clusters} {self.cluster}s: the paths are between clusters and "
                "rest on few of them; the intervals depend noticeably on the priors.",
                float(self.n_clusters)))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def sensitivity(self, rho: Sequence[float] | None = None) -> MultilevelSensitivity:
        """Posterior of the indirect effect if the cluster-level errors of the mediator and
        outcome models correlated ``rho`` (2-2-1 only).

        Imai, Keele & Yamamoto's (2010, Theorem 2) linear-model result applied to the
        cluster level, where a 2-2-1 design's mediator lives: ``rho`` is the correlation of
        the mediator-model error ``e_j`` with the outcome model's cluster intercept ``u_j``
        (an unmeasured cluster trait raising both). Per posterior draw, with ``s1`` the
        mediator-model residual SD, ``s3 = sqrt(b^2 s1^2 + tau_y^2)`` the cluster-level SD of
        the outcome model without the mediator and ``rt = b s1 / s3``::

            indirect(rho) = a (s3 / s1) [rt - rho sqrt((1 - rt^2) / (1 - rho^2))]

        ``rho = 0`` gives the estimate's draws; ``rho = rt`` gives zero.

        Parameters
        ----------
        rho : sequence of float, optional
            Error correlations (strictly between -1 and 1); default -0.9 to 0.9 by 0.05.

        Returns
        -------
        MultilevelSensitivity

        Examples
        --------
        >>> import coachstats as cs
        >>> sim = cs.simulate.leader_mediation(60, team_size=6, rng=3)
        >>> res = cs.effects.multilevel_mediation(
        ...     sim.data, "coached", "coaching_behaviour", "engagement", cluster="manager",
        ...     draws=300, tune=300, chains=2, rng=3)                  # doctest: +SKIP
        >>> res.sensitivity([0.0, 0.3]).curve["rho"].tolist()          # doctest: +SKIP
        [0.0, 0.3]
        """
        if self.design != "2-2-1":
            raise ValueError("sensitivity() is defined for the 2-2-1 design only; see "
                             "limitations() for why the 2-1-1 design has no single rho.")
        grid = np.round(np.linspace(-0.9, 0.9, 37), 10) if rho is None else np.asarray(rho, float)
        if grid.ndim != 1 or np.any(np.abs(grid) >= 1):
            raise ValueError("rho values must lie strictly between -1 and 1.")
        a, b = self.draws["a"], self.draws["b"]
        s1, tau = self.sd_draws["sigma_m"], self.sd_draws["tau_y"]
        s3 = np.sqrt(b**2 * s1**2 + tau**2)
        rt = b * s1 / s3
        alpha = (1 - self.ci_level) / 2
        rows = []
        for r in grid:
            x = a * (s3 / s1) * (rt - r * np.sqrt((1 - rt**2) / (1 - r**2)))
            rows.append({"rho": float(r), "indirect": float(np.mean(x)),
                         "ci_low": float(np.quantile(x, alpha)),
                         "ci_high": float(np.quantile(x, 1 - alpha)),
                         "prob_positive": float(np.mean(x > 0))})
        return MultilevelSensitivity(
            curve=pd.DataFrame(rows), rho_zero=float(np.mean(rt)),
            rho_zero_ci=(float(np.quantile(rt, alpha)), float(np.quantile(rt, 1 - alpha))),
            estimate=self.indirect, ci_level=self.ci_level, cluster=self.cluster)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Indirect, direct and total effects with their credible intervals.

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
        f = self.table.set_index("term").loc[["indirect", "direct", "total"]].reset_index()
        ax = term_intervals(f, ax, xlabel=f"effect on {self.outcome}, posterior mean and "
                            "credible interval")
        ax.set_title(self.title)
        return ax


# ----------------------------------------------------------------------------- the model


def _build(design: str, p: int) -> Any:
    """``build(data)`` of the model for ``design`` with ``p`` cluster-level columns
    (intercept, treatment and covariates) in the mediator model."""

    def build(d: dict[str, np.ndarray]) -> Any:
        import pymc as pm
        import pytensor.tensor as pt

        with pm.Model() as model:
            xa = pm.Data("xa", d["xa"])
            xb = pm.Data("xb", d["xb"])
            mbar = pm.Data("mbar", d["mbar"])
            ybar = pm.Data("ybar", d["ybar"])
            n_j = pm.Data("n_j", d["n_j"])
            # within-cluster sums: [S_yy, S_ym, S_mm, N - J]
            within = pm.Data("within", d["within"])
            prior_a = pm.Data("prior_a", d["prior_a"])
            prior_b = pm.Data("prior_b", d["prior_b"])
            mean_a = pm.Data("mean_a", d["mean_a"])
            mean_b = pm.Data("mean_b", d["mean_b"])
            sd_scale = pm.Data("sd_scale", d["sd_scale"])  # [mediator, outcome]
            beta_a = pm.Normal("beta_a", mean_a, prior_a, shape=p)
            beta_b = pm.Normal("beta_b", mean_b, prior_b, shape=p + 1)
            sigma_y = pm.HalfNormal("sigma_y", sd_scale[1])
            tau_y = pm.HalfNormal("tau_y", sd_scale[1])
            s_yy, s_ym, s_mm, df_w = within[0], within[1], within[2], within[3]
            if design == "2-2-1":
                sigma_m = pm.HalfNormal("sigma_m", sd_scale[0])
                pm.Normal("mbar_obs", pt.dot(xa, beta_a), sigma_m, observed=mbar)
                ssr = s_yy
            else:
                sigma_m = pm.HalfNormal("sigma_m", sd_scale[0])
                tau_m = pm.HalfNormal("tau_m", sd_scale[0])
                pm.Normal("mbar_obs", pt.dot(xa, beta_a),
                          pt.sqrt(tau_m**2 + sigma_m**2 / n_j), observed=mbar)
                pm.Potential("m_within", -0.5 * df_w * pt.log(2 * np.pi * sigma_m**2)
                             - 0.5 * s_mm / sigma_m**2)
                b_w = pm.Normal("b_within", 0.0, prior_b[2])
                ssr = s_yy - 2 * b_w * s_ym + b_w**2 * s_mm
            pm.Normal("ybar_obs", pt.dot(xb, beta_b),
                      pt.sqrt(tau_y**2 + sigma_y**2 / n_j), observed=ybar)
            pm.Potential("y_within", -0.5 * df_w * pt.log(2 * np.pi * sigma_y**2)
                         - 0.5 * ssr / sigma_y**2)
            pm.Deterministic("indirect", beta_a[1] * beta_b[2])
        return model

    return build


def _example(design: str, p: int) -> dict[str, np.ndarray]:
    j = 6
    x = np.column_stack([np.ones(j), np.tile([0.0, 1.0], j // 2), np.zeros((j, p - 2))])
    return {
        "xa": x, "xb": np.column_stack([x[:, :2], np.arange(j, dtype=float), x[:, 2:]]),
        "mbar": np.arange(j, dtype=float), "ybar": np.arange(j, dtype=float),
        "n_j": np.full(j, 5.0), "within": np.array([10.0, 1.0, 10.0, 24.0]),
        "prior_a": np.full(p, 10.0), "prior_b": np.full(p + 1, 10.0),
        "mean_a": np.zeros(p), "mean_b": np.zeros(p + 1), "sd_scale": np.ones(2),
    }


def compiled_mediation_model(design: str, n_covariates: int) -> Any:
    """The cached, compiled model of ``design`` with ``n_covariates`` cluster-level
    covariates (compiled on first use in a process; the compiled code is cached on disk)."""
    from ..bayes.compiled import cached_model

    p = 2 + n_covariates
    key = ("coachstats.effects.multilevel_mediation", design, p)
    return cached_model(key, _build(design, p), _example(design, p))


def _sd(x: np.ndarray) -> float:
    s = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
    return s if s > 0 and np.isfinite(s) else 1.0


def _prior_scales(xm: np.ndarray, y: np.ndarray, y_rows: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Prior SDs (10 sd(y) / sd(x), intercept 10 sd(y)) and means (intercept mean(y))."""
    sy = _sd(y_rows)
    scale = np.array([10 * sy] + [10 * sy / _sd(xm[:, k]) for k in range(1, xm.shape[1])])
    mean = np.zeros(xm.shape[1])
    mean[0] = float(np.mean(y))
    return scale, mean


def _model_data(frame: pd.DataFrame, treatment: str, mediator: str, outcome: str,
                cluster: str, covariates: Sequence[str], design: str) -> dict[str, np.ndarray]:
    """The model's data containers: cluster-level designs and means, within-cluster sums of
    squares and cross-products, and the data-scaled prior settings."""
    groups = frame.groupby(cluster, sort=True)
    first = groups[[treatment, *covariates]].first()
    n_j = groups.size().to_numpy(float)
    j, n = len(n_j), len(frame)
    xa = np.column_stack([np.ones(j), first.to_numpy(float)])
    mbar = groups[mediator].mean().to_numpy(float)
    ybar = groups[outcome].mean().to_numpy(float)
    codes = groups.ngroup().to_numpy()
    y_rows = frame[outcome].to_numpy(float)
    m_rows = frame[mediator].to_numpy(float)
    dy = y_rows - ybar[codes]
    dm = m_rows - mbar[codes] if design == "2-1-1" else np.zeros(n)
    within = np.array([dy @ dy, dy @ dm, dm @ dm, float(n - j)])
    xb = np.column_stack([xa[:, :2], mbar, xa[:, 2:]])
    prior_a, mean_a = _prior_scales(xa, mbar, m_rows)
    prior_b, mean_b = _prior_scales(xb, ybar, y_rows)
    if design == "2-1-1":  # b and b_within share a scale: that of the whole mediator
        prior_b[2] = 10 * _sd(y_rows) / _sd(m_rows)
    sd_scale = np.array([2.5 * _sd(m_rows), 2.5 * _sd(y_rows)])
    return {"xa": xa, "xb": xb, "mbar": mbar, "ybar": ybar, "n_j": n_j, "within": within,
            "prior_a": prior_a, "prior_b": prior_b, "mean_a": mean_a, "mean_b": mean_b,
            "sd_scale": sd_scale}


def multilevel_mediation(
    data: pd.DataFrame,
    treatment: str,
    mediator: str,
    outcome: str,
    *,
    cluster: str,
    covariates: Sequence[str] = (),
    design: str = "auto",
    ci_level: float = 0.95,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.9,
    rng: RNGLike = None,
    dropna: bool = False,
) -> MultilevelMediationResult:
    """Bayesian mediation with the treatment at the cluster level (2-2-1 or 2-1-1).

    See the module docstring for the two models. The treatment and covariates must be
    constant within each cluster; the mediator too in a 2-2-1 design. The indirect effect is
    ``a b`` with ``b`` the between-cluster slope of the outcome on the mediator.

    Parameters
    ----------
    data : DataFrame
        One row per individual (e.g. employee); never modified.
    treatment : str
        Numeric cluster-level treatment (0/1 or a dose).
    mediator : str
        Numeric mediator: one value per cluster (2-2-1) or per individual (2-1-1).
    outcome : str
        Numeric outcome measured on individuals.
    cluster : str
        Column identifying the cluster (e.g. the manager) each row belongs to.
    covariates : sequence of str
        Cluster-level pre-treatment covariates entered in both models.
    design : {"auto", "2-2-1", "2-1-1"}
        ``"auto"``: 2-2-1 when the mediator is constant within every cluster, else 2-1-1.
    ci_level : float
        Probability of the equal-tailed credible intervals.
    draws, tune, chains : int
        Posterior draws per chain, tuning steps per chain and chains (nutpie NUTS).
    target_accept : float
        NUTS target acceptance rate.
    rng : int, Generator or None
        Seeds the sampler; the same seed gives the same draws.
    dropna : bool
        Drop rows with a missing value (counted in ``n_dropped``) instead of raising.

    Returns
    -------
    MultilevelMediationResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.leader_mediation(60, team_size=6, design="2-1-1", rng=3)
    >>> res = cs.effects.multilevel_mediation(
    ...     sim.data, "coached", "coaching_behaviour", "engagement", cluster="manager",
    ...     draws=300, tune=300, chains=2, rng=3)                  # doctest: +SKIP
    >>> res.to_frame()["term"].tolist()[:7]                        # doctest: +SKIP
    ['a', 'b', 'b_within', 'direct', 'indirect', 'total', 'proportion_mediated']
    """
    ci_level = check_ci_level(ci_level)
    design = check_choice(design, "design", _DESIGNS)
    for name, v in (("draws", draws), ("tune", tune), ("chains", chains)):
        check_int(v, name, minimum=1)
    if not isinstance(cluster, str):
        raise TypeError(f"cluster must be a column name, got {type(cluster).__name__}.")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    cols: dict[str, str | None] = {"treatment": treatment, "mediator": mediator,
                                   "outcome": outcome, "cluster": cluster}
    cols.update({f"covariates[{i}]": c for i, c in enumerate(covariates)})
    num = ["treatment", "mediator", "outcome",
           *[f"covariates[{i}]" for i in range(len(covariates))]]
    frame, miss = prepare(data, cols, numeric=num, dropna=dropna)
    for c in [treatment, mediator, outcome, *covariates]:
        x = frame[c].to_numpy(float)
        if not np.isfinite(x).all():
            raise ValueError(f"column {c!r} has infinite values (rows "
                             f"{_rows(frame.index[~np.isfinite(x)])}).")
    groups = frame.groupby(cluster, sort=True)
    level2 = [treatment, *covariates]
    varying = groups[level2].nunique().gt(1)
    if varying.to_numpy().any():
        col = varying.columns[varying.any()][0]
        bad = varying.index[varying[col]].tolist()
        raise ValueError(
            f"column {col!r} varies within cluster(s) {bad[:5]} of {cluster!r}; the treatment "
            "and covariates must be constant within a cluster (cluster-level). Use a "
            "cluster-level version of it, or a single-level analysis (effects.mediation).")
    m_varies = bool(groups[mediator].nunique().gt(1).any())
    if design == "auto":
        design = "2-1-1" if m_varies else "2-2-1"
    elif design == "2-2-1" and m_varies:
        bad = groups[mediator].nunique()
        bad = bad.index[bad > 1].tolist()
        raise ValueError(
            f"design='2-2-1' needs {mediator!r} constant within each {cluster!r}, but it "
            f"varies in {bad[:5]}; use design='2-1-1' (a mediator measured on individuals).")
    elif design == "2-1-1" and not m_varies:
        raise ValueError(f"design='2-1-1' needs {mediator!r} to vary within clusters of "
                         f"{cluster!r}, but it is constant in every one; use design='2-2-1'.")
    n_j = groups.size().to_numpy(float)
    j, n = len(n_j), len(frame)
    p = 2 + len(covariates)
    if j < p + 4:
        raise ValueError(f"need at least {p + 4} clusters of {cluster!r} for {len(covariates)} "
                         f"covariate(s), got {j}.")
    if n - j < 2:
        raise ValueError(f"need at least 2 more rows than clusters to separate the within- "
                         f"from the between-cluster variance of {outcome!r}; got {n} rows in "
                         f"{j} clusters (most clusters have one row: use effects.mediation).")
    first = groups[level2].first()
    require_varies(first, treatment, "treatment", hint=" across clusters")
    require_varies(frame, mediator, "mediator", hint="A mediator everyone shares carries no "
                   "effect.")
    require_varies(frame, outcome, "outcome")
    arrays = _model_data(frame, treatment, mediator, outcome, cluster, covariates, design)
    cm = compiled_mediation_model(design, len(covariates))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        idata = cm.fit(arrays, draws=draws, tune=tune, chains=chains, target_accept=target_accept,
                       rng=rng)
    sds = ["sigma_m", "sigma_y", "tau_y"] + (["tau_m", "b_within"] if design == "2-1-1" else [])
    diag = bayes.diagnose(idata, ["beta_a", "beta_b", *sds, "indirect"])
    ba = bayes.draws(idata, "beta_a").reshape(-1, p)
    bb = bayes.draws(idata, "beta_b").reshape(-1, p + 1)
    paths = {"a": ba[:, 1], "b": bb[:, 2], "direct": bb[:, 1]}
    paths["indirect"] = paths["a"] * paths["b"]
    paths["total"] = paths["direct"] + paths["indirect"]
    chain_shape = bayes.draws(idata, "indirect").shape
    alpha = (1 - ci_level) / 2

    def row(term: str, x: np.ndarray, central: str = "mean") -> dict[str, Any]:
        flat = x.reshape(-1)
        r, eb, et = bayes._rhat_ess(flat.reshape(chain_shape))
        return {"term": term,
                "estimate": float(np.median(flat) if central == "median" else np.mean(flat)),
                "std_error": float(np.std(flat, ddof=1)),
                "ci_low": float(np.quantile(flat, alpha)),
                "ci_high": float(np.quantile(flat, 1 - alpha)), "ci_level": ci_level,
                "median": float(np.median(flat)), "ci_kind": "equal-tailed",
                "rhat": r, "ess_bulk": eb, "ess_tail": et}

    rows = [row("a", paths["a"]), row("b", paths["b"])]
    if design == "2-1-1":
        rows.append(row("b_within", bayes.draws(idata, "b_within")))
    rows += [row("direct", paths["direct"]), row("indirect", paths["indirect"]),
             row("total", paths["total"])]
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = paths["indirect"] / paths["total"]
    rows.append(row("proportion_mediated", prop, central="median"))
    rows.append(row("mediator_model:intercept", ba[:, 0]))
    rows.append(row("outcome_model:intercept", bb[:, 0]))
    for k, c in enumerate(covariates):
        rows.append(row(f"mediator_model:{c}", ba[:, 2 + k]))
        rows.append(row(f"outcome_model:{c}", bb[:, 3 + k]))
    names = {"sigma_m": "mediator_model:residual_sd", "tau_m": "mediator_model:cluster_sd",
             "sigma_y": "outcome_model:residual_sd", "tau_y": "outcome_model:cluster_sd"}
    for var, term in names.items():
        if var in idata["posterior"]:
            rows.append(row(term, bayes.draws(idata, var)))
    return MultilevelMediationResult(
        table=tidy_frame(rows), treatment=treatment, mediator=mediator, outcome=outcome,
        cluster=cluster, design=design, n=n, n_clusters=j, diagnostics=diag,
        n_dropped=miss.n_dropped, covariates=tuple(covariates), ci_level=ci_level,
        prob_positive=float(np.mean(paths["indirect"] > 0)),
        draws={k: v.copy() for k, v in paths.items()},
        sd_draws={k: bayes.draws(idata, k).reshape(-1) for k in ("sigma_m", "tau_y")})
