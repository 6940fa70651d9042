"""One date parser for every prepare step: ISO dates, day-first or month-first text, Excel
serial numbers and datetimes, with blanks kept as missing ("not yet")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._context import advise, rows_text

__all__ = ["parse_dates"]

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_DAYFIRST_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y")
_MONTHFIRST_FORMATS = ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")
_ISO_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d")


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | s.astype(str).str.strip().isin(["", "NaT", "nan", "None"])


def _try(text: pd.Series, formats: Sequence[str]) -> tuple[pd.Series, int]:
    """Parse with the first format for each value; return dates and how many stayed unparsed."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = out.isna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out, int(out.isna().sum())


def parse_dates(
    values: pd.Series | Sequence[Any],
    *,
    dayfirst: bool | None = None,
    column: str = "",
    data: pd.DataFrame | None = None,
    keys: Sequence[str] = (),
) -> pd.Series:
    """Turn a column of dates as exported by HR systems into ``datetime64`` values.

    Accepts datetimes, ISO text (``2024-03-31``), day-first text (``31/03/2024``,
    ``31.03.2024``) or month-first text (``03/31/2024``), and Excel serial day numbers
    (``45382``). Blanks stay missing (NaT): in an HR export a blank date means the event has
    not happened yet, never an error.

    Parameters
    ----------
    values : Series or sequence
        The raw column.
    dayfirst : bool, optional
        Whether ``01/02/2024`` is 1 February (True, UK/European) or 2 January (False, US).
        If None, it is inferred when unambiguous (some day above 12) and otherwise an error
        asks for it.
    column : str
        The column's name, used in error messages.
    data, keys : DataFrame and column names, optional
        Used to name offending rows as a spreadsheet shows them, with their key values.

    Returns
    -------
    Series
        ``datetime64[ns]`` with the input's index.

    Examples
    --------
    >>> parse_dates(["31/01/2024", "", "45382"], dayfirst=True).dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-31', nan, '2024-03-31']
    """
    s = values.copy() if isinstance(values, pd.Series) else pd.Series(list(values))
    name = f"column {column!r}" if column else "dates"
    if pd.api.types.is_datetime64_any_dtype(s):
        return pd.to_datetime(s).astype("datetime64[ns]")
    blank = _blank(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.astype(float)
    else:
        num = pd.to_numeric(s.where(~blank).astype(str).str.strip(), errors="coerce")
        num[blank] = np.nan
    # Excel serial numbers: 1 = 1900-01-01 (Excel's 1900 leap-year bug makes day 60 invalid)
    serial = num.notna() & ~blank & (num > 60) & (num < 2958466)
    text = s.where(~blank & ~serial).astype(str).str.strip()
    is_ts = s.map(lambda v: isinstance(v, pd.Timestamp | np.datetime64))
    out[is_ts] = pd.to_datetime(s[is_ts])
    out[serial] = _EXCEL_EPOCH + pd.to_timedelta(num[serial].round(6), unit="D")
    todo = ~blank & ~serial & ~is_ts
    if todo.any():
        t = text[todo]
        iso, _ = _try(t, _ISO_FORMATS)
        rest = iso.isna()
        if rest.any():
            tr = t[rest]
            if dayfirst is None:
                df_, n_df = _try(tr, _DAYFIRST_FORMATS)
                mf_, n_mf = _try(tr, _MONTHFIRST_FORMATS)
                if n_df == 0 and n_mf == 0 and not df_.equals(mf_):
                    ex = tr[df_ != mf_].iloc[0]
                    raise ValueError(
                        f"{name}: dates like {ex!r} could be day-first or month-first and no "
                        f"date in the column settles it; {advise('dayfirst', True)} for "
                        f"31/01/2024-style dates or {advise('dayfirst', False)} for 01/31/2024."
                    )
                parsed = df_ if n_df <= n_mf else mf_
            else:
                parsed, _ = _try(tr, _DAYFIRST_FORMATS if dayfirst else _MONTHFIRST_FORMATS)
            iso[rest] = parsed
        out[todo] = iso
    bad = out.isna() & ~blank
    if bad.any():
        frame = data if data is not None else pd.DataFrame(index=s.index)
        order = "day-first" if dayfirst else ("month-first" if dayfirst is False else "any")
        raise ValueError(
            f"{name} holds {int(bad.sum())} value(s) that are not dates ({order} text, ISO "
            f"yyyy-mm-dd or Excel day numbers): "
            f"{rows_text(frame, list(s.index[bad]), keys, values=s)}. Correct them in the "
            "file (a blank cell means 'not yet' and is allowed)."
            + ("" if dayfirst is not None else f" If they are month-first, "
               f"{advise('dayfirst', False)}.")
        )
    return out
