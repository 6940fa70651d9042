"""Checking a long unit-time panel and turning it into arrays (shared by the DiD estimators)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as v

__all__ = ["Panel", "aggregate_panel", "build_panel", "cohort_from_treatment"]


def aggregate_panel(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    *,
    keep: Sequence[str] = (),
    dropna: bool = False,
) -> pd.DataFrame:
    """Average individual rows (e.g. survey answers) to one row per unit and period.

    Parameters
    ----------
    data : DataFrame
        Long data with possibly several rows per ``unit`` x ``time`` (employees in a team).
    outcome, unit, time : str
        Column names.
    keep : sequence of str
        Columns constant within unit (cohort, manager, ...) carried along; an error names a
        column that varies within a unit.
    dropna : bool
        Drop rows with a missing outcome before averaging (otherwise missing values raise).

    Returns
    -------
    DataFrame
        ``unit, time, *keep, outcome`` (the cell mean), ``n`` (rows averaged) and ``sd``
        (within-cell SD, NaN for single-row cells), sorted by unit and time. Cell means
        carry no person-level rows or identifiers.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_panel(n_managers=20, rng=1)
    >>> teams = aggregate_panel(sim.data, "engagement", "team", "quarter",
    ...                         keep=["manager", "coached_from"])
    >>> teams.columns.tolist()
    ['team', 'quarter', 'manager', 'coached_from', 'engagement', 'n', 'sd']
    """
    keep = list(keep)
    cols = {"outcome": outcome, "unit": unit, "time": time}
    cols |= {f"keep[{i}]": k for i, k in enumerate(keep)}
    df, _ = v.prepare(data, cols, numeric=["outcome"], dropna=dropna, finite=False)
    for k in keep:
        if k in (unit, time, outcome):
            raise ValueError(f"keep: {k!r} is already the unit, time or outcome column.")
    codes, uniq = pd.factorize(df[unit], sort=True)
    for k in keep:
        kc = pd.factorize(df[k])[0]
        first = np.full(len(uniq), -1)
        first[codes[::-1]] = kc[::-1]
        bad = first[codes] != kc
        if bad.any():
            raise ValueError(
                f"keep: column {k!r} varies within {unit} (first rows "
                f"{df.index[bad][:5].tolist()}); only unit-level columns can be kept."
            )
    g = df.groupby([unit, time], sort=True, observed=True)
    out = g[outcome].agg(["mean", "size", "std"]).reset_index()
    out = out.rename(columns={"mean": outcome, "size": "n", "std": "sd"})
    if keep:
        first_rows = g[keep].first().reset_index(drop=True)
        out = pd.concat([out[[unit, time]], first_rows, out[[outcome, "n", "sd"]]], axis=1)
    out["n"] = out["n"].astype(np.int64)
    return out


def cohort_from_treatment(
    data: pd.DataFrame, unit: str, time: str, treated: str, *, never_treated: Any = 0
) -> pd.Series:
    """First period in which each unit is treated, from a 0/1 treatment column.

    Returns a Series aligned with ``data`` (``never_treated`` for units never treated).
    Raises if treatment switches off again (the staggered estimators assume treatment, once
    started, stays on).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period (or more).
    unit, time : str
        Unit id and (numeric) period columns.
    treated : str
        0/1 column: whether the unit is treated in that period.
    never_treated : scalar, default 0
        Value given to units never treated.

    Returns
    -------
    Series
        Cohort (first treated period) of each row's unit, aligned with ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 2, 1, 2], "d": [0, 1, 0, 0]})
    >>> cohort_from_treatment(df, "u", "t", "d").tolist()
    [2, 2, 0, 0]
    """
    df, _ = v.prepare(data, {"unit": unit, "time": time, "treated": treated},
                      numeric=["time", "treated"])
    d = df[treated].to_numpy()
    if not np.isin(d, (0, 1)).all():
        raise ValueError(f"treated: column {treated!r} must be 0/1.")
    s = df.sort_values([unit, time], kind="stable")
    ds = s[treated].to_numpy()
    same = s[unit].to_numpy()[1:] == s[unit].to_numpy()[:-1]
    rev = same & (ds[1:] < ds[:-1])
    if rev.any():
        i = int(np.flatnonzero(rev)[0]) + 1
        raise ValueError(
            f"treated: treatment reverses (1 then 0) for {unit}={_py(s[unit].iloc[i])!r} at "
            f"{time}={_py(s[time].iloc[i])!r}; staggered DiD needs treatment that stays on once "
            "started (code the unit by its first treated period, or drop it)."
        )
    first = s.loc[s[treated] == 1].groupby(unit)[time].min()
    out = df[unit].map(first).fillna(never_treated)
    if pd.api.types.is_integer_dtype(df[time]) and isinstance(never_treated, int | np.integer):
        out = out.astype(np.int64)
    return out.rename("cohort")


@dataclass(frozen=True)
class Panel:
    """A checked panel as arrays: outcome matrix ``y`` (units x periods, NaN = unobserved)."""

    y: np.ndarray  # (n_units, n_periods)
    weight: np.ndarray | None  # cell counts (n_units, n_periods) when aggregated
    cohort_pos: np.ndarray  # position of each unit's cohort in `times`; -1 = never
    times: np.ndarray
    cluster: np.ndarray  # cluster code per unit
    n_clusters: int
    covariates: np.ndarray | None  # (n_units, n_periods, p)
    covariate_names: tuple[str, ...]
    n_rows: int
    n_dropped: int
    aggregated: bool
    n_individual_rows: int
    balanced: bool
    rows: dict[str, np.ndarray] | None = None  # per-row arrays (repeated cross-sections)
    outcome_sd: float = float("nan")  # SD of the outcome over the input rows
    #: the DiD standardizer: SD of individual pre-treatment outcomes of the comparison
    #: group, its cluster-robust SE, the number of rows and which rows were used
    std_sd: float = float("nan")
    std_se: float = float("nan")
    std_n: int = 0
    std_source: str = ""


def _py(x: Any) -> Any:
    """Plain Python scalar for messages (no ``np.int64(...)`` reprs)."""
    return x.item() if hasattr(x, "item") else x


def _standardizer(y: np.ndarray, t_pos: np.ndarray, cohort_pos: np.ndarray,
                  cluster: np.ndarray, times: np.ndarray) -> tuple[float, float, int, str]:
    """SD of individual outcomes in the comparison group before treatment starts.

    Rows of never-treated units observed before the earliest treatment start (or, when no
    unit is never treated, every unit's rows before that start, when all are untreated).
    The SE is cluster-robust: the influence of each row on s^2 is summed within clusters,
    and SE(s) = SE(s^2) / (2 s). Returns (sd, se, rows, description).
    """
    treated = cohort_pos >= 0
    if not treated.any():
        return float("nan"), float("nan"), 0, ""
    first = int(cohort_pos[treated].min())
    pre = t_pos < first
    use = pre & ~treated
    source = "never-treated units"
    if use.sum() < 2:
        use, source = pre, "all units (none never treated)"
    n = int(use.sum())
    if n < 2:
        return float("nan"), float("nan"), n, ""
    yy = y[use]
    s2 = float(np.var(yy, ddof=1))
    infl = (yy - yy.mean()) ** 2 - s2 * (n - 1) / n
    cl = cluster[use]
    sums = np.bincount(cl, weights=infl)
    se_s2 = float(np.sqrt((sums**2).sum())) / n
    sd = float(np.sqrt(s2))
    label = f"before {_py(times[first])!r}"
    return sd, se_s2 / (2 * sd) if sd > 0 else float("nan"), n, f"{source}, periods {label}"


def build_panel(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    never_treated: Any = 0,
    cluster: str | None = None,
    covariates: Sequence[str] | None = None,
    aggregate: bool = False,
    dropna: bool = False,
    keep_rows: bool = False,
) -> Panel:
    """Validate long data and pivot it to arrays (vectorised; no per-cell loops)."""
    covariates = list(covariates or [])
    if isinstance(covariates, str):
        covariates = [covariates]
    cols = {"outcome": outcome, "unit": unit, "time": time, "cluster": cluster}
    cols |= {f"covariates[{i}]": c for i, c in enumerate(covariates)}
    df0 = v.check_dataframe(data)
    v.require_columns(df0, {"cohort": cohort})
    if not df0.index.is_unique:
        df0 = df0.reset_index(drop=True)
    # never-treated may be coded as the never_treated value, missing or infinite
    raw = df0[cohort]
    # text columns are pandas' "str" dtype under pandas 3, object before it
    coh = raw if pd.api.types.is_numeric_dtype(raw) else pd.to_numeric(raw, errors="coerce")
    if not pd.api.types.is_numeric_dtype(coh):
        raise TypeError(f"cohort: column {cohort!r} must be numeric (the first treated period)."
                        )
    coh = coh.astype(float)
    bad_text = df0[cohort].notna() & coh.isna()
    if bad_text.any():
        raise TypeError(
            f"cohort: column {cohort!r} has non-numeric values (rows "
            f"{df0.index[bad_text][:5].tolist()}); use the first treated period, or "
            f"{never_treated!r} for never treated."
        )
    never = coh.isna() | np.isinf(coh) | (coh == never_treated)
    df, missing = v.prepare(df0, cols, numeric=["outcome", "time", *[
        f"covariates[{i}]" for i in range(len(covariates))]], dropna=dropna, finite=False)
    if missing.n_dropped:
        pos = df0.index.get_indexer(df.index)
        never, coh = never.to_numpy()[pos], coh.to_numpy()[pos]
    else:
        never, coh = never.to_numpy(), coh.to_numpy()
    n_ind = int(df.shape[0])
    for arg, col in [("outcome", outcome), ("time", time),
                     *[(f"covariates[{i}]", c) for i, c in enumerate(covariates)]]:
        vals = df[col].to_numpy(dtype=float)
        bad = ~np.isfinite(vals)
        if bad.any():
            raise ValueError(
                f"{arg}: column {col!r} has non-finite values (inf or -inf) in rows "
                f"{df.index[bad][:5].tolist()}. Replace them with finite numbers, or set them "
                "to missing and pass dropna=True (the result then counts the dropped rows)."
            )

    v.require_varies(df, outcome, "outcome",
                     hint="A difference-in-differences needs an outcome that changes.")
    if cluster is not None and df[cluster].nunique() < 2:
        raise ValueError(
            f"cluster: column {cluster!r} has a single cluster; a cluster-robust standard "
            "error needs many clusters (20 or more). Cluster by a finer unit (e.g. team) or "
            "leave cluster unset."
        )

    t_raw = df[time].to_numpy(dtype=float)
    times = np.sort(pd.unique(t_raw))
    if times.size < 2:
        raise ValueError(f"time: column {time!r} needs at least two distinct periods.")
    u_codes, u_uniq = pd.factorize(df[unit], sort=True)
    n_u = len(u_uniq)
    t_pos = np.searchsorted(times, t_raw)

    # cohort must be constant within unit and be a period of the panel
    cpos_row = np.where(never, -1, np.searchsorted(times, np.where(never, times[0], coh)))
    valid = never | ((cpos_row < times.size) & (times[np.minimum(cpos_row, times.size - 1)]
                                                == coh))
    if not valid.all():
        bad = sorted(set(coh[~valid].tolist()))[:5]
        raise ValueError(
            f"cohort: values {bad} in column {cohort!r} are not time periods of {time!r} "
            f"(periods: {times.tolist()[:10]}{'...' if times.size > 10 else ''}); a cohort "
            f"must hold the first treated period, {never_treated!r} (or missing) for never "
            "treated. Recode the cohort to a period value, or set never_treated= to your code."
        )
    first = np.full(n_u, -2)
    first[u_codes[::-1]] = cpos_row[::-1]
    varies = first[u_codes] != cpos_row
    if varies.any():
        i = int(np.flatnonzero(varies)[0])
        raise ValueError(
            f"cohort: column {cohort!r} changes within {unit}={_py(u_uniq[u_codes[i]])!r}. The "
            "cohort (first treated period) must be constant within a unit: treatment starts "
            "once and never reverses (see did.cohort_from_treatment). Fix the cohort coding "
            "or split the unit."
        )
    if cluster is not None:
        cl_codes, cl_uniq = pd.factorize(df[cluster], sort=True)
        cfirst = np.full(n_u, -1)
        cfirst[u_codes[::-1]] = cl_codes[::-1]
        if (cfirst[u_codes] != cl_codes).any():
            raise ValueError(
                f"cluster: column {cluster!r} varies within {unit}; units must be nested in "
                "clusters (e.g. teams within managers)."
            )
        cl_unit = cfirst
        n_cl = len(cl_uniq)
    else:
        cl_unit = np.arange(n_u)
        n_cl = n_u

    cell = u_codes.astype(np.int64) * times.size + t_pos
    counts = np.bincount(cell, minlength=n_u * times.size)
    aggregated = False
    weight = None
    if (counts > 1).any():
        if not aggregate:
            dup = np.flatnonzero(counts[cell] > 1)[:5]
            raise ValueError(
                f"{unit} x {time} rows are duplicated (rows {df.index[dup].tolist()}): "
                "the estimator needs one row per unit and period. For individual survey "
                "rows pass aggregate=True (cell means with counts) or use "
                "did.aggregate_panel()."
            )
        aggregated = True
    yv = df[outcome].to_numpy(dtype=float)
    sums = np.bincount(cell, weights=yv, minlength=n_u * times.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).reshape(n_u, times.size)
    if aggregated:
        weight = counts.reshape(n_u, times.size).astype(float)
    X = None
    if covariates:
        X = np.full((n_u * times.size, len(covariates)), np.nan)
        for j, c in enumerate(covariates):
            s = np.bincount(cell, weights=df[c].to_numpy(dtype=float),
                            minlength=n_u * times.size)
            X[:, j] = np.where(counts > 0, s / np.maximum(counts, 1), np.nan)
        X = X.reshape(n_u, times.size, len(covariates))
    std = _standardizer(yv, t_pos, cpos_row, cl_unit[u_codes], times)
    return Panel(
        y=y, weight=weight, cohort_pos=first.astype(np.int64), times=times,
        cluster=cl_unit.astype(np.int64), n_clusters=int(n_cl), covariates=X,
        covariate_names=tuple(covariates), n_rows=int(np.count_nonzero(counts)),
        n_dropped=missing.n_dropped, aggregated=aggregated, n_individual_rows=n_ind,
        balanced=bool((counts > 0).all()),
        outcome_sd=float(np.std(yv, ddof=1)) if yv.size > 1 else float("nan"),
        std_sd=std[0], std_se=std[1], std_n=std[2], std_source=std[3],
        rows=({"y": yv, "t": t_pos, "g": cpos_row.astype(np.int64),
               "cluster": cl_unit[u_codes].astype(np.int64)} if keep_rows else None),
    )
