"""Fine-Gray proportional subdistribution hazards regression (R ``cmprsk::crr``)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import MissingReport, check_choice, check_ci_level, prepare
from ..results import Caution, Result, missing_reasons, new_axes, tidy_frame
from ._common import check_durations
from ._cox import _design
from ._guard import immortal_time_check


@dataclass(frozen=True, eq=False)
class FineGrayResult(Result):
    """Fitted Fine-Gray model: log subdistribution hazard ratios with the Fine-Gray SEs.

    ``to_frame()``: one row per term, ``estimate`` the log subdistribution hazard ratio,
    its SE (the sandwich of Fine & Gray 1999, as ``crr`` reports) and interval, plus
    ``shr, shr_ci_low, shr_ci_high, z, p_value``.

    Parameters
    ----------
    terms : tuple of str
        Model terms.
    coef : ndarray
        Log subdistribution hazard ratios.
    cov : ndarray
        Their Fine-Gray sandwich covariance.
    ci_level : float
        Confidence level.
    event_of_interest : object
        The event modelled.
    n : int
        People analysed.
    n_events, n_competing, n_censored : int
        People with the event of interest, with a competing event, and censored.
    loglik, loglik_null : float
        Weighted partial log-likelihood of the fit and of the null model.
    iterations : int
        Newton-Raphson iterations.
    converged : bool
        Whether the fit converged.
    missing : MissingReport
        Rows dropped for missing values, by column.
    design_cautions : tuple of Caution
        Cautions about the design.

    Examples
    --------
    >>> import coachstats as cs
    >>> d = cs.simulate.retention(rng=4).data
    >>> fg = cs.survival.fine_gray(d, "months", "event", ["coached"],
    ...                            event_of_interest="promotion", censor="censored")
    >>> fg.event_of_interest
    'promotion'
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    ci_level: float
    event_of_interest: Hashable
    n: int
    n_events: int
    n_competing: int
    n_censored: int
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    missing: MissingReport = field(repr=False, compare=False)
    design_cautions: tuple[Caution, ...] = field(default=(), repr=False, compare=False)

    @property
    def title(self) -> str:
        return f"Fine-Gray subdistribution hazards for {self.event_of_interest!r}"

    @property
    def std_error(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = list(self.design_cautions)
        if not self.converged:
            out.append(Caution("not_converged", "The Fine-Gray fit did not converge.", None))
        return tuple(out)

    @property
    def n_dropped(self) -> int:
        """Rows left out for missing values (``dropna=True``)."""
        return self.missing.n_dropped

    @property
    def dropped(self) -> dict[str, int]:
        return missing_reasons(self.missing.n_dropped, self.missing.by_column)

    @property
    def notes(self) -> list[str]:
        out = [
            f"{self.n:,} subjects: {self.n_events:,} {self.event_of_interest!r} events, "
            f"{self.n_competing:,} competing events, {self.n_censored:,} censored; Breslow "
            f"ties; Fine-Gray sandwich SEs; Wald {self.ci_level:.0%} intervals.",
            "A subdistribution hazard ratio describes how the cumulative incidence (how many "
            "by time t) differs, counting competing events; a cause-specific hazard ratio "
            "describes the rate among those still event-free.",
        ]
        if self.missing.n_dropped:
            out.append(f"{self.missing.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "Proportional subdistribution hazards: each ratio is constant over follow-up.",
            "Censoring is independent of the events and of the covariates (one censoring "
            "distribution, estimated by Kaplan-Meier).",
        ]

    def to_frame(self, scale: str = "log") -> pd.DataFrame:
        """One row per term; ``scale="hr"`` puts the ratio itself in ``estimate``/``ci_*``."""
        scale = check_choice(scale, "scale", ("log", "hr"))
        z = stats.norm.ppf(0.5 + self.ci_level / 2)
        rows = []
        for j, term in enumerate(self.terms):
            b, s = float(self.coef[j]), float(self.std_error[j])
            est = (b, b - z * s, b + z * s)
            if scale == "hr":
                est = tuple(np.exp(est))
            rows.append({"term": term, "estimate": est[0], "std_error": s, "ci_low": est[1],
                         "ci_high": est[2], "ci_level": self.ci_level,
                         "scale": ("log subdistribution hazard ratio" if scale == "log"
                                   else "subdistribution hazard ratio"), "shr": np.exp(b),
                         "shr_ci_low": np.exp(b - z * s), "shr_ci_high": np.exp(b + z * s),
                         "z": b / s, "p_value": float(2 * stats.norm.sf(abs(b / s)))})
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of subdistribution hazard ratios (log axis); returns the Axes.

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
        ax = new_axes(ax)
        f = self.to_frame()
        y = np.arange(len(f))[::-1]
        ax.errorbar(f["shr"], y, xerr=[f["shr"] - f["shr_ci_low"], f["shr_ci_high"] - f["shr"]],
                    fmt="o", color="C0", capsize=3)
        ax.axvline(1, color="0.5", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_yticks(y, f["term"])
        ax.set_xlabel(f"subdistribution hazard ratio ({self.ci_level:.0%} CI)")
        return ax


class _FG:
    """Sorted data and the censoring weights of the Fine-Gray risk sets."""

    def __init__(self, t: np.ndarray, code: np.ndarray, x: np.ndarray) -> None:
        o = np.argsort(t, kind="stable")
        self.t, self.code, self.x = t[o], code[o], x[o]
        ut, inv = np.unique(self.t, return_inverse=True)
        n_at = np.bincount(inv, minlength=len(ut)).astype(float)
        at_risk = n_at[::-1].cumsum()[::-1]  # pi(u): number with T >= u
        cens = np.bincount(inv, weights=(self.code == 0).astype(float), minlength=len(ut))
        g = np.cumprod(1.0 - cens / at_risk)  # censoring KM (failures at u stay at risk)
        g_minus = np.concatenate([[1.0], g[:-1]])
        self.gm = g_minus[inv]  # G(T_i-)
        ft, d = np.unique(self.t[self.code == 1], return_counts=True)
        self.ft, self.d = ft, d.astype(float)
        self.g_ft = g_minus[np.searchsorted(ut, ft)]
        self.ut, self.inv, self.cens, self.at_risk = ut, inv, cens, at_risk
        # W[t, k]: 1 while T_k >= t; G(t-)/G(T_k-) after a competing event; else 0
        later = self.t[None, :] >= ft[:, None]
        comp = (self.code > 1)[None, :] & ~later
        with np.errstate(divide="ignore", invalid="ignore"):
            self.w = np.where(later, 1.0, np.where(comp, self.g_ft[:, None] / self.gm[None, :],
                                                   0.0))

    def sums(self, beta: np.ndarray) -> tuple[np.ndarray, ...]:
        e = np.exp(self.x @ beta)
        we = self.w * e[None, :]
        s0 = we.sum(axis=1)
        s1 = we @ self.x
        xbar = s1 / s0[:, None]
        return e, we, s0, xbar

    def loglik(self, beta: np.ndarray) -> float:
        _, _, s0, _ = self.sums(beta)
        return float((self.x[self.code == 1] @ beta).sum() - (self.d * np.log(s0)).sum())

    def score_info(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, we, s0, xbar = self.sums(beta)
        score = self.x[self.code == 1].sum(axis=0) - (self.d[:, None] * xbar).sum(axis=0)
        s2 = np.einsum("tk,ki,kj->tij", we, self.x, self.x)
        var = s2 / s0[:, None, None] - xbar[:, :, None] * xbar[:, None, :]
        return score, (self.d[:, None, None] * var).sum(axis=0)

    def sandwich(self, beta: np.ndarray, info: np.ndarray) -> np.ndarray:
        """Fine & Gray (1999) variance: Omega^-1 sum (eta_i + psi_i)^2 Omega^-1."""
        e, we, s0, xbar = self.sums(beta)
        n, p = self.x.shape
        # eta_i: own failure minus the compensator over the (weighted) risk set
        idx_ft = np.searchsorted(self.ft, self.t)
        eta = np.zeros((n, p))
        f1 = self.code == 1
        eta[f1] = self.x[f1] - xbar[idx_ft[f1]]
        h = (self.d / s0)[:, None] * we  # (t, k): d_t w_k(t) e_k / S0(t)
        eta -= h.T.sum(axis=1)[:, None] * self.x - h.T @ xbar
        # q(u) at each distinct time: sum over failure times t >= u of d_t G(t-)/S0(t) times
        # sum over competing events before u of e/G(T-) (x - xbar(t))
        a = self.d * self.g_ft / s0
        c2 = self.code > 1
        b0_i = np.where(c2, e / self.gm, 0.0)
        b1_i = b0_i[:, None] * self.x
        nu = len(self.ut)
        b0 = np.concatenate([[0.0], np.bincount(self.inv, weights=b0_i, minlength=nu)])
        b1 = np.zeros((nu + 1, p))
        np.add.at(b1, self.inv + 1, b1_i)
        b0, b1 = np.cumsum(b0)[:-1], np.cumsum(b1, axis=0)[:-1]  # over T < u
        first_t = np.searchsorted(self.ft, self.ut, side="left")  # failure times >= u
        ra = np.concatenate([np.cumsum(a[::-1])[::-1], [0.0]])
        rax = np.vstack([np.cumsum((a[:, None] * xbar)[::-1], axis=0)[::-1], np.zeros(p)])
        q = b1 * ra[first_t][:, None] - b0[:, None] * rax[first_t]
        # psi_i = sum over censoring times u <= T_i of -c_u q(u)/pi(u)^2, + q(T_i)/pi(T_i)
        # when i is censored
        dpsi = -(self.cens / self.at_risk**2)[:, None] * q
        psi = np.cumsum(dpsi, axis=0)[self.inv]
        cz = self.code == 0
        psi[cz] += q[self.inv[cz]] / self.at_risk[self.inv[cz]][:, None]
        u = eta + psi
        inv = np.linalg.inv(info)
        return inv @ (u.T @ u) @ inv


def fine_gray(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    event_of_interest: Hashable,
    censor: Hashable = 0,
    ci_level: float = 0.95,
    immortal_time: str = "refuse",
    dropna: bool = False,
    max_iter: int = 50,
) -> FineGrayResult:
    """Fine-Gray proportional subdistribution hazards model for competing risks.

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    duration : str
        Time to the first event or censoring (non-negative).
    event : str
        Which event ended follow-up (e.g. "exit", "promotion") or ``censor``.
    covariates : list of str
        Numeric/boolean columns (text columns are dummy-coded, first sorted level as the
        reference).
    event_of_interest : hashable
        The event whose cumulative incidence is modelled; every other non-censor code is a
        competing event.
    censor : default 0
        The code for censored follow-up.
    ci_level : float
        Level of the Wald intervals.
    immortal_time : {"refuse", "allow"}
        A covariate marked as starting after the time origin is refused unless "allow".
    dropna : bool
        Drop rows with missing values (counted) instead of raising.
    max_iter : int
        Newton-Raphson iterations.

    Returns
    -------
    FineGrayResult

    Notes
    -----
    The estimating equations and the variance (including the term for estimating the
    censoring distribution) are those of Fine & Gray (1999, JASA 94:496-509); ties use
    Breslow's method and the censoring distribution is a Kaplan-Meier estimate evaluated
    just before each time, as in R ``cmprsk::crr``, whose coefficients and SEs this matches
    (tests/reference/survival_finegray.R). Memory grows with (event times x subjects).

    Examples
    --------
    >>> import coachstats as cs
    >>> d = cs.simulate.retention(rng=4).data
    >>> fg = fine_gray(d, "months", "event", ["coached"], event_of_interest="promotion",
    ...                censor="censored")
    >>> fg.to_frame()["term"].tolist()
    ['coached']
    """
    lvl = check_ci_level(ci_level)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    if not covariates:
        raise ValueError("covariates: give at least one column.")
    design_cautions = immortal_time_check(data, covariates, policy=immortal_time,
                                          where="survival.fine_gray")
    cols = {"duration": duration, "event": event}
    cols.update({f"covariates[{i}]": c for i, c in enumerate(covariates)})
    frame, missing = prepare(data, cols, numeric=["duration"], dropna=dropna)
    t = check_durations(frame, duration)
    s = frame[event]
    if not (s == event_of_interest).any():
        codes = ", ".join(repr(v) for v in pd.unique(s)[:6])
        raise ValueError(
            f"event_of_interest={event_of_interest!r} does not occur in column {event!r}; "
            f"its codes are {codes}."
        )
    code = np.where(s == event_of_interest, 1, np.where(s == censor, 0, 2))
    if np.all(t[code == 1] == 0):
        raise ValueError(
            f"Column {duration!r} (argument duration=): every {event_of_interest!r} event "
            "happens at time 0, so there is no follow-up to model. Check the time origin and "
            "that the end date is not the same as the start date."
        )
    x, names = _design(frame, covariates)
    fg = _FG(t, code, x)
    beta = np.zeros(x.shape[1])
    ll0 = ll = fg.loglik(beta)
    converged, it = False, 0
    with np.errstate(over="ignore", invalid="ignore"):
        while it < max_iter:
            it += 1
            score, info = fg.score_info(beta)
            step = np.linalg.lstsq(info, score, rcond=None)[0]
            new = beta + step
            ll_new = fg.loglik(new)
            halv = 0
            while (not np.isfinite(ll_new) or ll_new < ll - 1e-12) and halv < 30:
                step = step / 2
                new = beta + step
                ll_new = fg.loglik(new)
                halv += 1
            beta, ll = new, ll_new
            if np.max(np.abs(step)) < 1e-10 * (1 + np.max(np.abs(beta))):
                converged = True
                break
    score, info = fg.score_info(beta)
    with np.errstate(all="ignore"):
        step = np.abs(np.linalg.lstsq(info, score, rcond=None)[0])
    runaway = (step > 1e-6) & (step > np.sqrt(1e-9) * np.abs(beta))
    runaway |= np.abs(beta) * x.std(axis=0) > 15
    if (not converged or not np.all(np.isfinite(beta)) or np.linalg.cond(info) > 1e12
            or runaway.any()):
        raise ValueError(
            f"The Fine-Gray fit did not converge: covariate(s) {names} may separate the "
            f"{event_of_interest!r} events from the rest (an infinite ratio). Drop or merge "
            "the offending category."
        )
    cov = fg.sandwich(beta, info)
    return FineGrayResult(
        terms=tuple(names), coef=beta, cov=cov, ci_level=lvl,
        event_of_interest=event_of_interest, n=len(t), n_events=int((code == 1).sum()),
        n_competing=int((code == 2).sum()), n_censored=int((code == 0).sum()), loglik=ll,
        loglik_null=ll0, iterations=it, converged=converged, missing=missing,
        design_cautions=design_cautions,
    )


__all__ = ["FineGrayResult", "fine_gray"]
