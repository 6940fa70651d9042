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
    w: np.ndarray  # (n,) case weights (ones when unweighted)
    row_wt: np.ndarray  # (R,) mean case weight of the deaths in the row's tie group
    entry: np.ndarray | None = None  # (n,) sorted entry times (start of (start, stop])
    e_order: np.ndarray | None = None  # (n,) sorted-index order by (stratum, entry)
    g_enter: np.ndarray | None = None  # (G,) position in e_order of first entry >= time
    g_enter_end: np.ndarray | None = None  # (G,) end of the group's stratum in e_order
    entry_group: np.ndarray | None = None  # (n,) groups of the stratum with time <= entry


def build(
    t: np.ndarray, d: np.ndarray, x: np.ndarray, stratum: np.ndarray, ties: str,
    start: np.ndarray | None = None, w: np.ndarray | None = None,
) -> CoxData:
    """Sort by (stratum, time) and index the tie groups.

    With ``start`` the rows are counting-process episodes (start, stop]: a row is at risk at
    an event time t when start < t <= stop (R ``Surv(start, stop, event)``). ``w`` are case
    weights (R ``coxph(weights=)``).
    """
    n = len(t)
    w = np.ones(n) if w is None else np.asarray(w, dtype=float)
    order = np.lexsort((t, stratum))
    t, d, x, stratum, w = t[order], d[order], x[order], stratum[order], w[order]
    x_mean = x.mean(axis=0) if np.all(w == 1) else (w[:, None] * x).sum(axis=0) / w.sum()
    xc = x - x_mean
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
    gw = np.bincount(row_group, weights=w[death_idx], minlength=len(g_first))
    row_wt = gw[row_group] / g_deaths[row_group]
    cd = CoxData(t, d, xc, x_mean, stratum, order, group, g_first, g_stratum, g_time,
                 g_deaths, s_next, row_group, row_frac, death_idx, w, row_wt)
    if start is not None:
        entry = np.asarray(start, dtype=float)[order]
        # exact integer keys: (stratum, rank of the time among all entry and exit times)
        _, ranks = np.unique(np.concatenate([entry, t]), return_inverse=True)
        r_entry, r_stop = ranks[:n], ranks[n:]
        big = int(ranks.max()) + 2
        key_e = stratum.astype(np.int64) * big + r_entry
        key_g = g_stratum.astype(np.int64) * big + r_stop[g_first]
        e_order = np.argsort(key_e, kind="stable")
        ks = key_e[e_order]
        # rows with entry >= t are not yet at risk at t: they start at searchsorted(left)
        cd.g_enter = np.searchsorted(ks, key_g, side="left")
        cd.g_enter_end = np.searchsorted(ks, g_stratum.astype(np.int64) * big + big - 1,
                                         side="right")
        cd.entry, cd.e_order = entry, e_order
        # number of tie groups (of the row's stratum) with time <= entry: the cumulative
        # hazard a row accrues is H(stop) - H(entry)
        key_gt = g_stratum.astype(np.int64) * big + r_stop[g_first]
        cd.entry_group = np.searchsorted(key_gt, stratum.astype(np.int64) * big + r_entry,
                                         side="right") - 1
    return cd


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


def _risk_set(cd: CoxData, v: np.ndarray) -> np.ndarray:
    """Sum of ``v`` over the risk set of every tie group (same stratum, entry < t <= stop)."""
    c = _rev_cumsum(v)
    out = c[cd.g_first] - c[cd.s_next]
    if cd.e_order is not None:
        e = _rev_cumsum(v[cd.e_order])
        out = out - (e[cd.g_enter] - e[cd.g_enter_end])
    return out


def row_sums(cd: CoxData, beta: np.ndarray, need_var: bool = True) -> RowSums:
    eta = cd.x @ beta
    shift = eta.max() if len(eta) else 0.0
    eta = eta - shift  # a common shift cancels in means/variances and in the log-likelihood
    r = cd.w * np.exp(eta)
    rx = r[:, None] * cd.x
    g0, g1 = _risk_set(cd, r), _risk_set(cd, rx)
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
        g2 = _risk_set(cd, rxx)
        dd2 = np.zeros((G, p, p))
        np.add.at(dd2, dg, rxx[di])
        s2 = g2[dg] - f[:, None, None] * dd2[dg]
        var = s2 / denom[:, None, None] - mean[:, :, None] * mean[:, None, :]
    # eta was shifted for every death and every log(denom) alike (weights sum to the same
    # total on both sides): the shifts cancel, so this is the log partial likelihood itself
    with np.errstate(divide="ignore", invalid="ignore"):
        loglik = float((cd.w[di] * eta[di]).sum() - (cd.row_wt * np.log(denom)).sum())
    return RowSums(denom, mean, var, eta, np.exp(eta), loglik)


def score_vector(cd: CoxData, rs: RowSums) -> np.ndarray:
    di = cd.death_idx
    return (cd.w[di][:, None] * cd.x[di]).sum(axis=0) - (cd.row_wt[:, None] * rs.mean).sum(
        axis=0)


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
        score = score_vector(cd, cur)
        info = information(cd, cur)
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


def information(cd: CoxData, rs: RowSums) -> np.ndarray:
    return (cd.row_wt[:, None, None] * rs.var).sum(axis=0)


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
    h = cd.row_wt / rs.denom  # hazard increment of each Efron row
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
    h_i, xh_i = cum_h[gi], cum_xh[gi]
    if cd.entry_group is not None:
        # an episode accrues hazard only after its entry: subtract H(entry) of its stratum
        eg = cd.entry_group
        ok = (eg >= 0) & (cd.g_stratum[np.maximum(eg, 0)] == cd.stratum)
        h_i = h_i - np.where(ok, cum_h[np.maximum(eg, 0)], 0.0)
        xh_i = xh_i - np.where(ok[:, None], cum_xh[np.maximum(eg, 0)], 0.0)
    resid = -rs.risk[:, None] * (cd.x * h_i[:, None] - xh_i)
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
    h = cd.row_wt / (rs.denom * scale)
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
    wd = cd.w[cd.death_idx]
    wv = cd.row_wt[:, None, None] * rs.var
    u2 = (wd[:, None] * gt[:, None] * sch).sum(axis=0)
    i11 = wv.sum(axis=0)
    i12 = (gt[:, None, None] * wv).sum(axis=0)
    i22 = (gt[:, None, None] ** 2 * wv).sum(axis=0)
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
