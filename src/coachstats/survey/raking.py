"""Raking (iterative proportional fitting) of survey weights to known population totals.

Starting from design weights (1 when none are given), the weights of each margin in turn are
multiplied by ``target / current total`` within each level, until every margin matches its
target (Deming & Stephan 1940). The fixed point is the same as R ``survey::rake``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validate import _rows, check_positive, prepare, require_range
from ..results import Caution, Result, new_axes, tidy_frame

__all__ = ["RakeResult", "rake", "rake_weights"]


@dataclass(frozen=True)
class RakeResult(Result):
    """Raked weights and how closely each margin matches its target.

    Parameters
    ----------
    weights : Series
        One weight per row of the input (same index), summing to the population total.
    margins : DataFrame
        ``variable, level, target, achieved, unweighted_n``.
    iterations : int
    converged : bool
    max_relative_error : float
        Largest relative gap between a target and the achieved weighted margin.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> d = pd.DataFrame({"band": ["a", "a", "b", "b", "b"], "site": ["x", "y", "x", "y", "y"]})
    >>> r = cs.survey.rake(d, {"band": {"a": 50, "b": 50}, "site": {"x": 40, "y": 60}})
    >>> r.converged
    True
    """

    weights: pd.Series = field(repr=False)
    margins: pd.DataFrame = field(repr=False)
    iterations: int = 0
    converged: bool = True
    max_relative_error: float = 0.0
    n_dropped: int = 0

    @property
    def title(self) -> str:
        return "Survey weights raked to known totals"

    @property
    def design_effect(self) -> float:
        """Kish's design effect of unequal weighting: ``n sum(w^2) / sum(w)^2``."""
        w = self.weights.to_numpy(float)
        return float(len(w) * np.sum(w**2) / np.sum(w) ** 2)

    @property
    def notes(self) -> list[str]:
        out = [f"Raking (iterative proportional fitting) over {self.margins['variable'].nunique()}"
               f" margin(s): {self.iterations} iteration(s), largest relative gap "
               f"{self.max_relative_error:.2g}.",
               f"Kish design effect of the weights: {self.design_effect:.3f}."]
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        if not self.converged:
            out.append(Caution("raking_not_converged",
                               f"Raking stopped before the margins matched (largest relative "
                               f"gap {self.max_relative_error:.3g}).", self.max_relative_error))
        w = self.weights.to_numpy(float)
        ratio = float(w.max() / w.min()) if w.min() > 0 else np.inf
        if ratio > 10:
            out.append(Caution("extreme_weights",
                               f"The largest weight is {ratio:.1f} times the smallest; a few "
                               "respondents carry much of the estimate.", ratio))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        m = self.margins
        rows = [{"term": f"{v}={lvl}", "estimate": a, "target": t, "unweighted_n": n}
                for v, lvl, t, a, n in m[["variable", "level", "target", "achieved",
                                          "unweighted_n"]].itertuples(index=False)]
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Histogram of the raked weights.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            ``bins``: number of histogram bins of the weights (default 30); other keys are not used.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        ax.hist(self.weights.to_numpy(float), bins=kwargs.get("bins", 30), color="C0")
        ax.set_xlabel("raked weight")
        ax.set_ylabel("respondents")
        ax.set_title(self.title)
        return ax


def _check_margins(frame: pd.DataFrame, margins: Mapping[str, Mapping[Any, float]]
                   ) -> dict[str, dict[Any, float]]:
    if not isinstance(margins, Mapping) or not margins:
        raise TypeError("margins: expected a non-empty mapping {column: {level: total}}.")
    out: dict[str, dict[Any, float]] = {}
    totals = []
    for col, targets in margins.items():
        if not isinstance(targets, Mapping) or not targets:
            raise TypeError(f"margins[{col!r}]: expected a mapping {{level: population total}}.")
        levels = frame[col].unique().tolist()
        # TOML keys are strings: match them to the column's values by their text
        by_text = {str(v): v for v in levels}
        t: dict[Any, float] = {}
        for k, v in targets.items():
            key = k if k in levels else by_text.get(str(k), k)
            val = check_positive(v, f"margins[{col!r}][{k!r}] (a total)")
            t[key] = val
        missing = [v for v in levels if v not in t]
        if missing:
            rows = frame.index[frame[col].isin(missing)]
            raise ValueError(
                f"column {col!r}: level(s) {missing[:5]} occur in the data (rows {_rows(rows)}) "
                f"but have no population total in margins[{col!r}]. Add their totals or recode "
                "them into a level that has one.")
        empty = [k for k in t if k not in levels]
        if empty:
            raise ValueError(
                f"margins[{col!r}]: level(s) {empty[:5]} have a population total but no "
                "respondent, so no weight can represent them. Collapse them with a neighbouring "
                "level (in the data and in the totals).")
        out[col] = t
        totals.append(sum(t.values()))
    if max(totals) - min(totals) > 1e-8 * max(totals):
        raise ValueError(
            "margins: the population totals differ between margins ("
            + ", ".join(f"{c}: {s:g}" for c, s in zip(out, totals, strict=True)) + "); "
            "every margin must describe the same population.")
    return out


def rake_weights(
    frame: pd.DataFrame, margins: Mapping[str, Mapping[Any, float]], base: np.ndarray,
    *, max_iter: int = 1000, tol: float = 1e-10,
) -> tuple[np.ndarray, int, bool, float, dict[str, dict[Any, float]]]:
    """Core of :func:`rake` on a checked frame.

    Returns ``(weights, iterations, converged, largest relative gap, checked margins)``.
    """
    m = _check_margins(frame, margins)
    w = np.asarray(base, float).copy()
    codes = {}
    for col, t in m.items():
        keys = list(t)
        lookup = {k: i for i, k in enumerate(keys)}
        codes[col] = (frame[col].map(lookup).to_numpy(int), np.array([t[k] for k in keys]))
    gap = np.inf
    it = 0
    while it < max_iter:
        it += 1
        for idx, target in codes.values():
            cur = np.bincount(idx, weights=w, minlength=len(target))
            w = w * (target / cur)[idx]
        gap = max(float(np.max(np.abs(np.bincount(idx, weights=w, minlength=len(target))
                                      / target - 1))) for idx, target in codes.values())
        if gap < tol:
            break
    return w, it, bool(gap < tol), gap, m


def rake(
    data: pd.DataFrame,
    margins: Mapping[str, Mapping[Any, float]],
    *,
    weights: str | None = None,
    max_iter: int = 1000,
    tol: float = 1e-10,
    dropna: bool = False,
) -> RakeResult:
    """Rake survey weights so the weighted counts match known population totals.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; never modified.
    margins : mapping
        ``{column: {level: population total}}``, one entry per known margin (e.g. leavers by
        tenure band from the HR system). Every margin must sum to the same total.
    weights : str, optional
        Column of design (base) weights; default 1 for every respondent.
    max_iter, tol : int, float
        Stop after ``max_iter`` sweeps or when every margin is within ``tol`` (relative).
    dropna : bool
        Drop rows with a missing value (counted in ``n_dropped``) instead of raising.

    Returns
    -------
    RakeResult
        ``weights`` (aligned to the rows used), the margins achieved, convergence.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"band": ["a", "a", "b", "b", "b"], "site": ["x", "y", "x", "y", "y"]})
    >>> r = rake(d, {"band": {"a": 50, "b": 50}, "site": {"x": 40, "y": 60}})
    >>> round(float(r.weights.sum()), 6)
    100.0
    """
    if not isinstance(margins, Mapping):
        raise TypeError("margins: expected a mapping {column: {level: population total}}.")
    cols = {f"margins[{c!r}]": c for c in margins}
    frame, miss = prepare(data, {**cols, "weights": weights}, numeric=["weights"], dropna=dropna)
    if weights is not None:
        require_range(frame, weights, 0, None, low_inclusive=False, arg="weights",
                      hint="Design weights must be positive.")
        base = frame[weights].to_numpy(float)
    else:
        base = np.ones(len(frame))
    w, it, ok, gap, m = rake_weights(frame, margins, base, max_iter=max_iter, tol=tol)
    rows = []
    for col, t in m.items():
        for lvl, target in t.items():
            sel = (frame[col] == lvl).to_numpy()
            rows.append({"variable": col, "level": lvl, "target": target,
                         "achieved": float(w[sel].sum()), "unweighted_n": int(sel.sum())})
    return RakeResult(weights=pd.Series(w, index=frame.index, name="weight"),
                      margins=pd.DataFrame(rows), iterations=it, converged=ok,
                      max_relative_error=gap, n_dropped=miss.n_dropped)
