"""Leave-one-out refits and case-deletion influence diagnostics (Viechtbauer & Cheung 2010).

All k leave-one-out models are fitted in one vectorised call (a batch of k masks over the
same studies), so this costs about as much as a handful of single fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..results import Result, new_axes, tidy_frame
from . import _core
from .correlations import MetaResult

__all__ = ["InfluenceResult", "LeaveOneOutResult", "influence", "leave_one_out"]


def _loo_fit(res: MetaResult) -> _core.Fit:
    if not isinstance(res, MetaResult):
        raise TypeError(
            f"expected the result of cs.meta.correlations, got {type(res).__name__}."
        )
    sd = res.data
    k, p = sd.X.shape
    if k - 1 - p < 1 and res.test == "knha":
        raise ValueError(f"leave-one-out with test='knha' needs at least {p + 2} studies.")
    if k < 3:
        raise ValueError(f"leave-one-out needs at least 3 studies, got {k}.")
    mask = 1.0 - np.eye(k)
    return _core.fit(sd.yi, sd.vi, sd.X, mask, method=res.method, test=res.test)


@dataclass(frozen=True)
class LeaveOneOutResult(Result):
    """The model refitted without each study in turn (metafor ``leave1out``).

    Parameters
    ----------
    table : DataFrame
        One row per omitted study (the ``to_frame()`` table).
    measure : str
        Effect-size measure.

    Examples
    --------
    >>> import coachstats as cs
    >>> res = cs.meta.correlations(cs.simulate.meta_correlations(k=12, rng=1).data)
    >>> cs.meta.leave_one_out(res).measure
    'z'
    """

    table: pd.DataFrame
    measure: str

    @property
    def title(self) -> str:
        return "Leave-one-out sensitivity analysis"

    @property
    def notes(self) -> list[str]:
        t = self.table
        lo, hi = t["estimate"].min(), t["estimate"].max()
        return [f"Pooled estimate ranges from {lo:.3f} to {hi:.3f} when one study is omitted."]

    def to_frame(self, scale: str = "analysis") -> pd.DataFrame:
        out = self.table.copy()
        if scale == "r" and self.measure == "z":
            for c in ("estimate", "ci_low", "ci_high"):
                out[c] = np.tanh(out[c])
            out["std_error"] = np.nan
        return out

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result and return the Axes.

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
        ax = new_axes(ax, figsize=(6, max(3, 0.18 * len(self.table))))
        t = self.table
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["estimate"], y, xerr=[t["estimate"] - t["ci_low"],
                    t["ci_high"] - t["estimate"]], fmt="o", ms=3, color="C0")  # fmt: skip
        ax.set_yticks(y, t["term"])
        ax.set_xlabel("pooled estimate without the study")
        return ax


def leave_one_out(res: MetaResult) -> LeaveOneOutResult:
    """Refit ``res`` k times, each time without one study.

    Parameters
    ----------
    res : MetaResult
        A fitted intercept-only model.

    Returns
    -------
    LeaveOneOutResult
        One row per omitted study: the pooled estimate, interval, tau^2, I^2 and Q without it.

    Examples
    --------
    >>> import coachstats as cs
    >>> res = cs.meta.correlations(cs.simulate.meta_correlations(k=12, rng=1).data)
    >>> cs.meta.leave_one_out(res).to_frame().shape[0]
    12
    """
    if isinstance(res, MetaResult) and res.has_moderators:
        raise ValueError(
            "leave_one_out applies to models without moderators (as metafor's leave1out); "
            "use influence() for a meta-regression."
        )
    f = _loo_fit(res)
    se = np.sqrt(f.vb[:, 0, 0])
    b = f.beta[:, 0]
    crit = _core.crit_value(res.test, res.ci_level, f.ddf)
    stat = b / se
    if res.test == "knha":
        pv = 2 * stats.t.sf(np.abs(stat), f.ddf)
    else:
        pv = 2 * stats.norm.sf(np.abs(stat))
    table = tidy_frame(
        pd.DataFrame(
            {
                "term": list(res.data.labels), "estimate": b, "std_error": se,
                "ci_low": b - crit * se, "ci_high": b + crit * se, "ci_level": res.ci_level,
                "statistic": stat, "p_value": pv, "q": f.qe, "q_p_value": f.qe_p,
                "tau2": f.tau2, "i2": f.i2, "h2": f.h2,
            }
        ).to_dict("records")
    )  # fmt: skip
    return LeaveOneOutResult(table=table, measure=res.measure)


@dataclass(frozen=True)
class InfluenceResult(Result):
    """Case-deletion diagnostics (metafor ``influence.rma.uni``) with the reason for each flag.

    Columns: ``rstudent, dffits, cook_d, cov_r, tau2_del, q_del, hat, weight`` (percent),
    ``dfbetas_<term>``, ``influential`` and ``reason``.

    Parameters
    ----------
    table : DataFrame
        One row per study with the diagnostics (the ``to_frame()`` table).

    Examples
    --------
    >>> import coachstats as cs
    >>> res = cs.meta.correlations(cs.simulate.meta_correlations(k=12, rng=1).data)
    >>> len(cs.meta.influence(res).table)
    12
    """

    table: pd.DataFrame

    @property
    def title(self) -> str:
        return "Influence diagnostics"

    @property
    def notes(self) -> list[str]:
        n = int(self.table["influential"].sum())
        out = [
            f"{n} influential stud{'y' if n == 1 else 'ies'} by Viechtbauer & Cheung (2010): "
            "|DFFITS| > 3 sqrt(p/(k-p)), Cook's D above the chi^2_p median, hat > 3p/k, or "
            "|DFBETAS| > 1.",
        ]
        big = self.table[self.table["weight"] > 50]
        if len(big):
            out.append(
                f"{', '.join(big['term'])} carr{'ies' if len(big) == 1 else 'y'} more than half "
                "of the total weight: the pooled estimate is mostly this study."
            )
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per study (``term``); influence measures, no estimate of its own."""
        return tidy_frame(self.table.to_dict("records"))

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result and return the Axes.

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
        t = self.table
        x = np.arange(len(t))
        ax.plot(x, t["cook_d"], "o-", ms=3, color="C0")
        infl = t["influential"].to_numpy()
        ax.plot(x[infl], t["cook_d"][infl], "o", color="C3", label="influential")
        ax.set_xlabel("study")
        ax.set_ylabel("Cook's distance")
        if infl.any():
            ax.legend()
        return ax


def influence(res: MetaResult) -> InfluenceResult:
    """Externally studentised residuals, DFFITS, Cook's distances, covariance ratios,
    leave-one-out tau^2 and Q, hat values, weights and DFBETAS, as metafor computes them.

    Parameters
    ----------
    res : MetaResult
        A fitted model from :func:`correlations`, :func:`effects`, :func:`smd` or :func:`ppc`.

    Returns
    -------
    InfluenceResult
        One row per study with the diagnostics above.

    Examples
    --------
    >>> import coachstats as cs
    >>> res = cs.meta.correlations(cs.simulate.meta_correlations(k=12, rng=1).data)
    >>> "cook_d" in cs.meta.influence(res).to_frame()
    True
    """
    f = _loo_fit(res)
    sd = res.data
    X, y, v = sd.X, sd.yi, sd.vi
    k, p = X.shape
    beta = res.coefficients["estimate"].to_numpy()
    vb = res.vcov
    w = 1.0 / (v + res.tau2)
    A = np.linalg.inv((X * w[:, None]).T @ X)
    hat = w * np.einsum("ip,pq,iq->i", X, A, X)
    weight = 100 * w / w.sum()
    pred_full = X @ beta
    delpred = np.einsum("ip,ip->i", X, f.beta)
    vdelpred = np.einsum("ip,ipq,iq->i", X, f.vb, X)
    s2w = f.s2w
    t2d = f.tau2
    dffits = (pred_full - delpred) / np.sqrt(s2w * hat * (t2d + v))
    # covariance of the full-data fit at the deleted tau^2 (metafor's DFBETAS scaling)
    wd = 1.0 / (v[None, :] + t2d[:, None])
    vb_del = np.linalg.inv(np.einsum("bk,kp,kq->bpq", wd, X, X))
    dfb = beta[None, :] - f.beta
    dfbetas = dfb / np.sqrt(s2w[:, None] * np.diagonal(vb_del, axis1=1, axis2=2))
    cook = np.einsum("bp,pq,bq->b", dfb, np.linalg.inv(vb), dfb)
    cov_r = np.linalg.det(f.vb) / np.linalg.det(vb)
    resid = y - delpred
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
    rstudent = resid / np.sqrt(v * s2w + vdelpred + t2d * s2w)
    c_dffits = np.abs(dffits) > 3 * np.sqrt(p / (k - p))
    c_cook = stats.chi2.cdf(cook, p) > 0.5
    c_hat = hat > 3 * p / k
    c_dfb = (np.abs(dfbetas) > 1).any(axis=1)
    reasons = [
        ", ".join(name for name, hit in zip(("dffits", "cook_d", "hat", "dfbetas"), flags,
                                            strict=True) if hit)
        for flags in zip(c_dffits, c_cook, c_hat, c_dfb, strict=True)
    ]  # fmt: skip
    cols: dict[str, Any] = {
        "term": list(sd.labels), "rstudent": rstudent, "dffits": dffits, "cook_d": cook,
        "cov_r": cov_r, "tau2_del": t2d, "q_del": f.qe, "hat": hat, "weight": weight,
    }  # fmt: skip
    for j, t in enumerate(sd.terms):
        cols[f"dfbetas_{t}"] = dfbetas[:, j]
    cols["influential"] = c_dffits | c_cook | c_hat | c_dfb
    cols["reason"] = reasons
    table = pd.DataFrame(cols)
    return InfluenceResult(table=table)
