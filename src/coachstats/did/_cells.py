"""Staggered DiD on a panel larger than memory: unit x period cell means for the estimator.

Callaway & Sant'Anna's estimator with ``aggregate=True`` uses only each unit's mean outcome
(and covariate means) per period, so a Parquet dataset or Dask DataFrame is reduced by Dask
to unit x period counts and sums (:func:`cell_panel`) and :func:`coachstats.did.staggered`
runs in memory on the cell means. The result equals the in-memory fit of the same rows (the
same cell means, the same bootstrap draws for the same ``rng``); :func:`with_row_counts`
makes its ``n_individual_rows``, ``outcome_sd`` and ``n_dropped`` describe the input rows.
This module sits below the estimator and never imports it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from .._cells import CellTable, reduce_cells

__all__ = ["cell_panel", "with_row_counts"]


def cell_panel(data: Any, outcome: str, unit: str, time: str, cohort: str,
               **options: Any) -> tuple[pd.DataFrame, CellTable]:
    """One row per unit and period (cell means) from a Parquet path or Dask DataFrame.

    ``options`` are :func:`coachstats.did.staggered`'s; returns the panel the estimator runs
    on and the reduction's counts (for :func:`with_row_counts`).
    """
    if not options.get("panel", True):
        raise ValueError("panel=False (repeated cross-sections) needs the individual rows; "
                         "load them into a pandas DataFrame instead of a Parquet path.")
    covariates = list(options.get("covariates") or [])
    if isinstance(options.get("covariates"), str):
        covariates = [options["covariates"]]
    cluster = options.get("cluster")
    never = options.get("never_treated", 0)
    constant = [cohort] + ([cluster] if cluster else [])
    table = reduce_cells(data, [unit, time], outcome=outcome, sums=covariates,
                         constant=constant, fill={cohort: never}, dropna=options.get(
                             "dropna", False))
    cells = table.cells
    if (cells["n"] > 1).any() and not options.get("aggregate", False):
        dup = cells.loc[cells["n"] > 1, [unit, time]].head(5).to_dict("records")
        raise ValueError(
            f"{unit} x {time} rows are duplicated (cells {dup}): the estimator needs one row "
            "per unit and period. For individual survey rows pass aggregate=True (cell means)."
        )
    frame = cells[[unit, time, *constant]].copy()
    n = cells["n"].to_numpy(dtype=float)
    frame[outcome] = cells[f"{outcome}_sum"].to_numpy() / n
    for c in covariates:
        frame[c] = cells[f"{c}_sum"].to_numpy() / n
    return frame, table


def with_row_counts(res: Any, table: CellTable) -> Any:
    """``res`` (fitted on the cell panel) describing the input rows of the reduction."""
    return dataclasses.replace(
        res, aggregated=bool(table.n_rows > len(table.cells)),
        n_individual_rows=int(table.n_rows), n_dropped=int(table.n_dropped),
        outcome_sd=table.outcome_sd,
    )
