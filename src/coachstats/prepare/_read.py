"""Read an HR export as the system wrote it: .xlsx sheets, ``;``-separated CSV with decimal
commas, UTF-8 with a byte-order mark or a legacy Windows encoding, trailing empty rows.

Anything that cannot be read safely is refused with a message naming the problem; no column
is silently read as text when it holds numbers.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from ._context import advise, rows_text

__all__ = ["read"]

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
_COMMA_NUMBER = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d+$|^[+-]?\d+,\d+$")
_PERCENT = re.compile(r"^[+-]?\d+([.,]\d+)?\s*%$")


def _decode(raw: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding is not None:
        return raw.decode(encoding), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict"), "cp1252"


def _sniff(text: str, sep: str | None) -> str:
    if sep is not None:
        return sep
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=";,\t|").delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        return max(";,\t|", key=first.count)


def _header_problems(columns: list[str]) -> None:
    seen: dict[str, int] = {}
    dup = []
    for c in columns:
        key = str(c).strip()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            dup.append(key)
    if dup:
        raise ValueError(
            f"the header repeats column name(s) {', '.join(map(repr, dup))}; each column needs "
            "its own name (rename the copies in the file, e.g. 'Cost' -> 'Cost travel')."
        )
    blank = [i + 1 for i, c in enumerate(columns) if str(c).strip() == "" or
             str(c).startswith("Unnamed:")]
    if blank:
        raise ValueError(
            f"column(s) {blank} (counting from 1) have no header; give every column a name "
            "in the first row of the file."
        )


def _repeated_headers(df: pd.DataFrame, name: str) -> None:
    """Refuse header rows repeated between data rows (exports concatenated page by page)."""
    if df.empty:
        return
    cells = df.astype(str).apply(lambda col: col.str.strip())
    blank = df.isna() | cells.isin(["", "nan", "None", "NaT"])
    names = pd.Series([str(c).strip() for c in df.columns], index=df.columns)
    same = cells.eq(names, axis=1)
    n_same = same.sum(axis=1)
    hit = (same | blank).all(axis=1) & (n_same >= max(1, -(-df.shape[1] // 2)))
    if hit.any():
        rows = [int(i) + 2 for i in df.index[hit.to_numpy()]]
        shown = ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10} more"
                                                  if len(rows) > 10 else "")
        raise ValueError(
            f"{name}: the header row is repeated at row(s) {shown} (header = row 1), as "
            "exports joined page by page do. Those rows are column names, not data: delete "
            "them from the file (or export in one piece) and read it again; nothing is "
            "dropped automatically."
        )


def _fix_types(df: pd.DataFrame, decimal: str) -> pd.DataFrame:
    """Numbers stored as text (decimal commas, percentages) -> refuse or convert, never keep."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        vals = s.dropna().astype(str).str.strip()
        vals = vals[vals != ""]
        if vals.empty:
            continue
        plain = vals.str.match(_NUMBER)
        comma = vals.str.match(_COMMA_NUMBER)
        pct = vals.str.match(_PERCENT)
        if comma.mean() > 0.5 or (comma.any() and (comma | plain).all()):
            if decimal != ",":
                raise ValueError(
                    f"column {c!r} holds numbers with decimal commas (e.g. "
                    f"{vals[comma].iloc[0]!r}); {advise('decimal', ',')} to read them as numbers."
                )
        if pct.mean() > 0.5:
            raise ValueError(
                f"column {c!r} holds percentages written with a % sign (e.g. "
                f"{vals[pct].iloc[0]!r}); save the column as plain numbers (30 for 30%) and "
                "use the percent step (prepare.percent) to turn them into shares."
            )
        if plain.all():
            out[c] = pd.to_numeric(s.where(s.astype(str).str.strip() != ""))
            continue
        if plain.mean() > 0.8:
            bad = vals.index[~plain]
            raise ValueError(
                f"column {c!r} holds numbers but also text in {int((~plain).sum())} row(s): "
                f"{rows_text(df, list(bad), values=s)}. Correct or blank those cells; the "
                "column is not read as text."
            )
    return out


def read(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Excel export into a DataFrame, refusing anything it cannot read safely.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.txt``, ``.tsv`` or ``.xlsx``.
    sheet : str or int, optional
        The worksheet of an ``.xlsx`` file (required when the workbook has several sheets).
    sep : str, optional
        Field separator; detected (``,``, ``;``, tab, ``|``) when None.
    decimal : str, optional
        Decimal mark; ``","`` is assumed for ``;``-separated files, ``"."`` otherwise.
    encoding : str, optional
        Text encoding; detected when None (UTF-8 with or without a byte-order mark, UTF-16,
        else Windows-1252).

    Returns
    -------
    DataFrame
        One row per data row of the file; the index is the row number minus 2, so row
        ``i`` of the frame is row ``i + 2`` of the spreadsheet (header = row 1). Column names
        are kept exactly as in the file. Trailing empty rows are dropped.

    Raises
    ------
    ValueError
        When the file cannot be read safely, naming the problem and the spreadsheet rows:
        repeated or blank column names, empty rows between data rows, numbers written as
        text, and a header row repeated between data rows (exports joined page by page),
        which is refused rather than dropped: delete those rows in the file.

    Examples
    --------
    >>> df = read("data/raw-examples/survey_export.csv")   # doctest: +SKIP
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p} does not exist.")
    suf = p.suffix.lower()
    if suf in (".xlsx", ".xlsm"):
        try:
            import openpyxl  # noqa: F401
        except ImportError:  # pragma: no cover - openpyxl is a dependency
            raise ImportError("reading .xlsx needs openpyxl: pip install openpyxl") from None
        with pd.ExcelFile(p, engine="openpyxl") as book:
            df = _read_sheet(book, p, sheet)
        dec = decimal or "."
    elif suf in (".csv", ".txt", ".tsv"):
        text, _ = _decode(p.read_bytes(), encoding)
        use_sep = "\t" if (suf == ".tsv" and sep is None) else _sniff(text, sep)
        dec = decimal or ("," if use_sep == ";" else ".")
        first = next(csv.reader(io.StringIO(text), delimiter=use_sep), [])
        _header_problems(first)
        df = pd.read_csv(io.StringIO(text), sep=use_sep, decimal=dec, skip_blank_lines=False,
                         dtype=object if dec == "," else None)
        if dec == ",":
            df = _comma_numbers(df)
    else:
        raise ValueError(f"cannot read {p.name}: use a .csv, .tsv, .txt or .xlsx file.")
    empty = df.isna().all(axis=1) | df.astype(str).apply(
        lambda col: col.str.strip().isin(["", "nan", "None", "NaT"])).all(axis=1)
    if empty.any():
        last = len(df) - int(empty[::-1].cummin().sum())
        inner = [int(i) for i in df.index[:last][empty.to_numpy()[:last]]]
        if inner:
            raise ValueError(
                f"{p.name}: row(s) {', '.join(str(i + 2) for i in inner[:5])} are empty between "
                "data rows (header = row 1); delete them or check that the export is complete."
            )
        df = df.iloc[:last]
    _repeated_headers(df, p.name)
    df = _fix_types(df, dec)
    df.columns = [str(c) for c in df.columns]
    return df.reset_index(drop=True)


def _read_sheet(book: pd.ExcelFile, p: Path, sheet: str | int | None) -> pd.DataFrame:
    if sheet is None:
        if len(book.sheet_names) > 1:
            raise ValueError(
                f"{p.name} has several sheets ({', '.join(map(repr, book.sheet_names))}); "
                f"{advise('sheet', book.sheet_names[0])} to say which one to read.")
        sheet = book.sheet_names[0]
    if isinstance(sheet, str) and sheet not in book.sheet_names:
        raise ValueError(f"{p.name} has no sheet {sheet!r}; its sheets: "
                         f"{', '.join(map(repr, book.sheet_names))}.")
    head = pd.read_excel(book, sheet_name=sheet, header=None, nrows=1)
    _header_problems([("" if pd.isna(v) else str(v)) for v in head.iloc[0].tolist()])
    return pd.read_excel(book, sheet_name=sheet)


def _comma_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """With decimal commas, turn columns whose every value is a number into numbers."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        vals = s.dropna().astype(str).str.strip()
        vals = vals[vals != ""]
        if vals.empty:
            out[c] = pd.to_numeric(s.where(s.astype(str).str.strip() != ""), errors="coerce")
            continue
        ok = (vals.str.match(_COMMA_NUMBER) | vals.str.match(r"^[+-]?\d+$")
              | vals.str.match(r"^[+-]?\d{1,3}(\.\d{3})+$"))
        if ok.all():
            num = vals.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            new = pd.Series(float("nan"), index=s.index)
            new[vals.index] = pd.to_numeric(num)
            whole = not vals.str.contains(",").any() and not new.isna().any()
            out[c] = new.astype("int64") if whole else new
        else:
            out[c] = s.where(s.astype(str).str.strip() != "")
    return out
