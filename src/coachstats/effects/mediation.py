"""Mediation by the product of coefficients, with Monte Carlo or bootstrap intervals and
Imai, Keele & Yamamoto's sensitivity to a mediator-outcome confounder.

Two linear models, fitted by OLS on the same rows::

    mediator = i1 + a treatment + g1' covariates + e1
    outcome  = i2 + c' treatment + b mediator + g2' covariates + e2

give the indirect effect ``a b`` (the average causal mediation effect under sequential
ignorability and no treatment-mediator interaction), the direct effect ``c'`` and the total
``c = c' + a b`` (identical to the coefficient of ``treatment`` in the outcome model without
the mediator). The indirect effect's interval is the Monte Carlo interval (MacKinnon,
Lockwood & Williams 2004; Preacher & Selig 2012: percentiles of ``a* b*`` with ``a*, b*``
drawn from their estimated normal sampling distributions) or the nonparametric percentile
bootstrap (resampling rows, or clusters). ``std_error`` of the indirect effect is the
first-order delta (Sobel 1982) value; with ``se="ml"`` the coefficient SEs use the maximum
likelihood residual variance (divisor ``n``), which is what R ``lavaan::sem`` reports for
the same path model.

With ``cluster=`` the treatment and the mediator must be constant within each cluster (a
2-2-1 design: manager coached, manager's behaviour, employees' engagement); the outcome is
averaged within clusters and the models are fitted to cluster means, which estimates the
between-cluster indirect effect, the only one a 2-2-1 design has (Krull & MacKinnon 2001;
Zhang, Zyphur & Preacher 2009).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._rng import RNGLike, as_generator
from .._validate import _rows, check_choice, check_ci_level, check_int, prepare, require_varies
from ..privacy import check_min_group_size
from ..results import Caution, Result, new_axes, term_intervals, tidy_frame

__all__ = ["MediationResult", "MediationSensitivity", "mediation"]

_METHODS = ("monte_carlo", "bootstrap")


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients, residuals and (X'X)^-1."""
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ (x.T @ y)
    return beta, y - x @ beta, xtx_inv


@dataclass(frozen=True)
class MediationSensitivity(Result):
    """The indirect effect as a function of the error correlation ``rho`` (Imai, Keele &
    Yamamoto 2010, Theorem 2 for linear models).

    ``rho`` is the correlation between the mediator-model and outcome-model errors that an
    unmeasured mediator-outcome confounder would create; ``rho = 0`` is sequential
    ignorability and reproduces the estimate. ``rho_zero`` is the correlation at which the
    indirect effect would vanish.

    Parameters
    ----------
    curve : DataFrame
        ``rho, indirect``: the indirect effect over a grid of error correlations.
    rho_zero : float
        Error correlation at which the indirect effect is zero.
    estimate : float
        The indirect effect under sequential ignorability (``rho = 0``).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.leader_mediation(team_size=1, rng=3)
    >>> res = cs.effects.mediation(sim.data, "coached", "coaching_behaviour", "engagement",
    ...                            n_sims=2000, rng=3)
    >>> list(res.sensitivity().curve.columns)
    ['rho', 'indirect']
    """

    curve: pd.DataFrame = field(repr=False)
    rho_zero: float = math.nan
    estimate: float = math.nan

    @property
    def title(self) -> str:
        return "Sensitivity of the indirect effect to a mediator-outcome confounder"

    @property
    def notes(self) -> list[str]:
        return [f"The indirect effect is zero at rho = {self.rho_zero:.3f} (Imai, Keele & "
                "Yamamoto 2010): an unmeasured confounder would have to correlate the two "
                "models' errors this strongly to explain the estimate away.",
                "Linear models with no treatment-mediator interaction; point values only."]

    def to_frame(self) -> pd.DataFrame:
        rows = [{"term": f"rho={r:+.2f}", "estimate": v, "rho": r}
                for r, v in zip(self.curve["rho"], self.curve["indirect"], strict=True)]
        rows.append({"term": "rho_zero", "estimate": self.rho_zero, "rho": self.rho_zero})
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The indirect effect against rho, with the zero line and rho_zero marked.

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
        ax = new_axes(ax)
        ax.plot(self.curve["rho"], self.curve["indirect"], color="C0")
        ax.axhline(0, color="0.5", lw=1, ls="--")
        ax.axvline(0, color="0.7", lw=1)
        if np.isfinite(self.rho_zero):
            ax.axvline(self.rho_zero, color="C3", lw=1, ls=":")
        ax.set_xlabel("rho (correlation of mediator and outcome errors)")
        ax.set_ylabel("indirect effect")
        ax.set_title(self.title)
        return ax


@dataclass(frozen=True)
class MediationResult(Result):
    """Paths, indirect, direct and total effects of a single-mediator model.

    ``to_frame()`` terms: ``a`` (treatment -> mediator), ``b`` (mediator -> outcome given
    treatment), ``direct`` (c'), ``indirect`` (a b), ``total`` (c), ``proportion_mediated``.

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table described above.
    treatment, mediator, outcome : str
        The model's columns.
    method : str
        How the interval of the indirect effect was made (``"monte_carlo"`` or another
        method of :func:`mediation`).
    n : int
        People in the fit.
    n_clusters : int or None
        Clusters of the cluster-robust standard errors, None without ``cluster``.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    se : str
        Standard-error type of the two regressions.
    residual_corr : float
        Correlation of the mediator-model and outcome-model errors at which the indirect
        effect would vanish (see :meth:`sensitivity`).
    sd_ratio : float
        Ratio of the outcome-model to the mediator-model residual SD.
    n_sims : int
        Monte Carlo draws behind the interval (0 when not simulated).
    covariates : tuple of str
        Covariates adjusted for in both regressions.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.leader_mediation(team_size=1, rng=3)
    >>> res = cs.effects.mediation(sim.data, "coached", "coaching_behaviour", "engagement",
    ...                            n_sims=2000, rng=3)
    >>> res.mediator
    'coaching_behaviour'
    """

    table: pd.DataFrame = field(repr=False)
    treatment: str = "treatment"
    mediator: str = "mediator"
    outcome: str = "outcome"
    method: str = "monte_carlo"
    n: int = 0
    n_clusters: int | None = None
    n_dropped: int = 0
    se: str = "ols"
    residual_corr: float = math.nan  # corr(e1, e3): the rho at which the indirect effect is 0
    sd_ratio: float = math.nan  # sd(e3) / sd(e1)
    n_sims: int = 0
    covariates: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"Mediation of {self.treatment} -> {self.outcome} through {self.mediator}"

    def _get(self, term: str, col: str = "estimate") -> float:
        return float(self.table.set_index("term").loc[term, col])

    @property
    def indirect(self) -> float:
        return self._get("indirect")

    @property
    def notes(self) -> list[str]:
        how = ("Monte Carlo interval (percentiles of a*b with a, b drawn from their normal "
               "sampling distributions)" if self.method == "monte_carlo" else
               "percentile bootstrap" + (" over clusters" if self.n_clusters else " over rows"))
        out = [f"Product of coefficients, OLS; indirect effect interval: {how}, "
               f"{self.n_sims:,} draws; its std_error and p_value are Sobel's (delta method).",
               "a, b, direct and total: t intervals" + (" with ML (divisor n) SEs, as lavaan"
                                                         if self.se == "ml" else "") + "."]
        if self.n_clusters:
            out.append(f"2-2-1 design: outcome averaged within {self.n_clusters} clusters; the "
                       "effects are between clusters.")
        if self.covariates:
            out.append("Adjusted for " + ", ".join(self.covariates) + ".")
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "Sequential ignorability (Imai, Keele & Tingley 2010): given the covariates, the "
            "treatment is as good as randomised, and the mediator is as good as randomised "
            "given treatment and covariates - no unmeasured mediator-outcome confounder, and "
            "no such confounder affected by the treatment.",
            "Linear models with no treatment-by-mediator interaction.",
        ]

    def limitations(self) -> list[str]:
        return [f"Randomising {self.treatment} does not randomise {self.mediator}: the indirect "
                f"effect can be confounded even in an experiment. sensitivity() shows how "
                f"strong a confounder (rho = {self.residual_corr:.2f}) would remove it."]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        if abs(self.residual_corr) < 0.1 and np.isfinite(self.residual_corr):
            out.append(Caution("fragile_mediation",
                               f"A confounder inducing an error correlation of only "
                               f"{self.residual_corr:.2f} would explain the indirect effect away.",
                               self.residual_corr))
        k = self.n_clusters or self.n
        if k < 30:
            out.append(Caution("few_units", f"Only {k} units in the path models; normal-theory "
                               "intervals may be too narrow.", float(k)))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def sensitivity(self, rho: Sequence[float] | None = None) -> MediationSensitivity:
        """Indirect effect if the two models' errors correlated ``rho`` (IKY 2010, Thm 2).

        ``indirect(rho) = a (sd_e3 / sd_e1) [rt - rho sqrt((1 - rt^2) / (1 - rho^2))]`` with
        ``rt = corr(e1, e3)`` the correlation of the mediator-model residuals and the
        residuals of the outcome model without the mediator.

        Examples
        --------
        >>> import coachstats as cs
        >>> sim = cs.simulate.leader_mediation(team_size=1, rng=1)
        >>> res = cs.effects.mediation(sim.data, "coached", "coaching_behaviour", "engagement",
        ...                            rng=1)
        >>> s = res.sensitivity()
        >>> round(s.rho_zero, 6) == round(res.residual_corr, 6)
        True
        """
        grid = np.round(np.linspace(-0.9, 0.9, 37), 10) if rho is None else np.asarray(rho, float)
        if np.any(np.abs(grid) >= 1):
            raise ValueError("rho values must lie strictly between -1 and 1.")
        a = self._get("a")
        rt = self.residual_corr
        vals = a * self.sd_ratio * (rt - grid * np.sqrt((1 - rt**2) / (1 - grid**2)))
        return MediationSensitivity(curve=pd.DataFrame({"rho": grid, "indirect": vals}),
                                    rho_zero=rt, estimate=self.indirect)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Indirect, direct and total effects with their intervals.

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
        f = self.table.set_index("term").loc[["indirect", "direct", "total"]].reset_index()
        ax = term_intervals(f, ax, xlabel=f"effect on {self.outcome}")
        ax.set_title(self.title)
        return ax


def _design(frame: pd.DataFrame, treatment: str, mediator: str, covariates: Sequence[str]
            ) -> tuple[np.ndarray, np.ndarray]:
    one = np.ones((len(frame), 1))
    cov = frame[list(covariates)].to_numpy(float) if covariates else np.empty((len(frame), 0))
    t = frame[[treatment]].to_numpy(float)
    m = frame[[mediator]].to_numpy(float)
    return np.hstack([one, t, cov]), np.hstack([one, t, m, cov])


def _batched_coef(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS coefficients of a batch of resampled designs ``x`` (B, n, p) and ``y`` (B, n)."""
    xtx = np.einsum("bni,bnj->bij", x, x)
    xty = np.einsum("bni,bn->bi", x, y)
    out = np.full(xty.shape, np.nan)
    ok = np.linalg.cond(xtx) < 1e12
    out[ok] = np.linalg.solve(xtx[ok], xty[ok][..., None])[..., 0]
    return out


def _bootstrap_paths(xm: np.ndarray, xy: np.ndarray, m: np.ndarray, y: np.ndarray,
                     n_sims: int, g: np.random.Generator, chunk: int = 250) -> np.ndarray:
    """a, b, direct, total on ``n_sims`` row resamples (rows with a singular design: NaN)."""
    n = len(y)
    out = np.empty((n_sims, 4))
    for start in range(0, n_sims, chunk):
        k = min(chunk, n_sims - start)
        idx = g.integers(0, n, size=(k, n))
        cm = _batched_coef(xm[idx], m[idx])
        cy = _batched_coef(xy[idx], y[idx])
        ct = _batched_coef(xm[idx], y[idx])
        out[start:start + k] = np.column_stack([cm[:, 1], cy[:, 2], cy[:, 1], ct[:, 1]])
    return out


def mediation(
    data: pd.DataFrame,
    treatment: str,
    mediator: str,
    outcome: str,
    *,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    method: str = "monte_carlo",
    n_sims: int = 5000,
    se: str = "ols",
    ci_level: float = 0.95,
    min_group_size: int = 5,
    rng: RNGLike = None,
    dropna: bool = False,
) -> MediationResult:
    """Indirect (mediated), direct and total effects of a treatment by the product of
    coefficients.

    Parameters
    ----------
    data : DataFrame
        One row per person (or per employee with ``cluster=``); never modified.
    treatment : str
        Numeric treatment (0/1 for a program, or a dose).
    mediator, outcome : str
        Numeric columns.
    covariates : sequence of str
        Pre-treatment covariates entered in both models.
    cluster : str, optional
        Cluster (e.g. manager) for a 2-2-1 design: treatment, mediator and covariates must be
        constant within a cluster; the outcome is averaged per cluster. For the multilevel
        model (random intercepts; 2-2-1 or 2-1-1 designs) use :func:`multilevel_mediation`.
    method : {"monte_carlo", "bootstrap"}
        Interval of the indirect effect (case-insensitive).
    n_sims : int
        Monte Carlo draws or bootstrap resamples.
    se : {"ols", "ml"}
        Residual variance divisor ``n - p`` (OLS, default) or ``n`` (ML, as lavaan).
    ci_level : float
    min_group_size : int
        With ``cluster=``, clusters with fewer distinct rows are an error (their means would
        describe too few people; default 5, never below 3).
    rng : int, Generator or None
    dropna : bool
        Drop rows with a missing value (counted in ``n_dropped``) instead of raising.

    Returns
    -------
    MediationResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.leader_mediation(team_size=1, rng=3)
    >>> res = cs.effects.mediation(sim.data, "coached", "coaching_behaviour", "engagement",
    ...                            n_sims=2000, rng=3)
    >>> res.to_frame()["term"].tolist()
    ['a', 'b', 'direct', 'indirect', 'total', 'proportion_mediated']
    """
    ci_level = check_ci_level(ci_level)
    method = check_choice(method, "method", tuple(_METHODS))
    se = check_choice(se, "se", ("ols", "ml"))
    n_sims = check_int(n_sims, "n_sims", minimum=100)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    cols: dict[str, str | None] = {"treatment": treatment, "mediator": mediator,
                                   "outcome": outcome, "cluster": cluster}
    cols.update({f"covariates[{i}]": c for i, c in enumerate(covariates)})
    num = ["treatment", "mediator", "outcome",
           *[f"covariates[{i}]" for i in range(len(covariates))]]
    frame, miss = prepare(data, cols, numeric=num, dropna=dropna)
    for c in [treatment, mediator, outcome, *covariates]:
        x = frame[c].to_numpy(float)
        if not np.isfinite(x).all():
            raise ValueError(f"column {c!r} has infinite values (rows "
                             f"{_rows(frame.index[~np.isfinite(x)])}).")
    n_clusters = None
    if cluster is not None:
        min_size = check_min_group_size(min_group_size)
        level2 = [treatment, mediator, *covariates]
        varying = frame.groupby(cluster, sort=False)[level2].nunique().gt(1)
        if varying.to_numpy().any():
            col = varying.columns[varying.any()][0]
            bad = varying.index[varying[col]].tolist()
            raise ValueError(
                f"column {col!r} varies within cluster(s) {bad[:5]} of {cluster!r}; with "
                "cluster= the treatment, mediator and covariates must be cluster-level "
                "(a 2-2-1 design). Aggregate them first or drop cluster=.")
        sizes = frame.groupby(cluster, sort=False).size()
        small = sizes[sizes < min_size]
        if len(small):
            raise ValueError(
                f"{len(small)} cluster(s) of {cluster!r} have fewer than {min_size} rows "
                f"(e.g. {small.index[:5].tolist()}); their means describe too few people. "
                "Remove or merge them, or lower min_group_size (never below 3).")
        frame = frame.groupby(cluster, sort=True).agg(
            {**{c: "first" for c in level2}, outcome: "mean"}).reset_index()
        n_clusters = len(frame)
    require_varies(frame, treatment, "treatment")
    n = len(frame)
    p_y = 3 + len(covariates)
    if n <= p_y + 1:
        raise ValueError(f"need more than {p_y + 1} units to fit the outcome model, got {n}.")
    xm, xy = _design(frame, treatment, mediator, covariates)
    yv = frame[outcome].to_numpy(float)
    mv = frame[mediator].to_numpy(float)
    bm, e1, im = _ols(xm, mv)
    byy, e2, iy = _ols(xy, yv)
    bt, e3, _ = _ols(xm, yv)
    p_m = xm.shape[1]

    def covm(resid: np.ndarray, inv: np.ndarray, p: int) -> np.ndarray:
        return float(resid @ resid) / (n if se == "ml" else n - p) * inv

    vm, vy = covm(e1, im, p_m), covm(e2, iy, p_y)
    vt = covm(e3, im, p_m)
    a, se_a = float(bm[1]), math.sqrt(vm[1, 1])
    b, se_b = float(byy[2]), math.sqrt(vy[2, 2])
    cp, se_cp = float(byy[1]), math.sqrt(vy[1, 1])
    c, se_c = float(bt[1]), math.sqrt(vt[1, 1])
    ab = a * b
    se_ab = math.sqrt(b * b * se_a**2 + a * a * se_b**2)
    g = as_generator(rng)
    alpha = 1 - ci_level
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    prop = ab / c if c != 0 else math.nan
    prop_ci = (math.nan, math.nan)
    if method == "monte_carlo":
        draws = g.normal(a, se_a, n_sims) * g.normal(b, se_b, n_sims)
        ab_ci = tuple(np.percentile(draws, q))
        boot_se = float(np.std(draws, ddof=1))
    else:
        res = _bootstrap_paths(xm, xy, mv, yv, n_sims, g)
        ok = np.isfinite(res).all(axis=1)
        res = res[ok]
        draws = res[:, 0] * res[:, 1]
        ab_ci = tuple(np.percentile(draws, q))
        boot_se = float(np.std(draws, ddof=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            pr = draws / res[:, 3]
        prop_ci = tuple(np.percentile(pr[np.isfinite(pr)], q))
    df_m, df_y = n - p_m, n - p_y

    def t_row(term: str, est: float, s: float, dfree: int) -> dict[str, Any]:
        crit = float(stats.t.ppf(1 - alpha / 2, dfree)) if se == "ols" else \
            float(stats.norm.ppf(1 - alpha / 2))
        stat = est / s
        p = 2 * (stats.t.sf(abs(stat), dfree) if se == "ols" else stats.norm.sf(abs(stat)))
        return {"term": term, "estimate": est, "std_error": s, "ci_low": est - crit * s,
                "ci_high": est + crit * s, "ci_level": ci_level, "statistic": stat,
                "p_value": float(p), "ci_method": "t" if se == "ols" else "normal"}

    z_ab = ab / se_ab if se_ab > 0 else math.nan
    rows = [
        t_row("a", a, se_a, df_m), t_row("b", b, se_b, df_y), t_row("direct", cp, se_cp, df_y),
        {"term": "indirect", "estimate": ab, "std_error": se_ab, "ci_low": ab_ci[0],
         "ci_high": ab_ci[1], "ci_level": ci_level, "statistic": z_ab,
         "p_value": float(2 * stats.norm.sf(abs(z_ab))), "ci_method": method,
         "simulation_se": boot_se},
        t_row("total", c, se_c, df_m),
        {"term": "proportion_mediated", "estimate": prop, "ci_low": prop_ci[0],
         "ci_high": prop_ci[1], "ci_level": ci_level,
         "ci_method": "bootstrap" if method == "bootstrap" else "none"},
    ]
    rt = float(np.corrcoef(e1, e3)[0, 1])
    sd_ratio = math.sqrt(float(e3 @ e3) / float(e1 @ e1))
    return MediationResult(
        table=tidy_frame(rows), treatment=treatment, mediator=mediator, outcome=outcome,
        method=method, n=n, n_clusters=n_clusters, n_dropped=miss.n_dropped, se=se,
        residual_corr=rt, sd_ratio=sd_ratio, n_sims=int(n_sims), covariates=tuple(covariates))
