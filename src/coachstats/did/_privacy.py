"""Cohort and cell sizes of the difference-in-differences estimators, counted in people.

Every DiD estimate is built from cohort-level (or group x period cell) means, so each
cohort that enters it must hold at least ``min_group_size`` distinct people (default 5,
never below 3; :mod:`coachstats.privacy`). Withholding a small cohort would silently change
the estimand (the effect averaged over other cohorts), so a small cohort is refused with a
message that says how to merge it; the analyst decides.

People are the distinct values of ``person=`` when it is given. Without it the distinct
units (``unit=``) are counted: exact when units are people, and a lower bound on the number
of people when units are groups of people (teams), so the check never lets through a cohort
that holds fewer people than the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..privacy import check_min_group_size

__all__ = ["check_cell_sizes", "check_cohort_sizes"]


def _columns(data: Any, cols: Sequence[str | None]) -> pd.DataFrame | None:
    """The needed columns, or None when the estimator itself must report what is wrong."""
    if not isinstance(data, pd.DataFrame):
        return None
    named = [c for c in cols if c is not None]
    if any(c not in data.columns for c in named):
        return None
    return data[named]


def check_cohort_sizes(
    data: Any, unit: str, cohort: str, *, never_treated: Any, person: str | None,
    min_group_size: Any, what: str, outcome: str | None = None,
) -> int:
    """Refuse a cohort (or the never-treated group) of fewer than ``min_group_size`` people.

    Call it after the estimator has validated its columns. Returns the validated threshold.
    Rows with a missing unit, person or outcome are not counted; a missing, infinite or
    ``never_treated`` cohort is never treated.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"u": range(12), "g": [0] * 6 + [3] * 6})
    >>> check_cohort_sizes(d, "u", "g", never_treated=0, person=None, min_group_size=5,
    ...                    what="f")
    5
    """
    k = check_min_group_size(min_group_size)
    if person is not None and isinstance(data, pd.DataFrame) and person not in data.columns:
        raise ValueError(f"person={person!r} is not a column; available columns: "
                         f"{list(map(str, data.columns))}.")
    frame = _columns(data, [unit, cohort, person, outcome])
    if frame is None:
        return k
    who = person if person is not None else unit
    frame = frame.loc[frame[[c for c in (unit, person, outcome) if c]].notna().all(axis=1)]
    g = frame[cohort]
    num = pd.to_numeric(g, errors="coerce")
    never = g.isna() | (g == never_treated) | (num.notna() & ~np.isfinite(num.fillna(0)))
    if isinstance(never_treated, float) and np.isnan(never_treated):
        never = never | g.isna()
    key = g.astype(object).where(~never, "never treated")
    counts = frame.groupby(key, sort=True)[who].nunique()
    small = counts.loc[(counts > 0) & (counts < k)]
    if small.empty:
        return k
    kind = "distinct people" if person is not None else f"distinct units ({unit!r})"
    sizes = ", ".join(f"{c!s}: {n}" for c, n in small.items())
    raise ValueError(
        f"{what}: cohort(s) of {cohort!r} with fewer than {k} {kind} (min_group_size): "
        f"{sizes}. An estimate for so small a cohort would describe individuals, and "
        "leaving it out would change what is estimated. Merge it with a neighbouring cohort "
        f"(recode {cohort!r} so that it starts with the next or previous cohort), or drop "
        "its units from the data and say so; the threshold is never below 3."
        + ("" if person is not None else " Units are counted because person= is not "
           "given; name the person column to count people.")
    )


def check_cell_sizes(
    data: Any, cells: Sequence[str], *, person: str | None, min_group_size: Any, what: str,
) -> int:
    """Refuse a published cell (e.g. group x period of a 2x2 DiD) of fewer than
    ``min_group_size`` people (distinct ``person`` values, else rows); rows with a missing
    value in these columns are not counted. Call it after the estimator's own checks.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"g": [0, 1] * 6, "p": [0] * 6 + [1] * 6})
    >>> check_cell_sizes(d, ["g", "p"], person=None, min_group_size=3, what="f")
    3
    """
    k = check_min_group_size(min_group_size)
    if person is not None and isinstance(data, pd.DataFrame) and person not in data.columns:
        raise ValueError(f"person={person!r} is not a column; available columns: "
                         f"{list(map(str, data.columns))}.")
    frame = _columns(data, [*cells, person])
    if frame is None:
        return k
    frame = frame.dropna()
    if person is not None:
        counts = frame.groupby(list(cells), sort=True)[person].nunique()
    else:
        counts = frame.groupby(list(cells), sort=True).size()
    small = counts.loc[counts < k]
    if small.empty:
        return k
    kind = "distinct people" if person is not None else "rows (each counted as a person)"
    sizes = ", ".join(f"{dict(zip(cells, c if isinstance(c, tuple) else (c,), strict=True))}"
                      f": {n}" for c, n in small.items())
    raise ValueError(
        f"{what}: cell(s) with fewer than {k} {kind} (min_group_size): {sizes}. Their means "
        "would describe individuals. Pool periods or groups so that every cell holds at "
        "least that many people; the threshold is never below 3."
    )
