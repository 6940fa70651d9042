"""Translate a hazard ratio for voluntary exit into exits avoided and replacement cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validate import check_positive, check_probability
from ..results import Result, new_axes, tidy_frame

if TYPE_CHECKING:  # _cox imports this module for CoxResult.turnover_cost
    from ._cox import CoxResult


def _positive(name: str, value: float, allow_zero: bool = False) -> float:
    return check_positive(value, name, allow_zero=allow_zero)


@dataclass(frozen=True)
class TurnoverCostResult(Result):
    """Expected exits avoided and replacement cost avoided, with the HR interval carried over.

    ``to_frame()`` rows: ``risk_without`` and ``risk_with`` (probability of voluntary exit by
    the horizon), ``exits_avoided``, ``cost_avoided`` and, when a programme cost was given,
    ``net_benefit``. ``ci_low``/``ci_high`` come from the ends of the hazard-ratio interval
    (the baseline risk is taken as known).

    Parameters
    ----------
    term : str
        The model term whose hazard ratio is used.
    hazard_ratio, hr_ci_low, hr_ci_high : float
        Hazard ratio of the programme on exit and its interval.
    ci_level : float
        Level of that interval.
    baseline_risk : float
        Probability of exit by the horizon without the programme.
    baseline_source : str
        Where it comes from (given, or the Cox baseline at a horizon).
    horizon : float or None
        Time horizon of the baseline risk.
    n_employees : float
        Employees the programme covers.
    salary : float
        Mean salary.
    replacement_cost_share : float
        Replacement cost as a share of salary.
    program_cost : float or None
        Cost of the programme (gives ``net_benefit``).

    Examples
    --------
    >>> import coachstats as cs
    >>> res = cs.survival.turnover_cost({"hazard_ratio": 0.7, "ci_low": 0.5, "ci_high": 0.98},
    ...                                 salary=90_000, replacement_cost_share=0.5,
    ...                                 n_employees=200, baseline_risk=0.30)
    >>> res.baseline_source
    'given'
    """

    term: str
    hazard_ratio: float
    hr_ci_low: float
    hr_ci_high: float
    ci_level: float
    baseline_risk: float
    baseline_source: str
    horizon: float | None
    n_employees: float
    salary: float
    replacement_cost_share: float
    program_cost: float | None

    @property
    def title(self) -> str:
        h = f" (horizon {self.horizon:g})" if self.horizon is not None else ""
        return f"Turnover cost avoided{h}"

    def _at(self, hr: float) -> dict[str, float]:
        p0 = self.baseline_risk
        p1 = 1.0 - (1.0 - p0) ** hr
        exits = self.n_employees * (p0 - p1)
        cost = exits * self.salary * self.replacement_cost_share
        out = {"risk_with": p1, "exits_avoided": exits, "cost_avoided": cost}
        if self.program_cost is not None:
            out["net_benefit"] = cost - self.program_cost
        return out

    def to_frame(self) -> pd.DataFrame:
        mid = self._at(self.hazard_ratio)
        # a lower HR means more exits avoided: the HR's upper end gives the lower end
        lo, hi = self._at(self.hr_ci_high), self._at(self.hr_ci_low)
        rows = [{"term": "risk_without", "estimate": self.baseline_risk,
                 "ci_level": self.ci_level}]
        for k in mid:
            a, b = lo[k], hi[k]
            rows.append({"term": k, "estimate": mid[k], "ci_low": min(a, b),
                         "ci_high": max(a, b), "ci_level": self.ci_level})
        return tidy_frame(rows)

    @property
    def notes(self) -> list[str]:
        return [
            f"Hazard ratio for {self.term!r}: {self.hazard_ratio:.3f} "
            f"({self.ci_level:.0%} CI {self.hr_ci_low:.3f} to {self.hr_ci_high:.3f}); baseline "
            f"exit risk {self.baseline_risk:.3f} ({self.baseline_source}).",
            f"{self.n_employees:g} employees x salary {self.salary:,.0f} x replacement-cost "
            f"share {self.replacement_cost_share:g}; intervals carry only the HR uncertainty.",
        ]

    def assumptions(self) -> list[str]:
        return [
            "The hazard ratio is causal (randomised coaching, or confounding removed) and "
            "applies to the employees the programme will reach.",
            "Proportional hazards: with-coaching risk = 1 - (1 - baseline risk)^HR.",
            "The baseline risk is known exactly (its sampling error is not in the interval).",
            "Every avoided exit saves salary x replacement_cost_share once within the horizon; "
            "no later exit of the same person is counted.",
            "Competing events (e.g. promotion) are not changed by coaching, or are ignored: the "
            "risk is the cause-specific (net) exit risk.",
        ]

    def limitations(self) -> list[str]:
        return [
            "Replacement-cost shares vary widely by role (published estimates range from about "
            "0.2 to over 2 times annual salary); use your organisation's figure.",
        ]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Cost avoided across the hazard-ratio interval; returns the Axes.

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
        hrs = np.linspace(self.hr_ci_low, self.hr_ci_high, 50)
        cost = [self._at(h)["cost_avoided"] for h in hrs]
        ax.plot(hrs, cost, color="C0")
        ax.axvline(self.hazard_ratio, color="C1", ls="--", lw=1, label="estimate")
        ax.axhline(0, color="0.5", lw=1)
        ax.set_xlabel(f"hazard ratio ({self.ci_level:.0%} CI range)")
        ax.set_ylabel("replacement cost avoided")
        ax.legend(frameon=False)
        return ax


def _is_cox(obj: Any) -> bool:
    """A fitted Cox model (duck-typed so that this module need not import ``_cox``)."""
    return callable(getattr(obj, "baseline_risk", None)) and hasattr(obj, "coef")


def turnover_cost(
    hazard_ratio_result: CoxResult | Mapping[str, float],
    salary: float,
    replacement_cost_share: float,
    *,
    n_employees: float,
    baseline_risk: float | None = None,
    horizon: float | None = None,
    term: str | None = None,
    program_cost: float | None = None,
) -> TurnoverCostResult:
    """Expected voluntary exits avoided, and their replacement cost, implied by a hazard ratio.

    Parameters
    ----------
    hazard_ratio_result : CoxResult or mapping
        A fitted :func:`cox` model of time to voluntary exit, or a mapping with keys
        ``hazard_ratio, ci_low, ci_high`` (and optionally ``ci_level``) on the ratio scale.
    salary : float
        Annual salary of the employees reached (one figure, the organisation's currency).
    replacement_cost_share : float
        Cost of replacing one leaver as a share of salary (recruiting, vacancy, ramp-up);
        published estimates range from about 0.2 to over 2 depending on the role.
    n_employees : float
        Number of employees the programme reaches (coached).
    baseline_risk : float, optional
        Probability of voluntary exit within the horizon without coaching. Default: from the
        Cox fit's baseline hazard at covariates = 0 (the uncoached) at ``horizon``.
    horizon : float, optional
        Time horizon for the baseline risk (needed when ``baseline_risk`` is None).
    term : str, optional
        The coaching term of the Cox model (default: its first term).
    program_cost : float, optional
        Total programme cost, to report ``net_benefit``.

    Returns
    -------
    TurnoverCostResult

    Notes
    -----
    Under proportional hazards the exit risk with coaching is ``1 - (1 - p0)**HR`` for a
    baseline risk ``p0``; exits avoided ``= n (p0 - p1)``; cost avoided ``= exits x salary x
    share``. The interval is the same calculation at the ends of the HR interval. The named
    assumptions are in ``result.assumptions()``.

    Examples
    --------
    >>> res = turnover_cost({"hazard_ratio": 0.7, "ci_low": 0.5, "ci_high": 0.98},
    ...                     salary=90_000, replacement_cost_share=0.5, n_employees=200,
    ...                     baseline_risk=0.30)
    >>> round(float(res.to_frame().set_index("term").loc["exits_avoided", "estimate"]), 2)
    15.81
    """
    salary = _positive("salary", salary)
    share = _positive("replacement_cost_share", replacement_cost_share)
    n = _positive("n_employees", n_employees)
    if program_cost is not None:
        program_cost = _positive("program_cost", program_cost, allow_zero=True)
    if _is_cox(hazard_ratio_result):
        f = hazard_ratio_result.to_frame().set_index("term")
        if term is None:
            term = str(f.index[0])
        if term not in f.index:
            raise ValueError(f"term={term!r} is not in the Cox model; choose from {list(f.index)}.")
        hr, lo, hi = (float(f.loc[term, c]) for c in ("hazard_ratio", "hr_ci_low", "hr_ci_high"))
        lvl = float(f.loc[term, "ci_level"])
    elif isinstance(hazard_ratio_result, Mapping):
        missing = {"hazard_ratio", "ci_low", "ci_high"} - set(hazard_ratio_result)
        if missing:
            raise ValueError(
                f"hazard_ratio_result: the mapping needs keys hazard_ratio, ci_low, ci_high; "
                f"missing {sorted(missing)}."
            )
        hr, lo, hi = (_positive(f"hazard_ratio_result[{k!r}]", hazard_ratio_result[k])
                      for k in ("hazard_ratio", "ci_low", "ci_high"))
        lvl = float(hazard_ratio_result.get("ci_level", 0.95))
        term = term or "hazard_ratio"
        if not lo <= hr <= hi:
            raise ValueError(
                f"hazard_ratio_result: need ci_low <= hazard_ratio <= ci_high, got {lo}, {hr}, "
                f"{hi}."
            )
    else:
        raise TypeError(
            "hazard_ratio_result: expected a CoxResult from survival.cox or a mapping with "
            f"hazard_ratio, ci_low, ci_high; got {type(hazard_ratio_result).__name__}."
        )
    if baseline_risk is None:
        if not _is_cox(hazard_ratio_result) or horizon is None:
            raise ValueError(
                "baseline_risk: give the exit probability within the horizon without "
                "coaching, or pass a CoxResult together with horizon= to take it from the fit."
            )
        horizon = _positive("horizon", horizon)
        p0 = hazard_ratio_result.baseline_risk(horizon)
        source = f"Cox baseline at covariates = 0, horizon {horizon:g}"
    else:
        p0 = check_probability(baseline_risk, "baseline_risk")
        source = "given"
    return TurnoverCostResult(
        term=str(term), hazard_ratio=hr, hr_ci_low=lo, hr_ci_high=hi, ci_level=lvl,
        baseline_risk=p0, baseline_source=source, horizon=horizon, n_employees=n,
        salary=salary, replacement_cost_share=share, program_cost=program_cost,
    )
