"""Figures of a report: drawn by the results, embedded as PNG, each shown once.

:func:`draw` calls ``result.plot(...)`` (or, for group means, draws a sorted caterpillar with
the overall mean), names the time axis after the study's time column, and returns the PNG.
:class:`FigureLog` remembers every embedded image so the same picture is never shown twice:
a repeat becomes a pointer to the first.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..results import Result
from .glossary import column_words, plural
from .spec import StudySpecError, _check_kwargs

__all__ = ["FigureLog", "caterpillar", "draw"]

#: axis labels that only say "time": replaced by the words of the study's time column
_BARE_TIME = {"time", "t", "duration"}


class FigureLog:
    """Fingerprints of the images already placed in a report."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def first(self, png: str, where: str) -> str | None:
        """None the first time ``png`` is seen (and remember ``where``), else where it was."""
        key = hashlib.sha256(png.encode("ascii")).hexdigest()
        if key in self._seen:
            return self._seen[key]
        self._seen[key] = where
        return None


def caterpillar(frame: pd.DataFrame, *, value: str, group: str, ax: Any = None) -> Any:
    """Group means sorted from lowest to highest with their intervals and the overall mean.

    Parameters
    ----------
    frame : DataFrame
        ``term, estimate, ci_low, ci_high`` rows, one per group; a row ``overall`` (if any)
        gives the dashed reference line. Rows without an estimate (withheld) are left out.
    value, group : str
        Words for the axis labels (the outcome and the grouping level).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> f = pd.DataFrame({"term": ["overall", "t=a", "t=b"], "estimate": [2.0, 1.0, 3.0],
    ...                   "ci_low": [1.8, 0.5, 2.5], "ci_high": [2.2, 1.5, 3.5]})
    >>> caterpillar(f, value="score", group="team").get_xlabel()
    'mean score (95% interval)'
    """
    import matplotlib.pyplot as plt

    rows = frame.loc[pd.to_numeric(frame["estimate"], errors="coerce").notna()]
    overall = rows.loc[rows["term"].astype(str) == "overall", "estimate"]
    g = rows.loc[rows["term"].astype(str) != "overall"].sort_values("estimate")
    n = len(g)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, min(9.0, 2.0 + 0.12 * n)), layout="constrained")
    y = np.arange(n)
    est = g["estimate"].to_numpy(float)
    lo = g["ci_low"].to_numpy(float)
    hi = g["ci_high"].to_numpy(float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", ms=3, lw=0.8, color="C0",
                ecolor="0.6", label=f"{group} mean with 95% interval")
    if len(overall):
        ax.axvline(float(overall.iloc[0]), color="C3", ls="--", lw=1.2,
                   label=f"overall mean {float(overall.iloc[0]):.2f}")
    if n <= 25:
        ax.set_yticks(y, [str(t).split("=", 1)[-1] for t in g["term"]], fontsize=8)
    else:
        ax.set_yticks([])
    ax.set_ylabel(f"{n} {plural(group)}, sorted by their mean")
    ax.set_xlabel(f"mean {value} (95% interval)")
    ax.set_title(f"Mean {value} per {group}, lowest to highest")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def _axes_of(out: Any, ax: Any) -> list[Any]:
    fig = _figure_of(out, ax)
    return list(fig.axes) if fig is not None else []


def _figure_of(out: Any, ax: Any) -> Any:
    """The figure ``plot()`` drew on: results return their Axes."""
    from matplotlib.axes import Axes

    if isinstance(out, Axes):
        return out.figure
    if ax is not None:
        return ax.figure
    return None


def _name_time_axis(fig: Any, roles: Mapping[str, Any]) -> None:
    word = next((column_words(roles[k]) for k in ("duration", "time")
                 if isinstance(roles.get(k), str)), None)
    if not word:
        return
    for a in fig.axes:
        if a.get_xlabel().strip().lower() in _BARE_TIME:
            a.set_xlabel(word)


def draw(obj: Any, plot: Mapping[str, Any] | bool, where: str,
         roles: Mapping[str, Any] | None = None) -> tuple[str | None, list[str], str | None]:
    """Draw ``obj`` into a PNG; return (base64, texts in the figure, problem).

    Without a ``figsize`` in the spec the result draws on a figure of its own choosing
    (``plot(ax=None)``: a forest plot sizes itself to its studies); with one, on an Axes of
    that size. ``roles`` (the analysis's arguments) name the time axis.
    """
    if plot is False or not isinstance(obj, Result) or type(obj).plot is Result.plot:
        return None, [], None
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.text import Text


    kwargs = dict(plot) if isinstance(plot, Mapping) else {}
    size = kwargs.pop("figsize", None)
    if size is not None and (
            not isinstance(size, list | tuple) or len(size) != 2
            or not all(isinstance(v, int | float) and 0 < v <= 40 for v in size)):
        raise StudySpecError(f"{where} plot: figsize must be [width, height] in inches, "
                             f"got {size!r}.")
    _check_kwargs(obj.plot, {**kwargs, "ax": None}, f"{where} plot")
    ax = None
    if size is not None:
        ax = Figure(figsize=tuple(size), layout="constrained").add_subplot()
    before = set(plt.get_fignums())
    try:
        with plt.ioff():
            from .privacy import GroupMeansResult

            if isinstance(obj, GroupMeansResult) and not kwargs:
                out = caterpillar(obj.to_frame(), value=column_words(obj.value),
                                  group=column_words(obj.groups[-1]), ax=ax)
            else:
                out = obj.plot(ax=ax, **kwargs)
        fig = _figure_of(out, ax)
        if fig is None:
            return None, [], "the figure could not be drawn (plot() returned no Axes)"
        _name_time_axis(fig, roles or {})
        texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    except NotImplementedError:
        return None, [], None
    except StudySpecError:
        raise
    except Exception as e:  # a broken figure must not hide the numbers
        return None, [], f"the figure could not be drawn ({type(e).__name__}: {e})"
    finally:
        for n in set(plt.get_fignums()) - before:  # figures opened here, nowhere else
            plt.close(n)
    return base64.b64encode(buf.getvalue()).decode("ascii"), texts, None
