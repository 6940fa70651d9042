"""Dependent effects: the three-level random-effects model (effects nested in studies) of
metafor ``rma.mv(yi, vi, random = ~ 1 | study/effect)``, with profile-likelihood intervals
for the variance components, I^2 per level, and cluster-robust (CR2) tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_attribute
from .._validate import MissingReport, check_choice, check_ci_level, prepare, require_range
from ..results import Caution, Result, new_axes, tidy_frame
from . import _cr2
from . import _multilevel as _ml
from ._data import MEASURE_INFO, _design, _mods

__all__ = ["MultilevelResult", "RobustResult", "multilevel"]


@dataclass(frozen=True)
class RobustResult(Result):
    """Coefficients with cluster-robust standard errors and small-sample t tests.

    ``small_sample="CR2"``: the bias-reduced linearisation with Satterthwaite degrees of
    freedom (R clubSandwich ``coef_test(fit, vcov = "CR2")``); ``"CR0"``: the plain sandwich
    with ``m - p`` df (m clusters).

    Parameters
    ----------
    table : DataFrame
        One row per coefficient with the robust standard error, t test and interval.
    small_sample : str
        ``"CR2"`` or ``"CR0"``.
    cluster : str
        Cluster column.
    n_clusters : int
        Number of clusters.
    ci_level : float
        Confidence level.
    model_name : str
        The model whose coefficients were tested (for the title).
    vcov : ndarray
        Robust covariance matrix of the coefficients.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=20, effects_per_study=3, rng=1)
    >>> res = cs.meta.multilevel(sim.data, "yi", "vi", levels=["study", "effect"])
    >>> res.robust().small_sample
    'CR2'
    """

    table: pd.DataFrame
    small_sample: str
    cluster: str
    n_clusters: int
    ci_level: float
    model_name: str
    vcov: np.ndarray = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        return (f"Cluster-robust ({self.small_sample}) tests of the {self.model_name} "
                f"({self.n_clusters} clusters of {self.cluster})")  # fmt: skip

    @property
    def notes(self) -> list[str]:
        df = "Satterthwaite" if self.small_sample == "CR2" else "m - p"
        out = [
            f"Standard errors from the cluster-robust sandwich ({self.small_sample}); t tests "
            f"and {self.ci_level:.0%} intervals with {df} degrees of freedom (column df).",
            "Robust to a misspecified dependence within clusters; the working model only "
            "sets the weights.",
        ]
        low = self.table.loc[self.table["df"] < 4, "term"].tolist()
        if low:
            out.append(f"Fewer than 4 degrees of freedom for {low}: the test is unreliable "
                       "(Tipton 2015).")  # fmt: skip
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        low = self.table[self.table["df"] < 4]
        return tuple(
            Caution("few_clusters", f"Only {r.df:.1f} Satterthwaite df for {r.term}: too few "
                    "clusters for a trustworthy robust test.", float(r.df))
            for r in low.itertuples()
        )  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result and return the Axes.

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
        ax = new_axes(ax, figsize=(5, 1 + 0.4 * len(self.table)))
        t = self.table
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["estimate"], y, xerr=[t["estimate"] - t["ci_low"],
                    t["ci_high"] - t["estimate"]], fmt="o", color="C0")  # fmt: skip
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_yticks(y, t["term"])
        ax.set_xlabel(f"estimate ({self.small_sample} {self.ci_level:.0%} CI)")
        return ax


@dataclass(frozen=True)
class MultilevelResult(Result):
    """A fitted three-level model: effects (level 2) nested in clusters (level 3).

    ``sigma2`` holds the between-cluster and the within-cluster (between-effect) variances;
    ``i2_levels`` their shares of the total variance in percent (with the typical sampling
    variance, as on the metafor website). The pooled ``estimate`` is the intercept.

    Parameters
    ----------
    coefficients : DataFrame
        One row per coefficient (the ``to_frame()`` table).
    sigma2 : tuple of (float, float)
        Variance components between clusters and between effects within clusters.
    i2_levels : tuple of (float, float)
        Their shares of the total variance, in percent.
    levels : tuple of (str, str)
        The cluster and effect columns.
    method : str
        ``"REML"`` or ``"ML"``.
    ci_level : float
        Confidence level.
    k : int
        Effects in the model.
    n_clusters : int
        Clusters (top level).
    q, q_p_value : float
        Cochran's Q of residual heterogeneity and its p-value.
    q_df : int
        Degrees of freedom of Q.
    ll : float
        Log-likelihood at the estimate.
    pi_low, pi_high : float
        Prediction interval of a new effect.
    measure : str
        Effect-size measure.
    iterations : int
        Optimiser iterations.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    vcov : ndarray
        Covariance matrix of the coefficients.
    inputs : dict
        Effects, variances, design matrix, clusters and frame of the fit (for
        :meth:`robust` and the profiles).
    _cache : dict
        Internal cache of computed tables.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=20, effects_per_study=3, rng=1)
    >>> res = cs.meta.multilevel(sim.data, "yi", "vi", levels=["study", "effect"])
    >>> res.levels
    ('study', 'effect')
    """

    coefficients: pd.DataFrame
    sigma2: tuple[float, float]
    i2_levels: tuple[float, float]
    levels: tuple[str, str]
    method: str
    ci_level: float
    k: int
    n_clusters: int
    q: float
    q_df: int
    q_p_value: float
    ll: float
    pi_low: float
    pi_high: float
    measure: str
    iterations: int
    n_dropped: int
    vcov: np.ndarray = field(repr=False, compare=False)
    inputs: dict = field(repr=False, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    q_pvalue = renamed_attribute("q_p_value", "q_pvalue")  # former name (FutureWarning)

    # ------------------------------------------------------------------ descriptors
    @property
    def estimate(self) -> float:
        return float(self.coefficients["estimate"].iloc[0])

    @property
    def std_error(self) -> float:
        return float(self.coefficients["std_error"].iloc[0])

    @property
    def ci_low(self) -> float:
        return float(self.coefficients["ci_low"].iloc[0])

    @property
    def ci_high(self) -> float:
        return float(self.coefficients["ci_high"].iloc[0])

    @property
    def has_moderators(self) -> bool:
        return len(self.coefficients) > 1

    @property
    def title(self) -> str:
        return (f"Three-level meta-analysis of {MEASURE_INFO[self.measure][0]} ({self.method}; "
                f"{self.k} effects in {self.n_clusters} {self.levels[0]} clusters)")  # fmt: skip

    @property
    def notes(self) -> list[str]:
        s1, s2 = self.sigma2
        out = [
            f"Random effects: {self.levels[0]} (sigma^2 = {s1:.4g}) and {self.levels[1]} "
            f"within {self.levels[0]} (sigma^2 = {s2:.4g}), as metafor rma.mv(random = ~ 1 | "
            f"{self.levels[0]}/{self.levels[1]}); {self.method}; Wald z-tests; variance "
            f"intervals are {self.ci_level:.0%} profile-likelihood intervals.",
            f"I^2: {self.i2_levels[0]:.1f}% at the {self.levels[0]} level, "
            f"{self.i2_levels[1]:.1f}% within {self.levels[0]}; Q({self.q_df}) = {self.q:.2f}, "
            f"p = {self.q_p_value:.3g}.",
            "For inference robust to the assumed dependence use .robust() (CR2, Satterthwaite "
            "df).",
        ]
        if not self.has_moderators:
            out.append(f"Prediction interval ({self.ci_level:.0%}): where the true effect of a "
                       "new effect from a new study is expected to lie.")  # fmt: skip
        if self.n_dropped:
            out.append(f"{self.n_dropped} rows dropped for missing values.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "Effects within a cluster share a cluster-level random effect; sampling errors "
            "are independent given the random effects (correlated sampling errors, e.g. "
            "several outcomes measured on the same people, are absorbed only approximately: "
            "use .robust()).",
            "Random effects are normal; sampling variances are known.",
        ]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        if self.n_clusters < 3:
            out.append(Caution("tau2_not_identified", f"Only {self.n_clusters} clusters: the "
                               "between-cluster variance is not identified.",
                               float(self.n_clusters)))  # fmt: skip
        tot = sum(self.i2_levels)
        if tot > 75:
            out.append(Caution("high_heterogeneity", f"I^2 = {tot:.1f}% in total: most "
                               "variation between effects is real.", float(tot)))  # fmt: skip
        if not self.has_moderators and self.pi_low < 0 < self.pi_high:
            out.append(Caution(
                "prediction_interval_includes_zero",
                f"The {self.ci_level:.0%} prediction interval [{self.pi_low:.3f}, "
                f"{self.pi_high:.3f}] includes zero.", float(self.pi_low)))  # fmt: skip
        return tuple(out)

    # ------------------------------------------------------------------ tables
    def variance_components(self, ci_level: float | None = None) -> pd.DataFrame:
        """sigma^2 of each level with profile-likelihood intervals (metafor ``confint``)."""
        lvl = self.ci_level if ci_level is None else check_ci_level(ci_level)
        if lvl not in self._cache:
            y, v, X, cl = (self.inputs[k] for k in ("y", "v", "X", "cl"))
            reml = self.method == "REML"
            st = _ml.state(y, v, X, cl, *self.sigma2)
            rows = []
            for i, name in enumerate(self.levels):
                lo, hi = _ml.profile_ci(y, v, X, cl, reml=reml, which=i, est=st,
                                        ll_max=self.ll, ci_level=lvl)  # fmt: skip
                rows.append({"term": f"sigma2_{name}", "estimate": self.sigma2[i],
                             "ci_low": lo, "ci_high": hi, "ci_level": lvl,
                             "ci_kind": "profile likelihood", "i2": self.i2_levels[i]})  # fmt: skip
            self._cache[lvl] = tidy_frame(rows)
        return self._cache[lvl].copy()

    def to_frame(self) -> pd.DataFrame:
        coefs = self.coefficients.copy()
        if not self.has_moderators:
            coefs["pi_low"], coefs["pi_high"] = self.pi_low, self.pi_high
        return tidy_frame([*coefs.to_dict("records"),
                           *self.variance_components().to_dict("records")])  # fmt: skip

    def robust(self, cluster: str | None = None, small_sample: str = "CR2") -> RobustResult:
        """Cluster-robust variance of the coefficients (R clubSandwich ``coef_test``).

        Parameters
        ----------
        cluster : str, optional
            Column of the clusters; default the top level. Clusters must contain whole
            top-level groups.
        small_sample : {"CR2", "CR0"}
            CR2 (bias-reduced linearisation, Satterthwaite df; recommended) or the plain
            sandwich (CR0, m - p df).

        Returns
        -------
        RobustResult
        """

        small_sample = check_choice(small_sample, "small_sample", ("CR2", "CR0"))
        frame: pd.DataFrame = self.inputs["frame"]
        cname = self.levels[0] if cluster is None else cluster
        if cname not in frame.columns:
            raise ValueError(f"cluster={cname!r} is not a column of the fitted data; "
                             f"choose one of {list(frame.columns)}.")  # fmt: skip
        top = frame[self.levels[0]].to_numpy()
        cvals = frame[cname].to_numpy()
        per_top = pd.Series(cvals).groupby(top).nunique()
        if (per_top > 1).any():
            raise ValueError(
                f"cluster={cname!r} splits some {self.levels[0]!r} groups "
                f"({per_top[per_top > 1].index[:5].tolist()}); robust clusters must contain "
                f"whole {self.levels[0]} groups (use cluster={self.levels[0]!r})."
            )
        y, v, X, cl = (self.inputs[k] for k in ("y", "v", "X", "cl"))
        st = _ml.state(y, v, X, cl, *self.sigma2)
        codes = pd.factorize(cvals)[0]
        rows = [np.flatnonzero(codes == j) for j in range(codes.max() + 1)]
        s1, s2 = self.sigma2
        phis = []
        for r in rows:
            same = cl.index[r][:, None] == cl.index[r][None, :]
            phis.append(np.diag(v[r] + s2) + s1 * same)
        vcov, df = _cr2.cluster_robust(X, st.e, st.M, phis, rows, small_sample=small_sample)
        m, p = len(rows), X.shape[1]
        if small_sample == "CR0":
            df = np.full(p, float(m - p))
        se = np.sqrt(np.diag(vcov))
        b = st.beta
        t = b / se
        crit = stats.t.isf((1 - self.ci_level) / 2, df)
        table = tidy_frame([
            {"term": term, "estimate": float(b[i]), "std_error": float(se[i]),
             "ci_low": float(b[i] - crit[i] * se[i]), "ci_high": float(b[i] + crit[i] * se[i]),
             "ci_level": self.ci_level, "statistic": float(t[i]), "df": float(df[i]),
             "p_value": float(2 * stats.t.sf(abs(t[i]), df[i]))}
            for i, term in enumerate(self.coefficients["term"])
        ])  # fmt: skip
        return RobustResult(table=table, small_sample=small_sample, cluster=cname,
                            n_clusters=m, ci_level=self.ci_level,
                            model_name="three-level model", vcov=vcov)  # fmt: skip

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of the effects grouped by cluster, with the pooled diamond.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :func:`coachstats.plotting.forest.forest_plot`: ``scale``, ``columns``,
            ``subgroup``, ``max_studies``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from ..plotting.forest import forest_plot

        return forest_plot(self, ax=ax, **kwargs)


def multilevel(
    data: pd.DataFrame,
    yi: str = "yi",
    vi: str | None = "vi",
    levels: Sequence[str] | None = None,
    *,
    sei: str | None = None,
    moderators: Sequence[str] | str | None = None,
    method: str = "REML",
    measure: str = "GEN",
    ci_level: float = 0.95,
    dropna: bool = False,
) -> MultilevelResult:
    """Three-level random-effects model for several effects per study.

    The model of metafor ``rma.mv(yi, vi, random = ~ 1 | study/effect)``: each effect has its
    own deviation (within-study variance) and shares its study's deviation (between-study
    variance). Fitted by average-information Newton steps on closed-form per-study inverses,
    so the cost grows linearly with the number of effects (10,000 effects in 1,000 studies in
    milliseconds).

    Parameters
    ----------
    data : DataFrame
        One row per effect; never modified.
    yi, vi : str
        Effect sizes and sampling variances (or ``vi=None, sei=`` standard errors).
    levels : (str, str)
        Required: the cluster column (e.g. study) and the effect column within it; each
        (cluster, effect) pair must identify one row.
    moderators : list of str, optional
        Meta-regression columns (categorical columns dummy-coded).
    method : {"REML", "ML"}
    measure : str
        Label of the effect kind (as in :func:`effects`).
    ci_level : float
    dropna : bool
        Drop rows with missing values (counted) instead of raising.
    sei : str, optional
        Standard-error column, used when ``vi`` is None.

    Returns
    -------
    MultilevelResult
        ``.robust()`` gives CR2 cluster-robust tests; ``.variance_components()`` the profile
        intervals.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=20, effects_per_study=3, rng=1)
    >>> res = cs.meta.multilevel(sim.data, "yi", "vi", levels=["study", "effect"])
    >>> res.n_clusters
    20
    """

    method = check_choice(method, "method", ("REML", "ML"))
    measure = check_choice(measure, "measure", tuple(MEASURE_INFO))
    ci_level = check_ci_level(ci_level)
    if levels is None:
        raise TypeError("levels: name the cluster and effect columns, e.g. "
                        "levels=['study', 'effect'].")
    levels = list(levels) if not isinstance(levels, str) else [levels]
    if len(levels) != 2:
        raise ValueError(f"levels must name two columns (cluster, effect), got {levels!r}.")
    if (vi is None) == (sei is None):
        raise TypeError("give exactly one of vi= and sei= (pass vi=None with sei=).")
    moderators = _mods(moderators)
    cols: dict[str, str | None] = {"yi": yi, "vi": vi, "sei": sei, "levels[0]": levels[0],
                                   "levels[1]": levels[1]}  # fmt: skip
    for i, m in enumerate(moderators):
        cols[f"moderators[{i}]"] = m
    df, missing = prepare(data, cols, numeric=["yi", "vi" if vi else "sei"], dropna=dropna)
    spread = vi if vi is not None else sei
    require_range(df, spread, 0, None, low_inclusive=False, arg="vi" if vi else "sei",
                  hint="Sampling variances and standard errors must be positive.")  # fmt: skip
    dup = df.duplicated(subset=levels, keep=False)
    if dup.any():
        raise ValueError(
            f"rows {df.index[dup][:10].tolist()} repeat the same ({levels[0]}, {levels[1]}) "
            f"pair; each row must be one effect: give effects distinct ids within their "
            f"{levels[0]}."
        )
    codes, _ = pd.factorize(df[levels[0]], sort=True)
    order = np.argsort(codes, kind="stable")
    df = df.iloc[order]
    codes = codes[order]
    y = df[yi].to_numpy(float)
    v = df[vi].to_numpy(float) if vi is not None else df[sei].to_numpy(float) ** 2
    X, terms = _design(df, moderators)
    n, p = X.shape
    if n - p < 2:
        raise ValueError(f"{n} effects cannot support {p} coefficients and two variances.")
    cl = _ml.Clusters(codes)
    return _fit(y, v, X, terms, cl, df, levels, method, measure, ci_level, missing)


def _fit(y, v, X, terms, cl, df, levels, method, measure, ci_level,
         missing: MissingReport) -> MultilevelResult:  # fmt: skip
    reml = method == "REML"
    st, ll, it = _ml.fit_components(y, v, X, cl, reml=reml)
    n, p = X.shape
    se = np.sqrt(np.diag(st.M))
    z = st.beta / se
    crit = stats.norm.isf((1 - ci_level) / 2)
    coefs = tidy_frame([
        {"term": t, "estimate": float(b), "std_error": float(s), "ci_low": float(b - crit * s),
         "ci_high": float(b + crit * s), "ci_level": ci_level, "statistic": float(zz),
         "p_value": float(2 * stats.norm.sf(abs(zz)))}
        for t, b, s, zz in zip(terms, st.beta, se, z, strict=True)
    ])  # fmt: skip
    # heterogeneity: Q with fixed-effect weights; I^2 per level with the typical variance
    w = 1 / v
    bfe = np.linalg.solve((X * w[:, None]).T @ X, (X * w[:, None]).T @ y)
    q = float(np.sum(w * (y - X @ bfe) ** 2))
    typ = _ml.typical_variance(v, X)
    s = (st.s1, st.s2)
    i2 = tuple(float(100 * x / (sum(s) + typ)) for x in s)
    half = crit * np.sqrt(se[0] ** 2 + sum(s))
    b0 = float(st.beta[0])
    return MultilevelResult(
        coefficients=coefs, sigma2=(float(st.s1), float(st.s2)), i2_levels=i2,  # type: ignore[arg-type]
        levels=(str(levels[0]), str(levels[1])), method=method, ci_level=ci_level, k=n,
        n_clusters=cl.m, q=q, q_df=n - p, q_p_value=float(stats.chi2.sf(q, n - p)), ll=ll,
        pi_low=b0 - half if p == 1 else np.nan, pi_high=b0 + half if p == 1 else np.nan,
        measure=measure, iterations=it, n_dropped=missing.n_dropped, vcov=st.M,
        inputs={"y": y, "v": v, "X": X, "cl": cl, "frame": df},
    )  # fmt: skip
