"""Interrupted time series: segmented regression with a level and a slope change.

One series (e.g. an organisation's engagement survey mean per wave), the program starting at
``intervention``::

    y_t = b0 + b1 (t - t0) + b2 post_t + b3 (t - t0) post_t + e_t,   post_t = [t >= t0]

``b2`` (``level_change``) is the jump at ``t0`` and ``b3`` (``slope_change``) the change in
slope per unit of ``time``; ``effect_at=h`` adds ``b2 + b3 h``, the gap between the series
and its projected pre-program trend ``h`` time units after ``t0`` (Wagner et al. 2002).
Serial correlation is handled in one of three ways:

- AR(1) errors by restricted maximum likelihood (the default): GLS with the autocorrelation
  profiled, as R ``nlme::gls(y ~ X, correlation = corAR1(), method = "REML")``; t intervals
  on ``n - k - 1`` df;
- OLS with Newey-West (1987) HAC standard errors (Bartlett kernel, small-sample factor
  ``n / (n - k)``, t reference on ``n - k`` df): R ``lm`` +
  ``sandwich::NeweyWest(fit, lag, prewhite = FALSE, adjust = TRUE)``;
- ARMA(p, q) errors by exact maximum likelihood (statsmodels' state-space SARIMAX, polished
  to R's optimum; standard errors from a numerical Hessian, as R ``arima(y, order = c(p, 0,
  q), xreg = X, include.mean = FALSE)``, whose own numerical Hessian they match to within
  a few percent).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_attribute
from .._validate import check_choice, check_ci_level, prepare, require_unique_keys
from ..privacy import DEFAULT_MIN_GROUP_SIZE
from ..results import Caution, Result, new_axes, tidy_frame
from ._respondents import wave_means

__all__ = ["InterruptedTimeSeriesResult", "interrupted"]

_ERRORS = ("ar1", "hac", "arma", "ols")


def _ar1_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """REML regression with AR(1) errors (Prais-Winsten transform, phi profiled).

    The restricted likelihood (Harville 1974) removes most of the small-sample downward bias
    of the ML autocorrelation (Cheang & Reinsel 2000). Returns ``(beta, cov(beta), phi)``
    with ``cov = sigma2_reml (X*' X*)^-1``, as R ``nlme::gls(correlation = corAR1(),
    method = "REML")``.
    """
    from scipy.optimize import minimize_scalar

    n, k = x.shape

    def transform(phi: float) -> tuple[np.ndarray, np.ndarray]:
        r = math.sqrt(1 - phi * phi)
        xs = np.vstack([r * x[:1], x[1:] - phi * x[:-1]])
        ys = np.r_[r * y[0], y[1:] - phi * y[:-1]]
        return xs, ys

    def negll(phi: float) -> float:
        xs, ys = transform(phi)
        b = np.linalg.lstsq(xs, ys, rcond=None)[0]
        rss = float(np.sum((ys - xs @ b) ** 2))
        return (0.5 * (n - k) * math.log(rss / (n - k)) - 0.5 * math.log(1 - phi * phi)
                + 0.5 * float(np.linalg.slogdet(xs.T @ xs)[1]))

    opt = minimize_scalar(negll, bounds=(-0.999, 0.999), method="bounded",
                          options={"xatol": 1e-12, "maxiter": 500})
    phi = float(opt.x)
    xs, ys = transform(phi)
    inv = np.linalg.inv(xs.T @ xs)
    beta = inv @ xs.T @ ys
    sigma2 = float(np.sum((ys - xs @ beta) ** 2)) / (n - k)
    return beta, sigma2 * inv, phi
_NAMES = ("intercept", "pre_slope", "level_change", "slope_change")


@dataclass(frozen=True)
class InterruptedTimeSeriesResult(Result):
    """Level and slope change of a segmented regression, with projected-trend effects.

    ``to_frame()`` terms: ``level_change``, ``slope_change``, ``pre_slope``, ``intercept``
    (the pre-program trend's value at ``t0``) and ``effect_at_<h>`` for each horizon.

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table above.
    series : DataFrame
        ``time, observed, fitted, counterfactual``: the series and the projected pre-program
        trend.
    outcome, time : str
        Outcome and time columns.
    intervention : float
        Program start ``t0``.
    errors : str
        Error model: ``"ar1"``, ``"hac"``, ``"arma"`` or ``"ols"``.
    maxlags : int or None
        HAC lags (``errors="hac"``).
    arma_order : tuple of (int, int) or None
        ARMA order (``errors="arma"``).
    n_pre, n_post : int
        Periods before and from the program start.
    ar_phi : float or None
        Estimated AR(1) coefficient of the errors (``errors="ar1"``).
    residual_acf1 : float
        Lag-1 autocorrelation of the residuals.
    ljung_box_p_value : float
        Ljung-Box p-value of residual autocorrelation.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    min_respondents : int or None
        Fewest distinct respondents behind a wave mean (None when not checked: neither
        ``person=`` nor ``respondents=`` was given).
    min_group_size : int
        Threshold the waves were checked against.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_series(n_donors=0, factor_sd=0.0, rng=2)
    >>> res = cs.timeseries.interrupted(sim.data, "engagement", "wave", intervention=13)
    >>> res.errors, res.intervention
    ('ar1', 13.0)
    """

    table: pd.DataFrame = field(repr=False)
    series: pd.DataFrame = field(repr=False)  # time, observed, fitted, counterfactual
    outcome: str = "outcome"
    time: str = "time"
    intervention: float = 0.0
    errors: str = "hac"
    maxlags: int | None = None
    arma_order: tuple[int, int] | None = None
    n_pre: int = 0
    n_post: int = 0
    ar_phi: float | None = None
    residual_acf1: float = math.nan
    ljung_box_p_value: float = math.nan
    n_dropped: int = 0
    min_respondents: int | None = None
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    ljung_box_p = renamed_attribute("ljung_box_p_value", "ljung_box_p")  # former name

    @property
    def title(self) -> str:
        return f"Interrupted time series of {self.outcome} (program from {self.time} = " \
               f"{self.intervention:g})"

    @property
    def notes(self) -> list[str]:
        phi = f"{self.ar_phi:.2f}" if self.ar_phi is not None else "?"
        how = {"ar1": f"AR(1) errors (phi = {phi}) by restricted maximum "
                      "likelihood; t intervals on n - k - 1 df",
               "hac": f"Newey-West HAC standard errors (Bartlett, {self.maxlags} lag(s), "
                      "small-sample adjusted; t intervals)",
               "arma": f"ARMA{self.arma_order} errors, exact maximum likelihood (normal "
                       "intervals)",
               "ols": "classical OLS standard errors (independent errors assumed)"}[self.errors]
        out = [f"Segmented regression, {self.n_pre} pre and {self.n_post} post "
               f"observations; {how}.",
               f"Residual lag-1 autocorrelation {self.residual_acf1:.2f} (Ljung-Box p = "
               f"{self.ljung_box_p_value:.3f}, lags up to 4)."]
        if self.min_respondents is not None:
            out.append(f"Every wave mean rests on at least {self.min_respondents} distinct "
                       f"respondents (threshold {self.min_group_size}).")
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        return ["Without the program the pre-program linear trend would have continued "
                "(no other change at the same time: a new chairman, a reorganisation, a "
                "survey redesign).",
                "The series measures the same population the same way throughout.",
                "Errors are stationary" + (" ARMA" if self.errors == "arma" else
                                           ", with serial correlation absorbed by the HAC "
                                           "standard errors" if self.errors == "hac" else
                                           " and independent") + "."]

    def limitations(self) -> list[str]:
        return ["One organisation and no comparison group: any event that coincides with "
                "the program is part of the estimate. A comparison series (another division, "
                "a benchmark, a synthetic control) is the stronger design.",
                "Projecting a linear trend far beyond the data is an assumption, not a "
                "finding; effects far from t0 rest on it heavily."]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        if min(self.n_pre, self.n_post) < 8:
            out.append(Caution("short_segment",
                               f"Only {min(self.n_pre, self.n_post)} observations in the "
                               "shorter segment; Wagner et al. (2002) suggest at least 8 "
                               "before and after.", float(min(self.n_pre, self.n_post))))
        lb_p = self.ljung_box_p_value
        if self.errors == "ols" and np.isfinite(lb_p) and lb_p < 0.05:
            out.append(Caution("autocorrelated_residuals",
                               f"Residuals are serially correlated (Ljung-Box p = "
                               f"{self.ljung_box_p_value:.3f}); use errors='hac' or 'arma'.",
                               self.ljung_box_p_value))
        if self.min_respondents is None:
            out.append(Caution("respondents_unchecked",
                               "The number of respondents behind each wave mean was not "
                               "checked (give person= or respondents=).", math.nan))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Observed series, fitted segments and the projected pre-program trend.

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
        ax = new_axes(ax, figsize=(7.0, 4.0))
        s = self.series
        ax.plot(s["time"], s["observed"], "o", color="0.4", ms=4, label="observed")
        pre = s["time"] < self.intervention
        ax.plot(s.loc[pre, "time"], s.loc[pre, "fitted"], color="C0", label="fitted")
        ax.plot(s.loc[~pre, "time"], s.loc[~pre, "fitted"], color="C0")
        ax.plot(s.loc[~pre, "time"], s.loc[~pre, "counterfactual"], color="C0", ls="--",
                label="pre-program trend, projected")
        ax.axvline(self.intervention, color="C3", lw=1, ls=":")
        ax.set_xlabel(self.time)
        ax.set_ylabel(self.outcome)
        ax.legend(frameon=False, fontsize=8)
        ax.set_title(self.title, fontsize=10)
        return ax


def interrupted(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    *,
    intervention: float,
    errors: str = "ar1",
    maxlags: int | None = None,
    arma_order: Sequence[int] = (1, 0),
    effect_at: Sequence[float] = (),
    ci_level: float = 0.95,
    person: str | None = None,
    respondents: str | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    dropna: bool = False,
) -> InterruptedTimeSeriesResult:
    """Segmented regression of one series around a program start.

    Parameters
    ----------
    data : DataFrame
        One row per time point; never modified.
    outcome : str
        Numeric series (e.g. mean engagement per survey wave).
    time : str
        Numeric time (wave number, months since a date); one row per value.
    intervention : float
        First time value under the program (``t0``).
    errors : {"ar1", "hac", "arma", "ols"}
        AR(1) errors by REML (default; GLS with the autocorrelation profiled), Newey-West
        HAC standard errors on OLS, ARMA(p, q) errors by ML, or classical OLS. In short
        series HAC intervals are too narrow (see the recovery checks); prefer ``"ar1"``.
    maxlags : int, optional
        HAC lags; default ``floor(4 (n / 100)^(2/9))`` (Newey & West 1994), at least 1.
    arma_order : (p, q)
        ARMA order of the errors with ``errors="arma"``.
    effect_at : sequence of float
        Horizons ``h`` (time units after ``t0``) at which to report ``b2 + b3 h``.
    ci_level : float
        Level of the intervals.
    person : str, optional
        Respondent column when ``data`` holds one row per survey response: the wave means
        are computed here, and a wave answered by fewer than ``min_group_size`` distinct
        people is refused.
    respondents : str, optional
        For a series already aggregated (one row per wave): the column holding each wave's
        number of distinct respondents, checked against ``min_group_size``.
    min_group_size : int
        Fewest respondents a published wave mean may rest on (default 5, never below 3).
    dropna : bool
        Drop rows with a missing value (counted in ``n_dropped``) instead of raising.

    Returns
    -------
    InterruptedTimeSeriesResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_series(rng=1)
    >>> focal = sim.data[sim.data["unit"] == "focal"]
    >>> res = cs.timeseries.interrupted(focal, "engagement", "wave", intervention=13)
    >>> res.to_frame()["term"].tolist()[:2]
    ['level_change', 'slope_change']
    """
    ci_level = check_ci_level(ci_level)
    errors = check_choice(errors, "errors", _ERRORS)
    frame, miss = prepare(data, {"outcome": outcome, "time": time, "person": person,
                                 "respondents": respondents},
                          numeric=["outcome", "time", "respondents"], dropna=dropna)
    if person is None:
        require_unique_keys(frame, [time], hint="An interrupted time series has one value "
                            "per time point; average the rows of each wave first, or name "
                            "the respondent column with person= to have it done here.")
    frame, fewest = wave_means(frame, outcome, [time], person=person,
                               respondents=respondents, min_group_size=min_group_size)
    frame = frame.sort_values(time)
    t = frame[time].to_numpy(float)
    y = frame[outcome].to_numpy(float)
    if not (np.isfinite(t).all() and np.isfinite(y).all()):
        raise ValueError(f"columns {outcome!r} and {time!r} must be finite.")
    t0 = float(intervention)
    post = (t >= t0).astype(float)
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if n_pre < 3 or n_post < 3:
        raise ValueError(
            f"need at least 3 time points before and after intervention={t0:g} in column "
            f"{time!r}; found {n_pre} before and {n_post} after.")
    tc = t - t0
    x = np.column_stack([np.ones_like(t), tc, post, tc * post])
    n, k = x.shape
    alpha = 1 - ci_level
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import acorr_ljungbox

    lags = None
    order = None
    ar_phi = None
    if errors == "ar1":
        beta, cov, ar_phi = _ar1_fit(x, y)
        resid = y - x @ beta
        crit = float(stats.t.ppf(1 - alpha / 2, n - k - 1))
        dist = stats.t(n - k - 1)
    elif errors in ("hac", "ols"):
        if errors == "hac":
            lags = int(maxlags) if maxlags is not None else max(1, int(4 * (n / 100) ** (2 / 9)))
            if lags < 0:
                raise ValueError(f"maxlags must be >= 0, got {maxlags!r}.")
            fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags,
                                                             "use_correction": True},
                                   use_t=True)
        else:
            fit = sm.OLS(y, x).fit()
        beta, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
        resid = np.asarray(fit.resid)
        crit = float(stats.t.ppf(1 - alpha / 2, n - k))
        dist = stats.t(n - k)
    else:
        import warnings

        from statsmodels.tsa.statespace.sarimax import SARIMAX

        p, q = (int(v) for v in arma_order)
        if p < 0 or q < 0 or p + q == 0:
            raise ValueError(f"arma_order must be (p, q) with p, q >= 0 and p + q >= 1, got "
                             f"{tuple(arma_order)!r}.")
        order = (p, q)
        model = SARIMAX(y, exog=x, order=(p, 0, q), trend="n")
        with warnings.catch_warnings():
            # the optimiser is polished in three steps; intermediate non-convergence is expected
            warnings.simplefilter("ignore")
            fit = model.fit(method="lbfgs", maxiter=5000, pgtol=1e-12, factr=1.0, disp=False)
            fit = model.fit(start_params=fit.params, method="nm", maxiter=20000, xtol=1e-12,
                            ftol=1e-14, disp=False)
            fit = model.fit(start_params=fit.params, method="bfgs", maxiter=2000, gtol=1e-10,
                            disp=False, cov_type="approx")
        beta = np.asarray(fit.params)[:k]
        cov = np.asarray(fit.cov_params())[:k, :k]
        resid = y - x @ beta
        crit = float(stats.norm.ppf(1 - alpha / 2))
        dist = stats.norm()
    rows = []

    def add(term: str, vec: np.ndarray, extra: dict[str, Any] | None = None) -> None:
        est = float(vec @ beta)
        se = math.sqrt(float(vec @ cov @ vec))
        stat = est / se if se > 0 else math.nan
        rows.append({"term": term, "estimate": est, "std_error": se,
                     "ci_low": est - crit * se, "ci_high": est + crit * se,
                     "ci_level": ci_level, "statistic": stat,
                     "p_value": float(2 * dist.sf(abs(stat))), **(extra or {})})

    eye = np.eye(k)
    add("level_change", eye[2])
    add("slope_change", eye[3])
    add("pre_slope", eye[1])
    add("intercept", eye[0])
    for h in effect_at:
        add(f"effect_at_{float(h):g}", np.array([0.0, 0.0, 1.0, float(h)]), {"horizon": h})
    fitted = x @ beta
    counter = x[:, :2] @ beta[:2]
    series = pd.DataFrame({"time": t, "observed": y, "fitted": fitted,
                           "counterfactual": counter})
    acf1 = float(np.corrcoef(resid[:-1], resid[1:])[0, 1]) if n > 3 else math.nan
    lb = acorr_ljungbox(resid, lags=[min(4, n // 2)], return_df=True)
    return InterruptedTimeSeriesResult(
        table=tidy_frame(rows), series=series, outcome=outcome, time=time, intervention=t0,
        errors=errors, maxlags=lags, arma_order=order, ar_phi=ar_phi, n_pre=n_pre, n_post=n_post,
        residual_acf1=acf1, ljung_box_p_value=float(lb["lb_pvalue"].iloc[0]),
        n_dropped=miss.n_dropped, min_respondents=fewest, min_group_size=min_group_size)
