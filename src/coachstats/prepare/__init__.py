"""From an HR export to analysis-ready data.

Read files as HR systems export them (:func:`read`), parse dates in one place
(:func:`parse_dates`), score survey scales with their reliability (:func:`scale`), number
survey waves and coaching cohorts from dates (:func:`waves`, :func:`cohorts`), turn HR dates
into durations with competing events (:func:`durations`) and counting-process episodes for a
treatment that starts during follow-up (:func:`episodes`), pair pre/post measurements
(:func:`pairs`), and tidy ROI sheets (:func:`percent`, :func:`total`).

Every function takes ``data`` first, never modifies it, keeps column names exactly as in the
file, and names offending rows as a spreadsheet shows them (header = row 1).

Examples
--------
>>> import coachstats as cs
>>> df = cs.prepare.read("data/raw-examples/engagement_survey.csv")     # doctest: +SKIP
>>> res = cs.prepare.scale(df, ["Q1", "Q2", "Q3", "Q4", "Q5"], reverse=["Q3"])  # doctest: +SKIP
"""

from ._dates import parse_dates
from ._read import read
from ._steps import STEPS, apply_steps
from .events import durations, episodes
from .pairs import PairsResult, pairs
from .periods import cohorts, waves
from .scale import ScaleResult, scale
from .sheets import flag, percent, total

__all__ = [
    "STEPS",
    "PairsResult",
    "ScaleResult",
    "apply_steps",
    "cohorts",
    "durations",
    "episodes",
    "flag",
    "pairs",
    "parse_dates",
    "percent",
    "read",
    "scale",
    "total",
    "waves",
]
