"""Performance ratings of internal promotees and external hires over their first years.

Modelled on Bidwell (2011), "Paying more to get less: The effects of external hiring versus
internal mobility", Administrative Science Quarterly 56(3):369-407: in an investment bank's
personnel records, external hires into the same jobs received significantly lower
performance evaluations than internal promotees for their first two years, were paid
substantially more (about 18-20%), had more education and experience, and were more likely
to exit. The defaults echo those directions; the sizes are assumptions, not Bidwell's
estimates.

Model, person ``i`` in tenure year ``y = 1..years``::

    rating_iy = rating_mean + gap_y [external_i] + a_i + e_iy
    a_i ~ N(0, stability sd^2),  e_iy ~ N(0, (1 - stability) sd^2)

so the within-year SD is ``sd`` in both groups and the true standardized gap in year ``y``
is exactly ``gap_y`` (external minus internal). People leave at the end of each year with a
group-specific probability that does not depend on performance (attrition is ignorable
within group), so each year's stayers estimate the same gap. Starting salary is
log-normal with an external premium; prior experience is Poisson with a higher mean for
external hires. Ratings are continuous on a 1-5 metric (not rounded) so the truth is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_positive, check_probability
from ._base import SimulatedData


@dataclass(frozen=True)
class HirePerformanceTruth:
    """True values: standardized and raw rating gap (external minus internal) by tenure year,
    log-salary premium, annual exit probabilities."""

    gap_d: dict[str, float]
    gap_raw: dict[str, float]
    rating_sd: float
    salary_premium_log: float
    exit_probability: dict[str, float]


def hire_performance(
    n_internal: int = 500,
    n_external: int = 300,
    *,
    years: int = 4,
    gap: Sequence[float] = (-0.30, -0.20, 0.0, 0.05),
    rating_mean: float = 3.4,
    rating_sd: float = 0.6,
    stability: float = 0.5,
    exit_internal: float = 0.08,
    exit_external: float = 0.14,
    salary_internal: float = 120_000.0,
    salary_premium: float = 0.18,
    rng: RNGLike = None,
) -> SimulatedData:
    """Yearly performance ratings of internal promotees and external hires.

    Parameters
    ----------
    n_internal, n_external : int
        People who start in the job (tenure year 1).
    years : int
        Tenure years followed.
    gap : sequence of float
        True standardized gap (external minus internal, in within-year SDs) for each tenure
        year; ``len(gap) == years``.
    rating_mean, rating_sd : float
        Internal promotees' mean and the within-year SD of ratings.
    stability : float
        Share of rating variance that is a stable person effect, in [0, 1).
    exit_internal, exit_external : float
        Probability of leaving at the end of each year.
    salary_internal : float
        Median starting salary of internal promotees.
    salary_premium : float
        External premium in log points (0.18 is about 20% more).
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data``: one row per person and tenure year while employed, with ``employee,
        hire_type`` ("internal"/"external"), ``year, rating, starting_salary,
        prior_experience_years``; ``truth``: :class:`HirePerformanceTruth` with keys
        ``"year=1"``, ``"year=2"`` ... matching ``effects.group_difference(..., by="year")``.

    Examples
    --------
    >>> sim = hire_performance(rng=1)
    >>> sim.truth.gap_d["year=1"]
    -0.3
    """
    check_int(n_internal, "n_internal", minimum=2)
    check_int(n_external, "n_external", minimum=2)
    check_int(years, "years", minimum=1)
    gap = [float(g) for g in gap]
    if len(gap) != years:
        raise ValueError(f"gap must have one value per tenure year ({years}), got {len(gap)}.")
    if not all(math.isfinite(g) for g in gap):
        raise ValueError("gap values must be finite.")
    check_positive(rating_sd, "rating_sd")
    check_probability(stability, "stability", open="high")
    check_probability(exit_internal, "exit_internal", open="high")
    check_probability(exit_external, "exit_external", open="high")
    check_positive(salary_internal, "salary_internal")
    if not math.isfinite(rating_mean) or not math.isfinite(salary_premium):
        raise ValueError("rating_mean and salary_premium must be finite.")
    gen = as_generator(rng)
    n = n_internal + n_external
    external = np.r_[np.zeros(n_internal, bool), np.ones(n_external, bool)]
    person = gen.normal(0, rating_sd * math.sqrt(stability), n)
    salary = salary_internal * np.exp(salary_premium * external + gen.normal(0, 0.12, n))
    experience = gen.poisson(np.where(external, 9.0, 6.0))
    p_exit = np.where(external, exit_external, exit_internal)
    # years completed before leaving: geometric, capped at the follow-up
    draws = gen.geometric(np.where(p_exit > 0, p_exit, 1.0))
    stay = np.where(p_exit > 0, np.minimum(draws, years), years)
    idx = np.repeat(np.arange(n), stay)
    year = np.concatenate([np.arange(1, s + 1) for s in stay])
    noise = gen.normal(0, rating_sd * math.sqrt(1 - stability), len(idx))
    gap_arr = np.asarray(gap)
    rating = rating_mean + gap_arr[year - 1] * rating_sd * external[idx] + person[idx] + noise
    data = pd.DataFrame(
        {
            "employee": [f"E{i + 1:05d}" for i in idx],
            "hire_type": np.where(external[idx], "external", "internal"),
            "year": year,
            "rating": rating,
            "starting_salary": np.round(salary[idx], 0),
            "prior_experience_years": experience[idx],
        }
    )
    truth = HirePerformanceTruth(
        gap_d={f"year={y + 1}": g for y, g in enumerate(gap)},
        gap_raw={f"year={y + 1}": g * rating_sd for y, g in enumerate(gap)},
        rating_sd=float(rating_sd),
        salary_premium_log=float(salary_premium),
        exit_probability={"internal": float(exit_internal), "external": float(exit_external)},
    )
    params = {"n_internal": n_internal, "n_external": n_external, "years": years,
              "gap": gap, "rating_mean": rating_mean, "rating_sd": rating_sd,
              "stability": stability, "exit_internal": exit_internal,
              "exit_external": exit_external, "salary_internal": salary_internal,
              "salary_premium": salary_premium}
    return SimulatedData(data=data, truth=truth, params=params)
