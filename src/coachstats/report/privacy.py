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
    classify_name,
    detect_identifiers,
    safe_crosstab,
    safe_group_means,
)

__all__ = [
    "DEFAULT_MIN_SIZE",
    "MIN_ALLOWED",
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


def guess_id_columns(df: pd.DataFrame) -> list[str]:
    """Columns whose names read as identifiers of people or of managers and teams.

    Examples
    --------
    >>> import pandas as pd
    >>> guess_id_columns(pd.DataFrame(columns=["EmployeeID", "team", "score", "Full Name"]))
    ['EmployeeID', 'team', 'Full Name']
    """
    return [str(c) for c in df.columns if classify_name(c) is not None]


def guard_table(frame: pd.DataFrame, person_columns: Iterable[str], analysis: str,
                what: str) -> None:
    """Refuse a published table that has a column identifying people (a row per person).

    Examples
    --------
    >>> import pandas as pd
    >>> guard_table(pd.DataFrame({"term": ["x"]}), ["EmployeeID"], "a", "table")
    """
    clash = sorted(set(map(str, frame.columns)) & set(person_columns))
    if clash:
        raise PrivacyError(
            f"analysis {analysis!r} ({what}): the table has column(s) {clash}, which identify "
            "people; a report never shows a row per person. Publish numbers over groups of "
            "people instead (teams, managers, cohorts), or, if the column does not identify "
            "people, list it in [privacy] not_identifiers."
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
