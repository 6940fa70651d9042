"""What a headline number means, as the facts a verdict sentence is written from.

:func:`verdict` reads one headline (its value, interval, kind, labels, cautions and, for a
posterior, the probability of each direction) and returns the parts of the sentence: the
case (``above``/``below``/``unclear``/``level``/``probability``), the formatted numbers, the
size label with its rule, and the likelihood word. The words themselves are in
``templates/verdict.html``; the likelihood words follow the calibrated scale of the IPCC
(:data:`LIKELIHOOD`).

Examples
--------
>>> likelihood(0.651).word, likelihood(0.97).word
('about as likely as not', 'very likely')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._validate import check_probability
from .format import fmt, fmt_interval, fmt_p, is_number

__all__ = ["LIKELIHOOD", "LIKELIHOOD_CITATION", "Likelihood", "likelihood", "null_of", "verdict"]

LIKELIHOOD_CITATION = (
    "Mastrandrea et al. (2010), Guidance Note for Lead Authors of the IPCC Fifth Assessment "
    "Report on Consistent Treatment of Uncertainties"
)


@dataclass(frozen=True)
class Likelihood:
    """A probability band and its word."""

    low: float
    word: str

    def __str__(self) -> str:
        return self.word


#: (lower bound of the band, word), highest first: the IPCC scale, with its outer bands
#: (virtually certain > 99%, exceptionally unlikely < 1%) and the central band 33-66%.
LIKELIHOOD: tuple[Likelihood, ...] = (
    Likelihood(0.99, "virtually certain"),
    Likelihood(0.90, "very likely"),
    Likelihood(0.66, "likely"),
    Likelihood(0.33, "about as likely as not"),
    Likelihood(0.10, "unlikely"),
    Likelihood(0.01, "very unlikely"),
    Likelihood(0.0, "exceptionally unlikely"),
)


def likelihood(p: float) -> Likelihood:
    """The IPCC likelihood word for probability ``p``.

    Examples
    --------
    >>> str(likelihood(0.995)), str(likelihood(0.2))
    ('virtually certain', 'unlikely')
    """
    check_probability(p, "p (a probability)", open=False)
    return next(b for b in LIKELIHOOD if p > b.low or b.low == 0.0)


def null_of(kind: str) -> float | None:
    """The value meaning "no effect" for a kind (1 for ratios, 0 for differences), or None
    for levels (a share, a probability, an amount) that have no null.

    Examples
    --------
    >>> null_of("hazard_ratio"), null_of("smd"), null_of("share")
    (1.0, 0.0, None)
    """
    if kind in ("hazard_ratio", "ratio", "multiple"):
        return 1.0
    if kind in ("smd", "correlation", "number", "scale", "percent"):
        return 0.0
    return None


def verdict(h: Mapping[str, Any]) -> dict[str, Any]:
    """Facts for the verdict sentence of headline ``h``.

    ``h`` holds ``estimate, ci_low, ci_high, ci_level, kind, unit, interval`` and optionally
    ``prob_above`` (posterior probability that the quantity exceeds its null), ``p_value``,
    ``labels`` (named size labels) and ``null`` (overrides :func:`null_of`).

    Returns
    -------
    dict
        ``case``: ``above``/``below`` (the interval excludes the null, or the posterior puts
        at least 95% on that side), ``unclear``, ``level`` (no null) or ``probability`` (the
        headline is itself a probability); ``value``, ``low``, ``high``, ``null`` (formatted);
        ``size`` (label and rule); ``likely`` (word and probability) where known.

    Examples
    --------
    >>> v = verdict({"estimate": 0.17, "ci_low": 0.12, "ci_high": 0.22, "ci_level": 0.95,
    ...              "kind": "scale", "interval": "confidence"})
    >>> v["case"], v["value"], v["low"]
    ('above', '0.17', '0.12')
    """
    kind = h.get("kind", "number")
    unit = h.get("unit")
    est, lo, hi = h.get("estimate"), h.get("ci_low"), h.get("ci_high")
    has_ci = is_number(lo) and is_number(hi)
    width = abs(float(hi) - float(lo)) if has_ci else None
    null = h["null"] if "null" in h else null_of(kind)
    out: dict[str, Any] = {
        "value": fmt(est, kind, unit=unit, width=width), "kind": kind,
        "low": fmt(lo, kind, unit=unit, width=width) if has_ci else "",
        "high": fmt(hi, kind, unit=unit, width=width) if has_ci else "",
        "interval": fmt_interval(lo, hi, kind, unit=unit) if has_ci else "",
        "null": fmt(null, kind, unit=unit, decimals=0) if null is not None else "",
        "p_value": fmt_p(h.get("p_value")), "size": None, "likely": None, "prob": None,
        "missing": not is_number(est),
    }
    if kind == "hazard_ratio" and is_number(est) and float(est) > 0 and float(est) != 1:
        out["rate"] = {"change": fmt(abs(float(est) - 1), "share", decimals=0),
                       "direction": "lower" if float(est) < 1 else "higher"}
    labels = [lab for lab in h.get("labels", []) if lab.get("citation")]
    if labels:
        lab = labels[0]
        shown = None
        if lab.get("metric") and is_number(lab.get("value")) and (
                not is_number(est) or abs(float(lab["value"]) - float(est)) > 1e-12):
            shown = f"{lab['metric']} = {fmt(lab['value'], 'smd')}"
        out["size"] = {"label": lab["label"], "citation": lab["citation"], "metric": shown}
    if kind == "probability" and is_number(est):
        out["case"] = "probability"
        out["likely"] = str(likelihood(min(max(float(est), 0.0), 1.0)))
        return out
    prob = h.get("prob_above")
    if null is None or not is_number(est):
        out["case"] = "level"
        return out
    if is_number(prob):
        p = float(prob)
        side = "above" if float(est) >= null else "below"
        p_side = p if side == "above" else 1 - p
        out["likely"] = str(likelihood(p_side))
        out["prob"] = fmt(p_side, "probability")
        out["case"] = side if p_side >= 0.95 else "unclear"
        out["side"] = side
        return out
    if has_ci:
        if float(lo) > null:
            out["case"] = "above"
        elif float(hi) < null:
            out["case"] = "below"
        else:
            out["case"] = "unclear"
        out["side"] = "above" if float(est) >= null else "below"
        return out
    out["case"] = "level"
    return out
