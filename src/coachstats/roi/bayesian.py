"""Bayesian ROI from participant-level data: a hurdle model with a robust heavy tail.

Model (per participant ``i``; costs in units of the mean fully loaded cost ``c``)
---------------------------------------------------------------------------------
::

    has_benefit_i       ~ Bernoulli(p)                          hurdle: point mass at zero
    log(B_i / c) | B_i>0 ~ Logistic(mu, s),  s in (0, 1)        log-logistic (Fisk) benefits
    attribution_i        ~ Beta(m_A, phi_A)   (mean, concentration), if B_i > 0
    confidence_i         ~ Beta(m_K, phi_K),                    if B_i > 0

The program's benefit-cost ratio is the expected adjusted benefit per participant over the
mean fully loaded cost::

    BCR = horizon_years * p * E[B | B>0] * m_A * m_K / c,   E[B | B>0] = c e^mu pi s / sin(pi s)
    ROI% = 100 (BCR - 1)

The log-logistic positive part has a power-law tail ``P(B > x) ~ x^(-1/s)``: a claim ten
times larger than the rest is plausible under it, so it is kept and down-weighted (the
logistic location score is bounded) rather than deleted; the mean is finite because
``s < 1``. Attribution and confidence are uncertain shares with Beta distributions; shares
of exactly 0 or 1 are compressed into (0, 1) for that column (Smithson & Verkuilen 2006,
``(x (n - 1) + 0.5) / n``) and the mean is transformed back exactly.

Default priors: ``p ~ Beta(1, 1)``; ``mu ~ Normal(0, 2)`` (median positive benefit between
about 1/50 and 50 times the cost per participant); ``s ~ Beta(2, 3)``; ``m_A, m_K ~
Beta(2, 2)``; ``phi_A, phi_K ~ Gamma(4, rate 0.25)``. Change them with :class:`RoiPrior`.

How the Phillips guiding principles (ROI Institute) map onto the model
----------------------------------------------------------------------
* *Use the most credible sources / isolate the effect of the program*: benefits enter
  through the participant's attribution share, modelled as an uncertain Beta share.
* *Adjust estimates for potential error*: the stated confidence multiplies the benefit,
  as in Phillips, and is itself an uncertain Beta share.
* *Select the most conservative alternative*: the same multiplicative adjustments as
  Phillips; the credible interval and ``prob_positive`` show how far below the point value
  the truth may be.
* *No data, no improvement*: participants reporting no monetary benefit are the hurdle's
  point mass at zero; with ``blank_benefit_as_zero=True`` nonrespondents count as zero as
  well (their costs are kept). The ``nonresponse`` sensitivity adds participants who never answered.
* *Avoid extreme data items and unsupported claims*: instead of deleting them, the
  heavy-tailed log-logistic likelihood accommodates them with bounded influence.
* *Only first-year benefits for short programs*: ``horizon_years=1`` by default; longer
  horizons are a sensitivity setting.
* *Fully load all costs*: ``cost`` must be fully loaded per participant (``extra_costs``
  adds program-level items); ``cost_loading`` in :meth:`BayesianRoiResult.sensitivity` shows
  what an incomplete cost base would do.
* *Intangibles are not converted to money*: only monetary benefits enter.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._deprecate import renamed_arguments
from .._progress import ProgressLike
from .._rng import RNGLike
from .._validate import check_ci_level
from ..results import Caution, Result, new_axes, tidy_frame
from ._inputs import from_missing, missing_mode, prepare_roi
from .phillips import PhillipsResult, phillips

__all__ = ["BayesianRoiResult", "RoiPrior", "SensitivityResult", "bayesian"]

MODEL_PARAMS = (
    "share_with_benefit",
    "log_median_ratio",
    "tail_shape",
    "attribution_mean",
    "attribution_concentration",
    "confidence_mean",
    "confidence_concentration",
)


@dataclass(frozen=True)
class RoiPrior:
    """Priors of :func:`bayesian` (see the module docstring for their roles).

    Parameters
    ----------
    share_with_benefit : (a, b)
        Beta prior on ``p``, the share of participants with a positive monetary benefit.
    log_median_ratio : (mean, sd)
        Normal prior on ``mu``, log of the median positive benefit over the mean cost.
    tail_shape : (a, b)
        Beta prior on the log-logistic shape ``s`` (tail index ``1/s``).
    share_mean : (a, b)
        Beta prior on the mean attribution and the mean confidence.
    share_concentration : (shape, rate)
        Gamma prior on the Beta concentrations of attribution and confidence.

    Examples
    --------
    >>> import coachstats as cs
    >>> prior = cs.roi.RoiPrior(share_with_benefit=(2.0, 2.0))
    >>> prior.share_with_benefit, prior.tail_shape
    ((2.0, 2.0), (2.0, 3.0))
    """

    share_with_benefit: tuple[float, float] = (1.0, 1.0)
    log_median_ratio: tuple[float, float] = (0.0, 2.0)
    tail_shape: tuple[float, float] = (2.0, 3.0)
    share_mean: tuple[float, float] = (2.0, 2.0)
    share_concentration: tuple[float, float] = (4.0, 0.25)

    def __post_init__(self) -> None:
        for name in ("share_with_benefit", "tail_shape", "share_mean", "share_concentration"):
            a, b = getattr(self, name)
            if not (a > 0 and b > 0):
                raise ValueError(f"RoiPrior.{name}: both parameters must be positive.")
        if not self.log_median_ratio[1] > 0:
            raise ValueError("RoiPrior.log_median_ratio: the sd must be positive.")

    def draw(self, rng: np.random.Generator) -> dict[str, float]:
        """One draw of every model parameter from the prior."""
        return {
            "share_with_benefit": rng.beta(*self.share_with_benefit),
            "log_median_ratio": rng.normal(*self.log_median_ratio),
            "tail_shape": rng.beta(*self.tail_shape),
            "attribution_mean": rng.beta(*self.share_mean),
            "attribution_concentration": rng.gamma(
                self.share_concentration[0], 1 / self.share_concentration[1]
            ),
            "confidence_mean": rng.beta(*self.share_mean),
            "confidence_concentration": rng.gamma(
                self.share_concentration[0], 1 / self.share_concentration[1]
            ),
        }


def _build(prior: RoiPrior, with_attr: bool, with_conf: bool) -> Any:
    def build(d: dict[str, np.ndarray]) -> Any:
        import pymc as pm

        with pm.Model() as m:
            n_total = pm.Data("n_total", d["n_total"])
            n_pos = pm.Data("n_pos", d["n_pos"])
            log_ratio = pm.Data("log_ratio", d["log_ratio"])
            p = pm.Beta("share_with_benefit", *prior.share_with_benefit)
            mu = pm.Normal("log_median_ratio", *prior.log_median_ratio)
            s = pm.Beta("tail_shape", *prior.tail_shape)
            pm.Binomial("n_pos_obs", n=n_total, p=p, observed=n_pos)
            pm.Logistic("log_ratio_obs", mu=mu, s=s, observed=log_ratio)
            for name, on in (("attribution", with_attr), ("confidence", with_conf)):
                if not on:
                    continue
                x = pm.Data(name, d[name])
                mean = pm.Beta(f"{name}_mean", *prior.share_mean)
                conc = pm.Gamma(
                    f"{name}_concentration",
                    alpha=prior.share_concentration[0],
                    beta=prior.share_concentration[1],
                )
                pm.Beta(f"{name}_obs", alpha=mean * conc, beta=(1 - mean) * conc, observed=x)
        return m

    return build


def compiled_roi_model(prior: RoiPrior, with_attr: bool = True, with_conf: bool = True) -> Any:
    """The cached, compiled hurdle model for this prior (compiled on first use)."""
    from ..bayes.compiled import cached_model

    example: dict[str, np.ndarray] = {
        "n_total": np.array(10, dtype=np.int64),
        "n_pos": np.array(5, dtype=np.int64),
        "log_ratio": np.zeros(5),
    }
    if with_attr:
        example["attribution"] = np.full(5, 0.5)
    if with_conf:
        example["confidence"] = np.full(5, 0.5)
    key = ("coachstats.roi.bayesian", prior, with_attr, with_conf)
    return cached_model(key, _build(prior, with_attr, with_conf), example)


def _squeeze(x: np.ndarray) -> tuple[np.ndarray, bool]:
    if x.size and (np.any(x <= 0) or np.any(x >= 1)):
        n = x.size
        return (x * (n - 1) + 0.5) / n, True
    return x, False


def _unsqueeze(m: np.ndarray, n: int, squeezed: bool) -> np.ndarray:
    if not squeezed:
        return m
    return np.clip((n * m - 0.5) / (n - 1), 0.0, 1.0)


def _mean_factor(s: np.ndarray) -> np.ndarray:
    return math.pi * s / np.sin(math.pi * s)


@dataclass(frozen=True)
class SensitivityResult(Result):
    """Tornado table: posterior ROI when one assumption at a time is moved to its bounds.

    Parameters
    ----------
    table : DataFrame
        One row per assumption and bound: the posterior ROI with it moved there.
    baseline_median : float
        Posterior median ROI with every assumption at its base value.
    baseline_prob_positive : float
        Posterior probability of a positive ROI at the base values.
    ci_level : float
        Probability of the credible intervals.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.roi_program(rng=1)
    >>> res = cs.roi.bayesian(sim.data, benefit="benefit", cost="cost",
    ...                       attribution="attribution", confidence="confidence",
    ...                       rng=1)                                    # doctest: +SKIP
    >>> tornado = res.sensitivity()                                     # doctest: +SKIP
    """

    table: pd.DataFrame = field(compare=False)
    baseline_median: float
    baseline_prob_positive: float
    ci_level: float

    central = "posterior median"

    @property
    def title(self) -> str:
        return "ROI sensitivity (one assumption at a time)"

    @property
    def notes(self) -> list[str]:
        pct = f"{100 * self.ci_level:g}%"
        return [
            f"Posterior median ROI and its {pct} equal-tailed credible interval at each setting; "
            f"baseline posterior median ROI {self.baseline_median:.0f}%, "
            f"P(ROI > 0) = {self.baseline_prob_positive:.2f}.",
            "attribution: mean attribution multiplied (capped at 1); horizon_years: years of "
            "annual benefit counted; cost_loading: costs multiplied; nonresponse: share of "
            "participants who never answered, counted as no benefit.",
        ]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Tornado: horizontal bars from the low to the high setting, widest on top.

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
        t = self.table
        piv = []
        for factor, g in t.groupby("factor", sort=False):
            lo = g.loc[g["bound"] == "low"].iloc[0]
            hi = g.loc[g["bound"] == "high"].iloc[0]
            piv.append((factor, lo, hi, abs(hi["estimate"] - lo["estimate"])))
        piv.sort(key=lambda r: r[3])
        base = self.baseline_median
        for i, (_factor, lo, hi, _) in enumerate(piv):
            for row, color in ((lo, "C0"), (hi, "C1")):
                ax.barh(i, row["estimate"] - base, left=base, color=color, alpha=0.8)
                ax.text(
                    row["estimate"], i, f" {row['setting']:g} ", va="center",
                    ha="left" if row["estimate"] >= base else "right", fontsize=8,
                )
        ax.axvline(base, color="k", lw=1)
        ax.axvline(0, color="C3", ls="--", lw=1, label="break-even (ROI 0%)")
        names = {"attribution": "attribution share", "horizon_years": "years of benefit",
                 "cost_loading": "cost loading", "nonresponse": "never answered"}
        ax.set_yticks(range(len(piv)), [names.get(p[0], p[0]) for p in piv])
        ax.set_xlabel("posterior median ROI (%)")
        ax.set_title("Sensitivity of ROI (blue: low setting, orange: high)")
        ax.legend(loc="lower right", fontsize=8)
        return ax


@dataclass(frozen=True)
class BayesianRoiResult(Result):
    """Posterior of the program's ROI and BCR, with the Phillips point values beside it.

    Parameters
    ----------
    table : DataFrame
        Posterior summaries (the ``to_frame()`` table).
    phillips : PhillipsResult
        The Phillips point calculation on the same data.
    diagnostics : Diagnostics
        Sampler diagnostics.
    ci_level : float
        Probability of the equal-tailed credible intervals.
    target_roi : float
        ROI (percent) whose posterior probability of being reached is reported.
    horizon_years : float
        Years of benefit counted.
    mean_cost : float
        Mean fully loaded cost per participant.
    n : int
        Participants.
    n_with_benefit : int
        Participants reporting a positive monetary benefit.
    prior : RoiPrior
        The priors used.
    squeezed : tuple of str
        Share columns whose values of exactly 0 or 1 were compressed into (0, 1).
    dependence : float
        Spearman correlation of benefit size with attribution x confidence (NaN when not
        computable).
    draws : dict of str to ndarray
        Posterior draws of the derived quantities (e.g. ``roi_pct``).
    idata : arviz.InferenceData or None
        The full posterior.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.roi_program(rng=1)
    >>> res = cs.roi.bayesian(sim.data, benefit="benefit", cost="cost",
    ...                       attribution="attribution", confidence="confidence",
    ...                       rng=1)                                    # doctest: +SKIP
    >>> res.phillips.n == res.n                                         # doctest: +SKIP
    True
    """

    table: pd.DataFrame = field(compare=False)
    phillips: PhillipsResult
    diagnostics: Any
    ci_level: float
    target_roi: float
    horizon_years: float
    mean_cost: float
    n: int
    n_with_benefit: int
    prior: RoiPrior
    squeezed: tuple[str, ...] = ()
    dependence: float = float("nan")
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    idata: Any = field(default=None, repr=False, compare=False)

    #: the central value of every posterior quantity: in ``estimate``, the plot, the
    #: sensitivity baseline and :attr:`break_even_attribution` (ROI's posterior is skewed)
    central = "posterior median"

    def posterior_draws(self, term: str) -> np.ndarray | None:
        """Posterior draws of ``term`` (a row of ``to_frame()``), or None."""
        x = self.draws.get(term)
        return None if x is None else np.asarray(x)

    @property
    def title(self) -> str:
        return "Bayesian ROI (hurdle log-logistic model)"

    @property
    def prob_positive(self) -> float:
        """P(ROI > 0 | data): the posterior probability that the program breaks even."""
        return self.prob_exceeds(0.0)

    def prob_exceeds(self, target: float) -> float:
        """P(ROI% > target | data), with ``target`` in percent (100 = benefits twice costs)."""
        return float(np.mean(self.draws["roi_pct"] > target))

    @property
    def prob_target(self) -> float:
        """P(ROI% > target_roi | data) for the ``target_roi`` given at fit time."""
        return self.prob_exceeds(self.target_roi)

    @property
    def break_even_attribution(self) -> float:
        """Mean attribution share at which ROI = 0 (posterior median); > 1: never breaks even."""
        return float(np.median(self.draws["break_even_attribution"]))

    @property
    def notes(self) -> list[str]:
        pct = f"{100 * self.ci_level:g}%"
        out = [
            f"Estimates are posterior medians (posterior means in the mean column); "
            f"intervals: {pct} equal-tailed credible intervals.",
            f"P(ROI > 0) = {self.prob_positive:.3f}"
            + (f"; P(ROI > {self.target_roi:g}%) = {self.prob_target:.3f}"
               if self.target_roi != 0 else "")
            + f". Phillips point ROI: {self.phillips.roi_pct:.0f}% "
            f"(BCR {self.phillips.bcr:.2f}).",
            f"Benefits counted for {self.horizon_years:g} year(s); costs fully loaded, mean "
            f"{self.mean_cost:,.0f} per participant (n = {self.n}, "
            f"{self.n_with_benefit} with a monetary benefit).",
        ]
        if self.squeezed:
            out.append(
                f"Shares of exactly 0 or 1 in {', '.join(self.squeezed)} were compressed into "
                "(0, 1) (Smithson & Verkuilen 2006); means are transformed back."
            )
        if np.isfinite(self.dependence) and abs(self.dependence) > 0.3:
            out.append(
                f"Benefit size and attribution x confidence are correlated (Spearman "
                f"{self.dependence:.2f}); the model assumes independence, so the Phillips "
                "figure is the safer point value."
            )
        hi = self._row("break_even_attribution", "ci_high")
        if np.isfinite(hi) and hi > 1:
            out.append(
                "Break-even attribution is the share of the benefit that must be due to "
                "coaching for ROI to reach 0%; it is not bounded by 100%. Its interval reaching "
                f"{100 * hi:.0f}% means that, in those posterior draws, the program would not "
                "break even even if all of the reported benefit were due to coaching."
            )
        if not self.diagnostics.ok:
            out.extend(self.diagnostics.problems)
        return out

    def _row(self, term: str, column: str) -> float:
        t = self.table
        v = t.loc[t["term"] == term, column]
        return float(v.iloc[0]) if len(v) and pd.notna(v.iloc[0]) else float("nan")

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """A break-even attribution whose interval exceeds 100% (see :attr:`notes`)."""
        out = []
        hi = self._row("break_even_attribution", "ci_high")
        if np.isfinite(hi) and hi > 1:
            out.append(Caution(
                "break_even_beyond_full_attribution",
                f"The program may not break even even if all of the benefit were due to "
                f"coaching: the {100 * self.ci_level:g}% interval of the attribution share "
                f"needed to break even reaches {100 * hi:.0f}%.",
                value=hi, severity="info",
            ))
        return tuple(out)

    def assumptions(self) -> list[str]:
        return [
            "Participants are a random sample of the program's population (or nonresponse is "
            "handled through dropna= / blank_benefit_as_zero= and the nonresponse sensitivity).",
            "Benefit size, attribution and confidence are independent across participants.",
            "Costs are fully loaded and known; benefits are annual and monetary.",
        ]

    def limitations(self) -> list[str]:
        return [
            "Benefits, attribution and confidence are self-reported estimates; the model "
            "quantifies sampling uncertainty, not reporting bias.",
        ]

    def to_frame(self) -> pd.DataFrame:
        """``term, estimate, std_error, ci_low, ci_high, ci_level, median, ...``."""
        return self.table.copy()

    def sensitivity(
        self,
        *,
        attribution: tuple[float, float] = (0.75, 1.25),
        horizon_years: tuple[float, float] = (0.5, 2.0),
        cost_loading: tuple[float, float] = (0.8, 1.5),
        nonresponse: tuple[float, float] = (0.0, 0.3),
    ) -> SensitivityResult:
        """Move one assumption at a time to a low and a high setting (a tornado).

        ROI is a product of the model's parts, so each setting rescales the posterior draws
        exactly; nothing is refitted.

        Parameters
        ----------
        attribution : (low, high)
            Multipliers of the mean attribution share (capped at 1).
        horizon_years : (low, high)
            Years of annual benefit counted.
        cost_loading : (low, high)
            Multipliers of the costs (e.g. 1.5 if only fees were recorded).
        nonresponse : (low, high)
            Share of the program's participants who never answered, counted as no benefit.
        """
        for name, pair in (
            ("attribution", attribution),
            ("horizon_years", horizon_years),
            ("cost_loading", cost_loading),
        ):
            if len(pair) != 2 or min(pair) <= 0:
                raise ValueError(f"{name}: give two positive settings (low, high), got {pair}.")
        if len(nonresponse) != 2 or not all(0 <= v < 1 for v in nonresponse):
            raise ValueError(f"nonresponse: give two shares in [0, 1), got {nonresponse}.")
        d = self.draws
        base = d["bcr"]
        ea = d["attribution_mean_share"]
        a = (1 - self.ci_level) / 2
        rows = []
        settings = {
            "attribution": [(v, base * np.minimum(ea * v, 1.0) / ea) for v in attribution],
            "horizon_years": [(v, base * v / self.horizon_years) for v in horizon_years],
            "cost_loading": [(v, base / v) for v in cost_loading],
            "nonresponse": [(v, base * (1 - v)) for v in nonresponse],
        }
        for factor, pairs in settings.items():
            for bound, (value, bcr) in zip(("low", "high"), pairs, strict=True):
                roi = 100 * (bcr - 1)
                rows.append(
                    {
                        "term": f"roi_pct[{factor}={value:g}]",
                        "estimate": float(np.median(roi)),
                        "ci_low": float(np.quantile(roi, a)),
                        "ci_high": float(np.quantile(roi, 1 - a)),
                        "ci_level": self.ci_level,
                        "factor": factor,
                        "bound": bound,
                        "setting": float(value),
                        "prob_positive": float(np.mean(roi > 0)),
                        "ci_kind": "equal-tailed",
                    }
                )
        table = tidy_frame(rows)
        return SensitivityResult(
            table=table,
            baseline_median=float(np.median(d["roi_pct"])),
            baseline_prob_positive=self.prob_positive,
            ci_level=self.ci_level,
        )

    def plot(self, ax: Any = None, *, bins: int = 60, **kwargs: Any) -> Any:
        """Posterior of ROI% with its credible interval and the Phillips point value.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        bins : int, default 60
            Number of histogram bins of the ROI% draws.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        r = self.draws["roi_pct"]
        lo_v, hi_v = np.quantile(r, [0.005, 0.995])
        a = (1 - self.ci_level) / 2
        ci = np.quantile(r, [a, 1 - a])
        ax.hist(r[(r >= lo_v) & (r <= hi_v)], bins=bins, color="C0", alpha=0.6, density=True)
        ax.axvspan(
            ci[0], ci[1], color="C0", alpha=0.12,
            label=f"{100 * self.ci_level:g}% equal-tailed credible interval",
        )
        ax.axvline(float(np.median(r)), color="C0", lw=2, label="posterior median")
        ax.axvline(self.phillips.roi_pct, color="k", ls="-.", lw=1.5, label="Phillips point ROI")
        ax.axvline(0, color="C3", ls="--", lw=1, label="break-even (ROI 0%)")
        ax.set_xlabel("ROI (%) = (benefits - costs) / costs x 100")
        ax.set_ylabel("posterior density")
        ax.set_title(f"P(ROI > 0) = {self.prob_positive:.2f}")
        ax.legend(fontsize=8)
        return ax


def fit_arrays(
    *,
    n_total: int,
    log_ratio: np.ndarray,
    attribution: np.ndarray | None,
    confidence: np.ndarray | None,
    prior: RoiPrior,
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    rng: RNGLike,
    progress: ProgressLike = False,
) -> Any:
    """Fit the compiled hurdle model to prepared arrays (used by ``bayesian`` and SBC)."""
    cm = compiled_roi_model(prior, attribution is not None, confidence is not None)
    data: dict[str, np.ndarray] = {
        "n_total": np.array(n_total, dtype=np.int64),
        "n_pos": np.array(log_ratio.size, dtype=np.int64),
        "log_ratio": np.asarray(log_ratio, dtype=float),
    }
    if attribution is not None:
        data["attribution"] = np.asarray(attribution, dtype=float)
    if confidence is not None:
        data["confidence"] = np.asarray(confidence, dtype=float)
    return cm.fit(
        data, draws=draws, tune=tune, chains=chains, target_accept=target_accept, rng=rng,
        progress=progress,
    )


@renamed_arguments(missing=("dropna", from_missing))
def bayesian(
    data: pd.DataFrame,
    *,
    benefit: str,
    cost: str,
    attribution: str | None = None,
    confidence: str | None = None,
    horizon_years: float = 1.0,
    extra_costs: float = 0.0,
    target_roi: float = 0.0,
    prior: RoiPrior | None = None,
    ci_level: float = 0.95,
    dropna: bool = False,
    blank_benefit_as_zero: bool = False,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.9,
    rng: RNGLike = None,
    progress: ProgressLike = False,
) -> BayesianRoiResult:
    """Posterior of a coaching program's ROI from participant-level Phillips data.

    See the module docstring for the model, its priors and how each Phillips guiding
    principle maps onto it. The compiled model is cached per prior, so repeated fits (new
    data, validation) reuse it.

    Parameters
    ----------
    data : DataFrame
        One row per participant (never modified).
    benefit : str
        Annual monetary benefit the participant reports (0 = no monetary benefit).
    cost : str
        Fully loaded cost per participant (>= 0).
    attribution, confidence : str, optional
        Shares in [0, 1] (percentages 0-100 are detected and refused). Only needed where
        the benefit is positive.
    horizon_years : float
        Years of annual benefit counted (Phillips: 1 for short programs).
    extra_costs : float
        Program-level costs not in the per-participant column; spread over participants.
    target_roi : float
        ROI in percent whose exceedance probability is reported (``prob_target``).
    prior : RoiPrior, optional
    ci_level : float
        Probability of the equal-tailed credible intervals (named in every table and plot).
    dropna : bool
        Leave out participants with a missing answer or cost (the result reports how
        many). Default False: a missing value raises an error naming the rows.
    blank_benefit_as_zero : bool
        Count a participant whose benefit, attribution or confidence is blank as having no
        monetary benefit, keeping their cost (Phillips guiding principle 6: no data, no
        improvement; the conservative choice). The result reports how many.
    draws, tune, chains, target_accept : sampler settings (nutpie NUTS)
    rng : int, Generator or None
    progress : bool or Progress
        Show a bar of the MCMC draws on standard error (``True``, e.g. in a notebook); a
        :class:`coachstats._progress.Progress` adds it to that display.

    Returns
    -------
    BayesianRoiResult
        ``to_frame()`` rows ``roi_pct, bcr, prob_roi_positive, share_with_benefit,
        median_positive_benefit, mean_positive_benefit, mean_attribution, mean_confidence,
        adjusted_benefit_per_participant, break_even_attribution, tail_shape``.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.roi_program(rng=1)
    >>> res = cs.roi.bayesian(sim.data, benefit="benefit", cost="cost",
    ...                       attribution="attribution", confidence="confidence", rng=1)
    >>> 0 <= res.prob_positive <= 1                                     # doctest: +SKIP
    True
    """
    from ..bayes import diagnose

    ci_level = check_ci_level(ci_level)
    prior = RoiPrior() if prior is None else prior
    if not isinstance(prior, RoiPrior):
        raise TypeError(f"prior: expected a RoiPrior, got {type(prior).__name__}.")
    if not np.isfinite(target_roi):
        raise ValueError(f"target_roi must be a finite ROI in percent, got {target_roi!r}.")
    missing = missing_mode(dropna, blank_benefit_as_zero)
    ph = phillips(
        data, benefit=benefit, cost=cost, attribution=attribution, confidence=confidence,
        horizon_years=horizon_years, extra_costs=extra_costs, dropna=dropna,
        blank_benefit_as_zero=blank_benefit_as_zero,
    )
    x = prepare_roi(
        data, benefit=benefit, cost=cost, attribution=attribution, confidence=confidence,
        missing=missing,
    )
    n = x.benefit.size
    pos = x.benefit > 0
    if pos.sum() < 3:
        raise ValueError(
            f"Column {benefit!r} (argument benefit=): only {int(pos.sum())} participant(s) "
            "report a positive benefit; at least 3 are needed to estimate the benefit "
            "distribution."
        )
    cbar = (float(np.sum(x.cost)) + extra_costs) / n
    log_ratio = np.log(x.benefit[pos] / cbar)
    shares: dict[str, tuple[np.ndarray, bool] | None] = {}
    for name, arr in (("attribution", x.attribution), ("confidence", x.confidence)):
        shares[name] = None if arr is None else _squeeze(arr[pos])
    idata = fit_arrays(
        n_total=n,
        log_ratio=log_ratio,
        attribution=None if shares["attribution"] is None else shares["attribution"][0],
        confidence=None if shares["confidence"] is None else shares["confidence"][0],
        prior=prior,
        draws=draws,
        tune=tune,
        chains=chains,
        target_accept=target_accept,
        rng=rng,
        progress=progress,
    )
    post = idata["posterior"]
    p = np.asarray(post["share_with_benefit"].values)
    mu = np.asarray(post["log_median_ratio"].values)
    s = np.asarray(post["tail_shape"].values)
    ones = np.ones_like(p)
    ea, ek = ones, ones
    squeezed = []
    n_pos = int(pos.sum())
    if shares["attribution"] is not None:
        sq = shares["attribution"][1]
        ea = _unsqueeze(np.asarray(post["attribution_mean"].values), n_pos, sq)
        if sq:
            squeezed.append("attribution")
    if shares["confidence"] is not None:
        sq = shares["confidence"][1]
        ek = _unsqueeze(np.asarray(post["confidence_mean"].values), n_pos, sq)
        if sq:
            squeezed.append("confidence")
    mean_pos = np.exp(mu) * _mean_factor(s)
    bcr = horizon_years * p * mean_pos * ea * ek
    derived = {
        "roi_pct": 100 * (bcr - 1),
        "bcr": bcr,
        "median_positive_benefit": np.exp(mu) * cbar,
        "mean_positive_benefit": mean_pos * cbar,
        "mean_attribution": ea,
        "mean_confidence": ek,
        "adjusted_benefit_per_participant": bcr * cbar,
        "break_even_attribution": ea / bcr,
    }
    import xarray as xr

    ds = post.to_dataset().assign(
        {k: (("chain", "draw"), v) for k, v in derived.items()}
    )
    idata["posterior"] = xr.DataTree(ds)

    from ..bayes import posterior_table

    model_vars = [v for v in MODEL_PARAMS if v in ds]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diag = diagnose(idata, [*model_vars, "roi_pct"], warn=False)
        order = [
            "roi_pct", "bcr", "share_with_benefit", "median_positive_benefit",
            "mean_positive_benefit", "mean_attribution", "mean_confidence",
            "adjusted_benefit_per_participant", "break_even_attribution", "tail_shape",
        ]
        table = posterior_table(idata, order, ci_level=ci_level)
    # one central value per quantity: the posterior median (ROI's posterior is skewed and
    # break-even attribution heavy-tailed); the mean is kept beside it
    table = table.rename(columns={"estimate": "mean"})
    table.insert(1, "estimate", table.pop("median"))
    prob = float(np.mean(derived["roi_pct"] > 0))
    prob_row = pd.DataFrame(
        [{"term": "prob_roi_positive", "estimate": prob, "ci_level": ci_level,
          "ci_kind": "posterior probability"}]
    )
    table = tidy_frame(
        pd.concat([table.iloc[:2], prob_row, table.iloc[2:]], ignore_index=True).to_dict(
            "records"
        )
    )
    if not diag.ok:
        from ..bayes import ConvergenceWarning

        warnings.warn(
            "Sampler diagnostics are poor: " + " ".join(diag.problems),
            ConvergenceWarning,
            stacklevel=2,
        )
    dep = float("nan")
    if x.attribution is not None or x.confidence is not None:
        from scipy.stats import spearmanr

        adj = np.ones(n_pos)
        for arr in (x.attribution, x.confidence):
            if arr is not None:
                adj = adj * arr[pos]
        if np.ptp(adj) > 0:
            dep = float(spearmanr(log_ratio, adj).statistic)
    flat = {k: np.asarray(v).reshape(-1) for k, v in derived.items()}
    flat["attribution_mean_share"] = np.asarray(ea).reshape(-1)
    return BayesianRoiResult(
        table=table,
        phillips=ph,
        diagnostics=diag,
        ci_level=ci_level,
        target_roi=float(target_roi),
        horizon_years=float(horizon_years),
        mean_cost=cbar,
        n=n,
        n_with_benefit=n_pos,
        prior=prior,
        squeezed=tuple(squeezed),
        dependence=dep,
        draws=flat,
        idata=idata,
    )
