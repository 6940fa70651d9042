"""Synthetic control: a weighted average of comparison units that tracks the treated unit
before the program, classic (Abadie et al.) or ridge-augmented (Ben-Michael et al.).

The classic donor weights ``w`` solve (Abadie, Diamond & Hainmueller 2010, with the
pre-program outcomes as the predictors and equal predictor weights)::

    min_w  sum_{t < t0} (y_1t - sum_j w_j y_jt)^2   subject to  w_j >= 0,  sum_j w_j = 1

The effect at ``t >= t0`` is the gap ``y_1t - sum_j w_j y_jt``; ``att`` is its mean over the
post-program periods.

``method="augmented"`` is the ridge augmented synthetic control of Ben-Michael, Feller &
Rothstein (2021, JASA): the classic weights plus the correction that a ridge regression of
the outcomes on the pre-program outcomes implies, so that the estimate is the classic one
minus the ridge estimate of its bias. The augmented weights sum to one but may be negative
(extrapolation, which is what removes the bias when the treated unit lies outside the
donors' convex hull). The ridge penalty is chosen by leave-one-period-out cross-validation on
the pre-program periods (one-standard-error rule), as in the authors' R package
``augsynth``, or given as ``penalty=``.

Inference, ``inference=``:

- ``"placebo"`` (default for the classic method): placebos in space. Each donor in turn is
  treated as if it had the program (the treated unit left out of its donor pool), and the
  p-value is the rank of the treated unit's ratio of post- to pre-program root mean squared
  prediction error among all units' ratios (Abadie et al. 2010, section 2.3): with ``J``
  donors the smallest attainable p-value is ``1 / (J + 1)``. No interval.
- ``"conformal"`` (default for the augmented method): the conformal inference of
  Chernozhukov, Wuthrich & Zhu (2021, JASA) that Ben-Michael et al. use. For each
  post-program period, the null "the effect in this period is ``tau``" is tested by adding
  the period (treated value minus ``tau``) to the pre-program periods, refitting (penalty
  held at its fitted value) and ranking the period's absolute residual among all of them;
  the ``gap_<time>`` rows carry the p-value for ``tau = 0`` and the ``ci_level`` interval of
  the ``tau`` not rejected (found by bisection). The ``att`` row carries the p-value of the
  joint null of no effect in any post-program period, from moving-block permutations (all
  cyclic shifts in time, deterministic) of the residuals of a fit on all periods. These are
  exact p-values, where ``augsynth`` approximates them by random permutations and its
  intervals by a 50-point grid. The smallest attainable p-value is ``1 / (t0 + 1)`` per
  period and ``1 / T`` jointly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validate import (
    check_choice,
    check_ci_level,
    check_positive,
    prepare,
    require_unique_keys,
)
from ..privacy import DEFAULT_MIN_GROUP_SIZE
from ..results import Caution, Result, new_axes, tidy_frame
from ._ascm import ascm_fit, conformal_interval, conformal_period_test, conformal_test
from ._predictors import nested_weights, predictor_matrix
from ._respondents import wave_means
from ._simplex import simplex_weights

__all__ = ["SyntheticControlResult", "simplex_weights", "synthetic_control"]


@dataclass(frozen=True)
class SyntheticControlResult(Result):
    """Effect of a program on one unit against its synthetic control.

    ``to_frame()``: ``att`` (mean post-program gap, with its p-value); for the augmented
    method ``att_scm`` (the classic estimate on the same data) and ``bias_correction`` (the
    ridge estimate of the classic estimate's bias, ``att = att_scm - bias_correction``);
    then ``gap_<time>`` for each post-program period (with a conformal interval and p-value
    under ``inference="conformal"``). ``weights`` holds the donor weights, ``paths`` the
    treated and synthetic series,
    ``placebos`` every unit's gaps and RMSPEs.

    Parameters
    ----------
    table : DataFrame
        The ``to_frame()`` table above.
    weights : Series
        Donor weights indexed by donor: non-negative and summing to one (classic), or summing
        to one and possibly negative (augmented).
    paths : DataFrame
        ``time, treated, synthetic``: the two series.
    placebos : DataFrame
        ``unit, time, gap``: every unit's gap from its own synthetic control (in-space
        placebos); only the treated unit's gap under conformal inference.
    outcome : str
        Outcome column.
    treated : object
        The treated unit.
    intervention : float
        First program period.
    pre_rmspe : float
        Root mean squared prediction error of the synthetic control before the program.
    n_donors : int
        Donor units.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    method : str
        ``"classic"`` or ``"augmented"``.
    inference : str
        ``"placebo"`` or ``"conformal"``.
    ci_level : float
        Level of the conformal intervals.
    penalty : float or None
        Ridge penalty of the augmented method (None for the classic one).
    penalty_path : DataFrame or None
        ``penalty, cv_mse, cv_se``: the cross-validation that chose the penalty (None when the
        penalty was given or the method is classic).
    scm_weights : Series or None
        The classic weights the augmented method starts from.
    l2_imbalance, l2_imbalance_scm, l2_imbalance_uniform : float
        Pre-program L2 distance between the treated unit and its synthetic control under the
        fitted weights, the classic weights and equal weights (as printed by ``augsynth``).
    min_respondents : int or None
        Fewest distinct respondents behind a wave mean (None when not checked: neither
        ``person=`` nor ``respondents=`` was given).
    min_group_size : int
        Threshold the waves were checked against.
    predictor_weights : Series or None
        With ``predictors=``: the predictor weights ``V`` (sum 1), indexed by predictor.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_series(rng=4)
    >>> res = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
    ...                                       treated="focal", intervention=13)
    >>> res.treated
    'focal'
    """

    table: pd.DataFrame = field(repr=False)
    weights: pd.Series = field(repr=False)
    paths: pd.DataFrame = field(repr=False)
    placebos: pd.DataFrame = field(repr=False)
    outcome: str = "outcome"
    treated: Any = None
    intervention: float = 0.0
    pre_rmspe: float = math.nan
    n_donors: int = 0
    n_dropped: int = 0
    method: str = "classic"
    inference: str = "placebo"
    ci_level: float = 0.95
    penalty: float | None = None
    penalty_path: pd.DataFrame | None = field(default=None, repr=False)
    scm_weights: pd.Series | None = field(default=None, repr=False)
    l2_imbalance: float = math.nan
    l2_imbalance_scm: float = math.nan
    l2_imbalance_uniform: float = math.nan
    min_respondents: int | None = None
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    predictor_weights: pd.Series | None = field(default=None, repr=False)

    @property
    def title(self) -> str:
        kind = "Augmented synthetic control" if self.method == "augmented" else \
            "Synthetic control"
        return f"{kind} for {self.treated}: {self.outcome}"

    @property
    def p_value(self) -> float:
        return float(self.table["p_value"].iloc[0])

    @property
    def fit_improvement(self) -> float:
        """Share of the classic weights' pre-program L2 imbalance removed (0 for classic)."""
        return 1.0 - self.l2_imbalance / self.l2_imbalance_scm

    @property
    def improvement_over_uniform(self) -> float:
        """``1 - L2 imbalance / L2 imbalance of equal weights`` (augsynth's "percent
        improvement from uniform weights")."""
        return 1.0 - self.l2_imbalance / self.l2_imbalance_uniform

    @property
    def notes(self) -> list[str]:
        top = self.weights[self.weights.abs() > 0.001]
        top = top.reindex(top.abs().sort_values(ascending=False).index)[:10]
        shown = ", ".join(f"{k} {v:.3f}" for k, v in top.items())
        if self.method == "augmented":
            out = [f"Ridge augmented synthetic control (Ben-Michael, Feller & Rothstein 2021), "
                   f"penalty {self.penalty:.4g}"
                   + (" chosen by leave-one-period-out cross-validation (one-SE rule)"
                      if self.penalty_path is not None else " (given)") + ".",
                   f"Donor weights (sum 1, negative allowed), largest: {shown}.",
                   f"Pre-program L2 imbalance {self.l2_imbalance:.4g} against "
                   f"{self.l2_imbalance_scm:.4g} for the classic weights "
                   f"({100 * self.fit_improvement:.1f}% less) and "
                   f"{self.l2_imbalance_uniform:.4g} for equal weights "
                   f"({100 * self.improvement_over_uniform:.1f}% less)."]
        elif self.predictor_weights is not None:
            v = self.predictor_weights.sort_values(ascending=False)[:6]
            out = ["Donor weights (non-negative, sum 1) fitted on predictors with weights V "
                   "chosen by Synth's nested optimisation (Nelder-Mead and BFGS from equal "
                   "weights): " + shown + ".",
                   "Largest predictor weights: "
                   + ", ".join(f"{k} {x:.3f}" for k, x in v.items()) + ".",
                   f"Pre-program RMSPE {self.pre_rmspe:.4g}."]
        else:
            out = ["Donor weights (non-negative, sum 1) fitted on the pre-program outcomes: "
                   + shown + ".",
                   f"Pre-program RMSPE {self.pre_rmspe:.4g}."]
        if self.inference == "conformal":
            n = len(self.paths)
            n0 = int((self.paths["time"] < self.intervention).sum())
            out.append(f"Conformal inference (Chernozhukov, Wuthrich & Zhu 2021): a "
                       f"{100 * self.ci_level:g}% interval and p-value for each post-program "
                       f"period (smallest possible p-value {1 / (n0 + 1):.3f}); the att "
                       f"p-value tests no effect in any post-program period by moving-block "
                       f"permutations of the {n} periods (smallest possible {1 / n:.3f}).")
        elif self.inference == "placebo":
            out.append(f"p-value: rank of the post/pre RMSPE ratio among the treated unit and "
                       f"{self.n_donors} placebo donors (smallest possible "
                       f"{1 / (self.n_donors + 1):.3f}).")
        if self.min_respondents is not None:
            out.append(f"Every wave mean rests on at least {self.min_respondents} distinct "
                       f"respondents (threshold {self.min_group_size}).")
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        out = ["Without the program the treated unit would have followed the same weighted "
               "combination of donors as before it (a stable factor structure).",
               "No donor was affected by the program or by spill-overs from it, and no donor "
               "had its own shock after t0."]
        if self.method == "augmented":
            out.append("The ridge outcome model (post-program outcomes linear in the "
                       "pre-program ones) extrapolates correctly where the donors do not "
                       "surround the treated unit.")
        if self.inference == "conformal":
            out.append("The residuals of the fit are exchangeable across time (stationary, "
                       "weakly dependent), so a post-program period's residual under the "
                       "true effect ranks like a pre-program one.")
        return out

    def limitations(self) -> list[str]:
        out = ["With few donors the placebo p-value cannot be small; it tests a sharp null of "
               "no effect anywhere, not an interval for the effect."
               if self.inference == "placebo" else
               "Conformal intervals are for single periods (the mean effect has a p-value "
               "but no interval); with few pre-program periods a period's p-value cannot be "
               "small.",
               "A poor pre-program fit (large RMSPE relative to the effect) makes the gaps "
               "uninterpretable."]
        if self.method == "augmented":
            out.append("Negative weights extrapolate beyond the donors: the estimate leans on "
                       "the linear outcome model as much as on comparable units.")
        return out

    @property
    def cautions(self) -> tuple[Caution, ...]:
        out = []
        pre = self.paths.loc[self.paths["time"] < self.intervention, "treated"]
        sd = float(pre.std(ddof=1)) if len(pre) > 1 else math.nan
        if np.isfinite(sd) and self.pre_rmspe > 0.5 * sd:
            out.append(Caution("poor_pre_fit",
                               f"The synthetic control misses the treated unit before the "
                               f"program by {self.pre_rmspe:.3g} (RMSPE), half its own SD or "
                               "more.", self.pre_rmspe))
        if self.inference == "placebo" and self.n_donors < 19:
            out.append(Caution("few_donors",
                               f"Only {self.n_donors} donors: the placebo p-value cannot go "
                               f"below {1 / (self.n_donors + 1):.3f}.", float(self.n_donors)))
        n0 = int((self.paths["time"] < self.intervention).sum())
        if self.inference == "conformal" and n0 < 19:
            out.append(Caution("few_periods",
                               f"Only {n0} pre-program periods: a period's conformal p-value "
                               f"cannot go below {1 / (n0 + 1):.3f}.", float(n0)))
        if self.inference == "conformal":
            gaps = self.table[self.table["term"].str.startswith("gap_")]
            n_open = int((gaps["ci_low"].isna() | gaps["ci_high"].isna()).sum())
            if n_open:
                out.append(Caution("unbounded_interval",
                                   f"{n_open} of {len(gaps)} post-program periods have no "
                                   f"finite {100 * self.ci_level:g}% conformal interval (shown "
                                   "as missing): the test cannot reject any effect there. "
                                   "More pre-program periods or a lower ci_level help.",
                                   float(n_open)))
        if self.min_respondents is None:
            out.append(Caution("respondents_unchecked",
                               "The number of respondents behind each wave mean was not "
                               "checked (give person= or respondents=).", math.nan))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, kind: str = "paths", **kwargs: Any) -> Any:
        """``kind="paths"``: treated vs synthetic; ``"placebos"``: every unit's gap.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        kind : {"paths", "placebos"}, default "paths"
            ``"paths"``: treated unit against its synthetic control; ``"placebos"``: every
            unit's gap (in-space placebos; only the treated unit's gap unless
            ``inference="placebo"``).
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax, figsize=(7.0, 4.0))
        if kind == "placebos":
            for u, g in self.placebos.groupby("unit", sort=False):
                is_t = u == self.treated
                ax.plot(g["time"], g["gap"], color="C3" if is_t else "0.75",
                        lw=2 if is_t else 0.8, zorder=3 if is_t else 1,
                        label=str(u) if is_t else None)
            ax.axhline(0, color="0.4", lw=1)
            ax.set_ylabel(f"gap in {self.outcome}")
            ax.legend(frameon=False, fontsize=8)
        else:
            p = self.paths
            ax.plot(p["time"], p["treated"], color="C3", label=str(self.treated))
            ax.plot(p["time"], p["synthetic"], color="C0", ls="--", label="synthetic control")
            ax.set_ylabel(self.outcome)
            ax.legend(frameon=False, fontsize=8)
        ax.axvline(self.intervention, color="0.5", lw=1, ls=":")
        ax.set_xlabel("time")
        ax.set_title(self.title, fontsize=10)
        return ax


_METHODS = ("classic", "augmented")
_INFERENCE = ("placebo", "conformal", "none")


def _option(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    return str(check_choice(value, name, allowed))


def synthetic_control(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    *,
    treated: Any,
    intervention: float,
    method: str = "classic",
    penalty: float | None = None,
    inference: str | None = None,
    ci_level: float = 0.95,
    person: str | None = None,
    respondents: str | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    predictors: Sequence[str | tuple[str, Sequence[float]]] | None = None,
    loss_times: Sequence[float] | None = None,
    dropna: bool = False,
) -> SyntheticControlResult:
    """Effect of a program on one unit against a synthetic control built from donor units.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and time (a balanced panel), or one row per response
        with ``person=``; never modified.
    outcome : str
        Numeric outcome (e.g. mean engagement of the unit).
    unit, time : str
        Unit identifier and numeric time.
    treated : scalar
        The unit that had the program; every other unit is a donor.
    intervention : float
        First time value under the program.
    method : {"classic", "augmented"}
        Classic synthetic control (non-negative weights summing to one) or the ridge
        augmented synthetic control of Ben-Michael, Feller & Rothstein (2021).
    penalty : float, optional
        Ridge penalty of the augmented method; chosen by leave-one-period-out
        cross-validation on the pre-program periods when None (as ``augsynth``).
    inference : {"placebo", "conformal"}, optional
        Placebos in space (default for the classic method), conformal inference (default
        for the augmented method; an interval for each post-program period), or ``"none"``
        (estimates only).
    ci_level : float
        Level of the conformal intervals.
    person : str, optional
        Respondent column when ``data`` holds one row per response: the unit-wave means are
        computed here, and a unit-wave answered by fewer than ``min_group_size`` distinct
        people is refused.
    respondents : str, optional
        For data already aggregated (one row per unit and wave): the column holding each
        wave's number of distinct respondents, checked against ``min_group_size``.
    min_group_size : int
        Fewest respondents a published wave mean may rest on (default 5, never below 3).
    predictors : list, optional
        Classic method only: match on predictors instead of every pre-program outcome, with
        the predictor weights ``V`` chosen by Synth's nested optimisation (see
        ``coachstats.timeseries._predictors``). Each item is a column name (its mean over the
        pre-program times) or a ``(column, times)`` pair (its mean over those times; missing
        values skipped). Predictor columns may have missing values outside their windows.
    loss_times : sequence of float, optional
        Pre-program times whose outcome gaps the choice of ``V`` minimises (Synth's
        ``time.optimize.ssr``); default every pre-program time.
    dropna : bool
        Drop rows with a missing value first (counted in ``n_dropped``); the panel must still
        be balanced.

    Returns
    -------
    SyntheticControlResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.engagement_series(rng=4)
    >>> res = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
    ...                                       treated="focal", intervention=13)
    >>> round(float(res.weights.sum()), 6)
    1.0
    >>> aug = cs.timeseries.synthetic_control(sim.data, "engagement", "unit", "wave",
    ...                                       treated="focal", intervention=13,
    ...                                       method="augmented")
    >>> aug.to_frame()["term"].tolist()[:3]
    ['att', 'att_scm', 'bias_correction']
    """
    method = _option(method, "method", _METHODS)
    inference = _option(inference if inference is not None else
                        ("placebo" if method == "classic" else "conformal"),
                        "inference", _INFERENCE)
    ci_level = check_ci_level(ci_level)
    if penalty is not None:
        if method != "augmented":
            raise ValueError("penalty= applies to method='augmented' only.")
        penalty = check_positive(penalty, "penalty")
    if predictors is not None:
        if method != "classic" or person is not None or inference == "conformal":
            raise ValueError("predictors= works with method='classic', aggregated data (no "
                             "person=) and inference 'placebo' or 'none'.")
    elif loss_times is not None:
        raise ValueError("loss_times= applies with predictors= only.")
    frame, miss = prepare(data, {"outcome": outcome, "unit": unit, "time": time,
                                 "person": person, "respondents": respondents},
                          numeric=["outcome", "time", "respondents"], dropna=dropna)
    if person is None:
        require_unique_keys(frame, [unit, time])
    frame, fewest = wave_means(frame, outcome, [unit, time], person=person,
                               respondents=respondents, min_group_size=min_group_size)
    wide = frame.pivot(index=time, columns=unit, values=outcome).sort_index()
    if wide.isna().any().any():
        gaps = wide.columns[wide.isna().any()].tolist()
        raise ValueError(f"the panel is unbalanced: unit(s) {gaps[:5]} lack some values of "
                         f"{time!r}. Synthetic control needs every unit at every time.")
    units = wide.columns.tolist()
    by_text = {str(u): u for u in units}
    treated = by_text.get(str(treated), treated)
    if treated not in units:
        raise ValueError(f"treated={treated!r} is not a value of column {unit!r}.")
    donors = [u for u in units if u != treated]
    if len(donors) < 2:
        raise ValueError(f"need at least 2 donor units besides {treated!r}, got {len(donors)}.")
    t = wide.index.to_numpy(float)
    pre = t < float(intervention)
    if pre.sum() < 3 or (~pre).sum() < 1:
        raise ValueError(f"need at least 3 periods before intervention={intervention:g} and 1 "
                         f"from it on; found {int(pre.sum())} and {int((~pre).sum())}.")
    y1 = wide[treated].to_numpy(float)
    y0 = wide[donors].to_numpy(float)
    v_weights = None
    if predictors is not None:
        xall, labels = predictor_matrix(data, unit, time, predictors, units, t[pre])
        col = {u: i for i, u in enumerate(units)}
        if loss_times is None:
            zrows = pre
        else:
            lt = np.asarray(list(loss_times), float)
            if not np.all(np.isin(lt, t[pre])):
                raise ValueError(f"loss_times must be pre-program values of {time!r}; "
                                 f"{sorted(set(lt) - set(t[pre]))[:5]} are not.")
            zrows = np.isin(t, lt)

        def fit_unit(u: Any, pool: list[Any]) -> np.ndarray:
            w_u, _, _ = nested_weights(xall[:, col[u]], xall[:, [col[p] for p in pool]],
                                       wide[u].to_numpy(float)[zrows],
                                       wide[pool].to_numpy(float)[zrows])
            return w_u

        w_scm, v, _ = nested_weights(xall[:, col[treated]],
                                     xall[:, [col[p] for p in donors]], y1[zrows],
                                     y0[zrows])
        v_weights = pd.Series(v, index=labels, name="v")
    else:
        def fit_unit(u: Any, pool: list[Any]) -> np.ndarray:
            return simplex_weights(wide[u].to_numpy(float)[pre], wide[pool].to_numpy(float)[pre])

        w_scm = fit_unit(treated, donors)
    scm_gap = y1 - y0 @ w_scm
    fit = None
    if method == "augmented":
        fit = ascm_fit(y1, y0, pre, penalty)
        w, gap = fit.weights, fit.gap
    else:
        w, gap = w_scm, scm_gap

    def rmspe(g: np.ndarray, mask: np.ndarray) -> float:
        return math.sqrt(float(np.mean(g[mask] ** 2)))

    def l2(weights: np.ndarray) -> float:
        return float(np.linalg.norm(y1[pre] - y0[pre] @ weights))

    att = float(gap[~pre].mean())
    ratio = rmspe(gap, ~pre) / max(rmspe(gap, pre), 1e-300)
    ratios = {treated: ratio}
    plac = [pd.DataFrame({"unit": treated, "time": t, "gap": gap})]
    row: dict[str, Any] = {"term": "att", "estimate": att}
    bounds: dict[int, tuple[float, float, float]] = {}
    if inference == "placebo":
        for d in donors:
            pool = [u for u in donors if u != d]
            if method == "augmented":
                g = ascm_fit(wide[d].to_numpy(float), wide[pool].to_numpy(float), pre,
                             penalty).gap
            else:
                g = wide[d].to_numpy(float) - wide[pool].to_numpy(float) @ fit_unit(d, pool)
            ratios[d] = rmspe(g, ~pre) / max(rmspe(g, pre), 1e-300)
            plac.append(pd.DataFrame({"unit": d, "time": t, "gap": g}))
        r = np.array(list(ratios.values()))
        row.update(p_value=float(np.mean(r >= ratio)), rmspe_ratio=ratio)
    elif inference == "conformal":
        lam = fit.penalty if fit is not None else math.inf
        scale = max(rmspe(gap, pre), 1e-8)
        alpha = 1 - ci_level
        for j in np.flatnonzero(~pre):
            lo, hi = conformal_interval(
                lambda tau, j=j: conformal_period_test(y1, y0, pre, lam, j, tau),
                float(gap[j]), alpha, scale, scale * 1e-4)
            bounds[int(j)] = (lo, hi, conformal_period_test(y1, y0, pre, lam, j, 0.0))
        row.update(p_value=conformal_test(y1, y0, pre, lam, 0.0), rmspe_ratio=ratio)
    rows = [row]
    if fit is not None:
        att_scm = float(scm_gap[~pre].mean())
        rows += [{"term": "att_scm", "estimate": att_scm},
                 {"term": "bias_correction", "estimate": att_scm - att}]
    for j in np.flatnonzero(~pre):
        r = {"term": f"gap_{t[j]:g}", "estimate": float(gap[j])}
        if j in bounds:
            lo, hi, pj = bounds[int(j)]
            # an end the test never reaches (it cannot reject at this level) is unbounded:
            # reported as missing, with the unbounded_interval caution
            r.update(ci_low=lo if math.isfinite(lo) else math.nan,
                     ci_high=hi if math.isfinite(hi) else math.nan, ci_level=ci_level,
                     p_value=pj)
        rows.append(r)
    paths = pd.DataFrame({"time": t, "treated": y1, "synthetic": y0 @ w})
    placebos = pd.concat(plac, ignore_index=True)
    placebos["rmspe_ratio"] = placebos["unit"].map(ratios)
    path = None
    if fit is not None and fit.lambdas is not None:
        path = pd.DataFrame({"penalty": fit.lambdas, "cv_mse": fit.cv_mse, "cv_se": fit.cv_se})
    return SyntheticControlResult(
        table=tidy_frame(rows), weights=pd.Series(w, index=donors, name="weight"),
        paths=paths, placebos=placebos, outcome=outcome, treated=treated,
        intervention=float(intervention), pre_rmspe=rmspe(gap, pre), n_donors=len(donors),
        n_dropped=miss.n_dropped, method=method, inference=inference, ci_level=ci_level,
        penalty=fit.penalty if fit is not None else None, penalty_path=path,
        scm_weights=pd.Series(w_scm, index=donors, name="weight") if fit is not None else None,
        l2_imbalance=l2(w), l2_imbalance_scm=l2(w_scm),
        l2_imbalance_uniform=l2(np.full(len(donors), 1 / len(donors))),
        min_respondents=fewest, min_group_size=min_group_size, predictor_weights=v_weights)
