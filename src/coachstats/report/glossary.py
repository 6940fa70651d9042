"""Plain names for the terms and columns of result tables, and the kind of each quantity.

Result tables keep stable snake_case names (``att_gt[2,3]``, ``ci_low``, ``icc1_manager``);
a reader gets "Effect in quarter 3 on teams coached from quarter 2", "Lower bound" and
"ICC(1): share of individual variance between managers". Column names of the user's data
(``ManagerID``) are turned into words (``manager``) before they appear in prose.

Examples
--------
>>> column_words("ManagerID"), column_words("team_id"), column_words("coached_from")
('manager', 'team', 'coached from')
>>> term_name("att_gt[2,3]", {"time": "quarter", "unit": "team"})
'Effect in quarter 3 on teams coached from quarter 2'
>>> column_name("ci_low")
'Lower bound'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["COLUMNS", "column_name", "column_words", "kind_of", "plural", "term_name"]

#: plain names of frame columns
COLUMNS: dict[str, str] = {
    "term": "Quantity", "estimate": "Estimate", "std_error": "Standard error",
    "ci_low": "Lower bound", "ci_high": "Upper bound", "ci_level": "Interval level",
    "ci_kind": "Interval type", "ci_method": "Interval method", "p_value": "p-value",
    "q_p_value": "p-value of Q", "median": "Posterior median", "mean": "Posterior mean",
    "rhat": "R-hat", "ess_bulk": "Effective draws (bulk)", "ess_tail": "Effective draws (tail)",
    "pi_low": "Prediction interval, lower", "pi_high": "Prediction interval, upper",
    "cred_low": "Credibility interval, lower", "cred_high": "Credibility interval, upper",
    "n": "Number", "n_obs": "Observations", "n_clusters": "Clusters", "k0": "Studies added",
    "df": "Degrees of freedom", "t": "t statistic", "statistic": "Test statistic",
    "event_time": "Periods since coaching started", "cohort": "Cohort", "time": "Period",
    "weight": "Weight", "icc1": "ICC(1)", "icc2": "ICC(2)", "n_risk": "Number at risk",
    "std_error_boot": "Bootstrap standard error", "hedges_j": "Small-sample correction J",
    "prob_positive": "Chance above 0", "setting": "Setting", "factor": "Assumption moved",
    "bound": "Low or high setting", "raw_difference": "Raw difference",
    "raw_ci_low": "Raw difference, lower", "raw_ci_high": "Raw difference, upper",
    "sd_pooled": "Pooled SD", "ci_low_pointwise": "Pointwise lower bound",
    "ci_high_pointwise": "Pointwise upper bound", "critical_change": "Critical change",
    "r_pre_post": "Pre-post correlation", "r_disattenuated": "Corrected correlation",
    "pct_var_explained": "Variance explained by sampling error",
    "nonresponse_odds": "Nonresponse odds", "reliability": "Reliability",
    "withheld": "Withheld", "suppressed": "Withheld", "reason": "Why",
}

#: plain names of well-known terms (exact match)
TERMS: dict[str, str] = {
    "att": "Average effect on the coached",
    "att_dynamic": "Average effect over the periods since coaching started",
    "att_group": "Average effect across coaching cohorts",
    "att_twfe": "Two-way fixed-effects estimate",
    "pretrend_wald": "Pre-trend test (joint Wald test of the pre-coaching effects)",
    "roi_pct": "Return on investment",
    "median_roi_pct": "Median return on investment",
    "bcr": "Benefit-cost ratio",
    "prob_roi_positive": "Chance that the return on investment is above 0%",
    "break_even_attribution": "Share of the benefit that must be due to coaching to break even",
    "tail_shape": "Tail heaviness of reported benefits (log-logistic shape)",
    "median_multiple": "Median return multiple",
    "share_recouped": "Share of companies that recouped their investment",
    "share_with_benefit": "Share of participants reporting a monetary benefit",
    "mean_attribution": "Average share of the benefit attributed to coaching",
    "mean_confidence": "Average confidence in the benefit estimates",
    "median_positive_benefit": "Median benefit among those reporting one",
    "mean_positive_benefit": "Average benefit among those reporting one",
    "adjusted_benefit_per_participant": "Adjusted benefit per participant",
    "total_benefit_claimed": "Total benefit claimed", "total_cost": "Total cost",
    "total_after_attribution": "Total benefit after attribution",
    "total_benefit_adjusted": "Total benefit after attribution and confidence",
    "n_participants": "Participants", "n_with_benefit": "Participants reporting a benefit",
    "cost_avoided": "Replacement cost avoided",
    "r": "Pooled correlation", "r_bar": "Average observed correlation",
    "rho": "Correlation corrected for unreliability", "r_new": "Correlation in a new study",
    "mu": "Pooled mean", "tau": "Between-study SD", "tau2": "Between-study variance",
    "i2": "I\u00b2 (share of variance that is heterogeneity)", "h2": "H\u00b2",
    "intercept": "Intercept", "slope_sei": "Slope on the standard error", "pet": "PET estimate",
    "peese": "PEESE estimate", "original": "Original estimate", "adjusted": "Adjusted estimate",
    "limit_estimate": "Limit estimate", "overall": "All raters combined", "all": "Everyone",
    "self": "Self-ratings", "direct_report": "Direct reports", "peer": "Peers",
    "manager": "Managers", "risk_with": "Risk of leaving with coaching",
    "risk_without": "Risk of leaving without coaching",
    "exits_avoided": "Exits avoided",
}

#: names that say which outcome the effect is on, when the analysis names it
_OUTCOME_TERMS = {
    "att": "Average effect of coaching on {outcome}",
    "att_dynamic": "Average effect on {outcome} over the periods since coaching started",
    "att_group": "Average effect on {outcome} across coaching cohorts",
    "att_twfe": "Two-way fixed-effects estimate of the effect on {outcome}",
}

_FACTORS = {"attribution": "attribution multiplied by", "horizon_years": "years of benefit",
            "cost_loading": "costs multiplied by", "nonresponse": "share who never answered"}
_PHASES = {"pre": "before", "post": "after", "change": "change", "improved": "improved",
           "deteriorated": "deteriorated", "unchanged": "unchanged"}


def column_words(name: Any) -> str:
    """A data column's name as words: ``"ManagerID"`` -> ``"manager"``.

    Examples
    --------
    >>> column_words("TeamID"), column_words("coached")
    ('team', 'coached')
    """
    s = str(name)
    s = re.sub(r"(?i)[_\s-]*(id|key|code|no)$", "", s) or s
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", s)
    s = re.sub(r"[_\-.]+", " ", s)
    return re.sub(r"\s+", " ", s).strip().lower()


def plural(word: str) -> str:
    """Naive English plural for role words (``team`` -> ``teams``, ``quarter`` -> ``quarters``).

    Examples
    --------
    >>> plural("company"), plural("class"), plural("month")
    ('companies', 'classes', 'months')
    """
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def _sentence(s: str) -> str:
    s = re.sub(r"[_]+", " ", s).strip()
    return s[:1].upper() + s[1:]


def column_name(col: Any) -> str:
    """Plain header for a frame column (``ci_low`` -> ``Lower bound``).

    Examples
    --------
    >>> column_name("n_leaders"), column_name("sd_change")
    ('Number of leaders', 'SD of change')
    """
    c = str(col)
    if c in COLUMNS:
        return COLUMNS[c]
    m = re.fullmatch(r"n_(.+)", c)
    if m:
        return f"Number of {m.group(1).replace('_', ' ')}"
    m = re.fullmatch(r"(sd|mean)_(.+)", c)
    if m:
        head = "SD" if m.group(1) == "sd" else "Mean"
        return f"{head} of {m.group(2).replace('_', ' ')}"
    return _sentence(c)


def _role(roles: Mapping[str, Any] | None, key: str, default: str) -> str:
    v = (roles or {}).get(key)
    return column_words(v) if isinstance(v, str) and v else default


def _group(spec: str | None) -> str:
    """``"CoachedFlag=1"`` -> ``" (coached flag = 1)"``; empty for None."""
    if not spec:
        return ""
    parts = []
    for p in spec.split(","):
        k, sep, v = p.partition("=")
        parts.append(f"{column_words(k)} = {v.strip()}" if sep else p.strip())
    return f" ({', '.join(parts)})"


def term_name(term: Any, roles: Mapping[str, Any] | None = None) -> str:
    """Plain name of a result term; ``roles`` are the analysis's arguments (``time``,
    ``unit``, ``cluster``, ``levels`` ...), whose column names are turned into words.

    Examples
    --------
    >>> term_name("icc1_ManagerID")
    'ICC(1): share of individual variance between managers'
    >>> term_name("between_share_TeamID_of_ManagerID")
    'Share of team-mean variance between managers'
    >>> term_name("event_time[-2]", {"time": "quarter"})
    '2 quarters before coaching started'
    """
    t = str(term)
    outcome = _role(roles, "outcome", "")
    if outcome and t in _OUTCOME_TERMS:
        return _OUTCOME_TERMS[t].format(outcome=outcome)
    if t in TERMS:
        return TERMS[t]
    time = _role(roles, "time", "period")
    unit = _role(roles, "unit", "unit")
    m = re.fullmatch(r"att_gt\[(-?\d+),\s*(-?\d+)\]", t)
    if m:
        g, p = m.groups()
        return f"Effect in {time} {p} on {plural(unit)} coached from {time} {g}"
    m = re.fullmatch(r"event_time\[(-?\d+)\]", t)
    if m:
        k = int(m.group(1))
        if k == 0:
            return f"The {time} coaching started"
        word = time if abs(k) == 1 else plural(time)
        return f"{abs(k)} {word} {'after' if k > 0 else 'before'} coaching started"
    m = re.fullmatch(r"group\[(-?\d+)\]", t)
    if m:
        return f"{plural(unit).capitalize()} coached from {time} {m.group(1)}"
    m = re.fullmatch(r"icc([12])_(.+)", t)
    if m:
        what = column_words(m.group(2))
        return (f"ICC(1): share of individual variance between {plural(what)}"
                if m.group(1) == "1" else f"ICC(2): reliability of {what} means")
    m = re.fullmatch(r"between_share_(.+)_of_(.+)", t)
    if m:
        return (f"Share of {column_words(m.group(1))}-mean variance between "
                f"{plural(column_words(m.group(2)))}")
    m = re.fullmatch(r"(sd|var)_(.+)", t)
    if m:
        what = "SD" if m.group(1) == "sd" else "Variance"
        lvl = column_words(m.group(2))
        return f"{what} {'within groups' if lvl == 'residual' else 'between ' + plural(lvl)}"
    m = re.fullmatch(r"roi_pct\[(\w+)=([^\]]+)\]", t)
    if m:
        return f"Return on investment with {_FACTORS.get(m.group(1), m.group(1))} {m.group(2)}"
    m = re.fullmatch(r"S\(([^)]+)\)\s*(?:\((.+)\))?", t)
    if m:
        return f"Share remaining at {m.group(1)}{_group(m.group(2))}"
    m = re.fullmatch(r"median\s*(?:\((.+)\))?", t)
    if m:
        return f"Median time to the event{_group(m.group(1))}"
    m = re.fullmatch(r"share\[(.+)\)", t)
    if m:
        lo, hi = (x.strip() for x in m.group(1).split(","))
        return (f"Share with a multiple of {lo} or more" if hi == "inf"
                else f"Share with a multiple from {lo} to under {hi}")
    m = re.fullmatch(r"(\w+)~(\w+):(\w+)", t)
    if m:
        a, b, ph = m.groups()
        return (f"{TERMS.get(a, _sentence(a))} vs {TERMS.get(b, _sentence(b)).lower()}, "
                f"{_PHASES.get(ph, ph)}")
    m = re.fullmatch(r"(\w+):(\w+)", t)
    if m and m.group(2) in _PHASES:
        return f"{TERMS.get(m.group(1), _sentence(m.group(1)))}, {_PHASES[m.group(2)]}"
    m = re.fullmatch(r"(\w+)=(.+)", t)
    if m:
        return f"{_sentence(column_words(m.group(1)))} {m.group(2)}"
    return _sentence(column_words(t))


def kind_of(term: Any, estimator: str | None = None, column: str = "estimate") -> str:
    """The kind (see :data:`coachstats.report.format.KINDS`) of ``term`` in ``column``.

    Examples
    --------
    >>> kind_of("roi_pct"), kind_of("prob_roi_positive"), kind_of("cost_avoided")
    ('percent', 'probability', 'currency')
    >>> kind_of("coached", "survival.cox"), kind_of("r", "meta.correlations")
    ('hazard_ratio', 'correlation')
    """
    t = str(term)
    est = estimator or ""
    if column == "p_value":
        return "p_value"
    if column.startswith("n_") or column in ("n", "count", "k0", "cohort", "time",
                                              "event_time"):
        return "count"
    if re.fullmatch(r"(median_)?roi_pct(\[.*\])?|.*_pct", t):
        return "percent"
    if t.startswith("prob_"):
        return "probability"
    if re.fullmatch(r"S\(.*", t) or t.startswith(("share", "icc1", "between_share")) or t in (
            "mean_attribution", "mean_confidence", "break_even_attribution"):
        return "share"
    if t == "bcr":
        return "ratio"
    if "multiple" in t:
        return "multiple"
    if re.search(r"benefit|cost|salary|avoided|^total_", t):
        return "currency"
    if t.startswith("n_"):
        return "count"
    if est == "report.group_means":
        return "level"
    if t.startswith("risk_"):
        return "share"
    if est == "survival.cox":
        return "hazard_ratio"
    if est.startswith("meta.") and re.fullmatch(r"r|rho|r_new|r_bar|mu|original|adjusted|pet|"
                                                r"peese|limit_estimate", t):
        return "correlation"
    if est.startswith("effects."):
        return "smd"
    if t.startswith("icc2"):
        return "ratio"
    return "number"
