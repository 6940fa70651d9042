"""The result shared by the standardized-difference estimators (paired, two-group, PPC)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..interpret import Interpretation, label
from ..results import Result, dropped_notes, term_intervals


@dataclass(frozen=True)
class EffectSizeResult(Result):
    """One or more standardized mean differences with their intervals.

    Parameters
    ----------
    table : DataFrame
        ``to_frame()``: ``term, estimate, std_error, ci_low, ci_high, ci_level`` then
        estimator-specific columns (``ci_method`` always names how the interval was made).
    name : str
        What was estimated, used as the title.
    method_notes : tuple of str
        Formula, correction and interval notes.
    assumption_notes : tuple of str
        What the estimate assumes (read with ``assumptions()``).
    limitation_notes : tuple of str
        What it cannot tell (read with ``limitations()``).
    n_dropped : int
        Rows (or people) left out before fitting (only with ``dropna=True``).
    drop_reasons : mapping
        Why, in plain words -> how many (read with ``dropped``); by default all
        ``n_dropped`` are rows with a missing value.

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> d = pd.DataFrame({"y": [1.0, 2.0, 3.0, 2.0, 3.0, 4.0], "g": list("aaabbb")})
    >>> res = cs.effects.group_difference(d, "y", "g", reference="a", min_group_size=3)
    >>> res.to_frame()[["estimate", "ci_level"]].shape
    (1, 2)
    """

    table: pd.DataFrame = field(repr=False, compare=False)
    name: str = "Standardized mean difference"
    method_notes: tuple[str, ...] = ()
    assumption_notes: tuple[str, ...] = ()
    limitation_notes: tuple[str, ...] = ()
    n_dropped: int = 0
    drop_reasons: Mapping[str, int] = field(default_factory=dict, compare=False)

    @property
    def title(self) -> str:
        return self.name

    @property
    def notes(self) -> list[str]:
        out = list(self.method_notes)
        out += dropped_notes(self.dropped)
        return out

    @property
    def dropped(self) -> dict[str, int]:
        """Why data were left out -> how many."""
        if self.drop_reasons:
            return {k: int(v) for k, v in self.drop_reasons.items() if v}
        return super().dropped

    def assumptions(self) -> list[str]:
        return list(self.assumption_notes)

    def limitations(self) -> list[str]:
        return list(self.limitation_notes)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def suppressions(self, analysis: str = "") -> list[Any]:
        """One ``coachstats.privacy.Suppression`` per withheld row (e.g. a small stratum)."""
        if "suppressed" not in self.table:
            return []
        from ..privacy import Suppression

        f = self.table.loc[self.table["suppressed"].fillna(False).astype(bool)]
        return [Suppression(analysis, f"estimate for {t}", "a group with fewer people than "
                            "the minimum group size", "minimum group size") for t in f["term"]]

    def _first(self, column: str) -> float:
        if len(self.table) != 1:
            raise AttributeError(
                f"this result has {len(self.table)} rows; use to_frame()['{column}'] instead."
            )
        return float(self.table[column].iloc[0])

    @property
    def estimate(self) -> float:
        """The estimate (single-row results only)."""
        return self._first("estimate")

    @property
    def ci_low(self) -> float:
        return self._first("ci_low")

    @property
    def ci_high(self) -> float:
        return self._first("ci_high")

    def interpret(self, rule: str = "cohen1988_d") -> list[Interpretation]:
        """Label each estimate by a named rule (default Cohen 1988 for d)."""
        return [label(v, rule) for v in self.table["estimate"] if np.isfinite(v)]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Point estimates with their intervals, one row per term.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            ``color``: marker and interval colour (default ``"C0"``); other keys are not used.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = term_intervals(self.table, ax, xlabel="standardized difference",
                            color=kwargs.get("color", "C0"))
        ax.set_title(self.name)
        return ax
