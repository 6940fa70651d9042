"""Coaching-program returns: participant-level Phillips data or a company-level survey.

The generating model (both levels)
----------------------------------
Each unit (a participant, or a company that bought coaching) has a fully loaded cost
``C ~ LogNormal`` with mean ``cost_mean`` and coefficient of variation ``cost_cv``. With
probability ``1 - p_benefit`` it reports no monetary benefit (a structural zero); otherwise
its annual monetary benefit ``B`` is log-logistic (Fisk) with median ``benefit_median`` and
shape ``benefit_shape = s``::

    log B ~ Logistic(log(benefit_median), s),   P(B > x) ~ x^(-1/s)   (a power-law tail)

so ``E[B | B > 0] = benefit_median * pi s / sin(pi s)``, finite for ``s < 1``.

* ``level="participant"`` (Phillips-style evaluation form): each participant also states
  the share of the benefit due to coaching, ``attribution ~ Beta(mean, concentration)``,
  and their confidence in the estimate, ``confidence ~ Beta(mean, concentration)``, drawn
  independently of each other and of ``B`` and ``C``. Columns: ``participant, cost,
  benefit, attribution, confidence``. The Phillips-adjusted benefit is
  ``B * attribution * confidence``.
* ``level="company"`` (a survey such as the ICF/PwC client study): the benefit is reported
  directly as a return multiple ``M = B / C`` (already the company's own attribution), so
  ``benefit_median`` is the median positive *multiple*. Columns: ``company, cost,
  benefit, multiple, responded``.

Nonresponse (optional, outcome-dependent): a unit that did not recoup its cost
(adjusted benefit < cost) responds with probability ``response_rate``; a unit that did
recoup responds with probability ``response_ratio * response_rate``. Nonrespondents keep
their row (cost known) with benefit, multiple, attribution and confidence missing.

Truth (population quantities of this generating model, one-year horizon)
-----------------------------------------------------------------------
Participant level, with ``E[...]`` over the population of participants (respondents or not):

* ``bcr = p_benefit * E[B | B > 0] * E[attribution] * E[confidence] / E[C]`` — the
  benefit-cost ratio of the program: expected adjusted benefit per participant over
  expected fully loaded cost per participant. ``roi_pct = 100 * (bcr - 1)``.
* ``roi_positive``: whether ``roi_pct > 0`` (what a posterior ``P(ROI > 0)`` is about).
* ``p_participant_recoups = P(B * attribution * confidence > C)`` for one random
  participant (Monte Carlo, 400,000 draws with a fixed seed; MC SE < 0.001).
* ``p_program_roi_positive``: probability that the Phillips ROI of a freshly run program of
  ``n`` participants (all responding) exceeds 0 (Monte Carlo over 10,000 programs; MC SE
  < 0.005). ``None`` when ``n > 5000`` (it is then close to ``roi_positive``).
* ``share_with_benefit = p_benefit``, ``mean_attribution``, ``mean_confidence``,
  ``mean_positive_benefit = E[B | B > 0]``, ``mean_cost = E[C]``.

Company level: ``share_recouped = P(M >= 1)``, ``median_multiple`` (population median of
``M`` including zeros), ``bcr = E[M]`` (costs independent of multiples), ``roi_pct``,
``band_shares`` of the ICF/PwC bands ``[0,1), [1,10), [10,50), [50,inf)`` in the population
and ``respondent_band_shares`` expected among respondents.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from .._rng import RNGLike, as_generator
from .._validate import check_choice, check_int, check_positive, check_probability
from ._base import SimulatedData

__all__ = ["RoiTruth", "roi_program"]

#: band edges of the ICF/PwC (2009) company return multiples
ICF_BAND_EDGES: tuple[float, ...] = (0.0, 1.0, 10.0, 50.0, math.inf)

_DEFAULTS: dict[str, dict[str, float]] = {
    "participant": {
        "n": 189,
        "cost_mean": 12_000.0,
        "cost_cv": 0.2,
        "p_benefit": 0.7,
        "benefit_median": 30_000.0,
        "benefit_shape": 0.6,
        "response_rate": 1.0,
    },
    "company": {
        "n": 600,
        "cost_mean": 60_000.0,
        "cost_cv": 0.5,
        "p_benefit": 0.94,
        "benefit_median": 9.0,
        "benefit_shape": 0.95,
        "response_rate": 0.3,
    },
}


@dataclass(frozen=True)
class RoiTruth:
    """Population quantities of the generating model (see the module docstring)."""

    level: str
    bcr: float
    roi_pct: float
    roi_positive: bool
    share_with_benefit: float
    mean_positive_benefit: float
    mean_cost: float
    mean_attribution: float | None = None
    mean_confidence: float | None = None
    p_participant_recoups: float | None = None
    p_program_roi_positive: float | None = None
    share_recouped: float | None = None
    median_multiple: float | None = None
    band_shares: dict[str, float] = field(default_factory=dict)
    respondent_band_shares: dict[str, float] = field(default_factory=dict)


def _loglogistic_mean_factor(s: float) -> float:
    """E[B] / median for a log-logistic with shape s (< 1)."""
    return math.pi * s / math.sin(math.pi * s)


def _loglogistic_cdf(x: np.ndarray | float, median: float, s: float) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        z = (np.log(np.where(x > 0, x, np.nan)) - math.log(median)) / s
        out = 1.0 / (1.0 + np.exp(-z))
    out = np.where(x <= 0, 0.0, out)
    return np.where(np.isinf(x), 1.0, out)


def _draw_costs(rng: np.random.Generator, n: int, mean: float, cv: float) -> np.ndarray:
    if cv == 0:
        return np.full(n, mean)
    sig2 = math.log1p(cv**2)
    return rng.lognormal(math.log(mean) - sig2 / 2, math.sqrt(sig2), n)


def _draw_benefits(
    rng: np.random.Generator, n: int, p: float, median: float, s: float
) -> np.ndarray:
    pos = rng.random(n) < p
    b = median * np.exp(s * rng.logistic(0.0, 1.0, n))
    return np.where(pos, b, 0.0)


def _beta(rng: np.random.Generator, n: int, mean: float, conc: float) -> np.ndarray:
    return rng.beta(mean * conc, (1 - mean) * conc, n)


@lru_cache(maxsize=64)
def _participant_probabilities(
    n: int, cost_mean: float, cost_cv: float, p: float, med: float, s: float,
    am: float, ac: float, km: float, kc: float,
) -> tuple[float, float | None]:
    rng = np.random.default_rng(20090101)
    m = 400_000
    adj = _draw_benefits(rng, m, p, med, s) * _beta(rng, m, am, ac) * _beta(rng, m, km, kc)
    p_unit = float(np.mean(adj > _draw_costs(rng, m, cost_mean, cost_cv)))
    if n > 5_000:
        return p_unit, None
    reps, wins = 10_000, 0
    chunk = max(1, 200_000 // n)
    done = 0
    while done < reps:
        k = min(chunk, reps - done)
        size = k * n
        adj = _draw_benefits(rng, size, p, med, s) * _beta(rng, size, am, ac)
        adj *= _beta(rng, size, km, kc)
        c = _draw_costs(rng, size, cost_mean, cost_cv)
        wins += int(np.sum(adj.reshape(k, n).sum(1) > c.reshape(k, n).sum(1)))
        done += k
    return p_unit, wins / reps


def _band_label(lo: float, hi: float) -> str:
    return f"[{lo:g}, {hi:g})" if np.isfinite(hi) else f"[{lo:g}, inf)"


def roi_program(
    n: int | None = None,
    *,
    level: str = "participant",
    cost_mean: float | None = None,
    cost_cv: float | None = None,
    p_benefit: float | None = None,
    benefit_median: float | None = None,
    benefit_shape: float | None = None,
    attribution_mean: float = 0.5,
    attribution_concentration: float = 8.0,
    confidence_mean: float = 0.7,
    confidence_concentration: float = 12.0,
    response_rate: float | None = None,
    response_ratio: float = 1.0,
    rng: RNGLike = None,
) -> SimulatedData:
    """Simulate the returns of a coaching program (see the module docstring for the model).

    Parameters
    ----------
    n : int, optional
        Participants (default 189) or companies invited to the survey (default 600).
    level : {"participant", "company"}
        Phillips-style participant evaluation forms, or a company-level survey of return
        multiples.
    cost_mean, cost_cv : float, optional
        Mean and coefficient of variation of the fully loaded cost per unit (defaults
        12,000 and 0.2 per participant; 60,000 and 0.5 per company).
    p_benefit : float, optional
        Share of units with a positive monetary benefit (0.7 participant; 0.94 company).
    benefit_median, benefit_shape : float, optional
        Median and log-logistic shape ``s`` (< 1) of positive benefits: annual dollars per
        participant (30,000 and 0.6) or return multiples per company (9 and 0.95).
    attribution_mean, attribution_concentration, confidence_mean, confidence_concentration : float
        Beta distributions of the participant-stated shares (participant level only).
    response_rate : float, optional
        Probability that a unit that did not recoup its cost responds (1.0 participant;
        0.3 company).
    response_ratio : float
        How many times likelier a unit that recouped its cost is to respond (1 = ignorable
        nonresponse). ``response_ratio * response_rate`` must not exceed 1.
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data`` as described above; ``truth`` a :class:`RoiTruth`.

    Examples
    --------
    >>> sim = roi_program(rng=0)
    >>> sim.data.shape
    (189, 5)
    >>> round(sim.truth.bcr, 3)
    1.214
    """
    level = check_choice(level, "level", tuple(_DEFAULTS))
    d = _DEFAULTS[level]
    n = int(d["n"]) if n is None else n
    cost_mean = d["cost_mean"] if cost_mean is None else cost_mean
    cost_cv = d["cost_cv"] if cost_cv is None else cost_cv
    p_benefit = d["p_benefit"] if p_benefit is None else p_benefit
    benefit_median = d["benefit_median"] if benefit_median is None else benefit_median
    benefit_shape = d["benefit_shape"] if benefit_shape is None else benefit_shape
    response_rate = d["response_rate"] if response_rate is None else response_rate

    check_int(n, "n", minimum=2)
    check_positive(cost_mean, "cost_mean")
    check_positive(cost_cv, "cost_cv", allow_zero=True)
    check_probability(p_benefit, "p_benefit", open="low")
    check_positive(benefit_median, "benefit_median")
    check_probability(benefit_shape, "benefit_shape")
    for name, v in (
        ("attribution_mean", attribution_mean),
        ("confidence_mean", confidence_mean),
    ):
        check_probability(v, name)
    check_positive(attribution_concentration, "attribution_concentration")
    check_positive(confidence_concentration, "confidence_concentration")
    check_probability(response_rate, "response_rate", open="low")
    check_positive(response_ratio, "response_ratio")
    if response_ratio * response_rate > 1 + 1e-12:
        raise ValueError(
            f"response_ratio * response_rate must not exceed 1 (it is a probability), got "
            f"{response_ratio} * {response_rate} = {response_ratio * response_rate:g}."
        )
    params: dict[str, Any] = {
        "n": n,
        "level": level,
        "cost_mean": cost_mean,
        "cost_cv": cost_cv,
        "p_benefit": p_benefit,
        "benefit_median": benefit_median,
        "benefit_shape": benefit_shape,
        "response_rate": response_rate,
        "response_ratio": response_ratio,
    }
    g = as_generator(rng)
    cost = _draw_costs(g, n, cost_mean, cost_cv)
    mean_pos = benefit_median * _loglogistic_mean_factor(benefit_shape)

    if level == "participant":
        params.update(
            attribution_mean=attribution_mean,
            attribution_concentration=attribution_concentration,
            confidence_mean=confidence_mean,
            confidence_concentration=confidence_concentration,
        )
        benefit = _draw_benefits(g, n, p_benefit, benefit_median, benefit_shape)
        attr = _beta(g, n, attribution_mean, attribution_concentration)
        conf = _beta(g, n, confidence_mean, confidence_concentration)
        recouped = benefit * attr * conf >= cost
        responded = _respond(g, recouped, response_rate, response_ratio)
        data = pd.DataFrame(
            {
                "participant": np.arange(1, n + 1),
                "cost": np.round(cost, 2),
                "benefit": np.where(responded, np.round(benefit, 2), np.nan),
                "attribution": np.where(responded, attr, np.nan),
                "confidence": np.where(responded, conf, np.nan),
            }
        )
        bcr = p_benefit * mean_pos * attribution_mean * confidence_mean / cost_mean
        p_unit, p_prog = _participant_probabilities(
            n, cost_mean, cost_cv, p_benefit, benefit_median, benefit_shape,
            attribution_mean, attribution_concentration, confidence_mean,
            confidence_concentration,
        )
        truth = RoiTruth(
            level=level,
            bcr=bcr,
            roi_pct=100 * (bcr - 1),
            roi_positive=bool(bcr > 1),
            share_with_benefit=p_benefit,
            mean_positive_benefit=mean_pos,
            mean_cost=cost_mean,
            mean_attribution=attribution_mean,
            mean_confidence=confidence_mean,
            p_participant_recoups=p_unit,
            p_program_roi_positive=p_prog,
        )
        return SimulatedData(data=data, truth=truth, params=params)

    multiple = _draw_benefits(g, n, p_benefit, benefit_median, benefit_shape)
    recouped = multiple >= 1
    responded = _respond(g, recouped, response_rate, response_ratio)
    data = pd.DataFrame(
        {
            "company": np.arange(1, n + 1),
            "cost": np.round(cost, 2),
            "benefit": np.where(responded, np.round(multiple * cost, 2), np.nan),
            "multiple": np.where(responded, multiple, np.nan),
            "responded": responded,
        }
    )
    edges = np.array(ICF_BAND_EDGES)
    cdf = (1 - p_benefit) + p_benefit * _loglogistic_cdf(edges, benefit_median, benefit_shape)
    cdf[0] = 1 - p_benefit  # P(M <= 0): the structural zeros
    shares = np.diff(np.concatenate([[0.0], cdf[1:]]))
    labels = [_band_label(lo, hi) for lo, hi in itertools.pairwise(edges)]
    weights = np.where(np.arange(len(shares)) == 0, 1.0, response_ratio)
    resp = shares * weights / np.sum(shares * weights)
    q0 = 1 - p_benefit
    if q0 >= 0.5:
        median = 0.0
    else:
        q = (0.5 - q0) / p_benefit
        median = benefit_median * math.exp(benefit_shape * math.log(q / (1 - q)))
    bcr = p_benefit * mean_pos
    truth = RoiTruth(
        level=level,
        bcr=bcr,
        roi_pct=100 * (bcr - 1),
        roi_positive=bool(bcr > 1),
        share_with_benefit=p_benefit,
        mean_positive_benefit=mean_pos,
        mean_cost=cost_mean,
        share_recouped=float(1 - cdf[1]),
        median_multiple=median,
        band_shares=dict(zip(labels, map(float, shares), strict=True)),
        respondent_band_shares=dict(zip(labels, map(float, resp), strict=True)),
    )
    return SimulatedData(data=data, truth=truth, params=params)


def _respond(
    g: np.random.Generator, recouped: np.ndarray, rate: float, ratio: float
) -> np.ndarray:
    p = np.where(recouped, rate * ratio, rate)
    return g.random(recouped.shape[0]) < p
