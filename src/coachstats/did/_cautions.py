"""Cautions shared by the DiD results: a rejected pre-trend test and few clusters."""

from __future__ import annotations

import numpy as np

from ..results import Caution

#: Below this many clusters a cluster-robust standard error is unreliable (Cameron &
#: Miller 2015 put the usual threshold between 20 and 50).
FEW_CLUSTERS = 20


def pretrend_caution(statistic: float, df: int, p_value: float) -> tuple[Caution, ...]:
    """``pretrend_rejected`` when p < 0.05, ``pretrend_borderline`` when p < 0.10."""
    if not np.isfinite(p_value) or p_value >= 0.10:
        return ()
    if p_value < 0.05:
        return (Caution(
            "pretrend_rejected",
            f"Pre-trend test rejected (chi2({df}) = {statistic:.1f}, p = {p_value:.3g}): "
            "treated and comparison groups already moved apart before coaching, so parallel "
            "trends is doubtful and the effect may be biased (see sensitivity()).",
            float(p_value)),)
    return (Caution(
        "pretrend_borderline",
        f"Pre-trend test borderline (chi2({df}) = {statistic:.1f}, p = {p_value:.3g}).",
        float(p_value), severity="note"),)


def few_clusters_caution(n_clusters: int | None, what: str | None) -> tuple[Caution, ...]:
    """``few_clusters`` when a cluster-robust SE rests on fewer than 20 clusters."""
    if n_clusters is None or n_clusters >= FEW_CLUSTERS:
        return ()
    return (Caution(
        "few_clusters",
        f"Only {n_clusters} clusters ({what or 'units'}): a cluster-robust standard error "
        f"is unreliable with fewer than {FEW_CLUSTERS}, so intervals are likely too narrow.",
        float(n_clusters)),)
