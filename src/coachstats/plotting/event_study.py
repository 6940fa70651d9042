"""Event-study plot: estimates by event time (or cohort / period) with pointwise intervals
and, when available, a uniform (simultaneous) band."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..results import new_axes

_XCOL = {"dynamic": "event_time", "group": "cohort", "calendar": "time"}
_XLABEL = {"dynamic": "periods since treatment start", "group": "cohort (first treated period)",
           "calendar": "period"}


def event_study_plot(
    table: pd.DataFrame, ax: Any = None, *, kind: str = "dynamic",
    reference: int | None = None, truth: dict[Any, float] | None = None,
    ylabel: str = "effect on outcome",
) -> Any:
    """Plot rows of an aggregation or TWFE event-study table and return the Axes.

    Parameters
    ----------
    table : DataFrame
        Rows with ``estimate``, ``ci_low``, ``ci_high`` and the x column (``event_time``,
        ``cohort`` or ``time``); optional ``ci_low_pointwise``/``ci_high_pointwise`` and
        ``band`` (``"uniform"`` draws the band as a shaded region).
    kind : {"dynamic", "group", "calendar"}
    reference : int, optional
        Event time normalised to zero (drawn as an open marker at zero).
    truth : dict, optional
        x value -> true effect (simulations), drawn as crosses.
    """
    ax = new_axes(ax, figsize=(6.5, 4.0))
    xcol = _XCOL[kind]
    t = table.sort_values(xcol)
    x = t[xcol].to_numpy(dtype=float)
    est = t["estimate"].to_numpy(dtype=float)
    uniform = "band" in t and (t["band"] == "uniform").all()
    if uniform:
        ax.fill_between(x, t["ci_low"], t["ci_high"], color="C0", alpha=0.15, step="mid",
                        label=f"{t['ci_level'].iloc[0]:.0%} uniform band")
        lo, hi = t["ci_low_pointwise"], t["ci_high_pointwise"]
        lab = f"{t['ci_level'].iloc[0]:.0%} pointwise CI"
    else:
        lo, hi = t["ci_low"], t["ci_high"]
        lab = f"{t['ci_level'].iloc[0]:.0%} CI" if "ci_level" in t else "CI"
    pre = x < 0 if kind == "dynamic" else np.zeros_like(x, dtype=bool)
    for mask, colour, name in ((pre, "0.45", "before"), (~pre, "C0", "after")):
        if mask.any():
            ax.errorbar(x[mask], est[mask],
                        yerr=[est[mask] - np.asarray(lo)[mask], np.asarray(hi)[mask]
                              - est[mask]],
                        fmt="o", color=colour, capsize=2, lw=1,
                        label=(lab if name == "after" else None))
    if reference is not None:
        ax.plot([reference], [0.0], "o", mfc="white", color="0.45", label="reference")
    if truth:
        tx = np.array(sorted(truth), dtype=float)
        ax.plot(tx, [truth[k] for k in sorted(truth)], "x", color="C3", label="true effect")
    ax.axhline(0.0, color="0.3", lw=0.8)
    if kind == "dynamic":
        ax.axvline(-0.5, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel(_XLABEL[kind])
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize="small")
    return ax
