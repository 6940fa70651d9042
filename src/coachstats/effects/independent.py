"""Two independent groups: Hedges' g with an exact noncentral-t interval, overall or by stratum.

``d = (mean_focal - mean_reference) / s_pooled`` with the pooled SD on ``n1 + n2 - 2`` df;
``g = J(n1 + n2 - 2) d`` with the exact J (Hedges 1981). The interval inverts the
noncentral t of ``t = d / sqrt(1/n1 + 1/n2)`` (Steiger & Fouladi 1997): it is exact for
delta under normality with equal variances, and does not depend on the correction.
``std_error`` is the large-sample SE of Hedges & Olkin (1985, eq. 5.15), as computed by
metafor's ``escalc(measure="SMD")``: ``sqrt(1/n1 + 1/n2 + g^2 / (2 (n1 + n2)))``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_arguments
from .._validate import check_ci_level, prepare
from ..privacy import (
    DEFAULT_MIN_GROUP_SIZE,
    check_min_group_size,
    count_people,
    require_people,
)
from ..results import tidy_frame
from ._noncentral import hedges_j, ncp_interval
from ._result import EffectSizeResult


def two_group_row(
    y1: np.ndarray, y0: np.ndarray, *, hedges: bool = True, ci_level: float = 0.95
) -> dict[str, Any]:
    """Standardized difference ``y1`` minus ``y0`` (arrays of finite values, n >= 2 each)."""
    n1, n0 = len(y1), len(y0)
    df = n1 + n0 - 2
    m1, m0 = float(y1.mean()), float(y0.mean())
    v1, v0 = float(y1.var(ddof=1)), float(y0.var(ddof=1))
    sp = math.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / df)
    # a constant column can leave a rounding-error variance (1e-32), never exactly zero
    if not sp > 0 or (np.ptp(y1) == 0 and np.ptp(y0) == 0):
        raise ValueError(
            "the outcome has zero variance within both groups; a standardized difference is "
            "undefined. Report the raw difference instead."
        )
    d = (m1 - m0) / sp
    k = math.sqrt(1 / n1 + 1 / n0)
    t_stat = d / k
    j = hedges_j(df) if hedges else 1.0
    g = j * d
    lo, hi = ncp_interval(t_stat, df, ci_level=ci_level)
    # Welch interval for the raw difference (does not assume equal variances)
    se_raw = math.sqrt(v1 / n1 + v0 / n0)
    welch_df = se_raw**4 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    q = float(stats.t.ppf(0.5 + ci_level / 2, welch_df))
    return {
        "estimate": g,
        "std_error": math.sqrt(1 / n1 + 1 / n0 + g * g / (2 * (n1 + n0))),
        "ci_low": lo * k,
        "ci_high": hi * k,
        "ci_level": ci_level,
        "d": d,
        "hedges_j": j,
        "ci_method": "exact (noncentral t)",
        "n_focal": n1,
        "n_reference": n0,
        "mean_focal": m1,
        "mean_reference": m0,
        "sd_focal": math.sqrt(v1),
        "sd_reference": math.sqrt(v0),
        "sd_pooled": sp,
        "raw_difference": m1 - m0,
        "raw_ci_low": m1 - m0 - q * se_raw,
        "raw_ci_high": m1 - m0 + q * se_raw,
        "t": t_stat,
        "df": df,
        "p_value": float(2 * stats.t.sf(abs(t_stat), df)),
    }


def _weighted_row(y1: np.ndarray, w1: np.ndarray, y0: np.ndarray, w0: np.ndarray,
                  ci_level: float) -> dict[str, Any]:
    """Weighted mean difference, in unweighted pooled-SD units, with a sandwich interval."""
    n1, n0 = len(y1), len(y0)
    m1, m0 = float(np.average(y1, weights=w1)), float(np.average(y0, weights=w0))
    v1, v0 = float(y1.var(ddof=1)), float(y0.var(ddof=1))
    sp = math.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
    # variance of a weighted (Hajek) mean: sum w^2 (y - m)^2 / (sum w)^2
    se = math.sqrt(float(np.sum(w1**2 * (y1 - m1) ** 2)) / w1.sum() ** 2
                   + float(np.sum(w0**2 * (y0 - m0) ** 2)) / w0.sum() ** 2)
    z = float(stats.norm.ppf(0.5 + ci_level / 2))
    diff = m1 - m0
    return {
        "estimate": diff / sp, "std_error": se / sp, "ci_low": (diff - z * se) / sp,
        "ci_high": (diff + z * se) / sp, "ci_level": ci_level, "d": diff / sp, "hedges_j": 1.0,
        "ci_method": "normal (weighted sandwich)", "n_focal": n1, "n_reference": n0,
        "mean_focal": m1, "mean_reference": m0, "sd_focal": math.sqrt(v1),
        "sd_reference": math.sqrt(v0), "sd_pooled": sp, "raw_difference": diff,
        "raw_ci_low": diff - z * se, "raw_ci_high": diff + z * se, "t": diff / se,
        "df": np.nan, "p_value": float(2 * stats.norm.sf(abs(diff / se))),
        "ess_focal": float(w1.sum() ** 2 / np.sum(w1**2)),
        "ess_reference": float(w0.sum() ** 2 / np.sum(w0**2)),
    }


def _one_row_per_person(frame: pd.DataFrame, person: str | None, within: list[str]) -> None:
    """Refuse a person with several rows in one group: rows would count as people."""
    if person is None:
        return
    dup = frame.duplicated([*within, person], keep=False)
    if dup.any():
        raise ValueError(
            f"column {person!r} (argument person=) has {int(dup.sum())} rows for "
            f"{frame.loc[dup, person].nunique()} people with more than one row in the same "
            f"{' x '.join(map(repr, within))} group (rows {list(frame.index[dup][:10])}); "
            "a group difference needs one row per person: keep one survey wave, or average "
            "each person's rows first."
        )


def _levels(frame: pd.DataFrame, group: str, reference: Any) -> tuple[Any, Any]:
    levels = sorted(frame[group].unique().tolist(), key=str)
    if len(levels) != 2:
        raise ValueError(
            f"column {group!r} (argument group=) must have exactly 2 levels, found "
            f"{len(levels)}: {levels[:10]}. Filter the data to the two groups to compare."
        )
    if reference is None:
        reference = levels[0]
    if reference not in levels:
        raise ValueError(f"reference={reference!r} is not a level of {group!r}: {levels}.")
    focal = levels[1] if reference == levels[0] else levels[0]
    return focal, reference


@renamed_arguments(df="data")
def group_difference(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    *,
    by: str | None = None,
    reference: Any = None,
    person: str | None = None,
    hedges: bool = True,
    ci_level: float = 0.95,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    dropna: bool = False,
    weights: str | None = None,
) -> EffectSizeResult:
    """Standardized difference between two groups, overall or within each level of ``by``.

    Parameters
    ----------
    data : DataFrame
        One row per person (per stratum when ``by`` is given).
    outcome : str
        Numeric outcome column.
    group : str
        Column with exactly two levels.
    by : str, optional
        Stratum column (e.g. tenure year); one row per level.
    reference : optional
        The comparison level; the estimate is ``focal - reference``. Default: the first
        level in sorted order (named in the notes and the ``focal``/``reference`` columns).
    person : str, optional
        Column identifying people; group sizes are counts of its distinct values, and a
        person with more than one row in a group (stratum) is refused (keep one survey wave).
        Without it a detected person identifier is used; when nothing identifies people and
        a column looks like a wave or date (rows may repeat per person) the call is refused
        with :class:`coachstats.privacy.PrivacyError`; otherwise each row is one person.
    hedges : bool
        Hedges' g with the exact J(n1 + n2 - 2) (True) or Cohen's d.
    ci_level : float
        Level of the exact noncentral-t interval (and the Welch interval of the raw
        difference in ``raw_ci_low``/``raw_ci_high``).
    min_group_size : int
        Privacy threshold: a stratum whose smaller group has fewer distinct people is
        reported as ``suppressed`` with no numbers (default 5, never below 3).
    dropna : bool
        Drop rows with missing values (counted) instead of raising.
    weights : str, optional
        Column of balancing weights (e.g. ``causal.weighting(...).weights`` or matching
        weights). The estimate is then the weighted mean difference over the unweighted
        pooled SD, with a normal interval from the weighted-means sandwich (weights treated
        as known); rows of weight 0 count as absent. Exact intervals need unweighted data.

    Returns
    -------
    EffectSizeResult
        ``term`` is ``"all"`` or ``"<by>=<level>"``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [3.1, 3.4, 2.9, 3.8, 3.0, 3.6, 2.7, 3.2, 2.8, 3.5],
    ...                   "g": ["in"] * 5 + ["ex"] * 5})
    >>> res = group_difference(d, "y", "g", reference="in")
    >>> res.to_frame()[["focal", "reference"]].iloc[0].tolist()
    ['ex', 'in']
    """
    ci_level = check_ci_level(ci_level)
    min_group_size = check_min_group_size(min_group_size)
    person = require_people(data, person, "group_difference")
    frame, miss = prepare(data, {"outcome": outcome, "group": group, "by": by,
                               "weights": weights, "person": person},
                          numeric=["outcome", "weights"], dropna=dropna)
    _one_row_per_person(frame, person, [group] if by is None else [by, group])
    if weights is not None:
        wv = frame[weights].to_numpy(float)
        bad = ~np.isfinite(wv) | (wv < 0)
        if bad.any():
            raise ValueError(
                f"column {weights!r} (argument weights=) has {int(bad.sum())} negative or "
                f"non-finite weight(s) (rows {list(frame.index[bad][:5])}); weights must be "
                "finite and >= 0.")
        frame = frame.loc[wv > 0]
    if not np.isfinite(frame[outcome].to_numpy(float)).all():
        raise ValueError(f"column {outcome!r} (argument outcome=) has infinite values.")
    focal, ref = _levels(frame, group, reference)
    strata = [("all", frame)] if by is None else [
        (f"{by}={lvl}", sub) for lvl, sub in frame.groupby(by, sort=True, observed=True)
    ]
    rows = []
    suppressed = []
    for term, sub in strata:
        y1 = sub.loc[sub[group] == focal, outcome].to_numpy(float)
        y0 = sub.loc[sub[group] == ref, outcome].to_numpy(float)
        base = {"term": term, "focal": focal, "reference": ref}
        people = count_people(sub, person, group)
        if min(int(people.get(focal, 0)), int(people.get(ref, 0))) < min_group_size:
            suppressed.append(term)
            rows.append({**base, "ci_level": ci_level, "suppressed": True})
            continue
        if weights is not None:
            w1 = sub.loc[sub[group] == focal, weights].to_numpy(float)
            w0 = sub.loc[sub[group] == ref, weights].to_numpy(float)
            rows.append({**base, **_weighted_row(y1, w1, y0, w0, ci_level),
                         "suppressed": False})
            continue
        rows.append({**base, **two_group_row(y1, y0, hedges=hedges, ci_level=ci_level),
                     "suppressed": False})
    table = tidy_frame(rows)
    notes = [
        f"Estimate = {focal} minus {ref}, in pooled-SD units; "
        + ("Hedges' g with exact J(n1 + n2 - 2)." if hedges else "Cohen's d (uncorrected)."),
        "Interval: exact, inverting the noncentral t (equal variances); raw_ci_* is Welch.",
    ] if weights is None else [
        f"Estimate = {focal} minus {ref}: weighted mean difference (weights {weights!r}) over "
        "the unweighted pooled SD (no small-sample correction).",
        "Interval: normal, from the sandwich variance of the weighted means (weights treated "
        "as known); raw_ci_* likewise for the raw difference.",
    ]
    if suppressed:
        notes.append(f"Suppressed (a group under {min_group_size} people): "
                     + ", ".join(suppressed) + ".")
    return EffectSizeResult(
        table=table,
        name=f"Standardized difference in {outcome}: {focal} vs {ref}",
        method_notes=tuple(notes),
        assumption_notes=("Independent people in two groups; normal outcome with equal variances "
                     "for the exact interval.",),
        limitation_notes=("A descriptive group difference, not a causal effect: groups may differ "
                     "in selection, job and rater.",),
        n_dropped=miss.n_dropped,
    )


@renamed_arguments(df="data")
def independent_d(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    *,
    reference: Any = None,
    person: str | None = None,
    hedges: bool = True,
    ci_level: float = 0.95,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    dropna: bool = False,
) -> EffectSizeResult:
    """Hedges' g (or Cohen's d) between two independent groups with an exact interval.

    The single-comparison form of :func:`group_difference`. A difference between two
    group means is a group-level number, so both groups must hold ``min_group_size``
    distinct people (default 5, never below 3); smaller groups are refused. For the
    arithmetic alone on arrays (e.g. published summary data), see :func:`two_group_row`.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    outcome : str
        Numeric outcome column.
    group : str
        Column with exactly two levels.
    reference : optional
        The comparison level; the estimate is ``focal - reference``. Default: the first level
        in sorted order.
    person : str, optional
        Column identifying people, as in :func:`group_difference`.
    hedges : bool, default True
        Hedges' g with the exact J(n1 + n2 - 2) (True) or Cohen's d.
    ci_level : float, default 0.95
        Level of the exact noncentral-t interval.
    min_group_size : int
        Smallest number of distinct people in each group.
    dropna : bool, default False
        Drop rows with missing values (counted) instead of raising.

    Returns
    -------
    EffectSizeResult
        One row: the standardized difference with its interval and group sizes.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [1.0, 2.0, 3.0, 2.0, 2.0, 2.0, 3.0, 4.0, 3.0, 3.0],
    ...                   "g": list("aaaaabbbbb")})
    >>> round(independent_d(d, "y", "g", reference="a", hedges=False).estimate, 6)
    1.414214
    """
    res = group_difference(data, outcome, group, reference=reference, person=person,
                           hedges=hedges, ci_level=ci_level, min_group_size=min_group_size,
                           dropna=dropna)
    if bool(res.table["suppressed"].iloc[0]):
        raise ValueError(
            f"independent_d: a group of {group!r} holds fewer than {min_group_size} distinct "
            "people (min_group_size); an effect size for so small a group would describe "
            "individuals. Merge groups or collect more data (the threshold is never below "
            "3)."
        )
    return res
