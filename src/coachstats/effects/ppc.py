"""Pretest-posttest-control designs: Morris (2008) d_ppc2.

Morris, S. B. (2008). Estimating effect sizes from pretest-posttest-control group designs.
Organizational Research Methods 11(2), 364-386:

``d_ppc2 = c_P [(M_post,T - M_pre,T) - (M_post,C - M_pre,C)] / SD_pre``  (eq. 8)

with ``SD_pre`` the pretest SD pooled over both groups and ``c_P`` the small-sample factor
on ``n_T + n_C - 2`` df (here the exact gamma-function J of Hedges 1981, of which Morris'
``1 - 3/(4(n_T + n_C - 2) - 1)`` is the approximation). Its sampling variance (eq. 25),
with the pooled within-group pre-post correlation ``rho`` and the estimate in place of delta,

``c_P^2 2(1 - rho) (n_T + n_C)/(n_T n_C) (n_T + n_C - 2)/(n_T + n_C - 4)
  [1 + delta^2 / (2(1 - rho)(n_T + n_C)/(n_T n_C))] - delta^2``,

gives a Wald interval.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_arguments
from .._validate import (
    check_ci_level,
    check_int,
    check_number,
    check_positive,
    prepare,
    require_min_count,
)
from ..results import tidy_frame
from ._noncentral import hedges_j
from ._result import EffectSizeResult
from .independent import _levels


def morris_variance(d: float, n_t: int, n_c: int, rho: float, hedges: bool = True) -> float:
    """Morris (2008) eq. 25 sampling variance of d_ppc2 (with the estimate for delta).

    Parameters
    ----------
    d : float
        The d_ppc2 estimate (used in place of delta).
    n_t, n_c : int
        Treated and control group sizes.
    rho : float
        Pre-post correlation assumed common to both groups.
    hedges : bool, default True
        Apply the small-sample correction ``c_p = J(n_t + n_c - 2)``.

    Returns
    -------
    float
        Sampling variance of d_ppc2.

    Examples
    --------
    >>> round(morris_variance(0.7684, 20, 20, 0.47), 4)
    0.1157
    """
    n = n_t + n_c
    if n <= 4:
        raise ValueError(f"the variance of d_ppc2 needs n_T + n_C > 4, got {n}.")
    cp = hedges_j(n - 2) if hedges else 1.0
    a = 2 * (1 - rho) * n / (n_t * n_c)
    return cp**2 * a * (n - 2) / (n - 4) * (1 + d * d / a) - d * d


def _ppc_row(
    m_pre_t: float, m_post_t: float, sd_pre_t: float, n_t: int,
    m_pre_c: float, m_post_c: float, sd_pre_c: float, n_c: int,
    rho: float, hedges: bool, ci_level: float,
) -> dict[str, Any]:
    n = n_t + n_c
    sd_pool = math.sqrt(((n_t - 1) * sd_pre_t**2 + (n_c - 1) * sd_pre_c**2) / (n - 2))
    if not sd_pool > 0:
        raise ValueError("the pretest scores have zero variance in both groups; d_ppc2 is "
                         "undefined.")
    cp = hedges_j(n - 2) if hedges else 1.0
    d = ((m_post_t - m_pre_t) - (m_post_c - m_pre_c)) / sd_pool
    est = cp * d
    var = morris_variance(est, n_t, n_c, rho, hedges)
    se = math.sqrt(var) if var > 0 else math.nan
    z = float(stats.norm.ppf(0.5 + ci_level / 2))
    return {
        "term": "d_ppc2",
        "estimate": est,
        "std_error": se,
        "ci_low": est - z * se,
        "ci_high": est + z * se,
        "ci_level": ci_level,
        "d": d,
        "hedges_j": cp,
        "ci_method": "Wald (Morris 2008 eq. 25 variance)",
        "n_treatment": n_t,
        "n_control": n_c,
        "change_treatment": m_post_t - m_pre_t,
        "change_control": m_post_c - m_pre_c,
        "sd_pre_pooled": sd_pool,
        "r_pre_post": rho,
    }


def _result(row: dict[str, Any], hedges: bool, n_dropped: int, labels: str) -> EffectSizeResult:
    return EffectSizeResult(
        table=tidy_frame([row]),
        name="Pretest-posttest-control effect size (Morris 2008 d_ppc2)",
        method_notes=(
            f"Change in {labels}, in units of the pooled pretest SD.",
            ("c_P = exact J(n_T + n_C - 2)." if hedges else "No small-sample correction.")
            + " Interval: Wald with Morris (2008) eq. 25 variance.",
        ),
        assumption_notes=(
            "Equal pretest SDs and a common pre-post correlation in both groups.",
            "Normal scores; independent people.",
        ),
        limitation_notes=("Without random assignment, the groups may differ in ways the pretest "
                     "does not capture.",),
        n_dropped=n_dropped,
    )


@renamed_arguments(df="data")
def ppc_d(
    data: pd.DataFrame,
    pre: str,
    post: str,
    group: str,
    *,
    control: Any = None,
    hedges: bool = True,
    ci_level: float = 0.95,
    dropna: bool = False,
) -> EffectSizeResult:
    """Morris (2008) d_ppc2 from person-level pre/post scores in two groups.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    pre, post : str
        Pretest and posttest columns.
    group : str
        Column with exactly two levels (treatment and control).
    control : optional
        The control level. Default: the first level in sorted order (named in the notes).
    hedges : bool
        Apply c_P (exact J on n_T + n_C - 2 df).
    ci_level : float
        Level of the Wald interval.
    dropna : bool
        Drop incomplete rows (counted) instead of raising.

    Returns
    -------
    EffectSizeResult
        One row ``d_ppc2`` with ``n_treatment, n_control, change_treatment, change_control,
        sd_pre_pooled, r_pre_post`` (pooled within-group correlation).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> pre = rng.normal(size=60)
    >>> d = pd.DataFrame({"pre": pre, "arm": ["coached"] * 30 + ["waitlist"] * 30,
    ...                   "post": pre + rng.normal(0.5, 0.5, 60) * np.r_[[1] * 30, [0] * 30]})
    >>> res = ppc_d(d, "pre", "post", "arm", control="waitlist")
    >>> res.estimate > 0
    True
    """
    ci_level = check_ci_level(ci_level)
    frame, miss = prepare(data, {"pre": pre, "post": post, "group": group},
                          numeric=["pre", "post"], dropna=dropna)
    treat, ctrl = _levels(frame, group, control)
    parts = {}
    for lvl in (treat, ctrl):
        sub = frame.loc[frame[group] == lvl]
        require_min_count(len(sub), 3, f"people in group {lvl!r}")
        parts[lvl] = (sub[pre].to_numpy(float), sub[post].to_numpy(float))
    ss_pre = sum((a.var(ddof=1) * (len(a) - 1)) for a, _ in parts.values())
    ss_post = sum((b.var(ddof=1) * (len(b) - 1)) for _, b in parts.values())
    sp = sum(np.cov(a, b, ddof=1)[0, 1] * (len(a) - 1) for a, b in parts.values())
    if not (ss_pre > 0 and ss_post > 0):
        raise ValueError("pre or post scores have zero variance within groups; d_ppc2 is "
                         "undefined.")
    rho = float(sp / math.sqrt(ss_pre * ss_post))
    (a1, b1), (a0, b0) = parts[treat], parts[ctrl]
    row = _ppc_row(float(a1.mean()), float(b1.mean()), float(a1.std(ddof=1)), len(a1),
                   float(a0.mean()), float(b0.mean()), float(a0.std(ddof=1)), len(a0),
                   rho, hedges, ci_level)
    row.update(treatment=treat, control=ctrl)
    return _result(row, hedges, miss.n_dropped, f"{treat!s} minus change in {ctrl!s}")


def ppc_d_from_stats(
    *,
    m_pre_t: float, m_post_t: float, sd_pre_t: float, n_t: int,
    m_pre_c: float, m_post_c: float, sd_pre_c: float, n_c: int,
    r: float, hedges: bool = True, ci_level: float = 0.95,
) -> EffectSizeResult:
    """Morris (2008) d_ppc2 from published summary statistics (e.g. for a meta-analysis).

    ``r`` is the pre-post correlation (assumed common to both groups).

    Parameters
    ----------
    m_pre_t, m_post_t, sd_pre_t : float
        Treated group: pretest mean, posttest mean and pretest SD.
    n_t : int
        Treated group size.
    m_pre_c, m_post_c, sd_pre_c : float
        Control group: pretest mean, posttest mean and pretest SD.
    n_c : int
        Control group size.
    r : float
        Pre-post correlation, assumed common to both groups.
    hedges : bool, default True
        Apply the small-sample correction (Morris's c_p).
    ci_level : float, default 0.95
        Level of the interval.

    Returns
    -------
    EffectSizeResult
        One row with d_ppc2, its standard error (Morris 2008, eq. 25) and interval.

    Examples
    --------
    >>> res = ppc_d_from_stats(m_pre_t=30.6, m_post_t=38.5, sd_pre_t=15.0, n_t=20,
    ...                        m_pre_c=23.1, m_post_c=19.7, sd_pre_c=13.8, n_c=20, r=0.47)
    >>> round(res.estimate, 4)
    0.7684
    """
    ci_level = check_ci_level(ci_level)
    for name, v in (("n_t", n_t), ("n_c", n_c)):
        check_int(v, name, minimum=2)
    for name, v in (("sd_pre_t", sd_pre_t), ("sd_pre_c", sd_pre_c)):
        check_positive(v, name, allow_zero=True)
    check_number(r, "r", low=-1, high=1, low_open=True, high_open=True)
    row = _ppc_row(m_pre_t, m_post_t, sd_pre_t, int(n_t), m_pre_c, m_post_c, sd_pre_c,
                   int(n_c), r, hedges, ci_level)
    return _result(row, hedges, 0, "treatment minus change in control")
