"""Standardized change for paired (pre/post, within-person) data: d_z, d_av and d_rm.

Formulas follow Lakens (2013), "Calculating and reporting effect sizes to facilitate
cumulative science", Frontiers in Psychology 4:863, with ``change = post - pre``:

- ``d_z  = mean(change) / sd(change)`` (eq. 6): change in units of the SD of change;
- ``d_av = mean(change) / ((sd_pre + sd_post) / 2)`` (eq. 10; Cumming 2012): change in units
  of the average of the two SDs, comparable with a between-groups d;
- ``d_rm = d_z * sqrt(2 (1 - r))`` (eq. 9; Morris & DeShon 2002): the standardizer
  ``sd(change) / sqrt(2 (1 - r))`` equals the common SD when the two SDs are equal.

Hedges' correction multiplies by the exact gamma-function ``J(m)`` (Hedges 1981; see
:func:`hedges_j`), with ``m`` the degrees of freedom of the standardizer:

- d_z: ``m = n - 1`` exactly (``sqrt(n) d_z`` is noncentral t with ``n - 1`` df), so g_z is
  unbiased under normality;
- d_av and d_rm: ``m = nu``, the Satterthwaite df of the standardizer,
  ``nu = s^2 / (2 Var(s))``, with ``Var(s)`` the large-sample variance of the standardizer
  under bivariate normality (``Cov(s_ij, s_kl) = (s_ik s_jl + s_il s_jk) / (n - 1)``).
  For d_av ``nu`` runs from ``n - 1`` (r = 1) to ``2 (n - 1)`` (r = 0, as for two
  independent groups); ``E[1/s]`` of a scaled chi with ``nu`` df is what J corrects.
  ``nu`` is bounded to ``[n - 1, 2 (n - 1)]``: for d_rm with very unequal SDs in tiny
  samples the delta-method value can fall below ``n - 1`` (the estimated r adds noise),
  and the bound keeps J away from zero. Borenstein et al. (2009, ch. 4) use ``n - 1``,
  which over-corrects slightly when r < 1.

Intervals: d_z has an exact interval, found by inverting the noncentral t (Steiger & Fouladi
1997); it is an interval for the population delta_z and does not depend on ``hedges``.
d_av and d_rm have no exact interval. Because the mean change is independent of the sample
covariance matrix under normality, ``d / c`` (with ``c = sd(change) / (sqrt(n) s)``) is
approximately noncentral t with ``nu`` df; the interval inverts that distribution and
scales back by the plug-in ``c``. This extends the approximate noncentral-t interval of
Algina & Keselman (2003, Educ. Psychol. Meas. 63:537), which uses ``n - 1`` df and so
ignores the uncertainty of the standardizer. ``std_error`` is the delta-method SE (for
reference; the intervals do not use it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_arguments
from .._validate import (
    _rows,
    check_choice,
    check_ci_level,
    prepare,
    require_columns,
    require_min_count,
    require_unique_keys,
)
from ..results import tidy_frame
from ._noncentral import hedges_j, ncp_interval
from ._result import EffectSizeResult

KINDS = ("z", "av", "rm")
_NAMES = {"z": "z", "av": "av", "rm": "rm"}


def _as_kinds(kind: str | Sequence[str]) -> list[str]:
    if isinstance(kind, str):
        kind = check_choice(kind, "kind", (*KINDS, "all"))
        return list(KINDS) if kind == "all" else [kind]
    kinds = [check_choice(k, "kind", KINDS) for k in kind]
    if not kinds:
        raise ValueError("kind: give at least one of 'z', 'av', 'rm' (or 'all').")
    return kinds


def _delta_var_sd(
    kind: str, s11: float, s22: float, s12: float, n: int, sd2: float | None = None,
    omr: float | None = None,
) -> tuple[float, float]:
    """Standardizer ``s`` and the large-sample variance of ``s`` under bivariate normality.

    Uses Cov(s_ij, s_kl) = (s_ik s_jl + s_il s_jk) / (n - 1) for the sample covariances.
    ``sd2`` (variance of the differences) and ``omr`` (1 - r) may be passed when computed
    more accurately than from ``s11, s22, s12`` (r close to 1 cancels). A variance that
    comes out negative through rounding is returned as 0.
    """
    m = n - 1
    cov = np.array(
        [
            [2 * s11**2, 2 * s12**2, 2 * s11 * s12],
            [2 * s12**2, 2 * s22**2, 2 * s22 * s12],
            [2 * s11 * s12, 2 * s22 * s12, s11 * s22 + s12**2],
        ]
    ) / m
    if kind == "av":
        a, b = math.sqrt(s11), math.sqrt(s22)
        s = (a + b) / 2
        grad = np.array([1 / (4 * a), 1 / (4 * b), 0.0])
    elif kind == "rm":
        sd2 = s11 + s22 - 2 * s12 if sd2 is None else sd2
        omr = 1 - s12 / math.sqrt(s11 * s22) if omr is None else omr
        r = 1 - omr
        s = math.sqrt(sd2 / (2 * omr))
        dlog = np.array(
            [
                1 / sd2 - r / (2 * s11 * omr),
                1 / sd2 - r / (2 * s22 * omr),
                -2 / sd2 + 1 / (math.sqrt(s11 * s22) * omr),
            ]
        )
        grad = s / 2 * dlog
    else:  # "z"
        sd2 = s11 + s22 - 2 * s12
        s = math.sqrt(sd2)
        grad = np.array([1.0, 1.0, -2.0]) / (2 * s)
    var = float(grad @ cov @ grad)
    return s, var if np.isfinite(var) and var > 0 else 0.0


def paired_rows(
    pre: np.ndarray,
    post: np.ndarray,
    kinds: Sequence[str],
    *,
    hedges: bool = True,
    ci_level: float = 0.95,
    prefix: str = "",
) -> list[dict[str, Any]]:
    """One tidy row per kind for paired arrays (already validated, equal length, finite)."""
    n = len(pre)
    require_min_count(n, 3, "complete pre/post pairs", "A paired d needs n >= 3.")
    diff = post - pre
    dbar = float(diff.mean())
    s1, s2 = float(pre.std(ddof=1)), float(post.std(ddof=1))
    sdd = float(diff.std(ddof=1))
    s12 = float(np.cov(pre, post, ddof=1)[0, 1])
    r = s12 / (s1 * s2) if s1 > 0 and s2 > 0 else math.nan
    # 1 - r from sd(change)^2 = (s1 - s2)^2 + 2 s1 s2 (1 - r): no cancellation as r -> 1
    omr = (sdd**2 - (s1 - s2) ** 2) / (2 * s1 * s2) if s1 > 0 and s2 > 0 else math.nan
    df = n - 1
    t_stat = dbar / (sdd / math.sqrt(n)) if sdd > 0 else math.nan
    p = float(2 * stats.t.sf(abs(t_stat), df)) if np.isfinite(t_stat) else math.nan
    common = {
        "ci_level": ci_level,
        "n": n,
        "mean_pre": float(pre.mean()),
        "mean_post": float(post.mean()),
        "mean_change": dbar,
        "sd_pre": s1,
        "sd_post": s2,
        "sd_change": sdd,
        "r_pre_post": r,
        "t": t_stat,
        "p_value": p,
    }
    rows = []
    for kind in kinds:
        if kind == "z":
            if not sdd > 0:
                raise ValueError(
                    "d_z is undefined: the change scores (post - pre) have zero variance "
                    "(every pair changed by the same amount). Use kind='av', or report the "
                    "raw change."
                )
            d = dbar / sdd
            j = hedges_j(df) if hedges else 1.0
            lo, hi = ncp_interval(d * math.sqrt(n), df, ci_level=ci_level)
            lo, hi = lo / math.sqrt(n), hi / math.sqrt(n)
            se = j * math.sqrt(1 / n + d * d / (2 * df))
            method = "exact (noncentral t)"
            common_kind = {"df": float(df), "hedges_j": j}
        else:
            if kind == "av" and not (s1 + s2) > 0:
                raise ValueError(
                    "d_av is undefined: both pre and post have zero variance (every value is "
                    "the same)."
                )
            if kind == "rm":
                if not (s1 > 0 and s2 > 0 and sdd > 0):
                    which = "pre" if not s1 > 0 else "post" if not s2 > 0 else "change scores"
                    raise ValueError(
                        f"d_rm is undefined: the {which} have zero variance. Use kind='av'."
                    )
                if not omr > 1e-12:
                    raise ValueError(
                        "d_rm is undefined: pre and post are perfectly correlated (r = "
                        f"{r:.6g}). Use kind='z' or 'av'."
                    )
            if kind == "av" and (s1 == 0 or s2 == 0):
                raise ValueError(
                    f"d_av interval is undefined: the {'pre' if s1 == 0 else 'post'} scores "
                    "have zero variance."
                )
            s, var_s = _delta_var_sd(kind, s1**2, s2**2, s12, n, sdd**2, omr)
            d = dbar / s
            # d = (mean change / sigma) / (s / sigma): a normal over an (approximately)
            # scaled chi variable with Satterthwaite df nu, i.e. noncentral t after scaling
            nu = min(max(s * s / (2 * var_s), df), 2.0 * df) if var_s > 0 else 2.0 * df
            c = sdd / (math.sqrt(n) * s)
            j = hedges_j(nu) if hedges else 1.0
            if c > 0:
                lo, hi = ncp_interval(d / c, nu, ci_level=ci_level)
                lo, hi = lo * c, hi * c
            else:
                lo = hi = d
            se = j * math.sqrt(c * c + d * d * var_s / (s * s))
            method = "noncentral t, Satterthwaite df"
            common_kind = {"df": nu, "hedges_j": j}
        rows.append(
            {
                "term": f"{prefix}{'g' if hedges else 'd'}_{_NAMES[kind]}",
                "estimate": j * d,
                "std_error": se,
                "ci_low": lo,
                "ci_high": hi,
                "kind": kind,
                "d": d,
                "ci_method": method,
                **common,
                **common_kind,
            }
        )
    return rows


def _to_array(x: Any, name: str) -> np.ndarray:
    if isinstance(x, str):
        raise TypeError(f"{name}={x!r} is a column name, but no DataFrame was given.")
    try:
        a = np.asarray(x, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected numbers.") from exc
    return a


def _long_to_wide(
    df: pd.DataFrame, id_col: str, time: str, value: str, pre: Any, post: Any, dropna: bool
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per person with columns ``pre`` and ``post`` from long data, and what was
    left out (reason -> count)."""
    frame, miss = prepare(df, {"id": id_col, "time": time, "value": value}, numeric=["value"],
                          dropna=dropna)
    seen = set(frame[time].unique().tolist())
    for arg, lvl in (("pre", pre), ("post", post)):
        if lvl not in seen:
            raise ValueError(f"{arg}={lvl!r} is not a value of column {time!r}; it has "
                             f"{sorted(seen, key=str)[:10]}.")
    frame = frame.loc[frame[time].isin([pre, post])]
    require_unique_keys(frame, [id_col, time], "Each person needs one value per occasion.")
    wide = frame.pivot(index=id_col, columns=time, values=value)
    wide = wide.rename(columns={pre: "pre", post: "post"})[["pre", "post"]]
    incomplete = wide.isna().any(axis=1)
    if incomplete.any():
        if not dropna:
            first = list(wide.index[incomplete][:3])
            raise ValueError(
                f"pre and post have different lengths: {int(incomplete.sum())} "
                f"{id_col!r} value(s) have only one occasion (e.g. {first}). Pass "
                "dropna=True to drop them (they are counted)."
            )
        wide = wide.loc[~incomplete]
    reasons = {f"rows with a missing {id_col}, {time} or {value}": miss.n_dropped,
               "people measured at one occasion only": int(incomplete.sum())}
    return wide.reset_index(drop=True), {k: n for k, n in reasons.items() if n}


@renamed_arguments(df="data", id="person", value="outcome")
def repeated_measures_d(
    data: pd.DataFrame | None = None,
    pre: Any = "pre",
    post: Any = "post",
    *,
    kind: str | Sequence[str] = "z",
    hedges: bool = True,
    ci_level: float = 0.95,
    dropna: bool = False,
    person: str | None = None,
    time: str | None = None,
    outcome: str | None = None,
) -> EffectSizeResult:
    """Standardized pre-to-post change: d_z, d_av or d_rm, with Hedges' correction.

    Parameters
    ----------
    data : DataFrame or None
        One row per person with the two measurements side by side. If None, ``pre`` and
        ``post`` are array-likes of equal length.
    pre, post : str or array-like
        Column names (or arrays). Change is ``post - pre``, so a positive estimate is an
        increase.
    kind : {"z", "av", "rm", "all"} or list of them
        Which standardizer (see the module notes); "all" gives the three rows.
    hedges : bool
        Multiply by the exact J(n - 1) (terms ``g_*``); False reports Cohen's d (``d_*``).
    ci_level : float
        Interval level. d_z: exact noncentral-t interval; d_av, d_rm: Wald interval from
        the delta-method variance.
    dropna : bool
        Drop incomplete pairs (and count them) instead of raising.
    person, time, outcome : str, optional
        ``person`` alone: the column identifying people in side-by-side data (each must
        appear once). With ``time`` and ``outcome``, long format: one row per person and
        occasion. ``pre`` and ``post`` are then the
        values of ``time`` that mark the two occasions; people measured at only one of them
        raise an error (or are dropped and counted with ``dropna=True``).

    Returns
    -------
    EffectSizeResult
        ``to_frame()`` columns: ``term, estimate, std_error, ci_low, ci_high, ci_level,
        kind, d, ci_method, n, df, hedges_j, mean_pre, mean_post, mean_change, sd_pre,
        sd_post, sd_change, r_pre_post, t, p_value``.

    Examples
    --------
    >>> import pandas as pd
    >>> movies = pd.DataFrame({"pre": [9, 6, 7, 8, 7, 9, 8, 8, 8, 7],
    ...                        "post": [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]})
    >>> res = repeated_measures_d(movies, kind="z", hedges=False)
    >>> round(res.estimate, 3), round(res.ci_low, 3), round(res.ci_high, 3)
    (1.5, 0.561, 2.403)
    """
    ci_level = check_ci_level(ci_level)
    kinds = _as_kinds(kind)
    reasons: dict[str, int] = {}
    if time is not None or outcome is not None:
        if data is None or person is None or time is None or outcome is None:
            raise ValueError(
                "long format needs a DataFrame and all of person=, time= and outcome=."
            )
        data, reasons = _long_to_wide(data, person, time, outcome, pre, post, dropna)
        pre, post = "pre", "post"
    elif person is not None and data is not None:
        require_columns(data, {"person": person})
        dup = data[person].duplicated(keep=False)
        if dup.any():
            raise ValueError(
                f"column {person!r} (argument person=) repeats (rows "
                f"{_rows(data.index[dup])}): side-by-side pre and post columns need one row "
                "per person. For one row per person and occasion pass time= and outcome= as "
                "well (long format)."
            )
    if data is None:
        a, b = _to_array(pre, "pre"), _to_array(post, "post")
        if len(a) != len(b):
            raise ValueError(
                f"pre and post have different lengths ({len(a)} vs {len(b)}); paired data "
                "need one pre and one post value per person."
            )
        keep = np.isfinite(a) & np.isfinite(b)
        if not keep.all():
            if not dropna:
                raise ValueError(
                    f"pre/post contain {int((~keep).sum())} missing or non-finite value(s). "
                    "Remove them, or pass dropna=True to drop incomplete pairs."
                )
            reasons["pairs with a missing or non-finite value"] = int((~keep).sum())
            a, b = a[keep], b[keep]
    else:
        if not isinstance(pre, str) or not isinstance(post, str):
            raise TypeError("with a DataFrame, pre= and post= must be column names.")
        frame, miss = prepare(data, {"pre": pre, "post": post}, numeric=["pre", "post"],
                              dropna=dropna)
        if miss.n_dropped:
            reasons["people with a missing pre or post value"] = miss.n_dropped
        a = frame[pre].to_numpy(dtype=float)
        b = frame[post].to_numpy(dtype=float)
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise ValueError("pre/post contain infinite values; remove them first.")
    rows = paired_rows(a, b, kinds, hedges=hedges, ci_level=ci_level)
    table = tidy_frame(rows)
    notes = [
        "Change = post - pre. "
        + ("Hedges' g: d x exact J(n - 1) (Hedges 1981)." if hedges else "Cohen's d (no "
           "small-sample correction)."),
    ]
    if "z" in kinds:
        notes.append("d_z interval: exact, inverting the noncentral t (df = n - 1); it is an "
                     "interval for delta_z and is the same with or without Hedges' J.")
    if set(kinds) & {"av", "rm"}:
        notes.append("d_av/d_rm interval: Wald, large-sample delta-method variance "
                     "including the uncertainty of the standardizer (bivariate normal).")
    return EffectSizeResult(
        table=table,
        name="Standardized pre-post change",
        method_notes=tuple(notes),
        assumption_notes=(
            "Pairs are independent people measured twice on the same scale.",
            "Intervals assume (bivariate) normal scores.",
        ),
        limitation_notes=(
            "Without a control group, change includes retest, maturation and regression "
            "to the mean; see ppc_d for a pretest-posttest-control design.",
        ),
        n_dropped=sum(reasons.values()),
        drop_reasons=reasons,
    )
