"""Robust variance estimation with the correlated-effects working model (Hedges, Tipton &
Johnson 2010; small-sample corrections of Tipton 2015), as R robumeta
``robu(modelweights = "CORR", small = TRUE)``.

Study ``j`` with ``k_j`` effects gets weights ``1 / (k_j (mean(v_j) + tau^2))``; tau^2 is the
method-of-moments estimate that depends on an assumed within-study correlation ``rho`` of
the sampling errors (robumeta's default 0.8). Standard errors are the CR2 sandwich with
Satterthwaite degrees of freedom, so inference does not rest on ``rho``; ``sensitivity``
shows how the estimates move with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import check_choice, check_ci_level, check_probability, prepare, require_range
from ..results import Caution, Result, new_axes, tidy_frame
from . import _cr2
from . import _multilevel as _ml
from ._data import MEASURE_INFO, _design, _mods

__all__ = ["RVEResult", "rve"]

SENSITIVITY_RHO = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _ce(y, v, X, cl: _ml.Clusters, rho: float):
    k = cl.sizes[cl.index].astype(float)
    vbar = (cl.sum(v) / cl.sizes)[cl.index]
    w = 1 / (k * vbar)
    Xw = X * w[:, None]
    M = np.linalg.inv(Xw.T @ X)
    e = y - X @ (M @ (Xw.T @ y))
    qe = float(np.sum(w * e * e))
    R = cl.sum(Xw)
    denom = w.sum() - np.trace(M @ (R.T @ R))
    wk = w / k
    term_a = np.trace(M @ ((X * wk[:, None]).T @ X))
    Sx = cl.sum(X)
    term_b = np.trace(M @ ((Sx * wk[cl.starts][:, None]).T @ Sx - (X * wk[:, None]).T @ X))
    m = cl.m
    tau2 = max(0.0, float((qe - m + term_a) / denom + rho * term_b / denom))
    dfq = m - term_a - rho * term_b
    i2 = max(0.0, float((qe - dfq) / qe * 100)) if qe > 0 else 0.0
    wr = 1 / (k * (vbar + tau2))
    Xw = X * wr[:, None]
    M = np.linalg.inv(Xw.T @ X)
    b = M @ (Xw.T @ y)
    e = y - X @ b
    return b, e, M, wr, tau2, i2


@dataclass(frozen=True)
class RVEResult(Result):
    """Correlated-effects robust variance estimation: coefficients with CR2 standard errors
    and Satterthwaite df, tau^2 at the assumed ``rho``, and a rho sensitivity table.

    Parameters
    ----------
    table : DataFrame
        One row per coefficient with the robust standard error, small-sample t test and
        interval.
    tau2 : float
        Between-study variance of the correlated-effects working model.
    i2 : float
        I^2 of the working model, in percent.
    rho : float
        Assumed correlation of effects within a study.
    k : int
        Effects.
    n_clusters : int
        Studies (clusters).
    ci_level : float
        Confidence level.
    measure : str
        Effect-size measure.
    sensitivity : DataFrame
        Estimates over a grid of ``rho`` values.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    vcov : ndarray
        Robust covariance matrix of the coefficients.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=20, effects_per_study=3, rng=1)
    >>> res = cs.meta.rve(sim.data, "yi", "vi", cluster="study")
    >>> res.rho
    0.8
    """

    table: pd.DataFrame
    tau2: float
    i2: float
    rho: float
    k: int
    n_clusters: int
    ci_level: float
    measure: str
    sensitivity: pd.DataFrame
    n_dropped: int
    vcov: np.ndarray = field(repr=False, compare=False)

    @property
    def estimate(self) -> float:
        return float(self.table["estimate"].iloc[0])

    @property
    def title(self) -> str:
        return (f"Robust variance estimation, correlated effects ({self.k} effects in "
                f"{self.n_clusters} studies)")  # fmt: skip

    @property
    def notes(self) -> list[str]:
        s = self.sensitivity
        return [
            f"Weights 1/(k_j (mean v_j + tau^2)); tau^2 = {self.tau2:.4g} (method of moments "
            f"at an assumed within-study correlation rho = {self.rho:g}); I^2 = "
            f"{self.i2:.1f}%. Analysis scale: {MEASURE_INFO[self.measure][1]}.",
            "Standard errors: CR2 sandwich; t tests with Satterthwaite df (Tipton 2015), as "
            "robumeta robu(modelweights = 'CORR', small = TRUE).",
            f"Sensitivity to rho from {s['rho'].min():g} to {s['rho'].max():g}: intercept "
            f"{s['estimate'].min():.4f} to {s['estimate'].max():.4f}, tau^2 "
            f"{s['tau2'].min():.4g} to {s['tau2'].max():.4g}.",
        ]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        low = self.table[self.table["df"] < 4]
        return tuple(
            Caution("few_clusters", f"Only {r.df:.1f} Satterthwaite df for {r.term}: the "
                    "robust test is unreliable (Tipton 2015).", float(r.df))
            for r in low.itertuples()
        )  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        rows = self.table.to_dict("records")
        rows.append({"term": "tau2", "estimate": self.tau2, "rho": self.rho})
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The intercept and its CI across assumed rho values.

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
        ax = new_axes(ax, figsize=(5, 3))
        s = self.sensitivity
        ax.errorbar(s["rho"], s["estimate"], yerr=[s["estimate"] - s["ci_low"],
                    s["ci_high"] - s["estimate"]], fmt="o-", color="C0")  # fmt: skip
        ax.set_xlabel("assumed within-study correlation rho")
        ax.set_ylabel("pooled estimate")
        return ax


def rve(
    data: pd.DataFrame,
    yi: str = "yi",
    vi: str = "vi",
    cluster: str | None = None,
    *,
    rho: float = 0.8,
    moderators: Sequence[str] | str | None = None,
    measure: str = "GEN",
    ci_level: float = 0.95,
    dropna: bool = False,
) -> RVEResult:
    """Correlated-effects robust variance estimation (R robumeta).

    Parameters
    ----------
    data : DataFrame
        One row per effect; never modified.
    yi, vi : str
        Effect sizes and sampling variances.
    cluster : str
        Required: the study column (effects in one study are dependent).
    rho : float
        Assumed correlation between effects within a study (in [0, 1]); it changes tau^2 and
        the weights, not the validity of the robust tests. ``sensitivity`` repeats the fit
        for rho = 0, .2, ..., 1.
    moderators : list of str, optional
    measure : str
        Label of the effect kind.
    ci_level : float
        Interval level (robumeta always prints 95%).
    dropna : bool

    Returns
    -------
    RVEResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_effects(k_studies=20, effects_per_study=3, rng=1)
    >>> res = cs.meta.rve(sim.data, "yi", "vi", cluster="study")
    >>> res.n_clusters
    20
    """

    if cluster is None:
        raise TypeError("cluster: name the study column, e.g. cluster='study'.")
    check_probability(rho, "rho", open=False)
    ci_level = check_ci_level(ci_level)
    measure = check_choice(measure, "measure", tuple(MEASURE_INFO))
    moderators = _mods(moderators)
    cols: dict[str, str | None] = {"yi": yi, "vi": vi, "cluster": cluster}
    for i, m in enumerate(moderators):
        cols[f"moderators[{i}]"] = m
    df, missing = prepare(data, cols, numeric=["yi", "vi"], dropna=dropna)
    require_range(df, vi, 0, None, low_inclusive=False, arg="vi",
                  hint="Sampling variances must be positive.")  # fmt: skip
    codes, _ = pd.factorize(df[cluster], sort=True)
    order = np.argsort(codes, kind="stable")
    df = df.iloc[order]
    cl = _ml.Clusters(codes[order])
    y = df[yi].to_numpy(float)
    v = df[vi].to_numpy(float)
    X, terms = _design(df, moderators)
    p = X.shape[1]
    if cl.m - p < 1:
        raise ValueError(f"{cl.m} studies cannot support {p} coefficients.")
    rows = [np.arange(s, s + n) for s, n in zip(cl.starts, cl.sizes, strict=True)]

    def one(r: float):
        b, e, M, wr, tau2, i2 = _ce(y, v, X, cl, r)
        vcov, dfs = _cr2.cluster_robust(X, e, M, [np.diag(1 / wr[ix]) for ix in rows], rows)
        return b, np.sqrt(np.diag(vcov)), dfs, tau2, i2, vcov

    b, se, dfs, tau2, i2, vcov = one(rho)
    crit = stats.t.isf((1 - ci_level) / 2, dfs)
    t = b / se
    table = tidy_frame([
        {"term": term, "estimate": float(b[i]), "std_error": float(se[i]),
         "ci_low": float(b[i] - crit[i] * se[i]), "ci_high": float(b[i] + crit[i] * se[i]),
         "ci_level": ci_level, "statistic": float(t[i]), "df": float(dfs[i]),
         "p_value": float(2 * stats.t.sf(abs(t[i]), dfs[i]))}
        for i, term in enumerate(terms)
    ])  # fmt: skip
    sens = []
    for r in sorted({*SENSITIVITY_RHO, rho}):
        bb, ss, dd, t2, _, _ = one(r)
        c = stats.t.isf((1 - ci_level) / 2, dd[0])
        sens.append({"rho": r, "estimate": bb[0], "std_error": ss[0], "ci_low": bb[0] - c * ss[0],
                     "ci_high": bb[0] + c * ss[0], "tau2": t2, "df": dd[0]})  # fmt: skip
    return RVEResult(table=table, tau2=tau2, i2=i2, rho=float(rho), k=len(y), n_clusters=cl.m,
                     ci_level=ci_level, measure=measure, sensitivity=pd.DataFrame(sens),
                     n_dropped=missing.n_dropped, vcov=vcov)  # fmt: skip
