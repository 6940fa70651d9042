"""Shared input checks. Every estimator validates through these, so errors read alike.

Each check names the argument and the column, shows the first offending rows (by index
label, never their other contents) and says how to fix the input. Nothing here modifies the
caller's DataFrame: :func:`prepare` returns a new frame.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

_SHOW = 5


def _rows(index: Iterable[Hashable]) -> str:
    idx = list(index)
    shown = ", ".join(repr(i) for i in idx[:_SHOW])
    more = f" and {len(idx) - _SHOW} more" if len(idx) > _SHOW else ""
    return f"{shown}{more}"


def _label(column: str, arg: str | None) -> str:
    return f"Column {column!r}" + (f" (argument {arg}=)" if arg and arg != column else "")


def check_dataframe(data: object, name: str = "data") -> pd.DataFrame:
    """Raise TypeError unless ``data`` is a non-empty pandas DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{name}: expected a pandas DataFrame, got {type(data).__name__}. "
            "Wrap arrays with pandas.DataFrame({...}) first."
        )
    if data.shape[0] == 0:
        raise ValueError(f"{name}: the DataFrame has no rows.")
    return data


def require_columns(data: pd.DataFrame, columns: Mapping[str, str] | Sequence[str]) -> None:
    """Check that every named column exists.

    ``columns`` maps argument names to column names (``{"r": "corr"}``) so the message can
    say which argument to change; a plain sequence of column names also works.
    """
    pairs = columns.items() if isinstance(columns, Mapping) else [(None, c) for c in columns]
    for arg, col in pairs:
        if col is None:
            continue
        if not isinstance(col, str | int):
            raise TypeError(f"argument {arg}=: expected a column name, got {type(col).__name__}.")
        if col not in data.columns:
            available = ", ".join(repr(c) for c in data.columns[:30])
            fix = f"pass {arg}='<column name>'" if arg else "rename the column or pass its name"
            raise ValueError(
                f"{_label(col, arg)} not found in data. "
                f"Available columns: {available}. To fix: {fix}."
            )


def require_numeric(data: pd.DataFrame, column: str, arg: str | None = None) -> None:
    """Raise TypeError if ``column`` holds values that are not numbers (booleans pass)."""
    s = data[column]
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return
    if _looks_like_dates(s):
        raise TypeError(
            f"{_label(column, arg)} holds dates (e.g. {s.dropna().iloc[0]!r}), not "
            "numbers. Turn dates into wave numbers with coachstats.prepare.waves or cohorts, or "
            "into follow-up times and events with coachstats.prepare.durations (blank dates "
            "mean 'not yet' there)."
        )
    coerced = pd.to_numeric(s, errors="coerce")
    bad = s.index[coerced.isna() & s.notna()]
    detail = f"; first non-numeric rows: {_rows(bad)}" if len(bad) else ""
    raise TypeError(
        f"{_label(column, arg)} must be numeric, but has dtype {s.dtype}{detail}. "
        "Convert it with pandas.to_numeric (and decide what the bad entries should be) first."
    )


def require_finite(data: pd.DataFrame, column: str, arg: str | None = None) -> None:
    """Raise unless ``column`` is numeric (TypeError) with no infinite value (ValueError).

    Examples
    --------
    >>> import pandas as pd
    >>> require_finite(pd.DataFrame({"y": [1.0, float("inf")]}), "y")
    Traceback (most recent call last):
    ...
    ValueError: Column 'y' has 1 infinite value(s) (rows 1). Replace them ...
    """
    require_numeric(data, column, arg)
    s = data[column]
    if pd.api.types.is_bool_dtype(s):
        return
    inf = np.isinf(s.to_numpy(dtype=float, na_value=np.nan))
    if inf.any():
        raise ValueError(
            f"{_label(column, arg)} has {int(inf.sum())} infinite value(s) (rows "
            f"{_rows(s.index[inf])}). Replace them with finite numbers, or blank them and pass "
            "dropna=True to leave those rows out."
        )


def _looks_like_dates(s: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    vals = s.dropna().astype(str).str.strip()
    vals = vals[vals != ""].head(50)
    if vals.empty or not vals.str.contains(r"\d+[-/.]\d+[-/.]\d+").all():
        return False
    from .prepare._dates import parse_dates

    for first in (True, False):
        try:
            parse_dates(vals, dayfirst=first)
            return True
        except ValueError:
            continue
    return False


def require_range(
    data: pd.DataFrame,
    column: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    arg: str | None = None,
    hint: str = "",
) -> None:
    """Raise ValueError if any value of ``column`` lies outside [low, high]."""
    x = data[column].to_numpy(dtype=float)
    bad = np.zeros(x.shape, dtype=bool)
    if low is not None:
        bad |= (x < low) if low_inclusive else (x <= low)
    if high is not None:
        bad |= (x > high) if high_inclusive else (x >= high)
    if bad.any():
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = (
            ("[" if low_inclusive else "(") + f"{lo}, {hi}" + ("]" if high_inclusive else ")")
        )
        rows = data.index[bad]
        raise ValueError(
            f"{_label(column, arg)} must lie in {interval}; {bad.sum()} row(s) do "
            f"not: {_rows(rows)}." + (f" {hint}" if hint else "")
        )


def require_min_count(n: int, minimum: int, what: str, hint: str = "") -> None:
    """Raise ValueError if a count is below the minimum an estimator needs."""
    if n < minimum:
        raise ValueError(f"Need at least {minimum} {what}, got {n}." + (f" {hint}" if hint else ""))


def require_min_groups(
    data: pd.DataFrame, column: str, minimum: int, arg: str | None = None
) -> None:
    """Raise ValueError if ``column`` has fewer than ``minimum`` distinct values."""
    k = data[column].nunique(dropna=True)
    require_min_count(k, minimum, "distinct values in " + _label(column, arg).replace("C", "c", 1))


def require_varies(data: pd.DataFrame, column: str, arg: str | None = None, hint: str = "") -> None:
    """Raise ValueError if ``column`` takes a single value (e.g. a treatment that never varies)."""
    if data[column].nunique(dropna=True) < 2:
        raise ValueError(
            f"{_label(column, arg)} never varies (every row is "
            f"{data[column].dropna().iloc[0]!r}); nothing can be compared."
            + (f" {hint}" if hint else "")
        )


def require_unique_keys(data: pd.DataFrame, keys: Sequence[str], hint: str = "") -> None:
    """Raise ValueError if rows repeat the same combination of ``keys`` (e.g. unit-time)."""
    dup = data.duplicated(subset=list(keys), keep=False)
    if dup.any():
        first = data.loc[dup, list(keys)].drop_duplicates().head(_SHOW)
        combos = "; ".join(
            ", ".join(f"{k}={v!r}" for k, v in row.items()) for _, row in first.iterrows()
        )
        raise ValueError(
            f"{int(dup.sum())} rows share a ({', '.join(keys)}) combination with another row, "
            f"e.g. {combos} (rows {_rows(data.index[dup])}). Each combination must appear once: "
            "aggregate or remove the duplicates first." + (f" {hint}" if hint else "")
        )


def require_nested(data: pd.DataFrame, inner: str, outer: str) -> None:
    """Raise ValueError if some ``inner`` group sits under more than one ``outer`` group."""
    counts = data.groupby(inner, observed=True)[outer].nunique()
    crossed = counts[counts > 1]
    if len(crossed):
        examples = []
        for g in crossed.index[:_SHOW]:
            outs = sorted(data.loc[data[inner] == g, outer].unique().tolist(), key=str)
            examples.append(f"{inner}={g!r} under {outer}={outs}")
        raise ValueError(
            f"{len(crossed)} {inner!r} group(s) appear under more than one {outer!r}: "
            f"{'; '.join(examples)}. Levels must nest: give such groups distinct ids per "
            f"{outer} (e.g. combine the two columns) or fix the assignment."
        )


@dataclass(frozen=True)
class MissingReport:
    """How many rows were dropped for missing values, and in which columns."""

    n_input: int
    n_dropped: int
    by_column: dict[str, int]

    @property
    def n_used(self) -> int:
        return self.n_input - self.n_dropped


def prepare(
    data: object,
    columns: Mapping[str, str | None],
    *,
    numeric: Iterable[str] = (),
    dropna: bool = False,
    name: str = "data",
    finite: bool = True,
) -> tuple[pd.DataFrame, MissingReport]:
    """Select, check and copy the columns an estimator uses.

    Parameters
    ----------
    data : DataFrame
        The caller's data; never modified.
    columns : mapping
        Argument name -> column name (``None`` entries are skipped).
    numeric : iterable of str
        Argument names whose columns must be numeric.
    dropna : bool
        If False (default), missing values raise; if True, rows with a missing value in any
        used column are dropped and counted in the returned :class:`MissingReport`.
    name : str
        What ``data`` is called in messages.
    finite : bool
        Refuse infinite values in the numeric columns (default). ``False`` for callers that
        check them with their own message or where infinity means something (a never-
        treated cohort coded ``inf``, as R ``did``).

    Returns
    -------
    frame : DataFrame
        A new frame with the used columns (original names and index).
    missing : MissingReport

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"r": [0.1, 0.3], "n": [50, 80]})
    >>> frame, missing = prepare(df, {"r": "r", "n": "n"}, numeric=["r", "n"])
    >>> missing.n_dropped
    0
    """
    df = check_dataframe(data, name)
    used = {a: c for a, c in columns.items() if c is not None}
    require_columns(df, used)
    cols = list(dict.fromkeys(used.values()))
    out = df.loc[:, cols].copy()
    na = out.isna()
    by_col = {c: int(na[c].sum()) for c in cols if na[c].any()}
    n_drop = 0
    if by_col:
        if not dropna:
            c = next(iter(by_col))
            arg = next(a for a, col in used.items() if col == c)
            if _looks_like_dates(out[c]):
                require_numeric(out, c, arg)  # explains dates; blanks there mean "not yet"
            raise ValueError(
                f"{_label(c, arg)} has {by_col[c]} missing value(s) (rows "
                f"{_rows(out.index[na[c]])}). Fill or remove them, or pass dropna=True to drop "
                "incomplete rows (the result then reports how many were dropped)."
            )
        keep = ~na.any(axis=1)
        n_drop = int((~keep).sum())
        out = out.loc[keep].copy()
        if out.shape[0] == 0:
            raise ValueError(f"{name}: every row has a missing value in {list(by_col)}.")
    for a in numeric:
        if a in used:
            (require_finite if finite else require_numeric)(out, used[a], a)
    return out, MissingReport(n_input=int(df.shape[0]), n_dropped=n_drop, by_column=by_col)


def check_ci_level(ci_level: float) -> float:
    """Return ``ci_level`` as a float in (0, 1), accepting 95 as 0.95 only with an error."""
    if not isinstance(ci_level, int | float) or isinstance(ci_level, bool):
        raise TypeError(f"ci_level: expected a number in (0, 1), got {type(ci_level).__name__}.")
    if not 0 < ci_level < 1:
        hint = f" Did you mean {ci_level / 100:g}?" if 1 < ci_level < 100 else ""
        raise ValueError(f"ci_level must lie in (0, 1), got {ci_level}.{hint}")
    return float(ci_level)


def _fmt(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


def check_int(value: object, name: str, *, minimum: int | None = None, hint: str = "") -> int:
    """Return ``value`` as an int, or raise naming the argument.

    Python and numpy integers pass; booleans, floats (even 3.0) and strings do not.

    Parameters
    ----------
    value : object
        The argument as the caller passed it.
    name : str
        The argument name, used in the message.
    minimum : int, optional
        Smallest allowed value.
    hint : str
        Extra advice appended to the message when the value is below ``minimum``.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` is below ``minimum``.

    Examples
    --------
    >>> check_int(3, "n_boot", minimum=0)
    3
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        hint = f" Did you mean {int(value)}?" if isinstance(value, float) and value.is_integer() \
            else ""
        raise TypeError(f"{name} must be an integer, got {_fmt(value)}.{hint}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}."
                         + (f" {hint}" if hint else ""))
    return int(value)


def check_number(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> float:
    """Return ``value`` as a finite float inside optional bounds, or raise naming the argument.

    Parameters
    ----------
    value : object
        The argument as the caller passed it (int, float or numpy number; not bool).
    name : str
        The argument name, used in the message.
    low, high : float, optional
        Bounds of the allowed interval.
    low_open, high_open : bool
        Whether each bound itself is excluded.
    hint : str
        Extra advice appended to the message when the value is out of range.

    Returns
    -------
    float

    Examples
    --------
    >>> check_number(0.3, "rho", low=-1, high=1, low_open=True, high_open=True)
    0.3
    """
    if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {_fmt(value)}.")
    v = float(value)
    bad = not np.isfinite(v)
    if low is not None:
        bad |= v <= low if low_open else v < low
    if high is not None:
        bad |= v >= high if high_open else v > high
    if bad:
        if low == 0 and high is None:
            need = "positive" if low_open else "non-negative"
            msg = f"{name} must be {need}, got {value!r} (a finite number is needed)."
        else:
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            interval = ("(" if low_open or low is None else "[") + f"{lo}, {hi}" + (
                ")" if high_open or high is None else "]")
            msg = f"{name} must lie in {interval}, got {value!r}."
        raise ValueError(msg + (f" {hint}" if hint else ""))
    return v


def check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite positive float (or non-negative with ``allow_zero``).

    Parameters
    ----------
    value : object
        The argument as the caller passed it.
    name : str
        The argument name, used in the message.
    allow_zero : bool
        Accept 0 as well.

    Returns
    -------
    float

    Examples
    --------
    >>> check_positive(2, "horizon_years")
    2.0
    """
    return check_number(value, name, low=0.0, low_open=not allow_zero)


def check_probability(value: object, name: str, *, open: bool | str = True) -> float:
    """Return ``value`` as a float in the unit interval, or raise naming the argument.

    Parameters
    ----------
    value : object
        The argument as the caller passed it.
    name : str
        The argument name, used in the message.
    open : bool or {"low", "high"}
        True (default): both ends excluded, (0, 1); False: both included, [0, 1];
        ``"low"``: (0, 1]; ``"high"``: [0, 1).

    Returns
    -------
    float

    Examples
    --------
    >>> check_probability(0.05, "alpha")
    0.05
    """
    if open not in (True, False, "low", "high"):
        raise ValueError(f"open={open!r}: choose True, False, 'low' or 'high'.")
    hint = (f"If {value} is a percentage, give {value / 100:g}." if isinstance(value, int | float)
            and not isinstance(value, bool) and 1 < value <= 100 else "")
    return check_number(value, name, low=0.0, high=1.0, low_open=open in (True, "low"),
                        high_open=open in (True, "high"), hint=hint)


def check_choice(value: object, name: str, choices: Sequence[object]) -> object:
    """Return the canonical spelling of ``value`` among ``choices``, or raise naming them.

    Strings compare case-insensitively (``"reml"`` matches ``"REML"``) and the option as
    spelt in ``choices`` is returned, so callers compare against one spelling only.

    Parameters
    ----------
    value : object
        The option as the caller passed it.
    name : str
        The argument name, used in the message.
    choices : sequence
        The valid options, spelt as the code uses them.

    Returns
    -------
    object
        The matching entry of ``choices``.

    Examples
    --------
    >>> check_choice("reml", "method", ("REML", "DL"))
    'REML'
    """
    if isinstance(value, str):
        for c in choices:
            if isinstance(c, str) and c.casefold() == value.casefold():
                return c
    else:
        for c in choices:
            if isinstance(c, str) or isinstance(c, bool) != isinstance(value, bool):
                continue
            try:
                if c is value or bool(c == value):
                    return c
            except (TypeError, ValueError):  # e.g. an array compared elementwise
                continue
    raise ValueError(
        f"{name}={value!r} is not supported; choose one of "
        + ", ".join(repr(c) for c in choices)
        + "."
    )
