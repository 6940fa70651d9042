"""Augmented inverse-probability weighting (doubly robust) ATE and ATT.

Outcome regressions (OLS of the outcome on the covariates, separately in each group) and a
logistic propensity model are combined so the estimate is consistent if either model is
right (Robins, Rotnitzky & Zhao 1994; Glynn & Quinn 2010). ATE:
``mean(m1 - m0 + T (Y - m1) / e - (1 - T)(Y - m0) / (1 - e))``; ATT (Moodie et al. 2018):
``sum(T (Y - m0) - (1 - T) e / (1 - e) (Y - m0)) / sum(T)``. SEs from the influence
function: ``sqrt(mean(phi^2) / n)`` with the centred per-person contribution ``phi``
(summed within clusters with ``cluster=``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_choice, check_ci_level
from ._common import check_overlap, effect_design, normal_ci
from .balance import BalanceResult, balance_table
from .propensity import fit_design
from .results import CausalEffectResult, ess
from .weighting import ps_weights


def _ols_predict(X: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    beta, *_ = np.linalg.lstsq(X[rows], y[rows], rcond=None)
    return X @ beta


def aipw(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: str | Sequence[str],
    *,
    estimand: str = "ATE",
    cluster: str | None = None,
    reference: Any = None,
    ci_level: float = 0.95,
    min_group_size: int = 5,
    dropna: bool = False,
    splines: Sequence[str] | dict[str, int] | None = None,
) -> CausalEffectResult:
    """Doubly robust (augmented IPW) estimate of the ATE or ATT with influence-function SEs.

    Parameters
    ----------
    data : DataFrame
        One row per person; not modified.
    treatment, outcome : str
        Two-level treatment column and numeric outcome.
    covariates : str or list of str
        Covariates of both the propensity model and the outcome regressions.
    estimand : {"ATE", "ATT"}
    cluster : str, optional
        Sum influence-function contributions within clusters (e.g. managers).
    ci_level : float
    min_group_size : int
        Each group needs at least this many people (privacy; default 5).
    dropna : bool

    splines : list of str or dict, optional
        Numeric covariates to enter both models as natural cubic splines (4
        degrees of freedom, or ``{"tenure": 5}``) instead of linearly.
    reference : optional
        The comparison level of ``treatment`` (needed unless it is 0/1 or boolean).

    Returns
    -------
    CausalEffectResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.selection_into_coaching(rng=3)
    >>> res = aipw(sim.data, "coached", "performance", ["potential", "tenure", "prior_rating"])
    >>> res.estimand
    'ATE'
    """
    estimand = str(estimand).upper()
    estimand = check_choice(estimand, "estimand", ["ATE", "ATT"])
    ci_level = check_ci_level(ci_level)
    d = effect_design(data, treatment, outcome, covariates, cluster=cluster, reference=reference,
                      dropna=dropna, min_group_size=min_group_size, splines=splines)
    ps = fit_design(d, treatment)
    t = d.treat
    e = ps.ps.to_numpy()
    check_overlap(e, t, estimand)
    y = d.frame[outcome].to_numpy(float)
    X = d.X
    for g, name in ((1, "treated"), (0, "comparison")):
        if np.linalg.matrix_rank(X[t == g]) < X.shape[1]:
            raise ValueError(
                f"the outcome regression in the {name} group is not identified: some covariate "
                f"(level) is constant among the {name} people. Merge sparse levels or drop it.")
    m1 = _ols_predict(X, y, t == 1)
    m0 = _ols_predict(X, y, t == 0)
    n = len(y)
    if estimand == "ATE":
        contrib = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
        est = float(contrib.mean())
        phi = contrib - est
    else:
        p1 = t.mean()
        r0 = y - m0
        est = float(np.sum(t * r0 - (1 - t) * e / (1 - e) * r0) / t.sum())
        phi = (t * r0 - (1 - t) * e / (1 - e) * r0 - t * est) / p1
    if cluster is None:
        se = float(np.sqrt(np.mean(phi**2) / n))
        se_text = "influence function"
    else:
        codes = np.unique(d.frame[cluster].astype(str).to_numpy(), return_inverse=True)[1]
        s = np.bincount(codes, weights=phi)
        g = len(s)
        se = float(np.sqrt(g / (g - 1) * np.sum(s**2)) / n)
        se_text = f"influence function, clustered by {cluster}"
    lo, hi, p = normal_ci(est, se, ci_level)
    w = ps_weights(e, t, estimand)
    tab = balance_table(d.frame, t, d.covariates, w, estimand)
    return CausalEffectResult(
        estimand=estimand, method="augmented IPW (doubly robust)", estimate=est, std_error=se,
        ci_low=lo, ci_high=hi, ci_level=ci_level, p_value=p, outcome=outcome,
        treatment=treatment, treated_level=d.treated_level, reference_level=d.reference_level,
        n_treated=int(t.sum()), n_comparison=int((1 - t).sum()),
        ess_treated=ess(w[t == 1]), ess_comparison=ess(w[t == 0]),
        outcome_sd=float(np.std(y[t == 0], ddof=1)), n_params=X.shape[1] + 1,
        balance=BalanceResult(tab, estimand, adjusted=True, method="the AIPW weights"),
        propensity=ps, weights=pd.Series(w, index=d.frame.index, name="weights"),
        se_method=se_text, n_dropped=d.n_dropped,
        method_notes=("Outcome model: OLS on the covariates within each group; propensity: "
                      "logistic. Consistent if either is correctly specified.",),
    )
