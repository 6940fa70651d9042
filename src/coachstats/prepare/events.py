"""HR dates -> survival data: durations with competing end events and censoring, and the
counting-process episodes a time-varying Cox model needs."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .._validate import check_dataframe
from ._context import advise, missing_columns, rows_text
from ._dates import parse_dates

__all__ = ["durations", "episodes"]

_REASON_EXAMPLE = {"column": "Reason", "codes": {"Resigned": "voluntary"}}
_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}


def durations(
    data: pd.DataFrame,
    origin: str,
    end_events: Mapping[str, str] | Sequence[str],
    *,
    censor_at: Any,
    reasons: Mapping[str, Mapping[str, Any]] | None = None,
    time_unit: str = "months",
    dayfirst: bool | None = None,
    person: str | None = None,
    duration: str = "duration",
    event: str = "event",
    censored: str = "censored",
) -> pd.DataFrame:
    """Turn HR dates into follow-up time and the event that ended it.

    A blank end date means the event has not happened (yet): the person is followed until
    ``censor_at`` (the extraction date) unless another end event came first. Blanks are
    never treated as missing data.

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    origin : str
        Start of follow-up (e.g. ``"HireDate"`` or ``"CoachingDate"``).
    end_events : mapping or sequence
        Event code -> date column (``{"exit": "TerminationDate", "promotion":
        "PromotionDate"}``); a list uses the column names as codes. The earliest date ends
        follow-up; on the same day the first listed wins.
    censor_at : date or str
        The extraction date (``"2025-06-30"``) or a column of per-person censoring dates.
    reasons : mapping, optional
        Refine an event by a reason column: ``{"exit": {"column": "TerminationReason",
        "codes": {"Resignation": "voluntary_exit", "Dismissal": "involuntary_exit"}}}``.
        Every reason found on such an event must have a code.
    time_unit : {"months", "days", "weeks", "years"}
        Unit of the duration (months are 365.25/12 days).
    dayfirst : bool, optional
        For text dates such as 03/04/2024 (see :func:`coachstats.prepare.parse_dates`).
    person : str, optional
        Person column, used to name rows in error messages.
    duration, event : str
        Names of the new columns; ``censored`` is the event code of people still in follow-up.
    censored : str, default "censored"
        Event code of people still in follow-up at ``censor_at``.

    Returns
    -------
    DataFrame
        A copy of ``data`` with ``duration`` (float), ``event`` (code) and ``end_date``.
        End dates after ``censor_at`` (e.g. a notice period still running) are censored at
        ``censor_at`` with a warning.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"HireDate": ["01/01/2024", "01/01/2024"],
    ...                    "TerminationDate": ["01/07/2024", ""]})
    >>> out = durations(df, "HireDate", {"exit": "TerminationDate"},
    ...                 censor_at="2025-01-01", dayfirst=True, time_unit="days")
    >>> out[["duration", "event"]].values.tolist()
    [[182.0, 'exit'], [366.0, 'censored']]
    """
    df = check_dataframe(data)
    ends = dict(end_events) if isinstance(end_events, Mapping) else {c: c for c in end_events}
    if not ends:
        raise ValueError(f"end_events is empty; {advise('end_events', {'exit': 'ExitDate'})}.")
    tu = str(time_unit).lower()
    if tu not in _DAYS:
        raise ValueError(f"time_unit={time_unit!r}: choose one of {', '.join(_DAYS)}.")
    reasons = dict(reasons or {})
    reason_cols = {}
    for code, spec in reasons.items():
        if code not in ends:
            raise ValueError(f"reasons names event {code!r}, which is not one of the end "
                             f"events {list(ends)}.")
        if not isinstance(spec, Mapping) or "column" not in spec or "codes" not in spec:
            raise ValueError(
                f"reasons for {code!r} must give column and codes, e.g. "
                f"{advise('reasons', {code: _REASON_EXAMPLE})}.")
        reason_cols[code] = spec["column"]
    censor_col = censor_at if isinstance(censor_at, str) and censor_at in df.columns else None
    missing_columns(df, {"origin": origin, "end_events": list(ends.values()),
                         "person": person, "reasons": list(reason_cols.values())})
    keys = [person] if person else []
    t0 = parse_dates(df[origin], dayfirst=dayfirst, column=origin, data=df, keys=keys)
    if t0.isna().any():
        raise ValueError(
            f"column {origin!r} (the start of follow-up) is blank in {int(t0.isna().sum())} "
            f"row(s): {rows_text(df, list(t0.index[t0.isna()]), keys)}. Without a start date "
            "a person has no follow-up time; fill in the dates in the file.")
    if censor_col is not None:
        cens = parse_dates(df[censor_col], dayfirst=dayfirst, column=censor_col, data=df,
                           keys=keys)
        if cens.isna().any():
            raise ValueError(f"column {censor_col!r} (censor_at) is blank in rows "
                             f"{rows_text(df, list(cens.index[cens.isna()]), keys)}.")
    else:
        c = parse_dates(pd.Series([censor_at]), dayfirst=dayfirst, column="censor_at")
        if c.isna().any():
            raise ValueError(f"censor_at={censor_at!r} is not a date; "
                             f"{advise('censor_at', '2025-06-30')} (the extraction date).")
        cens = pd.Series(c.iloc[0], index=df.index)
    before = t0 > cens
    if before.any():
        raise ValueError(
            f"column {origin!r} is after the censoring date (censor_at) in "
            f"{rows_text(df, list(df.index[before]), keys, values=df[origin])}.")
    end = cens.copy()
    ev = pd.Series(censored, index=df.index, dtype=object)
    n_future = 0
    for code, col in ends.items():
        d = parse_dates(df[col], dayfirst=dayfirst, column=col, data=df, keys=keys)
        early = d < t0
        if early.any():
            raise ValueError(
                f"column {col!r} is before {origin!r} in {int(early.sum())} row(s): "
                f"{rows_text(df, list(df.index[early]), keys, values=df[col])}. Correct the "
                "dates in the file.")
        future = d > cens
        n_future += int(future.sum())
        first = d.notna() & ~future & ((d < end) | ((d == end) & (ev == censored)))
        end[first] = d[first]
        ev[first] = code
    if n_future:
        warnings.warn(f"{n_future} end date(s) fall after censor_at (e.g. notice periods still "
                      "running): those people are censored at censor_at.", UserWarning,
                      stacklevel=2)
    for code, spec in reasons.items():
        col, codes = spec["column"], dict(spec["codes"])
        hit = ev == code
        raw = df.loc[hit, col]
        unmapped = sorted({str(v) for v in raw if str(v) not in codes})
        if unmapped:
            raise ValueError(
                f"column {col!r} has reason(s) {', '.join(map(repr, unmapped))} on {code!r} "
                f"events with no code in reasons; add them to the codes table "
                f"({advise('reasons')}).")
        ev[hit] = raw.astype(str).map(codes)
    out = df.copy()
    out[duration] = ((end - t0).dt.total_seconds() / 86400.0 / _DAYS[tu]).astype(float)
    out[event] = ev.astype(str)
    out["end_date"] = end
    return out


def episodes(
    data: pd.DataFrame,
    *,
    person: str,
    duration: str,
    event: str,
    changes: Mapping[str, str],
    censored: Any = None,
) -> pd.DataFrame:
    """Split each person's follow-up where a covariate switches on (counting-process form).

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    person, duration, event : str
        Person column; follow-up time (from origin, > 0); event code at the end of it.
    changes : mapping
        New covariate -> column with the time (same unit and origin as ``duration``) at which
        it switches from 0 to 1, blank if never: ``{"coached": "coached_month"}``. A time at or
        before 0 means 1 from the start; at or after the end of follow-up, 0 throughout.
    censored : scalar, optional
        Event code for the intervals before the last (default 0 for numeric events,
        ``"censored"`` for text codes).

    Returns
    -------
    DataFrame
        One row per interval: ``person, start, stop, event``, the new covariates and every
        other column of ``data`` (constant within a person). Equal to R
        ``survival::tmerge(..., event(duration, event), covariate = tdc(time))``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": ["a", "b"], "months": [10.0, 8.0], "status": [1, 0],
    ...                    "coached_month": [4.0, None]})
    >>> ep = episodes(df, person="id", duration="months", event="status",
    ...               changes={"coached": "coached_month"})
    >>> ep[["id", "start", "stop", "event", "coached"]].values.tolist()
    [['a', 0.0, 4.0, 0, 0], ['a', 4.0, 10.0, 1, 1], ['b', 0.0, 8.0, 0, 0]]
    """
    df = check_dataframe(data)
    if not changes:
        raise ValueError(f"changes is empty; {advise('changes', {'coached': 'coached_month'})}.")
    missing_columns(df, {"person": person, "duration": duration, "event": event,
                         "changes": list(changes.values())})
    dup = df[person].duplicated(keep=False)
    if dup.any():
        raise ValueError(
            f"column {person!r} repeats people ({rows_text(df, list(df.index[dup]), [person])}): "
            "episodes needs one row per person (their follow-up and change times).")
    keys = [person]
    t = pd.to_numeric(df[duration], errors="coerce")
    bad = t.isna() | (t <= 0)
    if bad.any():
        raise ValueError(
            f"column {duration!r} must be a positive follow-up time in every row; not in "
            f"{rows_text(df, list(df.index[bad]), keys, values=df[duration])}. Dates are turned "
            "into follow-up times by the durations step (prepare.durations).")
    ch = {}
    for new, col in changes.items():
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            num = pd.to_numeric(s, errors="coerce")
            if (num.isna() & s.notna() & (s.astype(str).str.strip() != "")).any():
                raise ValueError(
                    f"column {col!r} holds dates or text; episodes needs the time since the "
                    "start of follow-up at which the change happened. Turn a date into that "
                    "time with the durations step (prepare.durations, origin = the same start "
                    "date, end_events = the change date) first.")
            s = num
        ch[new] = s.astype(float)
    if censored is None:
        censored = 0 if pd.api.types.is_numeric_dtype(df[event]) else "censored"
    rest = [c for c in df.columns if c not in (duration, event, *changes.values())]
    rows = []
    for lab in df.index:
        stop_all = float(t[lab])
        cuts = sorted({float(v[lab]) for v in ch.values()
                       if pd.notna(v[lab]) and 0 < float(v[lab]) < stop_all})
        bounds = [0.0, *cuts, stop_all]
        base = {c: df.at[lab, c] for c in rest}
        for i in range(len(bounds) - 1):
            r = dict(base)
            r["start"], r["stop"] = bounds[i], bounds[i + 1]
            r["event"] = df.at[lab, event] if i == len(bounds) - 2 else censored
            for new, v in ch.items():
                r[new] = int(pd.notna(v[lab]) and float(v[lab]) <= bounds[i])
            rows.append(r)
    cols = [person, "start", "stop", "event", *changes.keys()]
    out = pd.DataFrame(rows)
    return out.loc[:, cols + [c for c in out.columns if c not in cols]]
