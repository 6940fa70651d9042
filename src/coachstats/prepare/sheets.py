"""Columns as ROI and cost sheets give them: percentages and several cost columns."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._validate import check_dataframe
from ._context import advise, missing_columns, rows_text

__all__ = ["flag", "percent", "total"]


def _numeric(df: pd.DataFrame, col: str, keys: Sequence[str]) -> pd.Series:
    s = df[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    num = pd.to_numeric(s, errors="coerce")
    bad = s.index[num.isna() & s.notna() & (s.astype(str).str.strip() != "")]
    raise TypeError(f"column {col!r} must hold numbers; not numbers in "
                    f"{rows_text(df, list(bad), keys, values=s)}.")


def percent(data: pd.DataFrame, columns: str | Sequence[str], *,
            person: str | None = None) -> pd.DataFrame:
    """Turn percentages (0-100) into shares (0-1), refusing values that are not percentages.

    A column whose values all lie in [0, 1] is refused: it probably holds shares already,
    and dividing by 100 would shrink every estimate a hundredfold.

    Parameters
    ----------
    data : DataFrame
        Never modified.
    columns : str or sequence of str
        Percentage columns (e.g. attribution and confidence of an ROI survey).
    person : str, optional
        Person column, used to name rows in error messages.

    Returns
    -------
    DataFrame
        A copy with those columns divided by 100.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Attribution %": [50, 80]})
    >>> percent(df, "Attribution %")["Attribution %"].tolist()
    [0.5, 0.8]
    """
    df = check_dataframe(data)
    cols = [columns] if isinstance(columns, str) else list(columns)
    missing_columns(df, {"columns": cols, "person": person})
    keys = [person] if person else []
    out = df.copy()
    for c in cols:
        v = _numeric(df, c, keys)
        bad = v.notna() & ((v < 0) | (v > 100))
        if bad.any():
            raise ValueError(f"column {c!r} must hold percentages between 0 and 100; not in "
                             f"{rows_text(df, list(v.index[bad]), keys, values=df[c])}.")
        if v.notna().any() and v.max() <= 1:
            raise ValueError(
                f"column {c!r} lies between 0 and 1 already (largest {v.max():g}): it looks like "
                f"shares, not percentages; remove it from {advise('columns')}.")
        out[c] = v / 100.0
    return out


def total(data: pd.DataFrame, columns: Sequence[str], *, name: str,
          blank_as_zero: bool = False, person: str | None = None) -> pd.DataFrame:
    """Add a column summing several (cost) columns; each input column is kept.

    Parameters
    ----------
    data : DataFrame
        Never modified.
    columns : sequence of str
        The columns to add up (e.g. coaching fees, participant time, travel).
    name : str
        The new column.
    blank_as_zero : bool
        Whether a blank cell means zero (e.g. no travel); by default a blank is an error.
    person : str, optional
        Person column, used to name rows in error messages.

    Returns
    -------
    DataFrame
        A copy with column ``name``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Fee": [1000, 1200], "Travel": [200, None]})
    >>> total(df, ["Fee", "Travel"], name="cost", blank_as_zero=True)["cost"].tolist()
    [1200.0, 1200.0]
    """
    df = check_dataframe(data)
    cols = list(columns)
    missing_columns(df, {"columns": cols, "person": person})
    keys = [person] if person else []
    vals = pd.DataFrame({c: _numeric(df, c, keys) for c in cols})
    blank = vals.isna().any(axis=1)
    if blank.any() and not blank_as_zero:
        c = next(c for c in cols if vals[c].isna().any())
        raise ValueError(
            f"column {c!r} is blank in {rows_text(df, list(vals.index[vals[c].isna()]), keys)}. "
            f"If a blank means no cost, {advise('blank_as_zero', True)}; otherwise fill it in.")
    out = df.copy()
    out[name] = vals.fillna(0.0).sum(axis=1)
    return out


def flag(data: pd.DataFrame, column: str, *, name: str) -> pd.DataFrame:
    """Add a 0/1 column: 1 where ``column`` is filled in, 0 where it is blank.

    For exports where a date or code marks that something happened (a coaching date, a
    certificate), and a blank that it did not.

    Parameters
    ----------
    data : DataFrame
        Never modified.
    column : str
        The column whose filled-in cells mean "yes".
    name : str
        The new 0/1 column.

    Returns
    -------
    DataFrame
        A copy with column ``name``.

    Examples
    --------
    >>> import pandas as pd
    >>> flag(pd.DataFrame({"CoachingDate": ["03/02/2024", ""]}), "CoachingDate",
    ...      name="coached")["coached"].tolist()
    [1, 0]
    """
    df = check_dataframe(data)
    missing_columns(df, {"column": column})
    s = df[column]
    filled = s.notna() & (s.astype(str).str.strip() != "")
    out = df.copy()
    out[name] = filled.astype(int)
    return out
