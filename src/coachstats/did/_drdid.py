"""Two-period DiD estimators with covariates and their influence functions.

Outcome regression (Heckman, Ichimura & Todd 1997), standardised inverse probability
weighting (Abadie 2005) and the doubly robust estimator of Sant'Anna & Zhao (2020), in the
panel form used for each group-time cell by Callaway & Sant'Anna (2021). Inputs are the
cell's units only: ``dy`` (outcome change), ``d`` (1 = treated cohort, 0 = control) and
``x`` (covariates with a leading intercept column). Each function returns the estimate and
its influence function scaled so that ``se = sqrt(mean(inf**2) / len(dy))``.
"""

from __future__ import annotations

import numpy as np

_TRIM = 0.995  # controls with a propensity above this get zero weight


def logit(d: np.ndarray, x: np.ndarray, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression by Newton-Raphson: returns fitted probabilities and the inverse of
    the average Hessian (``n * vcov``)."""
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        w = p * (1 - p)
        h = (x * w[:, None]).T @ x
        step = np.linalg.solve(h, x.T @ (d - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1.0 / (1.0 + np.exp(-(x @ beta)))
    w = p * (1 - p)
    h_inv = np.linalg.inv((x * w[:, None]).T @ x / x.shape[0])
    return p, h_inv


def _ols_control(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS of ``dy`` on ``x`` among controls; returns fitted values for all and the
    asymptotic linear representation of the coefficients."""
    c = 1.0 - d
    xpx = (x * c[:, None]).T @ x
    beta = np.linalg.solve(xpx, (x * c[:, None]).T @ dy)
    fit = x @ beta
    xpx_inv = np.linalg.inv(xpx / len(dy))
    alr = (c * (dy - fit))[:, None] * x @ xpx_inv
    return fit, alr


def reg_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD."""
    fit, alr = _ols_control(dy, d, x)
    md = d.mean()
    att_t = np.mean(d * dy) / md
    att_c = np.mean(d * fit) / md
    inf_t = (d * dy - d * att_t) / md
    m1 = (d[:, None] * x).mean(axis=0)
    inf_c = (d * fit - d * att_c + alr @ m1) / md
    return float(att_t - att_c), inf_t - inf_c


def ipw_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Standardised (Hajek) inverse-probability-weighted DiD."""
    ps, h_inv = logit(d, x)
    ps = np.minimum(ps, 1 - 1e-6)
    wt = d
    wc = ps * (1 - d) / (1 - ps)
    wc = np.where((1 - d) * (ps >= _TRIM) > 0, 0.0, wc)
    att_t = np.mean(wt * dy) / wt.mean()
    att_c = np.mean(wc * dy) / wc.mean()
    alr_ps = ((d - ps)[:, None] * x) @ h_inv
    inf_t = wt * (dy - att_t) / wt.mean()
    m2 = ((wc * (dy - att_c))[:, None] * x).mean(axis=0)
    inf_c = (wc * (dy - att_c) + alr_ps @ m2) / wc.mean()
    return float(att_t - att_c), inf_t - inf_c


def dr_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Doubly robust DiD (Sant'Anna & Zhao 2020, panel data, logit propensity + OLS)."""
    ps, h_inv = logit(d, x)
    ps = np.minimum(ps, 1 - 1e-6)
    fit, alr_ols = _ols_control(dy, d, x)
    wt = d
    wc = ps * (1 - d) / (1 - ps)
    wc = np.where((1 - d) * (ps >= _TRIM) > 0, 0.0, wc)
    r = dy - fit
    eta_t = np.mean(wt * r) / wt.mean()
    eta_c = np.mean(wc * r) / wc.mean()
    alr_ps = ((d - ps)[:, None] * x) @ h_inv
    inf_t = (wt * r - wt * eta_t - alr_ols @ (wt[:, None] * x).mean(axis=0)) / wt.mean()
    m2 = ((wc * (r - eta_c))[:, None] * x).mean(axis=0)
    m3 = (wc[:, None] * x).mean(axis=0)
    inf_c = (wc * r - wc * eta_c + alr_ps @ m2 - alr_ols @ m3) / wc.mean()
    return float(eta_t - eta_c), inf_t - inf_c


ESTIMATORS = {"reg": reg_did, "ipw": ipw_did, "dr": dr_did}
