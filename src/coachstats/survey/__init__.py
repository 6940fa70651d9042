"""Survey proportions with their uncertainty: Wilson and Clopper-Pearson intervals, design
weights, raking to known population totals, and published percentages re-analysed.

Examples
--------
>>> import pandas as pd, coachstats as cs
>>> d = pd.DataFrame({"preventable": [1] * 42 + [0] * 58})
>>> round(cs.survey.proportion(d, "preventable").estimate, 2)
0.42
"""

from .proportion import (
    ProportionResult,
    clopper_pearson,
    proportion,
    published_proportion,
    wilson,
)
from .raking import RakeResult, rake

__all__ = [
    "ProportionResult",
    "RakeResult",
    "clopper_pearson",
    "proportion",
    "published_proportion",
    "rake",
    "wilson",
]
