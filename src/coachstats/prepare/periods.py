"""Survey dates -> wave numbers, and coaching start dates -> cohorts (the first wave a unit
was coached in), the two columns a staggered difference-in-differences needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_dataframe
from ._context import advise, missing_columns, rows_text
from ._dates import parse_dates

__all__ = ["cohorts", "waves"]

_FREQ = {"QS": "Q", "Q": "Q", "MS": "M", "M": "M", "YS": "Y", "AS": "Y", "Y": "Y", "A": "Y",
         "W": "W", "D": "D"}


def _calendar(calendar: Sequence[Any], dayfirst: bool | None) -> pd.DatetimeIndex:
    cal = parse_dates(pd.Series(list(calendar)), dayfirst=dayfirst, column="calendar")
    if cal.isna().any():
        raise ValueError("calendar: every wave opening date must be given (no blanks).")
    idx = pd.DatetimeIndex(cal)
    if not idx.is_monotonic_increasing or idx.has_duplicates:
        raise ValueError(
            f"calendar: wave opening dates must be in increasing order without repeats, got "
            f"{[d.strftime('%Y-%m-%d') for d in idx]}; {advise('calendar')} with sorted dates.")
    return idx


def _period_freq(freq: str) -> str:
    f = str(freq).upper()
    if f not in _FREQ:
        raise ValueError(f"freq={freq!r} is not supported; choose one of "
                         "'QS' (quarters), 'MS' (months), 'YS' (years), 'W' (weeks).")
    return _FREQ[f]


def _one_of(calendar: Any, freq: Any) -> None:
    if (calendar is None) == (freq is None):
        raise ValueError(
            f"give the wave calendar or a fixed frequency, not both and not neither: "
            f"{advise('calendar', ['2024-03-01', '2024-09-01'])} (wave opening dates) or "
            f"{advise('freq', 'QS')}.")


def waves(
    data: pd.DataFrame,
    date: str,
    *,
    calendar: Sequence[Any] | None = None,
    freq: str | None = None,
    start: Any = None,
    window_days: int | None = None,
    dayfirst: bool | None = None,
    person: str | None = None,
    name: str = "wave",
) -> pd.DataFrame:
    """Number survey waves from answer dates.

    With a ``calendar`` (the opening date of each wave) an answer belongs to the last wave
    that opened on or before it, so answers spread over a fieldwork window stay in one wave;
    with ``freq`` (``"QS"`` quarters, ``"MS"`` months, ``"YS"`` years) waves are calendar
    periods counted from the period of ``start`` (default: the earliest answer).

    Parameters
    ----------
    data : DataFrame
        One row per answer; never modified.
    date : str
        The answer-date column (ISO, day-first or month-first text, Excel numbers).
    calendar : sequence of dates, optional
        Wave opening dates in increasing order; wave 1 opens on the first.
    freq : str, optional
        Fixed frequency instead of a calendar.
    start : date, optional
        With ``freq``: the date whose period is wave 1.
    window_days : int, optional
        With ``calendar``: fieldwork length; an answer more than this many days after its
        wave opened is an error (it belongs to no wave).
    dayfirst : bool, optional
        Passed to the date parser (see :func:`coachstats.prepare.parse_dates`).
    person : str, optional
        Person column, used to name rows in error messages.
    name : str
        Name of the new column.

    Returns
    -------
    DataFrame
        A copy of ``data`` with an integer column ``name`` (1 = first wave).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"SurveyDate": ["2024-03-04", "2024-03-20", "2024-09-02"]})
    >>> waves(df, "SurveyDate", calendar=["2024-03-01", "2024-09-01"])["wave"].tolist()
    [1, 1, 2]
    """
    df = check_dataframe(data)
    missing_columns(df, {"date": date, "person": person})
    _one_of(calendar, freq)
    keys = [person] if person else []
    d = parse_dates(df[date], dayfirst=dayfirst, column=date, data=df, keys=keys)
    if d.isna().any():
        raise ValueError(
            f"column {date!r} is blank in {int(d.isna().sum())} row(s) "
            f"({rows_text(df, list(d.index[d.isna()]), keys)}): an answer without a date "
            "cannot be placed in a wave. Fill in the dates or remove those rows from the file.")
    if calendar is not None:
        cal = _calendar(calendar, dayfirst)
        w = np.searchsorted(cal.values, d.values, side="right")
        early = w == 0
        if early.any():
            raise ValueError(
                f"column {date!r}: {int(early.sum())} answer(s) are dated before the first "
                f"wave opened ({cal[0]:%Y-%m-%d}): "
                f"{rows_text(df, list(d.index[early]), keys, values=df[date])}. Add the "
                f"earlier wave to the calendar ({advise('calendar')}) or correct the dates.")
        if window_days is not None:
            opened = cal.values[w - 1]
            late = (d.values - opened) > np.timedelta64(int(window_days), "D")
            if late.any():
                raise ValueError(
                    f"column {date!r}: {int(late.sum())} answer(s) came more than "
                    f"{window_days} days after their wave opened: "
                    f"{rows_text(df, list(d.index[late]), keys, values=df[date])}. Widen the "
                    f"fieldwork window ({advise('window_days')}) or add the missing wave to "
                    "the calendar.")
    else:
        pf = _period_freq(str(freq))
        per = d.dt.to_period(pf)
        first = (pd.Period(parse_dates([start], dayfirst=dayfirst).iloc[0], pf)
                 if start is not None else per.min())
        w = np.array([p.ordinal for p in per]) - first.ordinal + 1
        if (w < 1).any():
            bad = d.index[w < 1]
            raise ValueError(f"column {date!r}: answers before start={start!r}: "
                             f"{rows_text(df, list(bad), keys, values=df[date])}.")
    out = df.copy()
    out[name] = np.asarray(w, dtype=int)
    return out


def cohorts(
    data: pd.DataFrame,
    start_date: str,
    *,
    calendar: Sequence[Any] | None = None,
    freq: str | None = None,
    start: Any = None,
    unit: str | None = None,
    person: str | None = None,
    time: str | None = None,
    dayfirst: bool | None = None,
    name: str = "cohort",
) -> pd.DataFrame:
    """The wave in which coaching began: the first wave opening on or after the start date.

    A blank start date means never coached (cohort 0). A start date after the last wave of
    the calendar also gives 0 (not coached within the survey window), with a warning.

    Parameters
    ----------
    data : DataFrame
        Never modified.
    start_date : str
        The coaching start-date column (blank = never coached).
    calendar, freq, start, dayfirst :
        The waves, as in :func:`waves`.
    unit : str, optional
        The level at which coaching is assigned (manager, team). The cohort must be the
        same for every row of a unit; otherwise an error lists the offending units.
    person, time : str, optional
        With both, people whose first answer in a coached unit comes after the unit's
        first wave and at or after its cohort are flagged in ``joined_after_treatment``:
        they joined a unit that was already coached and are not a later cohort. Pass the
        flag to the DiD estimators (``did.staggered(..., joined="joined_after_treatment")``,
        also ``did.event_study`` and ``did.two_by_two``): they exclude those rows by default
        or keep them with ``joiners="keep"``, and count them in the result's notes.
    name : str
        Name of the new column.

    Returns
    -------
    DataFrame
        A copy of ``data`` with integer column ``name`` (0 = never) and, with ``person``
        and ``time``, boolean ``joined_after_treatment``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"CoachingStartDate": ["2024-02-10", "", "2024-03-01"]})
    >>> cal = ["2024-01-01", "2024-03-01", "2024-06-01"]
    >>> cohorts(df, "CoachingStartDate", calendar=cal)["cohort"].tolist()
    [2, 0, 2]
    """
    import warnings

    df = check_dataframe(data)
    missing_columns(df, {"start_date": start_date, "unit": unit, "person": person,
                         "time": time})
    _one_of(calendar, freq)
    keys = [k for k in (unit, person) if k]
    d = parse_dates(df[start_date], dayfirst=dayfirst, column=start_date, data=df, keys=keys)
    coh = np.zeros(len(df), dtype=int)
    has = d.notna().to_numpy()
    if calendar is not None:
        cal = _calendar(calendar, dayfirst)
        idx = np.searchsorted(cal.values, d.values[has], side="left") + 1
        after = idx > len(cal)
        idx[after] = 0
        coh[has] = idx
        n_after = int(after.sum())
        last = f"the last wave ({cal[-1]:%Y-%m-%d})"
    else:
        pf = _period_freq(str(freq))
        dd = d[has]
        per = dd.dt.to_period(pf)
        on_open = (dd == per.dt.start_time).to_numpy()
        ords = np.array([p.ordinal for p in per]) + (~on_open)
        if start is None:
            raise ValueError(
                f"with freq, say which period is wave 1 so cohorts match the waves: "
                f"{advise('start', '2024-01-01')} (the same start as for the waves step).")
        first = pd.Period(parse_dates([start], dayfirst=dayfirst).iloc[0], pf).ordinal
        coh[has] = ords - first + 1
        n_after = 0
        last = ""
    if n_after:
        warnings.warn(
            f"{n_after} row(s) of {start_date!r} start after {last}: cohort 0 (not coached "
            "within the survey window).", UserWarning, stacklevel=2)
    out = df.copy()
    out[name] = coh
    if unit is not None:
        n_coh = out.groupby(unit, sort=False)[name].nunique()
        bad = n_coh[n_coh > 1]
        if len(bad):
            ex = []
            for u in bad.index[:5]:
                vals = sorted({str(v) if str(v).strip() else "(blank)"
                               for v in df.loc[out[unit] == u, start_date].fillna("")})
                ex.append(f"{unit} {u}: {', '.join(vals)}")
            raise ValueError(
                f"column {start_date!r} must give one coaching start per {unit!r} (coaching is "
                f"assigned by {unit}), but {len(bad)} {unit}(s) have several: "
                f"{'; '.join(ex)}. Correct the file so each {unit} has one start date (or "
                f"blanks for never), or choose the level coaching is assigned at "
                f"({advise('unit')}).")
    if person is not None and time is not None:
        if unit is None:
            raise ValueError(f"joiners are found within a unit: {advise('unit')} as well.")
        first_unit = out.groupby(unit)[time].transform("min")
        first_person = out.groupby([unit, person])[time].transform("min")
        out["joined_after_treatment"] = ((out[name] > 0) & (first_person > first_unit)
                                         & (first_person >= out[name]))
    return out
