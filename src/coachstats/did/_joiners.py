"""People who joined a unit after it was treated: excluded or kept, never silent.

In a staggered design the unit (team, manager) is treated; a person who first appears in a
unit after its cohort began was never observed untreated there. Read as a member of the
treated unit they change its composition after treatment (their answers enter the treated
unit's post-treatment means but not its baseline); they are not a later cohort either. The
flag comes from :func:`coachstats.prepare.cohorts` (``joined_after_treatment``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as V

JOINER_CHOICES = ("exclude", "keep")


def split_joiners(data: Any, joined: str, joiners: str) -> tuple[pd.DataFrame, int, str]:
    """Check the flag column; return the rows to analyse, the joiner rows and the policy.

    ``joiners="exclude"`` drops the flagged rows; ``"keep"`` keeps them (as members of the
    treated unit). ``data`` is never modified.
    """
    joiners = V.check_choice(joiners, "joiners", JOINER_CHOICES)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"joined=: needs the rows as a pandas DataFrame, got {type(data).__name__}; "
            "filter the joiners before reducing the data to cells."
        )
    V.require_columns(data, {"joined": joined})
    flag = data[joined]
    ok = flag.map(lambda v: isinstance(v, bool | np.bool_)
                  or (isinstance(v, int | float | np.integer | np.floating) and v in (0, 1)))
    if not ok.all():
        bad = data.index[~ok.to_numpy()]
        vals = ", ".join(repr(v) for v in flag[~ok].unique()[:5])
        raise ValueError(
            f"Column {joined!r} (argument joined=) must be True/False (or 1/0) for every row; "
            f"{len(bad)} row(s) are not ({V._rows(bad)}; values {vals}). It is the "
            "joined_after_treatment column that prepare.cohorts adds when given person= and "
            "time=; recompute it rather than filling it in."
        )
    is_joiner = flag.astype(bool).to_numpy()
    n = int(is_joiner.sum())
    if joiners == "exclude" and n:
        return data.loc[~is_joiner], n, joiners
    return data, n, joiners


def joiner_note(n: int, joiners: str | None, joined: str | None) -> list[str]:
    """The result note saying what was done with the joiners."""
    if joiners is None:
        return []
    if joiners == "exclude":
        what = (f"{n} row(s) flagged in {joined!r} (people who joined a unit after it was "
                "treated) were excluded (joiners='exclude'): never observed untreated in that "
                "unit, they are neither its baseline nor a later cohort.")
    else:
        what = (f"{n} row(s) flagged in {joined!r} (people who joined a unit after it was "
                "treated) were kept as members of the treated unit (joiners='keep'): its "
                "post-treatment means include people absent from its baseline.")
    return [what]
