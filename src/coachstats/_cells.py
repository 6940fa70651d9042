"""Reduce a panel larger than memory (Parquet dataset or Dask DataFrame) to sufficient cells.

Estimators that only need per-cell counts and sums (unit x period means for DiD, group sums
for nested variance components) can run on data of any size: Dask reads the Parquet files
in partitions, sums within cells, and only the cell table (one row per cell) is brought into
memory. Needs the ``dask`` extra (``pip install coachstats[dask]``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CellTable", "is_out_of_core", "reduce_cells"]


def _is_dask_frame(data: Any) -> bool:
    mod = type(data).__module__
    return mod.startswith("dask") and hasattr(data, "npartitions")


def is_out_of_core(data: Any) -> bool:
    """True for a Parquet path (str / PathLike) or a Dask DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> is_out_of_core(pd.DataFrame()), is_out_of_core("panel.parquet")
    (False, True)
    """
    return isinstance(data, str | os.PathLike) or _is_dask_frame(data)


def _as_dask(data: Any, columns: Sequence[str]) -> Any:
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("Parquet datasets and Dask DataFrames need Dask: "
                          "pip install 'coachstats[dask]'.") from exc
    if _is_dask_frame(data):
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise ValueError(f"data: columns {missing} are not in the Dask DataFrame "
                             f"(columns: {list(data.columns)}).")
        return data[list(columns)]
    path = os.fspath(data)
    if not os.path.exists(path):
        raise FileNotFoundError(f"data: no Parquet file or directory at {path!r}.")
    schema_cols = dd.read_parquet(path).columns
    missing = [c for c in columns if c not in schema_cols]
    if missing:
        raise ValueError(f"data: columns {missing} are not in the Parquet dataset {path!r} "
                         f"(columns: {list(schema_cols)}).")
    return dd.read_parquet(path, columns=list(columns))


@dataclass(frozen=True)
class CellTable:
    """Per-cell counts, sums and constant columns, plus what the reduction saw.

    ``cells`` has the key columns, ``n`` (rows), ``<outcome>_sumsq`` (sum of squares),
    ``<col>_sum`` for the outcome and every summed column and
    ``<col>`` for every column constant within a cell. ``n_rows`` counts the input rows used,
    ``n_dropped`` those dropped for missing values, ``y_sum``/``y_sumsq`` the outcome's sum
    and sum of squares over all rows used.
    """

    cells: pd.DataFrame
    n_rows: int
    n_dropped: int
    y_sum: float
    y_sumsq: float

    @property
    def outcome_sd(self) -> float:
        n = self.n_rows
        if n < 2:
            return float("nan")
        return float(np.sqrt(max(self.y_sumsq - self.y_sum**2 / n, 0.0) / (n - 1)))


def reduce_cells(
    data: Any,
    keys: Sequence[str],
    *,
    outcome: str,
    sums: Sequence[str] = (),
    constant: Sequence[str] = (),
    fill: dict[str, Any] | None = None,
    dropna: bool = False,
) -> CellTable:
    """Group a Parquet dataset / Dask DataFrame by ``keys`` into counts and sums.

    Parameters
    ----------
    data : str, PathLike or dask.dataframe.DataFrame
    keys : sequence of str
        Cell keys (e.g. ``[unit, time]``).
    outcome : str
        Numeric column: summed per cell; its overall sum and sum of squares are kept.
    sums : sequence of str
        Further numeric columns summed per cell (covariates).
    constant : sequence of str
        Columns that must be constant within a cell (cohort, cluster); an error names a
        column that varies.
    fill : dict, optional
        Values for missing entries of ``constant`` columns (e.g. never-treated cohort).
    dropna : bool
        Drop rows with missing values in the used columns (counted) instead of raising.

    Returns
    -------
    CellTable
    """
    fill = dict(fill or {})
    keys, sums, constant = list(keys), list(sums), list(constant)
    used = list(dict.fromkeys([*keys, outcome, *sums, *constant]))
    ddf = _as_dask(data, used)
    for c, v in fill.items():
        ddf[c] = ddf[c].fillna(v)
    import dask

    def cell_sums(frame: Any) -> Any:
        frame = frame.assign(__y2=frame[outcome].astype(float) ** 2)
        spec: dict[str, Any] = {outcome: ["count", "sum"], "__y2": "sum"}
        for c in sums:
            if c != outcome:
                spec[c] = "sum"
        for c in constant:
            spec[c] = ["min", "max"]
        return frame.groupby(keys, sort=False).agg(spec)

    # one pass over the files: missing-value counts, row count and cell sums together
    nulls, n_total, g = dask.compute(ddf.isna().sum(), ddf.shape[0], cell_sums(ddf))
    n_total = int(n_total)
    n_dropped = 0
    if int(nulls.sum()):
        if not dropna:
            bad = {c: int(k) for c, k in nulls.items() if k}
            raise ValueError(
                f"data: missing values in {bad} (column: rows); fill them or pass "
                "dropna=True to drop those rows (they are counted in n_dropped)."
            )
        ddf = ddf.dropna(subset=used)
        n_kept, g = dask.compute(ddf.shape[0], cell_sums(ddf))
        n_dropped = n_total - int(n_kept)
    g.columns = ["_".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in g.columns]
    g = g.reset_index().sort_values(keys, kind="stable").reset_index(drop=True)
    for c in constant:
        varies = g[f"{c}_min"] != g[f"{c}_max"]
        if varies.any():
            where = g.loc[varies, keys].head(3).to_dict("records")
            raise ValueError(f"{c}: column {c!r} varies within {' x '.join(keys)} cells "
                             f"(e.g. {where}); it must be constant within each cell.")
    out = g[keys].copy()
    for c in constant:
        out[c] = g[f"{c}_min"]
    out["n"] = g[f"{outcome}_count"].astype(np.int64)
    out[f"{outcome}_sum"] = g[f"{outcome}_sum"].astype(float)
    out[f"{outcome}_sumsq"] = g["__y2_sum"].astype(float)
    for c in sums:
        if c != outcome:
            out[f"{c}_sum"] = g[f"{c}_sum"].astype(float)
    n_used = n_total - n_dropped
    return CellTable(cells=out, n_rows=n_used, n_dropped=n_dropped,
                     y_sum=float(out[f"{outcome}_sum"].sum()),
                     y_sumsq=float(g["__y2_sum"].sum()))
