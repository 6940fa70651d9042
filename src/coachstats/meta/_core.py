"""Random-effects meta-regression in O(k p^2): every trace and quadratic form metafor takes
from dense k x k matrices is computed here from p x p cross-products.

With ``W = diag(w)``, ``A = (X'WX)^-1`` and ``P = W - W X A X' W``, and ``M_f = X' diag(f) X``:

* ``y'Py = sum(w e^2)`` and ``y'PPy = sum(w^2 e^2)`` with GLS residuals ``e``;
* ``tr(P) = sum(w) - tr(A M_{w^2})``;
* ``tr(PP) = sum(w^2) - 2 tr(A M_{w^3}) + tr(A M_{w^2} A M_{w^2})``;
* ``tr(PDPD)`` and ``tr(PPD)`` for ``D = diag(d)`` likewise (used only for SEs of tau^2).

Everything is vectorised over a leading batch axis whose members share ``y``, ``v`` and ``X``
but use different subsets of studies (a 0/1 ``mask``): one call fits all leave-one-out
models at once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

METHODS = ("REML", "ML", "DL", "PM", "EB", "HS", "SJ", "HE", "FE")
TESTS = ("z", "knha")
_LOG2PI = np.log(2 * np.pi)


class NonConvergenceError(ValueError):
    """An iterative tau^2 estimator did not converge."""


class _Ones(np.ndarray):
    """Marks the intercept-only design so cross-products reduce to plain sums."""


def ones_design(k: int) -> np.ndarray:
    return np.ones((k, 1)).view(_Ones)


def _as_design(X, k: int) -> np.ndarray:
    if X is None:
        return ones_design(k)
    X = np.asarray(X, float)
    if X.shape[1] == 1 and np.all(X == 1):
        return ones_design(k)
    return X


def _M(f: np.ndarray, X: np.ndarray) -> np.ndarray:
    """X' diag(f_b) X for each batch row of f: (B, k) -> (B, p, p)."""
    if isinstance(X, _Ones):
        return f.sum(1)[:, None, None]
    if X.shape[1] == 1:
        return (f @ (X[:, 0] ** 2))[:, None, None]
    return np.einsum("bk,kp,kq->bpq", f, X, X, optimize=True)


def _tr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("bij,bji->b", a, b)


def _inv(M: np.ndarray) -> np.ndarray:
    if M.shape[1] == 1:
        return 1.0 / M
    return np.linalg.inv(M)


@dataclass
class _GLS:
    w: np.ndarray  # (B, k), zero outside the mask
    A: np.ndarray  # (B, p, p)
    beta: np.ndarray  # (B, p)
    e: np.ndarray  # (B, k) residuals (masked entries are meaningless but multiplied by w=0)

    @property
    def q(self) -> np.ndarray:
        return np.sum(self.w * self.e**2, axis=1)


def _gls(y, v, X, mask, tau2) -> _GLS:
    w = mask / (v[None, :] + np.asarray(tau2, float)[:, None])
    A = _inv(_M(w, X))
    if isinstance(X, _Ones):
        beta = (w @ y)[:, None] * A[:, :, 0]
        e = y[None, :] - beta
    else:
        xwy = (w * y[None, :]) @ X  # (B, p)
        beta = np.einsum("bpq,bq->bp", A, xwy)
        e = y[None, :] - beta @ X.T
    return _GLS(w, A, beta, e)


def _trP(g: _GLS, X) -> np.ndarray:
    return g.w.sum(1) - _tr(g.A, _M(g.w**2, X))


def _trPP(g: _GLS, X) -> np.ndarray:
    m2 = _M(g.w**2, X)
    am2 = g.A @ m2
    return (g.w**2).sum(1) - 2 * _tr(g.A, _M(g.w**3, X)) + _tr(am2, am2)


def _trPD(g: _GLS, X, d) -> np.ndarray:
    return (g.w * d).sum(1) - _tr(g.A, _M(d * g.w**2, X))


def _trPPD(g: _GLS, X, d) -> np.ndarray:
    return (
        (d * g.w**2).sum(1)
        - 2 * _tr(g.A, _M(d * g.w**3, X))
        + _tr(g.A @ _M(g.w**2, X), g.A @ _M(d * g.w**2, X))
    )


def _trPDPD(g: _GLS, X, d) -> np.ndarray:
    amd = g.A @ _M(g.w**2 * d, X)
    return (g.w**2 * d**2).sum(1) - 2 * _tr(g.A, _M(g.w**3 * d**2, X)) + _tr(amd, amd)


def loglik(y, v, X, mask, tau2, reml: bool, g: _GLS | None = None) -> np.ndarray:
    """ML or REML log-likelihood at ``tau2`` (metafor's definition, REMLf = TRUE)."""
    g = _gls(y, v, X, mask, tau2) if g is None else g
    k = mask.sum(1)
    p = X.shape[1]
    ldv = np.sum(mask * np.log(v[None, :] + tau2[:, None]), axis=1)
    if not reml:
        return -0.5 * k * _LOG2PI - 0.5 * ldv - 0.5 * g.q
    ld_xwx = np.linalg.slogdet(_M(g.w, X))[1]
    ld_xx = np.linalg.slogdet(_M(mask.astype(float), X))[1]
    return -0.5 * (k - p) * _LOG2PI + 0.5 * ld_xx - 0.5 * ldv - 0.5 * ld_xwx - 0.5 * g.q


def _he(y, v, X, mask):
    m = mask.astype(float)
    A = _inv(_M(m, X))
    beta = np.einsum("bpq,bq->bp", A, (m * y[None, :]) @ np.asarray(X))
    e = y[None, :] - beta @ np.asarray(X).T
    g = _GLS(m, A, beta, e)
    k = m.sum(1)
    p = X.shape[1]
    rss = np.sum(m * e**2, axis=1)
    trpv = _trPD(g, X, v[None, :])
    tau2 = (rss - trpv) / (k - p)
    return tau2, g, trpv


def _q_root(y, v, X, mask, target, tol, maxiter, name):
    """Solve y'P(tau2)y = target for tau2 >= 0 (safeguarded Newton; Q decreases in tau2)."""
    B = mask.shape[0]
    q0 = _gls(y, v, X, mask, np.zeros(B)).q
    out = np.zeros(B)
    todo = q0 > target
    if not todo.any():
        return out, 0
    lo = np.zeros(B)
    hi = np.full(B, max(1.0, float(np.var(y)) * 10))
    for _ in range(200):  # grow the bracket until Q(hi) < target
        qh = _gls(y, v, X, mask, hi).q
        grow = todo & (qh > target)
        if not grow.any():
            break
        hi = np.where(grow, hi * 10, hi)
    t = np.where(todo, 0.5 * (lo + hi), 0.0)
    it = 0
    active = todo.copy()
    while active.any():
        it += 1
        if it > maxiter:
            raise NonConvergenceError(
                f"The {name} estimator of tau^2 did not converge in {maxiter} iterations; "
                "try method='REML' or method='DL'."
            )
        g = _gls(y, v, X, mask, t)
        f = g.q - target
        lo = np.where(active & (f > 0), t, lo)
        hi = np.where(active & (f <= 0), t, hi)
        deriv = -np.sum(g.w**2 * g.e**2, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = t - f / deriv
        ok = np.isfinite(newton) & (newton > lo) & (newton < hi)
        new = np.where(ok, newton, 0.5 * (lo + hi))
        step = np.abs(new - t)
        t = np.where(active, new, t)
        active = active & (step > tol * (1 + t)) & (hi - lo > tol * (1 + t))
    return np.where(todo, t, 0.0), it


def _score(y, v, X, mask, t2, method):
    """Fisher-scoring step (score / information) and the raw score for ML or REML."""
    g = _gls(y, v, X, mask, t2)
    ypp = np.sum(g.w**2 * g.e**2, axis=1)
    if method == "REML":
        score, info = ypp - _trP(g, X), _trPP(g, X)
    else:
        score, info = ypp - g.w.sum(1), (g.w**2).sum(1)
    return score / info, score


def _score_root(y, v, X, mask, start, method, tol, maxiter) -> float:
    """Root of the ML/REML score in tau2 >= 0 by Brent's method on a bracket."""
    from scipy.optimize import brentq

    def f(t: float) -> float:
        return float(_score(y, v, X, mask, np.array([t]), method)[1][0])

    if f(0.0) <= 0:
        return 0.0
    hi = max(start, 1e-8) * 2
    for _ in range(200):
        if f(hi) < 0:
            break
        hi *= 2
    else:
        raise NonConvergenceError(
            f"{method}: could not bracket the maximum of the likelihood; try method='PM' "
            "or method='DL'."
        )
    try:
        return float(brentq(f, 0.0, hi, xtol=1e-300, rtol=max(tol, 4 * np.finfo(float).eps),
                            maxiter=maxiter))  # fmt: skip
    except RuntimeError as exc:
        raise NonConvergenceError(
            f"Fisher scoring and root-finding for {method} did not converge; try "
            "method='PM' or method='DL' (non-iterative)."
        ) from exc


@dataclass
class Fit:
    """Numbers of a fitted (batch of) random-effects model(s); arrays have a batch axis."""

    method: str
    test: str
    k: np.ndarray
    p: int
    tau2: np.ndarray
    se_tau2: np.ndarray
    beta: np.ndarray
    vb: np.ndarray
    s2w: np.ndarray
    ddf: np.ndarray
    qe: np.ndarray
    qe_p: np.ndarray
    vt: np.ndarray
    i2: np.ndarray
    h2: np.ndarray
    w: np.ndarray
    iterations: int
    ll_ml: np.ndarray
    ll_reml: np.ndarray


def fit(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    *,
    method: str = "REML",
    test: str = "z",
    tol: float = 1e-12,
    maxiter: int = 500,
    tau2: float | None = None,
) -> Fit:
    """Fit a random-effects (meta-regression) model; see the module docstring."""
    y = np.asarray(y, float)
    v = np.asarray(v, float)
    k_all = y.shape[0]
    X = _as_design(X, k_all)
    mask = np.ones((1, k_all)) if mask is None else np.asarray(mask, float)
    B = mask.shape[0]
    p = X.shape[1]
    k = mask.sum(1)
    iters = 0
    se_t2 = np.full(B, np.nan)

    if tau2 is not None:
        t2 = np.full(B, float(tau2))
    elif method == "FE":
        t2 = np.zeros(B)
    elif method in ("DL", "HS"):
        g0 = _gls(y, v, X, mask, np.zeros(B))
        trp = _trP(g0, X)
        trpp = _trPP(g0, X)
        if method == "DL":
            t2 = np.maximum(0, (g0.q - (k - p)) / trp)
            denom = trp
        else:
            t2 = np.maximum(0, (g0.q - k) / g0.w.sum(1))
            denom = g0.w.sum(1)
        se_t2 = np.sqrt((2 * (k - p) + 4 * t2 * trp + 2 * t2**2 * trpp) / denom**2)
    elif method == "HE":
        raw, g_ols, trpv = _he(y, v, X, mask)
        t2 = np.maximum(0, raw)
        se_t2 = np.sqrt(
            (2 * _trPDPD(g_ols, X, v[None, :]) + 4 * t2 * trpv + 2 * t2**2 * (k - p)) / (k - p) ** 2
        )
    elif method == "SJ":
        ybar = (mask @ y) / k
        t0 = np.sum(mask * (y[None, :] - ybar[:, None]) ** 2, axis=1) / k
        g = _gls(y, v, X, mask, t0)
        t2 = t0 * g.q / (k - p)
        d = v[None, :]
        se_t2 = np.sqrt(
            t0**2
            / (k - p) ** 2
            * (2 * _trPDPD(g, X, d) + 4 * t2 * _trPPD(g, X, d) + 2 * t2**2 * _trPP(g, X))
        )
    elif method in ("PM", "EB"):
        t2, iters = _q_root(y, v, X, mask, k - p, tol, maxiter, method)
    elif method in ("ML", "REML"):
        t2 = np.maximum(0, _he(y, v, X, mask)[0])
        active = np.ones(B, dtype=bool)
        # Fisher scoring from the HE estimate (as metafor); members whose iterations
        # oscillate are finished by bracketed root-finding on the score
        while active.any() and iters < min(maxiter, 40):
            iters += 1
            adj = _score(y, v, X, mask, t2, method)[0]
            adj = np.where(np.isfinite(adj), adj, 0.0)
            for _ in range(60):  # step halving keeps tau2 >= 0
                neg = t2 + adj < 0
                if not neg.any():
                    break
                adj = np.where(neg, adj / 2, adj)
            adj = np.where(t2 + adj < 0, -t2, adj)
            new = np.where(active, t2 + adj, t2)
            active = active & (np.abs(new - t2) > tol * (1 + new))
            t2 = new
        for b in np.flatnonzero(active):
            t2[b] = _score_root(y, v, X, mask[b : b + 1], float(t2[b]), method, tol, maxiter)
        # a boundary check as metafor does: the likelihood at tau2 = 0 must not be higher
        reml = method == "REML"
        ll0 = loglik(y, v, X, mask, np.zeros(B), reml)
        ll1 = loglik(y, v, X, mask, t2, reml)
        stuck = (ll0 - ll1 > 1e-5) & (t2 > 1e-5)
        if stuck.any():
            warnings.warn(
                f"Fisher scoring for {method} ended at a point with lower likelihood than "
                "tau^2 = 0; setting tau^2 = 0.",
                RuntimeWarning,
                stacklevel=3,
            )
            t2 = np.where(stuck, 0.0, t2)
    else:  # pragma: no cover - validated by callers
        raise ValueError(f"unknown method {method!r}")

    g = _gls(y, v, X, mask, t2)
    if method == "REML":
        se_t2 = np.sqrt(2 / _trPP(g, X))
    elif method == "ML":
        se_t2 = np.sqrt(2 / (g.w**2).sum(1))
    elif method in ("PM", "EB"):
        se_t2 = np.sqrt(2 * k**2 / (k - p) / g.w.sum(1) ** 2)
    vb = g.A.copy()
    ddf = np.full(B, np.nan)
    s2w = np.ones(B)
    if test == "knha":
        rss = g.q
        s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / (k - p))
        vb = vb * s2w[:, None, None]
        ddf = k - p
    # heterogeneity with fixed-effect weights
    gfe = _gls(y, v, X, mask, np.zeros(B))
    qe = np.maximum(0.0, gfe.q)
    df = k - p
    qe_p = np.where(df > 0, stats.chi2.sf(qe, np.maximum(df, 1)), 1.0)
    trp = _trP(gfe, X)
    with np.errstate(divide="ignore", invalid="ignore"):
        vt = np.where(df > 0, df / trp, 0.0)
        if method == "FE":
            i2 = np.where(qe > 0, np.maximum(0, 100 * (qe - df) / qe), 0.0)
            h2 = qe / df
        else:
            i2 = np.where(df > 0, 100 * t2 / (vt + t2), 0.0)
            h2 = np.where(df > 0, t2 / vt + 1, 1.0)
    return Fit(
        method=method,
        test=test,
        k=k,
        p=p,
        tau2=t2,
        se_tau2=se_t2,
        beta=g.beta,
        vb=vb,
        s2w=s2w,
        ddf=ddf,
        qe=qe,
        qe_p=qe_p,
        vt=vt,
        i2=i2,
        h2=h2,
        w=g.w,
        iterations=iters,
        ll_ml=loglik(y, v, X, mask, t2, reml=False, g=g),
        ll_reml=loglik(y, v, X, mask, t2, reml=True, g=g),
    )


def crit_value(test: str, ci_level: float, ddf: np.ndarray | float) -> np.ndarray:
    a = (1 - ci_level) / 2
    if test == "knha":
        return stats.t.isf(a, ddf)
    return np.full(np.shape(ddf), stats.norm.isf(a))


def q_profile(y, v, X, ci_level: float, tol: float = 1e-12) -> tuple[float, float]:
    """Q-profile CI for tau^2 (Viechtbauer 2007): tau^2 where the generalised Q statistic
    equals the chi^2_{k-p} quantiles; bounds truncated at 0 as metafor does."""
    mask = np.ones((1, len(y)))
    X = _as_design(X, len(y))
    df = len(y) - X.shape[1]
    a = (1 - ci_level) / 2
    crit_u = stats.chi2.isf(a, df)  # lower bound of tau2
    crit_l = stats.chi2.ppf(a, df)  # upper bound of tau2
    lb = _q_root(y, v, X, mask, crit_u, tol, 500, "Q-profile")[0][0]
    ub = _q_root(y, v, X, mask, crit_l, tol, 500, "Q-profile")[0][0]
    return float(lb), float(ub)
