"""Confidence limits for a noncentrality parameter, and Hedges' small-sample factor.

SciPy's noncentral t can return NaN for large |t| with noncentrality of the opposite sign
or for very large degrees of freedom. Every evaluation here is guarded: a non-finite or
out-of-range CDF value is recomputed by adaptive quadrature of its defining integral,
``P(T <= t) = E[Phi(t U / sqrt(df) - nc)]`` with ``U`` chi-distributed on ``df`` degrees of
freedom; only if that also fails is the normal approximation of Abramowitz & Stegun (1964,
26.7.10) used. The root search is bracketed before Brent's method is called, and if no
bracket can be found the closed-form inverse of that approximation is returned. The limits
are therefore always finite numbers.

When the interval is very wide (``|t|`` large against its own chi-square spread), ``Z`` in
``T = (Z + nc) / U`` is negligible and the limits have the closed form
``nc = t sqrt(q / df)`` with ``q`` the chi-square quantiles; the first-order term in ``Z``
averages out, so the relative error is of order ``(t sd(U))^-2`` (below 1e-8 where it is
used).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize, special, stats

from .._validate import check_number, check_positive

_MAX_EXPAND = 200
_WIDE = 1e4  # interval width above which the closed form is exact to < 1e-8


def hedges_j(df: float) -> float:
    """Exact small-sample bias-correction factor of Hedges (1981).

    ``J(m) = Gamma(m/2) / (sqrt(m/2) * Gamma((m-1)/2))``; the familiar ``1 - 3/(4m - 1)`` is
    its approximation. ``d * J(m)`` is unbiased for delta when ``d * sqrt(k)`` is noncentral t
    with ``m`` degrees of freedom.

    Parameters
    ----------
    df : float
        Degrees of freedom ``m`` of the standardizer (greater than 1).

    Returns
    -------
    float
        The correction factor ``J(m)``, below 1 and tending to 1 as ``m`` grows.

    Examples
    --------
    >>> round(hedges_j(9), 6)
    0.913875
    """
    m = check_number(df, "df (Hedges' J needs more than 1 degree of freedom)", low=1,
                     low_open=True)
    return float(math.exp(special.gammaln(m / 2) - 0.5 * math.log(m / 2)
                          - special.gammaln((m - 1) / 2)))


def _approx_cdf(t: float, df: float, nc: float) -> float:
    """Normal approximation to the noncentral t CDF (Abramowitz & Stegun 26.7.10)."""
    z = (t * (1 - 1 / (4 * df)) - nc) / math.sqrt(1 + t * t / (2 * df))
    return float(stats.norm.cdf(z))


def _quad_cdf(t: float, df: float, nc: float) -> float:
    """Noncentral t CDF by quadrature over the chi variable (NaN if quadrature fails)."""
    if t == 0:
        return float(stats.norm.cdf(-nc))
    lo_u = float(stats.chi.ppf(1e-15, df))
    hi_u = float(stats.chi.isf(1e-15, df))
    if not (np.isfinite(lo_u) and np.isfinite(hi_u) and hi_u > lo_u):
        return math.nan
    scale = t / math.sqrt(df)

    def g(u: float) -> float:
        return float(stats.norm.cdf(scale * u - nc) * stats.chi.pdf(u, df))

    u0 = nc / scale
    pts = [u0] if lo_u < u0 < hi_u else None
    with np.errstate(all="ignore"):
        try:
            val = integrate.quad(g, lo_u, hi_u, points=pts, limit=400, epsabs=1e-14,
                                 epsrel=1e-12)[0]
        except (ValueError, ArithmeticError):
            return math.nan
    return float(min(max(val, 0.0), 1.0)) if np.isfinite(val) else math.nan


def nct_cdf(t: float, df: float, nc: float) -> float:
    """P(T <= t) for T noncentral t(df, nc); never NaN (guarded, see the module note).

    Parameters
    ----------
    t : float
        Value of the statistic.
    df : float
        Degrees of freedom.
    nc : float
        Noncentrality parameter.

    Returns
    -------
    float
        The probability, in [0, 1].

    Examples
    --------
    >>> round(nct_cdf(1e4, 1, -1000), 9)   # SciPy's nct.cdf returns NaN here
    1.0
    """
    with np.errstate(all="ignore"):
        try:
            p = float(stats.nct.cdf(t, df, nc))
        except (OverflowError, FloatingPointError, ValueError):
            p = math.nan
    if not np.isfinite(p) or p < 0 or p > 1:
        p = _quad_cdf(t, df, nc)
    if not np.isfinite(p):
        p = _approx_cdf(t, df, nc)
    return p


def _approx_inverse(t: float, df: float, p: float) -> float:
    """Noncentrality at which the approximate CDF at ``t`` equals ``p`` (closed form)."""
    return t * (1 - 1 / (4 * df)) - float(stats.norm.ppf(p)) * math.sqrt(1 + t * t / (2 * df))


def _solve(t: float, df: float, p: float) -> float:
    """Noncentrality ``nc`` with ``P(T <= t | nc) = p``; the CDF decreases in ``nc``."""

    def f(nc: float) -> float:
        return nct_cdf(t, df, nc) - p

    start = _approx_inverse(t, df, p)
    if not np.isfinite(start):
        start = t
    step = 1.0 + 0.1 * abs(start)
    lo, hi = start - step, start + step
    f_lo, f_hi = f(lo), f(hi)
    for _ in range(_MAX_EXPAND):
        if f_lo >= 0 >= f_hi:
            break
        step *= 2
        if f_lo < 0:
            lo = start - step
            f_lo = f(lo)
        if f_hi > 0:
            hi = start + step
            f_hi = f(hi)
    else:
        return start
    if f_lo == 0:
        return lo
    if f_hi == 0:
        return hi
    try:
        root = optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500)
    except (ValueError, RuntimeError):
        return start
    return float(root) if np.isfinite(root) else start


def ncp_interval(t: float, df: float, *, ci_level: float = 0.95) -> tuple[float, float]:
    """Equal-tailed confidence limits for the noncentrality of an observed t statistic.

    Inverts the noncentral t CDF: the lower limit solves ``P(T <= t | nc) = 1 - a/2``, the
    upper ``P(T <= t | nc) = a/2`` (Steiger & Fouladi 1997; Cumming & Finch 2001). The
    limits are always finite (see the module note).

    Parameters
    ----------
    t : float
        Observed t statistic.
    df : float
        Its degrees of freedom.
    ci_level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of (float, float)
        Lower and upper limits for the noncentrality parameter.

    Examples
    --------
    >>> lo, hi = ncp_interval(4.743416, 9)
    >>> round(lo / 10**0.5, 3), round(hi / 10**0.5, 3)
    (0.561, 2.403)
    """
    if not np.isfinite(t):
        raise ValueError(f"t statistic must be finite, got {t}.")
    check_positive(df, "degrees of freedom (df)")
    a = 1 - ci_level
    t, df = float(t), float(df)
    q_lo, q_hi = (float(stats.chi2.ppf(p, df)) for p in (a / 2, 1 - a / 2))
    if t >= 0:
        lo_a, hi_a = t * math.sqrt(q_lo / df), t * math.sqrt(q_hi / df)
    else:
        lo_a, hi_a = t * math.sqrt(q_hi / df), t * math.sqrt(q_lo / df)
    if np.isfinite(lo_a) and np.isfinite(hi_a) and hi_a - lo_a >= _WIDE:
        return lo_a, hi_a
    lo = _solve(float(t), float(df), 1 - a / 2)
    hi = _solve(float(t), float(df), a / 2)
    if lo > hi:  # numerical noise in flat tails; the limits are ordered by construction
        lo, hi = hi, lo
    return lo, hi
