"""Profile-likelihood intervals for the standard deviations of a nested model (lme4's way).

For each component (a level's SD, or the residual SD) the ML deviance is minimised over all
the other parameters with that SD held fixed; the interval is the set of SDs whose profile
deviance exceeds the minimum by at most the chi-square(1) quantile of the interval
probability. As in lme4's ``confint(method = "profile")`` the ML deviance is profiled also
after a REML fit, so the two agree; unlike lme4 the end points are exact roots, not spline
interpolations of a profile grid. A level SD whose profile stays below the cut-off all the
way to zero gets a lower end point of 0.

The ML deviance with the residual variance ``s2`` not profiled out is::

    D(r, s2) = log|V_r| + n log(2 pi s2) + rss(r) / s2

with ``r`` the variance ratios (level variance over ``s2``) and ``V_r = V / s2``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from . import _nested

__all__ = ["profile_sd_intervals"]


def _deviance(ratios: np.ndarray, s2: np.ndarray, d: _nested.Design) -> np.ndarray:
    crit, rss, _, _ = _nested.criteria(ratios, d, reml=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        logdet = crit - d.n * (1 + _nested.LOG2PI + np.log(rss / d.n))
        out = logdet + d.n * (_nested.LOG2PI + np.log(s2)) + rss / s2
    return np.where(np.isfinite(crit) & (s2 > 0), out, np.inf)


class _Profile:
    """Profile ML deviance of one component (internal order: levels innermost first, then
    the residual), as a function of that component's variance."""

    def __init__(self, d: _nested.Design, comp: int, ratios: np.ndarray, s2: float) -> None:
        self.d, self.comp, self.nlev = d, comp, len(d.n_groups)
        self.ratios, self.s2 = ratios, s2

    def _starts(self) -> np.ndarray:
        r, s2 = self.ratios, self.s2
        if self.comp == self.nlev:  # residual held fixed: free ratios
            base = [r, np.full_like(r, 0.05), np.full_like(r, 4.0), np.zeros_like(r)]
            return np.vstack(base)
        others = np.delete(r, self.comp)
        rows = [np.r_[s2, others], np.r_[s2, np.full_like(others, 0.05)],
                np.r_[s2, np.full_like(others, 4.0)], np.r_[2 * s2, others],
                np.r_[s2 / 2, others]]  # fmt: skip
        return np.vstack(rows)

    def __call__(self, variance: float) -> float:
        d, j, nlev = self.d, self.comp, self.nlev
        if j == nlev:
            s2 = np.array([variance])

            def f(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
                return _deviance(x, np.broadcast_to(s2, (len(x),)), d)
        else:

            def f(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
                s2 = x[:, 0]
                ratios = np.insert(x[:, 1:], j, variance / np.where(s2 > 0, s2, np.nan), axis=1)
                ratios = np.where(np.isfinite(ratios), ratios, 0.0)
                return np.where(s2 > 0, _deviance(ratios, s2, d), np.inf)

        with np.errstate(all="ignore"):  # starts that leave the parameter space score inf
            _, fr, _ = _nested.newton(f, self._starts())
        return float(np.min(fr))


def profile_sd_intervals(
    d: _nested.Design, ci_level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """ML estimates and profile intervals of the SDs (levels innermost first, then residual).

    Returns ``(sd_ml, low, high, ml_deviance)``.
    """
    ml = _nested.fit(d, reml=False)
    ratios, s2 = ml.ratios[0], float(ml.variances[0, -1])
    nlev = len(d.n_groups)
    var_ml = np.r_[ratios * s2, s2]
    dmin = float(_deviance(ratios[None, :], np.array([s2]), d)[0])
    cut = float(stats.chi2.ppf(ci_level, 1))
    low, high = np.empty(nlev + 1), np.empty(nlev + 1)
    for comp in range(nlev + 1):
        prof = _Profile(d, comp, ratios, s2)

        def g(sd: float, prof: _Profile = prof) -> float:
            return prof(sd * sd) - dmin - cut

        sd_hat = math.sqrt(var_ml[comp])
        floor = 0.0 if comp < nlev else 1e-6 * sd_hat
        if comp < nlev and (sd_hat == 0.0 or g(floor) <= 0):
            low[comp] = 0.0
        else:
            low[comp] = optimize.brentq(g, floor, sd_hat, xtol=1e-13, rtol=1e-13)
        hi = 2 * sd_hat + math.sqrt(s2)
        while g(hi) < 0:
            hi *= 2
        high[comp] = optimize.brentq(g, sd_hat, hi, xtol=1e-13, rtol=1e-13)
    return np.sqrt(var_ml), low, high, dmin
