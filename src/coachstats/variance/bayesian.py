"""Bayesian nested random-intercept model (PyMC), behind ``decompose(method="bayes")``.

Model, with levels outer to inner and index vectors mapping each innermost group to its
group at every level (non-centred random intercepts)::

    z_l ~ Normal(0, 1)  (one per group of level l),   u_l = sigma_l z_l
    eta_g = b0 + sum_l u_l[level_l(g)]                 (innermost group g)
    sigma_l, sigma ~ HalfNormal(prior_scale)           (default: the outcome's SD)
    b0 ~ Normal(mean(y), 10 sd(y));  covariate slopes ~ Normal(0, 10 sd(y) / sd(x))

Without covariates the people enter through sufficient statistics, which give the same
likelihood as one term per person: each innermost group's mean ``ybar_g ~ Normal(eta_g,
sigma / sqrt(n_g))`` plus the within-group sum of squares, ``-(n - G) log sigma - SSW /
(2 sigma^2)``. With covariates each person enters ``y_i ~ Normal(x_i b + eta_g, sigma)``.
Every variance share is computed per posterior draw, so its posterior is exact given the
model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._rng import RNGLike
from .._validate import check_positive
from ..bayes import Diagnostics, diagnose, sample
from ..results import tidy_frame


@dataclass(frozen=True)
class Posterior:
    variances: np.ndarray  # (draws, L + 1)
    fixed: pd.DataFrame
    diagnostics: Diagnostics
    idata: Any


def fit_bayes(
    nd: Any,
    *,
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    prior_scale: float | None,
    rng: RNGLike,
    ci_level: float,
    progress: Any = False,
) -> Posterior:
    """Sample the posterior of the nested model for a :class:`NestedData`."""
    import pymc as pm

    y, x, codes = nd.y, nd.x, nd.codes
    nlev = len(codes)
    sd_y = float(np.std(y, ddof=1))
    scale = sd_y if prior_scale is None else check_positive(prior_scale, "prior_scale")
    inner = codes[-1]
    g1 = int(inner.max()) + 1
    rep = np.zeros(g1, dtype=np.int64)
    rep[inner] = np.arange(len(inner))
    anc = [c[rep] for c in codes]  # innermost group -> its group at each level
    sizes = [int(c.max()) + 1 for c in codes]
    p = x.shape[1]
    sd_x = np.array([1.0] + [float(np.std(x[:, j])) or 1.0 for j in range(1, p)])
    b_sd = 10 * sd_y / sd_x
    b_mu = np.zeros(p)
    b_mu[0] = float(np.mean(y))
    with pm.Model() as model:
        beta = pm.Normal("beta", b_mu, b_sd, shape=p)
        sigma_u = pm.HalfNormal("sigma_u", scale, shape=nlev)
        sigma = pm.HalfNormal("sigma", scale)
        eta = beta[0] + 0.0 * sigma
        for lev in range(nlev):
            z = pm.Normal(f"z_{lev}", 0.0, 1.0, shape=sizes[lev])
            eta = eta + sigma_u[lev] * z[anc[lev]]
        if p == 1:
            cnt = np.bincount(inner).astype(float)
            ybar = np.bincount(inner, weights=y) / cnt
            ssw = float(((y - ybar[inner]) ** 2).sum())
            pm.Normal("ybar", eta, sigma / np.sqrt(cnt), observed=ybar)
            pm.Potential("within", -(len(y) - g1) * pm.math.log(sigma) - ssw / (2 * sigma**2))
        else:
            mu = pm.math.dot(x[:, 1:], beta[1:]) + eta[inner]
            pm.Normal("y", mu, sigma, observed=y)
    keep = ["beta", "sigma_u", "sigma"]
    idata = sample(model, draws=draws, tune=tune, chains=chains, target_accept=target_accept,
                   progress=progress,
                   rng=rng, var_names=keep)  # fmt: skip
    diag = diagnose(idata, keep)
    post = idata["posterior"]
    su = np.asarray(post["sigma_u"].values).reshape(-1, nlev)
    s = np.asarray(post["sigma"].values).reshape(-1)
    variances = np.column_stack([su**2, s**2])
    b = np.asarray(post["beta"].values).reshape(-1, p)
    a = (1 - ci_level) / 2
    fixed = tidy_frame(
        {"term": nm, "estimate": float(b[:, j].mean()), "std_error": float(b[:, j].std(ddof=1)),
         "ci_low": float(np.quantile(b[:, j], a)), "ci_high": float(np.quantile(b[:, j], 1 - a)),
         "ci_level": ci_level}
        for j, nm in enumerate(nd.x_names)
    )  # fmt: skip
    return Posterior(variances=variances, fixed=fixed, diagnostics=diag, idata=idata)
