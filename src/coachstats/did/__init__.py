"""Difference-in-differences for coaching roll-outs.

- :func:`two_by_two`: two groups, two periods;
- :func:`twfe` and :func:`event_study`: two-way fixed effects (static and by event time);
- :func:`bacon_decomposition`: the TWFE estimate as a weighted sum of 2x2 comparisons
  (Goodman-Bacon 2021);
- :func:`staggered`: Callaway & Sant'Anna (2021) group-time effects, with
  ``.aggregate("simple" | "group" | "dynamic" | "calendar")``, ``.pretrend_test()`` and
  uniform bootstrap bands;
- :func:`aggregate_panel`: individual survey rows to unit-period means with counts;
  :func:`cohort_from_treatment`: first treated period from a 0/1 column;
- :func:`staggered_by`: :func:`staggered` by subgroup of a unit-level column, with a Wald
  test of equality;
- :func:`bayesian`: multilevel Bayesian DiD (PyMC is imported only when it samples).
"""

from __future__ import annotations

from ._panel import aggregate_panel, cohort_from_treatment
from .arms import StaggeredArmsResult, staggered_arms
from .bayesian import BayesianDiDResult, bayesian
from .by_group import ByGroupResult, staggered_by
from .honest import SensitivityResult
from .honest import sensitivity as honest_sensitivity
from .staggered import AggregateResult, PretrendTest, StaggeredResult, staggered
from .twfe import (
    BaconResult,
    EventStudyResult,
    TwfeResult,
    TwoByTwoResult,
    bacon_decomposition,
    event_study,
    twfe,
    two_by_two,
)

__all__ = [
    "AggregateResult",
    "BaconResult",
    "BayesianDiDResult",
    "ByGroupResult",
    "EventStudyResult",
    "PretrendTest",
    "SensitivityResult",
    "StaggeredArmsResult",
    "StaggeredResult",
    "TwfeResult",
    "TwoByTwoResult",
    "aggregate_panel",
    "bacon_decomposition",
    "bayesian",
    "cohort_from_treatment",
    "event_study",
    "honest_sensitivity",
    "staggered",
    "staggered_arms",
    "staggered_by",
    "twfe",
    "two_by_two",
]


def __dir__() -> list[str]:
    # the public names only: imported helpers are not part of the API
    return sorted(__all__)
