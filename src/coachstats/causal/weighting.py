"""Balancing weights: inverse-probability (ATE), odds (ATT), overlap (ATO) and entropy
balancing, with sandwich intervals that account for the estimated weights.

Point estimate: the difference of weighted (Hajek) means. Interval: the stacked estimating
equations of the propensity (or entropy-balancing) model and the two weighted means, solved
jointly; their sandwich variance (Lunceford & Davidian 2004; Zhao & Percival 2017 for
entropy balancing) is smaller than the one that treats weights as known. ``cluster=`` sums
the estimating functions within clusters (e.g. managers). ``ci_method="bootstrap"``
re-estimates everything in each resample (of clusters, when given).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._progress import ProgressLike, progress_bar
from .._rng import RNGLike, as_generator
from .._validate import check_choice, check_ci_level, check_number
from ._common import ESTIMANDS, check_overlap, effect_design, normal_ci
from ._data import Design
from ._mest import cdot, expit, sandwich
from .balance import BalanceResult, balance_table
from .propensity import fit_design
from .results import CausalEffectResult, ess


def ps_weights(e: Any, t: np.ndarray, estimand: str) -> Any:
    """Balancing weights from propensity scores ``e`` (numpy; complex input allowed)."""
    if estimand == "ATE":
        return t / e + (1 - t) / (1 - e)
    if estimand == "ATT":
        return t + (1 - t) * e / (1 - e)
    return t * (1 - e) + (1 - t) * e  # ATO


def _ps_psi(X: np.ndarray, t: np.ndarray, y: np.ndarray, estimand: str
            ) -> Callable[[np.ndarray], np.ndarray]:
    k = X.shape[1]

    def psi(theta: np.ndarray) -> np.ndarray:
        b, mu1, mu0 = theta[:k], theta[k], theta[k + 1]
        e = expit(cdot(X, b))
        w = ps_weights(e, t, estimand)
        return np.column_stack([X * (t - e)[:, None], t * w * (y - mu1),
                                (1 - t) * w * (y - mu0)])
    return psi


def _entropy_dual(Z: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Lagrange multipliers of entropy balancing: weights ~ exp(Z lam) with weighted mean of
    Z equal to ``target`` (Newton on the convex dual)."""
    C = Z - target
    lam = np.zeros(Z.shape[1])
    for _ in range(100):
        a = C @ lam
        q = np.exp(a - a.max())
        p = q / q.sum()
        g = C.T @ p
        if np.max(np.abs(g)) < 1e-13:
            break
        H = (C * p[:, None]).T @ C - np.outer(g, g)
        step = np.linalg.solve(H + 1e-12 * np.eye(len(g)), g)
        f0 = np.log(np.sum(np.exp(a - a.max()))) + a.max()
        s = 1.0
        while s > 1e-8:
            a1 = C @ (lam - s * step)
            if np.log(np.sum(np.exp(a1 - a1.max()))) + a1.max() <= f0 + 1e-15:
                break
            s /= 2
        lam = lam - s * step
    else:  # pragma: no cover - convergence failure
        pass
    if np.max(np.abs(g)) > 1e-6:
        raise ValueError(
            "entropy balancing did not converge: the treated means lie outside the range the "
            "comparison group can reach (no overlap on some covariate). Drop or coarsen the "
            "covariate with the largest imbalance, or use method='ps' with trim=."
        )
    return lam


def _entropy_fit(Z: np.ndarray, t: np.ndarray, y: np.ndarray, estimand: str, sd: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Weights, parameter vector and stacked estimating functions of entropy balancing."""
    Zs = Z / sd
    k = Z.shape[1]
    tb = t.astype(bool)
    if estimand == "ATT":
        m = Zs[tb].mean(axis=0)
        lam0 = _entropy_dual(Zs[~tb], m)
        w = np.where(tb, 1.0, np.exp((Zs - m) @ lam0))
        w[~tb] *= tb.sum() / w[~tb].sum()
        theta = np.concatenate([m, lam0, [y[tb].mean(), np.average(y[~tb], weights=w[~tb])]])

        def psi(th: np.ndarray) -> np.ndarray:
            mm, la, mu1, mu0 = th[:k], th[k:2 * k], th[2 * k], th[2 * k + 1]
            q = np.exp(cdot(Zs - mm, la))
            return np.column_stack([(Zs - mm) * t[:, None], (Zs - mm) * ((1 - t) * q)[:, None],
                                    t * (y - mu1), (1 - t) * q * (y - mu0)])
    else:
        m = Zs.mean(axis=0)
        lam1 = _entropy_dual(Zs[tb], m)
        lam0 = _entropy_dual(Zs[~tb], m)
        w = np.where(tb, np.exp((Zs - m) @ lam1), np.exp((Zs - m) @ lam0))
        w[tb] *= len(t) / w[tb].sum()
        w[~tb] *= len(t) / w[~tb].sum()
        theta = np.concatenate([m, lam1, lam0, [np.average(y[tb], weights=w[tb]),
                                                np.average(y[~tb], weights=w[~tb])]])

        def psi(th: np.ndarray) -> np.ndarray:
            mm, l1, l0 = th[:k], th[k:2 * k], th[2 * k:3 * k]
            mu1, mu0 = th[3 * k], th[3 * k + 1]
            q1, q0 = np.exp(cdot(Zs - mm, l1)), np.exp(cdot(Zs - mm, l0))
            return np.column_stack([Zs - mm, (Zs - mm) * (t * q1)[:, None],
                                    (Zs - mm) * ((1 - t) * q0)[:, None],
                                    t * q1 * (y - mu1), (1 - t) * q0 * (y - mu0)])
    return w, theta, psi


def _fit(d: Design, y: np.ndarray, estimand: str, method: str, cluster: Any,
         sandwich_se: bool = True, treatment: str = "treatment") -> dict[str, Any]:
    t = d.treat
    if method == "ps":
        ps = fit_design(d, treatment)
        e = ps.ps.to_numpy()
        w = ps_weights(e, t, estimand)
        theta0 = ps.coefficients["estimate"].to_numpy()
        mu1 = np.average(y[t == 1], weights=w[t == 1])
        mu0 = np.average(y[t == 0], weights=w[t == 0])
        theta = np.concatenate([theta0, [mu1, mu0]])
        psi = _ps_psi(d.X, t, y, estimand)
    else:
        ps = None
        Z = d.X[:, 1:]
        sd = Z.std(axis=0)
        sd[sd == 0] = 1
        w, theta, psi = _entropy_fit(Z, t, y, estimand, sd)
        mu1, mu0 = theta[-2], theta[-1]
    out = {"w": w, "ps": ps, "estimate": float(mu1 - mu0)}
    if sandwich_se:
        V = sandwich(psi, theta, cluster)
        out["se"] = float(np.sqrt(V[-1, -1] + V[-2, -2] - 2 * V[-1, -2]))
    return out


def weighting(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: str | Sequence[str],
    *,
    estimand: str = "ATT",
    method: str = "ps",
    trim: float | None = None,
    cluster: str | None = None,
    reference: Any = None,
    ci_level: float = 0.95,
    ci_method: str = "sandwich",
    n_boot: int = 999,
    rng: RNGLike = None,
    min_group_size: int = 5,
    dropna: bool = False,
    splines: Sequence[str] | dict[str, int] | None = None,
    progress: ProgressLike = False,
) -> CausalEffectResult:
    """Treatment effect from balancing weights, with balance before and after.

    Parameters
    ----------
    data : DataFrame
        One row per person; not modified.
    treatment : str
        Two-level treatment column (0/1 or booleans, else pass ``reference=``).
    outcome : str
        Numeric outcome measured after treatment.
    covariates : str or list of str
        Pre-treatment covariates (categorical ones dummy-coded).
    estimand : {"ATT", "ATE", "ATO"}
        Effect on the treated (odds weights ``e / (1 - e)`` for the comparison group), on
        everyone (inverse-probability weights) or on the overlap population (overlap weights
        ``1 - e`` and ``e``; Li, Morgan & Zaslavsky 2018). Case-insensitive.
    method : {"ps", "entropy"}
        Weights from a logistic propensity model, or entropy balancing (Hainmueller 2012):
        the weights closest to uniform that equalise the covariate means exactly
        ("ATT": comparison to treated means; "ATE": both groups to the overall means).
    trim : float, optional
        Drop people whose propensity lies outside ``[trim, 1 - trim]`` (e.g. 0.05), refit
        the model on the rest and report how many were dropped (``n_trimmed``). This
        changes the population the estimate describes.
    cluster : str, optional
        Column of clusters (e.g. the manager) for the sandwich or the bootstrap.
    ci_method : {"sandwich", "bootstrap"}
        Sandwich from the stacked estimating equations (default), or a percentile bootstrap
        with ``n_boot`` resamples (of clusters, when given).
    rng : int, Generator or None
        Seed of the bootstrap.
    min_group_size : int
        Each group needs at least this many people (privacy; default 5, never below 3).
    dropna : bool
        Drop rows with missing values (counted) instead of raising.
    splines : list of str or dict, optional
        Numeric covariates to enter the propensity model as natural cubic splines (4
        degrees of freedom, or ``{"tenure": 5}``) instead of linearly.
    reference : optional
        The comparison level of ``treatment`` (needed unless it is 0/1 or boolean).
    ci_level : float, default 0.95
        Confidence level.
    n_boot : int, default 999
        Bootstrap resamples with ``ci_method="bootstrap"``.
    progress : bool or Progress
        Show a bar of the bootstrap resamples on standard error (``True``, e.g. in a
        notebook); a :class:`coachstats._progress.Progress` adds it to that display.

    Returns
    -------
    CausalEffectResult
        With ``weights`` (a Series on the rows used; trimmed rows 0), ``balance``
        (before/after), ``propensity`` and ``sensitivity()``.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.selection_into_coaching(rng=3)
    >>> res = weighting(sim.data, "coached", "performance",
    ...                 ["potential", "tenure", "prior_rating", "unit"])
    >>> res.to_frame()["term"].item()
    'att'
    """
    estimand = str(estimand).upper()
    estimand = check_choice(estimand, "estimand", ESTIMANDS)
    method = check_choice(method, "method", ["ps", "entropy"])
    ci_method = check_choice(ci_method, "ci_method", ["sandwich", "bootstrap"])
    ci_level = check_ci_level(ci_level)
    if method == "entropy" and estimand == "ATO":
        raise ValueError("method='entropy' supports estimand 'ATT' or 'ATE', not 'ATO'.")
    if trim is not None:
        trim = check_number(trim, "trim", low=0, high=0.5, low_open=True, high_open=True,
                            hint="e.g. 0.05 trims weights at the 5th and 95th percentiles.")
    if trim is not None and method != "ps":
        raise ValueError("trim= applies to propensity weights (method='ps').")
    d = effect_design(data, treatment, outcome, covariates, cluster=cluster,
                      reference=reference, dropna=dropna, min_group_size=min_group_size,
                      splines=splines)
    full_index = d.frame.index
    ps_full = fit_design(d, treatment)
    check_overlap(ps_full.ps.to_numpy(), d.treat, estimand)
    n_trimmed = 0
    if trim is not None:
        e = ps_full.ps.to_numpy()
        keep = (e >= trim) & (e <= 1 - trim)
        n_trimmed = int((~keep).sum())
        if n_trimmed:
            d = _subset(d, keep)
            effect_design(d.frame, treatment, outcome, list(d.covariates), cluster=cluster,
                          reference=d.reference_level, dropna=False,
                          min_group_size=min_group_size)
    y = d.frame[outcome].to_numpy(float)
    cl = d.frame[cluster].to_numpy() if cluster is not None else None
    if cl is not None and len(np.unique(cl.astype(str))) < 2:
        raise ValueError(f"column {cluster!r} (argument cluster=) has a single cluster.")
    fit = _fit(d, y, estimand, method, cl, sandwich_se=ci_method == "sandwich",
               treatment=treatment)
    est, w = fit["estimate"], fit["w"]
    if ci_method == "sandwich":
        se = fit["se"]
        lo, hi, p = normal_ci(est, se, ci_level)
        se_text = ("sandwich from stacked estimating equations (accounts for the estimated "
                   "weights)" + (f", clustered by {cluster}" if cluster else ""))
    else:
        draws = _bootstrap(d, y, estimand, method, cl, n_boot, as_generator(rng), progress)
        se = float(np.std(draws, ddof=1))
        lo, hi = (float(x) for x in np.quantile(draws, [0.5 - ci_level / 2, 0.5 + ci_level / 2]))
        p = float(min(1.0, 2 * min(np.mean(draws <= 0), np.mean(draws >= 0))))
        se_text = (f"percentile bootstrap, {len(draws)} resamples"
                   + (f" of {cluster} clusters" if cluster else ""))
    t = d.treat
    wser = pd.Series(0.0, index=full_index, name="weights")
    wser.loc[d.frame.index] = w
    tab = balance_table(d.frame, t, d.covariates, w, estimand)
    label = {"ps": {"ATT": "odds weights", "ATE": "inverse-probability weights",
                    "ATO": "overlap weights"}[estimand], "entropy": "entropy balancing"}[method]
    notes = ([f"Weights: {label} from a logistic propensity model of {', '.join(d.covariates)}."]
             if method == "ps" else
             [f"Weights: entropy balancing (Hainmueller 2012) of the means of "
              f"{', '.join(d.covariates)}."])
    y0 = y[t == 0]
    return CausalEffectResult(
        estimand=estimand, method=label, estimate=est, std_error=se, ci_low=lo, ci_high=hi,
        ci_level=ci_level, p_value=p, outcome=outcome, treatment=treatment,
        treated_level=d.treated_level, reference_level=d.reference_level,
        n_treated=int(t.sum()), n_comparison=int((1 - t).sum()),
        ess_treated=ess(w[t == 1]), ess_comparison=ess(w[t == 0]),
        outcome_sd=float(np.std(y0, ddof=1)), n_params=d.X.shape[1] + 1,
        balance=BalanceResult(tab, estimand, adjusted=True, method=label),
        propensity=fit["ps"] if fit["ps"] is not None else ps_full, weights=wser,
        se_method=se_text, n_dropped=d.n_dropped, n_trimmed=n_trimmed,
        method_notes=tuple(notes),
    )


def _subset(d: Design, keep: np.ndarray) -> Design:
    from dataclasses import replace

    return replace(d, frame=d.frame.loc[keep], treat=d.treat[keep], X=d.X[keep])


def _bootstrap(d: Design, y: np.ndarray, estimand: str, method: str, cl: Any, n_boot: int,
               gen: np.random.Generator, progress: ProgressLike = False) -> np.ndarray:
    if n_boot < 50:
        raise ValueError(f"n_boot must be at least 50 for a bootstrap interval, got {n_boot}.")
    n = len(y)
    groups = (np.unique(cl.astype(str), return_inverse=True)[1] if cl is not None
              else np.arange(n))
    members = [np.flatnonzero(groups == g) for g in range(groups.max() + 1)]
    out = []
    with progress_bar(progress, "bootstrap", n_boot) as advance:
        for _ in range(n_boot):
            advance()
            pick = gen.integers(0, len(members), len(members))
            idx = np.concatenate([members[i] for i in pick])
            sub = Design(frame=d.frame.iloc[idx], treat=d.treat[idx], X=d.X[idx],
                         x_names=d.x_names, covariates=d.covariates, categorical=d.categorical,
                         treated_level=d.treated_level, reference_level=d.reference_level,
                         n_dropped=0)
            if sub.treat.min() == sub.treat.max():
                continue
            try:
                out.append(
                    _fit(sub, y[idx], estimand, method, None, sandwich_se=False)["estimate"])
            except (ValueError, np.linalg.LinAlgError):
                continue  # a resample without overlap or with a constant dummy: skipped
    if len(out) < 0.9 * n_boot:
        raise ValueError(f"only {len(out)} of {n_boot} bootstrap resamples could be fitted "
                         "(sparse covariate levels); use ci_method='sandwich'.")
    return np.asarray(out)
