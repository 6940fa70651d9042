"""Cox proportional-hazards regression: Efron ties, cluster-robust SEs, PH check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import MissingReport, _rows, check_choice, check_ci_level, prepare
from ..results import Caution, Result, missing_reasons, new_axes, tidy_frame
from . import _coxfit as F
from ._common import (
    binary_events,
    check_clusters,
    check_durations,
    check_episodes,
    check_weights,
)
from ._guard import immortal_time_check
from ._km import km_steps

PH_TRANSFORMS = ("km", "rank", "identity", "log")


@dataclass(frozen=True, eq=False)
class PHCheckResult(Result):
    """Proportional-hazards check: the score test of R ``cox.zph`` and plain advice.

    ``to_frame()`` has one row per term and a ``GLOBAL`` row with ``chisq, df, p_value``,
    ``rho`` (correlation of the scaled Schoenfeld residuals with transformed time, as the
    pre-3.0 cox.zph printed) and ``advice`` (a short sentence, as data). ``binned`` holds
    mean scaled Schoenfeld residuals in time bins (aggregates only) for the plot.

    Parameters
    ----------
    table : DataFrame
        The table above.
    binned : DataFrame
        Binned mean scaled Schoenfeld residuals (for the plot).
    transform : str
        Time transform of the test (e.g. ``"km"``).
    alpha : float
        Level at which the advice flags a term.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.retention(rng=1)
    >>> fit = cs.survival.cox(sim.data, duration="months", event="event",
    ...                       event_of_interest="exit", covariates=["coached"])
    >>> fit.check_ph().table["term"].tolist()
    ['coached', 'GLOBAL']
    """

    table: pd.DataFrame
    binned: pd.DataFrame
    transform: str
    alpha: float

    @property
    def title(self) -> str:
        return f"Proportional-hazards check (score test, {self.transform} time scale)"

    @property
    def notes(self) -> list[str]:
        return [
            "Score test of adding g(t)*x for each term (Grambsch & Therneau 1994; the test R "
            f"survival >= 3 cox.zph reports). g = {self.transform!r} transform of time.",
            f"'advice' flags p < {self.alpha:g}; a large sample makes small departures "
            "significant, so look at the plot before acting.",
        ]

    @property
    def violations(self) -> list[str]:
        """Terms (not GLOBAL) whose test rejects proportional hazards at ``alpha``."""
        t = self.table
        return t.loc[(t["term"] != "GLOBAL") & (t["p_value"] < self.alpha), "term"].tolist()

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame(self.table.to_dict("records"))

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Binned scaled Schoenfeld residuals (estimate of beta(t)) per term; returns the Axes.

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
        for i, (term, b) in enumerate(self.binned.groupby("term", sort=False)):
            ax.errorbar(b["time"], b["beta_t"], yerr=1.96 * b["std_error"], fmt="o-",
                        color=f"C{i}", label=term, capsize=2)
            ax.axhline(b["beta"].iloc[0], color=f"C{i}", ls="--", lw=1)
        ax.set_xlabel("time (median of bin)")
        ax.set_ylabel("beta(t), binned (± 1.96 SE)")
        ax.legend(frameon=False)
        return ax


@dataclass(frozen=True, eq=False)
class CoxResult(Result):
    """Fitted Cox proportional-hazards model.

    ``to_frame()``: one row per term with the log hazard ratio as ``estimate`` (its SE and
    interval; cluster-robust when ``cluster`` was given) and ``hazard_ratio, hr_ci_low,
    hr_ci_high, z, p_value, naive_std_error``.

    Parameters
    ----------
    terms : tuple of str
        Model terms (dummy-coded covariates).
    coef : ndarray
        Log hazard ratios.
    cov : ndarray
        Model-based covariance (inverse information).
    robust_cov : ndarray or None
        Sandwich (cluster-robust) covariance, when used.
    ci_level : float
        Confidence level.
    ties : str
        ``"efron"`` or ``"breslow"``.
    cluster : str or None
        Cluster column of the robust standard errors.
    strata : str or None
        Stratification column (separate baseline hazards).
    n : int
        Rows (episodes with ``start``) analysed.
    n_events : int
        Events of interest.
    n_clusters : int or None
        Clusters of the robust standard errors.
    loglik, loglik_null : float
        Partial log-likelihood of the fit and of the null model.
    iterations : int
        Newton-Raphson iterations.
    converged : bool
        Whether the fit converged.
    baseline : DataFrame
        ``time, cumhaz``: the baseline cumulative hazard at covariates 0 (unstratified fits).
    ph_tests : dict of str to PHCheckResult
        Proportional-hazards checks computed so far, by time transform.
    missing : MissingReport
        Rows dropped for missing values, by column.
    start : str or None
        Episode start column (counting-process data).
    weights : str or None
        Case-weight column.
    n_people : int or None
        Distinct people behind episodes (with ``start`` and ``cluster``).
    landmark : float or None
        Landmark time of a landmark analysis.
    n_landmark_excluded : int or None
        People excluded by the landmark (no longer at risk at it).
    design_cautions : tuple of Caution
        Cautions about the design (e.g. immortal time).
    ph_inputs : tuple or None
        Internal: what :meth:`check_ph` needs to test other time transforms.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.retention(rng=1)
    >>> fit = cs.survival.cox(sim.data, duration="months", event="event",
    ...                       event_of_interest="exit", covariates=["coached"], cluster="manager")
    >>> fit.terms, fit.ties
    (('coached',), 'efron')
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray  # model-based (inverse information)
    robust_cov: np.ndarray | None
    ci_level: float
    ties: str
    cluster: str | None
    strata: str | None
    n: int
    n_events: int
    n_clusters: int | None
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    baseline: pd.DataFrame  # time, cumhaz at covariates = 0 (unstratified fits only)
    ph_tests: dict[str, PHCheckResult] = field(repr=False, compare=False)
    missing: MissingReport = field(repr=False, compare=False)
    start: str | None = None
    weights: str | None = None
    n_people: int | None = None
    landmark: float | None = None
    n_landmark_excluded: int | None = None
    design_cautions: tuple[Caution, ...] = field(default=(), repr=False, compare=False)
    ph_inputs: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        if self.landmark is not None:
            return f"Cox proportional-hazards model, landmark at {self.landmark:g}"
        return "Cox proportional-hazards model"

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """Failed checks: proportional hazards rejected, few clusters, immortal time."""
        out = list(self.design_cautions)
        try:
            g = self.check_ph().table
            p = float(g.loc[g["term"] == "GLOBAL", "p_value"].iloc[0])
        except (KeyError, IndexError):  # pragma: no cover - always present
            p = np.nan
        if np.isfinite(p) and p < 0.05:
            out.append(Caution(
                "ph_rejected",
                f"Proportional hazards rejected (cox.zph global test p = {p:.3g}): the hazard "
                "ratio changes over follow-up, so the single ratio is an average.", p))
        if self.n_clusters is not None and self.n_clusters < 20:
            out.append(Caution(
                "few_clusters",
                f"Only {self.n_clusters} clusters of {self.cluster!r}: a cluster-robust "
                "standard error is unreliable with fewer than 20 (intervals too narrow).",
                float(self.n_clusters)))
        if not self.converged:
            out.append(Caution("not_converged", "The Cox fit did not converge.", None))
        return tuple(out)

    @property
    def std_error(self) -> np.ndarray:
        v = self.robust_cov if self.robust_cov is not None else self.cov
        return np.sqrt(np.diag(v))

    @property
    def lr_test(self) -> tuple[float, int, float]:
        """Likelihood-ratio test of all coefficients = 0: (chisq, df, p)."""
        chi = 2 * (self.loglik - self.loglik_null)
        df = len(self.coef)
        return chi, df, float(stats.chi2.sf(chi, df))

    @property
    def n_dropped(self) -> int:
        """Rows left out for missing values (``dropna=True``)."""
        return self.missing.n_dropped

    @property
    def dropped(self) -> dict[str, int]:
        return missing_reasons(self.missing.n_dropped, self.missing.by_column)

    @property
    def notes(self) -> list[str]:
        se = (
            f"cluster-robust (sandwich) SEs by {self.cluster!r} ({self.n_clusters} clusters)"
            if self.cluster
            else ("robust (sandwich) SEs" if self.robust_cov is not None else "model-based SEs")
        )
        rows = (f"{self.n:,} (start, stop] episodes of {self.n_people:,} people"
                if self.start and self.n_people else
                f"{self.n:,} (start, stop] episodes" if self.start else f"{self.n:,} subjects")
        out = [
            f"{rows}, {self.n_events:,} events; {self.ties.capitalize()} ties; "
            f"{se}; Wald {self.ci_level:.0%} intervals.",
        ]
        if self.start:
            out.append(f"Time-varying covariates: each row is at risk over ({self.start}, "
                       "duration], so treatment counts only from when it began.")
        if self.weights:
            out.append(f"Case weights from {self.weights!r} (sandwich SEs unless robust=False).")
        if self.landmark is not None:
            out.append(
                f"Landmark analysis at time {self.landmark:g}: only the people still at risk "
                f"then ({self.n_landmark_excluded:,} had an event or left before it), with "
                "treatment status as of the landmark and time counted from it. A different "
                "landmark answers a different question: report the choice.")
        if self.strata:
            out.append(f"Stratified by {self.strata!r}: separate baseline hazard per stratum.")
        viol = self.check_ph().violations
        if viol:
            out.append(f"Proportional hazards questionable for: {', '.join(viol)} (check_ph()).")
        if not self.converged:
            out.append("WARNING: the fit did not converge; some coefficient may be infinite.")
        if self.missing.n_dropped:
            out.append(f"{self.missing.n_dropped} row(s) with missing values were dropped.")
        return out

    def assumptions(self) -> list[str]:
        a = [
            "Proportional hazards: each hazard ratio is constant over follow-up (see check_ph()).",
            "Censoring is independent of the event given the covariates.",
            "Log-linear covariate effects.",
        ]
        if self.cluster:
            a.append(
                f"Clusters ({self.cluster}) are independent; the sandwich SE needs many "
                "clusters (roughly 40+)."
            )
        return a

    def limitations(self) -> list[str]:
        out = [
            "A hazard ratio is causal only if the covariates remove confounding (e.g. "
            "randomised coaching).",
        ]
        if self.cluster:
            out.append(
                "With clustering the hazard ratio is population-averaged; with manager frailty "
                "it is slightly closer to 1 than the within-manager (conditional) ratio."
            )
        return out

    def to_frame(self, scale: str = "log") -> pd.DataFrame:
        """One row per term.

        ``scale="log"`` (default): ``estimate``/``ci_*`` are log hazard ratios with their SE.
        ``scale="hr"``: ``estimate``/``ci_*`` are hazard ratios (``std_error`` stays the SE of
        the log ratio). Both add ``hazard_ratio, hr_ci_low, hr_ci_high, z, p_value,
        naive_std_error``.
        """
        scale = check_choice(scale, "scale", ("log", "hr"))
        z = stats.norm.ppf(0.5 + self.ci_level / 2)
        se = self.std_error
        naive = np.sqrt(np.diag(self.cov))
        rows = []
        for j, term in enumerate(self.terms):
            b, s = float(self.coef[j]), float(se[j])
            lo, hi = b - z * s, b + z * s
            est = (b, lo, hi) if scale == "log" else (np.exp(b), np.exp(lo), np.exp(hi))
            rows.append(
                {
                    "term": term,
                    "estimate": est[0],
                    "std_error": s,
                    "ci_low": est[1],
                    "ci_high": est[2],
                    "ci_level": self.ci_level,
                    "scale": "log hazard ratio" if scale == "log" else "hazard ratio",
                    "hazard_ratio": np.exp(b),
                    "hr_ci_low": np.exp(lo),
                    "hr_ci_high": np.exp(hi),
                    "z": b / s,
                    "p_value": float(2 * stats.norm.sf(abs(b / s))),
                    "naive_std_error": float(naive[j]),
                }
            )
        return tidy_frame(rows)

    def check_ph(self, transform: str = "km", alpha: float = 0.05) -> PHCheckResult:
        """Proportional-hazards check (R ``cox.zph(fit, transform=)``), advice as data."""
        transform = check_choice(transform, "transform", PH_TRANSFORMS)
        if transform not in self.ph_tests:  # computed on first use, then kept
            self.ph_tests[transform] = _ph_result(*self.ph_inputs, transform)
        res = self.ph_tests[transform]
        if alpha == res.alpha:
            return res
        return PHCheckResult(res.table.assign(advice=_advice(res.table, alpha)), res.binned,
                             transform, alpha)

    def turnover_cost(self, salary: float, replacement_cost_share: float, *,
                      n_employees: float, horizon: float | None = None,
                      baseline_risk: float | None = None, term: str | None = None,
                      program_cost: float | None = None) -> Any:
        """Exits avoided and replacement cost implied by this model (see
        :func:`coachstats.survival.turnover_cost`)."""
        from ._cost import turnover_cost

        return turnover_cost(self, salary, replacement_cost_share, n_employees=n_employees,
                             horizon=horizon, baseline_risk=baseline_risk, term=term,
                             program_cost=program_cost)

    def baseline_risk(self, horizon: float) -> float:
        """1 - exp(-H0(horizon)): event probability by ``horizon`` at covariates = 0."""
        if self.strata:
            raise ValueError("baseline_risk is undefined for a stratified fit (one per stratum).")
        b = self.baseline
        h = b.loc[b["time"] <= horizon, "cumhaz"]
        return float(1 - np.exp(-(h.iloc[-1] if len(h) else 0.0)))

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of hazard ratios (log axis); returns the Axes.

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
        f = self.to_frame()
        y = np.arange(len(f))[::-1]
        ax.errorbar(f["hazard_ratio"], y,
                    xerr=[f["hazard_ratio"] - f["hr_ci_low"], f["hr_ci_high"] - f["hazard_ratio"]],
                    fmt="o", color="C0", capsize=3)
        ax.axvline(1, color="0.5", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_yticks(y, f["term"])
        ax.set_xlabel(f"hazard ratio ({self.ci_level:.0%} CI)")
        return ax


def _advice(table: pd.DataFrame, alpha: float) -> list[str]:
    out = []
    for _, r in table.iterrows():
        if np.isnan(r["p_value"]):
            out.append("not available on this time scale (e.g. log of a zero duration)")
        elif r["term"] == "GLOBAL":
            out.append(
                "no overall evidence against proportional hazards"
                if r["p_value"] >= alpha
                else "overall evidence against proportional hazards: inspect each term"
            )
        elif r["p_value"] >= alpha:
            out.append("no evidence against a constant hazard ratio")
        else:
            direction = "weakens" if r["rho"] * np.sign(r["beta"]) < 0 else "strengthens"
            if np.isnan(r["rho"]):
                direction = "changes"
            out.append(
                f"hazard ratio {direction} over time: report it as an average, or stratify "
                "on this term, add a time interaction, or split follow-up"
            )
    return out


def _design(frame: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    cols, names = [], []
    for c in covariates:
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols.append(s.to_numpy(dtype=float))
            names.append(c)
            continue
        levels = sorted(pd.unique(s), key=str)
        if len(levels) < 2:
            raise ValueError(f"covariate {c!r} has a single level {levels[0]!r}; drop it.")
        for lev in levels[1:]:  # first level is the reference (R treatment contrasts)
            cols.append((s == lev).to_numpy(dtype=float))
            names.append(f"{c}[{lev}]")
    x = np.column_stack(cols)
    fin = np.isfinite(x)
    if not fin.all():
        j = int(np.flatnonzero(~fin.all(axis=0))[0])
        raise ValueError(
            f"covariate {names[j]!r} has non-finite values (inf or -inf) in rows "
            f"{_rows(frame.index[~fin[:, j]])}; replace them with finite numbers or missing "
            "values (then pass dropna=True)."
        )
    const = np.ptp(x, axis=0) == 0
    if const.any():
        bad = [n for n, k in zip(names, const, strict=True) if k]
        raise ValueError(
            f"covariate(s) {bad} never vary; a Cox model has no intercept, so a constant "
            "covariate cannot be estimated. Drop it."
        )
    if np.linalg.matrix_rank(x - x.mean(axis=0)) < x.shape[1]:
        raise ValueError(
            f"covariates {names} are collinear (one is a combination of the others); drop one."
        )
    return x, names


def _codes(s: pd.Series) -> np.ndarray:
    return pd.factorize(s, sort=True)[0].astype(np.int64)


def cox(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    start: str | None = None,
    weights: str | None = None,
    ties: str = "efron",
    cluster: str | None = None,
    strata: str | None = None,
    robust: bool | None = None,
    ci_level: float = 0.95,
    event_of_interest: Any = None,
    immortal_time: str = "refuse",
    dropna: bool = False,
) -> CoxResult:
    """Cox proportional-hazards regression, with time-varying covariates via episodes.

    Parameters
    ----------
    data : DataFrame
        One row per person, or (with ``start``) one row per (start, stop] episode; never
        modified.
    duration, event : str
        Follow-up time (non-negative; the episode's stop time with ``start``) and event
        indicator (1 = event, 0 = censored; with episodes, 1 only on the episode that ends
        with the event).
    covariates : list of str
        Numeric or boolean columns; text/categorical columns are dummy-coded with their
        first (sorted) level as reference, named ``col[level]``.
    start : str, optional
        Column with each episode's start time: rows are counting-process episodes (R
        ``Surv(start, stop, event)``), so a covariate may change over follow-up (coaching
        that begins 14 months after hire is 0 before and 1 after). Also gives delayed entry.
        Pass ``cluster=`` with the person column for SEs that respect the repeated rows.
    weights : str, optional
        Column of non-negative case weights (e.g. inverse-probability weights; R
        ``coxph(weights=)``). Sandwich SEs are used unless ``robust=False``.
    ties : {"efron", "breslow"}
        Handling of tied event times. "efron" is R ``coxph``'s default and more accurate
        with many ties (monthly data).
    cluster : str, optional
        Column of cluster ids (e.g. manager, or person with episodes): SEs become the
        grouped sandwich (R ``coxph(..., cluster = manager)``), sum of dfbeta residuals
        within cluster.
    strata : str, optional
        Column defining strata with separate baseline hazards (R ``strata()``). Stratifying
        on manager estimates the within-manager hazard ratio whatever the manager frailty.
    robust : bool, optional
        Sandwich SEs without clusters (one subject per cluster). Defaults to True when
        ``cluster`` or ``weights`` is given.
    ci_level : float
        Level of the Wald intervals (default 0.95).
    event_of_interest : optional
        Code in ``event`` counted as the event; all other codes are censored, which gives
        the cause-specific hazard ratio when events compete (e.g. exit vs promotion).
    immortal_time : {"refuse", "allow"}
        What to do when a covariate is marked as starting after the time origin (see
        :func:`coachstats.survival.mark_after_origin`) and is used as a baseline covariate
        (no ``start``): "refuse" (default) raises, naming the bias and the two remedies;
        "allow" fits it and returns an ``immortal_time`` caution.
    dropna : bool
        Drop rows with missing values (counted) instead of raising.

    Returns
    -------
    CoxResult
        ``to_frame()``, ``check_ph()``, ``baseline_risk(horizon)``, ``plot()``, ``cautions``.

    Notes
    -----
    Written in NumPy (Newton-Raphson with step halving on the Efron partial likelihood)
    rather than with statsmodels' ``PHReg``: PHReg fits the same coefficients (a test checks
    they agree), but the R-matching cluster sandwich (dfbeta residuals with the Efron split
    of tied deaths), strata together with clusters, and the cox.zph score test all need the
    per-event-time Efron sums, which PHReg does not expose. lifelines is not used (it caps
    pandas below 3). Coefficients, model-based and cluster-robust SEs and cox.zph tests agree
    with R ``survival`` 3.5 (tests/reference/survival_cox.R), including (start, stop]
    episodes from ``tmerge`` and case weights (tests/reference/survival_tv_reference.R).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.retention(rng=1)
    >>> fit = cox(sim.data, duration="months", event="event", event_of_interest="exit",
    ...           covariates=["coached"], cluster="manager")
    >>> fit.to_frame()[["term", "hazard_ratio"]].shape
    (1, 2)
    """
    ties = check_choice(ties, "ties", ("efron", "breslow"))
    lvl = check_ci_level(ci_level)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    if not covariates:
        raise ValueError("covariates: give at least one column (a null model has no ratio).")
    design_cautions = () if start else immortal_time_check(
        data, covariates, policy=immortal_time, where="survival.cox")
    cols = {"duration": duration, "event": event, "cluster": cluster, "strata": strata,
            "start": start, "weights": weights}
    cols.update({f"covariates[{i}]": c for i, c in enumerate(covariates)})
    frame, missing = prepare(data, cols, numeric=["duration", "start", "weights"],
                             dropna=dropna, finite=False)
    t = check_durations(frame, duration)
    entry = check_episodes(frame, start, duration) if start else None
    w = check_weights(frame, weights) if weights else None
    check_clusters(frame, cluster)
    d = binary_events(frame, event, event_of_interest=event_of_interest)
    if d.sum() == 0:
        raise ValueError(f"Column {event!r} (argument event=) has no events; nothing to fit.")
    if entry is None and np.all(t[d == 1] == 0):
        raise ValueError(
            f"Column {duration!r} (argument duration=): every event happens at time 0, so "
            "nobody is at risk before an event and there is no hazard to compare. Check the "
            "time origin (durations are time since the start of follow-up, e.g. hire date), "
            "and that the end date is not the same as the start date."
        )
    x, names = _design(frame, covariates)
    st = _codes(frame[strata]) if strata else np.zeros(len(t), dtype=np.int64)
    cd = F.build(t, d, x, st, ties, start=entry, w=w)
    with np.errstate(all="ignore"):
        beta, rs, ll0, it, conv = _newton_quiet(cd)
    info = F.information(cd, rs)
    _check_monotone(cd, rs, beta, info, names, conv, event)
    cov = np.linalg.inv(info)
    use_robust = robust if robust is not None else (cluster is not None or weights is not None)
    robust_cov, n_clusters = None, None
    if use_robust:
        dfb = (F.score_residuals(cd, rs) * cd.w[:, None]) @ cov
        if cluster:
            cl = _codes(frame[cluster])[cd.order]
            n_clusters = int(cl.max() + 1)
            agg = np.zeros((n_clusters, len(beta)))
            np.add.at(agg, cl, dfb)
            dfb = agg
        robust_cov = dfb.T @ dfb
    # pooled KM S(t-) at each sorted time (delayed entry with episodes), for cox.zph "km"
    km = km_steps(t, d, entry=None if entry is None else entry)
    idx = np.searchsorted(km["time"].to_numpy(), cd.t, side="left")
    s_minus = np.concatenate([[1.0], km["survival"].to_numpy()])[idx]
    ph_inputs = (cd, rs, beta, names, s_minus)
    if strata:
        base = pd.DataFrame({"time": [], "cumhaz": []})
    else:
        bt, bh = F.breslow_baseline(cd, rs, beta)
        base = pd.DataFrame({"time": bt, "cumhaz": bh})
    n_people = int(frame[cluster].nunique()) if (start and cluster) else None
    return CoxResult(
        terms=tuple(names), coef=beta + 0.0, cov=cov, robust_cov=robust_cov, ci_level=lvl,
        ties=ties, cluster=cluster, strata=strata, n=len(t), n_events=int(d.sum()),
        n_clusters=n_clusters, loglik=rs.loglik, loglik_null=ll0, iterations=it,
        converged=conv, baseline=base, ph_tests={}, missing=missing, start=start,
        weights=weights, n_people=n_people, design_cautions=design_cautions,
        ph_inputs=ph_inputs,
    )


def _newton_quiet(cd: F.CoxData) -> tuple[np.ndarray, F.RowSums, float, int, bool]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return F.newton(cd)


def _check_monotone(cd: F.CoxData, rs: F.RowSums, beta: np.ndarray, info: np.ndarray,
                    names: list[str], converged: bool, event: str) -> None:
    """Raise when a coefficient runs off to infinity (monotone likelihood), naming it.

    The rule is R ``coxph``'s: a coefficient whose one-step Newton update is still large
    relative to its value (R then warns "Loglik converged before variable ...; coefficient
    may be infinite").
    """
    score = F.score_vector(cd, rs)
    with np.errstate(all="ignore"):
        try:
            step = np.abs(np.linalg.lstsq(info, score, rcond=None)[0])
        except np.linalg.LinAlgError:  # pragma: no cover - lstsq rarely fails
            step = np.full(len(beta), np.inf)
    flagged = (step > 1e-6) & (step > np.sqrt(1e-9) * np.abs(beta))
    sd = cd.x.std(axis=0)
    flagged |= ~np.isfinite(beta) | (np.abs(beta) * sd > 15)
    if not converged:
        flagged |= np.abs(beta) * sd > 5
    small = np.linalg.cond(info) > 1e12 if np.all(np.isfinite(info)) else True
    if flagged.any() or small:
        bad = [n for n, f in zip(names, flagged, strict=True) if f] or names
        raise ValueError(
            f"covariate(s) {bad} separate the events in {event!r} from the non-events (or "
            "nearly so): the partial likelihood keeps rising as the coefficient grows, so "
            "the hazard ratio is infinite (monotone likelihood; R coxph warns 'coefficient "
            "may be infinite'). Check for a group with no events, drop or merge the "
            "offending category, or use a penalised (Firth-type) Cox model."
        )


def _ph_result(cd: F.CoxData, rs: F.RowSums, beta: np.ndarray, names: list[str],
               s_minus: np.ndarray, transform: str, alpha: float = 0.05) -> PHCheckResult:
    p = len(beta)
    if transform == "log" and np.any(cd.t <= 0):
        # log time is undefined at 0: report the check as unavailable rather than warn
        z = {"tests": np.full(p, np.nan), "global": np.nan,
             "scaled": np.full((len(cd.death_idx), p), np.nan), "x": np.full(len(cd.death_idx),
                                                                             np.nan),
             "time": cd.t[cd.death_idx]}
    else:
        try:
            with np.errstate(all="ignore"):
                z = F.zph(cd, rs, beta, transform, s_minus)
        except (np.linalg.LinAlgError, ValueError):
            # a singular test matrix must not sink the fit: report the check as unavailable
            z = {"tests": np.full(p, np.nan), "global": np.nan,
                 "scaled": np.full((len(cd.death_idx), p), np.nan),
                 "x": np.full(len(cd.death_idx), np.nan), "time": cd.t[cd.death_idx]}
    rows = []
    for j, name in enumerate(names):
        y = z["scaled"][:, j]
        ok = ~np.isnan(y) & ~np.isnan(z["x"])
        with np.errstate(all="ignore"):
            rho = (float(np.corrcoef(z["x"][ok], y[ok])[0, 1])
                   if ok.sum() > 2 and np.ptp(y[ok]) > 0 and np.ptp(z["x"][ok]) > 0 else np.nan)
        rows.append({"term": name, "chisq": z["tests"][j], "df": 1,
                     "p_value": float(stats.chi2.sf(z["tests"][j], 1)), "rho": rho,
                     "beta": float(beta[j])})
    rows.append({"term": "GLOBAL", "chisq": z["global"], "df": p,
                 "p_value": float(stats.chi2.sf(z["global"], p)), "rho": np.nan,
                 "beta": np.nan})
    table = pd.DataFrame(rows)
    table["advice"] = _advice(table, alpha)
    # aggregate the residuals into at most 8 bins of event time (never individual values)
    n_ev = len(z["time"])
    nb = int(max(1, min(8, n_ev // 10)))
    bins = np.minimum((np.argsort(np.argsort(z["x"], kind="stable")) * nb) // n_ev, nb - 1)
    binned = []
    for j, name in enumerate(names):
        for b in range(nb):
            m = (bins == b) & ~np.isnan(z["scaled"][:, j])
            if m.sum() < 2:
                continue
            yy = z["scaled"][m, j]
            binned.append({"term": name, "bin": b, "time": float(np.median(z["time"][m])),
                           "beta_t": float(yy.mean()),
                           "std_error": float(yy.std(ddof=1) / np.sqrt(m.sum())),
                           "n_events": int(m.sum()), "beta": float(beta[j])})
    return PHCheckResult(table, pd.DataFrame(binned), transform, alpha)


__all__ = ["CoxResult", "PHCheckResult", "cox"]
