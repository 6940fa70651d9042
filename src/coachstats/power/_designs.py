"""Standardised standard errors and degrees of freedom of the closed-form designs.

Each design maps its parameters to ``(sse, df)``: the standard error of the impact estimate
in standard deviations of the outcome, and the degrees of freedom of its test. The formulas
are those of PowerUp! (Dong & Maynard 2013, J Res Educ Eff 6:24) as coded in R PowerUpR 1.1.0,
plus the paired pre/post design and difference-in-differences with serially correlated waves
(McKenzie 2012, J Dev Econ 99:210; Burlig, Preonas & Woerman 2020, J Dev Econ 144:102458).

``df = inf`` means normal critical values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["DESIGNS", "Design", "wave_covariances"]


@dataclass(frozen=True)
class Design:
    """A closed-form design: its parameters, defaults and ``(sse, df)`` formula."""

    name: str
    label: str
    required: tuple[str, ...]
    defaults: dict[str, object]
    sizes: tuple[str, ...]  # parameters one can solve for
    fn: Callable[..., tuple[float, float]]
    source: str


def _ira(*, n: float, P: float, r2: float, g: int) -> tuple[float, float]:
    return math.sqrt((1 - r2) / (P * (1 - P) * n)), n - g - 2


def _bira2c1(*, n: float, J: float, P: float, r2: float, g: int) -> tuple[float, float]:
    return math.sqrt((1 - r2) / (P * (1 - P) * J * n)), J * (n - 1) - g - 1


def _bira2f1(*, n: float, J: float, P: float, r2: float, g: int) -> tuple[float, float]:
    return math.sqrt((1 - r2) / (P * (1 - P) * J * n)), J * (n - 2) - g


def _bira2r1(*, n: float, J: float, icc: float, omega: float, P: float, r2: float,
             r2_t: float, g: int) -> tuple[float, float]:
    v = icc * omega * (1 - r2_t) / J + (1 - icc) * (1 - r2) / (P * (1 - P) * J * n)
    return math.sqrt(v), J - g - 1


def _cra2(*, n: float, J: float, icc: float, P: float, r2: float, r2_2: float,
          g: int) -> tuple[float, float]:
    v = icc * (1 - r2_2) / (P * (1 - P) * J) + (1 - icc) * (1 - r2) / (P * (1 - P) * J * n)
    return math.sqrt(v), J - g - 2


def _cra3(*, n: float, J: float, K: float, icc: float, icc3: float, P: float, r2: float,
          r2_2: float, r2_3: float, g: int) -> tuple[float, float]:
    pq = P * (1 - P)
    v = (icc3 * (1 - r2_3) / (pq * K) + icc * (1 - r2_2) / (pq * J * K)
         + (1 - icc - icc3) * (1 - r2) / (pq * J * K * n))
    return math.sqrt(v), K - g - 2


def _paired(*, n: float, rho: float) -> tuple[float, float]:
    return math.sqrt(2 * (1 - rho) / n), n - 1


def wave_covariances(pre: int, post: int, rho: float, correlation: str) -> tuple[float, ...]:
    """Average correlations of the outcome across waves of one unit.

    Returns ``(v_pre, v_post, c_cross)``: the variance of a unit's mean over the pre waves and
    over the post waves, and their covariance, in units of the outcome variance. Waves are
    equicorrelated (``"constant"``) or AR(1) in wave distance (``"ar1"``).

    Parameters
    ----------
    pre, post : int
        Waves before and after the program.
    rho : float
        Correlation of the outcome between two waves (adjacent waves for ``"ar1"``).
    correlation : {"constant", "ar1"}
        Correlation structure across waves.

    Returns
    -------
    tuple of float
        ``(v_pre, v_post, c_cross)``.

    Examples
    --------
    >>> from coachstats.power import wave_covariances
    >>> wave_covariances(2, 2, 0.5, "constant")
    (0.75, 0.75, 0.5)
    """
    t = np.arange(pre + post)
    if correlation == "ar1":
        S = rho ** np.abs(t[:, None] - t[None, :])
    else:
        S = np.full((pre + post, pre + post), rho)
        np.fill_diagonal(S, 1.0)
    a, b = slice(0, pre), slice(pre, pre + post)
    return float(S[a, a].mean()), float(S[b, b].mean()), float(S[a, b].mean())


def _did(*, J: float, pre: int, post: int, rho: float, P: float, correlation: str,
         estimator: str, df: float | None) -> tuple[float, float]:
    vpre, vpost, cx = wave_covariances(int(pre), int(post), rho, correlation)
    if estimator == "did":
        v = vpre + vpost - 2 * cx
    elif estimator == "ancova":
        v = vpost - cx**2 / vpre
    else:  # post only
        v = vpost
    return math.sqrt(v / (P * (1 - P) * J)), (math.inf if df is None else float(df))


_COMMON = {"P": 0.5, "r2": 0.0, "g": 0}

DESIGNS: dict[str, Design] = {
    "ira": Design("ira", "individual random assignment", ("n",), dict(_COMMON), ("n",), _ira,
                  "PowerUp! IRA; PowerUpR mdes.ira1r1"),
    "bira2c1": Design("bira2c1", "blocked individual random assignment (constant effects)",
                      ("n", "J"), dict(_COMMON), ("n", "J"), _bira2c1,
                      "PowerUp! BIRA2_1c; PowerUpR mdes.bira2c1"),
    "bira2f1": Design("bira2f1", "blocked individual random assignment (fixed block effects)",
                      ("n", "J"), dict(_COMMON), ("n", "J"), _bira2f1,
                      "PowerUp! BIRA2_1f; PowerUpR mdes.bira2f1"),
    "bira2r1": Design("bira2r1", "blocked individual random assignment (random block effects)",
                      ("n", "J", "icc", "omega"), {**_COMMON, "r2_t": 0.0}, ("n", "J"),
                      _bira2r1, "PowerUp! BIRA2_1r; PowerUpR mdes.bira2r1"),
    "cra2": Design("cra2", "two-level cluster random assignment", ("n", "J", "icc"),
                   {**_COMMON, "r2_2": 0.0}, ("n", "J"), _cra2,
                   "PowerUp! CRA2_2r; PowerUpR mdes.cra2r2"),
    "cra3": Design("cra3", "three-level cluster random assignment", ("n", "J", "K", "icc", "icc3"),
                   {**_COMMON, "r2_2": 0.0, "r2_3": 0.0}, ("n", "J", "K"), _cra3,
                   "PowerUp! CRA3_3r; PowerUpR mdes.cra3r3"),
    "paired": Design("paired", "paired pre/post (one group measured twice)", ("n", "rho"), {},
                     ("n",), _paired, "paired t-test on the change; effect in outcome SDs"),
    "did": Design("did", "difference-in-differences with serially correlated waves",
                  ("J", "pre", "post", "rho"),
                  {"P": 0.5, "correlation": "constant", "estimator": "did", "df": None},
                  ("J",), _did, "McKenzie (2012); Burlig, Preonas & Woerman (2020) eq. 8"),
}
DESIGNS["cra2r2"] = DESIGNS["cra2"]
DESIGNS["cra3r3"] = DESIGNS["cra3"]
DESIGNS["ira1r1"] = DESIGNS["ira"]
