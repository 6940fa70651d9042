"""Forest plot of a meta-analysis: each study's correlation with its CI, the pooled estimate
with its confidence interval (diamond) and prediction interval (whisker)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..results import new_axes


def forest_plot(res: Any, ax: Any = None, *, scale: str = "r", max_studies: int = 60) -> Any:
    """Draw a forest plot of a :class:`coachstats.meta.MetaResult` and return the Axes.

    Parameters
    ----------
    res : MetaResult
    ax : matplotlib Axes, optional
    scale : {"r", "analysis"}
        Show correlations (back-transformed from Fisher z) or the analysis scale.
    max_studies : int
        Above this many studies, individual rows are omitted (the summary stays).
    """
    sd = res.data
    k = len(sd.yi)
    show = k <= max_studies
    height = 0.22 * (k if show else 0) + 1.6
    ax = new_axes(ax, figsize=(6.5, min(max(height, 2.5), 16)))
    back = np.tanh if (scale == "r" and sd.measure == "z") else (lambda x: np.asarray(x))
    z = stats.norm.isf((1 - res.ci_level) / 2)
    half = z * np.sqrt(sd.vi)
    labels = []
    if show:
        y = np.arange(k, 0, -1) + 1.0
        w = 1.0 / (sd.vi + res.tau2)
        size = 10 + 60 * w / w.max()
        ax.hlines(y, back(sd.yi - half), back(sd.yi + half), color="0.3", lw=0.8)
        ax.scatter(back(sd.yi), y, s=size, marker="s", color="0.3", zorder=3)
        labels = list(sd.labels)
        ticks = list(y)
    else:
        ticks = []
    if not res.has_moderators:
        est, lo, hi = back(res.estimate), back(res.ci_low), back(res.ci_high)
        ax.fill([lo, est, hi, est], [0.5, 0.8, 0.5, 0.2], color="C0", zorder=3)
        if np.isfinite(res.pi_low):
            ax.hlines(0.5, back(res.pi_low), back(res.pi_high), color="C0", lw=1.2)
        ax.axvline(est, color="C0", ls=":", lw=0.8)
        ticks.append(0.5)
        labels.append(f"RE model ({res.method})")
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_yticks(ticks, labels, fontsize=7 if show and k > 25 else 9)
    ax.set_xlabel("correlation" if scale == "r" else "effect (analysis scale)")
    ax.set_title(f"k = {res.k}, I² = {res.i2:.0f}%", fontsize=9)
    return ax
