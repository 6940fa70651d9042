"""Ridge-augmented synthetic control (Ben-Michael, Feller & Rothstein 2021) and its conformal
inference (Chernozhukov, Wuthrich & Zhu 2021).

Notation: ``y1`` is the treated unit's series (periods), ``y0`` the donors' (periods x
donors); the first ``t0`` periods are before the program. With the pre-program outcomes
centred on the donor mean of each period (``X0`` donors x periods, ``x1`` the treated row)
the ridge ASCM weights are::

    w_aug = w_scm + X0 (X0' X0 + lambda I)^-1 (x1 - X0' w_scm)

i.e. the synthetic-control weights plus the correction that a ridge regression of the
outcomes on the pre-program outcomes implies; equivalently the augmented estimate equals the
SCM estimate minus the ridge prediction of the SCM's bias (the paper's equation 6). The
correction sums to zero (the donors' centred outcomes sum to zero), so the augmented weights
still sum to one but may be negative.

``lambda`` is chosen as in the authors' R package ``augsynth``: 21 values from the squared
largest singular value of ``X0`` down to 1e-8 of it; for each pre-program period in turn the
period is held out, SCM and ridge are refitted on the rest and the held-out period predicted;
the largest ``lambda`` whose mean squared error is within one standard error of the smallest
is chosen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._simplex import simplex_weights

__all__ = ["AscmFit", "ascm_fit", "ascm_weights", "conformal_interval", "conformal_period_test",
           "conformal_test",
           "cv_lambda", "lambda_grid"]


def lambda_grid(x0c: np.ndarray, n_lambda: int = 20, min_ratio: float = 1e-8) -> np.ndarray:
    """``n_lambda + 1`` penalties from ``s1^2`` (largest singular value of ``x0c``) down to
    ``min_ratio s1^2`` on a log scale."""
    top = float(np.linalg.svd(x0c, compute_uv=False)[0]) ** 2
    return top * (min_ratio ** (1.0 / n_lambda)) ** np.arange(n_lambda + 1)


def _ridge_correction(x1c: np.ndarray, x0c: np.ndarray, w: np.ndarray, lam: float
                      ) -> np.ndarray:
    """``X0 (X0' X0 + lam I)^-1 (x1 - X0' w)`` with ``x0c`` periods x donors."""
    k = x0c.shape[0]
    resid = x1c - x0c @ w
    return x0c.T @ np.linalg.solve(x0c @ x0c.T + lam * np.eye(k), resid)


def _centre(y1: np.ndarray, y0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = y0.mean(axis=1)
    return y1 - m, y0 - m[:, None]


def ascm_weights(y1: np.ndarray, y0: np.ndarray, lam: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(augmented weights, SCM weights)`` fitted on the periods of ``y1``/``y0`` given."""
    w = simplex_weights(y1, y0)
    if not math.isfinite(lam):  # infinite penalty: no correction, the classic weights
        return w.copy(), w
    x1c, x0c = _centre(y1, y0)
    return w + _ridge_correction(x1c, x0c, w, lam), w


def cv_lambda(y1: np.ndarray, y0: np.ndarray, lambdas: np.ndarray
              ) -> tuple[float, np.ndarray, np.ndarray]:
    """Leave-one-period-out choice of the ridge penalty (one-standard-error rule).

    Returns ``(lambda, mean squared error per lambda, its standard error)``. The periods are
    centred once on the donor means over all the pre-program periods given, as in augsynth.
    """
    x1c, x0c = _centre(y1, y0)
    t0 = len(y1)
    errors = np.empty((t0 - 1, len(lambdas)))
    for i in range(t0 - 1):  # augsynth leaves out periods 1 .. t0 - 1 (holdout length 1)
        keep = np.arange(t0) != i
        a1, a0 = x1c[keep], x0c[keep]
        w = simplex_weights(a1, a0)
        resid = a1 - a0 @ w
        gram = a0 @ a0.T
        for j, lam in enumerate(lambdas):
            corr = a0.T @ np.linalg.solve(gram + lam * np.eye(t0 - 1), resid)
            errors[i, j] = (x1c[i] - x0c[i] @ (w + corr)) ** 2
    mse = errors.mean(axis=0)
    se = errors.std(axis=0, ddof=1) / math.sqrt(errors.shape[0])
    best = int(np.argmin(mse))
    lam = float(np.max(lambdas[mse <= mse[best] + se[best]]))
    return lam, mse, se


@dataclass(frozen=True)
class AscmFit:
    """Weights and diagnostics of one ridge ASCM fit."""

    weights: np.ndarray
    scm_weights: np.ndarray
    penalty: float
    lambdas: np.ndarray | None
    cv_mse: np.ndarray | None
    cv_se: np.ndarray | None
    gap: np.ndarray
    scm_gap: np.ndarray


def ascm_fit(y1: np.ndarray, y0: np.ndarray, pre: np.ndarray, penalty: float | None
             ) -> AscmFit:
    """Ridge ASCM on a whole panel: weights from the ``pre`` periods, gaps at every period."""
    lambdas = mse = se = None
    if penalty is None:
        lambdas = lambda_grid(_centre(y1[pre], y0[pre])[1].T)
        penalty, mse, se = cv_lambda(y1[pre], y0[pre], lambdas)
    w, w_scm = ascm_weights(y1[pre], y0[pre], float(penalty))
    return AscmFit(weights=w, scm_weights=w_scm, penalty=float(penalty), lambdas=lambdas,
                   cv_mse=mse, cv_se=se, gap=y1 - y0 @ w, scm_gap=y1 - y0 @ w_scm)


def conformal_test(y1: np.ndarray, y0: np.ndarray, pre: np.ndarray, penalty: float,
                   tau: float) -> float:
    """Conformal p-value of the sharp null "the effect is ``tau`` in every post period".

    The treated series minus ``tau`` after the program is refitted on ALL periods (ridge
    ASCM, penalty held fixed); the residuals' post-period statistic
    ``sum |u_t| / sqrt(T1)`` is compared with its values under every cyclic shift of the
    residual series in time (moving-block permutations, Chernozhukov, Wuthrich & Zhu 2021;
    augsynth's ``type = "block"``). ``p = share of the T shifts (the identity included) whose
    statistic is at least the observed one``; the smallest attainable is ``1 / T``.
    """
    adj = y1 - np.where(pre, 0.0, tau)
    w, _ = ascm_weights(adj, y0, penalty)
    u = adj - y0 @ w
    post = ~pre
    n, n1 = len(u), int(post.sum())
    stat = float(np.abs(u[post]).sum()) / math.sqrt(n1)
    idx = np.flatnonzero(post)
    shifted = np.array([np.abs(u[(idx + s) % n]).sum() for s in range(n)]) / math.sqrt(n1)
    return float(np.mean(shifted >= stat - 1e-12 * max(1.0, stat)))


def conformal_period_test(y1: np.ndarray, y0: np.ndarray, pre: np.ndarray, penalty: float,
                          period: int, tau: float) -> float:
    """Conformal p-value of "the effect in post period ``period`` is ``tau``".

    The period is added to the pre-program periods with the treated value minus ``tau``, the
    fit is redone on those ``t0 + 1`` periods (penalty fixed) and ``p`` is the share of them
    whose absolute residual is at least the added period's (Chernozhukov, Wuthrich & Zhu
    2021; augsynth's pointwise intervals). The smallest attainable is ``1 / (t0 + 1)``.
    """
    use = pre.copy()
    use[period] = True
    a1 = y1[use].copy()
    pos = int(np.flatnonzero(np.flatnonzero(use) == period)[0])
    a1[pos] -= tau
    a0 = y0[use]
    w, _ = ascm_weights(a1, a0, penalty)
    u = np.abs(a1 - a0 @ w)
    return float(np.mean(u >= u[pos] - 1e-12 * max(1.0, u[pos])))


def conformal_interval(test: Callable[[float], float], estimate: float, alpha: float,
                       scale: float, tol: float) -> tuple[float, float]:
    """Interval ``{tau : test(tau) > alpha}`` around ``estimate``, by bracketing and
    bisection outwards (infinite ends when the test never rejects within ``2^12`` scales)."""
    def accepted(tau: float) -> bool:
        return test(tau) > alpha

    ends = []
    for sign in (-1.0, 1.0):
        inside, step = estimate, max(scale, tol)
        outside = None
        for _ in range(13):
            cand = estimate + sign * step
            if accepted(cand):
                inside, step = cand, step * 2
            else:
                outside = cand
                break
        if outside is None:
            ends.append(sign * math.inf)
            continue
        while abs(outside - inside) > tol:
            mid = 0.5 * (inside + outside)
            if accepted(mid):
                inside = mid
            else:
                outside = mid
        ends.append(inside)
    return ends[0], ends[1]
