"""Immortal-time guard: refuse a baseline covariate that is only known after the time origin.

A treatment that starts during follow-up (coaching begun 6-36 months after hire) is a
property of the future when it is coded as a baseline covariate: to be "ever coached" a
person must have stayed employed until the coaching began, so the coached group is credited
with that event-free ("immortal") time and the hazard ratio is biased towards benefit
(Suissa 2008). Data that know this carry a mark in ``DataFrame.attrs`` (set by the
generators and by :func:`mark_after_origin`); the survival estimators read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from .._validate import check_choice
from ..results import Caution

#: ``DataFrame.attrs`` key: {column derived from a date after the origin: column with that
#: time since the origin (missing = never)}
AFTER_ORIGIN = "coachstats_after_origin"

IMMORTAL_CHOICES = ("refuse", "allow")


def mark_after_origin(data: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """Return a copy of ``data`` that records which columns start after the time origin.

    Parameters
    ----------
    data : DataFrame
        Person-level data; not modified.
    columns : mapping
        ``{indicator column: column with the time (since the origin) it began}``, e.g.
        ``{"coached": "coached_month"}``.

    Returns
    -------
    DataFrame
        A copy whose ``attrs`` carry the mark; :func:`coachstats.survival.cox`,
        :func:`~coachstats.survival.kaplan_meier`, ... then refuse a baseline model of it.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"coached": [0, 1], "coached_month": [None, 7.0]})
    >>> mark_after_origin(df, {"coached": "coached_month"}).attrs[AFTER_ORIGIN]
    {'coached': 'coached_month'}
    """
    for c in [*columns, *columns.values()]:
        if c not in data.columns:
            raise ValueError(f"mark_after_origin: column {c!r} not found in data.")
    out = data.copy()
    out.attrs[AFTER_ORIGIN] = {**data.attrs.get(AFTER_ORIGIN, {}), **dict(columns)}
    return out


def after_origin(data: pd.DataFrame) -> dict[str, str]:
    """The columns of ``data`` marked as starting after the time origin."""
    mark = data.attrs.get(AFTER_ORIGIN, {}) if isinstance(data, pd.DataFrame) else {}
    return dict(mark) if isinstance(mark, Mapping) else {}


def immortal_time_check(
    data: pd.DataFrame, used: Iterable[str | None], *, policy: str, where: str
) -> tuple[Caution, ...]:
    """Refuse (``policy="refuse"``) or caution about baseline use of after-origin columns."""
    policy = check_choice(policy, "immortal_time", IMMORTAL_CHOICES)
    mark = after_origin(data)
    hit = [c for c in used if c is not None and c in mark]
    if not hit:
        return ()
    c = hit[0]
    msg = (
        f"{where}: column {c!r} is derived from a date after the time origin (it starts at "
        f"{mark[c]!r}), so using it as a baseline group or covariate credits the treated "
        "with the time they had to survive before treatment began (immortal-time bias; it "
        "makes the treatment look protective). Use a time-varying covariate instead "
        "(split follow-up into (start, stop] episodes and pass start=), or a landmark "
        "analysis (survival.landmark(..., at=...)) that fixes treatment status at a chosen "
        "time among those still at risk."
    )
    if policy == "refuse":
        raise ValueError(msg + " Pass immortal_time='allow' only to reproduce a naive analysis.")
    return (Caution("immortal_time",
                    f"Immortal-time design: {c!r} begins during follow-up ({mark[c]!r}) but is "
                    "treated as known at the start, which biases the estimate towards benefit.",
                    None),)
