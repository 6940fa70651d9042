"""How strong an unmeasured confounder would have to be to explain an effect away.

* E-value (VanderWeele & Ding 2017, Ann Intern Med 167:268): the minimum strength of
  association, on the risk-ratio scale, that an unmeasured confounder would need with both
  the treatment and the outcome to move the estimate (or its confidence limit) to the null.
  Odds and hazard ratios of common outcomes are first converted to approximate risk ratios
  (VanderWeele 2017/2020: ``sqrt(OR)``; ``(1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))``), and
  a standardized mean difference ``d`` with SE ``s`` to ``exp(0.91 d)`` with limits
  ``exp(0.91 d -/+ 1.78 s)`` (VanderWeele & Ding 2017, Table; Chinn 2000).
* Robustness value (Cinelli & Hazlett 2020, JRSS-B 82:39): the partial R-squared that a
  confounder would need with both treatment and outcome to reduce the estimate by
  ``100 q`` percent (``alpha`` given: to make it no longer significant at that level).
  ``RV = (sqrt(f^4 + 4 f^2) - f^2) / 2`` with ``f = q |t| / sqrt(dof)``, minus
  ``|t*_{alpha, dof-1}| / sqrt(dof - 1)`` when ``alpha`` is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import check_choice, check_number, check_positive, check_probability
from ..results import Result, new_axes, tidy_frame

KINDS = ("rr", "or", "hr", "smd")


def _to_rr(x: float, kind: str, rare: bool) -> float:
    if kind == "rr" or (rare and kind in ("or", "hr")):
        return x
    if kind == "or":
        return math.sqrt(x)
    if kind == "hr":
        return (1 - 0.5 ** math.sqrt(x)) / (1 - 0.5 ** math.sqrt(1 / x))
    return math.exp(0.91 * x)  # smd


def _e(rr: float) -> float:
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


@dataclass(frozen=True)
class EValueResult(Result):
    """E-values of a point estimate and of the confidence limit closer to the null.

    Parameters
    ----------
    estimate : float
        The estimate as given.
    kind : str
        ``"rr"``, ``"or"``, ``"hr"`` or ``"smd"``.
    rr : float
        The estimate on the risk-ratio scale.
    rr_limit : float or None
        The confidence limit closer to the null on the risk-ratio scale.
    evalue : float
        E-value of the estimate.
    evalue_ci : float or None
        E-value of the confidence limit (1 when the interval includes the null).
    rare : bool
        Whether odds and hazard ratios were taken as risk ratios (rare outcome).

    Examples
    --------
    >>> import coachstats as cs
    >>> r = cs.causal.evalue(3.9, 1.8, 8.7)
    >>> r.kind, round(r.rr, 1)
    ('rr', 3.9)
    """

    estimate: float
    kind: str
    rr: float
    rr_limit: float | None
    evalue: float
    evalue_ci: float | None
    rare: bool = False

    @property
    def title(self) -> str:
        return "E-value: strength of unmeasured confounding needed to explain the effect away"

    @property
    def notes(self) -> list[str]:
        conv = {"rr": "", "or": " (odds ratio converted with sqrt(OR))",
                "hr": " (hazard ratio converted with VanderWeele's common-outcome formula)",
                "smd": " (standardized difference converted with RR = exp(0.91 d))"}[self.kind]
        if self.rare and self.kind in ("or", "hr"):
            conv = " (rare outcome: the ratio used as a risk ratio)"
        out = [f"Risk ratio {self.rr:.3g}{conv}. An unmeasured confounder associated with both "
               f"the treatment and the outcome by a risk ratio of {self.evalue:.3g} each, above "
               "the measured covariates, could explain the estimate away; weaker could not."]
        if self.evalue_ci is not None:
            out.append(f"For the confidence limit closer to the null: {self.evalue_ci:.3g}"
                       + (" (the interval already includes the null)." if self.evalue_ci == 1
                          else "."))
        out.append("VanderWeele & Ding (2017), Ann Intern Med 167:268.")
        return out

    def to_frame(self) -> pd.DataFrame:
        rows = [{"term": "evalue_point", "estimate": self.evalue, "risk_ratio": self.rr}]
        if self.evalue_ci is not None:
            rows.append({"term": "evalue_ci", "estimate": self.evalue_ci,
                         "risk_ratio": self.rr_limit})
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Pairs of confounder-treatment and confounder-outcome risk ratios that would
        explain the point estimate (and the limit) away; the E-value is where they meet.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to matplotlib's ``Axes.plot`` for each E-value curve (e.g. ``lw``, ``alpha``).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        rr = 1 / self.rr if self.rr < 1 else self.rr
        top = max(2 * self.evalue, rr + 2)
        curves = [("point estimate", rr, self.evalue, "C0")]
        if self.evalue_ci is not None and self.evalue_ci > 1 and self.rr_limit is not None:
            lim = 1 / self.rr_limit if self.rr_limit < 1 else self.rr_limit
            curves.append(("confidence limit", lim, self.evalue_ci, "C1"))
        for name, target, ev, color in curves:
            a = np.linspace(target * 1.0001, top * 2, 400)
            b = target * (a - 1) / (a - target)
            ax.plot(a, b, color=color, label=f"{name}: E-value {ev:.2f}", **kwargs)
            ax.plot([ev], [ev], "o", color=color)
        ax.set_xlim(1, top)
        ax.set_ylim(1, top)
        ax.set_xlabel("confounder-treatment risk ratio")
        ax.set_ylabel("confounder-outcome risk ratio")
        ax.legend(frameon=False)
        return ax


def evalue(
    estimate: float,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    kind: str = "rr",
    std_error: float | None = None,
    rare: bool = False,
) -> EValueResult:
    """E-value of an estimate and of its confidence limit (VanderWeele & Ding 2017).

    Parameters
    ----------
    estimate : float
        A risk, odds or hazard ratio (``kind`` "rr", "or", "hr") or a standardized mean
        difference (``kind="smd"``).
    ci_low, ci_high : float, optional
        Confidence limits on the same scale (for "smd" give ``std_error`` instead).
    kind : {"rr", "or", "hr", "smd"}
    std_error : float, optional
        SE of a standardized difference (``kind="smd"``).
    rare : bool
        Outcome rarer than about 15%: odds and hazard ratios approximate risk ratios as they
        are (no conversion).

    Returns
    -------
    EValueResult
        The E-value of the estimate and of the confidence limit closer to the null.

    Examples
    --------
    >>> r = evalue(3.9, 1.8, 8.7)          # VanderWeele & Ding (2017), their example
    >>> round(r.evalue, 2), round(r.evalue_ci, 2)
    (7.26, 3.0)
    """
    kind = check_choice(kind, "kind", KINDS)
    for name, v in (("estimate", estimate), ("ci_low", ci_low), ("ci_high", ci_high),
                    ("std_error", std_error)):
        if v is not None:
            check_number(v, f"evalue: {name}")
    if kind != "smd":
        for name, v in (("estimate", estimate), ("ci_low", ci_low), ("ci_high", ci_high)):
            if v is not None:
                check_positive(v, f"evalue: {name} (a ratio)")
        if std_error is not None:
            raise ValueError("evalue: std_error is used only with kind='smd'; give ci_low/ci_high.")
    else:
        if ci_low is not None or ci_high is not None:
            raise ValueError("evalue: for kind='smd' give std_error= (the limits are derived "
                             "as exp(0.91 d -/+ 1.78 SE)).")
        if std_error is not None:
            check_positive(std_error, "evalue: std_error")
    if ci_low is not None and ci_high is not None and not ci_low <= estimate <= ci_high:
        raise ValueError(f"evalue: the estimate {estimate} is not inside [{ci_low}, {ci_high}].")
    rr = _to_rr(float(estimate), kind, rare)
    if kind == "smd" and std_error is not None:
        lo, hi = (math.exp(0.91 * estimate - 1.78 * std_error),
                  math.exp(0.91 * estimate + 1.78 * std_error))
    else:
        lo = None if ci_low is None else _to_rr(float(ci_low), kind, rare)
        hi = None if ci_high is None else _to_rr(float(ci_high), kind, rare)
    limit = lo if rr >= 1 else hi
    if limit is None:
        ev_ci = None
    elif (rr >= 1 and limit <= 1) or (rr < 1 and limit >= 1):
        ev_ci = 1.0
    else:
        ev_ci = _e(limit)
    return EValueResult(estimate=float(estimate), kind=kind, rr=rr, rr_limit=limit,
                        evalue=_e(rr), evalue_ci=ev_ci, rare=rare)


def _rv(f: float) -> float:
    if f <= 0:
        return 0.0
    return 0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2)


@dataclass(frozen=True)
class RobustnessValueResult(Result):
    """Robustness value of a regression-type estimate (Cinelli & Hazlett 2020).

    Parameters
    ----------
    t_statistic : float
        t-statistic of the estimate.
    dof : float
        Residual degrees of freedom.
    q : float
        Share of the estimate to explain away.
    alpha : float or None
        Significance level of ``rv_alpha``.
    rv : float
        Robustness value: the partial R-squared a confounder needs with both treatment and
        outcome to remove ``q`` of the estimate.
    rv_alpha : float or None
        The same for losing significance at ``alpha``.
    partial_r2 : float
        Partial R-squared of the treatment with the outcome.

    Examples
    --------
    >>> import coachstats as cs
    >>> r = cs.causal.robustness_value(4.18, 783, alpha=0.05)
    >>> round(r.partial_r2, 4)
    0.0218
    """

    t_statistic: float
    dof: float
    q: float
    alpha: float | None
    rv: float
    rv_alpha: float | None
    partial_r2: float

    @property
    def title(self) -> str:
        return "Robustness value: confounding needed to explain the effect away"

    @property
    def notes(self) -> list[str]:
        out = [f"A confounder explaining {100 * self.rv:.1f}% of the residual variance of both "
               f"the treatment and the outcome would reduce the estimate by "
               f"{100 * self.q:.0f}%; weaker confounding could not."]
        if self.rv_alpha is not None:
            out.append(f"To make it no longer significant at alpha = {self.alpha:g}: "
                       f"{100 * self.rv_alpha:.1f}%.")
        out.append(f"Partial R-squared of the treatment with the outcome: "
                   f"{100 * self.partial_r2:.1f}% (an extreme confounder explaining all the "
                   "outcome's residual variance would need this much with the treatment).")
        out.append("Cinelli & Hazlett (2020), JRSS-B 82:39.")
        return out

    def to_frame(self) -> pd.DataFrame:
        rows = [{"term": "rv", "estimate": self.rv, "q": self.q}]
        if self.rv_alpha is not None:
            rows.append({"term": "rv_alpha", "estimate": self.rv_alpha, "q": self.q,
                         "alpha": self.alpha})
        rows.append({"term": "partial_r2", "estimate": self.partial_r2})
        return tidy_frame(rows, extra=["q", "alpha"])

    def adjusted_t(self, r2dz: np.ndarray, r2yz: np.ndarray) -> np.ndarray:
        """t-statistic after adjusting for a confounder with these partial R-squared values."""
        t, df = abs(self.t_statistic), self.dof
        bias = np.sqrt(r2yz * r2dz / (1 - r2dz)) * math.sqrt(df)
        se = np.sqrt((1 - r2yz) / (1 - r2dz) * df / (df - 1))
        return (t - bias) / se

    def plot(self, ax: Any = None, *, lim: float | None = None, **kwargs: Any) -> Any:
        """Contours of the adjusted t-statistic over the confounder's partial R-squared with
        the treatment (x) and the outcome (y); the robustness value lies on the diagonal.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        lim : float, optional
            Upper limit of both partial R-squared axes; by default 2.5 times the robustness
            value, kept within [0.3, 0.95].
        **kwargs
            Passed to matplotlib's ``Axes.contour`` for the t-statistic contours.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        lim = lim or min(0.95, max(0.3, 2.5 * self.rv))
        g = np.linspace(0, lim, 201)
        X, Y = np.meshgrid(g, g)
        T = self.adjusted_t(X, Y)
        cs = ax.contour(X, Y, T, levels=8, colors="0.5", linewidths=0.8, **kwargs)
        ax.clabel(cs, fontsize=7, fmt="%.1f")
        ax.contour(X, Y, T, levels=[0.0], colors="C3", linewidths=1.5)
        if self.alpha is not None:
            crit = float(stats.t.ppf(1 - self.alpha / 2, self.dof - 1))
            ax.contour(X, Y, T, levels=[crit], colors="C1", linewidths=1.2, linestyles="--")
        ax.plot([self.rv], [self.rv], "o", color="C3", label=f"RV = {self.rv:.3f}")
        if self.rv_alpha is not None:
            ax.plot([self.rv_alpha], [self.rv_alpha], "s", color="C1",
                    label=f"RV (alpha {self.alpha:g}) = {self.rv_alpha:.3f}")
        ax.set_xlabel("partial R² of confounder with treatment")
        ax.set_ylabel("partial R² of confounder with outcome")
        ax.legend(frameon=False, loc="upper right")
        return ax


def robustness_value(
    t_statistic: float, dof: float, q: float = 1.0, alpha: float | None = None
) -> RobustnessValueResult:
    """Robustness value of an estimate with t-statistic ``t_statistic`` on ``dof`` residual
    degrees of freedom (Cinelli & Hazlett 2020).

    Parameters
    ----------
    t_statistic : float
        Estimate divided by its standard error.
    dof : float
        Residual degrees of freedom of the model (n minus the number of parameters).
    q : float
        Share of the estimate to explain away (1 = all of it).
    alpha : float, optional
        Also give the robustness value for losing significance at this level.

    Returns
    -------
    RobustnessValueResult
        The robustness value, the partial R-squared of the treatment and, with ``alpha``,
        the robustness value for significance.

    Examples
    --------
    >>> r = robustness_value(4.18, 783, alpha=0.05)   # Darfur example, Cinelli & Hazlett
    >>> round(r.rv, 3), round(r.rv_alpha, 3)
    (0.139, 0.076)
    """
    check_number(t_statistic, "robustness_value: t_statistic")
    check_number(dof, "robustness_value: dof", low=1, low_open=True)
    check_positive(q, "robustness_value: q")
    if alpha is not None:
        check_probability(alpha, "robustness_value: alpha")
    fq = q * abs(t_statistic) / math.sqrt(dof)
    rv_alpha = None
    if alpha is not None:
        fcrit = abs(float(stats.t.ppf(alpha / 2, dof - 1))) / math.sqrt(dof - 1)
        rv_alpha = _rv(fq - fcrit)
    return RobustnessValueResult(
        t_statistic=float(t_statistic), dof=float(dof), q=float(q), alpha=alpha, rv=_rv(fq),
        rv_alpha=rv_alpha, partial_r2=float(t_statistic**2 / (t_statistic**2 + dof)))
