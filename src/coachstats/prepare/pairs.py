"""Pre/post and 360 exports in long form -> one row per person with both measurements."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._validate import check_dataframe
from ..results import Result, tidy_frame
from ._context import missing_columns, rows_text

__all__ = ["PairsResult", "pairs"]


@dataclass(frozen=True)
class PairsResult(Result):
    """People measured at both occasions, and who was measured once.

    Parameters
    ----------
    data : DataFrame
        One row per person measured at both occasions: the person column, then
        ``<outcome>_pre`` and ``<outcome>_post`` for each outcome.
    pre_only, post_only : tuple
        The people measured only before, or only after.
    pre, post : object
        The values of the occasion column that mark the two occasions.

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> df = pd.DataFrame({"id": [1, 1, 2], "t": ["pre", "post", "pre"], "y": [3., 4., 2.]})
    >>> res = cs.prepare.pairs(df, "id", "t", "y")
    >>> len(res.data), res.pre_only, res.post_only
    (1, (2,), ())
    """

    data: pd.DataFrame = field(repr=False)
    pre_only: tuple[Hashable, ...] = field(repr=False)
    post_only: tuple[Hashable, ...] = field(repr=False)
    pre: Any = "pre"
    post: Any = "post"

    @property
    def title(self) -> str:
        return "Pre/post pairs"

    @property
    def notes(self) -> list[str]:
        n1 = len(self.pre_only) + len(self.post_only)
        return [f"{len(self.data)} people measured at {self.pre!r} and {self.post!r}; {n1} "
                f"measured once ({len(self.pre_only)} only at {self.pre!r}, "
                f"{len(self.post_only)} only at {self.post!r}) are left out of the pairs."]

    @property
    def n_dropped(self) -> int:
        return len(self.pre_only) + len(self.post_only)

    @property
    def dropped(self) -> dict[str, int]:
        """People measured only before, or only after (left out of the pairs)."""
        out = {f"people measured only at {self.pre!r}": len(self.pre_only),
               f"people measured only at {self.post!r}": len(self.post_only)}
        return {k: n for k, n in out.items() if n}

    def to_frame(self) -> pd.DataFrame:
        """Counts: ``n_pairs``, ``n_pre_only``, ``n_post_only`` (in ``estimate``)."""
        return tidy_frame([{"term": "n_pairs", "estimate": len(self.data)},
                           {"term": "n_pre_only", "estimate": len(self.pre_only)},
                           {"term": "n_post_only", "estimate": len(self.post_only)}])


def pairs(
    data: pd.DataFrame,
    person: str,
    time: str,
    outcome: str | Sequence[str],
    pre: Any = "pre",
    post: Any = "post",
) -> PairsResult:
    """Pair each person's measurement before with the one after.

    Parameters
    ----------
    data : DataFrame
        Long form: one row per person and occasion; never modified.
    person, time : str
        Person column (for a 360: the rated leader, or leader and rater combined) and
        occasion column.
    outcome : str or sequence of str
        Measured column(s).
    pre, post : scalar
        The values of ``time`` that mark the two occasions (other occasions are ignored).

    Returns
    -------
    PairsResult
        ``data`` (wide: ``<outcome>_pre``, ``<outcome>_post``) and who was measured once.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 1, 2], "t": ["pre", "post", "pre"], "y": [3., 4., 2.]})
    >>> res = pairs(df, "id", "t", "y")
    >>> res.data[["y_pre", "y_post"]].values.tolist(), res.pre_only
    ([[3.0, 4.0]], (2,))
    """
    df = check_dataframe(data)
    outs = [outcome] if isinstance(outcome, str) else list(outcome)
    missing_columns(df, {"person": person, "time": time, "outcome": outs})
    present = set(df[time].dropna().unique().tolist())
    for arg, v in (("pre", pre), ("post", post)):
        if v not in present:
            raise ValueError(f"{arg}={v!r} is not a value of column {time!r}; its values: "
                             f"{sorted(map(str, present))}.")
    sub = df[df[time].isin([pre, post])]
    dup = sub.duplicated([person, time], keep=False)
    if dup.any():
        raise ValueError(
            f"{int(dup.sum())} rows repeat a ({person}, {time}) pair: "
            f"{rows_text(df, list(sub.index[dup]), [person, time])}. Each person needs one "
            "row per occasion: average repeated ratings first or keep the right one.")
    wide = sub.pivot(index=person, columns=time, values=outs)
    frame = pd.DataFrame(index=wide.index)
    for o in outs:
        frame[f"{o}_pre"] = wide[(o, pre)]
        frame[f"{o}_post"] = wide[(o, post)]
    has_pre = frame[[f"{o}_pre" for o in outs]].notna().all(axis=1)
    has_post = frame[[f"{o}_post" for o in outs]].notna().all(axis=1)
    both = frame[has_pre & has_post].reset_index()
    return PairsResult(
        data=both, pre_only=tuple(frame.index[has_pre & ~has_post]),
        post_only=tuple(frame.index[~has_pre & has_post]), pre=pre, post=post,
    )
