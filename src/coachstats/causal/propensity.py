"""Propensity score: the probability of being coached given the covariates (logistic GLM)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import check_choice, check_ci_level
from ..results import Caution, Result, new_axes, tidy_frame
from ._data import Design, check_separation, design


@dataclass(frozen=True)
class PropensityResult(Result):
    """A fitted propensity model, the scores and their overlap (common support).

    ``ps`` and ``linear_predictor`` are Series on the rows used (the caller's index);
    ``to_frame()`` is the coefficient table; ``overlap()`` summarises common support and
    ``plot()`` draws the score distributions of both groups.

    Parameters
    ----------
    ps : Series
        Propensity score of each row used.
    linear_predictor : Series
        Its logit.
    coefficients : DataFrame
        Coefficients of the propensity model (the ``to_frame()`` table).
    treatment : str
        Treatment column.
    treated_level, reference_level : object
        The treated and the comparison level of ``treatment``.
    covariates : tuple of str
        Covariates of the model.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    ci_level : float
        Level of the coefficients' Wald intervals.
    design : Design or None
        The analysis frame and design matrix (reused by the estimators).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.selection_into_coaching(rng=1)
    >>> ps = cs.causal.propensity(sim.data, "coached", ["potential", "tenure", "prior_rating"])
    >>> ps.covariates
    ('potential', 'tenure', 'prior_rating')
    """

    ps: pd.Series
    linear_predictor: pd.Series
    coefficients: pd.DataFrame
    treatment: str
    treated_level: Any
    reference_level: Any
    covariates: tuple[str, ...]
    n_dropped: int = 0
    ci_level: float = 0.95
    design: Design | None = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        return f"Propensity of {self.treatment} = {self.treated_level!r} (logistic GLM)"

    @property
    def treat(self) -> np.ndarray:
        assert self.design is not None
        return self.design.treat

    @property
    def notes(self) -> list[str]:
        ov = self.overlap()
        n = ov.set_index("group")["n"]
        out = [
            f"Logistic regression (statsmodels GLM, binomial) of {self.treatment} on "
            f"{', '.join(self.covariates)}; categorical covariates dummy-coded against their "
            "first level.",
            f"{int(n['treated'])} treated and {int(n['comparison'])} comparison people.",
        ]
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values dropped (dropna=True).")
        out.extend(c.message for c in self.cautions)
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        ov = self.overlap().set_index("group")
        k1 = int(ov.loc["treated", "n_outside_support"])
        k0 = int(ov.loc["comparison", "n_outside_support"])
        if k1:
            out.append(Caution(
                "outside_support",
                f"{k1} treated people have a propensity above every comparison person's: "
                "no one comparable exists for them (consider trim= or a caliper).", float(k1)))
        if k0:
            out.append(Caution(
                "outside_support",
                f"{k0} comparison people have a propensity below every treated person's.",
                float(k0), severity="info"))
        ext = int(((self.ps < 0.01) | (self.ps > 0.99)).sum())
        if ext:
            out.append(Caution("extreme_propensity",
                               f"{ext} people have a propensity below 0.01 or above 0.99; "
                               "inverse-probability weights will be extreme.", float(ext)))
        return tuple(out)

    def overlap(self) -> pd.DataFrame:
        """Per group: n, score range, and how many lie outside the other group's range."""
        t = self.treat.astype(bool)
        p = self.ps.to_numpy()
        p1, p0 = p[t], p[~t]
        rows = []
        for name, a, other, above in (("treated", p1, p0, True), ("comparison", p0, p1, False)):
            outside = (a > other.max()) if above else (a < other.min())
            rows.append({"group": name, "n": len(a), "ps_min": float(a.min()),
                         "ps_mean": float(a.mean()), "ps_max": float(a.max()),
                         "n_outside_support": int(outside.sum())})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        return self.coefficients.copy()

    def plot(self, ax: Any = None, *, bins: int = 30, **kwargs: Any) -> Any:
        """Distributions of the propensity score in both groups (density histograms).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        bins : int, default 30
            Number of equal-width bins on [0, 1].
        **kwargs
            Passed to ``seaborn.histplot``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        import seaborn as sns

        ax = new_axes(ax)
        df = pd.DataFrame({
            "propensity score": self.ps.to_numpy(),
            "group": np.where(self.treat == 1, f"{self.treatment} = {self.treated_level}",
                              f"{self.treatment} = {self.reference_level}"),
        })
        sns.histplot(df, x="propensity score", hue="group", stat="density", common_norm=False,
                     element="step", bins=np.linspace(0, 1, bins + 1), ax=ax, **kwargs)
        ax.set_title("Overlap of propensity scores")
        return ax


def propensity(
    data: pd.DataFrame,
    treatment: str,
    covariates: str | Sequence[str],
    *,
    method: str = "logit",
    reference: Any = None,
    ci_level: float = 0.95,
    dropna: bool = False,
    splines: Sequence[str] | dict[str, int] | None = None,
) -> PropensityResult:
    """Estimate each person's probability of being treated (coached) from covariates.

    Parameters
    ----------
    data : DataFrame
        One row per person; not modified.
    treatment : str
        Column with two levels (0/1 or booleans: 1/True is treated; otherwise pass
        ``reference=`` naming the comparison level).
    covariates : str or list of str
        Pre-treatment columns. Numeric columns enter linearly; object, category and boolean
        columns are dummy-coded against their first level.
    method : {"logit"}
        Link of the binomial GLM (only the logit is supported: the weighting estimators'
        sandwich variances assume it).
    reference : optional
        The comparison level of ``treatment``.
    ci_level : float
        Level of the Wald intervals of the coefficients.
    dropna : bool
        Drop rows with missing values (counted in ``n_dropped``) instead of raising.
    splines : list of str or dict, optional
        Numeric covariates to enter the propensity model as natural cubic splines (4
        degrees of freedom, or ``{"tenure": 5}``) instead of linearly.

    Returns
    -------
    PropensityResult

    Raises
    ------
    ValueError
        A treatment with one level; perfect separation (naming the covariate and level).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.selection_into_coaching(rng=1)
    >>> ps = propensity(sim.data, "coached", ["potential", "tenure", "prior_rating"])
    >>> bool(ps.ps.between(0, 1).all())
    True
    """
    method = check_choice(method, "method", ["logit"])
    ci_level = check_ci_level(ci_level)
    d = design(data, treatment, covariates, reference=reference, dropna=dropna,
               splines=splines)
    check_separation(d)
    return fit_design(d, treatment, ci_level)


def fit_design(d: Design, treatment: str, ci_level: float = 0.95) -> PropensityResult:
    """Fit the logistic propensity model to a validated design."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    rank = np.linalg.matrix_rank(d.X)
    if rank < d.X.shape[1]:
        raise ValueError(
            f"the covariates are collinear (design rank {rank} < {d.X.shape[1]} columns: "
            f"{list(d.x_names)}); drop a redundant covariate (e.g. one that is the sum of others "
            "or a level present in every row)."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            fit = sm.GLM(d.treat, d.X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
        except (PerfectSeparationWarning, Exception) as exc:  # statsmodels' separation signals
            if "separation" not in str(exc).lower():
                raise
            fit = None
    if fit is not None:
        eta = d.X @ fit.params
        p = 1 / (1 + np.exp(-eta))
    if fit is None or np.any(p < 1e-10) or np.any(p > 1 - 1e-10):
        raise ValueError(_separation_message(d))
    se = np.sqrt(np.diag(fit.cov_params()))
    z = stats.norm.ppf(0.5 + ci_level / 2)
    coef = tidy_frame([
        {"term": n, "estimate": b, "std_error": s, "ci_low": b - z * s, "ci_high": b + z * s,
         "ci_level": ci_level, "z": b / s, "p_value": float(2 * stats.norm.sf(abs(b / s)))}
        for n, b, s in zip(d.x_names, fit.params, se, strict=True)
    ])
    idx = d.frame.index
    return PropensityResult(
        ps=pd.Series(p, index=idx, name="ps"),
        linear_predictor=pd.Series(eta, index=idx, name="linear_predictor"),
        coefficients=coef, treatment=treatment, treated_level=d.treated_level,
        reference_level=d.reference_level, covariates=d.covariates, n_dropped=d.n_dropped,
        ci_level=ci_level, design=d,
    )


def _separation_message(d: Design) -> str:
    """Name the covariates that drive a multivariate (quasi-)separation."""
    import statsmodels.api as sm

    # a lightly penalised fit shows which standardized coefficients run away
    sd = d.X[:, 1:].std(axis=0)
    sd[sd == 0] = 1
    Xs = np.column_stack([d.X[:, 0], d.X[:, 1:] / sd])
    try:
        b = sm.GLM(d.treat, Xs, family=sm.families.Binomial()).fit_regularized(
            alpha=1e-4, L1_wt=0.0, maxiter=500).params[1:]
        order = np.argsort(-np.abs(b))[:3]
        names = [d.x_names[1 + i] for i in order]
    except Exception:  # pragma: no cover - diagnostic only
        names = list(d.x_names[1:4])
    return (
        "perfect separation: the covariates together predict the treatment (almost) exactly, "
        f"so the propensity model has no finite estimate. Largest standardized coefficients: "
        f"{', '.join(repr(n) for n in names)}. The groups do not overlap on these; restrict "
        "the data to people comparable on them, merge sparse levels, or drop a covariate."
    )
