"""Synthetic control on predictors with the predictor weights ``V`` chosen by the nested
optimisation of Abadie, Diamond & Hainmueller (2010, 2011; R package Synth).

Each predictor is a column averaged over a window of times (missing values skipped, as
Synth's ``mean`` with ``na.rm = TRUE``), one value per unit, divided by its standard
deviation across all units. For a diagonal ``V`` (non-negative, summing to one) the inner
problem gives the donor weights ``w(V) = argmin (x1 - X0 w)' V (x1 - X0 w)`` over the simplex
(solved exactly); the outer problem chooses ``V`` to minimise the mean squared gap of the
outcome over the loss periods, ``mean_t (z1_t - Z0_t w(V))^2``. ``V`` is parametrised as a
softmax, ``V_i = exp(theta_i) / sum exp(theta)``, started at equal weights and optimised by
Nelder-Mead and by Powell's method (scipy), the better of the two kept. Synth parametrises
``V = |v| / sum |v|`` and runs R optim's Nelder-Mead and BFGS; on that parametrisation
gradient steps stall on the kinks of ``w(V)`` and the answer depends on the order of the
donors, while the smooth softmax with derivative-free search converges to the same optimum
whatever the order. The outer problem is not convex: other starting points can lead to other
local optima.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ._simplex import simplex_weights

__all__ = ["nested_weights", "predictor_matrix"]


def _spec(item: Any, pre_times: np.ndarray) -> tuple[str, np.ndarray]:
    if isinstance(item, str):
        return item, pre_times
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        times = np.asarray(list(item[1]), float)
        if times.size == 0:
            raise ValueError(f"predictor {item[0]!r} has an empty window of times.")
        return item[0], times
    raise TypeError(f"each predictor is a column name or a (column, times) pair, got {item!r}.")


def predictor_matrix(data: pd.DataFrame, unit: str, time: str, predictors: Sequence[Any],
                     units: list[Any], pre_times: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Predictors x units matrix of window means, and a label per predictor."""
    if isinstance(predictors, str) or not len(predictors):
        raise TypeError("predictors must be a non-empty list of column names or (column, "
                        "times) pairs.")
    rows, labels = [], []
    tcol = pd.to_numeric(data[time], errors="coerce").to_numpy(float)
    for item in predictors:
        col, times = _spec(item, pre_times)
        if col not in data.columns:
            raise ValueError(f"predictor column {col!r} not found; available columns: "
                             f"{list(map(str, data.columns))}.")
        vals = pd.to_numeric(data[col], errors="coerce")
        if vals.notna().sum() < data[col].notna().sum():
            raise TypeError(f"predictor column {col!r} must be numeric.")
        inside = np.isin(tcol, times)
        means = vals[inside].groupby(data.loc[inside, unit]).mean()
        got = means.reindex(units)
        if got.isna().any():
            bad = [u for u, m in zip(units, got, strict=True) if pd.isna(m)]
            raise ValueError(f"predictor {col!r} has no value for unit(s) {bad[:5]} at "
                             f"{time!r} in {times.tolist()[:6]}{'...' if len(times) > 6 else ''};"
                             " choose a window where every unit has one, or leave it out.")
        rows.append(got.to_numpy(float))
        lo, hi = times.min(), times.max()
        labels.append(f"{col} ({lo:g})" if lo == hi else f"{col} ({lo:g}-{hi:g})")
    return np.vstack(rows), labels


def nested_weights(x1: np.ndarray, x0: np.ndarray, z1: np.ndarray, z0: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, float]:
    """Donor weights, predictor weights ``V`` (diagonal, sum 1) and the outer loss.

    ``x1`` (predictors), ``x0`` (predictors x donors); ``z1`` (loss periods), ``z0`` (loss
    periods x donors).
    """
    sd = np.std(np.column_stack([x0, x1]), axis=1, ddof=1)
    if np.any(~np.isfinite(sd)) or np.any(sd <= 0):
        raise ValueError("a predictor takes the same value for every unit; leave it out.")
    x1s, x0s = x1 / sd, x0 / sd[:, None]
    k = len(x1)

    def v_of(theta: np.ndarray) -> np.ndarray:
        e = np.exp(theta - theta.max())
        return e / e.sum()

    def weights(theta: np.ndarray) -> np.ndarray:
        s = np.sqrt(v_of(theta))
        return simplex_weights(s * x1s, s[:, None] * x0s)

    def loss(theta: np.ndarray) -> float:
        return float(np.mean((z1 - z0 @ weights(theta)) ** 2))

    start = np.zeros(k)
    best, best_loss = start, loss(start)
    for method in ("Nelder-Mead", "Powell"):
        res = minimize(loss, start, method=method,
                       options={"maxfev": 200 * k, "xtol": 1e-8, "ftol": 1e-12}
                       if method == "Powell" else
                       {"maxfev": 100 * k, "xatol": 1e-8, "fatol": 1e-14})
        if np.isfinite(res.fun) and res.fun < best_loss:
            best, best_loss = np.asarray(res.x), float(res.fun)
    return weights(best), v_of(best), best_loss
