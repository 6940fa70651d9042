"""Sandwich variances from stacked estimating equations (M-estimation).

The Jacobian of the mean estimating function is taken by complex-step differentiation
(Squire & Trapp 1998), which is exact to machine precision for analytic functions, so one
routine serves every estimator whose estimating functions are written with numpy operations
that accept complex input. The variance is ``A^-1 B A^-T / n`` with ``A`` the mean Jacobian
and ``B`` the mean outer product of the per-person (or per-cluster, summed) functions
(Stefanski & Boos 2002).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def jacobian(psi: Callable[[np.ndarray], np.ndarray], theta: np.ndarray) -> np.ndarray:
    """Mean Jacobian ``d mean(psi) / d theta`` by complex step."""
    k = len(theta)
    out = np.empty((k, k))
    h = 1e-30
    for j in range(k):
        t = theta.astype(complex)
        t[j] += 1j * h
        out[:, j] = psi(t).mean(axis=0).imag / h
    return out


def sandwich(
    psi: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, cluster: np.ndarray | None = None
) -> np.ndarray:
    """Covariance of ``theta`` from the sandwich of the stacked estimating functions.

    With ``cluster``, the functions are summed within clusters and multiplied by
    ``G / (G - 1)`` (the usual small-sample factor for G clusters).
    """
    P = np.real(psi(theta.astype(float)))
    n = P.shape[0]
    A = jacobian(psi, theta)
    if cluster is None:
        B = P.T @ P / n
    else:
        codes, uniq = _codes(cluster)
        S = np.zeros((len(uniq), P.shape[1]))
        np.add.at(S, codes, P)
        g = len(uniq)
        B = S.T @ S / n * (g / (g - 1))
    Ainv = np.linalg.inv(A)
    return Ainv @ B @ Ainv.T / n


def _codes(cluster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, codes = np.unique(np.asarray(cluster).astype(str), return_inverse=True)
    return codes, uniq


def expit(x: np.ndarray) -> np.ndarray:
    """Logistic function that also accepts complex input (for the complex step)."""
    return 1.0 / (1.0 + np.exp(-x))


def cdot(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``A @ b`` that stays fast for complex input (real matrix products only)."""
    if not (np.iscomplexobj(A) or np.iscomplexobj(b)):
        return A @ b
    Ar, Ai, br, bi = np.real(A), np.imag(A), np.real(b), np.imag(b)
    return (Ar @ br - Ai @ bi) + 1j * (Ar @ bi + Ai @ br)
