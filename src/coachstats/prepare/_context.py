"""Who is calling a prepare step, so advice names what that caller can change.

From Python the advice names an argument (``pass dayfirst=True``); from a study spec it names
the TOML key of the step (``set dayfirst = true in [data.hr] prepare step 2 (durations)``).
Rows are named as a spreadsheet shows them (header = row 1) with the key values of the row.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

import pandas as pd

_SPEC: contextvars.ContextVar[str | None] = contextvars.ContextVar("prepare_spec", default=None)
_SHOW = 5


@contextlib.contextmanager
def spec_step(where: str) -> Iterator[None]:
    """Phrase advice for a study spec while the block runs (``where`` names the step)."""
    token = _SPEC.set(where)
    try:
        yield
    finally:
        _SPEC.reset(token)


def in_spec() -> bool:
    return _SPEC.get() is not None


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


def advise(arg: str, value: Any = None, what: str = "") -> str:
    """'pass arg=value' from Python, 'set arg = value in <step>' from a study spec."""
    where = _SPEC.get()
    if where is None:
        shown = f"{arg}={value!r}" if value is not None else f"{arg}=..."
        return f"pass {shown}{what}"
    shown = f"{arg} = {_toml(value)}" if value is not None else f"{arg} = ..."
    return f"set {shown} in {where}{what}"


def arg_name(arg: str) -> str:
    """How to name an argument: ``dayfirst=`` from Python, key ``dayfirst`` in a spec."""
    where = _SPEC.get()
    return f"{arg}=" if where is None else f"key {arg} of {where}"


def row_label(data: pd.DataFrame, label: Hashable, keys: Sequence[str] = ()) -> str:
    """'row 14 (EmployeeID E0012)': the spreadsheet row (header = row 1) and key values."""
    if pd.api.types.is_integer_dtype(data.index.dtype):
        head = f"row {int(label) + 2}"  # type: ignore[arg-type]
    else:
        head = f"index {label!r}"
    shown = [f"{k} {data.at[label, k]}" for k in keys if k in data.columns]
    return head + (f" ({', '.join(shown)})" if shown else "")


def shown(v: Any) -> str:
    """A cell as the file shows it: text quoted, numbers plain, blanks as (blank)."""
    if isinstance(v, str):
        return repr(v)
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return "(blank)"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "item"):
        return shown(v.item())
    return str(v)


def rows_text(data: pd.DataFrame, labels: Sequence[Hashable], keys: Sequence[str] = (),
              values: pd.Series | None = None) -> str:
    """The first few offending rows, with the offending value as it appears in the file."""
    out = []
    for lab in list(labels)[:_SHOW]:
        s = row_label(data, lab, keys)
        if values is not None:
            s += f": {shown(values.loc[lab])}"
        out.append(s)
    more = f" and {len(labels) - _SHOW} more" if len(labels) > _SHOW else ""
    return "; ".join(out) + more


def missing_columns(data: pd.DataFrame, wanted: dict[str, Sequence[str] | str | None]) -> None:
    """Raise one ValueError listing every missing column (names exactly as in the file)."""
    missing: list[str] = []
    for arg, cols in wanted.items():
        if cols is None:
            continue
        for c in [cols] if isinstance(cols, str) else cols:
            if c not in data.columns:
                missing.append(f"{c!r} ({arg_name(arg)})")
    if missing:
        have = ", ".join(repr(c) for c in data.columns[:40])
        raise ValueError(
            f"column(s) not found: {', '.join(missing)}. The file's columns are: {have}. "
            "Names must match exactly (including capitals and spaces)."
        )
