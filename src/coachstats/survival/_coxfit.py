"""Numerical core of the Cox model: Efron/Breslow partial likelihood, Newton-Raphson, score
(and dfbeta) residuals, and the cox.zph score test of proportional hazards.

Data are sorted by (stratum, time). Every distinct (stratum, time) is a "tie group"; each
death in a group contributes one "row" to the Efron sums, with the tied deaths' own risk
removed by fractions 0, 1/d, ..., (d-1)/d (Efron 1977). Breslow's method uses fraction 0
for every row. The formulas follow Therneau & Grambsch (2000), sections 3.3 and 6.2, and
give the same numbers as R ``survival`` (coxph, residuals(type="score"), cox.zph).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass
class CoxData:
    """Sorted arrays and the tie-group / Efron-row structure (built once per fit)."""

    t: np.ndarray  # (n,) sorted durations
    d: np.ndarray  # (n,) 0/1 events
    x: np.ndarray  # (n, p) covariates, centred
    x_mean: np.ndarray  # (p,) the centring constants
    stratum: np.ndarray  # (n,) integer stratum codes
    order: np.ndarray  # (n,) sort order: sorted = original[order]
    group: np.ndarray  # (n,) tie group of each subject
    g_first: np.ndarray  # (G,) first sorted index of each group
    g_stratum: np.ndarray  # (G,)
    g_time: np.ndarray  # (G,)
    g_deaths: np.ndarray  # (G,)
    s_next: np.ndarray  # (G,) sorted index just past the group's stratum
    row_group: np.ndarray  # (R,) tie group of each Efron row (one row per death)
    row_frac: np.ndarray  # (R,) fraction of the tied deaths' risk removed
    death_idx: np.ndarray  # (R,) sorted index of the death behind each row


def build(
    t: np.ndarray, d: np.ndarray, x: np.ndarray, stratum: np.ndarray, ties: str
) -> CoxData:
    order = np.lexsort((t, stratum))
    t, d, x, stratum = t[order], d[order], x[order], stratum[order]
    x_mean = x.mean(axis=0)
    xc = x - x_mean
    n = len(t)
    new = np.ones(n, dtype=bool)
    new[1:] = (t[1:] != t[:-1]) | (stratum[1:] != stratum[:-1])
    group = np.cumsum(new) - 1
    g_first = np.flatnonzero(new)
    g_stratum = stratum[g_first]
    g_time = t[g_first]
    g_deaths = np.bincount(group, weights=d, minlength=len(g_first)).astype(int)
    s_new = np.ones(n, dtype=bool)
    s_new[1:] = stratum[1:] != stratum[:-1]
    s_start = np.flatnonzero(s_new)
    s_end = np.append(s_start[1:], n)
    s_idx = np.searchsorted(s_start, g_first, side="right") - 1
    s_next = s_end[s_idx]
    death_idx = np.flatnonzero(d == 1)
    row_group = group[death_idx]
    # k-th death within its group -> fraction k/d (Efron) or 0 (Breslow)
    first_death = np.searchsorted(row_group, row_group, side="left")
    k = np.arange(len(death_idx)) - first_death
    row_frac = k / g_deaths[row_group] if ties == "efron" else np.zeros(len(death_idx))
    return CoxData(t, d, xc, x_mean, stratum, order, group, g_first, g_stratum, g_time,
                   g_deaths, s_next, row_group, row_frac, death_idx)


def _rev_cumsum(v: np.ndarray) -> np.ndarray:
    """Reverse cumulative sum along axis 0 with a trailing zero row."""
    out = np.zeros((v.shape[0] + 1, *v.shape[1:]))
    out[:-1] = np.cumsum(v[::-1], axis=0)[::-1]
    return out


@dataclass
class RowSums:
    denom: np.ndarray  # (R,)
    mean: np.ndarray  # (R, p)
    var: np.ndarray  # (R, p, p)
    eta: np.ndarray  # (n,) linear predictor (shifted)
    risk: np.ndarray  # (n,) exp(eta)
    loglik: float


def row_sums(cd: CoxData, beta: np.ndarray, need_var: bool = True) -> RowSums:
    eta = cd.x @ beta
    shift = eta.max() if len(eta) else 0.0
    eta = eta - shift  # a common shift cancels in means/variances and in the log-likelihood
    r = np.exp(eta)
    rx = r[:, None] * cd.x
    c0, c1 = _rev_cumsum(r), _rev_cumsum(rx)
    g0 = c0[cd.g_first] - c0[cd.s_next]
    g1 = c1[cd.g_first] - c1[cd.s_next]
    di = cd.death_idx
    dg = cd.row_group
    G = len(cd.g_first)
    p = cd.x.shape[1]
    dd0 = np.bincount(dg, weights=r[di], minlength=G)
    dd1 = np.zeros((G, p))
    np.add.at(dd1, dg, rx[di])
    f = cd.row_frac
    denom = g0[dg] - f * dd0[dg]
    s1 = g1[dg] - f[:, None] * dd1[dg]
    mean = s1 / denom[:, None]
    var = np.empty((len(dg), p, p))
    if need_var:
        rxx = rx[:, :, None] * cd.x[:, None, :]
        c2 = _rev_cumsum(rxx)
        g2 = c2[cd.g_first] - c2[cd.s_next]
        dd2 = np.zeros((G, p, p))
        np.add.at(dd2, dg, rxx[di])
        s2 = g2[dg] - f[:, None, None] * dd2[dg]
        var = s2 / denom[:, None, None] - mean[:, :, None] * mean[:, None, :]
    # eta was shifted for every death and every log(denom) alike (one row per death): the
    # shifts cancel, so this is the log partial likelihood itself
    loglik = float(eta[di].sum() - np.log(denom).sum())
    return RowSums(denom, mean, var, eta, r, loglik)


def newton(
    cd: CoxData, max_iter: int = 50, tol: float = 1e-10
) -> tuple[np.ndarray, RowSums, float, int, bool]:
    """Maximise the partial likelihood by Newton-Raphson with step halving (as R coxph).

    Returns beta, the row sums at beta, the null log-likelihood, iterations and whether
    the iteration converged.
    """
    p = cd.x.shape[1]
    beta = np.zeros(p)
    cur = row_sums(cd, beta)
    loglik0 = cur.loglik
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        score = cd.x[cd.death_idx].sum(axis=0) - cur.mean.sum(axis=0)
        info = cur.var.sum(axis=0)
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        new_beta = beta + step
        new = row_sums(cd, new_beta)
        halvings = 0
        while (not np.isfinite(new.loglik) or new.loglik < cur.loglik - 1e-12) and halvings < 30:
            step = step / 2
            new_beta = beta + step
            new = row_sums(cd, new_beta)
            halvings += 1
        beta, cur = new_beta, new
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            converged = True
            break
    if not converged:
        warnings.warn(
            f"Cox model did not converge in {max_iter} iterations (a coefficient may be "
            "infinite: does some group have no events, or does a covariate separate events "
            "from non-events?).",
            RuntimeWarning,
            stacklevel=3,
        )
    return beta, cur, loglik0, it, converged


def information(rs: RowSums) -> np.ndarray:
    return rs.var.sum(axis=0)


def _group_means(cd: CoxData, rs: RowSums) -> np.ndarray:
    """Average over a tie group's Efron rows of the weighted covariate mean."""
    G, p = len(cd.g_first), cd.x.shape[1]
    tot = np.zeros((G, p))
    np.add.at(tot, cd.row_group, rs.mean)
    cnt = np.maximum(cd.g_deaths, 1)
    return tot / cnt[:, None]


def schoenfeld(cd: CoxData, rs: RowSums) -> np.ndarray:
    """Schoenfeld residuals, one row per death in sorted order (R's Efron definition)."""
    gm = _group_means(cd, rs)
    return cd.x[cd.death_idx] - gm[cd.row_group]


def score_residuals(cd: CoxData, rs: RowSums) -> np.ndarray:
    """Score residuals per subject in sorted order (R ``residuals(fit, "score")``).

    For subject i: sum over event times of (x_i - xbar(t)) (dN_i(t) - Y_i(t) r_i dL(t)), with
    the Efron split of tied deaths (a death keeps only the un-removed share of the hazard
    at its own time).
    """
    G, p = len(cd.g_first), cd.x.shape[1]
    h = 1.0 / rs.denom  # hazard increment of each Efron row (unit weights)
    gh = np.bincount(cd.row_group, weights=h, minlength=G)
    gxh = np.zeros((G, p))
    np.add.at(gxh, cd.row_group, rs.mean * h[:, None])
    # cumulative sums within stratum, up to and including each group
    cum_h = np.cumsum(gh)
    cum_xh = np.cumsum(gxh, axis=0)
    s_first_group = np.searchsorted(cd.g_stratum, cd.g_stratum, side="left")
    base_h = np.where(s_first_group > 0, cum_h[s_first_group - 1], 0.0)
    base_xh = np.where(
        (s_first_group > 0)[:, None], cum_xh[np.maximum(s_first_group - 1, 0)], 0.0
    )
    cum_h -= base_h
    cum_xh -= base_xh
    gi = cd.group
    resid = -rs.risk[:, None] * (cd.x * cum_h[gi][:, None] - cum_xh[gi])
    # deaths: + (x - xbar_k)/d and give back the removed share of their own hazard
    di = cd.death_idx
    dk = cd.g_deaths[cd.row_group].astype(float)
    # every death of a group needs the sums over all of the group's rows
    gsum_mean = np.zeros((G, p))
    np.add.at(gsum_mean, cd.row_group, rs.mean)
    gsum_fh = np.bincount(cd.row_group, weights=cd.row_frac * h, minlength=G)
    gsum_fhm = np.zeros((G, p))
    np.add.at(gsum_fhm, cd.row_group, (cd.row_frac * h)[:, None] * rs.mean)
    g = cd.row_group
    xi = cd.x[di]
    add = (dk[:, None] * xi - gsum_mean[g]) / dk[:, None]
    add += rs.risk[di][:, None] * (gsum_fh[g][:, None] * xi - gsum_fhm[g])
    resid[di] += add
    return resid


def breslow_baseline(cd: CoxData, rs: RowSums, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Baseline cumulative hazard at covariates = 0 (uncentred) at each distinct event time.

    Uses the same Efron split as the fit (R ``basehaz(fit, centered=FALSE)`` for one
    stratum). Returns (times, cumulative hazard).
    """
    # risk was exp(x_c beta - shift); exp(x beta) = risk * exp(shift + x_mean beta)
    eta_full = cd.x @ beta
    shift = float(eta_full.max() - rs.eta.max()) if len(eta_full) else 0.0
    scale = np.exp(shift + cd.x_mean @ beta)
    h = 1.0 / (rs.denom * scale)
    G = len(cd.g_first)
    gh = np.bincount(cd.row_group, weights=h, minlength=G)
    has = cd.g_deaths > 0
    return cd.g_time[has], np.cumsum(gh)[has]


def zph(
    cd: CoxData, rs: RowSums, beta: np.ndarray, transform: str, km_s_minus: np.ndarray
) -> dict[str, np.ndarray]:
    """Score test of proportional hazards for g(t) * x terms (R ``cox.zph``, survival >= 3).

    ``km_s_minus`` is the pooled Kaplan-Meier S(t-) at each sorted subject's time (for the
    "km" transform). Returns per-term chi-squares, the global chi-square, the scaled
    Schoenfeld residuals (+ beta) and the transformed event times.
    """
    t = cd.t
    if transform == "km":
        tt = 1.0 - km_s_minus
    elif transform == "rank":
        from scipy.stats import rankdata

        tt = rankdata(t)
    elif transform == "log":
        tt = np.log(t)
    else:
        tt = t.astype(float)
    ev = cd.d == 1
    gtime = tt - tt[ev].mean()
    gt = gtime[cd.death_idx]  # time weight of each Efron row (its death's time)
    p = len(beta)
    sch = schoenfeld(cd, rs)
    u2 = (gt[:, None] * sch).sum(axis=0)
    i11 = rs.var.sum(axis=0)
    i12 = (gt[:, None, None] * rs.var).sum(axis=0)
    i22 = (gt[:, None, None] ** 2 * rs.var).sum(axis=0)
    imat = np.block([[i11, i12], [i12.T, i22]])
    tests = np.empty(p)
    for j in range(p):
        kk = [*range(p), p + j]
        u = np.zeros(p + 1)
        u[-1] = u2[j]
        tests[j] = float(u @ np.linalg.solve(imat[np.ix_(kk, kk)], u))
    ufull = np.concatenate([np.zeros(p), u2])
    glob = float(ufull @ np.linalg.solve(imat, ufull))
    # scaled residuals: Schoenfeld residuals / (information per death), per stratum
    strata = np.unique(cd.stratum)
    used = np.zeros((len(strata), p))
    for si, s in enumerate(strata):
        m = cd.stratum == s
        varies = np.ptp(cd.x[m], axis=0) > 0
        used[si] = np.where(varies, cd.d[m].sum(), 0)
    wt = np.zeros((p, p))
    for si in range(len(strata)):
        wt += np.minimum.outer(used[si], used[si])
    vmean = i11 / np.where(wt == 0, 1, wt)
    scaled = np.full_like(sch, np.nan)
    dstrat = cd.stratum[cd.death_idx]
    for si, s in enumerate(strata):
        k = np.flatnonzero(used[si] > 0)
        rows = dstrat == s
        if len(k):
            scaled[np.ix_(rows, k)] = np.linalg.solve(vmean[np.ix_(k, k)], sch[rows][:, k].T).T
    scaled = scaled + beta
    return {"tests": tests, "global": glob, "scaled": scaled, "x": tt[cd.death_idx],
            "time": t[cd.death_idx]}
