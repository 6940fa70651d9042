"""Cluster-robust (sandwich) variance with the CR2 bias-reduced linearisation and
Satterthwaite degrees of freedom (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018), as R
clubSandwich computes them for a weighted fit whose weights are the inverse of its working
covariance ``Phi`` (``W_j = Phi_j^-1``, block-diagonal by cluster).

With ``M = (X'WX)^-1``, residuals ``e`` and ``Phi_j = D_j' D_j`` (``D_j`` upper Cholesky):

* ``B_j = D_j (Phi_j - X_j M X_j') D_j'`` and ``A_j = D_j' B_j^{-1/2} D_j`` (CR2; ``A_j = I``
  is CR0);
* ``V^CR = M [sum_j X_j' W_j A_j e_j e_j' A_j' W_j X_j] M``;
* for a contrast ``c``: ``u_j = A_j' W_j X_j M c``, ``s_j = X_j' u_j`` and
  ``Omega = diag(u_j' Phi_j u_j) - S' M S``, so ``df = tr(Omega)^2 / ||Omega||_F^2``.

Clusters of the same size are processed together as stacked matrices.
"""

from __future__ import annotations

import numpy as np


def _inv_sqrt_sym(B: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(B)
    inv = np.where(vals > 1e-12 * np.max(np.abs(vals), axis=-1, keepdims=True),
                   1.0 / np.sqrt(np.clip(vals, 1e-300, None)), 0.0)  # fmt: skip
    return (vecs * inv[..., None, :]) @ np.swapaxes(vecs, -1, -2)


def cluster_robust(
    X: np.ndarray,
    e: np.ndarray,
    M: np.ndarray,
    phi_blocks: list[np.ndarray],
    rows: list[np.ndarray],
    *,
    small_sample: str = "CR2",
) -> tuple[np.ndarray, np.ndarray]:
    """Return the robust covariance of the coefficients and Satterthwaite df per coefficient.

    ``phi_blocks[j]`` is the working covariance of cluster ``j`` (rows ``rows[j]``); the
    fit's weights are its inverse.
    """
    p = X.shape[1]
    m = len(rows)
    meat = np.zeros((p, p))
    S = np.zeros((p, m, p))  # S[c] is (m, p): s_j for contrast c
    phi_u = np.zeros((p, m))  # u_j' Phi_j u_j per contrast
    sizes = np.array([len(r) for r in rows])
    for size in np.unique(sizes):
        idx = np.flatnonzero(sizes == size)
        Phi = np.stack([phi_blocks[j] for j in idx])  # (g, n, n)
        rr = np.stack([rows[j] for j in idx])  # (g, n)
        Xg = X[rr]  # (g, n, p)
        eg = e[rr]  # (g, n)
        W = np.linalg.inv(Phi)
        if small_sample == "CR2":
            L = np.linalg.cholesky(Phi)  # Phi = L L', D = L'
            D = np.swapaxes(L, -1, -2)
            XMX = Xg @ M @ np.swapaxes(Xg, -1, -2)
            B = D @ (Phi - XMX) @ L
            A = L @ _inv_sqrt_sym(B) @ D
        else:
            A = np.broadcast_to(np.eye(size), Phi.shape)
        WX = W @ Xg  # (g, n, p)
        AtWX = np.swapaxes(A, -1, -2) @ WX  # u_j = AtWX @ M c
        score = np.einsum("gnp,gnq,gq->gp", WX, A, eg)  # X_j' W_j A_j e_j
        meat += score.T @ score
        Ug = AtWX @ M  # (g, n, p): column c is u_j for contrast c
        phi_u[:, idx] = np.einsum("gnc,gnk,gkc->cg", Ug, Phi, Ug)
        S[:, idx, :] = np.einsum("gnp,gnc->cgp", Xg, Ug)
    vcov = M @ meat @ M
    df = np.empty(p)
    for c in range(p):
        Sc = S[c]  # (m, p)
        omega = -Sc @ M @ Sc.T
        omega[np.diag_indices(m)] += phi_u[c]
        df[c] = np.trace(omega) ** 2 / np.sum(omega * omega)
    return vcov, df
