"""Several program arms: pairwise standardized contrasts with multiplicity control, and the
2 x 2 factorial analysis (coaching x mentoring).

:func:`arm_contrasts` compares arms pair by pair with the two-group estimator of
:func:`coachstats.effects.group_difference` (Hedges' g, exact noncentral-t interval, pooled
two-sample t-test), then adjusts the family of p-values by Holm (1979), Benjamini-Hochberg
(1995) or Bonferroni through statsmodels' ``multipletests`` (R ``p.adjust``).
:func:`factorial` fits ``y = b0 + b1 A + b2 B + b3 A B (+ covariates)`` by OLS, giving each
factor's effect without the other, their interaction, the "both vs neither" contrast and each
factor's effect averaged over the other.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._multiplicity import adjust_name, adjust_p_values, check_adjust
from .._validate import _rows, check_ci_level, prepare
from ..privacy import check_min_group_size
from ..results import Result, new_axes, tidy_frame
from ._result import EffectSizeResult
from .independent import two_group_row

__all__ = ["FactorialResult", "arm_contrasts", "factorial"]



def _pairs(levels: list[Any], reference: Any, contrasts: Any) -> list[tuple[Any, Any]]:
    if isinstance(contrasts, str):
        kind = contrasts.lower()
        if kind == "reference":
            return [(lv, reference) for lv in levels if lv != reference]
        if kind == "all":
            ordered = [reference] + [lv for lv in levels if lv != reference]
            return [(b, a) for a, b in itertools.combinations(ordered, 2)]
        raise ValueError(f"contrasts={contrasts!r} is not supported; choose 'reference', 'all' "
                         "or a list of [focal, reference] pairs.")
    out = []
    by_text = {str(v): v for v in levels}
    for pair in contrasts:
        if len(pair) != 2:
            raise ValueError(f"contrasts: each entry must be [focal, reference], got {pair!r}.")
        f, r = (by_text.get(str(p), p) for p in pair)
        for v in (f, r):
            if v not in levels:
                raise ValueError(f"contrasts: {v!r} is not an arm; arms are {levels}.")
        if f == r:
            raise ValueError(f"contrasts: {pair!r} compares an arm with itself.")
        out.append((f, r))
    if not out:
        raise ValueError("contrasts: the list is empty.")
    return out


def arm_contrasts(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    reference: Any = None,
    contrasts: str | Sequence[Sequence[Any]] = "reference",
    adjust: str = "holm",
    hedges: bool = True,
    person: str | None = None,
    ci_level: float = 0.95,
    min_group_size: int = 5,
    dropna: bool = False,
) -> EffectSizeResult:
    """Standardized differences between program arms, with adjusted p-values.

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    outcome : str
        Numeric outcome.
    treatment : str
        Arm of each person (e.g. ``none``, ``coaching``, ``mentoring``, ``both``).
    reference : optional
        The comparison arm for ``contrasts="reference"`` (default: first in sorted order).
    contrasts : "reference", "all" or list of [focal, reference]
        Each arm against the reference, every pair, or the pairs given.
    adjust : {"holm", "bh", "bonferroni", "none"}
        Multiplicity adjustment of the contrasts' p-values (case-insensitive); the family is
        the contrasts of this call.
    hedges : bool
        Hedges' g (True) or Cohen's d.
    person : str, optional
        Person identifier: each person appears once, and arm sizes count people.
    ci_level : float
        Level of each contrast's (unadjusted) exact interval; also the alpha of ``reject``.
    min_group_size : int
        Contrasts involving an arm with fewer people are withheld (default 5, never below 3).
    dropna : bool

    Returns
    -------
    EffectSizeResult
        ``term`` is ``"<focal> vs <reference>"``; columns include ``p_value`` (pooled
        two-sample t-test), ``p_adjusted``, ``reject`` and ``adjust``.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.program_arms(rng=1)
    >>> res = cs.effects.arm_contrasts(sim.data, "change_360", "arm", reference="none")
    >>> res.to_frame()["term"].tolist()
    ['both vs none', 'coaching vs none', 'mentoring vs none']
    """
    ci_level = check_ci_level(ci_level)
    min_size = check_min_group_size(min_group_size)
    adjust = check_adjust(adjust)
    frame, miss = prepare(data, {"outcome": outcome, "treatment": treatment, "person": person},
                          numeric=["outcome"], dropna=dropna)
    y_all = frame[outcome].to_numpy(float)
    if not np.isfinite(y_all).all():
        raise ValueError(f"column {outcome!r} (argument outcome=) has infinite values (rows "
                         f"{_rows(frame.index[~np.isfinite(y_all)])}).")
    if person is not None and frame[person].duplicated().any():
        dup = frame.index[frame[person].duplicated(keep=False)]
        raise ValueError(f"column {person!r} (argument person=) repeats people (rows "
                         f"{_rows(dup)}); arm contrasts need one row per person.")
    levels = sorted(frame[treatment].unique().tolist(), key=str)
    if len(levels) < 2:
        raise ValueError(f"column {treatment!r} (argument treatment=) has only {levels}; "
                         "need at least two arms.")
    if reference is None:
        reference = levels[0]
    else:
        reference = {str(v): v for v in levels}.get(str(reference), reference)
        if reference not in levels:
            raise ValueError(f"reference={reference!r} is not an arm of {treatment!r}: {levels}.")
    pairs = _pairs(levels, reference, contrasts)

    def size(level: Any) -> int:
        sel = frame[treatment] == level
        return int(frame.loc[sel, person].nunique()) if person is not None else int(sel.sum())

    rows = []
    for f, r in pairs:
        base = {"term": f"{f} vs {r}", "focal": f, "reference": r, "ci_level": ci_level}
        if min(size(f), size(r)) < min_size:
            rows.append({**base, "suppressed": True})
            continue
        y1 = frame.loc[frame[treatment] == f, outcome].to_numpy(float)
        y0 = frame.loc[frame[treatment] == r, outcome].to_numpy(float)
        rows.append({**base, **two_group_row(y1, y0, hedges=hedges, ci_level=ci_level),
                     "suppressed": False})
    table = tidy_frame(rows)
    ok = ~table["suppressed"].astype(bool)
    table["adjust"] = adjust.lower()
    table["p_adjusted"] = np.nan
    table["reject"] = pd.array([pd.NA] * len(table), dtype="boolean")
    if ok.any():
        padj, rej = adjust_p_values(table.loc[ok, "p_value"].to_numpy(float), adjust,
                                    alpha=1 - ci_level)
        table.loc[ok, "p_adjusted"] = padj
        table.loc[ok, "reject"] = rej
    adj_name = adjust_name(adjust)
    notes = [
        f"{int(ok.sum())} contrast(s) of {outcome} between arms of {treatment}; estimate = "
        "focal minus reference in pooled-SD units of the two arms, "
        + ("Hedges' g." if hedges else "Cohen's d."),
        f"p_adjusted: {adj_name} over these contrasts (statsmodels multipletests); intervals "
        "are per contrast (unadjusted, exact noncentral t).",
    ]
    sup = table.loc[~ok, "term"].tolist()
    if sup:
        notes.append(f"Withheld (an arm under {min_size} people): " + ", ".join(sup) + ".")
    return EffectSizeResult(
        table=table, name=f"Differences in {outcome} between program arms",
        method_notes=tuple(notes),
        assumption_notes=("People were assigned to arms at random (or the arms are otherwise "
                     "comparable); normal outcome with equal variances within each pair.",),
        limitation_notes=("Only the contrasts listed are tested; choosing them after seeing the "
                     "data invalidates the adjustment.",),
        n_dropped=miss.n_dropped,
    )


@dataclass(frozen=True)
class FactorialResult(Result):
    """A 2 x 2 factorial analysis of two 0/1 factors by OLS.

    ``to_frame()`` terms: ``<A>`` and ``<B>`` (each without the other), ``<A>:<B>``
    (interaction), ``both_vs_neither``, ``<A>_averaged`` and ``<B>_averaged`` (main effects
    averaged over the other factor), and, standardized by the residual SD, the same with a
    ``d_`` prefix in ``estimate_std``.

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table described above.
    outcome : str
        Outcome column.
    factors : tuple of (str, str)
        The two 0/1 factor columns.
    cell_n : dict of str to int
        People in each of the four cells.
    residual_sd : float
        Residual SD of the OLS fit, the standardizer of ``estimate_std``.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.program_arms(rng=1)
    >>> res = cs.effects.factorial(sim.data, "readiness", ["coaching", "mentoring"])
    >>> res.factors
    ('coaching', 'mentoring')
    """

    table: pd.DataFrame = field(repr=False)
    outcome: str = "outcome"
    factors: tuple[str, str] = ("a", "b")
    cell_n: dict[str, int] = field(default_factory=dict)
    residual_sd: float = math.nan
    n_dropped: int = 0

    @property
    def title(self) -> str:
        a, b = self.factors
        return f"Factorial analysis of {self.outcome}: {a} x {b}"

    @property
    def notes(self) -> list[str]:
        a, b = self.factors
        out = [f"OLS of {self.outcome} on {a}, {b} and {a} x {b}; classical standard errors, t "
               "intervals. estimate_std divides by the residual SD "
               f"({self.residual_sd:.3f}).",
               "Cell sizes: " + ", ".join(f"{k}: {v}" for k, v in self.cell_n.items()) + "."]
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        return ["Both factors were assigned at random and independently (a 2 x 2 design).",
                "Equal residual variance in the four cells."]

    def limitations(self) -> list[str]:
        return ["An interaction test has about a quarter of the power of a main effect of "
                "the same size: 'no significant interaction' is weak evidence that running "
                "both adds nothing."]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Each term's estimate with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax, figsize=(6.0, 3.2))
        f = self.table
        y = np.arange(len(f))[::-1]
        est = f["estimate"].to_numpy(float)
        err = np.vstack([est - f["ci_low"].to_numpy(float), f["ci_high"].to_numpy(float) - est])
        ax.errorbar(est, y, xerr=err, fmt="o", color="C0", capsize=3)
        ax.axvline(0, color="0.5", lw=1, ls="--")
        ax.set_yticks(y, f["term"])
        ax.set_xlabel(f"effect on {self.outcome} ({100 * f['ci_level'].iloc[0]:g}% CI)")
        ax.set_title(self.title)
        return ax


def factorial(
    data: pd.DataFrame,
    outcome: str,
    factors: Sequence[str],
    *,
    covariates: Sequence[str] = (),
    ci_level: float = 0.95,
    min_group_size: int = 5,
    dropna: bool = False,
) -> FactorialResult:
    """Two crossed 0/1 factors (e.g. coaching and mentoring): effects and interaction.

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    outcome : str
    factors : (str, str)
        Two 0/1 columns.
    covariates : sequence of str
        Pre-treatment covariates (centred, so the factor terms keep their meaning).
    ci_level : float
    min_group_size : int
        Every one of the four cells needs at least this many rows (default 5, never below 3).
    dropna : bool

    Returns
    -------
    FactorialResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.program_arms(rng=1)
    >>> res = cs.effects.factorial(sim.data, "readiness", ["coaching", "mentoring"])
    >>> res.to_frame()["term"].tolist()[:3]
    ['coaching', 'mentoring', 'coaching:mentoring']
    """
    ci_level = check_ci_level(ci_level)
    min_size = check_min_group_size(min_group_size)
    if isinstance(factors, str) or len(factors) != 2:
        raise ValueError(f"factors must name exactly two 0/1 columns, got {factors!r}.")
    a, b = factors
    if isinstance(covariates, str):
        covariates = [covariates]
    cols: dict[str, str | None] = {"outcome": outcome, "factors[0]": a, "factors[1]": b}
    cols.update({f"covariates[{i}]": c for i, c in enumerate(covariates)})
    frame, miss = prepare(data, cols, numeric=list(cols), dropna=dropna)
    for f in (a, b):
        v = frame[f].astype(float)
        bad = ~v.isin((0.0, 1.0))
        if bad.any():
            raise ValueError(f"column {f!r} (in factors=) must be 0/1; {int(bad.sum())} row(s) "
                             f"are not: {_rows(frame.index[bad])}.")
    fa, fb = frame[a].to_numpy(float), frame[b].to_numpy(float)
    cell_n = {f"{a}={i}, {b}={j}": int(((fa == i) & (fb == j)).sum())
              for i in (0, 1) for j in (0, 1)}
    small = [k for k, v in cell_n.items() if v < min_size]
    if small:
        raise ValueError(f"cell(s) {small} have fewer than {min_size} people; a factorial "
                         "analysis needs every combination of the two factors.")
    cov = frame[list(covariates)].to_numpy(float) if covariates else np.empty((len(frame), 0))
    cov = cov - cov.mean(axis=0)
    x = np.column_stack([np.ones(len(frame)), fa, fb, fa * fb, cov])
    y = frame[outcome].to_numpy(float)
    n, k = x.shape
    inv = np.linalg.inv(x.T @ x)
    beta = inv @ x.T @ y
    resid = y - x @ beta
    s2 = float(resid @ resid) / (n - k)
    vc = s2 * inv
    crit = float(stats.t.ppf(0.5 + ci_level / 2, n - k))
    sd = math.sqrt(s2)
    rows = []
    for term, vec in ((a, [0, 1, 0, 0]), (b, [0, 0, 1, 0]), (f"{a}:{b}", [0, 0, 0, 1]),
                      ("both_vs_neither", [0, 1, 1, 1]), (f"{a}_averaged", [0, 1, 0, 0.5]),
                      (f"{b}_averaged", [0, 0, 1, 0.5])):
        v = np.r_[np.asarray(vec, float), np.zeros(k - 4)]
        est = float(v @ beta)
        se = math.sqrt(float(v @ vc @ v))
        t = est / se
        rows.append({"term": term, "estimate": est, "std_error": se,
                     "ci_low": est - crit * se, "ci_high": est + crit * se,
                     "ci_level": ci_level, "statistic": t,
                     "p_value": float(2 * stats.t.sf(abs(t), n - k)), "df": n - k,
                     "estimate_std": est / sd})
    return FactorialResult(table=tidy_frame(rows), outcome=outcome, factors=(a, b),
                           cell_n=cell_n, residual_sd=sd, n_dropped=miss.n_dropped)
