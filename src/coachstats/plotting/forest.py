"""Forest plot of a meta-analysis: each study's effect with its CI and text columns
(estimate [CI], weight %, n), optional subgroups with subtotals, and the pooled estimate
with its confidence interval (diamond) and prediction interval (whisker, in the legend)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import stats

from .._validate import check_choice
from ..results import new_axes

COLUMNS = ("estimate", "weight", "n")


def _fmt(e: float, lo: float, hi: float) -> str:
    return f"{e:.2f} [{lo:.2f}, {hi:.2f}]"


def forest_plot(
    res: Any,
    ax: Any = None,
    *,
    scale: str | None = None,
    columns: Sequence[str] = COLUMNS,
    subgroup: str | None = None,
    max_studies: int = 60,
) -> Any:
    """Draw a forest plot of a meta-analysis result and return the Axes.

    Parameters
    ----------
    res : MetaResult or MultilevelResult
        An intercept-only model, or one with a single categorical moderator when
        ``subgroup`` is given.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the number of rows otherwise. The text columns
        are drawn to the right of the Axes (leave room when passing your own).
    scale : {None, "r", "analysis"}
        None: the result's display scale (r for correlations pooled on Fisher z).
    columns : sequence of {"estimate", "weight", "n"}
        Text columns: ``estimate [CI]`` per study, its random-effects weight in percent,
        and its sample size (when known). ``()`` draws none.
    subgroup : str, optional
        The categorical moderator to group rows by; each group gets a subtotal diamond from
        its own random-effects model (separate tau^2) and the between-groups Q test is
        printed in the title.
    max_studies : int
        Above this many studies the individual rows are omitted (the summaries stay).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import coachstats as cs
    >>> res = cs.meta.correlations(cs.simulate.meta_correlations(k=8, rng=1).data)
    >>> ax = res.plot()
    >>> ax.get_xlabel()
    'correlation'
    """
    bad = [c for c in columns if c not in COLUMNS]
    if bad:
        raise ValueError(f"columns {bad} are not available; choose from {list(COLUMNS)}.")
    multi = hasattr(res, "sigma2")  # a three-level model (meta.multilevel)
    if multi:
        y_all, v_all = res.inputs["y"], res.inputs["v"]
        fr = res.inputs["frame"]
        labels = [f"{a} / {b}" for a, b in zip(fr[res.levels[0]], fr[res.levels[1]],
                                                  strict=True)]  # fmt: skip
        n_all = np.full(len(y_all), np.nan)
        weights = np.full(len(y_all), np.nan)
        measure, tau2_total = res.measure, sum(res.sigma2)
        pooled = (res.estimate, res.ci_low, res.ci_high, res.pi_low, res.pi_high)
        pooled_label = f"Three-level model ({res.method})"
        title = f"{res.k} effects in {res.n_clusters} clusters ({res.levels[0]})"
        groups = None
    else:
        sd = res.data
        y_all, v_all, n_all = sd.yi, sd.vi, sd.ni
        labels = list(sd.labels)
        measure = sd.measure
        tau2_total = res.tau2
        w = 1.0 / (v_all + res.tau2)
        weights = 100 * w / w.sum()
        if res.has_moderators and subgroup is None:
            pooled = None
        else:
            pooled = (res.estimate, res.ci_low, res.ci_high, res.pi_low, res.pi_high)
            if subgroup is not None:
                pooled = None
        pooled_label = f"RE model ({res.method})" if res.method != "FE" else "FE model"
        title = f"k = {res.k}, I² = {res.i2:.0f}%"
        groups = None
        if subgroup is not None:
            sg = res.subgroups()
            if sg.moderator != subgroup:
                raise ValueError(f"subgroup={subgroup!r} is not the model's moderator "
                                 f"({sg.moderator!r}).")  # fmt: skip
            vals = sd.frame[subgroup].astype(str).to_numpy()
            groups = (sg, vals)
            title = (f"{title}; between {subgroup}s Q({sg.df:g}) = {sg.q_between:.2f}, "
                     f"p = {sg.p_value:.3g}")  # fmt: skip
    scale = check_choice(scale, "scale", (None, "r", "analysis"))
    if scale == "r" and measure not in ("z", "r"):
        raise ValueError(f"scale='r' applies to correlations; this model pools "
                         f"{measure} effects: use scale='analysis'.")  # fmt: skip
    use_r = measure == "z" and scale != "analysis"
    back = np.tanh if use_r and measure == "z" else (lambda x: np.asarray(x, float))
    k = len(y_all)
    show = k <= max_studies
    crit = stats.norm.isf((1 - res.ci_level) / 2)

    # ---- row layout, top to bottom
    entries: list[tuple[str, Any]] = []  # (kind, payload)
    if groups is None:
        if show:
            entries += [("study", i) for i in range(k)]
    else:
        sg, vals = groups
        for g in sg.table["term"]:
            entries.append(("header", g))
            if show:
                entries += [("study", i) for i in np.flatnonzero(vals == g)]
            entries.append(("subtotal", g))
    if pooled is not None or groups is not None:
        entries.append(("pooled", None))
    n_rows = len(entries)
    own = ax is None
    ax = new_axes(ax, figsize=(9.5, min(max(0.24 * n_rows + 1.6, 2.8), 18)))
    if own:
        ax.figure.subplots_adjust(left=0.22, right=0.6)
    ypos = np.arange(n_rows, 0, -1, dtype=float)
    ticks, ticklabels = [], []
    xs = {"estimate": 1.03, "weight": 1.42, "n": 1.6}
    cols = [c for c in columns if not (c == "n" and not np.isfinite(n_all).any())]
    cols = [c for c in cols if not (c == "weight" and not np.isfinite(weights).any())]

    def text(y: float, col: str, s: str, **kw: Any) -> None:
        ax.text(xs[col], y, s, transform=ax.get_yaxis_transform(), va="center",
                fontsize=8, clip_on=False, **kw)  # fmt: skip

    sizes = 12 + 60 * (weights / np.nanmax(weights)) if np.isfinite(weights).any() else \
        np.full(k, 20.0)  # fmt: skip
    diamond_h = 0.3
    handles = {}
    for (kind, pay), yy in zip(entries, ypos, strict=True):
        if kind == "study":
            i = pay
            half = crit * np.sqrt(v_all[i])
            lo, hi = back(y_all[i] - half), back(y_all[i] + half)
            e = back(y_all[i])
            h = ax.hlines(yy, lo, hi, color="0.3", lw=0.8)
            ax.scatter([e], [yy], s=sizes[i], marker="s", color="0.3", zorder=3)
            handles.setdefault("study", h)
            ticks.append(yy)
            ticklabels.append(labels[i])
            if "estimate" in cols:
                text(yy, "estimate", _fmt(float(e), float(lo), float(hi)))
            if "weight" in cols:
                text(yy, "weight", f"{weights[i]:.1f}%")
            if "n" in cols and np.isfinite(n_all[i]):
                text(yy, "n", f"{int(n_all[i]):,}")
        elif kind == "header":
            ticks.append(yy)
            ticklabels.append(f"{groups[0].moderator} = {pay}")
        elif kind in ("subtotal", "pooled"):
            if kind == "subtotal":
                row = groups[0].table.set_index("term").loc[pay]
                est, lo, hi = row["estimate"], row["ci_low"], row["ci_high"]
                pil, pih = row.get("pi_low", np.nan), row.get("pi_high", np.nan)
                lab, color = f"Subtotal (k = {int(row['k'])})", "C1"
                wsum = np.nansum(weights[groups[1] == pay]) if np.isfinite(weights).any() \
                    else np.nan  # fmt: skip
            else:
                est, lo, hi, pil, pih = pooled if pooled is not None else (
                    res.estimate, res.ci_low, res.ci_high, np.nan, np.nan)  # fmt: skip
                if groups is not None:
                    over = res._refit(replace(  # the overall model without the moderator
                        res.data, X=np.ones((len(y_all), 1)), terms=("intercept",),
                        moderators=()))
                    est, lo, hi, pil, pih = (over.estimate, over.ci_low, over.ci_high,
                                             over.pi_low, over.pi_high)  # fmt: skip
                lab, color, wsum = pooled_label, "C0", 100.0
            e, l_, h_ = (float(back(x)) for x in (est, lo, hi))
            dia = ax.fill([l_, e, h_, e], [yy, yy + diamond_h, yy, yy - diamond_h],
                          color=color, zorder=3)[0]  # fmt: skip
            handles.setdefault("diamond" if kind == "pooled" else "subtotal", dia)
            if np.isfinite(pil):
                pi = ax.hlines(yy, float(back(pil)), float(back(pih)), color=color, lw=1.2,
                               linestyles="-", zorder=2)  # fmt: skip
                if kind == "pooled":
                    handles.setdefault("pi", pi)
            if kind == "pooled":
                ax.axvline(e, color=color, ls=":", lw=0.8)
            ticks.append(yy)
            ticklabels.append(lab)
            if "estimate" in cols:
                text(yy, "estimate", _fmt(e, l_, h_), weight="bold")
            if "weight" in cols and np.isfinite(wsum):
                text(yy, "weight", f"{wsum:.1f}%", weight="bold")
    top = (ypos[0] if n_rows else 1) + 0.9
    for col, head in (("estimate", "estimate [CI]"), ("weight", "weight"), ("n", "n")):
        if col in cols:
            text(top, col, head, weight="bold")
    ax.set_ylim(0.3, top + 0.4)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_yticks(ticks, ticklabels, fontsize=7 if n_rows > 28 else 8)
    name = {"z": "correlation" if use_r else "Fisher z", "r": "correlation",
            "SMD": "Hedges' g", "SMCR": "standardized mean change",
            "SMCC": "standardized mean change", "PPC": "d_ppc2"}.get(measure, "effect size")
    ax.set_xlabel(name)
    ax.set_title(title, fontsize=9)
    lvl = f"{res.ci_level:.0%}"
    legend = []
    names = {"study": (f"effect, {lvl} CI" if multi
                       else f"study estimate, {lvl} CI (square size = weight)"),
             "diamond": f"pooled estimate, {lvl} CI",
             "subtotal": f"subgroup estimate, {lvl} CI",
             "pi": f"{lvl} prediction interval (a new study's true effect)"}  # fmt: skip
    for key in ("study", "subtotal", "diamond", "pi"):
        if key in handles:
            legend.append((handles[key], names[key]))
    if legend:
        height_in = max(ax.get_position().height * ax.figure.get_figheight(), 0.5)
        ax.legend([h for h, _ in legend], [s for _, s in legend], fontsize=7,
                  loc="upper center", bbox_to_anchor=(0.5, -0.5 / height_in),
                  ncol=2, frameon=False)  # fmt: skip
    _ = tau2_total
    return ax
