"""Synthetic-control weights: the point of the simplex closest to the treated unit.

``w >= 0, sum w = 1`` minimising ``||y1 - y0 @ w||^2``, computed exactly: Lawson-Hanson
non-negative least squares on an augmented system finds the support, and the
equality-constrained least-squares problem on that support is solved in closed form (KKT),
with a check of the optimality conditions.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

__all__ = ["simplex_weights"]


def simplex_weights(y1: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0, sum w = 1`` minimising ``||y1 - y0 @ w||^2`` (``y0``: periods x donors).

    Parameters
    ----------
    y1 : ndarray
        Pre-program series of the treated unit (periods).
    y0 : ndarray
        Pre-program series of the donors (periods x donors).

    Returns
    -------
    ndarray
        One weight per donor, non-negative and summing to one.

    Examples
    --------
    >>> import numpy as np
    >>> y0 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> simplex_weights(np.array([0.5, 0.5, 1.0]), y0).round(6).tolist()
    [0.5, 0.5]
    """
    y1 = np.asarray(y1, float)
    y0 = np.asarray(y0, float)
    j = y0.shape[1]
    scale = max(float(np.abs(y0).max()), 1.0) * 1e3
    a = np.vstack([y0, scale * np.ones((1, j))])
    b = np.r_[y1, scale]
    w0, _ = nnls(a, b, maxiter=50 * j)
    support = w0 > 1e-12
    for _ in range(j + 1):
        s = np.flatnonzero(support)
        xs = y0[:, s]
        k = len(s)
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = xs.T @ xs
        kkt[:k, k] = 1.0
        kkt[k, :k] = 1.0
        rhs = np.r_[xs.T @ y1, 1.0]
        try:
            sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
        except np.linalg.LinAlgError:  # pragma: no cover - lstsq does not raise on rank loss
            break
        w = np.zeros(j)
        w[s] = sol[:k]
        if np.all(w[s] >= -1e-12):
            w = np.clip(w, 0.0, None)
            w /= w.sum()
            # optimality: gradient of inactive donors must not point into the simplex
            grad = -2 * y0.T @ (y1 - y0 @ w)
            lam = float(np.mean(grad[s]))
            if np.all(grad[~support] >= lam - 1e-8 * max(1.0, abs(lam))):
                return w
            support[np.argmin(np.where(support, np.inf, grad))] = True
        else:
            support[s[np.argmin(sol[:k])]] = False
    # fall back to the augmented NNLS solution, renormalised
    return w0 / w0.sum()
