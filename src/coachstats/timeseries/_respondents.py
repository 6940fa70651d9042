"""Respondent thresholds for series of survey means: every published wave mean rests on at
least ``min_group_size`` distinct people.

Two input shapes are accepted: individual responses (``person=`` names the respondent; the
wave means are computed here after the people of each wave are counted) and series that are
already aggregated (``respondents=`` names a column with each wave's number of distinct
respondents). A wave under the threshold is refused, never silently dropped.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..privacy import MIN_GROUP_SIZE_FLOOR, check_min_group_size, count_people

__all__ = ["wave_means"]


def _label(key: Any, keys: list[str]) -> str:
    if len(keys) == 1:
        return f"{keys[0]}={key!r}"
    return ", ".join(f"{k}={v!r}" for k, v in zip(keys, key, strict=True))


def wave_means(frame: pd.DataFrame, outcome: str, keys: list[str], *, person: str | None,
               respondents: str | None, min_group_size: int
               ) -> tuple[pd.DataFrame, int | None]:
    """One row per ``keys`` (time, or unit and time), checked against ``min_group_size``.

    Returns the frame (``keys + [outcome]``, plus ``respondents`` when given) and the smallest
    number of respondents behind a wave (None when neither ``person`` nor ``respondents`` is
    given, so nothing could be checked).
    """
    k = check_min_group_size(min_group_size)
    if person is not None and respondents is not None:
        raise ValueError("give person= (one row per response) or respondents= (one row per "
                         "wave with its number of respondents), not both.")
    if person is None and respondents is None:
        return frame, None
    if person is not None:
        dup = frame.duplicated([*keys, person], keep=False)
        if dup.any():
            rows = frame.index[dup].tolist()[:8]
            raise ValueError(f"person {person!r} answers more than once in the same "
                             f"{'/'.join(keys)} (rows {rows}); keep one response per person "
                             "and wave.")
        counts = count_people(frame, person, keys)
        means = frame.groupby(keys, observed=True, sort=True)[outcome].mean()
        out = means.reset_index()
        n = counts.reindex(means.index).to_numpy()
        what = "distinct people (column " + repr(person) + ")"
    else:
        c = frame[respondents]
        bad = ~((c >= 0) & (c == c.round()))
        if bad.any():
            raise ValueError(f"column {respondents!r} must hold whole, non-negative counts of "
                             f"respondents; rows {frame.index[bad].tolist()[:8]} do not.")
        out = frame
        counts = frame.set_index(keys)[respondents]
        n = counts.to_numpy()
        what = f"respondents (column {respondents!r})"
    small = counts[n < k]
    if len(small):
        listed = "; ".join(f"{_label(key, keys)}: {int(v)}" for key, v in
                           list(small.items())[:10])
        more = f" (and {len(small) - 10} more)" if len(small) > 10 else ""
        raise ValueError(
            f"{len(small)} wave(s) rest on fewer than min_group_size={k} {what}: {listed}"
            f"{more}. A mean of so few people can identify them. Merge each small wave with "
            f"a neighbouring one, leave it out deliberately, or lower min_group_size (never "
            f"below {MIN_GROUP_SIZE_FLOOR}).")
    return out, int(n.min())
