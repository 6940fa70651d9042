"""Cumulative meta-analysis: the pooled estimate as studies accumulate (metafor ``cumul``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..results import Result, new_axes, tidy_frame
from .correlations import MetaResult, _result

__all__ = ["CumulativeResult", "cumulative"]


@dataclass(frozen=True)
class CumulativeResult(Result):
    """One row per step: the model refitted on the first ``k`` studies in ``order``.

    Parameters
    ----------
    table : DataFrame
        One row per step (the ``to_frame()`` table).
    order : str
        What the studies were ordered by.
    measure : str
        Effect-size measure.
    method : str
        Estimator of tau^2.

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> d = pd.DataFrame({"g": [0.5, 0.3, 0.2, 0.25], "v": [0.05, 0.03, 0.02, 0.02],
    ...                   "year": [2001, 2005, 2010, 2015]})
    >>> cum = cs.meta.cumulative(cs.meta.effects(d, "g", "v"), order=d["year"])
    >>> cum.measure
    'GEN'
    """

    table: pd.DataFrame
    order: str
    measure: str
    method: str

    @property
    def title(self) -> str:
        return f"Cumulative meta-analysis (ordered by {self.order})"

    @property
    def notes(self) -> list[str]:
        t = self.table
        out = [f"Each row adds one study (term) to those above it and refits the model "
               f"({self.method}); the first row is that study alone."]  # fmt: skip
        if self.measure == "z":
            out.append("Estimates and intervals are shown as r (back-transformed from "
                       "Fisher z); tau2 is on Fisher z.")  # fmt: skip
        stable = t["estimate"].iloc[len(t) // 2:]
        out.append(f"Over the second half of the studies the estimate moves between "
                   f"{stable.min():.3f} and {stable.max():.3f}.")  # fmt: skip
        return out

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Estimate and CI after each added study (top to bottom in order).

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
        t = self.table
        ax = new_axes(ax, figsize=(6, max(2.5, 0.22 * len(t) + 1)))
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["estimate"], y, xerr=[t["estimate"] - t["ci_low"],
                    t["ci_high"] - t["estimate"]], fmt="o", ms=3, color="C0")  # fmt: skip
        ax.axvline(0, color="0.6", lw=0.8)
        labels = [f"+ {a} ({b})" for a, b in zip(t["term"], t[self.order], strict=True)]
        ax.set_yticks(y, labels, fontsize=7 if len(t) > 25 else 9)
        ax.set_xlabel("cumulative pooled " + ("r" if self.measure == "z" else "estimate"))
        return ax


def cumulative(res: MetaResult, order: str | Any = "year") -> CumulativeResult:
    """Refit an intercept-only model as studies are added in ``order``.

    Parameters
    ----------
    res : MetaResult
        Result of :func:`correlations`, :func:`smd`, :func:`effects` ... without moderators.
    order : str or array-like
        A column of the fitted data (e.g. publication year) or one sort key per study;
        ties keep the data's row order.

    Returns
    -------
    CumulativeResult

    Examples
    --------
    >>> import pandas as pd, coachstats as cs
    >>> d = pd.DataFrame({"g": [0.5, 0.3, 0.2, 0.25], "v": [0.05, 0.03, 0.02, 0.02],
    ...                   "year": [2001, 2005, 2010, 2015]})
    >>> cum = cs.meta.cumulative(cs.meta.effects(d, "g", "v"), order=d["year"])
    >>> len(cum.table)
    4
    """
    if not isinstance(res, MetaResult):
        raise TypeError(f"cumulative() takes a MetaResult, got {type(res).__name__}.")
    if res.has_moderators:
        raise ValueError("cumulative() applies to models without moderators.")
    sd = res.data
    k = len(sd.yi)
    if isinstance(order, str):
        if sd.frame is None or order not in sd.frame.columns:
            raise ValueError(
                f"order={order!r} is not a column of the fitted data; pass the values "
                "instead (order=data['year']) or name the column in the call (e.g. as "
                "study=) so it is kept."
            )
        keys = sd.frame[order].to_numpy()
        name = order
    else:
        keys = np.asarray(order)
        name = "order"
        if keys.shape != (k,):
            raise ValueError(f"order has {keys.size} values for {k} studies.")
    if pd.isna(pd.Series(keys)).any():
        raise ValueError(f"order has missing values in rows "
                         f"{np.flatnonzero(pd.isna(pd.Series(keys)))[:10].tolist()}.")  # fmt: skip
    idx = np.argsort(keys, kind="stable")
    rows = []
    labels = np.asarray(sd.labels, dtype=object)
    for i in range(k):
        keep = idx[: i + 1]
        sub = replace(sd, yi=sd.yi[keep], vi=sd.vi[keep], ri=sd.ri[keep], ni=sd.ni[keep],
                      X=np.ones((i + 1, 1)), given_labels=tuple(labels[keep]))  # fmt: skip
        if i == 0:
            f = _result(sub, "FE", "z", res.ci_level)
        elif i == 1 and res.test == "knha":
            f = _result(sub, res.method, "z", res.ci_level)
        else:
            f = _result(sub, res.method, res.test, res.ci_level)
        back = f._back
        rows.append({"term": labels[idx[i]], name: keys[idx[i]], "k": i + 1,
                     "estimate": back(f.estimate),
                     "std_error": np.nan if res.measure == "z" else f.std_error,
                     "ci_low": back(f.ci_low), "ci_high": back(f.ci_high),
                     "ci_level": res.ci_level, "tau2": f.tau2, "i2": f.i2,
                     "p_value": f.p_value})  # fmt: skip
    return CumulativeResult(table=tidy_frame(rows), order=name, measure=res.measure,
                            method=res.method)  # fmt: skip
