"""Covariate balance before and after weighting or matching (cobalt / MatchIt conventions).

Standardized mean differences (SMD) divide the (weighted) difference in means by a fixed
standard deviation from the unweighted sample, so before and after are on one scale: the
treated group's SD for the ATT, the comparison group's for the ATC, and the root mean of the
two variances for the ATE and ATO (cobalt's defaults). Binary indicators (each level of a
categorical covariate) use ``sqrt(p (1 - p))``. Variance ratios (treated over comparison,
weighted, continuous covariates only) and Kolmogorov-Smirnov statistics (largest distance
between the weighted empirical CDFs) complete the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_choice, require_varies
from ..interpret import Rule, label
from ..results import Caution, Result, new_axes, tidy_frame
from ._data import check_weights, design, is_categorical

#: The balance threshold used in labels and the love plot.
SMD_RULE = Rule(
    "austin2009_smd", "smd", (0.1,), ("balanced", "imbalanced"),
    "Austin (2009), Stat Med 28:3083: |SMD| < 0.1",
)

ESTIMANDS = ("ATT", "ATE", "ATO", "ATC")


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * x) / np.sum(w))


def _wvar(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted variance with the reliability-weights correction (equals var(ddof=1) for
    equal weights)."""
    sw = w.sum()
    m = np.sum(w * x) / sw
    return float(np.sum(w * (x - m) ** 2) * sw / (sw**2 - np.sum(w**2)))


def _ks(x1: np.ndarray, w1: np.ndarray, x0: np.ndarray, w0: np.ndarray) -> float:
    grid = np.unique(np.concatenate([x1, x0]))
    def cdf(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        o = np.argsort(x, kind="stable")
        cw = np.cumsum(w[o]) / w.sum()
        pos = np.searchsorted(x[o], grid, side="right")
        return np.where(pos > 0, cw[np.maximum(pos - 1, 0)], 0.0)
    return float(np.max(np.abs(cdf(x1, w1) - cdf(x0, w0))))


def _columns(frame: pd.DataFrame, covariates: Sequence[str]) -> list[tuple[str, str, np.ndarray]]:
    out = []
    for c in covariates:
        s = frame[c]
        if is_categorical(s):
            for lvl in sorted(s.unique().tolist(), key=str):
                out.append((f"{c}[{lvl}]", "binary", (s == lvl).to_numpy(float)))
        else:
            x = s.to_numpy(float)
            kind = "binary" if set(np.unique(x)) <= {0.0, 1.0} else "continuous"
            out.append((str(c), kind, x))
    return out


def balance_table(
    frame: pd.DataFrame, treat: np.ndarray, covariates: Sequence[str], weights: np.ndarray | None,
    estimand: str = "ATT", extra: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per covariate term: SMD, variance ratio and KS before and after weighting."""
    t = treat.astype(bool)
    ones = np.ones(len(t))
    cols = _columns(frame, covariates)
    if extra:
        cols = [(k, "continuous", v) for k, v in extra.items()] + cols
    rows = []
    for name, kind, x in cols:
        x1, x0 = x[t], x[~t]
        if kind == "binary":
            v1 = np.mean(x1) * (1 - np.mean(x1))
            v0 = np.mean(x0) * (1 - np.mean(x0))
        else:
            v1, v0 = float(np.var(x1, ddof=1)), float(np.var(x0, ddof=1))
        sd = {"ATT": np.sqrt(v1), "ATC": np.sqrt(v0)}.get(estimand, np.sqrt((v1 + v0) / 2))
        row: dict[str, Any] = {"term": name, "type": kind}
        for when, w in (("before", ones), ("after", weights)):
            if w is None:
                continue
            w1, w0 = w[t], w[~t]
            m1, m0 = _wmean(x1, w1), _wmean(x0, w0)
            row[f"mean_treated_{when}"] = m1
            row[f"mean_comparison_{when}"] = m0
            row[f"smd_{when}"] = (m1 - m0) / sd if sd > 0 else np.nan
            v0w = _wvar(x0, w0) if kind == "continuous" else 0.0
            # a term constant among the comparison people has no variance ratio
            row[f"var_ratio_{when}"] = _wvar(x1, w1) / v0w if v0w > 0 else np.nan
            row[f"ks_{when}"] = _ks(x1, w1, x0, w0)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class BalanceResult(Result):
    """Balance table: ``smd_before``, ``smd_after``, variance ratios and KS per term.

    ``to_frame()`` puts the SMD after adjustment (or before, with no weights) in
    ``estimate`` so a balance table reads like any other result; ``plot()`` is a love plot.

    Parameters
    ----------
    table : DataFrame
        One row per term: ``smd_before``, ``smd_after``, variance ratios and KS statistics.
    estimand : str
        ``"ATT"``, ``"ATE"``, ``"ATO"`` or ``"ATC"`` (chooses the SD of the SMD denominator).
    threshold : float, default 0.1
        ``|SMD|`` at or above which a term counts as imbalanced.
    adjusted : bool, default True
        Whether balancing weights were given (False: only the "before" balance).
    method : str
        The adjustment the weights come from (for the notes).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.selection_into_coaching(rng=1)
    >>> b = cs.causal.balance(sim.data, "coached", ["potential", "tenure"])
    >>> b.estimand, b.threshold
    ('ATT', 0.1)
    """

    table: pd.DataFrame
    estimand: str
    threshold: float = 0.1
    adjusted: bool = True
    method: str = ""

    @property
    def title(self) -> str:
        return "Covariate balance" + (f" after {self.method}" if self.method else "")

    @property
    def smd(self) -> pd.Series:
        col = "smd_after" if self.adjusted else "smd_before"
        return self.table.set_index("term")[col]

    @property
    def max_abs_smd(self) -> float:
        return float(np.nanmax(np.abs(self.smd.to_numpy())))

    @property
    def n_imbalanced(self) -> int:
        return int((np.abs(self.smd) >= self.threshold).sum())

    @property
    def notes(self) -> list[str]:
        denom = {"ATT": "the treated group's SD", "ATC": "the comparison group's SD"}.get(
            self.estimand, "the root mean of both groups' variances")
        out = [f"SMD = difference in (weighted) means / {denom} in the unadjusted sample "
               "(binary terms: sqrt(p(1 - p))); variance ratio = treated / comparison; KS = "
               "largest gap between the (weighted) empirical CDFs.",
               f"Threshold: {SMD_RULE.citation}."]
        out.extend(c.message for c in self.cautions)
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        if self.n_imbalanced:
            worst = self.smd.abs().idxmax()
            return (Caution(
                "imbalance",
                f"{self.n_imbalanced} term(s) have |SMD| >= {self.threshold:g}"
                + (" after adjustment" if self.adjusted else "")
                + f" (largest: {worst}, {self.smd[worst]:+.3f}).", self.max_abs_smd),)
        return ()

    def labels(self) -> list[Any]:
        """Each term labelled balanced / imbalanced by the named rule."""
        return [label(v, SMD_RULE, term=k) for k, v in self.smd.items()]

    def to_frame(self) -> pd.DataFrame:
        f = self.table.copy()
        f["estimate"] = f["smd_after"] if self.adjusted else f["smd_before"]
        f["balanced"] = np.abs(f["estimate"]) < self.threshold
        return tidy_frame(f.to_dict("records"))

    def plot(self, ax: Any = None, *, absolute: bool = True, **kwargs: Any) -> Any:
        """Love plot: ``|SMD|`` per term before and after, with the 0.1 threshold.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        absolute : bool, default True
            Plot absolute SMDs against the threshold; False keeps the sign (threshold drawn at +/-).
        **kwargs
            Passed to ``seaborn.scatterplot``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        import seaborn as sns

        f = self.table
        ax = new_axes(ax, figsize=(6.0, max(2.5, 0.32 * len(f) + 1)))
        cols = {"smd_before": "before"} | ({"smd_after": "after"} if "smd_after" in f else {})
        long = f.melt(id_vars="term", value_vars=list(cols), var_name="sample", value_name="smd")
        long["sample"] = long["sample"].map(cols)
        if absolute:
            long["smd"] = long["smd"].abs()
        sns.scatterplot(long, x="smd", y="term", hue="sample", style="sample", s=50, ax=ax,
                        **kwargs)
        for s in ([self.threshold] if absolute else [-self.threshold, self.threshold]):
            ax.axvline(s, color="0.4", ls="--", lw=1)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.set_xlabel(("|SMD|" if absolute else "SMD") + f" (threshold {self.threshold:g})")
        ax.set_ylabel("")
        return ax


def balance(
    data: pd.DataFrame,
    treatment: str,
    covariates: str | Sequence[str],
    *,
    weights: str | Sequence[float] | np.ndarray | pd.Series | None = None,
    estimand: str = "ATT",
    reference: Any = None,
    threshold: float = 0.1,
    dropna: bool = False,
) -> BalanceResult:
    """Standardized mean differences, variance ratios and KS statistics, before and after.

    Parameters
    ----------
    data : DataFrame
        One row per person; not modified.
    treatment : str
        Two-level treatment column (see :func:`propensity`).
    covariates : str or list of str
        Columns to check; each level of a categorical column is its own row.
    weights : str, array or Series, optional
        Balancing weights (a column name, or one value per row of ``data``): matching or
        weighting weights. Without them only the unadjusted ("before") balance is shown.
    estimand : {"ATT", "ATE", "ATO", "ATC"}
        Chooses the SD in the SMD denominator (see the module notes).
    threshold : float
        ``|SMD|`` at or above which a term counts as imbalanced (default 0.1).
    reference : optional
        The comparison level of ``treatment`` (needed unless it is 0/1 or boolean).
    dropna : bool, default False
        Drop rows with missing values (counted) instead of raising.

    Returns
    -------
    BalanceResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.selection_into_coaching(rng=1)
    >>> b = balance(sim.data, "coached", ["potential", "tenure"])
    >>> b.table["term"].tolist()
    ['potential', 'tenure']
    """
    estimand = str(estimand).upper()
    estimand = check_choice(estimand, "estimand", ESTIMANDS)
    extra = {"weights": weights} if isinstance(weights, str) else None
    d = design(data, treatment, covariates, extra=extra, numeric=["weights"] if extra else (),
               reference=reference, dropna=dropna)
    w = None
    if weights is not None:
        if isinstance(weights, str):
            w = check_weights(d.frame[weights].to_numpy(float), len(d.frame), d.frame.index,
                              f"weights ({weights!r})")
        else:
            if isinstance(weights, pd.Series):
                weights = weights.reindex(d.frame.index)
            elif d.n_dropped:
                raise ValueError("weights given as an array cannot be aligned after dropna=True "
                                 "dropped rows; pass a Series with the data's index or a column.")
            w = check_weights(weights, len(d.frame), d.frame.index)
        for g, name in ((1.0, "treated"), (0.0, "comparison")):
            if w[d.treat == g].sum() <= 0:
                raise ValueError(f"weights: every {name} person has weight 0.")
    for c in d.covariates:
        require_varies(d.frame, c, "covariates", hint="A covariate everyone shares cannot be "
                       "imbalanced; leave it out.")
    tab = balance_table(d.frame, d.treat, d.covariates, w, estimand)
    return BalanceResult(table=tab, estimand=estimand, threshold=threshold,
                         adjusted=w is not None)
