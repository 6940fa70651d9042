"""The result every causal effect estimator returns (weighting, matching, AIPW)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..results import Caution, Result, new_axes, tidy_frame
from .balance import BalanceResult
from .propensity import PropensityResult
from .sensitivity import EValueResult, RobustnessValueResult, evalue, robustness_value


@dataclass(frozen=True)
class SensitivityResult(Result):
    """E-value (on the standardized-difference scale) and robustness value of an effect.

    Parameters
    ----------
    evalue : EValueResult
        E-value of the standardized effect.
    robustness : RobustnessValueResult
        Robustness value of the effect.
    outcome_sd : float
        SD used to standardize the effect.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.selection_into_coaching(rng=3)
    >>> res = cs.causal.weighting(sim.data, "coached", "performance",
    ...                           ["potential", "tenure", "prior_rating", "unit"])
    >>> res.sensitivity().evalue.kind
    'smd'
    """

    evalue: EValueResult
    robustness: RobustnessValueResult
    outcome_sd: float

    @property
    def title(self) -> str:
        return "Sensitivity to unmeasured confounding"

    @property
    def notes(self) -> list[str]:
        return [f"E-value from the effect in comparison-group SD units (SD {self.outcome_sd:.4g}); "
                "robustness value from the effect's z-statistic on n - k degrees of freedom "
                "(k = covariate parameters + 2), an approximation outside linear regression.",
                *self.evalue.notes[:2], *self.robustness.notes[:2]]

    def to_frame(self) -> pd.DataFrame:
        return pd.concat([self.evalue.to_frame(), self.robustness.to_frame()],
                         ignore_index=True)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Robustness-value contours (use ``.evalue.plot()`` for the E-value curve).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :meth:`RobustnessValueResult.plot`, e.g. ``lim``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        return self.robustness.plot(ax=ax, **kwargs)


@dataclass(frozen=True)
class CausalEffectResult(Result):
    """An adjusted treatment effect (ATT, ATE or ATO) with its balance and diagnostics.

    Parameters
    ----------
    estimand : str
        ``"ATT"``, ``"ATE"`` or ``"ATO"``.
    method : str
        The estimator (e.g. weighting, matching, AIPW).
    estimate, std_error, ci_low, ci_high : float
        The effect on the outcome scale, its standard error and ``ci_level`` interval.
    ci_level : float
        Confidence level.
    p_value : float
        Two-sided p-value.
    outcome, treatment : str
        The outcome and treatment columns.
    treated_level, reference_level : object
        The treated and the comparison level of ``treatment``.
    n_treated, n_comparison : int
        People in each group (after trimming or matching).
    ess_treated, ess_comparison : float
        Effective sample sizes of the weighted groups.
    outcome_sd : float
        SD of the outcome in the comparison group (used to standardize the effect).
    n_params : int
        Parameters of the propensity model (for the robustness value's degrees of freedom).
    balance : BalanceResult or None
        Covariate balance before and after adjustment.
    propensity : PropensityResult or None
        The fitted propensity model.
    weights : Series or None
        Weight of each row used (0 for trimmed or unmatched people).
    se_method : str
        How the standard error was obtained.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    n_trimmed : int
        People dropped by propensity trimming.
    n_unmatched : int
        Treated people left without a match.
    method_notes : tuple of str
        Estimator-specific notes.
    extra_cautions : tuple of Caution
        Estimator-specific cautions, added to ``cautions``.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.selection_into_coaching(rng=3)
    >>> res = cs.causal.weighting(sim.data, "coached", "performance",
    ...                           ["potential", "tenure", "prior_rating", "unit"])
    >>> res.estimand
    'ATT'
    """

    estimand: str
    method: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    p_value: float
    outcome: str
    treatment: str
    treated_level: Any
    reference_level: Any
    n_treated: int
    n_comparison: int
    ess_treated: float
    ess_comparison: float
    outcome_sd: float
    n_params: int
    balance: BalanceResult | None = field(default=None, repr=False)
    propensity: PropensityResult | None = field(default=None, repr=False)
    weights: pd.Series | None = field(default=None, repr=False)
    se_method: str = ""
    n_dropped: int = 0
    n_trimmed: int = 0
    n_unmatched: int = 0
    method_notes: tuple[str, ...] = ()
    extra_cautions: tuple[Caution, ...] = ()

    @property
    def title(self) -> str:
        return (f"{self.estimand} of {self.treatment} = {self.treated_level!r} on "
                f"{self.outcome} ({self.method})")

    @property
    def n(self) -> int:
        return self.n_treated + self.n_comparison

    @property
    def notes(self) -> list[str]:
        out = [f"Estimate = {self.treated_level} minus {self.reference_level} "
               f"({self.estimand}); {self.ci_level:.0%} interval: {self.se_method}.",
               *self.method_notes,
               f"Effective sample size: {self.ess_treated:.1f} treated, "
               f"{self.ess_comparison:.1f} comparison."]
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values dropped (dropna=True).")
        if self.n_trimmed:
            out.append(f"{self.n_trimmed} people outside the propensity range were trimmed.")
        out.extend(c.message for c in self.cautions)
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = list(self.extra_cautions)
        if self.balance is not None:
            out.extend(self.balance.cautions)
        if self.propensity is not None and not self.n_trimmed:
            # comparison people outside the treated range do not matter for the ATT, and
            # overlap weights give everyone outside common support a weight near zero
            out.extend(c for c in self.propensity.cautions
                       if not (c.code == "outside_support"
                               and (self.estimand == "ATO" or c.severity == "info")))
        for name, ess, n in (("treated", self.ess_treated, self.n_treated),
                             ("comparison", self.ess_comparison, self.n_comparison)):
            if n and ess < 0.5 * n:
                out.append(Caution("low_ess", f"The weights leave an effective sample of "
                                   f"{ess:.1f} of {n} {name} people (under half).", ess))
        return tuple(out)

    def assumptions(self) -> list[str]:
        return [
            "No unmeasured confounding: given the covariates, who was coached is unrelated "
            "to the outcome each person would have had (see sensitivity()).",
            "Overlap: every coached person had comparable people who were not coached.",
            "Covariates measured before coaching (not affected by it); one version of coaching "
            "and no spill-over between people (SUTVA).",
        ]

    def limitations(self) -> list[str]:
        return [
            "Balance on measured covariates says nothing about unmeasured ones (motivation, "
            "sponsor support); the E-value and robustness value say how strong such a "
            "factor would need to be.",
        ]

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame([{
            "term": self.estimand.lower(), "estimate": self.estimate,
            "std_error": self.std_error, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "ci_level": self.ci_level, "p_value": self.p_value, "method": self.method,
            "n_treated": self.n_treated, "n_comparison": self.n_comparison,
            "ess_treated": self.ess_treated, "ess_comparison": self.ess_comparison,
            "max_abs_smd": (self.balance.max_abs_smd if self.balance is not None else np.nan),
        }])

    def sensitivity(self, q: float = 1.0, alpha: float | None = 0.05) -> SensitivityResult:
        """E-value and robustness value of this estimate (how strong an unmeasured
        confounder would have to be to explain it away)."""
        d = self.estimate / self.outcome_sd
        ev = evalue(d, kind="smd", std_error=self.std_error / self.outcome_sd)
        dof = max(self.n - self.n_params, 2)
        rv = robustness_value(self.estimate / self.std_error, dof, q=q, alpha=alpha)
        return SensitivityResult(evalue=ev, robustness=rv, outcome_sd=self.outcome_sd)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Love plot of covariate balance before and after adjustment.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :meth:`BalanceResult.plot` (the Love plot of the balance after weighting
            or matching), e.g. ``absolute``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        if self.balance is None:
            ax = new_axes(ax)
            ax.errorbar([self.estimate], [0], xerr=[[self.estimate - self.ci_low],
                                                   [self.ci_high - self.estimate]], fmt="o")
            return ax
        return self.balance.plot(ax=ax, **kwargs)


def ess(w: np.ndarray) -> float:
    """Kish effective sample size ``(sum w)^2 / sum w^2``."""
    s = float(np.sum(w))
    return s * s / float(np.sum(w * w)) if s > 0 else 0.0
