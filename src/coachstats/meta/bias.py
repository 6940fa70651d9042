"""Small-study effects and publication bias: Egger's regression test, trim and fill, PET-PEESE.

None of these proves or rules out publication bias: they detect funnel-plot asymmetry,
which heterogeneity, chance and genuine small-study differences also produce.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_attribute
from .._validate import check_choice, check_probability
from ..results import Result, tidy_frame
from . import _core
from .correlations import MetaResult, _result

__all__ = [
    "EggerResult",
    "PetPeeseResult",
    "TrimFillResult",
    "egger_test",
    "pet_peese",
    "trim_and_fill",
]


def _require_intercept_only(res: MetaResult, what: str) -> None:
    if not isinstance(res, MetaResult):
        raise TypeError(f"{what}: expected the result of cs.meta.correlations, got "
                        f"{type(res).__name__}.")
    if res.has_moderators:
        raise ValueError(f"{what} applies to models without moderators; refit without "
                         "moderators= first.")


def _with_predictor(res: MetaResult, x: np.ndarray, name: str):
    sd = res.data
    X = np.column_stack([sd.X, x])
    return replace(sd, X=X, terms=(*sd.terms, name))


@dataclass(frozen=True)
class EggerResult(Result):
    """Regression test for funnel-plot asymmetry (Egger et al. 1997; metafor ``regtest``).

    ``statistic`` and ``p_value`` test the slope on the standard error; ``limit_estimate``
    is the intercept, the expected effect of an infinitely precise study.

    Parameters
    ----------
    statistic : float
        Test statistic of the slope (z, or t with ``ddf`` degrees of freedom).
    p_value : float
        Its two-sided p-value.
    ddf : float
        Degrees of freedom (NaN for a z test).
    slope : float
        Coefficient of the predictor.
    limit_estimate, limit_ci_low, limit_ci_high : float
        The intercept and its ``ci_level`` interval.
    ci_level : float
        Confidence level.
    model : str
        ``"rma"`` or ``"lm"``.
    predictor : str
        ``"sei"``, ``"vi"`` or ``"ninv"``.
    method : str
        Estimator of tau^2 of the fit.
    fit : MetaResult
        The meta-regression on the predictor.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=40, rho=0.2, selection=0.9, n_median=60, rng=3)
    >>> eg = cs.meta.egger_test(cs.meta.correlations(sim.data))
    >>> eg.predictor
    'sei'
    """

    statistic: float
    p_value: float
    ddf: float
    slope: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    ci_level: float
    model: str
    predictor: str
    method: str
    fit: MetaResult = field(repr=False, compare=False)
    pvalue = renamed_attribute("p_value", "pvalue")  # former name (FutureWarning)

    @property
    def title(self) -> str:
        return "Egger's regression test for funnel-plot asymmetry"

    @property
    def notes(self) -> list[str]:
        kind = (
            f"mixed-effects meta-regression ({self.method}) on the {self.predictor}"
            if self.model == "rma"
            else f"weighted least squares (classical Egger) on the {self.predictor}"
        )
        return [
            f"{kind}; a small p-value signals asymmetry, which publication bias, "
            "heterogeneity or genuine small-study effects can cause.",
        ]

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame(
            [
                {"term": f"slope_{self.predictor}", "estimate": self.slope,
                 "statistic": self.statistic, "p_value": self.p_value, "df": self.ddf},
                {"term": "limit_estimate", "estimate": self.limit_estimate,
                 "ci_low": self.limit_ci_low, "ci_high": self.limit_ci_high,
                 "ci_level": self.ci_level},
            ]
        )  # fmt: skip

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result and return the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :func:`coachstats.plotting.funnel.funnel_plot`, e.g. ``level``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        return self.fit.plot(ax=ax, kind="funnel", egger=self, **kwargs)


def egger_test(res: MetaResult, *, predictor: str = "sei", model: str = "rma") -> EggerResult:
    """Egger's regression test, as metafor's ``regtest``.

    Parameters
    ----------
    res : MetaResult
        An intercept-only model from :func:`correlations`.
    predictor : {"sei", "vi", "ninv"}
        Standard error (Egger), sampling variance, or 1/n.
    model : {"rma", "lm"}
        ``"rma"`` (metafor's default) adds the predictor to the random-effects model with
        the same tau^2 estimator and test; ``"lm"`` is the classical weighted regression
        with a multiplicative dispersion term (t-test, k - 2 df).

    Returns
    -------
    EggerResult
        The asymmetry test and the limit estimate (intercept).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=40, rho=0.2, selection=0.9, n_median=60, rng=3)
    >>> eg = cs.meta.egger_test(cs.meta.correlations(sim.data))
    >>> eg.p_value < 0.05
    True
    """
    _require_intercept_only(res, "egger_test")
    predictor = check_choice(predictor, "predictor", ("sei", "vi", "ninv"))
    model = check_choice(model, "model", ("rma", "lm"))
    if res.k < 3:
        raise ValueError(f"egger_test needs at least 3 studies, got {res.k}.")
    sd = res.data
    x = {"sei": np.sqrt(sd.vi), "vi": sd.vi, "ninv": 1.0 / sd.ni}[predictor]
    sd2 = _with_predictor(res, x, predictor)
    if model == "rma":
        fit = _result(sd2, res.method, res.test, res.ci_level, skip_r2=True)
    else:
        fit = _result(sd2, "FE", "knha", res.ci_level, skip_r2=True)
    c = fit.coefficients
    return EggerResult(
        statistic=float(c.loc[1, "statistic"]),
        p_value=float(c.loc[1, "p_value"]),
        ddf=fit.ddf,
        slope=float(c.loc[1, "estimate"]),
        limit_estimate=float(c.loc[0, "estimate"]),
        limit_ci_low=float(c.loc[0, "ci_low"]),
        limit_ci_high=float(c.loc[0, "ci_high"]),
        ci_level=res.ci_level,
        model=model,
        predictor=predictor,
        method=fit.method,
        fit=fit,
    )


@dataclass(frozen=True)
class TrimFillResult(Result):
    """Trim and fill (Duval & Tweedie 2000): ``k0`` studies imputed on ``side``.

    Parameters
    ----------
    k0 : int
        Estimated number of missing studies.
    se_k0 : float
        Its standard error.
    side : str
        Side on which studies were filled (``"left"`` or ``"right"``).
    estimator : str
        ``"L0"`` or ``"R0"``.
    original : MetaResult
        The model before filling.
    adjusted : MetaResult
        The model refitted with the filled studies.
    filled_yi, filled_vi : ndarray
        Effects and sampling variances of the filled studies.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=40, rho=0.2, selection=0.9, n_median=60, rng=3)
    >>> tf = cs.meta.trim_and_fill(cs.meta.correlations(sim.data))
    >>> len(tf.filled_yi) == tf.k0
    True
    """

    k0: int
    se_k0: float
    side: str
    estimator: str
    original: MetaResult = field(repr=False, compare=False)
    adjusted: MetaResult = field(repr=False, compare=False)
    filled_yi: np.ndarray = field(repr=False, compare=False)
    filled_vi: np.ndarray = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        return f"Trim and fill ({self.estimator}): {self.k0} studies imputed on the {self.side}"

    @property
    def notes(self) -> list[str]:
        return [
            "The adjusted estimate is a sensitivity analysis, not a corrected effect: trim "
            "and fill assumes asymmetry comes only from suppressed studies.",
        ]

    def to_frame(self, scale: str = "analysis") -> pd.DataFrame:
        a = self.original.to_frame(scale=scale).iloc[[0]].assign(term="original")
        b = self.adjusted.to_frame(scale=scale).iloc[[0]].assign(term="adjusted")
        out = pd.concat([a, b], ignore_index=True)
        out["k0"] = [0, self.k0]
        out["side"] = self.side
        return out

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result and return the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to :func:`coachstats.plotting.funnel.funnel_plot`, e.g. ``level``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        return self.adjusted.plot(ax=ax, kind="funnel", filled=self.k0, **kwargs)


def trim_and_fill(
    res: MetaResult,
    *,
    side: str | None = None,
    estimator: str = "L0",
    maxiter: int = 100,
) -> TrimFillResult:
    """Trim and fill, following metafor's ``trimfill``.

    The side is chosen, if not given, by the sign of Egger's slope (missing studies on the
    left when the slope is positive). Each trimming step refits the model with the same
    tau^2 estimator; the filled data are refitted with the estimator and test of ``res``.
    This differs from metafor, whose ``trimfill`` refits the filled data with its default
    Wald z-test whatever the test of the model: after ``test="knha"`` the adjusted
    interval here is the Knapp-Hartung one (the estimate and tau^2 are the same).

    Parameters
    ----------
    res : MetaResult
        Intercept-only model.
    side : {"left", "right"}, optional
    estimator : {"L0", "R0"}
    maxiter : int

    Returns
    -------
    TrimFillResult
        The estimated number of missing studies, the filled studies and the adjusted model.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=40, rho=0.2, selection=0.9, n_median=60, rng=3)
    >>> tf = cs.meta.trim_and_fill(cs.meta.correlations(sim.data))
    >>> tf.adjusted.k == tf.original.k + tf.k0
    True
    """
    _require_intercept_only(res, "trim_and_fill")
    estimator = check_choice(estimator, "estimator", ("L0", "R0"))
    if side is not None:
        side = check_choice(side, "side", ("left", "right"))
    sd = res.data
    yi0, vi0 = sd.yi, sd.vi
    if side is None:
        X = np.column_stack([np.ones_like(vi0), np.sqrt(vi0)])
        b = _core.fit(yi0, vi0, X, method=res.method).beta[0]
        side = "right" if b[1] < 0 else "left"
    sign = -1.0 if side == "right" else 1.0
    yi = sign * yi0
    order = np.argsort(yi, kind="stable")
    yi, vi = yi[order], vi0[order]
    k = len(yi)
    k0, k0_prev, it = 0, -1, 0
    se_k0 = np.nan
    beta = np.nan
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise ValueError(f"trim and fill did not converge in {maxiter} iterations.")
        beta = _core.fit(yi[: k - k0], vi[: k - k0], method=res.method).beta[0, 0]
        c = yi - beta
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(c), kind="stable")] = np.arange(1, k + 1)
        signed = np.sign(c) * ranks
        if estimator == "R0":
            neg = signed[signed < 0]
            k0f = (k - (np.max(-neg) if len(neg) else 0)) - 1
            se_k0 = np.sqrt(2 * max(0, k0f) + 2)
        else:
            sr = signed[signed > 0].sum()
            k0f = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0f**3 + 27 * k0f**2 + 17 * k0f
                      - 18 * k * k0f**2 - 18 * k * k0f + 6 * k**2 * k0f) / 24  # fmt: skip
            se_k0 = 4 * np.sqrt(var_sr) / (2 * k - 1) if var_sr > 0 else 0.0
        k0 = int(max(0, np.round(k0f)))
        se_k0 = max(0.0, float(se_k0))
    if k0 > 0:
        fill_y = sign * (2 * beta - yi[k - k0 :])
        fill_v = vi[k - k0 :]
        yf = np.concatenate([yi0, fill_y])
        vf = np.concatenate([vi0, fill_v])
        nf = np.concatenate([sd.ni, sd.ni[order][k - k0 :]])
        back = np.tanh(yf) if sd.measure == "z" else yf
        sdf = replace(
            sd, yi=yf, vi=vf, ri=back, ni=nf, X=np.ones((len(yf), 1)),
            given_labels=(*sd.labels, *(f"Filled {i + 1}" for i in range(k0))),
            frame=None, moderators=(), row_notes=None,
        )  # fmt: skip
        adjusted = _result(sdf, res.method, res.test, res.ci_level)
    else:
        fill_y = fill_v = np.array([])
        adjusted = res
    return TrimFillResult(
        k0=k0, se_k0=se_k0, side=side, estimator=estimator, original=res,
        adjusted=adjusted, filled_yi=fill_y, filled_vi=fill_v,
    )  # fmt: skip


@dataclass(frozen=True)
class PetPeeseResult(Result):
    """PET-PEESE (Stanley & Doucouliagos 2014): the effect of a study with SE -> 0.

    Parameters
    ----------
    pet : DataFrame
        PET: the weighted regression of effects on their standard errors.
    peese : DataFrame
        PEESE: the regression on the sampling variances.
    chosen : str
        ``"PET"`` or ``"PEESE"``: the model whose intercept is the estimate.
    alpha : float
        One-sided level of PET's test.
    measure : str
        Effect-size measure.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=40, rho=0.2, selection=0.9, n_median=60, rng=3)
    >>> pp = cs.meta.pet_peese(cs.meta.correlations(sim.data))
    >>> pp.alpha
    0.05
    """

    pet: pd.DataFrame
    peese: pd.DataFrame
    chosen: str
    alpha: float
    measure: str

    @property
    def estimate(self) -> float:
        return float((self.pet if self.chosen == "PET" else self.peese).loc[0, "estimate"])

    @property
    def title(self) -> str:
        return f"PET-PEESE (conditional estimate: {self.chosen})"

    @property
    def notes(self) -> list[str]:
        return [
            "Weighted least squares (weights 1/v, multiplicative dispersion) of the effect "
            "on its SE (PET) or variance (PEESE); the intercept estimates the effect of a "
            "perfectly precise study.",
            f"PEESE is used when PET's intercept differs from zero in the direction of the "
            f"effect at one-sided alpha = {self.alpha} (Stanley & Doucouliagos 2014).",
            "Both are biased under high heterogeneity and few studies; read them as a "
            "sensitivity analysis.",
        ]

    def to_frame(self, scale: str = "analysis") -> pd.DataFrame:
        scale = check_choice(scale, "scale", ("analysis", "r"))
        out = pd.concat([self.pet.iloc[[0]], self.peese.iloc[[0]]], ignore_index=True)
        out["term"] = ["pet", "peese"]
        out["chosen"] = [self.chosen == "PET", self.chosen == "PEESE"]
        if scale == "r" and self.measure == "z":
            for c in ("estimate", "ci_low", "ci_high"):
                out[c] = np.tanh(out[c])
            out["std_error"] = np.nan
        return out


def pet_peese(res: MetaResult, *, alpha: float = 0.05) -> PetPeeseResult:
    """PET-PEESE conditional estimator of the effect corrected for small-study effects.

    Parameters
    ----------
    res : MetaResult
        Intercept-only model.
    alpha : float
        One-sided level of PET's test of a non-zero effect that switches to PEESE.

    Returns
    -------
    PetPeeseResult
        Both meta-regressions and the estimate chosen by PET's test.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.meta_correlations(k=40, rho=0.2, selection=0.9, n_median=60, rng=3)
    >>> pp = cs.meta.pet_peese(cs.meta.correlations(sim.data))
    >>> pp.chosen in ("PET", "PEESE")
    True
    """
    _require_intercept_only(res, "pet_peese")
    check_probability(alpha, "alpha")
    if res.k < 3:
        raise ValueError(f"pet_peese needs at least 3 studies, got {res.k}.")
    sd = res.data
    pet = _result(_with_predictor(res, np.sqrt(sd.vi), "sei"), "FE", "knha", res.ci_level,
                  skip_r2=True).coefficients  # fmt: skip
    peese = _result(_with_predictor(res, sd.vi, "vi"), "FE", "knha", res.ci_level,
                    skip_r2=True).coefficients  # fmt: skip
    t = float(pet.loc[0, "statistic"])
    direction = np.sign(res.estimate) or 1.0
    p_one = float(stats.t.sf(direction * t, res.k - 2))
    chosen = "PEESE" if p_one < alpha else "PET"
    return PetPeeseResult(pet=pet, peese=peese, chosen=chosen, alpha=alpha, measure=sd.measure)
