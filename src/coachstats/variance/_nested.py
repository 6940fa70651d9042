"""REML and ML for nested random intercepts, in O(number of groups) per evaluation.

Model (levels ordered outer to inner, e.g. division > manager > team, people innermost)::

    y = X beta + sum_l Z_l u_l + e,   u_l ~ N(0, s2_l I),   e ~ N(0, s2 I)

With nested groups the marginal covariance V is block diagonal by top-level group, and each
block is the covariance of its children plus ``s2_l 11'``. Sherman-Morrison and the matrix
determinant lemma give, for ``A + s 11'``::

    (A + s 11')^-1 = A^-1 - c A^-1 1 1' A^-1,   c = s / (1 + s 1'A^-1 1)
    log|A + s 11'| = log|A| + log(1 + s 1'A^-1 1)

so the quadratic forms a likelihood needs (``1'A^-1 1``, ``1'A^-1 y``, ``y'A^-1 y``,
``X'A^-1 1``, ``X'A^-1 y``, ``X'A^-1 X``) and ``log|A|`` pass from each level to its parent
by an update and a sum. The recursion starts from per-innermost-group sums of ``1, y, y^2,
x, xy, xx'``, computed once; nothing of size n x n (or n) is touched while optimising.

The residual variance is profiled out (as in lme4): the free parameters are the relative
standard deviations ``t_l = s_l / s``, optimised with L-BFGS-B under ``t_l >= 0``, so an
estimate of exactly zero is reachable (a log-variance scale cannot reach the boundary, and
zero between-group variance is common in survey data). The criteria are lme4's::

    ML:   log|V_t| + n (1 + log(2 pi rss / n))
    REML: log|V_t| + log|X'V_t^-1 X| + (n - p) (1 + log(2 pi rss / (n - p)))

with ``V_t = V / s2`` and ``rss = (y - X b)' V_t^-1 (y - X b)`` at the GLS estimate ``b``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import sparse

from .._progress import ProgressLike, progress_bar

LOG2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Design:
    """Nested structure and sufficient statistics (innermost level first internally).

    ``parent[l]`` maps each group of internal level ``l`` (0 = innermost) to its group at
    level ``l + 1``; the outermost level maps to a single root. ``ancestor[l]`` maps each
    innermost group to its group at internal level ``l``.
    """

    n: int
    p: int
    n_groups: tuple[int, ...]
    parent: tuple[np.ndarray, ...]
    ancestor: tuple[np.ndarray, ...]
    cnt: np.ndarray
    sy: np.ndarray
    syy: np.ndarray
    sx: np.ndarray
    sxy: np.ndarray
    sxx: np.ndarray
    agg: tuple[sparse.csr_matrix, ...]
    intercept_only: bool


def build_design(codes: list[np.ndarray], y: np.ndarray, x: np.ndarray) -> Design:
    """Build the design from per-person integer group codes, innermost level first.

    ``codes[l]`` holds each person's group code (0..G_l - 1) at internal level ``l``; the
    codes must nest (checked by the caller).
    """
    inner = codes[0]
    g1 = int(inner.max()) + 1
    cnt = np.bincount(inner, minlength=g1).astype(float)
    sy = np.bincount(inner, weights=y, minlength=g1)
    syy = np.bincount(inner, weights=y * y, minlength=g1)
    p = x.shape[1]
    sx = np.column_stack([np.bincount(inner, weights=x[:, j], minlength=g1) for j in range(p)])
    sxy = np.column_stack(
        [np.bincount(inner, weights=x[:, j] * y, minlength=g1) for j in range(p)]
    )
    sxx = np.empty((g1, p, p))
    for j in range(p):
        for k in range(j, p):
            s = np.bincount(inner, weights=x[:, j] * x[:, k], minlength=g1)
            sxx[:, j, k] = s
            sxx[:, k, j] = s
    parents, ancestors, n_groups = [], [], []
    first = np.zeros(g1, dtype=np.int64)
    first[inner] = np.arange(len(inner))  # a representative person of each innermost group
    for lev in range(len(codes)):
        g = int(codes[lev].max()) + 1
        n_groups.append(g)
        rep = np.zeros(g, dtype=np.int64)
        rep[codes[lev]] = np.arange(len(inner))
        if lev + 1 < len(codes):
            parents.append(codes[lev + 1][rep].astype(np.int64))
        else:
            parents.append(np.zeros(g, dtype=np.int64))
        ancestors.append(codes[lev][first].astype(np.int64))
    agg = tuple(
        _aggregator(par, 1 if lev + 1 == len(codes) else n_groups[lev + 1])
        for lev, par in enumerate(parents)
    )
    return Design(
        n=len(y), p=p, n_groups=tuple(n_groups), parent=tuple(parents),
        ancestor=tuple(ancestors), cnt=cnt, sy=sy, syy=syy, sx=sx, sxy=sxy, sxx=sxx, agg=agg,
        intercept_only=bool(p == 1 and np.all(x[:, 0] == 1.0)),
    )  # fmt: skip


def with_response(design: Design, sy: np.ndarray, syy: np.ndarray, sxy: np.ndarray) -> Design:
    """The same design with new response sums (for the parametric bootstrap)."""
    return replace(design, sy=sy, syy=syy, sxy=sxy)


def _aggregator(parent: np.ndarray, size: int) -> sparse.csr_matrix:
    g = len(parent)
    return sparse.csr_matrix((np.ones(g), (parent, np.arange(g))), shape=(size, g))


def _agg(m: sparse.csr_matrix, a: np.ndarray) -> np.ndarray:
    return np.asarray(m @ a.reshape(a.shape[0], -1)).reshape((m.shape[0], *a.shape[1:]))


def criteria(
    ratios: np.ndarray,
    d: Design,
    reml: bool,
    resp: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Criterion for B parameter vectors at once.

    ``ratios`` has shape (B, L): variance ratios ``s_l / s`` (innermost level first).
    ``resp`` = (sy, syy, sxy) of shapes (G1, B), (G1, B), (G1, B, p) gives each column its
    own response (the bootstrap); by default every column uses the observed data.
    Returns (criterion, rss, beta, qxx) with shapes (B,), (B,), (B, p), (B, p, p).
    Ratios slightly below zero are evaluated as long as the covariance stays positive
    definite (central differences at the boundary need them).
    """
    b = ratios.shape[0]
    q11 = np.broadcast_to(d.cnt[:, None], (d.n_groups[0], b))
    if resp is None:
        q1y = np.broadcast_to(d.sy[:, None], q11.shape)
        qyy = np.broadcast_to(d.syy[:, None], q11.shape)
        qxy = np.broadcast_to(d.sxy[:, None, :], (*q11.shape, d.p))
    else:
        q1y, qyy, qxy = resp
    # with an intercept only, X = 1: the X forms equal the 1 forms at every step
    only1 = d.intercept_only
    if not only1:
        qx1 = np.broadcast_to(d.sx[:, None, :], (*q11.shape, d.p))
        qxx = np.broadcast_to(d.sxx[:, None, :, :], (*q11.shape, d.p, d.p))
    logdet = np.zeros(b)
    bad = np.zeros(b, dtype=bool)
    for lev in range(len(d.n_groups)):
        s = ratios[:, lev][None, :]
        den = 1.0 + s * q11
        if (den <= 0).any():
            bad |= (den <= 0).any(axis=0)
            den = np.where(den > 0, den, 1.0)
        logdet += np.log(den).sum(axis=0)
        c = s / den
        cq = c * q1y
        qyy = qyy - cq * q1y
        if not only1:
            qxy = qxy - cq[..., None] * qx1
            qxx = qxx - c[..., None, None] * qx1[..., :, None] * qx1[..., None, :]
            qx1 = qx1 / den[..., None]
        q1y, q11 = q1y / den, q11 / den
        m = d.agg[lev]
        q11, q1y, qyy = _agg(m, q11), _agg(m, q1y), _agg(m, qyy)
        if not only1:
            qx1, qxy, qxx = _agg(m, qx1), _agg(m, qxy), _agg(m, qxx)
    if only1:
        qxy, qxx = q1y[..., None], q11[..., None, None]
    qyy, qxy, qxx = qyy[0], qxy[0], qxx[0]
    sign, ldx = np.linalg.slogdet(qxx)
    bad |= sign <= 0
    qxx_safe = np.where(bad[:, None, None], np.eye(d.p), qxx)
    beta = np.linalg.solve(qxx_safe, qxy[..., None])[..., 0]
    rss = qyy - (qxy * beta).sum(axis=1)
    bad |= ~(rss > 0)
    rss_safe = np.where(bad, 1.0, rss)
    if reml:
        m_ = d.n - d.p
        crit = logdet + ldx + m_ * (1 + LOG2PI + np.log(rss_safe / m_))
    else:
        crit = logdet + d.n * (1 + LOG2PI + np.log(rss_safe / d.n))
    crit = np.where(bad, np.inf, crit)
    return crit, rss, beta, qxx


def criterion(t: np.ndarray, d: Design, reml: bool) -> float:
    """lme4's deviance (ML) or REML criterion at relative SDs ``t`` (innermost first)."""
    return float(criteria(np.asarray(t, float)[None, :] ** 2, d, reml)[0][0])


@dataclass(frozen=True)
class Fit:
    """Variance components (outer to inner, then residual), fixed effects and criterion."""

    variances: np.ndarray  # (B, L + 1): outer -> inner levels, then residual
    beta: np.ndarray  # (B, p)
    beta_cov: np.ndarray  # (B, p, p)
    criterion: np.ndarray  # (B,)
    converged: np.ndarray  # (B,)
    ratios: np.ndarray  # (B, L): variance ratios, innermost first (optimiser scale)


def _derivatives(
    f, r: np.ndarray, f0: np.ndarray, idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradient and Hessian of ``f`` at each row of ``r``."""
    b, k = r.shape
    h = 1e-4 * np.maximum(np.abs(r), 1e-2)
    g = np.empty((b, k))
    hess = np.empty((b, k, k))
    plus, minus = [], []
    for i in range(k):
        e = np.zeros((b, k))
        e[:, i] = h[:, i]
        fp, fm = f(r + e, idx), f(r - e, idx)
        plus.append(fp)
        minus.append(fm)
        g[:, i] = (fp - fm) / (2 * h[:, i])
        hess[:, i, i] = (fp - 2 * f0 + fm) / h[:, i] ** 2
    for i in range(k):
        for j in range(i + 1, k):
            e = np.zeros((b, k))
            e[:, i], e[:, j] = h[:, i], h[:, j]
            fpp, fmm = f(r + e, idx), f(r - e, idx)
            # f(x+ei+ej) + f(x-ei-ej) - f(x+ei) - f(x-ei) - f(x+ej) - f(x-ej) + 2 f(x)
            v = (fpp + fmm - plus[i] - minus[i] - plus[j] - minus[j] + 2 * f0) / (
                2 * h[:, i] * h[:, j]
            )
            hess[:, i, j] = hess[:, j, i] = v
    return g, hess


def newton(
    f, r0: np.ndarray, max_iter: int = 60, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Projected Newton minimisation of ``f`` over rows of ``r0`` subject to ``r >= 0``.

    ``f(r, idx)`` maps rows ``r`` (shape (m, k)) of problems ``idx`` to their values.
    Components at zero whose gradient pushes outward are held
    at zero; the rest take a Newton step (Hessian shifted to be positive definite) with
    backtracking. Returns (r, f(r), converged).
    """
    r = np.maximum(np.asarray(r0, float), 0.0)
    b, k = r.shape
    fr = f(r, np.arange(b))
    done = np.zeros(b, dtype=bool)
    for _ in range(max_iter):
        act = ~done
        if not act.any():
            break
        ra, fa, aidx = r[act], fr[act], np.flatnonzero(act)
        g, hess = _derivatives(f, ra, fa, aidx)
        fixed = (ra <= 0) & (g > 0)
        free = ~fixed
        gf = np.where(free, g, 0.0)
        hf = hess * free[:, :, None] * free[:, None, :] + np.eye(k) * fixed[:, :, None]
        w, v = np.linalg.eigh(hf)
        shift = np.maximum(0.0, 1e-8 * np.abs(w).max(axis=1) - w.min(axis=1))
        w = w + shift[:, None]
        step = -np.einsum("bij,bj,bkj,bk->bi", v, 1 / w, v, gf)
        step = np.where(free, step, 0.0)
        alpha = np.ones(len(ra))
        new_r, new_f = ra.copy(), fa.copy()
        pending = np.ones(len(ra), dtype=bool)
        for _ in range(30):
            cand = np.maximum(ra[pending] + alpha[pending, None] * step[pending], 0.0)
            fc = f(cand, aidx[pending])
            ok = fc <= fa[pending] + 1e-13 * np.abs(fa[pending])
            idx = np.flatnonzero(pending)
            new_r[idx[ok]], new_f[idx[ok]] = cand[ok], fc[ok]
            pending[idx[ok]] = False
            alpha[pending] *= 0.5
            if not pending.any():
                break
        conv = (np.abs(fa - new_f) < tol * (1 + np.abs(fa))) & (
            np.abs(new_r - ra).max(axis=1) < 1e-7 * (1 + np.abs(ra).max(axis=1))
        )
        conv |= pending  # no descent possible: at a (numerical) minimum
        r[act], fr[act] = new_r, new_f
        idx = np.flatnonzero(act)
        done[idx[conv]] = True
    return r, fr, done


def fit(
    d: Design,
    reml: bool,
    start: np.ndarray | None = None,
    resp: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Fit:
    """Estimate the variance components (one fit, or B bootstrap fits with ``resp``)."""
    nlev = len(d.n_groups)
    if resp is None:
        starts = np.array([[0.5] * nlev, [0.05] * nlev, [4.0] * nlev])
        if start is not None:
            starts = np.vstack([np.asarray(start, float)[None, :], starts])
        r, fr, conv = newton(lambda x, _: criteria(x, d, reml)[0], starts)
        best = int(np.argmin(fr))
        r, conv = r[best : best + 1], conv[best : best + 1]
        resp_b = None
    else:
        bsz = resp[0].shape[1]
        r0 = np.broadcast_to(np.asarray(start, float), (bsz, nlev)).copy()
        def f(x, idx):
            sub = (resp[0][:, idx], resp[1][:, idx], resp[2][:, idx])
            return criteria(x, d, reml, sub)[0]

        r, _, conv = newton(f, r0)
        resp_b = resp
    crit, rss, beta, qxx = criteria(r, d, reml, resp_b)
    s2 = rss / (d.n - d.p if reml else d.n)
    variances = np.column_stack([(r * s2[:, None])[:, ::-1], s2])
    beta_cov = s2[:, None, None] * np.linalg.inv(qxx)
    return Fit(variances=variances, beta=beta, beta_cov=beta_cov, criterion=crit,
               converged=conv, ratios=r)  # fmt: skip


def simulate_sums(
    d: Design,
    variances: np.ndarray,
    beta: np.ndarray,
    rng: np.random.Generator,
    person: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw new response sums from the fitted model (parametric bootstrap).

    With an intercept-only model the per-group sums are drawn directly (group mean and
    within-group sum of squares are independent normal and scaled chi-square); with
    covariates, ``person = (inner_codes, X)`` and people are drawn one by one.
    """
    nlev = len(d.n_groups)
    s2 = variances[-1]
    lev_var = variances[:-1][::-1]  # innermost first
    g1 = d.n_groups[0]
    effect = np.zeros(g1)
    for lev in range(nlev):
        u = rng.normal(0.0, math.sqrt(lev_var[lev]), d.n_groups[lev])
        effect += u[d.ancestor[lev]]
    if person is None:
        mean = float(beta[0]) + effect
        sy = d.cnt * mean + np.sqrt(d.cnt * s2) * rng.standard_normal(g1)
        ssw = s2 * rng.chisquare(np.maximum(d.cnt - 1, 1)) * (d.cnt > 1)
        syy = ssw + sy * sy / d.cnt
        return sy, syy, sy[:, None].copy()
    inner, x = person
    y = x @ beta + effect[inner] + rng.normal(0.0, math.sqrt(s2), len(inner))
    sy = np.bincount(inner, weights=y, minlength=g1)
    syy = np.bincount(inner, weights=y * y, minlength=g1)
    sxy = np.column_stack(
        [np.bincount(inner, weights=x[:, j] * y, minlength=g1) for j in range(x.shape[1])]
    )
    return sy, syy, sxy


def parametric_bootstrap(
    nd: Any, design: Design, fitted: Fit, reml: bool, n_boot: int,
    rng: np.random.Generator, progress: ProgressLike = False,
) -> np.ndarray:  # fmt: skip
    """Variances refitted to ``n_boot`` datasets drawn from ``fitted`` (rows: replicates)."""
    intercept_only = nd.x.shape[1] == 1
    person = None if intercept_only else (nd.codes[-1], nd.x)
    chunk = max(1, min(n_boot, int(4e6 // max(1, design.n_groups[0] * design.p**2))))
    out = []
    done = 0
    with progress_bar(progress, "parametric bootstrap", n_boot) as advance:
        while done < n_boot:
            b = min(chunk, n_boot - done)
            sims = [
                simulate_sums(design, fitted.variances[0], fitted.beta[0], rng, person)
                for _ in range(b)
            ]
            resp = (
                np.stack([s[0] for s in sims], axis=1),
                np.stack([s[1] for s in sims], axis=1),
                np.stack([s[2] for s in sims], axis=1),
            )
            fb = fit(design, reml, start=fitted.ratios[0], resp=resp)
            out.append(fb.variances)
            done += b
            advance(b)
    return np.vstack(out)
