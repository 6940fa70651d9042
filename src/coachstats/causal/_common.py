"""Pieces shared by the effect estimators: validation, overlap and interval helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from ..privacy import check_min_group_size
from ._data import Design, check_separation, design

ESTIMANDS = ("ATT", "ATE", "ATO")


def effect_design(
    data: Any, treatment: str, outcome: str, covariates: str | Sequence[str], *,
    cluster: str | None, reference: Any, dropna: bool, min_group_size: int,
    splines: Any = None,
) -> Design:
    min_group_size = check_min_group_size(min_group_size)
    d = design(data, treatment, covariates, extra={"outcome": outcome, "cluster": cluster},
               numeric=["outcome"], reference=reference, dropna=dropna, splines=splines)
    if outcome in d.covariates:
        raise ValueError(f"column {outcome!r} is both the outcome and a covariate.")
    y = d.frame[outcome].to_numpy(float)
    if not np.isfinite(y).all():
        raise ValueError(f"column {outcome!r} (argument outcome=) has infinite values.")
    for g, name in ((1.0, "treated"), (0.0, "comparison")):
        k = int((d.treat == g).sum())
        if k < min_group_size:
            raise ValueError(
                f"the {name} group has {k} people, fewer than min_group_size={min_group_size}: "
                "an estimate from so few people could identify them. Pool more people."
            )
    check_separation(d)
    return d


def check_overlap(ps: np.ndarray, treat: np.ndarray, estimand: str) -> None:
    """Raise when the groups' propensity ranges do not overlap at all."""
    t = treat.astype(bool)
    p1, p0 = ps[t], ps[~t]
    if p1.min() > p0.max() or p0.min() > p1.max():
        raise ValueError(
            "no overlap: the propensity scores of the treated "
            f"[{p1.min():.3g}, {p1.max():.3g}] and comparison [{p0.min():.3g}, {p0.max():.3g}] "
            "groups do not overlap, so no one in one group resembles anyone in the other. "
            "Restrict the data to comparable people or choose different covariates."
        )
    if estimand == "ATT" and np.all(p1 > p0.max()):  # pragma: no cover - covered above
        raise ValueError("no overlap for the ATT.")


def normal_ci(est: float, se: float, ci_level: float) -> tuple[float, float, float]:
    z = float(stats.norm.ppf(0.5 + ci_level / 2))
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else np.nan
    return est - z * se, est + z * se, p
