"""Three-level random-effects model (effects nested in clusters) in O(N p^2).

The marginal covariance of the effects of cluster ``j`` is
``V_j = diag(v_ij + s2) + s1 11'`` (``s1``: between-cluster variance, ``s2``: within-cluster,
between-effect variance). Its inverse and determinant are closed-form (Sherman-Morrison):
with ``d = v + s2``, ``a_j = sum 1/d`` and ``c_j = s1 / (1 + s1 a_j)``,
``V_j^-1 u = u/d - c_j (1'(u/d)) / d`` and ``log|V_j| = sum log d + log(1 + s1 a_j)``.
So the likelihood, its gradient and the average-information matrix need only sums over the
rows of each cluster; nothing of size N x N is formed.

Arrays must be sorted by cluster; ``starts`` are the first rows of the clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

_LOG2PI = np.log(2 * np.pi)


class Clusters:
    """Row layout of sorted clustered data."""

    def __init__(self, codes: np.ndarray) -> None:
        codes = np.asarray(codes)
        if codes.size and np.any(np.diff(codes) < 0):
            raise ValueError("rows must be sorted by cluster")
        change = np.flatnonzero(np.diff(codes)) + 1
        self.starts = np.concatenate([[0], change]).astype(np.intp)
        self.sizes = np.diff(np.concatenate([self.starts, [codes.size]]))
        self.index = np.repeat(np.arange(self.starts.size), self.sizes)
        self.m = self.starts.size
        self.n = codes.size

    def sum(self, a: np.ndarray) -> np.ndarray:
        """Per-cluster sums of the rows of ``a`` (1-D or 2-D)."""
        return np.add.reduceat(a, self.starts, axis=0)


@dataclass
class State:
    """Everything the likelihood and its derivatives need at (s1, s2)."""

    s1: float
    s2: float
    d: np.ndarray
    a: np.ndarray
    c: np.ndarray
    WX: np.ndarray
    XWX: np.ndarray
    M: np.ndarray
    beta: np.ndarray
    e: np.ndarray
    We: np.ndarray
    logdet_v: float


def _apply_w(cl: Clusters, d: np.ndarray, c: np.ndarray, u: np.ndarray) -> np.ndarray:
    ud = u / d if u.ndim == 1 else u / d[:, None]
    s = cl.sum(ud)
    if u.ndim == 1:
        return ud - (c * s)[cl.index] / d
    return ud - (c[:, None] * s)[cl.index] / d[:, None]


def state(y, v, X, cl: Clusters, s1: float, s2: float) -> State:
    d = v + s2
    a = cl.sum(1.0 / d)
    c = s1 / (1.0 + s1 * a)
    WX = _apply_w(cl, d, c, X)
    XWX = X.T @ WX
    M = np.linalg.inv(XWX)
    beta = M @ (WX.T @ y)
    e = y - X @ beta
    We = _apply_w(cl, d, c, e)
    logdet_v = float(np.sum(np.log(d)) + np.sum(np.log1p(s1 * a)))
    return State(s1, s2, d, a, c, WX, XWX, M, beta, e, We, logdet_v)


def loglik(st: State, X: np.ndarray, reml: bool) -> float:
    """metafor's log-likelihood (REML including the ``log|X'X|`` constant)."""
    n, p = X.shape
    q = float(st.e @ st.We)
    if not reml:
        return -0.5 * (n * _LOG2PI + st.logdet_v + q)
    ld_xwx = np.linalg.slogdet(st.XWX)[1]
    ld_xx = np.linalg.slogdet(X.T @ X)[1]
    return -0.5 * ((n - p) * _LOG2PI + st.logdet_v + ld_xwx - ld_xx + q)


def _grad_ai(st: State, X, cl: Clusters, reml: bool) -> tuple[np.ndarray, np.ndarray]:
    """Score and average-information matrix in (s1, s2)."""
    d, a, c = st.d, st.a, st.c
    # traces of W Z_r: Z_1 = block ones, Z_2 = identity
    tr_w2 = float(np.sum(1.0 / d) - np.sum(c * cl.sum(1.0 / d**2)))
    tr_w1 = float(np.sum(a / (1.0 + st.s1 * a)))
    if reml:
        R = cl.sum(st.WX)  # (m, p): X_j' W_j 1
        tr_p1 = tr_w1 - float(np.sum((R @ st.M) * R))
        tr_p2 = tr_w2 - float(np.sum((st.WX @ st.M) * st.WX))
    else:
        tr_p1, tr_p2 = tr_w1, tr_w2
    sums = cl.sum(st.We)
    q1 = float(sums @ sums)
    q2 = float(st.We @ st.We)
    g = 0.5 * np.array([q1 - tr_p1, q2 - tr_p2])
    u1 = sums[cl.index]
    u2 = st.We
    U = np.column_stack([u1, u2])
    # W u1 in closed form (u1 is constant within a cluster): s_j (1 - c_j a_j) / d
    wu1 = (sums * (1.0 - c * a))[cl.index] / d
    WU = np.column_stack([wu1, _apply_w(cl, d, c, u2)])
    ai = U.T @ WU
    if reml:
        XtWU = st.WX.T @ U
        ai = ai - XtWU.T @ st.M @ XtWU
    return g, 0.5 * ai


def fit_components(
    y, v, X, cl: Clusters, *, reml: bool, fixed: tuple[float | None, float | None] = (None, None),
    start: tuple[float, float] | None = None, tol: float = 1e-11, maxiter: int = 200,
) -> tuple[State, float, int]:
    """Maximise the (restricted) likelihood over s1, s2 >= 0 by average-information Newton
    steps with step halving; ``fixed`` holds components at given values (profiles)."""
    if start is None:
        tot = max(float(np.var(y)) - float(np.mean(v)), 0.01)
        start = (tot / 2, tot / 2)
    theta = np.array([fixed[i] if fixed[i] is not None else start[i] for i in range(2)], float)
    free = np.array([f is None for f in fixed])
    st = state(y, v, X, cl, *theta)
    ll = loglik(st, X, reml)
    it = 0
    for it in range(1, maxiter + 1):  # noqa: B007
        g, ai = _grad_ai(st, X, cl, reml)
        act = free & ~((theta <= 0) & (g < 0))  # components held at the boundary
        if not act.any():
            break
        step = np.zeros(2)
        idx = np.flatnonzero(act)
        try:
            step[idx] = np.linalg.solve(ai[np.ix_(idx, idx)], g[idx])
        except np.linalg.LinAlgError:
            step[idx] = g[idx]
        improved = False
        for _ in range(60):
            new = np.maximum(theta + step, 0.0)
            nst = state(y, v, X, cl, *new)
            nll = loglik(nst, X, reml)
            if nll >= ll - 1e-13 * (1 + abs(ll)):
                improved = True
                break
            step /= 2
        if not improved:
            break
        delta = np.abs(new - theta)
        theta, st, ll = new, nst, nll
        if np.all(delta <= tol * (1 + theta)):
            break
    return st, ll, it


def profile_ci(
    y, v, X, cl: Clusters, *, reml: bool, which: int, est: State, ll_max: float,
    ci_level: float,
) -> tuple[float, float]:
    """Profile-likelihood interval for one variance component (metafor ``confint``)."""
    crit = stats.chi2.ppf(ci_level, 1) / 2
    theta = (est.s1, est.s2)
    other = 1 - which

    def f(t: float) -> float:
        fixed: list[float | None] = [None, None]
        fixed[which] = t
        start = list(theta)
        start[which] = t
        ll = fit_components(y, v, X, cl, reml=reml, fixed=tuple(fixed),
                            start=tuple(start), tol=1e-13)[1]  # fmt: skip
        return ll_max - ll - crit

    _ = other
    hat = theta[which]
    if f(0.0) <= 0:
        lo = 0.0
    else:
        lo = optimize.brentq(f, 0.0, hat, xtol=1e-14, rtol=1e-12) if hat > 0 else 0.0
    hi = max(hat, 1e-4) * 2
    for _i in range(200):
        if f(hi) > 0:
            break
        hi *= 2
    up = optimize.brentq(f, hat, hi, xtol=1e-14, rtol=1e-12)
    return float(lo), float(up)


def typical_variance(v: np.ndarray, X: np.ndarray) -> float:
    """(k - p) / tr(P) with fixed-effect weights: the 'typical' sampling variance."""
    w = 1.0 / v
    A = np.linalg.inv((X * w[:, None]).T @ X)
    trp = np.sum(w) - np.sum(((X * (w**2)[:, None]) @ A) * X)
    n, p = X.shape
    return (n - p) / trp
