"""Proportions from surveys with their uncertainty: Wilson and Clopper-Pearson intervals,
design weights, raking to known totals, and published percentages re-analysed.

Unweighted, ``p = x / n`` with the Wilson (1927) score interval or the Clopper-Pearson (1934)
exact interval (R ``prop.test(x, n, correct = FALSE)`` and ``binom.test``). Weighted,
``p = sum(w y) / sum(w)`` with the with-replacement linearisation variance
``n / (n - 1) sum w^2 (y - p)^2 / sum(w)^2`` (R ``survey::svymean`` on
``svydesign(ids = ~1, weights = ~w)``; for a group, the sum runs over its members and ``n``
is the whole sample, as for a domain) and the interval computed on the effective sample size
``n_eff = p (1 - p) / var``: Korn & Graubard's (1998) Clopper-Pearson (``svyciprop(method =
"beta")``) or Wilson on ``n_eff``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import (
    _rows,
    check_choice,
    check_ci_level,
    check_positive,
    prepare,
    require_range,
    require_unique_keys,
)
from ..privacy import check_min_group_size
from ..results import Caution, Result, new_axes, tidy_frame
from .raking import rake_weights

__all__ = ["ProportionResult", "clopper_pearson", "proportion", "published_proportion",
           "wilson"]

_METHODS = {"wilson": "wilson", "clopper-pearson": "clopper-pearson",
            "clopper_pearson": "clopper-pearson", "exact": "clopper-pearson",
            "beta": "clopper-pearson"}


def wilson(x: float, n: float, *, ci_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``x`` successes in ``n`` trials (``x`` may be non-integer).

    Parameters
    ----------
    x : float
        Successes (a weighted count may be non-integer).
    n : float
        Trials (or the effective sample size).
    ci_level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of (float, float)
        Lower and upper limits (NaN when ``n <= 0``).

    Examples
    --------
    >>> [round(v, 4) for v in wilson(42, 100)]
    [0.328, 0.5179]
    """
    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + ci_level / 2))
    p = x / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if x <= 0 else max(0.0, centre - half)
    hi = 1.0 if x >= n else min(1.0, centre + half)
    return lo, hi


def clopper_pearson(x: float, n: float, *, ci_level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval from beta quantiles (``x`` may be non-integer).

    Parameters
    ----------
    x : float
        Successes (a weighted count may be non-integer).
    n : float
        Trials (or the effective sample size).
    ci_level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of (float, float)
        Lower and upper limits (NaN when ``n <= 0``).

    Examples
    --------
    >>> [round(v, 4) for v in clopper_pearson(42, 100)]
    [0.322, 0.5229]
    """
    if n <= 0:
        return math.nan, math.nan
    a = 1 - ci_level
    lo = 0.0 if x <= 0 else float(stats.beta.ppf(a / 2, x, n - x + 1))
    hi = 1.0 if x >= n else float(stats.beta.ppf(1 - a / 2, x + 1, n - x))
    return lo, hi


def _interval(method: str, x: float, n: float, ci_level: float) -> tuple[float, float]:
    if method == "wilson":
        return wilson(x, n, ci_level=ci_level)
    return clopper_pearson(x, n, ci_level=ci_level)


def _method(method: str) -> str:
    return _METHODS[check_choice(method, "method", tuple(_METHODS))]


@dataclass(frozen=True)
class ProportionResult(Result):
    """Proportions with intervals, one row per group.

    ``to_frame()``: ``term, estimate, std_error, ci_low, ci_high, ci_level, n, n_effective,
    successes, method, weighted, suppressed``.

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table above.
    outcome : str
        The 0/1 outcome column (or the label of published proportions).
    method : str
        ``"wilson"`` or ``"clopper-pearson"``.
    weighted : bool
        Whether survey weights were used.
    raked : bool
        Whether the weights were raked to known margins.
    design_effect : float
        Largest design effect applied (1 for simple random sampling).
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    min_group_size : int
        Privacy threshold: groups with fewer people are suppressed.
    source : str
        ``"data"`` (computed from rows) or ``"published"`` (from published proportions).

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> d = pd.DataFrame({"preventable": [1] * 42 + [0] * 58})
    >>> r = cs.survey.proportion(d, "preventable")
    >>> r.method, r.weighted
    ('wilson', False)
    """

    table: pd.DataFrame = field(repr=False)
    outcome: str = "outcome"
    method: str = "wilson"
    weighted: bool = False
    raked: bool = False
    design_effect: float = 1.0
    n_dropped: int = 0
    min_group_size: int = 5
    source: str = "data"

    @property
    def title(self) -> str:
        return f"Proportion of {self.outcome}"

    @property
    def estimate(self) -> float:
        """The first row's proportion."""
        return float(self.table["estimate"].iloc[0])

    @property
    def notes(self) -> list[str]:
        name = "Wilson score" if self.method == "wilson" else "Clopper-Pearson (exact beta)"
        out = [f"Interval: {name}" + (" on the effective sample size (Korn & Graubard 1998)"
                                      if self.weighted else "") + "."]
        if self.weighted:
            out.append("Weighted proportion with the with-replacement linearisation variance; "
                       "weights are treated as fixed" + (" (raked to the given totals; the "
                                                         "variance ignores the calibration)"
                                                         if self.raked else "") + ".")
            out.append(f"Kish design effect of the weights: {self.design_effect:.3f}.")
        if self.source == "published":
            out.append("Re-analysis of published percentages: x = proportion x n; the sample "
                       "size and design effect are as stated in the input, not verified.")
        sup = self.table.loc[self.table["suppressed"].astype(bool), "term"].tolist()
        if sup:
            out.append(f"Withheld (fewer than {self.min_group_size} people): "
                       + ", ".join(map(str, sup)) + ".")
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        out = ["Respondents answer independently; the proportion estimates the share among "
               "everyone the sample (or weights) represent."]
        if self.weighted:
            out.append("Nonresponse is ignorable given the weighting variables: within each "
                       "weighting cell, respondents answer like non-respondents.")
        else:
            out.append("Respondents are a simple random sample of the population "
                       "(no differential nonresponse).")
        return out

    def limitations(self) -> list[str]:
        return ["An exit-survey answer ('could have been prevented') is a leaver's opinion, "
                "not a measured cause; the interval covers sampling error only."]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        if self.weighted and self.design_effect > 2:
            out.append(Caution("high_design_effect",
                               f"Unequal weights inflate the variance by a factor of "
                               f"{self.design_effect:.2f} (Kish).", self.design_effect))
        f = self.table.loc[~self.table["suppressed"].astype(bool)]
        small = f.loc[f["n_effective"] < 30, "term"].tolist()
        if small:
            out.append(Caution("small_sample",
                               f"Effective sample under 30 for {', '.join(map(str, small))}; "
                               "the interval is wide.", float(f["n_effective"].min())))
        return tuple(out)

    def suppressions(self, analysis: str = "") -> list[Any]:
        from ..privacy import Suppression

        f = self.table.loc[self.table["suppressed"].astype(bool)]
        return [Suppression(analysis, f"proportion for {t}", "a group with fewer people than "
                            "the minimum group size", "minimum group size") for t in f["term"]]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Each proportion (as a percentage) with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            ``color``: marker and interval colour (default ``"C0"``); other keys are not used.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        f = self.table.loc[~self.table["suppressed"].astype(bool)]
        ax = new_axes(ax, figsize=(6.0, 1.2 + 0.45 * max(len(f), 1)))
        y = np.arange(len(f))[::-1]
        est = 100 * f["estimate"].to_numpy(float)
        err = np.vstack([est - 100 * f["ci_low"].to_numpy(float),
                         100 * f["ci_high"].to_numpy(float) - est])
        ax.errorbar(est, y, xerr=err, fmt="o", color=kwargs.get("color", "C0"), capsize=3)
        ax.set_yticks(y, f["term"].astype(str))
        lvl = self.table["ci_level"].iloc[0]
        ax.set_xlabel(f"percent ({100 * lvl:g}% confidence interval)")
        ax.set_title(self.title)
        return ax


def _row(term: str, y: np.ndarray, w: np.ndarray | None, n_people: int, method: str,
         ci_level: float, min_size: int, n_design: int) -> dict[str, Any]:
    base = {"term": term, "n": n_people, "ci_level": ci_level, "method": method,
            "weighted": w is not None}
    if n_people < min_size:
        return {**base, "suppressed": True, "n": np.nan}
    n = len(y)
    if w is None:
        x = float(y.sum())
        p = x / n
        se = math.sqrt(p * (1 - p) / n)
        n_eff = float(n)
    else:
        sw = w.sum()
        p = float(np.sum(w * y) / sw)
        # domain estimation: the whole sample's n / (n - 1), as survey::svymean on a subset
        nd = n_design
        var = nd / (nd - 1) * float(np.sum(w**2 * (y - p) ** 2)) / sw**2 if nd > 1 else math.nan
        se = math.sqrt(var)
        n_eff = p * (1 - p) / var if var > 0 else float(n)
        x = n_eff * p
    lo, hi = _interval(method, x, n_eff, ci_level)
    return {**base, "estimate": p, "std_error": se, "ci_low": lo, "ci_high": hi,
            "n_effective": n_eff, "successes": float(y.sum()), "suppressed": False}


def proportion(
    data: pd.DataFrame,
    outcome: str,
    *,
    weights: str | None = None,
    margins: Mapping[str, Mapping[Any, float]] | None = None,
    by: str | None = None,
    person: str | None = None,
    method: str = "wilson",
    ci_level: float = 0.95,
    min_group_size: int = 5,
    dropna: bool = False,
) -> ProportionResult:
    """Share of respondents answering yes, with an interval, overall or by group.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; never modified.
    outcome : str
        A 0/1 (or boolean) answer, e.g. "my departure could have been prevented".
    weights : str, optional
        Design weights (e.g. inverse response propensities).
    margins : mapping, optional
        Known population totals ``{column: {level: total}}``; the weights (or 1) are raked to
        them first (nonresponse adjustment). See :func:`coachstats.survey.rake`.
    by : str, optional
        One row per level of this column besides the overall row.
    person : str, optional
        Respondent identifier; each person must appear once, and group sizes count people.
    method : {"wilson", "clopper-pearson"}
        Interval; case-insensitive.
    ci_level : float
    min_group_size : int
        Groups with fewer people are withheld (default 5, never below 3).
    dropna : bool
        Drop rows with a missing value (counted in ``n_dropped``) instead of raising.

    Returns
    -------
    ProportionResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"preventable": [1] * 42 + [0] * 58})
    >>> r = proportion(d, "preventable")
    >>> [round(float(v), 3) for v in r.to_frame().loc[0, ["estimate", "ci_low", "ci_high"]]]
    [0.42, 0.328, 0.518]
    """
    ci_level = check_ci_level(ci_level)
    min_size = check_min_group_size(min_group_size)
    method = _method(method)
    margins = dict(margins) if margins is not None else None
    cols: dict[str, str | None] = {"outcome": outcome, "weights": weights, "by": by,
                                   "person": person}
    if margins:
        cols.update({f"margins[{c!r}]": c for c in margins})
    frame, miss = prepare(data, cols, numeric=["outcome", "weights"], dropna=dropna)
    y = frame[outcome].astype(float).to_numpy()
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"column {outcome!r} (argument outcome=) must be 0/1 or boolean; "
                         f"{int(bad.sum())} row(s) are not: {_rows(frame.index[bad])}. Code the "
                         "answer as 1 = yes, 0 = no.")
    if person is not None:
        require_unique_keys(frame, [person], hint="A proportion counts each respondent once.")
    w = None
    design_effect = 1.0
    if weights is not None:
        require_range(frame, weights, 0, None, low_inclusive=False, arg="weights",
                      hint="Design weights must be positive.")
        w = frame[weights].to_numpy(float)
    if margins:
        w, _, ok, gap, _ = rake_weights(frame, margins, w if w is not None else np.ones(len(y)))
        if not ok:
            raise ValueError(f"raking did not converge (largest relative gap {gap:.3g}); the "
                             "margins may be inconsistent with the respondents' cells.")
    if w is not None:
        design_effect = float(len(w) * np.sum(w**2) / np.sum(w) ** 2)

    def people(mask: np.ndarray) -> int:
        if person is None:
            return int(mask.sum())
        return int(frame.loc[mask, person].nunique())

    all_rows = np.ones(len(y), bool)
    rows = [_row("all", y, w, people(all_rows), method, ci_level, min_size, len(y))]
    if by is not None:
        for lvl in sorted(frame[by].unique().tolist(), key=str):
            m = (frame[by] == lvl).to_numpy()
            rows.append(_row(f"{by}={lvl}", y[m], None if w is None else w[m], people(m),
                             method, ci_level, min_size, len(y)))
    table = tidy_frame(rows, extra=["n", "n_effective", "successes", "method", "weighted",
                                    "suppressed"])
    return ProportionResult(table=table, outcome=outcome, method=method, weighted=w is not None,
                            raked=bool(margins), design_effect=design_effect,
                            n_dropped=miss.n_dropped, min_group_size=min_size)


def published_proportion(
    data: pd.DataFrame,
    proportion: str,
    n: str,
    *,
    label: str | None = None,
    design_effect: str | float = 1.0,
    method: str = "wilson",
    ci_level: float = 0.95,
    min_group_size: int = 5,
) -> ProportionResult:
    """Intervals for published percentages from their stated (or assumed) sample sizes.

    Parameters
    ----------
    data : DataFrame
        One row per published figure; never modified.
    proportion : str
        Column of proportions in [0, 1] (divide a percentage by 100 first).
    n : str
        Column of sample sizes (respondents the percentage is based on).
    label : str, optional
        Column naming each figure (the ``term``); default the row label.
    design_effect : str or float
        A column, or one number, by which the variance exceeds simple random sampling
        (e.g. 1.5 for a weighted panel); ``n / design_effect`` is the effective size.
    method : {"wilson", "clopper-pearson"}
    ci_level : float
    min_group_size : int
        Figures based on fewer people are withheld.

    Returns
    -------
    ProportionResult

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"claim": ["preventable"], "p": [0.42], "n": [100]})
    >>> r = published_proportion(d, "p", "n", label="claim")
    >>> round(float(r.to_frame().loc[0, "ci_low"]), 3)
    0.328
    """
    ci_level = check_ci_level(ci_level)
    min_size = check_min_group_size(min_group_size)
    method = _method(method)
    deff_col = design_effect if isinstance(design_effect, str) else None
    frame, _ = prepare(data, {"proportion": proportion, "n": n, "label": label,
                              "design_effect": deff_col},
                       numeric=["proportion", "n", "design_effect"])
    require_range(frame, proportion, 0, 1, arg="proportion",
                  hint="Give proportions, not percentages (42% -> 0.42).")
    require_range(frame, n, 0, None, low_inclusive=False, arg="n")
    if deff_col is not None:
        require_range(frame, deff_col, 0, None, low_inclusive=False, arg="design_effect")
        deff = frame[deff_col].to_numpy(float)
    else:
        check_positive(design_effect, "design_effect (a number or a column name)")
        deff = np.full(len(frame), float(design_effect))
    rows = []
    for i, (idx, r) in enumerate(frame.iterrows()):
        term = str(r[label]) if label is not None else str(idx)
        nn = float(r[n])
        p = float(r[proportion])
        n_eff = nn / deff[i]
        base = {"term": term, "n": nn, "ci_level": ci_level, "method": method,
                "weighted": False}
        if nn < min_size:
            rows.append({**base, "n": np.nan, "suppressed": True})
            continue
        lo, hi = _interval(method, p * n_eff, n_eff, ci_level)
        rows.append({**base, "estimate": p, "std_error": math.sqrt(p * (1 - p) / n_eff),
                     "ci_low": lo, "ci_high": hi, "n_effective": n_eff,
                     "successes": p * nn, "suppressed": False})
    table = tidy_frame(rows, extra=["n", "n_effective", "successes", "method", "weighted",
                                    "suppressed"])
    return ProportionResult(table=table, outcome=proportion, method=method,
                            design_effect=float(np.max(deff)), min_group_size=min_size,
                            source="published")
