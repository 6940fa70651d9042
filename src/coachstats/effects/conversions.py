"""Conversions between effect-size metrics, Hedges' correction and attenuation correction.

Every function accepts a number or an array and returns the same shape (a float for a
scalar input). Out-of-range inputs raise ValueError naming the argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._noncentral import hedges_j

__all__ = [
    "correct_attenuation",
    "d_to_r",
    "hedges_g",
    "hedges_j",
    "r_to_d",
    "r_to_z",
    "z_to_r",
]


def _arr(x: Any, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected a number or an array of numbers.") from exc
    if np.isnan(a).any():
        raise ValueError(f"{name}: contains missing values (NaN); remove them first.")
    return a


def _out(a: np.ndarray) -> Any:
    return float(a) if a.ndim == 0 else a


def _check(a: np.ndarray, name: str, lo: float, hi: float, *, open_lo: bool, open_hi: bool
           ) -> None:
    bad = (a <= lo if open_lo else a < lo) | (a >= hi if open_hi else a > hi)
    if bad.any():
        interval = ("(" if open_lo else "[") + f"{lo:g}, {hi:g}" + (")" if open_hi else "]")
        first = a[bad].ravel()[0]
        raise ValueError(f"{name} must lie in {interval}; got {first!r}.")


def r_to_z(r: Any) -> Any:
    """Fisher's z = atanh(r).

    Parameters
    ----------
    r : float or array_like
        Correlation(s), in (-1, 1).

    Returns
    -------
    float or ndarray
        Fisher's z.

    Examples
    --------
    >>> round(r_to_z(0.5), 6)
    0.549306
    """
    a = _arr(r, "r")
    _check(a, "r", -1, 1, open_lo=True, open_hi=True)
    return _out(np.arctanh(a))


def z_to_r(z: Any) -> Any:
    """Inverse of Fisher's z: r = tanh(z).

    Parameters
    ----------
    z : float or array_like
        Fisher's z value(s).

    Returns
    -------
    float or ndarray
        Correlation(s).

    Examples
    --------
    >>> round(z_to_r(0.549306), 4)
    0.5
    """
    return _out(np.tanh(_arr(z, "z")))


def _a_factor(n1: Any, n2: Any) -> Any:
    if n1 is None and n2 is None:
        return 4.0
    if n1 is None or n2 is None:
        raise ValueError("give both n1 and n2 (group sizes) or neither (equal groups).")
    a1, a2 = _arr(n1, "n1"), _arr(n2, "n2")
    _check(a1, "n1", 0, np.inf, open_lo=True, open_hi=True)
    _check(a2, "n2", 0, np.inf, open_lo=True, open_hi=True)
    return (a1 + a2) ** 2 / (a1 * a2)


def d_to_r(d: Any, n1: Any = None, n2: Any = None) -> Any:
    """Point-biserial r from a two-group d: ``r = d / sqrt(d^2 + a)``.

    ``a = (n1 + n2)^2 / (n1 n2)``, which is 4 for equal groups (Borenstein et al. 2009,
    eq. 7.7).

    Parameters
    ----------
    d : float or array_like
        Standardized mean difference(s).
    n1, n2 : int or array_like, optional
        Group sizes; equal groups (``a = 4``) when omitted.

    Returns
    -------
    float or ndarray
        Point-biserial correlation(s).

    Examples
    --------
    >>> round(d_to_r(0.5), 6)
    0.242536
    """
    a = _arr(d, "d")
    return _out(a / np.sqrt(a**2 + _a_factor(n1, n2)))


def r_to_d(r: Any, n1: Any = None, n2: Any = None) -> Any:
    """Two-group d from a point-biserial r: ``d = r sqrt(a) / sqrt(1 - r^2)``.

    Parameters
    ----------
    r : float or array_like
        Point-biserial correlation(s), in (-1, 1).
    n1, n2 : int or array_like, optional
        Group sizes; equal groups (``a = 4``) when omitted.

    Returns
    -------
    float or ndarray
        Standardized mean difference(s).

    Examples
    --------
    >>> round(r_to_d(0.242536), 4)
    0.5
    """
    a = _arr(r, "r")
    _check(a, "r", -1, 1, open_lo=True, open_hi=True)
    return _out(a * np.sqrt(_a_factor(n1, n2)) / np.sqrt(1 - a**2))


def hedges_g(d: Any, df: Any) -> Any:
    """Hedges' g = J(df) * d with the exact gamma-function J (Hedges 1981).

    ``df`` is the degrees of freedom of the standardizer: ``n1 + n2 - 2`` for two
    independent groups, ``n - 1`` for a single group or paired differences.

    Parameters
    ----------
    d : float or array_like
        Cohen's d (uncorrected).
    df : float or array_like
        Degrees of freedom of the standardizer.

    Returns
    -------
    float or ndarray
        Hedges' g.

    Examples
    --------
    >>> round(hedges_g(1.5, 9), 4)
    1.3708
    """
    a = _arr(d, "d")
    m = _arr(df, "df")
    _check(m, "df", 1, np.inf, open_lo=True, open_hi=True)
    j = np.vectorize(hedges_j, otypes=[float])(m)
    return _out(a * j)


def correct_attenuation(r: Any, rxx: Any, ryy: Any = 1.0) -> Any:
    """Spearman's correction for attenuation: ``r / sqrt(rxx * ryy)``.

    Reliabilities must lie in (0, 1]; pass ``ryy=1`` to correct for one variable only. The
    result can exceed 1 in absolute value when reliabilities are underestimated; it is
    returned as computed so the problem stays visible.

    Parameters
    ----------
    r : float or array_like
        Observed correlation(s).
    rxx : float or array_like
        Reliability of the first variable, in (0, 1].
    ryy : float or array_like, default 1.0
        Reliability of the second variable, in (0, 1]; 1 leaves it uncorrected.

    Returns
    -------
    float or ndarray
        The disattenuated correlation(s), same shape as the broadcast inputs.

    Examples
    --------
    >>> round(correct_attenuation(0.3, 0.8, 0.7), 4)
    0.4009
    """
    a = _arr(r, "r")
    _check(a, "r", -1, 1, open_lo=False, open_hi=False)
    x = _arr(rxx, "rxx")
    y = _arr(ryy, "ryy")
    _check(x, "rxx", 0, 1, open_lo=True, open_hi=False)
    _check(y, "ryy", 0, 1, open_lo=True, open_hi=False)
    return _out(a / np.sqrt(x * y))
