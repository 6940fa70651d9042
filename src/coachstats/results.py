"""The shared shape of every result: a frozen dataclass of numbers with the same verbs.

Subclasses define their fields and implement :meth:`Result.to_frame` (and usually
:meth:`Result.plot`). ``summary()`` and ``_repr_html_`` are built from the frame, a title and
notes, so a result reads the same in a terminal, a notebook and a report.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FRAME_COLUMNS", "Caution", "Result", "format_frame", "new_axes", "tidy_frame"]

#: Leading columns of every ``to_frame()``; estimator-specific columns follow.
FRAME_COLUMNS: tuple[str, ...] = ("term", "estimate", "std_error", "ci_low", "ci_high", "ci_level")


def tidy_frame(rows: Iterable[Mapping[str, Any]], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Build a result table with the standard columns first, in a stable order.

    Missing standard entries become NaN, so every frame has every standard column.

    Parameters
    ----------
    rows : iterable of mapping
        One mapping per row (term -> value).
    extra : sequence of str, optional
        Extra columns to place right after the standard ones (others follow in order of
        appearance).

    Returns
    -------
    DataFrame
        The table, with ``term, estimate, std_error, ci_low, ci_high, ci_level`` first.

    Examples
    --------
    >>> tidy_frame([{"term": "mu", "estimate": 0.3}]).columns[:3].tolist()
    ['term', 'estimate', 'std_error']
    """
    df = pd.DataFrame(list(rows))
    for c in FRAME_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan
    rest = [c for c in extra if c in df.columns and c not in FRAME_COLUMNS]
    rest += [c for c in df.columns if c not in FRAME_COLUMNS and c not in rest]
    return df.loc[:, list(FRAME_COLUMNS) + rest].reset_index(drop=True)


@dataclass(frozen=True)
class Caution:
    """A failed or borderline check that qualifies a result's headline.

    ``code`` is a stable snake_case identifier (``"pretrend_rejected"``, ``"rhat_high"``,
    ``"few_clusters"``, ``"low_reliability"``, ``"immortal_time"`` ...); ``message`` says it in
    plain words with the number; ``value`` is that number when there is one.

    Parameters
    ----------
    code : str
        Stable snake_case identifier of the check.
    message : str
        The check in plain words, with its number.
    value : float, optional
        The number, when there is one.
    severity : {"warning", "info"}, default "warning"
        ``"info"`` marks a note rather than a caution in reports.

    Examples
    --------
    >>> Caution("pretrend_rejected", "Pre-trend test rejected (p = 0.019).", value=0.019).code
    'pretrend_rejected'
    """

    code: str
    message: str
    value: float | None = None
    severity: str = "warning"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "value": self.value,
                "severity": self.severity}


def _fmt(v: object, digits: int) -> str:
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return ""
        a = abs(float(v))
        if a != 0 and (a < 10 ** (-digits) or a >= 1e7):
            return f"{float(v):.{digits}g}"
        return f"{float(v):.{digits}f}"
    return str(v)


def format_frame(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Return a string copy of ``df`` with numbers rounded for display.

    Parameters
    ----------
    df : DataFrame
        A result table.
    digits : int, default 3
        Decimals of the numbers (very small or large ones in ``g`` format; integers with
        thousands separators; NaN as an empty string).

    Returns
    -------
    DataFrame
        A copy with every value as a display string.

    Examples
    --------
    >>> import pandas as pd
    >>> from coachstats.results import format_frame
    >>> format_frame(pd.DataFrame({"estimate": [0.123456]}))["estimate"].tolist()
    ['0.123']
    """
    return df.apply(lambda col: col.map(lambda v: _fmt(v, digits))).astype(str)


@dataclass(frozen=True)
class Result:
    """Base class of coachstats results.

    Subclasses are frozen dataclasses holding numbers (no prose beyond short notes), and
    implement ``to_frame``. ``title`` and ``notes`` give ``summary()`` its heading and its
    caveats; override them as properties.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from coachstats.results import Result, tidy_frame
    >>> @dataclass(frozen=True)
    ... class MeanResult(Result):
    ...     estimate: float
    ...     def to_frame(self):
    ...         return tidy_frame([{"term": "mean", "estimate": self.estimate}])
    >>> MeanResult(2.5).to_frame().loc[0, "estimate"]
    np.float64(2.5)
    """

    @property
    def title(self) -> str:
        return type(self).__name__

    @property
    def notes(self) -> list[str]:
        """Short statements the reader needs (method, interval type, what was dropped)."""
        return []

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """Failed or borderline checks a reader must see beside the headline.

        By default: the sampler cautions of a result that carries Bayesian ``diagnostics``
        (R-hat, ESS, divergences), otherwise none.
        """
        diag = getattr(self, "diagnostics", None)
        out = getattr(diag, "cautions", ()) if isinstance(diag, Result) else ()
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """Tidy table: ``term, estimate, std_error, ci_low, ci_high, ci_level, ...``."""
        raise NotImplementedError

    def summary(self, digits: int = 3) -> str:
        """Readable text: title, table and notes."""
        table = format_frame(self.to_frame(), digits).to_string(index=False)
        lines = [self.title, "=" * len(self.title), table]
        if self.notes:
            lines.append("")
            lines.extend(f"- {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        table = format_frame(self.to_frame()).to_html(index=False, border=0, escape=True)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<div class='coachstats-result'><strong>{html.escape(self.title)}</strong>"
            f"{table}" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result on ``ax`` (a new figure if None) and return the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Options of the subclass's plot (see each result class).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.

        Raises
        ------
        NotImplementedError
            When the result has no plot.
        """
        raise NotImplementedError(f"{type(self).__name__} has no plot.")


def new_axes(ax: Any = None, figsize: tuple[float, float] = (6.0, 4.0)) -> Any:
    """Return ``ax`` or a fresh Axes; matplotlib is imported only when plotting.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; returned unchanged when given.
    figsize : tuple of (float, float), default (6.0, 4.0)
        Size in inches of the new figure.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the Axes of a new figure.

    Examples
    --------
    >>> from coachstats.results import new_axes
    >>> ax = new_axes(figsize=(3.0, 2.0))
    >>> new_axes(ax) is ax
    True
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def __dir__() -> list[str]:
    # the public names only: imported helpers (np, argparse, ...) are not part of the API
    return sorted(__all__)
