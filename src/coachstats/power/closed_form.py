"""Closed-form minimum detectable effect size (MDES), power and sample size.

PowerUp!-compatible (Dong & Maynard 2013; R PowerUpR 1.1.0): the MDES is ``M * SSE`` with the
multiplier ``M = t(1 - alpha/2, df) + t(power, df)`` (Bloom 1995; one-tailed: ``t(1 - alpha)``),
power is the noncentral-t probability of rejecting at effect ``es`` (noncentrality
``es / SSE``), and a sample size is the value of ``n``, ``J`` or ``K`` whose MDES equals the
target effect (solved exactly on the real line, then rounded up). Effects are in standard
deviations of the outcome.

Designs (``design=``): ``"ira"`` individual random assignment; ``"bira2c1"``, ``"bira2f1"``,
``"bira2r1"`` individuals randomised within blocks (constant, fixed, random block effects);
``"cra2"`` clusters (managers) randomised, people within them; ``"cra3"`` top-level clusters
randomised (managers), with middle units (teams) and people; ``"paired"`` one group measured
before and after; ``"did"`` treated and comparison units over ``pre`` and ``post`` waves with
serially correlated outcomes (estimators ``"did"``, ``"ancova"``, ``"post"``).

Parameter names: ``n`` people per lowest unit, ``J`` second-level units (per block or per
top-level cluster in ``cra3``), ``K`` top-level clusters, ``icc`` share of variance between
level-2 units, ``icc3`` between level-3 units, ``r2``/``r2_2``/``r2_3`` covariate R-squared
at each level, ``g`` covariates at the randomisation level, ``P`` treated share, ``omega``
effect-size variability across blocks (relative to ``icc``), ``r2_t`` R-squared of the
block-effect variation, ``rho`` pre-post (``paired``) or across-wave (``did``) correlation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._validate import check_choice, check_int, check_number, check_positive, check_probability
from ..results import Result, new_axes, tidy_frame
from ._designs import DESIGNS, Design

__all__ = ["DesignResult", "mdes", "power_at", "sample_size"]

_INT_PARAMS = ("g", "pre", "post")
_UNIT_PARAMS = ("icc", "icc3", "r2", "r2_2", "r2_3", "r2_t")


# ---------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------


def _crit(alpha: float, df: float, two_tailed: bool) -> float:
    a = alpha / 2 if two_tailed else alpha
    return float(stats.norm.isf(a) if math.isinf(df) else stats.t.isf(a, df))


def multiplier(alpha: float, power: float, df: float, two_tailed: bool = True) -> float:
    """PowerUp!'s MDES multiplier ``t1 + t2`` (``t1 - t2`` when power < 0.5).

    Parameters
    ----------
    alpha : float
        Significance level.
    power : float
        Target power.
    df : float
        Degrees of freedom (``inf`` for a z test).
    two_tailed : bool, default True
        Two-tailed test.

    Returns
    -------
    float
        The multiplier ``M``: MDES = M x the standard error of the standardized estimate.

    Examples
    --------
    >>> from coachstats.power import multiplier
    >>> round(multiplier(0.05, 0.80, float("inf")), 4)
    2.8016
    """
    t1 = _crit(alpha, df, two_tailed)
    t2 = abs(float(stats.norm.ppf(power) if math.isinf(df) else stats.t.ppf(power, df)))
    return t1 + t2 if power >= 0.5 else t1 - t2


def _power(es: float, sse: float, alpha: float, df: float, two_tailed: bool) -> float:
    lam = es / sse
    t1 = _crit(alpha, df, two_tailed)
    if math.isinf(df):
        dist = stats.norm(loc=lam)
    else:
        dist = stats.nct(df, lam)
    p = float(dist.sf(t1))
    if two_tailed:
        p += float(dist.cdf(-t1))
    return p


def _check(design: str, params: dict[str, Any], skip: tuple[str, ...] = ()) -> tuple[Design,
                                                                                   dict[str, Any]]:
    key = str(design).lower()
    if key not in DESIGNS:
        names = sorted({d.name for d in DESIGNS.values()})
        raise ValueError(f"design: unknown design {design!r}; choose one of {names}.")
    d = DESIGNS[key]
    allowed = set(d.required) | set(d.defaults)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise TypeError(
            f"design {d.name!r} ({d.label}) takes {sorted(allowed)}; got unknown "
            f"parameter(s) {unknown}."
        )
    missing = [p for p in d.required if p not in params and p not in skip]
    if missing:
        raise TypeError(f"design {d.name!r} needs {list(d.required)}; missing {missing}.")
    kw = {**d.defaults, **params}
    for p, val in kw.items():
        if p in ("correlation", "estimator"):
            s = str(val).lower()
            ok = ("constant", "ar1") if p == "correlation" else ("did", "ancova", "post")
            if s not in ok:
                raise ValueError(f"{p}: must be one of {list(ok)}, got {val!r}.")
            kw[p] = s
            continue
        if (p == "df" and val is None) or p in skip:
            continue
        val = check_number(val, p)
        if p in _UNIT_PARAMS:
            check_probability(val, p, open="high")
        if p == "P":
            check_probability(val, "P (the treated share)")
        if p == "rho":
            check_number(val, "rho (a correlation)", low=-1, high=1, low_open=True,
                         high_open=True)
        if p == "omega":
            check_positive(val, p, allow_zero=True)
        if p in ("n", "J", "K"):
            check_positive(val, p)
        if p in _INT_PARAMS and val != int(val):
            raise ValueError(f"{p}: must be a whole number, got {val}.")
        if p in _INT_PARAMS:
            check_int(int(val), p, minimum=1 if p in ("pre", "post") else 0)
        kw[p] = int(val) if p in _INT_PARAMS else val
    if d.name == "cra3" and "icc" in kw and "icc3" in kw and kw["icc"] + kw["icc3"] >= 1:
        raise ValueError(f"icc + icc3 must be below 1, got {kw['icc'] + kw['icc3']}.")
    if d.name == "did" and kw.get("correlation") == "ar1" and kw.get("rho", 0) < 0:
        raise ValueError("rho: an AR(1) wave correlation must be non-negative.")
    return d, kw


def _sse_df(d: Design, kw: dict[str, Any]) -> tuple[float, float]:
    sse, df = d.fn(**kw)
    if not df >= 1:
        raise ValueError(
            f"design {d.name!r} has {df:g} degrees of freedom with {_fmt_params(kw)}; it needs "
            "more units (or fewer covariates g)."
        )
    return sse, df


def _fmt_params(kw: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, int | float) else f"{k}={v}"
                     for k, v in kw.items())


def _check_levels(alpha: float, power: float | None, two_tailed: bool) -> None:
    check_probability(alpha, "alpha")
    if power is not None:
        check_probability(power, "power")
    check_choice(two_tailed, "two_tailed", (True, False))


# ---------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DesignResult(Result):
    """A design's MDES and power (and the sample size solved for, if any).

    ``mdes`` is the smallest true effect (in outcome SDs) detected with probability
    ``target_power`` at level ``alpha``; ``power`` is the probability of detecting ``es``
    (NaN when no effect was given). ``ci_low``/``ci_high`` are PowerUp!'s
    ``1 - alpha`` interval of the MDES (``mdes -/+ t1 * sse``).

    Parameters
    ----------
    design : str
        Design code (e.g. ``"cra2"``).
    label : str
        Its name in words.
    params : dict
        The design parameters (sizes, ICCs, R-squared, ...).
    mdes : float
        Minimum detectable effect size.
    es : float
        The effect whose power was computed (NaN when none was given).
    power : float
        Power to detect ``es``.
    target_power : float
        Power the MDES is defined at.
    alpha : float
        Significance level.
    two_tailed : bool
        Two-tailed test.
    sse : float
        Standard error of the standardized effect estimate.
    df : float
        Degrees of freedom of the test.
    multiplier : float
        MDES multiplier (``mdes = multiplier * sse``).
    solved_for : str or None
        The sample-size parameter solved for, if any.
    exact : float
        Continuous solution of that sample size (before rounding up).
    source : str
        Reference of the design's formula.

    Examples
    --------
    >>> from coachstats import power
    >>> r = power.mdes("cra2", J=20, n=15, icc=0.17)
    >>> r.design, r.df
    ('cra2', 18.0)
    """

    design: str
    label: str
    params: dict[str, Any] = field(compare=False)
    mdes: float
    es: float
    power: float
    target_power: float
    alpha: float
    two_tailed: bool
    sse: float
    df: float
    multiplier: float
    solved_for: str | None = None
    exact: float = float("nan")  # continuous solution of the sample size
    source: str = ""

    def __int__(self) -> int:
        return int(float(self))

    def __float__(self) -> float:
        if self.solved_for:
            return float(self.params[self.solved_for])
        return float(self.mdes)

    @property
    def title(self) -> str:
        return f"Design: {self.label}"

    @property
    def notes(self) -> list[str]:
        tails = "two-tailed" if self.two_tailed else "one-tailed"
        out = [
            f"MDES = M x SSE with M = {self.multiplier:.3f} ({tails} alpha = {self.alpha:g}, "
            f"power = {self.target_power:g}, df = {self.df:g}); effects in outcome SDs.",
            f"Parameters: {_fmt_params(self.params)}. Formula: {self.source}.",
        ]
        if self.solved_for:
            out.append(f"{self.solved_for} solved: {self.exact:.2f} exactly, rounded up to "
                       f"{self.params[self.solved_for]:g}.")
        return out

    @property
    def cautions(self) -> tuple[Any, ...]:
        from ..results import Caution

        out = []
        if self.design in ("cra2", "cra3", "bira2r1", "did"):
            k = {"cra2": "J", "bira2r1": "J", "cra3": "K", "did": "J"}[self.design]
            m = self.params.get(k, math.inf)
            if m < 30:  # Cameron & Miller (2015): cluster-robust tests over-reject below ~30
                out.append(Caution("few_clusters", f"Only {m:g} randomised units ({k}); "
                                   "cluster-robust tests over-reject with fewer than about 30 "
                                   "(Cameron & Miller 2015), so plan on a small-sample "
                                   "correction.", value=float(m)))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        t1 = _crit(self.alpha, self.df, self.two_tailed)
        rows = [{"term": "mdes", "estimate": self.mdes, "std_error": self.sse,
                 "ci_low": self.mdes - t1 * self.sse, "ci_high": self.mdes + t1 * self.sse,
                 "ci_level": 1 - self.alpha, "power": self.target_power, "df": self.df,
                 "multiplier": self.multiplier}]
        if math.isfinite(self.es):
            rows.append({"term": "power", "estimate": self.power, "effect": self.es,
                         "df": self.df})
        if self.solved_for:
            rows.append({"term": self.solved_for, "estimate": float(self.params[self.solved_for]),
                         "exact": self.exact})
        return tidy_frame(rows)

    def power_curve(self, effects: Any) -> np.ndarray:
        """Power of this design at each effect size in ``effects``."""
        return np.array([_power(float(e), self.sse, self.alpha, self.df, self.two_tailed)
                         for e in np.atleast_1d(effects)])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Power against the true effect, with the MDES marked.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to matplotlib's ``Axes.plot`` (e.g. ``alpha``).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        es = np.linspace(0, max(2 * self.mdes, 0.1), 101)
        ax.plot(es, self.power_curve(es), color="C0", **kwargs)
        ax.axhline(self.target_power, color="0.5", ls="--", lw=1)
        ax.axvline(self.mdes, color="C3", ls=":", lw=1)
        ax.annotate(f"MDES {self.mdes:.2f}", (self.mdes, 0.05), color="C3", fontsize=8)
        ax.set_xlabel("true effect (outcome SDs)")
        ax.set_ylabel("power")
        ax.set_ylim(0, 1)
        return ax


def _result(d: Design, kw: dict[str, Any], *, alpha: float, power: float, two_tailed: bool,
            es: float = math.nan, solved_for: str | None = None,
            exact: float = math.nan) -> DesignResult:
    sse, df = _sse_df(d, kw)
    m = multiplier(alpha, power, df, two_tailed)
    pw = _power(es, sse, alpha, df, two_tailed) if math.isfinite(es) else math.nan
    return DesignResult(design=d.name, label=d.label, params=dict(kw), mdes=m * sse, es=es,
                        power=pw, target_power=power, alpha=alpha, two_tailed=two_tailed,
                        sse=sse, df=df, multiplier=m, solved_for=solved_for, exact=exact,
                        source=d.source)


# ---------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------


def mdes(design: str, *, alpha: float = 0.05, power: float = 0.80, two_tailed: bool = True,
         **params: Any) -> DesignResult:
    """Minimum detectable effect size of a design.

    Parameters
    ----------
    design : str
        ``"ira"``, ``"bira2c1"``, ``"bira2f1"``, ``"bira2r1"``, ``"cra2"``, ``"cra3"``,
        ``"paired"`` or ``"did"`` (see the module docstring for each design's parameters).
    alpha : float
        Type I error rate.
    power : float
        Target power (1 - type II error rate).
    two_tailed : bool
        Two- or one-tailed test.
    **params
        The design's parameters, e.g. ``J=20, n=15, icc=0.17`` for ``cra2``.

    Returns
    -------
    DesignResult
        ``.mdes`` (float), ``.df``, ``.sse``, ``to_frame()``, ``plot()`` (power curve).

    Examples
    --------
    >>> from coachstats import power
    >>> round(power.mdes("cra2", J=20, n=15, icc=0.17).mdes, 3)
    0.629
    """
    _check_levels(alpha, power, two_tailed)
    d, kw = _check(design, params)
    return _result(d, kw, alpha=alpha, power=power, two_tailed=two_tailed)


def power_at(design: str, es: float, *, alpha: float = 0.05, two_tailed: bool = True,
             target_power: float = 0.80, **params: Any) -> DesignResult:
    """Power of a design to detect a true effect ``es`` (noncentral t, as PowerUpR).

    Parameters
    ----------
    design : str
        See :func:`mdes`.
    es : float
        True effect in outcome SDs.
    alpha, two_tailed
        Test settings.
    target_power : float
        Power at which the result's ``mdes`` is also reported.
    **params
        The design's parameters.

    Returns
    -------
    DesignResult
        ``.power`` is the probability of detecting ``es``.

    Examples
    --------
    >>> from coachstats import power
    >>> round(power.power_at("cra2", 0.5, J=20, n=4, icc=0.2).power, 3)
    0.387
    """
    _check_levels(alpha, target_power, two_tailed)
    check_number(es, "es")
    d, kw = _check(design, params)
    return _result(d, kw, alpha=alpha, power=target_power, two_tailed=two_tailed,
                   es=float(es))


def sample_size(design: str, es: float, *, solve_for: str | None = None,
                alpha: float = 0.05, power: float = 0.80, two_tailed: bool = True,
                upper: float = 1e7, **params: Any) -> DesignResult:
    """Smallest ``n``, ``J`` or ``K`` whose MDES is at most ``es``.

    The MDES is solved for the size on the real line (degrees of freedom follow the size,
    as in PowerUpR's ``mrss.*``) and the size is rounded up, so the returned design detects
    ``es`` with at least the target power (its ``mdes <= es``).

    Parameters
    ----------
    design : str
        See :func:`mdes`.
    es : float
        Effect to detect, in outcome SDs (> 0).
    solve_for : str, optional
        ``"n"``, ``"J"`` or ``"K"`` (the one left out of ``params``); default: the single
        size parameter that is missing.
    alpha, power, two_tailed
        Test settings.
    upper : float
        Largest size searched.
    **params
        The design's other parameters.

    Returns
    -------
    DesignResult
        ``float(result)`` is the size; ``result.exact`` the continuous solution.

    Examples
    --------
    >>> from coachstats import power
    >>> int(power.sample_size("cra2", 0.25, n=4, icc=0.2))   # managers needed
    203
    """
    _check_levels(alpha, power, two_tailed)
    check_positive(es, "es (the effect to detect)")
    key = str(design).lower()
    d0 = DESIGNS.get(key)
    if d0 is None:
        _check(design, params)  # raises the unknown-design error
        raise AssertionError  # pragma: no cover
    if solve_for is None:
        left = [s for s in d0.sizes if s not in params]
        if len(left) != 1:
            raise TypeError(f"solve_for: give exactly one of {list(d0.sizes)} to solve for by "
                            f"leaving it out (missing now: {left}), or pass solve_for=.")
        solve_for = left[0]
    if solve_for not in d0.sizes:
        raise ValueError(f"solve_for: design {d0.name!r} can solve for {list(d0.sizes)}, "
                         f"not {solve_for!r}.")
    if solve_for in params:
        raise TypeError(f"{solve_for}: leave it out when solving for it.")
    d, kw = _check(design, params, skip=(solve_for,))

    def gap(x: float) -> float:
        sse, df = d.fn(**{**kw, solve_for: x})
        return multiplier(alpha, power, df, two_tailed) * sse - float(es)

    # smallest size with df >= 1
    lo = 1e-6
    for _ in range(200):
        if d.fn(**{**kw, solve_for: lo})[1] >= 1:
            break
        lo = lo * 2 if lo >= 1 else lo + 1
    if gap(upper) > 0:
        floor = gap(upper) + float(es)
        raise ValueError(
            f"{solve_for}: no size up to {upper:g} detects es={es:g}; with "
            f"{_fmt_params({k: v for k, v in kw.items() if k != solve_for})} the MDES cannot "
            f"fall below about {floor:.3f}. Increase the other sizes or lower the target."
        )
    if gap(lo) <= 0:
        exact = lo
    else:
        exact = float(optimize.brentq(gap, lo, upper, xtol=1e-10, rtol=1e-12))
    size = math.ceil(exact - 1e-9)
    while d.fn(**{**kw, solve_for: size})[1] < 1:
        size += 1
    kw[solve_for] = size
    return _result(d, kw, alpha=alpha, power=power, two_tailed=two_tailed, es=float(es),
                   solved_for=solve_for, exact=exact)
