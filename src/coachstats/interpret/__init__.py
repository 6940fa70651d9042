"""Named, cited rules that turn a number into a word, always with the rule's name attached.

A label is never given alone: :func:`label` returns an :class:`Interpretation` holding the
value, the label, the rule and its citation, so a report can say "medium, following Funder &
Ozer (2019)".
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

from .._validate import check_choice

__all__ = ["RULES", "Interpretation", "Rule", "improvement_index", "label"]


@dataclass(frozen=True)
class Rule:
    """Ordered cut-points on ``|value|`` and the label of each band.

    Parameters
    ----------
    name : str
        Key of the rule (e.g. ``"cohen1988_d"``).
    metric : str
        The quantity it labels (e.g. ``"d"``, ``"r"``).
    cutoffs : tuple of float
        Increasing cut-points on ``|value|``; a value at a cut-point belongs to the band above.
    labels : tuple of str
        One label per band (one more than the cut-points).
    citation : str
        Where the rule comes from.

    Examples
    --------
    >>> from coachstats.interpret import Rule, label
    >>> rule = Rule("team_d", "d", (0.3,), ("modest", "notable"), "Our team's convention")
    >>> label(0.4, rule).label
    'notable'
    """

    name: str
    metric: str
    cutoffs: tuple[float, ...]
    labels: tuple[str, ...]
    citation: str

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.cutoffs) + 1:
            raise ValueError(f"rule {self.name!r}: need one more label than cut-off.")


@dataclass(frozen=True)
class Interpretation:
    """Parameters

    Parameters
    ----------
    value : float
        The value labelled.
    label : str
        Its label under the rule.
    rule : str
        Name of the rule.
    citation : str
        Where the rule comes from.
    term : str or None
        The ``to_frame()`` row the label describes, when there is one.

    Examples
    --------
    >>> from coachstats.interpret import label
    >>> i = label(0.55, "cohen1988_d", term="estimate")
    >>> i.label, i.rule
    ('medium', 'cohen1988_d')
    """
    value: float
    label: str
    rule: str
    citation: str
    term: str | None = None  # the to_frame() row the label describes, when there is one

    def __str__(self) -> str:
        return f"{self.label}, following {self.citation}"


RULES: dict[str, Rule] = {
    "cohen1988_d": Rule(
        "cohen1988_d",
        "d",
        (0.2, 0.5, 0.8),
        ("negligible", "small", "medium", "large"),
        "Cohen (1988)",
    ),
    "cohen1988_r": Rule(
        "cohen1988_r",
        "r",
        (0.1, 0.3, 0.5),
        ("negligible", "small", "medium", "large"),
        "Cohen (1988)",
    ),
    "funder_ozer2019_r": Rule(
        "funder_ozer2019_r",
        "r",
        (0.05, 0.10, 0.20, 0.30, 0.40),
        ("tiny", "very small", "small", "medium", "large", "very large"),
        "Funder & Ozer (2019)",
    ),
    "gignac_szodorai2016_r": Rule(
        "gignac_szodorai2016_r",
        "r",
        (0.10, 0.20, 0.30),
        ("below typical-small", "small", "typical", "relatively large"),
        "Gignac & Szodorai (2016)",
    ),
    "wwc_g": Rule(
        "wwc_g",
        "g",
        (0.25,),
        ("not substantively important", "substantively important"),
        "What Works Clearinghouse Procedures Handbook v5.0 (2022): |g| >= 0.25",
    ),
    "lebreton_senter2008_icc1": Rule(
        "lebreton_senter2008_icc1", "ICC(1)", (0.01, 0.10, 0.25),
        ("negligible", "small", "medium", "large"), "LeBreton & Senter (2008)",
    ),
    "lebreton_senter2008_icc2": Rule(
        "lebreton_senter2008_icc2", "ICC(2)", (0.70,),
        ("group means unreliable", "group means reliable"),
        "LeBreton & Senter (2008): ICC(2) >= .70",
    ),
    "lebreton_senter2008_rwg": Rule(
        "lebreton_senter2008_rwg", "rwg", (0.31, 0.51, 0.71, 0.91),
        ("lack of agreement", "weak agreement", "moderate agreement", "strong agreement",
         "very strong agreement"),
        "LeBreton & Senter (2008), Table 3",
    ),
    "higgins2003_i2": Rule(
        "higgins2003_i2",
        "I2 (%)",
        (25.0, 50.0, 75.0),
        ("very low", "low", "moderate", "high"),
        "Higgins et al. (2003)",
    ),
}

DEFAULT_RULE = {"d": "cohen1988_d", "g": "wwc_g", "r": "funder_ozer2019_r", "i2": "higgins2003_i2"}


def label(
    value: float, rule: str | Rule = "funder_ozer2019_r", term: str | None = None
) -> Interpretation:
    """Label ``|value|`` by a named rule; ``term`` names the result row it describes.

    Parameters
    ----------
    value : float
        The value to label (its absolute value is compared with the cut-points).
    rule : str or Rule, default "funder_ozer2019_r"
        A rule name from ``RULES`` or a :class:`Rule`.
    term : str, optional
        The result row the label describes.

    Returns
    -------
    Interpretation
        The label with the rule and its citation.

    Examples
    --------
    >>> str(label(0.39, "funder_ozer2019_r"))
    'large, following Funder & Ozer (2019)'
    """
    if isinstance(rule, str):
        rule = check_choice(rule, "rule", sorted(RULES))
    r = RULES[rule] if isinstance(rule, str) else rule
    a = abs(float(value))
    i = sum(a >= c for c in r.cutoffs)
    return Interpretation(
        value=float(value), label=r.labels[i], rule=r.name, citation=r.citation, term=term
    )


def improvement_index(g: float) -> float:
    """WWC improvement index: expected percentile-rank change of the average comparison
    member, ``100 * (Phi(g) - 0.5)``.

    Parameters
    ----------
    g : float
        Standardized mean difference (Hedges' g).

    Returns
    -------
    float
        Percentile-rank change, between -50 and 50.

    Examples
    --------
    >>> round(improvement_index(0.25), 1)
    9.9
    """
    return float(100 * (stats.norm.cdf(g) - 0.5))


def __dir__() -> list[str]:
    # the public names only: imported helpers (np, argparse, ...) are not part of the API
    return sorted(__all__)
