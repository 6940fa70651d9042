"""Results of the variance decomposition: components, ICCs, between-unit shares, profiles.

Kept apart from the fitting code (:mod:`coachstats.variance.decompose` for rows,
:mod:`coachstats.variance._cells` for a Parquet path or Dask DataFrame), which both build a
:class:`VarianceResult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_choice, check_ci_level
from ..interpret import RULES, Interpretation, label
from ..results import Result, new_axes, tidy_frame
from ._data import RESIDUAL

__all__ = ["BetweenShare", "ProfileIntervals", "VarianceResult"]

#: ICC(1) bands (.01 small, .10 medium, .25 large) and ICC(2) >= .70, LeBreton & Senter (2008)
ICC1_RULE = RULES["lebreton_senter2008_icc1"]
ICC2_RULE = RULES["lebreton_senter2008_icc2"]


@dataclass(frozen=True)
class BetweenShare(Result):
    """Share of the variance of ``level`` means (or of individual scores) between ``of``.

    Parameters
    ----------
    level : str
        The unit whose means are compared (or ``"residual"`` for individual scores).
    of : str
        The outer level.
    means : str
        ``"true"`` or ``"observed"`` means (see :meth:`VarianceResult.between_share`).
    estimate, std_error, ci_low, ci_high : float
        The share, its standard error and ``ci_level`` interval.
    ci_level : float
        Level of the interval.
    interval : str
        How the interval was made (bootstrap or posterior).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import coachstats as cs
    >>> g = np.random.default_rng(0)
    >>> manager = np.repeat(np.arange(20), 12)
    >>> team = np.repeat(np.arange(60), 4)
    >>> y = g.normal(0, 0.5, 20)[manager] + g.normal(0, 0.5, 60)[team] + g.normal(0, 1, 240)
    >>> d = pd.DataFrame({"manager": manager, "team": team, "y": y})
    >>> res = cs.variance.decompose(d, "y", ["manager", "team"], n_boot=0)
    >>> res.between_share(level="team", of="manager").of
    'manager'
    """

    level: str
    of: str
    means: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    ci_level: float
    interval: str

    @property
    def title(self) -> str:
        what = "individual scores" if self.level == RESIDUAL else f"{self.means} {self.level} means"
        return f"Share of the variance of {what} that lies between {self.of}s"

    @property
    def notes(self) -> list[str]:
        return [f"Interval: {self.interval}."]

    def __float__(self) -> float:
        return float(self.estimate)

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame([{
            "term": f"between_share_{self.level}_of_{self.of}", "estimate": self.estimate,
            "std_error": self.std_error, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "ci_level": self.ci_level, "level": self.level, "of": self.of, "means": self.means,
        }])  # fmt: skip


@dataclass(frozen=True)
class ProfileIntervals(Result):
    """Profile-likelihood intervals of the SDs of a nested model (lme4's ``confint()``).

    ``table`` has one row per level (outer to inner) and the residual: ``term``
    (``sd_<level>``), ``estimate`` (the fit's SD), ``ml_estimate`` (the profile's centre),
    ``ci_low``, ``ci_high``, ``ci_level``, ``variance_ci_low``, ``variance_ci_high``.

    Parameters
    ----------
    table : DataFrame
        The table above.
    outcome : str
        Outcome column.
    method : str
        ``"reml"`` or ``"ml"``: the fit whose SDs are reported.
    ci_level : float
        Level of the intervals.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import coachstats as cs
    >>> g = np.random.default_rng(0)
    >>> team = np.repeat(np.arange(30), 6)
    >>> y = g.normal(0, 0.6, 30)[team] + g.normal(0, 1, 180)
    >>> res = cs.variance.decompose(pd.DataFrame({"team": team, "y": y}), "y", ["team"],
    ...                             n_boot=0)
    >>> res.profile_intervals().ci_level
    0.95
    """

    table: pd.DataFrame = field(repr=False)
    outcome: str
    method: str
    ci_level: float

    @property
    def title(self) -> str:
        return f"Profile-likelihood intervals of the standard deviations of {self.outcome}"

    @property
    def notes(self) -> list[str]:
        pct = f"{100 * self.ci_level:g}%"
        return [
            f"{pct} intervals: the SDs whose profile ML deviance (every other parameter "
            f"re-estimated) is within the chi-square(1) {pct} quantile of its minimum, as "
            "lme4's confint(method = 'profile'), with exact end points.",
            "The ML deviance is profiled also after a REML fit, as in lme4; estimate is this "
            f"fit's ({self.method.upper()}) SD and ml_estimate the centre of the profile.",
            "A lower end point of 0: the data cannot rule out that the level adds no variance.",
        ]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """SD of each level with its profile interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to matplotlib's ``Axes.errorbar`` (``color`` defaults to ``"C0"``).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        t = self.table
        y = np.arange(len(t))
        est = t["ml_estimate"].to_numpy(float)
        err = np.vstack([est - t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float) - est])
        ax.errorbar(est, y, xerr=err, fmt="o", color=kwargs.pop("color", "C0"), capsize=3,
                    **kwargs)
        ax.set_yticks(y, t["level"].tolist())
        ax.invert_yaxis()
        ax.set_xlim(left=0)
        ax.set_xlabel(f"standard deviation of {self.outcome} "
                      f"(ML, {100 * self.ci_level:g}% profile interval)")
        return ax


@dataclass(frozen=True)
class VarianceResult(Result):
    """Variance components of a nested random-intercept model and the shares built on them.

    Parameters
    ----------
    levels : tuple of str
        Grouping columns, outer to inner; ``"residual"`` is the variance between people
        within the innermost group (plus measurement error).
    variances : ndarray
        Point estimates, one per level (outer to inner) then the residual.
    draws : ndarray or None
        Bootstrap (REML/ML) or posterior (bayes) draws of the same vector, shape (B, L + 1).
    outcome : str
        Outcome column.
    method : str
        ``"reml"``, ``"ml"`` or ``"bayes"``.
    fixed : DataFrame
        Fixed effects (intercept, covariates, occasion means).
    n : int
        Observations.
    n_groups : tuple of int
        Groups at each level, outer to inner.
    mean_group_size : tuple of float
        Mean observations per group at each level.
    ci_level : float
        Level of the intervals.
    criterion : float
        REML or ML criterion at the optimum (NaN for a Bayesian fit).
    converged : bool
        Whether the optimiser (or sampler) converged.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    interval : str
        How the intervals were made (bootstrap, posterior, or ``"none (n_boot=0)"``).
    err_coef : tuple of ndarray
        Per level, the coefficients giving each group mean's sampling-error variance from
        the variance vector (used for observed-means shares).
    diagnostics : Diagnostics or None
        Sampler diagnostics of a Bayesian fit.
    idata : arviz.InferenceData or None
        The posterior of a Bayesian fit.
    single_child_share : tuple of float
        Per level, the share of groups with a single member at the level below.
    design : object or None
        The model design kept for :meth:`profile_intervals` (None for a Bayesian fit).
    person : str or None
        Person column of repeated answers (then the residual is within-person).
    occasion : str or None
        Wave column whose means enter as fixed effects.
    mean_people : tuple of float
        With ``person``: mean distinct people per group at each level.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import coachstats as cs
    >>> g = np.random.default_rng(0)
    >>> team = np.repeat(np.arange(30), 6)
    >>> y = g.normal(0, 0.6, 30)[team] + g.normal(0, 1, 180)
    >>> res = cs.variance.decompose(pd.DataFrame({"team": team, "y": y}), "y", ["team"],
    ...                             n_boot=0)
    >>> res.levels, res.n_groups
    (('team',), (30,))
    """

    outcome: str
    levels: tuple[str, ...]
    method: str
    variances: np.ndarray = field(repr=False)
    draws: np.ndarray | None = field(repr=False, compare=False)
    fixed: pd.DataFrame = field(repr=False, compare=False)
    n: int
    n_groups: tuple[int, ...]
    mean_group_size: tuple[float, ...]
    ci_level: float
    criterion: float
    converged: bool
    n_dropped: int
    interval: str
    err_coef: tuple[np.ndarray, ...] = field(repr=False, compare=False)
    diagnostics: Any = field(default=None, repr=False, compare=False)
    idata: Any = field(default=None, repr=False, compare=False)
    single_child_share: tuple[float, ...] = ()
    design: Any = field(default=None, repr=False, compare=False)
    person: str | None = None
    occasion: str | None = None
    #: mean number of distinct people per group at each level (with ``person``)
    mean_people: tuple[float, ...] = ()

    # ---------------------------------------------------------------- quantities
    @property
    def names(self) -> tuple[str, ...]:
        """Component names: the levels (outer to inner), then ``"residual"``."""
        return (*self.levels, RESIDUAL)

    def _index(self, level: str, arg: str) -> int:
        if level in (RESIDUAL, None, "individual"):
            return len(self.levels)
        if level not in self.levels:
            raise ValueError(
                f"{arg}={level!r} is not a level of this model; choose one of "
                f"{[*self.levels, RESIDUAL]}."
            )
        return self.levels.index(level)

    def _summarise(self, fn: Callable[[np.ndarray], np.ndarray]) -> dict[str, float]:
        """Estimate, SE and interval of a function of the variance vector."""
        a = (1 - self.ci_level) / 2
        nan = {"std_error": math.nan, "ci_low": math.nan, "ci_high": math.nan}
        if self.draws is None or len(self.draws) < 2:
            return {"estimate": float(fn(self.variances[None, :])[0]), **nan}
        x = fn(self.draws)
        x = x[np.isfinite(x)]
        est = float(np.mean(x)) if self.method == "bayes" else float(fn(self.variances[None])[0])
        return {
            "estimate": est, "std_error": float(np.std(x, ddof=1)),
            "ci_low": float(np.quantile(x, a)), "ci_high": float(np.quantile(x, 1 - a)),
        }  # fmt: skip

    def _reliability(self, lev: int) -> Callable[[np.ndarray], np.ndarray]:
        coef = self.err_coef[lev]

        def f(v: np.ndarray) -> np.ndarray:
            true = v[:, : lev + 1].sum(axis=1)
            err = v @ coef.T  # (B, G)
            return (true[:, None] / (true[:, None] + err)).mean(axis=1)

        return f

    @property
    def components(self) -> pd.DataFrame:
        """One row per level and the residual: variance, SD, share of the total, interval."""
        rows = []
        for i, name in enumerate(self.names):
            v = self._summarise(lambda d, i=i: d[:, i])
            sh = self._summarise(lambda d, i=i: d[:, i] / d.sum(axis=1))
            rows.append({
                "level": name, "variance": v["estimate"],
                "std_dev": math.sqrt(max(v["estimate"], 0.0)),
                "share_of_total": sh["estimate"], "ci_low": v["ci_low"], "ci_high": v["ci_high"],
                "share_ci_low": sh["ci_low"], "share_ci_high": sh["ci_high"],
                "ci_level": self.ci_level,
            })  # fmt: skip
        return pd.DataFrame(rows)

    @property
    def icc1(self) -> pd.DataFrame:
        """ICC(1) per level: the share of individual-score variance at that level.

        ``icc1_cumulative`` adds the levels above: the correlation between two people in the
        same group of that level (what a one-level ICC on that grouping estimates).
        """
        rows = []
        for i, name in enumerate(self.levels):
            own = self._summarise(lambda d, i=i: d[:, i] / d.sum(axis=1))
            cum = self._summarise(lambda d, i=i: d[:, : i + 1].sum(axis=1) / d.sum(axis=1))
            rows.append({
                "level": name, "icc1": own["estimate"], "ci_low": own["ci_low"],
                "ci_high": own["ci_high"], "icc1_cumulative": cum["estimate"],
                "cumulative_ci_low": cum["ci_low"], "cumulative_ci_high": cum["ci_high"],
                "ci_level": self.ci_level,
            })  # fmt: skip
        return pd.DataFrame(rows)

    @property
    def icc2(self) -> pd.DataFrame:
        """ICC(2) per level: reliability of the group means (Bliese 2000).

        For each group, the variance of true group means over that plus the sampling-error
        variance of this group's observed mean (inner levels and residual, given its size),
        averaged over the level's groups. For one level and equal group sizes k this is
        k ICC1 / (1 + (k - 1) ICC1) = (MSB - MSW) / MSB.
        """
        rows = []
        for i, name in enumerate(self.levels):
            r = self._summarise(self._reliability(i))
            rows.append({
                "level": name, "icc2": r["estimate"], "ci_low": r["ci_low"],
                "ci_high": r["ci_high"], "mean_group_size": self.mean_group_size[i],
                "n_groups": self.n_groups[i], "ci_level": self.ci_level,
            })  # fmt: skip
            if self.mean_people:
                rows[-1]["mean_people"] = self.mean_people[i]
        return pd.DataFrame(rows)

    def _share_fn(self, li: int, oi: int, means: str) -> Callable[[np.ndarray], np.ndarray]:
        nlev = len(self.levels)
        coef = self.err_coef[li] if li < nlev else None

        def f(v: np.ndarray) -> np.ndarray:
            num = v[:, : oi + 1].sum(axis=1)
            if li == nlev:
                return num / v.sum(axis=1)
            den = v[:, : li + 1].sum(axis=1)
            if means == "observed":
                den = den + (v @ coef.T).mean(axis=1)
            return num / den

        return f

    def between_share(
        self, level: str | None = None, of: str | None = None, means: str = "true"
    ) -> BetweenShare:
        """Share of the variance of ``level`` group means that lies between ``of`` groups.

        Parameters
        ----------
        level : str, optional
            The unit whose means are compared (default: the innermost level, e.g. team).
            ``"residual"`` (or ``"individual"``) compares individual scores instead, which
            gives the cumulative ICC(1) of ``of``.
        of : str, optional
            An outer level (default: the outermost, e.g. manager).
        means : {"true", "observed"}
            ``"true"``: variance of the units' true means (what a model estimates, and what
            "X% of the variance between units" should mean); ``"observed"``: variance of the
            observed means, which also holds each unit's sampling noise, so the share is
            smaller for small units.

        Examples
        --------
        >>> import coachstats as cs
        >>> sim = cs.simulate.engagement_panel(rng=1)                       # doctest: +SKIP
        >>> res = cs.variance.decompose(sim.data, outcome="engagement",
        ...                             levels=["manager", "team"], rng=1)  # doctest: +SKIP
        >>> float(res.between_share(level="team", of="manager"))           # doctest: +SKIP
        """
        means = check_choice(means, "means", ("true", "observed"))
        level = self.levels[-1] if level is None else level
        of = self.levels[0] if of is None else of
        li, oi = self._index(level, "level"), self._index(of, "of")
        if oi == len(self.levels):
            raise ValueError("of= must be a grouping level, not the residual.")
        if oi >= li:
            raise ValueError(
                f"of={of!r} must be a level outside level={level!r} (levels run outer to "
                f"inner: {list(self.levels)})."
            )
        s = self._summarise(self._share_fn(li, oi, means))
        return BetweenShare(
            level=self.names[li], of=of, means=means, estimate=s["estimate"],
            std_error=s["std_error"], ci_low=s["ci_low"], ci_high=s["ci_high"],
            ci_level=self.ci_level, interval=self.interval,
        )  # fmt: skip

    def profile_intervals(self, ci_level: float | None = None) -> ProfileIntervals:
        """Profile-likelihood intervals of the standard deviations, as lme4's ``confint()``.

        Each SD's interval holds the values whose profile ML deviance (all other parameters
        re-estimated) is within the chi-square(1) quantile of the minimum. As in lme4
        (``confint(fit, method = "profile")``) the ML deviance is profiled after a REML fit
        too; the end points are exact roots (lme4 interpolates a profile grid, so it agrees
        to about 4 significant digits). A lower end point of 0 means the data cannot rule
        out that the level adds no variance.

        Parameters
        ----------
        ci_level : float, optional
            Interval probability (default: the result's ``ci_level``).

        Returns
        -------
        ProfileIntervals
            ``to_frame()``: one row per level (outer to inner) and the residual, ``term``
            (``sd_<level>``), ``estimate`` (this fit's SD), ``ml_estimate`` (the profile's
            centre), ``ci_low``, ``ci_high``, ``ci_level``, ``variance_ci_low``,
            ``variance_ci_high``; ``plot()``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import coachstats as cs
        >>> g = np.random.default_rng(0)
        >>> team = np.repeat(np.arange(30), 6)
        >>> y = g.normal(0, 0.6, 30)[team] + g.normal(0, 1, 180)
        >>> res = cs.variance.decompose(pd.DataFrame({"team": team, "y": y}), "y", ["team"],
        ...                             n_boot=0)
        >>> res.profile_intervals().to_frame()["term"].tolist()
        ['sd_team', 'sd_residual']
        """
        if self.method == "bayes" or self.design is None:
            raise ValueError(
                "profile intervals need a REML or ML fit; a Bayesian fit has posterior "
                "intervals in components, icc1 and to_frame()."
            )
        level = self.ci_level if ci_level is None else check_ci_level(ci_level)
        from ._profile import profile_sd_intervals

        sd_ml, low, high, _ = profile_sd_intervals(self.design, level)
        nlev = len(self.levels)
        order = [*range(nlev - 1, -1, -1), nlev]  # internal order is innermost first
        rows = []
        for name, k in zip(self.names, order, strict=True):
            i = self.names.index(name)
            rows.append({
                "term": f"sd_{name}", "estimate": math.sqrt(max(self.variances[i], 0.0)),
                "std_error": math.nan, "ci_low": low[k], "ci_high": high[k],
                "ci_level": level, "level": name, "ml_estimate": sd_ml[k],
                "variance_ci_low": low[k] ** 2, "variance_ci_high": high[k] ** 2,
            })  # fmt: skip
        table = tidy_frame(
            rows, extra=["level", "ml_estimate", "variance_ci_low", "variance_ci_high"]
        )
        return ProfileIntervals(table=table, outcome=self.outcome, method=self.method,
                                ci_level=level)

    # ---------------------------------------------------------------- Result verbs
    @property
    def title(self) -> str:
        label = {"reml": "REML", "ml": "ML", "bayes": "Bayesian"}[self.method]
        return (
            f"Variance decomposition of {self.outcome} ({label}; "
            + " > ".join(f"{lv} ({g:,})" for lv, g in zip(self.levels, self.n_groups, strict=True))
            + f" > {self.n:,} people)"
        )

    def to_frame(self) -> pd.DataFrame:
        """Every quantity as a tidy row: ``var_*``, ``icc1_*``, ``icc2_*``,
        ``between_share_<level>_of_<outer>`` and fixed effects; ``kind`` says which."""
        rows: list[dict[str, Any]] = []
        comp = self.components
        for _, r in comp.iterrows():
            i = self.names.index(r["level"])
            s = self._summarise(lambda d, i=i: d[:, i])
            rows.append({"term": f"var_{r['level']}", **s, "ci_level": self.ci_level,
                         "kind": "variance", "level": r["level"]})  # fmt: skip
        for i, name in enumerate(self.levels):
            s = self._summarise(lambda d, i=i: d[:, i] / d.sum(axis=1))
            rows.append({"term": f"icc1_{name}", **s, "ci_level": self.ci_level,
                         "kind": "icc1", "level": name})  # fmt: skip
        for i, name in enumerate(self.levels):
            s = self._summarise(self._reliability(i))
            rows.append({"term": f"icc2_{name}", **s, "ci_level": self.ci_level,
                         "kind": "icc2", "level": name})  # fmt: skip
        for li in range(1, len(self.levels)):
            for oi in range(li):
                s = self._summarise(self._share_fn(li, oi, "true"))
                rows.append({
                    "term": f"between_share_{self.levels[li]}_of_{self.levels[oi]}", **s,
                    "ci_level": self.ci_level, "kind": "between_share", "level": self.levels[li],
                })  # fmt: skip
        for _, r in self.fixed.iterrows():
            rows.append({**r.to_dict(), "kind": "fixed", "level": ""})
        return tidy_frame(rows, extra=["kind", "level"])

    @property
    def notes(self) -> list[str]:
        top, inner = self.levels[0], self.levels[-1]
        icc = self._summarise(lambda d: d[:, 0] / d.sum(axis=1))["estimate"]
        out = [
            f"Interval: {self.interval}.",
            f"How much does the {top} matter? For an individual's score: ICC(1) of {top} = "
            f"{icc:.1%} of the variance of individual scores lies between {top}s.",
        ]
        if len(self.levels) > 1:
            bs = self.between_share(level=inner, of=top)
            out.append(
                f"For {inner} averages: {bs.estimate:.1%} of the variance of true {inner} means "
                f"lies between {top}s. Claims such as 'the manager accounts for 70% of the "
                "variance in team engagement' (Gallup: variance across business-unit means) "
                "are this kind of share, not an ICC; it is larger because the variance "
                f"between people within a {inner} is left out."
            )
        below = [*self.levels[1:], "person"]
        for name, sub, share in zip(self.levels, below, self.single_child_share, strict=False):
            if share >= 0.5:
                out.append(
                    f"{share:.0%} of {name}s have a single {sub}: the {name} and {sub} "
                    "variances are weakly separated, so shares built on them are imprecise."
                )
        if self.person:
            k = self.n_groups[len(self.levels) - 1]
            out.append(
                f"Repeated answers: {self.n:,} answers from {k:,} people ({self.person!r} is "
                "the innermost level); 'residual' is the occasion-to-occasion variance within "
                "a person, and ICC(2) of each group counts its distinct people"
                + (f"; wave means of {self.occasion!r} are fixed effects." if self.occasion
                   else ".")
            )
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        if not self.converged and self.method != "bayes":
            out.append("The optimiser did not report convergence; treat estimates with care.")
        if self.diagnostics is not None:
            out.extend(self.diagnostics.notes)
        return out

    def assumptions(self) -> list[str]:
        return [
            "Groups nest (each unit belongs to one group of the next level up).",
            "Normal random intercepts with constant variance at each level; normal residuals.",
            "Groups at each level are a random sample of such groups (variances generalise).",
        ]

    def limitations(self) -> list[str]:
        return [
            "Variance shares describe this population and design; they are not causal "
            "effects of managers (selection of people into teams is also between-group "
            "variance).",
            "With few groups at a level its variance, and every share built on it, is "
            "imprecise; read the intervals.",
        ]

    def interpret(self) -> list[Interpretation]:
        """ICC(1) and ICC(2) of each level labelled by LeBreton & Senter (2008)."""
        out = []
        for i, name in enumerate(self.levels):
            icc = self._summarise(lambda d, i=i: d[:, i] / d.sum(axis=1))["estimate"]
            out.append(label(icc, ICC1_RULE, term=f"icc1_{name}"))
        for i, name in enumerate(self.levels):
            out.append(label(self._summarise(self._reliability(i))["estimate"], ICC2_RULE,
                             term=f"icc2_{name}"))  # fmt: skip
        return out

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Share of individual-score variance at each level, with intervals.

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
        c = self.components
        y = np.arange(len(c))[::-1]
        lo = (c["share_of_total"] - c["share_ci_low"]).clip(lower=0).fillna(0)
        hi = (c["share_ci_high"] - c["share_of_total"]).clip(lower=0).fillna(0)
        ax.barh(y, c["share_of_total"], color="C0", alpha=0.7)
        ax.errorbar(c["share_of_total"], y, xerr=[lo, hi], fmt="none", color="k", capsize=3)
        ax.set_yticks(y, c["level"])
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"share of the variance of individual {self.outcome}")
        if len(self.levels) > 1:
            bs = self.between_share()
            ax.set_title(
                f"{bs.level} means: {bs.estimate:.0%} of their variance lies between {bs.of}s",
                fontsize=9,
            )
        return ax
