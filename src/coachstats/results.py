"""The shared shape of every result: a frozen dataclass of numbers with the same verbs.

Subclasses define their fields and implement :meth:`Result.to_frame` (and usually
:meth:`Result.plot`). ``summary()`` and ``_repr_html_`` are built from the frame, a title and
notes, so a result reads the same in a terminal, a notebook and a report.

:class:`Result` also declares, with defaults, every member a report reads: ``notes``,
``cautions``, ``assumptions()``, ``limitations()``, ``diagnostics``, ``n_dropped`` and
``dropped`` (why rows or people were left out), ``suppressions()``, ``interpret()`` and
``headline()``. A subclass overrides what it knows; the report calls the members directly.
In every table the p-value column is ``p_value`` (:data:`P_VALUE`) and the number of people
at risk is ``n_risk`` (:data:`N_RISK`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _suppression

__all__ = ["FRAME_COLUMNS", "Caution", "Result", "dropped_notes", "format_frame", "missing_reasons",
           "new_axes", "term_intervals", "tidy_frame"]

if TYPE_CHECKING:
    from .interpret import Interpretation

#: Leading columns of every ``to_frame()``; estimator-specific columns follow.
FRAME_COLUMNS: tuple[str, ...] = ("term", "estimate", "std_error", "ci_low", "ci_high", "ci_level")
#: The one name of a p-value column in any ``to_frame()``.
P_VALUE = "p_value"
#: The one name of a column counting the people at risk (survival curves).
N_RISK = "n_risk"
#: The one name of a column flagging rows withheld for privacy.
SUPPRESSED = "suppressed"


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


def format_frame(data: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Return a string copy of ``data`` with numbers rounded for display.

    Parameters
    ----------
    data : DataFrame
        A result table (not modified).
    digits : int
        Decimals of non-integer numbers.

    Returns
    -------
    DataFrame
        The same shape, every cell a string.

    Examples
    --------
    >>> format_frame(pd.DataFrame({"x": [0.12345, 2.5]})).to_dict("list")
    {'x': ['0.123', '2.500']}
    """
    return data.apply(lambda col: col.map(lambda v: _fmt(v, digits))).astype(str)


class _Default:
    """A member every result answers with ``value`` unless the subclass has its own.

    A subclass may store the member as a dataclass field (with or without a default): the
    instance's value then wins, because this descriptor defines no ``__set__``. Read on the
    class it raises AttributeError, so a subclass field of the same name does not silently
    inherit a default (which would break the order of dataclass fields).
    """

    def __init__(self, value: Any, doc: str) -> None:
        self.value = value
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self.name)
        return self.value


@dataclass(frozen=True)
class Result:
    """Base class of coachstats results.

    Subclasses are frozen dataclasses holding numbers (no prose beyond short notes), and
    implement ``to_frame``. ``title`` and ``notes`` give ``summary()`` its heading and its
    caveats; override them as properties.

    Every member a report reads is declared here with a default, so a report never has to
    guess: ``notes``, ``cautions``, ``assumptions()``, ``limitations()``, ``diagnostics``
    (None, or the sampler's :class:`coachstats.bayes.Diagnostics`), ``n_dropped`` (0) and
    ``dropped`` (reason -> count), ``suppressions()``, ``interpret()`` and ``headline()``;
    Bayesian results also name their point summary (``central``) and may share the
    posterior draws of a term (``posterior_draws``).

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

    #: Sampler diagnostics of a Bayesian fit (a Result), None for other estimators.
    diagnostics = _Default(None, "Sampler diagnostics (a Result), or None.")
    #: Rows (or people) left out before fitting; reasons and counts in :attr:`dropped`.
    n_dropped = _Default(0, "How many rows (or people) were left out before fitting.")
    #: What ``estimate`` holds when it is not the obvious one ("posterior median"), or None.
    central = _Default(None, "The point summary in ``estimate`` when it needs naming, or None.")

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
        diag = self.diagnostics
        return tuple(diag.cautions) if isinstance(diag, Result) else ()

    @property
    def dropped(self) -> dict[str, int]:
        """Why data were left out before fitting: a plain-words reason -> how many.

        Empty when nothing was dropped. By default one reason, rows with a missing value,
        counted by ``n_dropped``; results that know more say more (which column, or people
        measured at one occasion only).
        """
        n = int(self.n_dropped or 0)
        return {"rows with a missing value in a column the analysis uses": n} if n else {}

    def assumptions(self) -> list[str]:
        """What the estimate assumes, in plain words (empty if the result says nothing)."""
        return []

    def limitations(self) -> list[str]:
        """What the estimate cannot tell, in plain words (empty if the result says nothing)."""
        return []

    def suppressions(self, analysis: str = "") -> list[_suppression.Suppression]:
        """One :class:`coachstats.privacy.Suppression` per row withheld for privacy.

        By default the rows of ``to_frame()`` whose ``suppressed`` column is true (the reason
        from a ``reason`` column when there is one).
        """
        frame = self.to_frame()
        if SUPPRESSED not in frame.columns:
            return []
        out = []
        for _, r in frame.loc[frame[SUPPRESSED].fillna(False).astype(bool)].iterrows():
            why = r.get("reason")
            out.append(_suppression.Suppression(
                analysis, f"estimate for {r.get('term', 'a row')}",
                str(why) if isinstance(why, str) and why else
                "a group with fewer people than the minimum group size", "minimum group size"))
        return out

    def interpret(self) -> list[Interpretation]:
        """Labels of the estimates by named rules (:mod:`coachstats.interpret`); none by
        default."""
        return []

    def posterior_draws(self, term: str) -> np.ndarray | None:
        """Posterior draws of the ``to_frame()`` row ``term``, or None if none are kept."""
        return None

    def headline(self) -> tuple[str, ...]:
        """The term(s) a summary leads with: by default the first with an estimate."""
        frame = self.to_frame()
        if "term" not in frame.columns or "estimate" not in frame.columns:
            return ()
        ok = pd.to_numeric(frame["estimate"], errors="coerce").notna().to_numpy()
        terms = frame["term"].astype(str).to_numpy()[ok]
        return (str(terms[0]),) if len(terms) else ()

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



def term_intervals(data: pd.DataFrame, ax: Any = None, *, xlabel: str = "estimate",
                   color: str = "C0") -> Any:
    """One row per term: the estimate and its interval, with a dashed line at zero.

    Parameters
    ----------
    data : DataFrame
        Columns ``term``, ``estimate``, ``ci_low``, ``ci_high`` and ``ci_level``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure sized to the number of terms when None.
    xlabel : str
        Label of the x axis; the interval's level is added to it.
    color : str
        Colour of the markers and intervals.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> t = pd.DataFrame({"term": ["a", "b"], "estimate": [0.2, -0.1], "ci_low": [0.0, -0.3],
    ...                   "ci_high": [0.4, 0.1], "ci_level": [0.95, 0.95]})
    >>> [x.get_text() for x in term_intervals(t).get_yticklabels()]
    ['a', 'b']
    """
    ax = new_axes(ax, figsize=(6.0, 1.2 + 0.45 * len(data)))
    y = np.arange(len(data))[::-1]
    est = data["estimate"].to_numpy(float)
    err = np.vstack([est - data["ci_low"].to_numpy(float),
                     data["ci_high"].to_numpy(float) - est])
    ax.errorbar(est, y, xerr=err, fmt="o", color=color, capsize=3)
    ax.axvline(0, color="0.5", lw=1, ls="--")
    ax.set_yticks(y, data["term"].astype(str))
    lvl = data["ci_level"].dropna()
    ax.set_xlabel(f"{xlabel} ({100 * lvl.iloc[0]:g}% CI)" if len(lvl) else f"{xlabel} (CI)")
    return ax

def missing_reasons(n_dropped: int, by_column: Mapping[str, int] | None = None,
                    what: str = "rows") -> dict[str, int]:
    """``Result.dropped`` for rows (``what``: "studies" ...) left out for missing values: one
    reason naming the columns.

    A row can miss several columns, so the per-column counts are shown in the reason and the
    count is the number of rows.

    Parameters
    ----------
    n_dropped : int
        Number of rows left out.
    by_column : mapping of str to int, optional
        Rows missing each column (a row may count under several columns).
    what : str, default "rows"
        What the rows are, as named in the reason.

    Returns
    -------
    dict of str to int
        One reason mapped to ``n_dropped``; empty when nothing was dropped.

    Examples
    --------
    >>> missing_reasons(3, {"score": 2, "team": 1})
    {'rows with a missing value in score (2), team (1)': 3}
    """
    n = int(n_dropped)
    if not n:
        return {}
    cols = {c: int(k) for c, k in (by_column or {}).items() if k}
    if not cols:
        return {f"{what} with a missing value in a column the analysis uses": n}
    where = ", ".join(f"{c} ({k})" for c, k in cols.items())
    return {f"{what} with a missing value in {where}": n}


def dropped_notes(dropped: Mapping[str, int]) -> list[str]:
    """Notes saying what was left out, one per reason of ``Result.dropped``.

    Parameters
    ----------
    dropped : mapping of str to int
        Reasons mapped to the number of rows (or people) left out for them.

    Returns
    -------
    list of str
        One sentence per reason with a nonzero count.

    Examples
    --------
    >>> dropped_notes({"people measured at one occasion only": 171})
    ['Left out before fitting: people measured at one occasion only (171).']
    """
    return [f"Left out before fitting: {why} ({int(n):,})." for why, n in dropped.items() if n]


def __dir__() -> list[str]:
    # the public names only: imported helpers (np, argparse, ...) are not part of the API
    return sorted(__all__)
