"""An exit survey of voluntary leavers with nonresponse that depends on who left.

Motivated by the figure quoted in the seed article: "42% of employees who voluntarily left
their jobs said their manager or organization could have done something to prevent their
departure" (Gallup). The defaults put the population share near 0.42; the cell rates and the
response rates are assumptions.

Model: ``n_leavers`` leavers fall into tenure bands and job levels with fixed counts (the
given shares, rounded; the two are crossed at random), so the population margins are known
constants of the design, as in an HR system. A leaver in band ``b`` and level ``l`` says the
exit was preventable with probability
``p_bl = expit(logit(base) + band_effect_b + level_effect_l)`` and answers the survey with
probability ``response_band_b * response_level_l`` (multiplicative, so raking on the two
margins removes the nonresponse bias exactly in expectation). The data are the
respondents; the truth holds the population share (``proportion``, the finite-population
value of this draw), its expectation and the population totals of each margin, which an
HR system would know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_probability
from ._base import SimulatedData

BANDS = ("<1y", "1-3y", "3y+")
LEVELS = ("individual", "manager")


def _counts(n: int, shares: list[float]) -> np.ndarray:
    """Largest-remainder allocation of ``n`` to ``shares`` (fixed population margins)."""
    raw = np.asarray(shares) * n
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out), kind="stable")[: n - out.sum()]] += 1
    return out


@dataclass(frozen=True)
class ExitSurveyTruth:
    """Population share saying 'preventable' (this draw and its expectation), margins."""

    proportion: float
    proportion_expected: float
    proportion_by_band: dict[str, float]
    margins: dict[str, dict[str, int]]
    response_rate: float
    respondent_proportion_expected: float


def exit_survey(
    n_leavers: int = 1500,
    *,
    base: float = 0.42,
    band_share: Mapping[str, float] | None = None,
    level_share: Mapping[str, float] | None = None,
    band_effect: Mapping[str, float] | None = None,
    level_effect: Mapping[str, float] | None = None,
    response_band: Mapping[str, float] | None = None,
    response_level: Mapping[str, float] | None = None,
    rng: RNGLike = None,
) -> SimulatedData:
    """Respondents to an exit survey, with the leaver population's true share.

    Parameters
    ----------
    n_leavers : int
        Voluntary leavers surveyed (the population).
    base : float
        Share saying 'preventable' in the reference cell (before band/level effects).
    band_share, level_share : mapping
        Population shares of tenure bands ``<1y, 1-3y, 3y+`` and levels
        ``individual, manager`` (default 0.35/0.40/0.25 and 0.85/0.15).
    band_effect, level_effect : mapping
        Log-odds shifts of 'preventable' (default +0.5 for <1y, 0 for 1-3y, -0.6 for 3y+;
        +0.2 for managers).
    response_band, response_level : mapping
        Multiplicative response probabilities (default 0.25/0.55/0.80 and 0.9/1.0); their
        products must lie in (0, 1].
    rng : int, Generator or None

    Returns
    -------
    SimulatedData
        ``data``: ``respondent, tenure_band, level, preventable`` (0/1); ``truth``:
        :class:`ExitSurveyTruth`.

    Examples
    --------
    >>> sim = exit_survey(rng=1)
    >>> sorted(sim.truth.margins)
    ['level', 'tenure_band']
    """
    check_int(n_leavers, "n_leavers", minimum=20)
    check_probability(base, "base")
    bs = dict(band_share or {"<1y": 0.35, "1-3y": 0.40, "3y+": 0.25})
    ls = dict(level_share or {"individual": 0.85, "manager": 0.15})
    be = dict(band_effect or {"<1y": 0.5, "1-3y": 0.0, "3y+": -0.6})
    le = dict(level_effect or {"individual": 0.0, "manager": 0.2})
    rb = dict(response_band or {"<1y": 0.25, "1-3y": 0.55, "3y+": 0.8})
    rl = dict(response_level or {"individual": 0.9, "manager": 1.0})
    for name, d, keys in (("band_share", bs, BANDS), ("level_share", ls, LEVELS),
                          ("band_effect", be, BANDS), ("level_effect", le, LEVELS),
                          ("response_band", rb, BANDS), ("response_level", rl, LEVELS)):
        if sorted(d) != sorted(keys):
            raise ValueError(f"{name} must have the keys {list(keys)}, got {list(d)}.")
    for name, d in (("band_share", bs), ("level_share", ls)):
        if abs(sum(d.values()) - 1) > 1e-9 or min(d.values()) <= 0:
            raise ValueError(f"{name} must be positive shares summing to 1, got {d}.")
    for b in BANDS:
        for lv in LEVELS:
            check_probability(rb[b] * rl[lv],
                              f"response_band[{b!r}] * response_level[{lv!r}]", open="low")
    g = as_generator(rng)
    band = g.permutation(np.repeat(np.arange(len(BANDS)),
                                   _counts(n_leavers, [bs[b] for b in BANDS])))
    level = g.permutation(np.repeat(np.arange(len(LEVELS)),
                                    _counts(n_leavers, [ls[v] for v in LEVELS])))
    eta = logit(base) + np.array([be[b] for b in BANDS])[band] \
        + np.array([le[v] for v in LEVELS])[level]
    p = expit(eta)
    y = (g.random(n_leavers) < p).astype(int)
    resp_p = np.array([rb[b] for b in BANDS])[band] * np.array([rl[v] for v in LEVELS])[level]
    responds = g.random(n_leavers) < resp_p
    # expectations over the cell distribution
    cells = [(bs[b] * ls[v], expit(logit(base) + be[b] + le[v]), rb[b] * rl[v])
             for b in BANDS for v in LEVELS]
    p_exp = sum(s * q for s, q, _ in cells)
    r_exp = sum(s * r for s, _, r in cells)
    pr_exp = sum(s * q * r for s, q, r in cells) / r_exp
    data = pd.DataFrame({
        "respondent": [f"L{i:05d}" for i in np.flatnonzero(responds)],
        "tenure_band": np.array(BANDS, dtype=object)[band[responds]],
        "level": np.array(LEVELS, dtype=object)[level[responds]],
        "preventable": y[responds],
    })
    truth = ExitSurveyTruth(
        proportion=float(y.mean()),
        proportion_expected=float(p_exp),
        proportion_by_band={b: float(y[band == i].mean()) for i, b in enumerate(BANDS)},
        margins={"tenure_band": {b: int((band == i).sum()) for i, b in enumerate(BANDS)},
                 "level": {v: int((level == i).sum()) for i, v in enumerate(LEVELS)}},
        response_rate=float(r_exp),
        respondent_proportion_expected=float(pr_exp),
    )
    params = {"n_leavers": n_leavers, "base": base, "band_share": bs, "level_share": ls,
              "band_effect": be, "level_effect": le, "response_band": rb,
              "response_level": rl}
    return SimulatedData(data, truth, params)
