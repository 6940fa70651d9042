"""Multilevel Bayesian difference-in-differences for staggered roll-outs (PyMC).

The model, on the outcome standardised by its overall mean and SD (results are reported
back on the original scale):

``y_ict = mu_ct + e_i`` for employee ``i`` in unit (team) ``c`` at period ``t``, with

``mu_ct = alpha + period[t] + cohort[g(c)] + sum_l u_l[level_l(c)] + tau[g(c), t - g(c)]``

* ``period[t]``: period effects (first period is the reference);
* ``cohort[g]``: one mean per cohort (the never-treated, else the last cohort, is the
  reference). Together with the period effects this is the DiD comparison: effects are
  identified from cohort x period contrasts, not from shrunken unit intercepts;
* ``u_l ~ Normal(0, sd_l)``: random intercepts for each grouping level (manager, team, ...),
  non-centred (``u = sd * z``) and indexed by integer vectors, never dummy matrices;
* ``tau[g, e] = theta[e] + delta[g, e]`` with ``delta[g, e] = sd_cohort * z_ge``: cohort x
  event-time effects partially pooled towards event-time effects ``theta[e]`` (non-centred).
  By default each ``theta[e]`` has its own weakly informative prior ``Normal(0, 1)`` (in SDs
  of the outcome); ``event_pooling="exchangeable"`` pools them too, ``theta[e] =
  effect_mean + sd_event * z_e``, which steadies sparse late event times but shrinks growing
  effects towards their mean (a downward bias in ``att`` when effects grow over time). Only
  treated cells (``e >= -anticipation``) carry an effect;
* ``e_i``: individual noise with SD ``sigma``; with several respondents per cell a cell shock
  with SD ``sd_cell`` (team-quarter climate) is integrated out exactly.

Individual rows are reduced to cell sufficient statistics (count, mean, within-cell sum of
squares) before sampling, which gives the same likelihood as the row-level model (cell means
``~ Normal(mu, sqrt(sd_cell^2 + sigma^2 / n))``; within-cell squares inform ``sigma``), so
the cost grows with the number of unit-period cells, not survey rows: a 200-manager,
8-quarter study (about 25,000-38,000 rows in 3,200-4,800 cells) fits in well under a minute
on two idle cores, most of it the one-off model compilation. Team-period means with counts
(and, optionally, within-cell SDs) enter the same way.

Estimands follow Callaway & Sant'Anna (2021): ``att`` averages the treated post-period
cohort x period effects weighted by cohort size (number of units), like their "simple"
aggregation; ``event_time[e]`` averages cohorts observed ``e`` periods after their start,
weighted by cohort size ("dynamic" aggregation).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as v
from .._deprecate import renamed_arguments
from .._progress import ProgressLike
from .._rng import RNGLike
from ..privacy import DEFAULT_MIN_GROUP_SIZE
from ..results import Result, new_axes, tidy_frame
from ._panel import build_panel
from ._privacy import check_cohort_sizes

__all__ = ["BayesianDiDResult", "bayesian"]

_HYPER = {
    "effect_mean": "mean of event-time effects",
    "sd_event": "SD of event-time effects around their mean",
    "sd_cohort": "SD of cohort deviations from the event-time effect",
    "sigma": "individual (within-cell) SD",
    "sd_cell": "SD of unit-period (cell) shocks",
}


# ---------------------------------------------------------------------------------------
# data preparation
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    """Unit-period cells with sufficient statistics and integer indices for the model."""

    frame: pd.DataFrame  # one row per cell: unit, time, cohort, n, mean, ss, level codes
    shape: str  # "individual", "means", "means_sd", "panel"
    times: np.ndarray  # sorted observed periods
    cohorts: np.ndarray  # sorted treated cohorts (period values)
    level_names: tuple[str, ...]
    level_sizes: tuple[int, ...]
    n_obs: int
    n_dropped_missing: int
    dropped_periods: tuple[Any, ...]


def _as_levels(levels: Sequence[str] | str | None, unit: str) -> tuple[str, ...]:
    if levels is None:
        levels = ()
    elif isinstance(levels, str):
        levels = (levels,)
    elif not isinstance(levels, Sequence):
        raise TypeError(
            f"levels: expected a list of column names (outermost first), got "
            f"{type(levels).__name__}."
        )
    out = [str(x) for x in levels]
    if len(set(out)) != len(out):
        raise ValueError(f"levels: each column may appear once, got {out}.")
    if unit not in out:
        out.append(unit)
    return tuple(out)


def _prepare(
    df: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    levels: tuple[str, ...],
    n: str | None,
    sd: str | None,
    never_treated: Any,
    anticipation: int,
    dropna: bool,
    placebo: bool = False,
) -> _Cells:
    if isinstance(never_treated, float) and np.isnan(never_treated):
        # never-treated coded as missing: recode on a copy so missing checks apply elsewhere
        v.require_columns(v.check_dataframe(df), {"cohort": cohort})
        df = df.assign(**{cohort: df[cohort].fillna(np.inf)})
        never_treated = np.inf
    if sd is not None and n is not None and isinstance(df, pd.DataFrame) and {sd, n} <= set(
        df.columns
    ):
        # a single response has no SD; it adds nothing to the within-cell sum of squares
        single = df[sd].isna() & (pd.to_numeric(df[n], errors="coerce") == 1)
        if single.any():
            df = df.assign(**{sd: df[sd].mask(single, 0.0)})
    cols: dict[str, str | None] = {"outcome": outcome, "unit": unit, "time": time,
                                   "cohort": cohort, "n": n, "sd": sd}
    for i, lev in enumerate(levels):
        if lev != unit:
            cols[f"levels[{i}]"] = lev
    data, missing = v.prepare(
        df, cols, numeric=["outcome", "time", "cohort", "n", "sd"], dropna=dropna,
        finite=False,  # a never-treated cohort may be coded inf; outcomes checked below
    )
    if sd is not None and n is None:
        raise ValueError(
            "sd= was given without n=: within-cell SDs need the cell counts. Pass n='<count "
            "column>' as well."
        )
    y = data[outcome].astype(float)
    # time: integer-like periods (the sampler indexes periods by position)
    tvals = data[time].to_numpy(dtype=float)
    if np.any(np.isfinite(tvals) & (tvals != np.round(tvals))):
        raise ValueError(
            f"Column {time!r} (argument time=) must hold whole-number periods (e.g. 1..8 or "
            "20231 for 2023Q1); recode dates to consecutive period numbers first."
        )
    # the checks every DiD estimator shares: finite outcome and periods, at least two
    # periods, each cohort a period of the panel and constant within its unit
    build_panel(data, outcome=outcome, unit=unit, time=time, cohort=cohort,
                never_treated=never_treated, aggregate=True)
    times = np.sort(np.unique(tvals))
    gvals = data[cohort].to_numpy(dtype=float)
    never = gvals == float(never_treated)
    first_t = times[0]
    pos = {float(t): i for i, t in enumerate(times)}
    early = np.unique([g for g in gvals[~never] if pos[float(g)] - anticipation <= 0])
    if early.size:
        raise ValueError(
            f"Cohort(s) {[float(g) for g in early]} in {cohort!r} have no untreated "
            f"pre-period (the first period is {first_t:g}"
            + (f", anticipation={anticipation}" if anticipation else "")
            + "): nothing identifies their counterfactual. Drop these units or extend the "
            "panel back in time."
        )
    if not never.any() and np.unique(gvals).size < 2:
        raise ValueError(
            f"Every unit is in cohort {gvals[0]:g} and none is never treated: there is no "
            "comparison group. Add never-treated or later-treated units."
        )
    # nesting: each level sits inside the previous one; the unit sits inside every level
    for lev in levels:
        if lev != unit:
            v.require_nested(data, unit, lev)
    for outer, inner in itertools.pairwise(levels):
        v.require_nested(data, inner, outer)

    dup = data.duplicated(subset=[unit, time], keep=False).any()
    if n is not None:
        v.require_unique_keys(
            data, [unit, time],
            hint="With n= each row is a unit-period mean; pass individual rows without n=.",
        )
        v.require_range(data, n, low=1, arg="n", hint="Counts must be at least 1.")
        if sd is not None:
            v.require_range(data, sd, low=0, arg="sd", hint="SDs cannot be negative.")
        shape = "means_sd" if sd is not None else "means"
    else:
        shape = "individual" if dup else "panel"

    work = pd.DataFrame({"_u": data[unit].to_numpy(), "_t": tvals, "_g": gvals, "_y": y})
    for i, lev in enumerate(levels):
        work[f"_l{i}"] = data[lev].to_numpy()
    if shape == "individual":
        grp = work.groupby(["_u", "_t"], sort=True, observed=True)
        cells = grp.agg(
            n=("_y", "size"), mean=("_y", "mean"), var=("_y", "var"), _g=("_g", "first"),
            **{f"_l{i}": (f"_l{i}", "first") for i in range(len(levels))},
        ).reset_index()
        cells["ss"] = (cells["n"] - 1) * cells["var"].fillna(0.0)
    else:
        cells = work.rename(columns={"_y": "mean"}).copy()
        if n is not None:
            cells["n"] = data[n].to_numpy(dtype=float)
            s = data[sd].to_numpy(dtype=float) if sd is not None else np.zeros(len(cells))
            cells["ss"] = (cells["n"] - 1) * s**2
        else:
            cells["n"] = 1.0
            cells["ss"] = 0.0
        cells = cells.sort_values(["_u", "_t"]).reset_index(drop=True)

    cells["_never"] = cells["_g"] == float(never_treated)
    tpos = np.searchsorted(times, cells["_t"].to_numpy())
    gpos = np.where(
        cells["_never"], -1, np.searchsorted(times, cells["_g"].to_numpy())
    )
    cells["_tpos"] = tpos
    cells["_e"] = np.where(cells["_never"], np.iinfo(np.int64).min // 2, tpos - gpos)
    cells["_treated"] = ~cells["_never"] & (cells["_e"] >= -anticipation)
    # placebo leads: pre-periods before the reference period e = -anticipation - 1
    cells["_lead"] = placebo & ~cells["_never"] & (cells["_e"] <= -anticipation - 2)

    # a period without a comparison cell (never or not yet treated, and not a placebo lead)
    # cannot separate its period effect from the effects estimated in it
    clean_t = set(cells.loc[~cells["_treated"] & ~cells["_lead"], "_t"].tolist())
    drop_t = tuple(t for t in times if t not in clean_t)
    if drop_t:
        cells = cells[cells["_t"].isin(clean_t)].reset_index(drop=True)
        times = np.array([t for t in times if t in clean_t])
    treated_g = np.sort(cells.loc[cells["_treated"], "_g"].unique())
    if treated_g.size == 0:
        raise ValueError(
            "No treated unit-period remains"
            + (f" after dropping periods {list(drop_t)} (no comparison units)" if drop_t else "")
            + ": nothing to estimate. Check cohort= and never_treated=."
        )
    v.require_min_groups(cells.rename(columns={"_t": time}), time, 2, arg="time")

    sizes = []
    for i in range(len(levels)):
        codes, uniq = pd.factorize(cells[f"_l{i}"], sort=True)
        cells[f"_l{i}"] = codes
        sizes.append(len(uniq))
    return _Cells(
        frame=cells,
        shape=shape,
        times=times,
        cohorts=treated_g,
        level_names=levels,
        level_sizes=tuple(sizes),
        n_obs=int(cells["n"].sum()),
        n_dropped_missing=missing.n_dropped,
        dropped_periods=tuple(float(t) for t in drop_t),
    )


# ---------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    center: float
    scale: float
    ge: pd.DataFrame  # treated (cohort, event_time) combos: cohort, time-free, e, n_units
    event_times: np.ndarray
    att_weights: np.ndarray  # over ge rows (post only), sums to 1
    event_weights: np.ndarray  # (E, K)
    cohort_sizes: dict[float, int]
    leads: pd.DataFrame  # placebo (cohort, event_time) combos, same columns as ge
    lead_times: np.ndarray
    lead_weights: np.ndarray  # (L, number of lead combos)


def _design(cells: _Cells) -> _Design:
    c = cells.frame
    n = c["n"].to_numpy(dtype=float)
    m = c["mean"].to_numpy(dtype=float)
    center = float(np.average(m, weights=n))
    between = float(np.average((m - center) ** 2, weights=n))
    within = float(c["ss"].sum() / max(n.sum(), 1.0))
    scale = float(np.sqrt(between + within))
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError("The outcome does not vary; nothing can be compared.")
    units = c.drop_duplicates("_u")
    sizes = units[~units["_never"]].groupby("_g").size()

    def combos(mask: pd.Series) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        tab = (
            c[mask].groupby(["_g", "_e"], sort=True)
            .agg(n_cells=("_t", "size"), time=("_t", "first"))
            .reset_index()
            .rename(columns={"_g": "cohort", "_e": "event_time"})
        )
        tab["n_units"] = tab["cohort"].map(sizes).astype(float)
        evs = np.sort(tab["event_time"].unique())
        ew = np.zeros((evs.size, len(tab)))
        for i, e in enumerate(evs):
            sel = (tab["event_time"] == e).to_numpy()
            ew[i, sel] = tab.loc[sel, "n_units"].to_numpy()
            ew[i] /= ew[i].sum()
        return tab, evs, ew

    ge, evs, ew = combos(c["_treated"])
    leads, lts, lw = combos(c["_lead"])
    post = (ge["event_time"] >= 0).to_numpy()
    w = np.where(post, ge["n_units"].to_numpy(), 0.0)
    if w.sum() == 0:
        raise ValueError("No treated unit-period at or after a cohort's start remains.")
    att_w = w / w.sum()
    return _Design(
        center=center,
        scale=scale,
        ge=ge,
        event_times=evs,
        att_weights=att_w,
        event_weights=ew,
        cohort_sizes={float(g): int(k) for g, k in sizes.items()},
        leads=leads,
        lead_times=lts,
        lead_weights=lw,
    )


def _build_model(cells: _Cells, d: _Design, event_pooling: str = "none") -> Any:
    import pymc as pm
    import pytensor.tensor as pt

    c = cells.frame
    n = c["n"].to_numpy(dtype=float)
    ybar = (c["mean"].to_numpy(dtype=float) - d.center) / d.scale
    ss_total = float(c["ss"].sum()) / d.scale**2
    df_within = float((n - 1).sum())
    has_within = cells.shape in ("individual", "means_sd") and df_within > 0
    multi = bool(np.any(n > 1))

    times = np.sort(c["_t"].unique())
    t_idx = np.searchsorted(times, c["_t"].to_numpy())
    # cohort means: reference is never-treated if present, else the last cohort
    gkeys = np.where(c["_never"], np.inf, c["_g"].to_numpy(dtype=float))
    glev = np.sort(np.unique(gkeys))
    g_idx = np.searchsorted(glev, gkeys)  # reference (never = inf, or last cohort) is last
    k_idx = _combo_index(c, "_treated", d.ge)
    e_of_k = np.searchsorted(d.event_times, d.ge["event_time"].to_numpy())

    coords = {
        "period": [str(t) for t in times[1:]],
        "cohort_mean": [str(g) for g in glev[:-1]],
        "event_time": [int(e) for e in d.event_times],
        "group_time": [f"{g:g}, {t:g}" for g, t in zip(d.ge["cohort"], d.ge["time"],
                                                       strict=True)],
        "placebo_group_time": [f"{g:g}, {t:g}" for g, t in
                               zip(d.leads["cohort"], d.leads["time"], strict=True)],
        "placebo_event_time": [int(e) for e in d.lead_times],
    }
    with pm.Model(coords=coords) as model:
        intercept = pm.Normal("intercept", 0.0, 2.0)
        period = pm.Normal("period_effect", 0.0, 1.0, dims="period")
        mu = intercept + pt.concatenate([pt.zeros(1), period])[t_idx]
        if len(glev) > 1:
            cmean = pm.Normal("cohort_mean_effect", 0.0, 1.0, dims="cohort_mean")
            mu = mu + pt.concatenate([cmean, pt.zeros(1)])[g_idx]
        for i, (name, size) in enumerate(zip(cells.level_names, cells.level_sizes,
                                             strict=True)):
            if size < 2:
                continue
            sd_l = pm.HalfNormal(f"sd_{name}", 1.0)
            z_l = pm.Normal(f"z_{name}", 0.0, 1.0, shape=size)
            mu = mu + sd_l * z_l[c[f"_l{i}"].to_numpy()]
        z_event = pm.Normal("z_event", 0.0, 1.0, dims="event_time")
        if event_pooling == "exchangeable":
            eff_mean = pm.Normal("effect_mean", 0.0, 1.0)
            theta = eff_mean + pm.HalfNormal("sd_event", 0.5) * z_event
        else:
            theta = z_event
        sd_cohort = pm.HalfNormal("sd_cohort", 0.5)
        z_ge = pm.Normal("z_group_time", 0.0, 1.0, dims="group_time")
        tau = theta[e_of_k] + sd_cohort * z_ge
        mu = mu + pt.concatenate([tau, pt.zeros(1)])[k_idx]
        if len(d.leads):
            # placebo leads are not pooled: shrinking them to zero would hide pre-trends
            lead = pm.Normal("z_placebo", 0.0, 1.0, dims="placebo_group_time")
            mu = mu + pt.concatenate([lead, pt.zeros(1)])[_combo_index(c, "_lead", d.leads)]

        sig_scale = 1.0 if cells.shape != "means" else float(max(1.0, np.sqrt(n.mean())))
        sigma = pm.HalfNormal("sigma", sig_scale)
        if multi and cells.shape != "panel":
            sd_cell = pm.HalfNormal("sd_cell", 0.5)
            sd_mean = pt.sqrt(sd_cell**2 + sigma**2 / n)
        else:
            sd_mean = sigma
        pm.Normal("cell_mean", mu, sd_mean, observed=ybar)
        if has_within:
            # within-cell sums of squares: the sigma-dependent part of the row likelihood
            pm.Potential("within_cell", -df_within * pt.log(sigma) - ss_total / (2 * sigma**2))

        s = d.scale
        pm.Deterministic("att_gt", tau * s, dims="group_time")
        pm.Deterministic("att", pt.dot(tau, d.att_weights) * s)
        pm.Deterministic("event_time_effect", pt.dot(d.event_weights, tau) * s,
                         dims="event_time")
        if len(d.leads):
            pm.Deterministic("placebo_gt", lead * s, dims="placebo_group_time")
            pm.Deterministic("placebo_effect", pt.dot(d.lead_weights, lead) * s,
                             dims="placebo_event_time")
    return model


def _combo_index(c: pd.DataFrame, mask: str, tab: pd.DataFrame) -> np.ndarray:
    """Row of ``tab`` (cohort, event_time) for each cell flagged ``mask``; len(tab) if not."""
    keys = pd.MultiIndex.from_arrays([tab["cohort"].astype(float), tab["event_time"].astype(int)])
    cell = pd.MultiIndex.from_arrays([c["_g"].astype(float), c["_e"].astype(int)])
    idx = keys.get_indexer(cell)
    return np.where(c[mask].to_numpy() & (idx >= 0), idx, len(tab)).astype(np.int64)


# ---------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------


_SHAPES = {
    "individual": "individual rows reduced to unit-period counts, means and within-cell sums "
    "of squares (exact)",
    "means": "unit-period means weighted by their counts (SD of a mean = "
    "sqrt(sd_cell^2 + sigma^2/n))",
    "means_sd": "unit-period means, SDs and counts (exact sufficient statistics)",
    "panel": "one observation per unit-period",
}


@dataclass(frozen=True)
class BayesianDiDResult(Result):
    """Posterior of a multilevel Bayesian DiD (see :func:`bayesian`).

    Parameters
    ----------
    estimate, std_error, ci_low, ci_high : float
        Posterior mean, SD and equal-tailed ``ci_level`` interval of the overall ATT.
    prob_positive : float
        Posterior probability that the ATT is above zero.
    event_time : DataFrame
        One row per event time (``term`` = ``event_time[e]``).
    group_time : DataFrame
        Cohort x period effects: cohort, time, event_time, estimate, std_error, ci_low,
        ci_high, ci_level, n_units.
    components : DataFrame
        Hyper-parameters and variance components on the outcome scale.
    diagnostics : coachstats.bayes.Diagnostics
    ci_level : float
        Probability of the equal-tailed credible intervals.
    att_row : DataFrame
        The overall ATT as a one-row table (first row of ``to_frame()``).
    data_shape : str
        Input shape: ``"individual"`` rows, unit-period ``"means"``, or ``"means_sd"``.
    n_obs : int
        Observations (individual rows, or people behind the means).
    n_cells : int
        Unit-period cells in the likelihood.
    n_units : int
        Units.
    level_sizes : dict of str to int
        Number of groups at each level of ``levels``.
    cohort_sizes : dict of float to int
        Units per cohort.
    anticipation : int
        Periods of anticipation allowed before the cohort start.
    placebo : bool
        Whether pre-treatment event times were estimated as placebos.
    event_pooling : str
        ``"none"`` or ``"exchangeable"`` (event-time effects sharing a common mean and SD).
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    dropped_periods : tuple of float
        Periods dropped because no never- or not-yet-treated unit was observed.
    draws, tune, chains : int
        Sampler settings.
    event_draws : ndarray or None
        Posterior draws of the event-time effects (draws x event times).
    idata : arviz.InferenceData or None
        The full posterior.

    Examples
    --------
    >>> import coachstats as cs                                       # doctest: +SKIP
    >>> sim = cs.simulate.engagement_panel(rng=1)                     # doctest: +SKIP
    >>> res = cs.did.bayesian(sim.data, outcome="engagement", unit="team", time="quarter",
    ...                       cohort="coached_from", draws=500, chains=2, rng=1)  # doctest: +SKIP
    >>> res.prob_positive > 0.5                                       # doctest: +SKIP
    True
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    prob_positive: float
    event_time: pd.DataFrame = field(repr=False, compare=False)
    group_time: pd.DataFrame = field(repr=False, compare=False)
    components: pd.DataFrame = field(repr=False, compare=False)
    diagnostics: Any = field(repr=False, compare=False)
    att_row: pd.DataFrame = field(repr=False, compare=False)
    data_shape: str = "individual"
    n_obs: int = 0
    n_cells: int = 0
    n_units: int = 0
    level_sizes: dict[str, int] = field(default_factory=dict)
    cohort_sizes: dict[float, int] = field(default_factory=dict)
    anticipation: int = 0
    placebo: bool = False
    event_pooling: str = "none"
    n_dropped: int = 0
    dropped_periods: tuple[float, ...] = ()
    draws: int = 0
    tune: int = 0
    chains: int = 0
    event_draws: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    idata: Any = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        return "Multilevel Bayesian difference-in-differences"

    def assumptions(self) -> list[str]:
        return [
            "Parallel trends: without coaching, every cohort's mean would have moved with the "
            "period effects shared by all cohorts.",
            "No anticipation"
            + (f" beyond {self.anticipation} period(s) before the start" if self.anticipation
               else ": outcomes do not change before coaching starts")
            + ".",
            "Treatment is absorbing (once coached, always coached) and starts at the cohort "
            "period for every unit in the cohort.",
            "Random intercepts for the grouping levels are normal and independent of cohort "
            "within cohort (cohort means are estimated separately).",
            "Individual responses are normal around the unit-period mean; responses of the same "
            "person in different periods are treated as independent given the unit intercept.",
        ]

    def limitations(self) -> list[str]:
        out = [
            "A Likert score is treated as continuous; floor and ceiling effects are not modelled.",
            "Cohort effects at the same event time are partially pooled, so a cohort with few "
            "units is shrunk towards the other cohorts (by design)."
            + (" Event-time effects are pooled too, which shrinks growing effects towards "
               "their mean." if self.event_pooling == "exchangeable" else ""),
        ]
        if self.data_shape == "individual":
            out.append(
                "When the same people answer in several periods, stable person differences "
                "inflate the within-cell spread but cancel over time, so intervals are "
                "conservative; with a person id, unit='<person column>' models person "
                "intercepts instead."
            )
        if self.data_shape == "means":
            out.append(
                "Without within-cell SDs, individual and cell-level variance are separated only "
                "through differing cell counts; pass sd= if available."
            )
        return out

    @property
    def notes(self) -> list[str]:
        pct = f"{self.ci_level:.0%}"
        out = [
            f"Posterior mean and SD; {pct} equal-tailed credible intervals. 'att' averages "
            "treated post-period cohort x period effects weighted by cohort size "
            "(Callaway-Sant'Anna 'simple'); 'event_time[e]' averages cohorts e periods after "
            "their start, weighted by cohort size.",
            f"Data: {_SHAPES[self.data_shape]}; {self.n_obs:,} observations in "
            f"{self.n_cells:,} unit-period cells of {self.n_units:,} units.",
            f"P(ATT > 0) = {self.prob_positive:.3f}.",
            f"{self.chains} chains x {self.draws} draws after {self.tune} tuning steps; "
            + ("diagnostics healthy." if self.diagnostics.ok else
               "DIAGNOSTICS POOR: " + " ".join(self.diagnostics.problems)),
        ]
        if self.dropped_periods:
            out.append(
                f"Periods {list(self.dropped_periods)} dropped: no never- or not-yet-treated "
                "comparison unit"
                + (" (outside placebo leads)" if self.placebo else "")
                + " is observed there."
            )
        if self.placebo:
            pl = self.event_time[self.event_time["kind"] == "placebo"]
            if len(pl):
                excl = int(((pl["ci_low"] > 0) | (pl["ci_high"] < 0)).sum())
                out.append(
                    f"Pre-trend check: {excl} of {len(pl)} placebo event-time effects have a "
                    f"{pct} interval excluding zero (largest |mean| "
                    f"{pl['estimate'].abs().max():.3f}); these are not part of 'att'."
                )
            else:
                out.append("Pre-trend check: no period before the reference period is observed.")
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values dropped.")
        return out

    def to_frame(self, include: str = "effects") -> pd.DataFrame:
        """Tidy posterior summary.

        Parameters
        ----------
        include : {"effects", "all"}
            ``"effects"``: ``att`` and ``event_time[e]`` rows; ``"all"`` adds the cohort x
            period effects (``att_gt[g, t]``) and the hyper-parameters.
        """
        include = v.check_choice(include, "include", ["effects", "all"])
        parts = [self.att_row, self.event_time]
        if include == "all":
            gt = self.group_time.copy()
            gt.insert(0, "term", [
                f"{'placebo_gt' if k == 'placebo' else 'att_gt'}[{g:g}, {t:g}]"
                for g, t, k in zip(gt["cohort"], gt["time"], gt["kind"], strict=True)
            ])
            parts += [gt.drop(columns=["cohort", "time", "event_time", "n_units"]),
                      self.components]
        return tidy_frame(pd.concat(parts, ignore_index=True).to_dict("records"))

    def interpret(self) -> list[Any]:
        """Label the ATT in SD units of individual engagement (Cohen 1988; WWC)."""
        from ..interpret import label

        comp = self.components.set_index("term")["estimate"]
        parts = [t for t in comp.index if t not in ("effect_mean", "sd_event", "sd_cohort")]
        var = sum(float(comp[t]) ** 2 for t in parts)
        d = self.estimate / np.sqrt(var)
        return [label(d, "cohen1988_d"), label(d, "wwc_g")]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Event-time posteriors: densities (violins), posterior means and intervals.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            ``color``: colour of the posterior means and intervals (default ``"C0"``); other
            keys are not used.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        ev = self.event_time
        e = ev["event_time"].to_numpy()
        if self.event_draws is not None:
            parts = ax.violinplot(list(self.event_draws.T), positions=e, widths=0.7,
                                  showextrema=False)
            for b in parts["bodies"]:
                b.set_alpha(0.25)
        for kind, color, marker in (("placebo", "C1", "s"), ("anticipation", "C2", "D"),
                                    ("effect", kwargs.get("color", "C0"), "o")):
            sel = ev[ev["kind"] == kind]
            if len(sel):
                ax.errorbar(
                    sel["event_time"], sel["estimate"],
                    yerr=[sel["estimate"] - sel["ci_low"], sel["ci_high"] - sel["estimate"]],
                    fmt=marker, color=color, capsize=3,
                    label=f"{kind}: posterior mean, {self.ci_level:.0%} ETI",
                )
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.axvline(-self.anticipation - 0.5, color="0.5", lw=0.8, ls="--")
        ax.set_xlabel("periods since coaching started (event time)")
        ax.set_ylabel("effect on outcome")
        ax.set_title(f"ATT = {self.estimate:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}]")
        ax.legend(loc="best", fontsize="small")
        return ax


# ---------------------------------------------------------------------------------------
# public function
# ---------------------------------------------------------------------------------------


@renamed_arguments(df="data")
def bayesian(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    levels: Sequence[str] | None = None,
    never_treated: float = 0,
    n: str | None = None,
    sd: str | None = None,
    anticipation: int = 0,
    placebo: bool = False,
    event_pooling: str = "none",
    dropna: bool = False,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.9,
    ci_level: float = 0.95,
    rng: RNGLike = None,
    progress: ProgressLike = False,
    person: str | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> BayesianDiDResult:
    """Multilevel Bayesian difference-in-differences for a staggered roll-out.

    Employees (rows) sit in units (teams) nested in higher levels (managers); cohorts start
    treatment in different periods. Cohort x event-time effects are partially pooled, units
    and levels get non-centred random intercepts, periods and cohorts get their own means.
    See the module docstring for the full model.

    Parameters
    ----------
    data : DataFrame
        Individual rows (several per unit-period), one row per unit-period, or unit-period
        means with counts (``n=``) and optionally within-cell SDs (``sd=``). Not modified.
    outcome, unit, time, cohort : str
        Columns: the outcome, the panel unit (e.g. team), the period (whole numbers), and the
        first treated period of the unit (``never_treated`` for never treated).
    levels : list of str, optional
        Grouping columns, outermost first, that get random intercepts (e.g. the manager
        column above a team unit); ``unit`` is added as the innermost level if missing. Each
        must nest in the previous one. None: the unit alone.
    never_treated : number
        Cohort code of never-treated units (``numpy.nan`` or ``numpy.inf`` if they are coded
        as missing or infinite).
    n, sd : str, optional
        Count and within-cell SD columns when rows are unit-period means (as returned by
        :func:`coachstats.did.aggregate_panel`; a missing SD is allowed where ``n == 1``).
    anticipation : int
        Periods before the start in which effects may already appear (they get their own
        event-time effects and are excluded from ``att``).
    placebo : bool
        Also estimate placebo effects for the pre-periods before the reference period
        (``event_time[-2]``, ... when ``anticipation=0``): each cohort's earlier periods get
        their own unpooled effects relative to the last pre-period, a pre-trend check. Needs a
        comparison cell (never- or not-yet-treated, not a lead) in every period kept.
    event_pooling : {"none", "exchangeable"}
        Whether event-time effects share a common mean and SD (see the module docstring).
        Cohort deviations within an event time are always partially pooled.
    dropna : bool
        Drop rows with missing values (counted in the result) instead of raising.
    draws, tune, chains, target_accept
        Sampler settings (nutpie NUTS).
    ci_level : float
        Probability of the equal-tailed credible intervals.
    rng : int, Generator or None
        Seeds the sampler.
    progress : bool or Progress
        Show a bar of the MCMC draws on standard error (``True``, e.g. in a notebook); a
        :class:`coachstats._progress.Progress` adds it to that display.
    person : str, optional
        Column identifying people (individual rows), used to count them.
    min_group_size : int
        Privacy threshold (default 5, never below 3): every cohort, and the never-treated
        group, must hold this many distinct people (``person``), else distinct units (with
        ``n=`` cell means, always units); a smaller cohort is refused with advice to merge
        it (see :mod:`coachstats.did._privacy`).

    Returns
    -------
    BayesianDiDResult

    Examples
    --------
    >>> import coachstats as cs                                   # doctest: +SKIP
    >>> sim = cs.simulate.engagement_panel(rng=1)                 # doctest: +SKIP
    >>> res = cs.did.bayesian(sim.data, outcome="engagement", unit="team", time="quarter",
    ...                       cohort="coached_from", draws=500, chains=2, rng=1)  # doctest: +SKIP
    >>> res.to_frame()                                            # doctest: +SKIP
    """
    from .. import bayes

    ci_level = v.check_ci_level(ci_level)
    event_pooling = v.check_choice(event_pooling, "event_pooling", ["none", "exchangeable"])
    for name, val, lo in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1),
                          ("anticipation", anticipation, 0)):
        v.check_int(val, name, minimum=lo)
    v.check_probability(target_accept, "target_accept")
    for name, val in (("outcome", outcome), ("unit", unit), ("time", time), ("cohort", cohort)):
        if not isinstance(val, str):
            raise TypeError(f"{name}: expected a column name, got {type(val).__name__}.")
    lev = _as_levels(levels, unit)
    cells = _prepare(
        data, outcome=outcome, unit=unit, time=time, cohort=cohort, levels=lev, n=n, sd=sd,
        never_treated=never_treated, anticipation=int(anticipation), dropna=dropna,
        placebo=bool(placebo),
    )
    check_cohort_sizes(data, unit, cohort, never_treated=never_treated, person=person,
                       min_group_size=min_group_size, what="did.bayesian", outcome=outcome)
    d = _design(cells)
    model = _build_model(cells, d, event_pooling)
    idata = bayes.sample(model, draws=draws, tune=tune, chains=chains,
                         target_accept=target_accept, rng=rng, progress=progress)

    hyper = [h for h in _HYPER if h in idata["posterior"]]
    level_sd = [f"sd_{name}" for name in cells.level_names if f"sd_{name}" in idata["posterior"]]
    lead_vars = ["placebo_effect", "placebo_gt"] if len(d.leads) else []
    diag = bayes.diagnose(
        idata, ["att", "event_time_effect", "att_gt", *lead_vars, *hyper, *level_sd]
    )

    att_row = bayes.posterior_table(idata, ["att"], ci_level=ci_level)

    def by_event(var: str, times: np.ndarray, combos: pd.DataFrame) -> pd.DataFrame:
        tab = bayes.posterior_table(idata, [var], ci_level=ci_level)
        tab["term"] = [f"event_time[{int(e)}]" for e in times]
        tab["event_time"] = times.astype(int)
        tab["n_cohorts"] = [int((combos["event_time"] == e).sum()) for e in times]
        return tab

    def by_cell(var: str, combos: pd.DataFrame) -> pd.DataFrame:
        tab = bayes.posterior_table(idata, [var], ci_level=ci_level)
        return pd.concat(
            [combos[["cohort", "time", "event_time", "n_units"]].reset_index(drop=True),
             tab.drop(columns=["term"])], axis=1,
        )

    ev = by_event("event_time_effect", d.event_times, d.ge)
    ev["kind"] = np.where(ev["event_time"] >= 0, "effect", "anticipation")
    gt = by_cell("att_gt", d.ge)
    gt["kind"] = np.where(gt["event_time"] >= 0, "effect", "anticipation")
    if len(d.leads):
        pev = by_event("placebo_effect", d.lead_times, d.leads)
        pgt = by_cell("placebo_gt", d.leads)
        pev["kind"] = pgt["kind"] = "placebo"
        ev = pd.concat([pev, ev], ignore_index=True)
        gt = pd.concat([pgt, gt], ignore_index=True)
    comp = bayes.posterior_table(idata, [*hyper, *level_sd], ci_level=ci_level)
    # back to the outcome scale (effect_mean is a location, the rest are SDs)
    for col in ("estimate", "std_error", "ci_low", "ci_high", "median"):
        comp[col] = comp[col] * d.scale
    a = bayes.draws(idata, "att").reshape(-1)
    evd = bayes.draws(idata, "event_time_effect")
    evd = evd.reshape(-1, evd.shape[-1])
    if len(d.leads):
        pd_ = bayes.draws(idata, "placebo_effect")
        evd = np.concatenate([pd_.reshape(-1, pd_.shape[-1]), evd], axis=1)
    r = att_row.iloc[0]
    return BayesianDiDResult(
        estimate=float(r["estimate"]),
        std_error=float(r["std_error"]),
        ci_low=float(r["ci_low"]),
        ci_high=float(r["ci_high"]),
        ci_level=ci_level,
        prob_positive=float(np.mean(a > 0)),
        event_time=ev,
        group_time=gt,
        components=comp,
        diagnostics=diag,
        att_row=att_row,
        data_shape=cells.shape,
        n_obs=cells.n_obs,
        n_cells=len(cells.frame),
        n_units=int(cells.frame["_u"].nunique()),
        level_sizes=dict(zip(cells.level_names, cells.level_sizes, strict=True)),
        cohort_sizes=d.cohort_sizes,
        anticipation=int(anticipation),
        placebo=bool(placebo),
        event_pooling=event_pooling,
        n_dropped=cells.n_dropped_missing,
        dropped_periods=cells.dropped_periods,
        draws=draws,
        tune=tune,
        chains=chains,
        event_draws=evd,
        idata=idata,
    )


# ---------------------------------------------------------------------------------------
# recovery check (registered by coachstats.did._recovery; module level so joblib can pickle)
# ---------------------------------------------------------------------------------------


def _recovery_generate(rng: RNGLike) -> Any:
    """The 200-manager, 8-quarter engagement study (generator defaults otherwise)."""
    from ..simulate import engagement_panel

    return engagement_panel(n_managers=200, periods=8, rng=rng)


def _recovery_estimate(data: pd.DataFrame, rng: RNGLike = None) -> BayesianDiDResult:
    return bayesian(data, outcome="engagement", unit="team", time="quarter",
                    cohort="coached_from", levels=["manager", "team"], draws=500, tune=500,
                    chains=2, rng=rng)


def _recovery_truth(sim: Any) -> dict[str, float]:
    """``att`` and ``event_time[e]`` on the observed (Likert-mean) scale."""
    return {k: val for k, val in sim.truth.terms().items() if not k.startswith("group[")}

