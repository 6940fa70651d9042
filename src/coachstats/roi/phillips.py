"""The classic Phillips ROI calculation from participant-level data.

Adjusted benefit per participant = annual monetary benefit x attribution x confidence
(the share of the improvement due to coaching, and the participant's confidence in their
estimate, both as error adjustments in the conservative direction). Then::

    BCR  = sum(adjusted benefits) x horizon_years / (sum(costs) + extra_costs)
    ROI% = (benefits - costs) / costs x 100 = (BCR - 1) x 100

A "7x return" is a BCR of 7, i.e. ROI = 600%, not 700%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as V
from .._deprecate import renamed_arguments
from ..results import Result, new_axes, tidy_frame
from ._inputs import from_missing, missing_mode, prepare_roi

__all__ = ["PhillipsResult", "phillips"]


@dataclass(frozen=True)
class PhillipsResult(Result):
    """Totals, benefit-cost ratio and ROI of the Phillips calculation (point values).

    Parameters
    ----------
    n : int
        Participants.
    n_with_benefit : int
        Participants reporting a positive benefit.
    total_benefit_claimed : float
        Sum of the claimed benefits.
    total_after_attribution : float
        The sum after the attribution share.
    total_benefit_adjusted : float
        The sum after attribution and confidence.
    total_cost : float
        Sum of the costs plus ``extra_costs``.
    bcr : float
        Benefit-cost ratio.
    roi_pct : float
        ROI in percent.
    horizon_years : float
        Years of benefit counted.
    extra_costs : float
        Programme costs not attributed to participants.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    n_zeroed : int
        Participants with missing answers counted as no benefit.
    cost_components : tuple of (str, float)
        Each cost column with its total, when the cost is a sum of several columns.
    n_blank_costs : int
        Blank cost cells counted as 0 (``blank_cost_as_zero=True``).

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> df = pd.DataFrame({"b": [321_000.0], "c": [100_000.0]})
    >>> res = cs.roi.phillips(df, benefit="b", cost="c")
    >>> res.total_cost
    100000.0
    """

    n: int
    n_with_benefit: int
    total_benefit_claimed: float
    total_after_attribution: float
    total_benefit_adjusted: float
    total_cost: float
    bcr: float
    roi_pct: float
    horizon_years: float
    extra_costs: float
    n_dropped: int = 0
    n_zeroed: int = 0
    cost_components: tuple[tuple[str, float], ...] = field(default=())
    n_blank_costs: int = 0

    @property
    def title(self) -> str:
        return "Phillips ROI (conservative point calculation)"

    @property
    def notes(self) -> list[str]:
        out = [
            "Adjusted benefit = benefit x attribution x confidence; BCR = adjusted benefits / "
            "fully loaded costs; ROI% = (BCR - 1) x 100 (a BCR of 7 is ROI 600%).",
            f"Benefits counted for {self.horizon_years:g} year(s)"
            + (" (Phillips: first-year benefits only for short programs)."
               if self.horizon_years == 1 else "; Phillips counts one year for short programs."),
            "Point values only: no sampling uncertainty (see roi.bayesian for intervals).",
        ]
        if self.n_zeroed:
            out.append(
                f"{self.n_zeroed} participant(s) with missing answers counted as no benefit "
                "(costs kept)."
            )
        if self.cost_components:
            names = ", ".join(repr(c) for c, _ in self.cost_components)
            out.append(
                f"Cost per participant = the sum of {len(self.cost_components)} column(s) "
                f"({names}); each column's total is a row of the table"
                + (f" ({self.extra_costs:g} of program-level costs added to the total)."
                   if self.extra_costs else ".")
            )
        if self.n_blank_costs:
            out.append(f"{self.n_blank_costs} blank cost cell(s) counted as 0 "
                       "(blank_cost_as_zero=True).")
        if self.n_dropped:
            out.append(f"{self.n_dropped} incomplete row(s) dropped.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "Costs are fully loaded (fees, participants' time, administration, evaluation).",
            "Participants' estimates of benefit, attribution and confidence are credible.",
        ]

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"term": "roi_pct", "estimate": self.roi_pct},
            {"term": "bcr", "estimate": self.bcr},
            {"term": "total_benefit_adjusted", "estimate": self.total_benefit_adjusted},
            {"term": "total_cost", "estimate": self.total_cost},
            *({"term": f"cost[{c}]", "estimate": v} for c, v in self.cost_components),
            {"term": "total_after_attribution", "estimate": self.total_after_attribution},
            {"term": "total_benefit_claimed", "estimate": self.total_benefit_claimed},
            {"term": "n_participants", "estimate": float(self.n)},
            {"term": "n_with_benefit", "estimate": float(self.n_with_benefit)},
        ]
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Bars: claimed benefits, after attribution, after confidence, and costs.

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
        labels = ["claimed", "x attribution", "x confidence", "fully loaded cost"]
        vals = [
            self.total_benefit_claimed * self.horizon_years,
            self.total_after_attribution * self.horizon_years,
            self.total_benefit_adjusted,
            self.total_cost,
        ]
        ax.bar(labels, vals, color=["0.75", "0.6", "C0", "C3"])
        ax.set_ylabel("total (currency units)")
        ax.set_title(f"Phillips: BCR {self.bcr:.2f}, ROI {self.roi_pct:.0f}%")
        return ax


@renamed_arguments(missing=("dropna", from_missing))
def phillips(
    data: pd.DataFrame,
    *,
    benefit: str,
    cost: str | Sequence[str],
    attribution: str | None = None,
    confidence: str | None = None,
    horizon_years: float = 1.0,
    extra_costs: float = 0.0,
    dropna: bool = False,
    blank_benefit_as_zero: bool = False,
    blank_cost_as_zero: bool = False,
) -> PhillipsResult:
    """Phillips ROI: conservative point values of the benefit-cost ratio and ROI%.

    Parameters
    ----------
    data : DataFrame
        One row per participant (never modified).
    benefit : str
        Column of annual monetary benefit the participant reports (0 = none).
    cost : str or list of str
        Column of fully loaded cost per participant (>= 0), or several cost columns
        (coaching fee, participants' time, travel ...): they are added up per participant
        and the table shows each column's total as a row ``cost[<column>]`` besides
        ``total_cost``.
    attribution, confidence : str, optional
        Columns of shares in [0, 1]: the part of the benefit due to coaching, and the
        participant's confidence in the estimate. Omit only if benefits are already adjusted.
    horizon_years : float
        Years of annual benefit counted (1: the Phillips rule for short programs).
    extra_costs : float
        Program-level costs not in the per-participant column (design, evaluation).
    dropna : bool
        Leave out participants with a missing answer or cost (the result reports how
        many). Default False: a missing value raises an error naming the rows.
    blank_benefit_as_zero : bool
        Count a participant whose benefit, attribution or confidence is blank as having no
        monetary benefit, keeping their cost (Phillips guiding principle 6: no data, no
        improvement; the conservative choice). The result reports how many.
    blank_cost_as_zero : bool
        With several cost columns: whether a blank cell means no such cost (e.g. no
        travel). By default a blank cost is an error (or, with ``dropna=True``, drops
        the participant); the result notes how many blanks were counted as 0.

    Returns
    -------
    PhillipsResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"b": [321_000.0], "c": [100_000.0]})
    >>> res = phillips(df, benefit="b", cost="c")
    >>> round(res.bcr, 2), round(res.roi_pct)
    (3.21, 221)

    Several cost columns, each shown in the table:

    >>> df = pd.DataFrame({"b": [30_000.0], "fee": [8_000.0], "time": [2_000.0]})
    >>> res = phillips(df, benefit="b", cost=["fee", "time"])
    >>> res.to_frame().set_index("term").loc[["total_cost", "cost[fee]"], "estimate"].tolist()
    [10000.0, 8000.0]
    """
    V.check_positive(horizon_years, "horizon_years")
    V.check_positive(extra_costs, "extra_costs (an amount)", allow_zero=True)
    missing = missing_mode(dropna, blank_benefit_as_zero)
    data, cost, components, n_blank = _sum_costs(data, cost, blank_cost_as_zero, missing)
    x = prepare_roi(
        data, benefit=benefit, cost=cost, attribution=attribution, confidence=confidence,
        missing=missing,
    )
    a = x.attribution if x.attribution is not None else np.ones_like(x.benefit)
    k = x.confidence if x.confidence is not None else np.ones_like(x.benefit)
    claimed = float(np.sum(x.benefit))
    after_a = float(np.sum(x.benefit * a))
    adjusted = float(np.sum(x.benefit * a * k)) * horizon_years
    total_cost = float(np.sum(x.cost)) + extra_costs
    bcr = adjusted / total_cost
    return PhillipsResult(
        n=int(x.benefit.size),
        n_with_benefit=int(np.sum(x.benefit > 0)),
        total_benefit_claimed=claimed,
        total_after_attribution=after_a,
        total_benefit_adjusted=adjusted,
        total_cost=total_cost,
        bcr=bcr,
        roi_pct=(adjusted - total_cost) / total_cost * 100,
        horizon_years=float(horizon_years),
        extra_costs=float(extra_costs),
        n_dropped=x.n_dropped,
        n_zeroed=x.n_zeroed,
        cost_components=tuple(
            (c, float(np.sum(v[x.kept]))) for c, v in components
        ),
        n_blank_costs=n_blank,
    )


def _sum_costs(
    data: object, cost: str | Sequence[str], blank_as_zero: bool, missing: str,
) -> tuple[Any, str, list[tuple[str, np.ndarray]], int]:
    """With several cost columns, a copy of ``data`` with their row sums in a new column.

    Returns the data to use, the cost column name, each component's values (blank = 0),
    and the number of blank cells counted as 0.
    """
    if isinstance(cost, str):
        return data, cost, [], 0
    cols = list(cost)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise TypeError(f"cost: expected a column name or a list of column names, got {cost!r}.")
    if len(set(cols)) != len(cols):
        raise ValueError(f"cost: a column is listed twice in {cols!r}; list each once.")
    df = V.check_dataframe(data)
    absent = [c for c in cols if c not in df.columns]
    if absent:
        raise ValueError(
            f"cost: column(s) {', '.join(repr(c) for c in absent)} not found in data. "
            f"Available columns: {', '.join(repr(c) for c in df.columns[:30])}. To fix: "
            "pass cost=[...] with the names exactly as in the data."
        )
    for c in cols:
        V.require_numeric(df, c, "cost")
        V.require_range(
            df.loc[df[c].notna()], c, 0, None, arg="cost",
            hint="Costs are amounts spent and cannot be negative; record refunds separately.",
        )
    vals = df.loc[:, cols].astype(float)
    blank = vals.isna()
    n_blank = 0
    if blank.to_numpy().any():
        if blank_as_zero:
            n_blank = int(blank.to_numpy().sum())
        elif missing != "drop":
            c = next(c for c in cols if blank[c].any())
            raise ValueError(
                f"Cost column {c!r} (argument cost=) is blank in {int(blank[c].sum())} row(s) "
                f"({V._rows(df.index[blank[c]])}). If a blank means no such cost (e.g. no "
                "travel), pass blank_cost_as_zero=True; otherwise fill it in, or pass "
                "dropna=True to leave those participants out (reported)."
            )
    total = vals.fillna(0.0).sum(axis=1) if blank_as_zero else vals.sum(axis=1, skipna=False)
    name = " + ".join(cols)
    while name in df.columns:
        name = f"{name} "
    out = df.copy()
    out[name] = total
    return out, name, [(c, vals[c].fillna(0.0).to_numpy()) for c in cols], n_blank
