"""Report-specific privacy: the scan of the finished output for identifier values, and the
check of each published table for person identifiers.

The rules themselves (thresholds counting people, identifier detection, pseudonyms,
suppression and the manifest) live in :mod:`coachstats.privacy`, below every estimator;
the names that used to live here are re-exported from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..privacy import (
    DEFAULT_MIN_GROUP_SIZE,
    MIN_GROUP_SIZE_FLOOR,
    GroupMeansResult,
    Identifiers,
    Manifest,
    PrivacyError,
    Suppression,
    check_min_group_size,
    detect_identifiers,
    guess_id_columns,
    safe_crosstab,
    safe_group_means,
)

__all__ = [
    "DEFAULT_MIN_SIZE",
    "MIN_ALLOWED",
    "PEOPLE_COUNT_COLUMNS",
    "GroupMeansResult",
    "Identifiers",
    "Manifest",
    "PrivacyError",
    "Suppression",
    "check_min_size",
    "detect_identifiers",
    "guard_table",
    "guess_id_columns",
    "safe_crosstab",
    "safe_group_means",
    "scan_for_identifiers",
    "small_counts",
]

#: Older names of :data:`coachstats.privacy.DEFAULT_MIN_GROUP_SIZE` and
#: :data:`coachstats.privacy.MIN_GROUP_SIZE_FLOOR`.
DEFAULT_MIN_SIZE = DEFAULT_MIN_GROUP_SIZE
MIN_ALLOWED = MIN_GROUP_SIZE_FLOOR


def check_min_size(min_size: Any) -> int:
    """Validate a minimum group size (see :func:`coachstats.privacy.check_min_group_size`).

    Examples
    --------
    >>> check_min_size(5)
    5
    """
    return check_min_group_size(min_size, "min_size")



#: Columns in estimators' tables that count the people behind a published row: group sizes
#: (``n``, ``n_focal``, ``n_treated`` ...), people per category (``count``), raters.
#: Risk-set columns (``n_risk``, ``n_at_risk`` ...) are handled row by row by the renderer.
PEOPLE_COUNT_COLUMNS = (
    "n", "count", "n_people", "n_persons", "n_employees", "n_participants", "n_respondents",
    "n_answered", "n_raters", "n_raters_pre", "n_raters_post", "n_leaders", "n_managers",
    "n_focal", "n_reference", "n_treated", "n_control", "n_treatment", "n_comparison",
    "n_internal", "n_external", "n_leavers", "n_with_benefit",
)  # fmt: skip

#: Estimator families whose count columns count something other than the study's people:
#: published studies and planned designs (meta, power), and units whose cohorts the DiD
#: estimators have already checked in people (see ``coachstats.did._privacy``).
_OTHER_COUNTS: dict[str, tuple[str, ...] | None] = {
    "meta.": None, "power.": None, "did.staggered": ("n_treated", "n_control"),
}


def small_counts(frame: pd.DataFrame, min_group_size: int, estimator: str = ""
                 ) -> dict[str, list[Any]]:
    """Count columns with a published value from 1 to ``min_group_size - 1``: column ->
    the rows' terms (row numbers without a ``term`` column). Rows an estimator marked
    ``suppressed`` or ``withheld`` are not published and not checked; a count of 0 is.

    Examples
    --------
    >>> import pandas as pd
    >>> small_counts(pd.DataFrame({"term": ["a", "b"], "n": [12, 3]}), 5)
    {'n': ['b']}
    """
    skip: tuple[str, ...] | None = ()
    for prefix, cols in _OTHER_COUNTS.items():
        if estimator.startswith(prefix):
            skip = cols
    if skip is None:
        return {}
    shown = pd.Series(True, index=frame.index)
    for flag in ("suppressed", "withheld"):
        if flag in frame.columns:
            shown &= ~frame[flag].fillna(False).astype(bool)
    out: dict[str, list[Any]] = {}
    for c in frame.columns:
        if str(c) not in PEOPLE_COUNT_COLUMNS or str(c) in skip:
            continue
        n = pd.to_numeric(frame[c], errors="coerce")
        bad = shown & (n > 0) & (n < min_group_size)
        if bad.any():
            rows = frame.loc[bad]
            out[str(c)] = (rows["term"].tolist() if "term" in frame.columns
                           else rows.index.tolist())
    return out


def guard_table(frame: pd.DataFrame, person_columns: Iterable[str], analysis: str,
                what: str, *, min_group_size: int | None = None, estimator: str = "") -> None:
    """Refuse a published table that has a column identifying people (a row per person),
    or, given ``min_group_size``, a count of people below it (see :func:`small_counts`).

    Examples
    --------
    >>> import pandas as pd
    >>> guard_table(pd.DataFrame({"term": ["x"]}), ["EmployeeID"], "a", "table")
    >>> guard_table(pd.DataFrame({"term": ["x"], "n": [8]}), [], "a", "t", min_group_size=5)
    """
    clash = sorted(set(map(str, frame.columns)) & set(person_columns))
    if clash:
        raise PrivacyError(
            f"analysis {analysis!r} ({what}): the table has column(s) {clash}, which identify "
            "people; a report never shows a row per person. Publish numbers over groups of "
            "people instead (teams, managers, cohorts), or, if the column does not identify "
            "people, list it in [privacy] not_identifiers."
        )
    if min_group_size is None:
        return
    small = small_counts(frame, min_group_size, estimator)
    if small:
        where = "; ".join(f"{c} in row(s) {rows[:10]}" for c, rows in small.items())
        raise PrivacyError(
            f"analysis {analysis!r} ({what}): the table publishes groups of fewer than "
            f"{min_group_size} people (the study's min_group_size): {where}. Pass the "
            "study's threshold to the estimator (min_group_size) so that it withholds them, "
            "or merge the small groups."
        )


# --------------------------------------------------------------------------- output scan
def _scannable(values: Iterable[Any]) -> tuple[set[str], int]:
    """Identifier strings worth scanning for, and how many values are too short to scan.

    Short numbers (under 5 digits) and very short strings also occur as counts, years and
    labels, so a match would mean nothing; they are counted, not scanned.
    """
    out, skipped = set(), 0
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        if isinstance(v, bool | np.bool_):
            continue
        if isinstance(v, int | np.integer) or (isinstance(v, float | np.floating)
                                                and float(v).is_integer()):
            s = str(int(v))
            if len(s.lstrip("-")) >= 5:
                out.add(s)
            else:
                skipped += 1
            continue
        s = str(v).strip()
        if re.fullmatch(r"[-+]?\d+", s):  # numeric text: same rule as numbers
            if len(s.lstrip("-+")) >= 5:
                out.add(s)
            else:
                skipped += 1
        elif len(s) >= 3 and not re.fullmatch(r"[-+]?\d*\.\d+", s):
            out.add(s)
        elif s:
            skipped += 1
    return out, skipped


def _tokens(text: str) -> set[str]:
    out = set()
    for tok in re.findall(r"[\w.@+-]+", text):
        out.add(tok)
        t = tok.strip(".-+_@")
        out.add(t)
        if re.fullmatch(r"-?\d+\.0+", t):
            out.add(t.split(".")[0])
    return out


def scan_for_identifiers(texts: Sequence[str], values: Iterable[Any]) -> tuple[list[str], int]:
    """Return the identifier values that occur (as whole tokens) in any of ``texts``.

    Also returns how many values were too short to scan meaningfully (see the module note).

    Parameters
    ----------
    texts : sequence of str
        The texts to be published.
    values : iterable
        Identifier values from the input data.

    Returns
    -------
    tuple of (list of str, int)
        The values found, and how many were too short to scan.

    Examples
    --------
    >>> scan_for_identifiers(["mean for team A: 3.1"], ["E-1001", "E-1002"])
    ([], 0)
    """
    wanted, skipped = _scannable(values)
    if not wanted:
        return [], skipped
    found = []
    # tokens: identifiers may hold letters, digits, '-', '_', '.', '@'
    token_sets = [_tokens(t) for t in texts]
    plain = "\n".join(texts)
    for w in sorted(wanted):
        if re.fullmatch(r"[\w.@+-]+", w):
            hit = any(w in ts for ts in token_sets)
        else:  # e.g. names with spaces
            hit = re.search(r"(?<![\w])" + re.escape(w) + r"(?![\w])", plain) is not None
        if hit:
            found.append(w)
    return found, skipped
