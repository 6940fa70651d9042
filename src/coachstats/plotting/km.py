"""Kaplan-Meier and cumulative-incidence step plots (steps hidden below ``min_at_risk``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..results import new_axes


def _steps(ax: Any, x: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray,
           start: float, color: str, label: str, band: bool) -> None:
    xs = np.concatenate([[0.0], x])
    ys = np.concatenate([[start], y])
    ax.step(xs, ys, where="post", color=color, label=label)
    if band:
        los = np.concatenate([[start], lo])
        his = np.concatenate([[start], hi])
        ax.fill_between(xs, los, his, step="post", color=color, alpha=0.15, lw=0)


def plot_km(result: Any, ax: Any = None, *, band: bool = True, min_at_risk: int | None = None,
            at_risk_times: Any = None) -> Any:
    """Plot a :class:`~coachstats.survival.KaplanMeierResult`; returns the Axes.

    Steps with fewer than ``min_at_risk`` at risk (or the result's own threshold) are not
    drawn. With ``at_risk_times`` the numbers at risk are written under the axis.
    """
    ax = new_axes(ax)
    thr = min_at_risk if min_at_risk is not None else result.min_at_risk
    groups = list(dict.fromkeys(result.steps["group"]))
    for i, g in enumerate(groups):
        s = result.steps[result.steps["group"] == g]
        if thr is not None:
            s = s[s["n_risk"] >= thr]
        label = f"{result.group}={g}" if result.group else "all"
        _steps(ax, s["time"].to_numpy(float), s["survival"].to_numpy(float),
               s["ci_low"].to_numpy(float), s["ci_high"].to_numpy(float), 1.0, f"C{i}", label,
               band)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time")
    ax.set_ylabel(f"survival ({result.ci_level:.0%} {result.ci} band)")
    if result.group:
        ax.legend(frameon=False)
    if at_risk_times is not None:
        tab = result.at_risk(list(at_risk_times))
        lines = []
        for g, row in tab.iterrows():
            vals = "  ".join("–" if np.isnan(v) else f"{int(v)}" for v in row.to_numpy(float))
            lines.append(f"{result.group}={g}: {vals}" if result.group else f"{vals}")
        ax.text(0.0, -0.22, "at risk at " + ", ".join(f"{t:g}" for t in at_risk_times) + "\n"
                + "\n".join(lines), transform=ax.transAxes, va="top", fontsize=8)
    return ax


def plot_cif(result: Any, ax: Any = None, *, band: bool = True, events: Any = None) -> Any:
    """Plot a :class:`~coachstats.survival.CompetingRisksResult`; returns the Axes."""
    ax = new_axes(ax)
    evs = list(events) if events is not None else list(result.events)
    i = 0
    for ev in evs:
        for g in dict.fromkeys(result.steps["group"]):
            s = result.steps[(result.steps["event"] == ev) & (result.steps["group"] == g)]
            label = f"{ev}" + (f", {result.group}={g}" if result.group else "")
            lo = s["ci_low"].fillna(0).to_numpy(float)
            hi = s["ci_high"].fillna(0).to_numpy(float)
            _steps(ax, s["time"].to_numpy(float), s["cif"].to_numpy(float), lo, hi, 0.0,
                   f"C{i}", label, band)
            i += 1
    ax.set_ylim(0, None)
    ax.set_xlabel("time")
    ax.set_ylabel(f"cumulative incidence ({result.ci_level:.0%} {result.ci} band)")
    ax.legend(frameon=False)
    return ax
