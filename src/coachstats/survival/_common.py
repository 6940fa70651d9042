"""Input checks shared by the survival estimators (durations, event codes, groups)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import _rows, check_choice, check_ci_level, require_range

#: interval transforms for survival probabilities (R ``survfit(conf.type=)`` names)
CI_TRANSFORMS = ("log", "log-log", "plain")


def check_durations(frame: pd.DataFrame, column: str, arg: str = "duration") -> np.ndarray:
    """Return durations as floats; raise if any is negative or not finite."""
    x = frame[column].to_numpy(dtype=float)
    if not np.all(np.isfinite(x)):
        bad = frame.index[~np.isfinite(x)]
        raise ValueError(
            f"Column {column!r} (argument {arg}=) has non-finite values (rows {_rows(bad)}). "
            "Durations must be finite numbers of time units since the start of follow-up."
        )
    require_range(
        frame,
        column,
        0,
        None,
        arg=arg,
        hint="Durations cannot be negative: check that start and end dates are not swapped.",
    )
    return x


def binary_events(
    frame: pd.DataFrame, column: str, arg: str = "event", event_of_interest: Hashable | None = None
) -> np.ndarray:
    """Return a 0/1 event indicator; raise naming the codes that are not 0/1 (or bool).

    With ``event_of_interest`` the column may hold any codes: rows with that code are events
    and every other row is censored (a cause-specific analysis).
    """
    s = frame[column]
    if event_of_interest is not None:
        hit = (s == event_of_interest).to_numpy()
        if not hit.any():
            codes = ", ".join(repr(v) for v in pd.unique(s)[:6])
            raise ValueError(
                f"event_of_interest={event_of_interest!r} does not occur in column {column!r} "
                f"(argument {arg}=); its codes are {codes}."
            )
        return hit.astype(float)
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    vals = pd.to_numeric(s, errors="coerce")
    bad = ~vals.isin([0, 1])
    if bad.any():
        codes = sorted({repr(v) for v in s[bad].tolist()})[:5]
        raise ValueError(
            f"Column {column!r} (argument {arg}=) must code events as 1 and censoring as 0 "
            f"(or True/False); found {', '.join(codes)} in rows {_rows(frame.index[bad])}. "
            "For several event types (e.g. exit vs promotion) use survival.competing_risks, "
            "or recode the type you want as 1 and every other outcome as 0."
        )
    return vals.to_numpy(dtype=float)


def coded_events(
    frame: pd.DataFrame,
    column: str,
    events: Sequence[Hashable] | None,
    censor: Hashable,
    arg: str = "event",
) -> tuple[np.ndarray, list[Hashable]]:
    """Map event codes to 0 (censored) and 1..K (declared event types).

    Raises ValueError naming any code that is neither ``censor`` nor in ``events``.
    """
    s = frame[column]
    observed = pd.unique(s)
    if events is None and not (s == censor).any():
        codes = ", ".join(repr(v) for v in observed[:6])
        raise ValueError(
            f"censor={censor!r} does not occur in column {column!r} (argument {arg}=), whose "
            f"codes are {codes}. Pass censor= with your censoring code, or, if nobody was "
            "censored, declare the event types with events=[...]."
        )
    if events is None:
        declared = sorted((v for v in observed if v != censor), key=lambda v: (str(type(v)), v))
    else:
        declared = list(events)
        if len(set(declared)) != len(declared):
            raise ValueError(f"events={declared!r} repeats a code; list each event type once.")
        if censor in declared:
            raise ValueError(
                f"censor={censor!r} also appears in events={declared!r}; the censoring code "
                "cannot be an event type."
            )
    allowed = {censor, *declared}
    bad = ~s.isin(list(allowed))
    if bad.any():
        codes = sorted({repr(v) for v in s[bad].tolist()})[:5]
        raise ValueError(
            f"Column {column!r} (argument {arg}=) has code(s) {', '.join(codes)} that are not "
            f"declared: censor={censor!r}, events={declared!r} (rows {_rows(frame.index[bad])}). "
            "Add the code to events=, set censor= to your censoring code, or recode the data."
        )
    if not declared:
        raise ValueError(
            f"Column {column!r} (argument {arg}=) holds only the censoring code {censor!r}: "
            "there are no events to estimate."
        )
    code = np.zeros(len(s), dtype=int)
    for k, v in enumerate(declared, start=1):
        code[(s == v).to_numpy()] = k
    return code, declared


def check_ci(ci: str, ci_level: float) -> float:
    """Validate the interval transform and level; return the normal quantile."""
    ci = check_choice(ci, "ci", CI_TRANSFORMS)
    lvl = check_ci_level(ci_level)
    return float(stats.norm.ppf(0.5 + lvl / 2))


def resolve_min_group_size(min_group_size: int | None) -> int:
    """The privacy threshold of a survival curve: ``min_group_size`` (default 5, floor 3)."""
    from ..privacy import DEFAULT_MIN_GROUP_SIZE, check_min_group_size

    if min_group_size is None:
        return DEFAULT_MIN_GROUP_SIZE
    return check_min_group_size(min_group_size)


def prob_interval(
    p: np.ndarray, se_log: np.ndarray, z: float, ci: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval for a survival probability from the SE of log(p).

    Mirrors R ``survival:::survfit_confint(logse=TRUE)``: "log" is exp(log p +/- z se) with
    the upper end capped at 1; "log-log" works on log(-log p); "plain" is p +/- z p se
    truncated to [0, 1]. Undefined ends (p = 0, or p = 1 for log-log) are NaN, and a zero
    standard error gives the degenerate interval [p, p].
    """
    p = np.asarray(p, dtype=float)
    se = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if ci == "log":
            xx = np.where(p == 0, np.nan, p)
            lo = np.exp(np.log(xx) - z * se)
            hi = np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        elif ci == "log-log":
            xx = np.where((p == 0) | (p == 1), np.nan, p)
            t1 = np.log(-np.log(xx))
            s2 = z * se / np.log(xx)
            lo = np.exp(-np.exp(t1 - s2))
            hi = np.exp(-np.exp(t1 + s2))
        else:
            lo = np.maximum(p - z * se * p, 0.0)
            hi = np.minimum(p + z * se * p, 1.0)
    # a zero standard error gives a degenerate interval at the estimate (as R does)
    lo = np.where(se == 0, p, lo)
    hi = np.where(se == 0, p, hi)
    return lo, hi


def check_episodes(frame: pd.DataFrame, start: str, stop: str) -> np.ndarray:
    """Return episode start times; raise naming rows where start is not before stop."""
    a = frame[start].to_numpy(dtype=float)
    if not np.all(np.isfinite(a)):
        bad = frame.index[~np.isfinite(a)]
        raise ValueError(
            f"Column {start!r} (argument start=) has non-finite values (rows {_rows(bad)}); "
            "episode start times must be finite."
        )
    b = frame[stop].to_numpy(dtype=float)
    bad = ~(a < b)
    if bad.any():
        raise ValueError(
            f"Episodes must have start < stop: column {start!r} (argument start=) is not "
            f"below {stop!r} (argument duration=) in rows {_rows(frame.index[bad])}. A "
            "zero-length episode carries no time at risk: drop it, or move a change that "
            "happens on the event day to the start of that day."
        )
    return a


def check_weights(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return case weights; raise naming rows that are negative or not finite."""
    w = frame[column].to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise ValueError(
            f"Column {column!r} (argument weights=) must hold finite, non-negative case "
            f"weights; rows {_rows(frame.index[bad])} do not."
        )
    if not (w > 0).any():
        raise ValueError(f"Column {column!r} (argument weights=): every weight is 0.")
    return w


def check_clusters(frame: pd.DataFrame, column: str | None) -> None:
    """Raise when a cluster-robust variance would rest on a single cluster."""
    if column is not None and frame[column].nunique() < 2:
        raise ValueError(
            f"cluster: column {column!r} has a single cluster, so a cluster-robust standard "
            "error is undefined (it needs many clusters, 20 or more). Cluster by a finer unit "
            "or leave cluster unset."
        )
