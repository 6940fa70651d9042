"""Funnel plot: effect against standard error, with pseudo-confidence limits around the
pooled estimate, optional Egger line and trim-and-fill imputed studies."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..results import new_axes


def funnel_plot(
    res: Any, ax: Any = None, *, egger: Any = None, filled: int = 0, level: float = 0.95
) -> Any:
    """Draw a funnel plot of a :class:`coachstats.meta.MetaResult` and return the Axes.

    Parameters
    ----------
    res : MetaResult
    egger : EggerResult, optional
        Adds the fitted Egger regression line.
    filled : int
        The last ``filled`` studies are trim-and-fill imputations (drawn hollow).
    level : float
        Level of the pseudo-confidence region.
    """
    ax = new_axes(ax)
    sd = res.data
    se = np.sqrt(sd.vi)
    z = stats.norm.isf((1 - level) / 2)
    top = se.max() * 1.05
    s = np.linspace(0, top, 50)
    ax.fill_betweenx(s, res.estimate - z * s, res.estimate + z * s, color="0.92")
    ax.plot(res.estimate - z * s, s, color="0.6", lw=0.8)
    ax.plot(res.estimate + z * s, s, color="0.6", lw=0.8)
    ax.axvline(res.estimate, color="C0", lw=1)
    n_obs = len(se) - filled
    ax.scatter(sd.yi[:n_obs], se[:n_obs], s=14, color="0.2", zorder=3, label="studies")
    if filled:
        ax.scatter(sd.yi[n_obs:], se[n_obs:], s=14, facecolors="none", edgecolors="C3",
                   zorder=3, label="imputed (trim and fill)")  # fmt: skip
    if egger is not None:
        ax.plot(egger.limit_estimate + egger.slope * s, s, color="C1", lw=1, label="Egger line")
    ax.set_ylim(top, 0)
    ax.set_xlabel("Fisher z" if sd.measure == "z" else "r")
    ax.set_ylabel("standard error")
    if filled or egger is not None:
        ax.legend(fontsize=8)
    return ax
