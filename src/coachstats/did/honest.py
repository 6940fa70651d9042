"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

The event-study coefficients are ``beta = tau + delta``: the effects ``tau`` (zero before
treatment) plus the bias ``delta`` from a failure of parallel trends (``delta_0 = 0`` at the
reference period). The target is ``theta = l' tau_post`` (the average post-treatment effect
by default, or one event time). Restricting ``delta`` to a set ``Delta`` gives a confidence
set for ``theta`` that is valid whenever ``delta`` lies in ``Delta``:

``smoothness`` (``Delta^SD(M)``)
    The slope of ``delta`` changes by at most ``M`` between consecutive periods
    (``|delta_{t+1} - 2 delta_t + delta_{t-1}| <= M``); ``M = 0`` allows exactly linear
    trends. Confidence set: the optimal fixed-length confidence interval (FLCI) over affine
    estimators ``l' beta_post + w' beta_pre`` (Armstrong & Kolesar 2018), as the default of
    R ``HonestDiD::createSensitivityResults``. The worst-case bias has a closed form: with
    ``a = (w, l)`` unbiased for linear trends, it is ``M * sum_k |a' phi_k|`` over the hinge
    functions ``phi_k`` whose second difference is one at period ``k`` only.
``relative_magnitude`` (``Delta^RM(Mbar)``)
    A post-treatment change of ``delta`` between consecutive periods is at most ``Mbar``
    times the largest pre-treatment change. The set is a union over which pre-period change
    is the largest and its sign; each piece is a polyhedron ``A delta <= 0`` and is tested by
    the conditional / least-favourable hybrid moment-inequality test of Andrews, Roth &
    Pakes (2023) (as ``HonestDiD::createSensitivityResults_relativeMagnitudes``, method
    "C-LF"). The confidence set collects every ``theta`` that some piece does not reject.
    The test's linear programme is solved through the vertices of its dual polytope, which
    are enumerated once per piece, so the test costs a few matrix products per ``theta``.

The breakdown value is the largest ``M`` (or ``Mbar``) at which the robust set still
excludes zero, found by bisection.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .._rng import RNGLike, as_generator
from .._validate import check_choice, check_ci_level
from ..results import Caution, Result, new_axes, tidy_frame

__all__ = ["SensitivityResult", "flci_smoothness", "flci_weights", "rm_confidence_set",
           "sensitivity", "sensitivity_from_event_times"]

_KINDS = ("relative_magnitude", "smoothness")
#: most basic solutions enumerated per piece of Delta^RM before giving up
_MAX_BASES = 2_000_000


# ---------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityResult(Result):
    """Robust confidence sets for ``theta = l' tau_post`` under bounded violations of
    parallel trends, one per value of ``M`` (``Mbar``), next to the original interval.

    Parameters
    ----------
    kind : str
        ``"smoothness"`` or ``"relative_magnitude"``.
    target : str
        What ``theta`` is ("average of event times 0..3" or "event time 0").
    estimate, ci_low, ci_high : float
        The original estimate of ``theta`` and its (pointwise) confidence interval.
    std_error : float
        Standard error of the original estimate.
    ci_level : float
        Confidence level.
    table : DataFrame
        One row per ``M``: ``m, ci_low, ci_high, excludes_zero``.
    breakdown : float
        The largest ``M`` at which the robust set excludes zero (0 when even ``M = 0``
        does not; ``inf`` when no tested ``M`` reaches zero).
    l_vec : tuple of float
        Weights of the post-treatment effects in ``theta``.
    n_pre, n_post : int
        Numbers of pre- and post-treatment coefficients.
    max_pre_change : float
        Largest absolute change between consecutive pre-treatment coefficients (the scale
        of ``Mbar``).

    Examples
    --------
    >>> import numpy as np
    >>> from coachstats.did.honest import sensitivity
    >>> b = np.array([0.01, -0.005, 0.0, 0.20, 0.25])
    >>> s = sensitivity(b, np.eye(5) * 0.01**2, 3, 2, kind="smoothness", m=[0, 0.01],
    ...                 breakdown=False)
    >>> s.kind, s.n_pre, s.n_post, round(s.estimate, 3)
    ('smoothness', 3, 2, 0.225)
    """

    kind: str
    target: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    table: pd.DataFrame = field(repr=False, compare=False)
    breakdown: float
    l_vec: tuple[float, ...]
    n_pre: int
    n_post: int
    max_pre_change: float = float("nan")

    @property
    def title(self) -> str:
        name = ("smoothness (Delta^SD)" if self.kind == "smoothness"
                else "relative magnitudes (Delta^RM)")
        return f"Sensitivity to parallel-trend violations, {name}"

    @property
    def m_label(self) -> str:
        return "M" if self.kind == "smoothness" else "Mbar"

    @property
    def notes(self) -> list[str]:
        out = [f"Target: {self.target}; {self.n_pre} pre-treatment and {self.n_post} "
               f"post-treatment coefficients (Rambachan & Roth 2023)."]
        if self.kind == "smoothness":
            out.append("M bounds how much the slope of the bias may change from one period to "
                       "the next (M = 0: the pre-trend continues linearly); intervals are "
                       "optimal fixed-length confidence intervals (FLCI).")
        else:
            out.append(
                "Mbar bounds each post-treatment change of the bias by Mbar times the largest "
                "pre-treatment change"
                + (f" ({self.max_pre_change:.3g} in the estimates)"
                   if np.isfinite(self.max_pre_change) else "")
                + "; sets come from the conditional / least-favourable hybrid test (C-LF).")
        if np.isinf(self.breakdown):
            out.append(f"Breakdown: the effect stays distinguishable from zero for every "
                       f"{self.m_label} tried.")
        else:
            out.append(f"Breakdown value: {self.m_label} = {self.breakdown:.3g} (largest value "
                       "at which the robust set excludes zero).")
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """``sensitivity_fragile`` when the effect loses significance already at M = 0."""
        if self.breakdown == 0 and (self.ci_low > 0 or self.ci_high < 0):
            return (Caution("sensitivity_fragile",
                            f"The effect is not robust to any violation of parallel trends "
                            f"({self.kind}): breakdown {self.m_label} = 0.", 0.0),)
        return ()

    def to_frame(self) -> pd.DataFrame:
        """``original`` row first, then one ``robust[M=...]`` row per value of M."""
        rows = [{"term": "original", "estimate": self.estimate, "std_error": self.std_error,
                 "ci_low": self.ci_low, "ci_high": self.ci_high, "ci_level": self.ci_level,
                 "m": np.nan, "method": "conventional",
                 "excludes_zero": bool(self.ci_low > 0 or self.ci_high < 0)}]
        method = "FLCI" if self.kind == "smoothness" else "C-LF"
        for r in self.table.itertuples(index=False):
            rows.append({"term": f"robust[{self.m_label}={r.m:g}]", "estimate": np.nan,
                         "std_error": np.nan, "ci_low": r.ci_low, "ci_high": r.ci_high,
                         "ci_level": self.ci_level, "m": r.m, "method": method,
                         "excludes_zero": bool(r.excludes_zero)})
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Sensitivity plot: the original interval, then the robust set at each M.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax, figsize=(6.0, 3.5))
        m = self.table["m"].to_numpy(dtype=float)
        step = float(np.min(np.diff(np.unique(m)))) if np.unique(m).size > 1 else 1.0
        x0 = float(m.min()) - step
        ax.errorbar([x0], [(self.ci_low + self.ci_high) / 2],
                    yerr=[[(self.ci_high - self.ci_low) / 2]], fmt="none", color="C3",
                    capsize=4, lw=2, label="original")
        mid = (self.table["ci_low"] + self.table["ci_high"]).to_numpy() / 2
        half = (self.table["ci_high"] - self.table["ci_low"]).to_numpy() / 2
        ax.errorbar(m, mid, yerr=half, fmt="none", color="C0", capsize=4, lw=2,
                    label="robust (" + ("FLCI" if self.kind == "smoothness" else "C-LF") + ")")
        ax.axhline(0.0, color="0.3", lw=0.8, ls="--")
        ax.set_xlabel(self.m_label)
        ax.set_ylabel(f"{self.ci_level:.0%} confidence set")
        ax.set_title(self.target, fontsize=9)
        ax.legend(fontsize=8, frameon=False)
        return ax


# ---------------------------------------------------------------------------------------
# smoothness: optimal FLCI
# ---------------------------------------------------------------------------------------


def _periods(n_pre: int, n_post: int) -> np.ndarray:
    return np.r_[np.arange(-n_pre, 0), np.arange(1, n_post + 1)].astype(float)


def _hinge_basis(n_pre: int, n_post: int) -> np.ndarray:
    """Columns: functions of the periods (reference 0 excluded) that vanish at 0 and whose
    second difference is one at a single interior period and zero elsewhere."""
    t = _periods(n_pre, n_post)
    cols = [np.maximum(k - t, 0.0) for k in range(-n_pre + 1, 0)]
    cols += [np.maximum(t - k, 0.0) for k in range(0, n_post)]
    return np.column_stack(cols) if cols else np.zeros((t.size, 0))


def _cv_folded(b: float, level: float) -> float:
    """``level`` quantile of ``|N(b, 1)|``."""
    return float(stats.foldnorm.ppf(level, abs(b))) if b > 1e-12 else \
        float(stats.norm.ppf(0.5 + level / 2))


def flci_smoothness(betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int,
                    l_vec: np.ndarray, m: float, ci_level: float = 0.95
                    ) -> tuple[float, float]:
    """Optimal FLCI for ``l' tau_post`` under ``Delta^SD(m)``: ``(ci_low, ci_high)``."""
    a, half = flci_weights(sigma, n_pre, n_post, l_vec, m, ci_level)
    e = float(a @ np.asarray(betahat, float))
    return e - half, e + half


def flci_weights(sigma: np.ndarray, n_pre: int, n_post: int, l_vec: np.ndarray, m: float,
                 ci_level: float = 0.95) -> tuple[np.ndarray, float]:
    """Weights ``a`` of the optimal affine estimator ``a' betahat`` and the FLCI half-length.

    They depend on the covariance only (not on the estimates). The estimator ``a' betahat``
    with ``a = (w, l)`` must be unbiased under linear trends (``a' t = 0``); its worst-case
    bias is ``m * ||Phi' a||_1`` and its half-length ``cv(bias / sd) * sd``. For a standard
    deviation ``h`` the smallest bias is a convex programme (SLSQP); ``h`` is then chosen on
    a grid refined by a bounded scalar search.
    """
    if n_pre < 1:
        raise ValueError("smoothness sensitivity needs at least one pre-treatment "
                         "coefficient besides the reference period.")
    t = _periods(n_pre, n_post)
    Phi = _hinge_basis(n_pre, n_post)
    l_vec = np.asarray(l_vec, float)
    Spp, Spo, Soo = sigma[:n_pre, :n_pre], sigma[:n_pre, n_pre:], sigma[n_pre:, n_pre:]
    tp, to = t[:n_pre], t[n_pre:]
    c_lin = float(l_vec @ to)  # constraint: w' tp + c_lin = 0

    def var(w: np.ndarray) -> float:
        return float(w @ Spp @ w + 2 * w @ Spo @ l_vec + l_vec @ Soo @ l_vec)

    def bias(w: np.ndarray) -> float:
        return float(np.abs(Phi.T @ np.r_[w, l_vec]).sum())

    # smallest variance under the linear-trend constraint (KKT system)
    K = np.block([[2 * Spp, tp[:, None]], [tp[None, :], np.zeros((1, 1))]])
    rhs = np.r_[-2 * Spo @ l_vec, -c_lin]
    w_min = np.linalg.lstsq(K, rhs, rcond=None)[0][:n_pre]
    h_min = np.sqrt(max(var(w_min), 0.0))
    if m <= 0:
        return np.r_[w_min, l_vec], float(stats.norm.ppf(0.5 + ci_level / 2) * h_min)
    # smallest bias (LP over w, u): min sum u s.t. -u <= Phi' a <= u, a' t = 0
    nk = Phi.shape[1]
    Pw, Pl = Phi[:n_pre].T, Phi[n_pre:].T @ l_vec
    c = np.r_[np.zeros(n_pre), np.ones(nk)]
    A_ub = np.block([[Pw, -np.eye(nk)], [-Pw, -np.eye(nk)]])
    b_ub = np.r_[-Pl, Pl]
    A_eq = np.r_[tp, np.zeros(nk)][None, :]
    lp = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[-c_lin],
                          bounds=[(None, None)] * (n_pre + nk), method="highs")
    w_bias = lp.x[:n_pre]
    h_max = max(np.sqrt(max(var(w_bias), 0.0)), h_min)

    def best_w(h: float, w0: np.ndarray) -> np.ndarray:
        if h >= h_max * (1 - 1e-12):
            return w_bias
        u0 = np.abs(Phi.T @ np.r_[w0, l_vec])
        cons = [
            {"type": "ineq", "fun": lambda x: x[n_pre:] - (Pw @ x[:n_pre] + Pl),
             "jac": lambda x: np.hstack([-Pw, np.eye(nk)])},
            {"type": "ineq", "fun": lambda x: x[n_pre:] + (Pw @ x[:n_pre] + Pl),
             "jac": lambda x: np.hstack([Pw, np.eye(nk)])},
            {"type": "eq", "fun": lambda x: np.array([x[:n_pre] @ tp + c_lin]),
             "jac": lambda x: np.r_[tp, np.zeros(nk)][None, :]},
            {"type": "ineq", "fun": lambda x: np.array([h * h - var(x[:n_pre])]),
             "jac": lambda x: np.r_[-(2 * Spp @ x[:n_pre] + 2 * Spo @ l_vec),
                                    np.zeros(nk)][None, :]},
        ]
        r = optimize.minimize(lambda x: x[n_pre:].sum(), np.r_[w0, u0],
                              jac=lambda x: np.r_[np.zeros(n_pre), np.ones(nk)],
                              constraints=cons, method="SLSQP",
                              options={"maxiter": 500, "ftol": 1e-14})
        return r.x[:n_pre]

    def half_length(h: float) -> tuple[float, np.ndarray]:
        # start from the convex combination of the two extreme solutions
        s = 0.0 if h_max <= h_min else (h - h_min) / (h_max - h_min)
        w = best_w(h, (1 - s) * w_min + s * w_bias)
        sd = np.sqrt(max(var(w), 1e-300))
        return _cv_folded(m * bias(w) / sd, ci_level) * sd, w

    if h_max - h_min < 1e-12 * max(h_max, 1e-300):
        hl, w = half_length(h_min)
    else:
        hs = np.linspace(h_min, h_max, 12)
        vals = [half_length(h)[0] for h in hs]
        j = int(np.argmin(vals))
        lo, hi = hs[max(j - 1, 0)], hs[min(j + 1, hs.size - 1)]
        r = optimize.minimize_scalar(lambda h: half_length(h)[0], bounds=(lo, hi),
                                     method="bounded", options={"xatol": 1e-10 * h_max})
        h_opt = r.x if r.fun <= vals[j] else hs[j]
        hl, w = half_length(float(h_opt))
    return np.r_[w, l_vec], float(hl)


# ---------------------------------------------------------------------------------------
# relative magnitudes: ARP conditional / least-favourable hybrid
# ---------------------------------------------------------------------------------------


def _rm_pieces(n_pre: int, n_post: int, mbar: float) -> list[np.ndarray]:
    """Constraint matrices ``A`` (``A delta <= 0``, delta without the reference period) of
    the pieces of Delta^RM: the change into pre-period ``s`` is the largest (and of sign +/-)."""
    T = n_pre + n_post
    D = np.zeros((T, T + 1))  # first differences of (delta_-n_pre, ..., delta_0, ..., delta_n_post)
    for r in range(T):
        D[r, r], D[r, r + 1] = -1.0, 1.0
    out = []
    for s in range(n_pre):  # difference ending at pre period -n_pre+1+s .. 0
        for sign in (1.0, -1.0):
            vmax = sign * D[s]
            bound = np.vstack([np.tile(vmax, (n_pre, 1)), np.tile(mbar * vmax, (n_post, 1))])
            A = np.vstack([D - bound, -D - bound])
            A = A[np.einsum("ij,ij->i", A, A) > 1e-10]
            out.append(np.delete(A, n_pre, axis=1))
    return out


def _dual_vertices(E: np.ndarray) -> np.ndarray:
    """Vertices of ``{g >= 0 : E g = e_last}`` by enumerating basic solutions."""
    p, k = E.shape
    n_bases = int(np.prod([k - i for i in range(p)]) // np.prod(range(1, p + 1)))
    if n_bases > _MAX_BASES:
        raise ValueError(f"relative_magnitude: too many event times ({n_bases:,} bases to "
                         "enumerate); narrow the event window or use kind='smoothness'.")
    rhs = np.zeros(p)
    rhs[-1] = 1.0
    combos = np.array(list(itertools.combinations(range(k), p)), dtype=np.int64)
    if combos.size == 0:
        return np.zeros((0, k))
    B = E[:, combos].transpose(1, 0, 2)  # (n, p, p)
    det = np.linalg.det(B)
    ok = np.abs(det) > 1e-12
    sol = np.linalg.solve(B[ok], np.broadcast_to(rhs, (int(ok.sum()), p))[..., None])[..., 0]
    keep = (sol >= -1e-10).all(axis=1)
    V = np.zeros((int(keep.sum()), k))
    rows = np.arange(V.shape[0])[:, None]
    V[rows, combos[ok][keep]] = np.maximum(sol[keep], 0.0)
    return np.unique(np.round(V, 12), axis=0) if V.size else V


class _Piece:
    """ARP hybrid test of ``H0: theta = theta0`` for one polyhedral piece ``A delta <= 0``."""

    def __init__(self, A: np.ndarray, betahat: np.ndarray, sigma: np.ndarray, n_pre: int,
                 l_vec: np.ndarray, alpha: float, xi: np.ndarray) -> None:
        if l_vec.size > 1:  # moments that involve post-treatment periods only (as HonestDiD)
            A = A[np.abs(A[:, n_pre:]).sum(axis=1) > 0]
        Apost = A[:, n_pre:]
        self.A = A
        self.a = A @ betahat
        self.b = Apost @ l_vec / float(l_vec @ l_vec)
        SY = A @ sigma @ A.T
        self.SY = SY
        sd = np.sqrt(np.maximum(np.diag(SY), 0.0))
        if (sd <= 0).any():
            raise ValueError("relative_magnitude: a moment has zero variance; check the "
                             "covariance matrix.")
        # nuisance directions: post-effect changes that keep l' tau fixed
        N = _null_basis(l_vec)
        X = Apost @ N
        E = np.vstack([X.T, sd[None, :]])
        self.V = _dual_vertices(E)
        self.alpha = alpha
        self.kappa = alpha / 10.0
        if self.V.shape[0]:
            lam, U = np.linalg.eigh(SY)
            root = U * np.sqrt(np.maximum(lam, 0.0))  # SY = root root'
            sims = (xi[:, :SY.shape[0]] @ root.T) @ self.V.T
            self.c_lf = float(np.quantile(sims.max(axis=1), 1 - self.kappa))
            self.Va, self.Vb = self.V @ self.a, self.V @ self.b
            self.VS = self.V @ SY  # rows: (Sigma_Y gamma)' for each vertex
            self.var = np.einsum("ij,ij->i", self.VS, self.V)

    def set_beta(self, betahat: np.ndarray) -> None:
        """Re-use the piece (vertices, critical value: functions of the covariance only)
        for other estimates with the same covariance."""
        self.a = self.A @ betahat
        if self.V.shape[0]:
            self.Va = self.V @ self.a

    def accepts(self, theta: np.ndarray) -> np.ndarray:
        theta = np.atleast_1d(np.asarray(theta, float))
        if self.V.shape[0] == 0:  # dual infeasible: the primal is unbounded below
            return np.ones(theta.size, bool)
        vals = self.Va[:, None] - self.Vb[:, None] * theta[None, :]  # (nv, ntheta)
        j = np.argmax(vals, axis=0)
        eta = vals[j, np.arange(theta.size)]
        out = eta <= self.c_lf
        cand = np.flatnonzero(out)
        if cand.size == 0:
            return out
        jj = j[cand]
        s2 = self.var[jj]
        cvec = self.VS[jj] / s2[:, None]  # (nc, k)
        Y = self.a[None, :] - self.b[None, :] * theta[cand, None]
        S = Y - cvec * eta[cand, None]
        num = S @ self.V.T  # (nc, nv)
        den = 1.0 - cvec @ self.V.T
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = num / den
        lo = np.where(den > 1e-10, ratio, -np.inf).max(axis=1)
        up = np.where(den < -1e-10, ratio, np.inf).min(axis=1)
        up = np.minimum(up, self.c_lf)
        sd = np.sqrt(s2)
        a_c = (self.alpha - self.kappa) / (1 - self.kappa)
        # p-value of the truncated normal N(0, sd^2) on [lo, up] at eta
        zl, zu, ze = lo / sd, up / sd, eta[cand] / sd
        ze = np.clip(ze, zl, zu)
        num_p = special.log_ndtr(-ze)
        den_p = special.log_ndtr(-zl)
        tail_u = special.log_ndtr(-zu)
        with np.errstate(divide="ignore", invalid="ignore"):
            pv = (np.exp(num_p) - np.exp(tail_u)) / (np.exp(den_p) - np.exp(tail_u))
        pv = np.where(np.isfinite(pv), pv, 1.0)
        out[cand] = pv > a_c
        return out


def _null_basis(l_vec: np.ndarray) -> np.ndarray:
    q, _ = np.linalg.qr(np.c_[l_vec, np.eye(l_vec.size)])
    return q[:, 1:l_vec.size]


def rm_confidence_set(betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int,
                      l_vec: np.ndarray, mbar: float, ci_level: float = 0.95,
                      n_sim: int = 10_000, rng: RNGLike = 0,
                      _pieces: list[_Piece] | None = None) -> tuple[float, float]:
    """Hybrid (C-LF) confidence set for ``l' tau_post`` under ``Delta^RM(mbar)``.

    Returns the smallest and largest accepted ``theta`` (the set is reported as an
    interval, as HonestDiD does); ``(nan, nan)`` when no value is accepted.
    """
    if n_pre < 1:
        raise ValueError("relative_magnitude needs at least one pre-treatment coefficient "
                         "besides the reference period.")
    l_vec = np.asarray(l_vec, float)
    alpha = 1 - ci_level
    if _pieces is None:
        xi = as_generator(rng).standard_normal((n_sim, 2 * (n_pre + n_post)))
        _pieces = [
            _Piece(A, betahat, sigma, n_pre, l_vec, alpha, xi[:, :A.shape[0]])
            for A in _rm_pieces(n_pre, n_post, mbar)
        ]

    def acc(theta: np.ndarray) -> np.ndarray:
        out = np.zeros(np.size(theta), bool)
        for p in _pieces:
            out |= p.accepts(theta)
            if out.all():
                break
        return out

    est = float(l_vec @ betahat[n_pre:])
    sd = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
    pre = np.r_[betahat[:n_pre], 0.0]
    width = 20 * sd + (mbar + 1) * np.abs(np.diff(pre)).max() * n_post * np.abs(l_vec).sum()
    for _ in range(30):
        grid = np.linspace(est - width, est + width, 1001)
        ok = acc(grid)
        if not ok.any():
            return float("nan"), float("nan")
        if not (ok[0] or ok[-1]):
            break
        width *= 2
    else:
        return -np.inf, np.inf
    i_lo, i_hi = np.flatnonzero(ok)[[0, -1]]

    def refine(a: float, b: float) -> float:  # a rejected, b accepted
        for _ in range(60):
            mid = (a + b) / 2
            if acc(np.array([mid]))[0]:
                b = mid
            else:
                a = mid
            if abs(b - a) < 1e-7 * max(sd, 1e-12):
                break
        return b

    return refine(grid[i_lo - 1], grid[i_lo]), refine(grid[i_hi + 1], grid[i_hi])


# ---------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------


def sensitivity(betahat: Sequence[float], sigma: np.ndarray, n_pre: int, n_post: int, *,
                kind: str = "relative_magnitude", m: Sequence[float] | None = None,
                l_vec: Sequence[float] | None = None, ci_level: float = 0.95,
                target: str | None = None, breakdown: bool = True, rng: RNGLike = 0
                ) -> SensitivityResult:
    """Rambachan & Roth (2023) sensitivity analysis from event-study coefficients.

    Parameters
    ----------
    betahat : array
        ``n_pre`` pre-treatment then ``n_post`` post-treatment coefficients, consecutive
        event times, the reference period (normalised to zero) left out.
    sigma : array
        Their covariance matrix.
    n_pre, n_post : int
        Numbers of pre- and post-treatment coefficients.
    kind : {"relative_magnitude", "smoothness"}
        The restriction on the parallel-trend violation (see the module docstring).
    m : sequence of float, optional
        Values of ``Mbar`` (default 0.5, 1, 1.5, 2) or ``M`` (default: 0 to twice the
        largest absolute pre-treatment second difference, six values).
    l_vec : sequence of float, optional
        Weights of the post-treatment effects in ``theta`` (default: their average).
    ci_level : float
        Confidence level.
    target : str, optional
        Label of ``theta`` in the result.
    breakdown : bool
        Search the breakdown value by bisection (otherwise: the largest ``m`` of the grid
        whose set excludes zero, a lower bound).
    rng : int, Generator or None
        Random source of the least-favourable critical value (relative magnitudes).

    Returns
    -------
    SensitivityResult

    Examples
    --------
    >>> import numpy as np
    >>> from coachstats.did.honest import sensitivity
    >>> b = np.array([0.01, -0.005, 0.0, 0.20, 0.25])
    >>> s = sensitivity(b, np.eye(5) * 0.01**2, 3, 2, kind="smoothness", m=[0, 0.01],
    ...                 breakdown=False)
    >>> s.to_frame()["term"].tolist()
    ['original', 'robust[M=0]', 'robust[M=0.01]']
    """
    kind = check_choice(kind, "kind", _KINDS)
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if b.size != n_pre + n_post or S.shape != (b.size, b.size):
        raise ValueError(f"betahat has {b.size} entries and sigma shape {S.shape}; both must "
                         f"match n_pre + n_post = {n_pre + n_post}.")
    if not (np.isfinite(b).all() and np.isfinite(S).all()):
        raise ValueError("betahat and sigma must be finite.")
    if n_post < 1:
        raise ValueError("sensitivity needs at least one post-treatment coefficient.")
    ci_level = check_ci_level(ci_level)
    lv = np.full(n_post, 1.0 / n_post) if l_vec is None else np.asarray(l_vec, float)
    if lv.shape != (n_post,) or not np.any(lv):
        raise ValueError(f"l_vec must have {n_post} entries, not all zero.")
    pre = np.r_[b[:n_pre], 0.0]
    max_change = float(np.abs(np.diff(pre)).max()) if n_pre else float("nan")
    if m is None:
        if kind == "relative_magnitude":
            m = [0.5, 1.0, 1.5, 2.0]
        else:
            sd2 = np.abs(np.diff(pre, 2)).max() if n_pre >= 2 else \
                float(np.sqrt(S[0, 0]))
            m = list(np.linspace(0.0, 2 * max(sd2, 1e-12), 6))
    ms = np.asarray(m, dtype=float).ravel()
    if ms.size == 0 or not np.isfinite(ms).all() or (ms < 0).any():
        raise ValueError(f"m must be non-negative finite numbers, got {list(m)!r}.")
    rng_ = as_generator(rng)
    xi = rng_.standard_normal((10_000, 2 * (n_pre + n_post)))

    def robust(mv: float) -> tuple[float, float]:
        if kind == "smoothness":
            return flci_smoothness(b, S, n_pre, n_post, lv, mv, ci_level)
        pieces = [_Piece(A, b, S, n_pre, lv, 1 - ci_level, xi[:, :A.shape[0]])
                  for A in _rm_pieces(n_pre, n_post, mv)]
        return rm_confidence_set(b, S, n_pre, n_post, lv, mv, ci_level, _pieces=pieces)

    rows = []
    for mv in ms:
        lo, hi = robust(float(mv))
        rows.append({"m": float(mv), "ci_low": lo, "ci_high": hi,
                     "excludes_zero": bool(lo > 0 or hi < 0)})
    table = pd.DataFrame(rows)
    est = float(lv @ b[n_pre:])
    se = float(np.sqrt(lv @ S[n_pre:, n_pre:] @ lv))
    z = stats.norm.ppf(0.5 + ci_level / 2)

    def excl(mv: float) -> bool:
        lo, hi = robust(mv)
        return bool(lo > 0 or hi < 0)

    bd = _breakdown(excl, table) if breakdown else _grid_breakdown(table)
    if target is None:
        target = ("theta = " + " + ".join(f"{w:g}*tau_{i + 1}" for i, w in enumerate(lv)
                                          if w != 0))
    return SensitivityResult(
        kind=kind, target=target, estimate=est, std_error=se, ci_low=est - z * se,
        ci_high=est + z * se, ci_level=ci_level, table=table, breakdown=bd,
        l_vec=tuple(float(x) for x in lv), n_pre=int(n_pre), n_post=int(n_post),
        max_pre_change=max_change,
    )


def _grid_breakdown(table: pd.DataFrame) -> float:
    t = table.sort_values("m")
    ex = t["excludes_zero"].to_numpy()
    if ex.all():
        return float("inf")
    if not ex[0]:
        return 0.0
    return float(t["m"].to_numpy()[np.argmin(ex) - 1])


def _breakdown(excl: Any, table: pd.DataFrame) -> float:
    """Largest M at which the robust set excludes zero (bisection; the sets are nested)."""
    t = table.sort_values("m")
    ms, ex = t["m"].to_numpy(), t["excludes_zero"].to_numpy()
    if not ex.any():
        if ms[0] > 0 and excl(0.0):
            lo, hi = 0.0, float(ms[0])
        else:
            return 0.0
    elif ex.all():
        lo, hi = float(ms[-1]), 2 * float(ms[-1]) if ms[-1] > 0 else 1.0
        for _ in range(12):
            if not excl(hi):
                break
            lo, hi = hi, 2 * hi
        else:
            return float("inf")
    else:
        k = int(np.flatnonzero(~ex)[0])
        lo, hi = float(ms[k - 1]) if k else 0.0, float(ms[k])
        if k == 0 and not excl(0.0):
            return 0.0
    for _ in range(30):
        if hi - lo <= 1e-4 * max(hi, 1e-12):
            break
        mid = (lo + hi) / 2
        if excl(mid):
            lo = mid
        else:
            hi = mid
    return lo


def sensitivity_from_event_times(event_time: np.ndarray, estimate: np.ndarray,
                                 vcov: np.ndarray, reference: int, *,
                                 kind: str = "relative_magnitude", m: Any = None,
                                 period: int | None = None, ci_level: float = 0.95,
                                 breakdown: bool = True, rng: RNGLike = 0
                                 ) -> SensitivityResult:
    """:func:`sensitivity` for coefficients labelled by event time (reference left out).

    Pre-treatment coefficients are event times before ``reference``, post-treatment ones
    after it; they must be consecutive. ``period=None`` targets the average of the
    post-treatment effects, ``period=e`` the effect at event time ``e``.
    """
    e = np.asarray(event_time, dtype=np.int64)
    order = np.argsort(e)
    e, b = e[order], np.asarray(estimate, float)[order]
    V = np.asarray(vcov, float)[np.ix_(order, order)]
    full = np.arange(e.min(), e.max() + 1)
    if not np.array_equal(np.setdiff1d(full, [reference]), e) or reference not in full:
        raise ValueError(f"sensitivity needs consecutive event times around the reference "
                         f"{reference}; got {e.tolist()}. Widen or narrow the window.")
    pre, post = e < reference, e > reference
    n_pre, n_post = int(pre.sum()), int(post.sum())
    if n_pre < 1 or n_post < 1:
        raise ValueError("sensitivity needs at least one pre-treatment coefficient besides "
                         "the reference and one post-treatment coefficient.")
    if period is None:
        lv, target = None, (f"average effect over event times {int(e[post][0])}.."
                            f"{int(e[post][-1])}")
    else:
        if int(period) not in e[post].tolist():
            raise ValueError(f"period={period!r} is not a post-treatment event time "
                             f"({e[post].tolist()}).")
        lv = (e[post] == int(period)).astype(float)
        target = f"effect at event time {int(period)}"
    return sensitivity(b, V, n_pre, n_post, kind=kind, m=m, l_vec=lv, ci_level=ci_level,
                       target=target, breakdown=breakdown, rng=rng)
