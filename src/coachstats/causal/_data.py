"""Shared input handling of the causal estimators: treatment coding, design matrix, checks.

Nothing here modifies the caller's DataFrame. Categorical covariates (object, category,
string or boolean columns) are dummy-coded against their first level in sorted order, as R's
``model.matrix`` does with treatment contrasts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import _rows, check_int, prepare, require_columns


@dataclass(frozen=True)
class Design:
    """The analysis frame and the pieces every causal estimator needs."""

    frame: pd.DataFrame  # used columns, rows kept (original index)
    treat: np.ndarray  # 1 = treated (focal), 0 = comparison
    X: np.ndarray  # design matrix with an intercept column first
    x_names: tuple[str, ...]  # names of the columns of X
    covariates: tuple[str, ...]
    categorical: tuple[str, ...]
    treated_level: Any
    reference_level: Any
    n_dropped: int


def as_list(covariates: str | Sequence[str], name: str = "covariates") -> list[str]:
    if isinstance(covariates, str):
        return [covariates]
    if not isinstance(covariates, Sequence) or len(covariates) == 0:
        raise TypeError(f"{name}: expected a column name or a non-empty list of column names.")
    return list(covariates)


def is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def code_treatment(s: pd.Series, column: str, reference: Any = None) -> tuple[np.ndarray, Any, Any]:
    """Return (0/1 array, treated level, reference level) for a two-level treatment column."""
    levels = sorted(s.unique().tolist(), key=str)
    if len(levels) < 2:
        raise ValueError(
            f"column {column!r} (argument treatment=) has a single level ({levels[0]!r}): "
            "every row is in the same group, so there is no comparison group. Add the "
            "comparison people (never coached) to the data."
        )
    if len(levels) > 2:
        raise ValueError(
            f"column {column!r} (argument treatment=) must have exactly 2 levels, found "
            f"{len(levels)}: {levels[:10]}. Filter the data to the two groups to compare."
        )
    if reference is None:
        if set(levels) <= {0, 1}:  # also True/False
            reference = levels[0]
        else:
            raise ValueError(
                f"column {column!r} (argument treatment=) has levels {levels}; say which is "
                f"the comparison group with reference=, e.g. reference={levels[0]!r}."
            )
    if reference not in levels:
        raise ValueError(f"reference={reference!r} is not a level of {column!r}: {levels}.")
    treated = levels[1] if reference == levels[0] else levels[0]
    return (s.to_numpy() == treated).astype(float), treated, reference


def spline_spec(splines: Any, covariates: Sequence[str]) -> dict[str, int]:
    """Normalise ``splines=`` (column names, or a mapping column -> degrees of freedom)."""
    if splines is None:
        return {}
    spec = ({c: 4 for c in as_list(splines, "splines")} if not isinstance(splines, dict)
            else dict(splines))
    for c, k in spec.items():
        if c not in covariates:
            raise ValueError(f"splines=: {c!r} is not one of the covariates {list(covariates)}.")
        check_int(k, f"splines=: degrees of freedom for {c!r}", minimum=3)
    return spec


def _spline_basis(x: np.ndarray, df: int) -> np.ndarray:
    """Natural cubic regression spline basis (centred, so it excludes the intercept)."""
    import patsy

    return np.asarray(patsy.dmatrix(f"cr(x, df={df}, constraints='center') - 1", {"x": x}))


def _dummies(
    frame: pd.DataFrame, covariates: Sequence[str], splines: dict[str, int] | None = None
) -> tuple[np.ndarray, list[str], list[str]]:
    cols, names, cats = [], [], []
    splines = splines or {}
    for c in covariates:
        s = frame[c]
        if c in splines:
            if is_categorical(s):
                raise ValueError(f"splines=: covariate {c!r} is categorical; splines need a "
                                 "numeric covariate.")
            B = _spline_basis(s.to_numpy(float), splines[c])
            for j in range(B.shape[1]):
                cols.append(B[:, j])
                names.append(f"{c}[spline {j + 1}]")
        elif is_categorical(s):
            cats.append(c)
            levels = sorted(s.unique().tolist(), key=str)
            for lvl in levels[1:]:
                cols.append((s == lvl).to_numpy(float))
                names.append(f"{c}[{lvl}]")
        else:
            cols.append(s.to_numpy(float))
            names.append(str(c))
    return np.column_stack(cols) if cols else np.empty((len(frame), 0)), names, cats


def design(
    data: Any,
    treatment: str,
    covariates: str | Sequence[str],
    *,
    extra: dict[str, str | None] | None = None,
    numeric: Sequence[str] = (),
    reference: Any = None,
    dropna: bool = False,
    splines: Any = None,
) -> Design:
    """Validate and build the treatment vector and the covariate design matrix."""
    covs = as_list(covariates)
    spec = spline_spec(splines, covs)
    if not isinstance(treatment, str | int):
        raise TypeError(f"treatment=: expected a column name, got {type(treatment).__name__}.")
    if treatment in covs:
        raise ValueError(f"column {treatment!r} is both the treatment and a covariate.")
    columns: dict[str, str | None] = {"treatment": treatment, **(extra or {})}
    for i, c in enumerate(covs):
        columns[f"covariates[{i}]"] = c
    if isinstance(data, pd.DataFrame):
        require_columns(data, {k: v for k, v in columns.items() if v is not None})
    frame, miss = prepare(data, columns, numeric=numeric, dropna=dropna)
    for c in covs:
        s = frame[c]
        if not is_categorical(s) and not np.isfinite(s.to_numpy(float)).all():
            bad = frame.index[~np.isfinite(s.to_numpy(float))]
            raise ValueError(f"covariate {c!r} has infinite values (rows {_rows(bad)}).")
    treat, lvl1, lvl0 = code_treatment(frame[treatment], treatment, reference)
    Z, names, cats = _dummies(frame, covs, spec)
    X = np.column_stack([np.ones(len(frame)), Z])
    return Design(frame=frame, treat=treat, X=X, x_names=("intercept", *names),
                  covariates=tuple(covs), categorical=tuple(cats), treated_level=lvl1,
                  reference_level=lvl0, n_dropped=miss.n_dropped)


def check_separation(d: Design) -> None:
    """Raise naming the covariate when one alone predicts the treatment perfectly."""
    t = d.treat.astype(bool)
    for c in d.covariates:
        s = d.frame[c]
        if is_categorical(s):
            codes, levels = pd.factorize(s, sort=True)
            n1 = pd.Series(np.bincount(codes[t], minlength=len(levels)), index=levels)
            n0 = pd.Series(np.bincount(codes[~t], minlength=len(levels)), index=levels)
            tab = n1
            pure = tab.index[(n1 == 0) | (n0 == 0)]
            if len(pure):
                lvl = pure[0]
                who = "treated" if n0[lvl] == 0 else "comparison"
                raise ValueError(
                    f"perfect separation: level {lvl!r} of covariate {c!r} holds only {who} "
                    f"people ({int(n1[lvl] + n0[lvl])} rows"
                    + (f"; {len(pure)} such levels: {list(pure[:5])}" if len(pure) > 1 else "")
                    + "), so the propensity model has no finite estimate and those people "
                    "have no one to be compared with. Merge the level with a similar one, or "
                    "drop those rows (and say so)."
                )
        else:
            x = s.to_numpy(float)
            lo1, hi1, lo0, hi0 = x[t].min(), x[t].max(), x[~t].min(), x[~t].max()
            if hi0 < lo1 or hi1 < lo0:
                raise ValueError(
                    f"perfect separation: covariate {c!r} separates the groups completely "
                    f"(treated range [{lo1:g}, {hi1:g}], comparison range [{lo0:g}, {hi0:g}]). "
                    "The propensity model has no finite estimate; the groups do not overlap "
                    f"on {c!r}, so no adjustment can compare like with like. Restrict the data "
                    "to the overlapping range or drop the covariate."
                )


def outcome_array(frame: pd.DataFrame, outcome: str) -> np.ndarray:
    y = frame[outcome].to_numpy(float)
    if not np.isfinite(y).all():
        bad = frame.index[~np.isfinite(y)]
        raise ValueError(f"column {outcome!r} (argument outcome=) has infinite values "
                         f"(rows {_rows(bad)}).")
    return y


def check_weights(w: Any, n: int, index: pd.Index, name: str = "weights") -> np.ndarray:
    """Return finite non-negative weights as floats, or raise naming the bad rows."""
    arr = np.asarray(w, dtype=float)
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected {n} weights (one per row), got shape {arr.shape}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name}: {int(bad.sum())} weight(s) are NaN or infinite (rows "
                         f"{_rows(index[bad])}). Fix or remove those rows first.")
    neg = arr < 0
    if neg.any():
        raise ValueError(f"{name}: {int(neg.sum())} weight(s) are negative (rows "
                         f"{_rows(index[neg])}); weights must be >= 0.")
    return arr
