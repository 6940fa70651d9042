"""One withheld item and why: the record every privacy rule and every result share.

It lives below both :mod:`coachstats.privacy` (which applies the rules) and
:mod:`coachstats.results` (whose ``suppressions()`` lists what a result withheld), so neither
has to import the other. Public as :class:`coachstats.privacy.Suppression`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Suppression"]


@dataclass(frozen=True)
class Suppression:
    """One withheld item, and why it was withheld.

    Parameters
    ----------
    analysis : str
        The analysis the item belongs to.
    item : str
        What was withheld.
    reason : str
        Why, in plain words.
    rule : str
        The rule applied (e.g. minimum group size).

    Examples
    --------
    >>> Suppression("a", "mean for team=T1", "fewer than 5 people", "minimum group size").rule
    'minimum group size'
    """

    analysis: str
    item: str
    reason: str
    rule: str

    def as_dict(self) -> dict[str, str]:
        return {"analysis": self.analysis, "item": self.item, "reason": self.reason,
                "rule": self.rule}
