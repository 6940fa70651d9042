"""Simulation-based power over a grid of design parameters.

For each design in the grid, ``n_reps`` datasets are generated, the estimator is fitted to
each, and power is the share of replicates in which the effect is detected. Detection uses,
in this order, the estimator's ``p_value < alpha``, an interval at level ``1 - alpha`` that
excludes zero, or a two-sided normal test of ``estimate / std_error``. The Monte Carlo SE of
a power estimate is ``sqrt(p (1 - p) / n_reps)`` (Morris, White & Crowther 2019, Table 6).

Replicate ``r`` uses the same child seed of one :class:`numpy.random.SeedSequence` in every
design (common random numbers), so differences between designs are not blurred by
independent simulation noise, and the table is the same whether the tasks run serially, on
local processes or on a Dask cluster (``executor=``).
"""

from __future__ import annotations

import inspect
import itertools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._rng import RNGLike, as_generator
from .._validate import check_int, check_probability
from ..results import Caution, Result, new_axes, tidy_frame
from ..validate.executor import child_seeds, run_tasks

__all__ = ["SimulatedPower", "simulate"]


def _takes_rng(fn: Callable[..., Any]) -> bool:
    try:
        return "rng" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _frame(fitted: Any) -> pd.DataFrame:
    if isinstance(fitted, pd.DataFrame):
        return fitted
    if hasattr(fitted, "to_frame"):
        return fitted.to_frame()
    raise TypeError("estimate must return a Result (with to_frame()) or a DataFrame with "
                    f"term, estimate and p_value or ci_low/ci_high; got {type(fitted).__name__}.")


def _detect(row: pd.Series, alpha: float) -> tuple[bool, str]:
    p = row.get("p_value", np.nan)
    if p is not None and not pd.isna(p):
        return bool(p < alpha), "p_value"
    lo, hi, lvl = row.get("ci_low", np.nan), row.get("ci_high", np.nan), row.get("ci_level")
    if not pd.isna(lo) and not pd.isna(hi) and lvl is not None and not pd.isna(lvl):
        if abs(float(lvl) - (1 - alpha)) > 1e-9:
            raise ValueError(f"estimate: intervals are at level {float(lvl):g} but alpha={alpha:g} "
                             f"needs {1 - alpha:g}; pass ci_level={1 - alpha:g} to the "
                             "estimator or report a p_value.")
        return bool(lo > 0 or hi < 0), "interval"
    est, se = row.get("estimate", np.nan), row.get("std_error", np.nan)
    if pd.isna(est) or pd.isna(se) or se <= 0:
        raise ValueError("estimate: the result has no p_value, interval or std_error to test.")
    return bool(abs(est / se) > stats.norm.isf(alpha / 2)), "wald"


def _row(fitted: Any, term: str | None) -> Any:
    """The tested row of an estimate: a mapping (one term) or a row of ``to_frame()``."""
    if isinstance(fitted, Mapping):  # one term as a plain mapping (cheapest)
        if term is not None and fitted.get("term") != term:
            raise KeyError(f"term: {term!r} is not the estimate's term "
                           f"({fitted.get('term')!r}).")
        return fitted
    f = _frame(fitted)
    if term is None:
        return f.iloc[0]
    hit = f.loc[f["term"] == term]
    if hit.empty:
        raise KeyError(f"term: {term!r} is not a term of the estimate ({f['term'].tolist()}).")
    return hit.iloc[0]


def _chunk_task(args: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Run the replicates ``reps`` of one design (a pure function of the seeds)."""
    generate, estimate, term, alpha, design_id, design, reps = args
    rows = []
    est_rng = _takes_rng(estimate)
    for rep, seed in reps:
        gen_seed, est_seed = child_seeds(seed, 2)
        sim = generate(**design, rng=np.random.default_rng(gen_seed))
        data = getattr(sim, "data", sim)
        row: dict[str, Any] = {"design": design_id, "rep": rep}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = (estimate(data, rng=np.random.default_rng(est_seed)) if est_rng
                          else estimate(data))
            r = _row(fitted, term)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError, RuntimeError) as exc:
            row.update(estimate=np.nan, std_error=np.nan, p_value=np.nan, reject=False,
                       test="", error=f"{type(exc).__name__}: {exc}")
            rows.append(row)
            continue
        rej, how = _detect(r, alpha)  # a mis-specified test raises: not a failed fit
        row.update(estimate=float(r["estimate"]), std_error=float(r.get("std_error", np.nan)),
                   p_value=float(r.get("p_value", np.nan)), reject=rej, test=how, error="")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class SimulatedPower(Result):
    """Simulated power of each design in a grid.

    ``to_frame()`` has one row per design: the grid columns, ``estimate`` (= power),
    ``std_error`` (its Monte Carlo SE), a normal ``ci_low``/``ci_high``, ``power``,
    ``power_mcse``, ``mean_estimate``, ``sd_estimate``, ``n_reps``, ``n_failed``.
    ``replicates`` holds every replicate's estimate, p-value and decision.

    Parameters
    ----------
    designs : DataFrame
        The grid: one row per design.
    replicates : DataFrame
        Every replicate's estimate, p-value and decision.
    n_reps : int
        Replicates per design.
    alpha : float
        Significance level of the decisions.
    seed_entropy : int
        Entropy of the master seed (reproduces every replicate).
    effect : str or None
        Grid column holding the true effect.
    mcse_level : float, default 0.95
        Level of the normal interval of each power.

    Examples
    --------
    >>> import pandas as pd
    >>> from coachstats import power
    >>> def gen(n, effect, rng):
    ...     return pd.DataFrame({"y": rng.normal(effect, 1, n)})
    >>> def est(df):
    ...     from scipy import stats
    ...     t = stats.ttest_1samp(df["y"], 0)
    ...     return pd.DataFrame({"term": ["mean"], "estimate": [df["y"].mean()],
    ...                          "p_value": [t.pvalue]})
    >>> res = power.simulate(gen, est, grid={"n": [20], "effect": [0.0, 0.7]}, n_reps=20,
    ...                      rng=1)
    >>> res.n_reps, len(res.designs)
    (20, 2)
    """

    designs: pd.DataFrame = field(repr=False, compare=False)
    replicates: pd.DataFrame = field(repr=False, compare=False)
    n_reps: int
    alpha: float
    seed_entropy: int
    effect: str | None = None
    mcse_level: float = 0.95

    @property
    def title(self) -> str:
        return f"Simulated power ({len(self.designs)} designs x {self.n_reps} replicates)"

    @property
    def notes(self) -> list[str]:
        return [
            f"Power = share of replicates detecting the effect at alpha = {self.alpha:g}; "
            "std_error = Monte Carlo SE sqrt(p(1-p)/n) (Morris, White & Crowther 2019).",
            "Replicate r uses the same seed in every design (common random numbers).",
            f"Reproduce with rng={self.seed_entropy}.",
        ]

    @property
    def cautions(self) -> tuple[Caution, ...]:
        f = self.to_frame()
        failed = int(f["n_failed"].sum())
        if failed:
            return (Caution("fits_failed", f"{failed} of {int(f['n_reps'].sum())} replicate "
                            "fits failed; power is over the fits that succeeded.",
                            value=float(failed)),)
        return ()

    def to_frame(self) -> pd.DataFrame:
        r = self.replicates
        ok = r["error"] == ""
        g = r.loc[ok].groupby("design")
        power = g["reject"].mean()
        n = g["reject"].size()
        z = stats.norm.ppf(0.5 + self.mcse_level / 2)
        rows = []
        for d, spec in enumerate(self.designs.to_dict("records")):
            p = float(power.get(d, np.nan))
            m = int(n.get(d, 0))
            se = math.sqrt(p * (1 - p) / m) if m else np.nan
            est = r.loc[ok & (r["design"] == d), "estimate"]
            label = ", ".join(f"{k}={v}" for k, v in spec.items())
            rows.append({"term": label, "estimate": p, "std_error": se,
                         "ci_low": max(0.0, p - z * se), "ci_high": min(1.0, p + z * se),
                         "ci_level": self.mcse_level, **spec, "power": p,
                         "power_mcse": se, "mean_estimate": float(est.mean()),
                         "sd_estimate": float(est.std(ddof=1)) if m > 1 else np.nan,
                         "n_reps": int((r["design"] == d).sum()),
                         "n_failed": int(((r["design"] == d) & ~ok).sum())})
        return tidy_frame(rows)

    def _groups(self, x: str) -> list[tuple[str, pd.DataFrame]]:
        f = self.to_frame()
        others = [c for c in self.designs.columns if c != x]
        if not others:
            return [("", f.sort_values(x))]
        return [(", ".join(f"{k}={v}" for k, v in zip(others, np.atleast_1d(key), strict=True)),
                 sub.sort_values(x))
                for key, sub in f.groupby(others if len(others) > 1 else others[0], sort=True)]

    def smallest_effect(self, power: float = 0.80, x: str | None = None) -> pd.DataFrame:
        """Smallest value of ``x`` (default: the effect column) reaching ``power``.

        Power is interpolated linearly between the two grid points that bracket the target;
        ``NaN`` when no design of a group reaches it (``reached = False``).

        Returns
        -------
        DataFrame
            One row per combination of the other grid columns: ``smallest_<x>``,
            ``lower``/``upper`` grid points bracketing it, ``reached``.
        """
        x = x or self.effect or self.designs.columns[0]
        if x not in self.designs.columns:
            raise ValueError(f"x: {x!r} is not a grid column ({list(self.designs.columns)}).")
        others = [c for c in self.designs.columns if c != x]
        out = []
        for _, sub in self._groups(x):
            xs, ps = sub[x].to_numpy(dtype=float), sub["power"].to_numpy(dtype=float)
            row = {c: sub[c].iloc[0] for c in others}
            hit = np.flatnonzero(ps >= power)
            if hit.size == 0:
                row.update({f"smallest_{x}": np.nan, "lower": xs[-1], "upper": np.nan,
                            "reached": False})
            elif hit[0] == 0:
                row.update({f"smallest_{x}": xs[0], "lower": np.nan, "upper": xs[0],
                            "reached": True})
            else:
                i = hit[0]
                x0, x1, p0, p1 = xs[i - 1], xs[i], ps[i - 1], ps[i]
                xi = x0 + (power - p0) * (x1 - x0) / (p1 - p0) if p1 != p0 else x1
                row.update({f"smallest_{x}": xi, "lower": x0, "upper": x1, "reached": True})
            out.append(row)
        return pd.DataFrame(out)

    def plot(self, ax: Any = None, x: str | None = None, target: float = 0.80,
             **kwargs: Any) -> Any:
        """Power curve(s) against ``x`` with +/- 2 Monte Carlo SE and the target power.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        x : str, optional
            Design column on the x axis; by default the effect column (or the first design column).
        target : float, default 0.80
            Target power, drawn as a dashed line.
        **kwargs
            Passed to matplotlib's ``Axes.errorbar`` (e.g. ``alpha``).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        x = x or self.effect or self.designs.columns[0]
        for i, (label, sub) in enumerate(self._groups(x)):
            ax.errorbar(sub[x], sub["power"], yerr=2 * sub["power_mcse"], marker="o", ms=3,
                        capsize=2, color=f"C{i}", label=label or None, **kwargs)
        ax.axhline(target, color="0.5", ls="--", lw=1)
        ax.axhline(self.alpha, color="0.7", ls=":", lw=1)
        ax.set_xlabel(x)
        ax.set_ylabel("power (±2 MCSE)")
        ax.set_ylim(0, 1)
        if len(self.designs.columns) > 1:
            ax.legend(fontsize=7)
        return ax


def _grid_frame(grid: Mapping[str, Sequence[Any]] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(grid, pd.DataFrame):
        if grid.empty:
            raise ValueError("grid: the DataFrame of designs is empty.")
        return grid.reset_index(drop=True).copy()
    if not isinstance(grid, Mapping) or not grid:
        raise TypeError("grid: expected a non-empty mapping name -> list of values, or a "
                        "DataFrame with one row per design.")
    keys = list(grid)
    vals = []
    for k in keys:
        v = grid[k]
        v = [v] if isinstance(v, str) or not isinstance(v, Sequence | np.ndarray) else list(v)
        if not v:
            raise ValueError(f"grid: {k!r} has no values.")
        vals.append(v)
    return pd.DataFrame(list(itertools.product(*vals)), columns=keys)


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def simulate(
    generate: Callable[..., Any],
    estimate: Callable[..., Any],
    *,
    grid: Mapping[str, Sequence[Any]] | pd.DataFrame,
    n_reps: int = 200,
    alpha: float = 0.05,
    term: str | None = None,
    effect: str | None = "effect",
    fixed: Mapping[str, Any] | None = None,
    rng: RNGLike = None,
    executor: Any = None,
    n_jobs: int = 1,
    chunk_size: int | None = None,
    progress: bool = False,
) -> SimulatedPower:
    """Power of an estimator over a grid of designs, by simulation.

    Parameters
    ----------
    generate : callable
        ``generate(**design, rng=Generator)`` returning a ``SimulatedData`` (or a DataFrame),
        e.g. :func:`coachstats.simulate.engagement_panel`.
    estimate : callable
        ``estimate(data)`` or ``estimate(data, rng=Generator)`` returning a Result or tidy
        DataFrame with ``p_value``, or ``ci_low``/``ci_high`` at ``1 - alpha``, or
        ``estimate``/``std_error`` (or one such row as a plain mapping, the cheapest).
    grid : mapping or DataFrame
        Design parameters: every combination of the listed values (``{"n_managers": [40,
        80], "effect": [0, .1, .2]}``), or a DataFrame with one design per row.
    n_reps : int
        Replicates per design.
    alpha : float
        Significance level of the test.
    term : str, optional
        Row of the estimate's ``to_frame()`` to test (default: the first row).
    effect : str, optional
        Grid column holding the true effect (used by ``plot`` and ``smallest_effect``).
    fixed : mapping, optional
        Further arguments passed to ``generate`` in every design.
    rng : int, Generator or None
        Master seed.
    executor : optional
        A Dask ``distributed.Client`` or any executor with ``map``; results equal the serial
        run's for the same ``rng``.
    n_jobs : int
        Local processes when no executor is given.
    chunk_size : int, optional
        Replicates per task (default: ``min(n_reps, 25)``); does not change the results.
    progress : bool
        Print tasks done to stderr.

    Returns
    -------
    SimulatedPower
        ``to_frame()`` (power and MCSE per design), ``smallest_effect()``, ``plot()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from coachstats import power
    >>> def gen(n, effect, rng):
    ...     return pd.DataFrame({"y": rng.normal(effect, 1, n)})
    >>> def est(df):
    ...     from scipy import stats
    ...     t = stats.ttest_1samp(df["y"], 0)
    ...     return pd.DataFrame({"term": ["mean"], "estimate": [df["y"].mean()],
    ...                          "p_value": [t.pvalue]})
    >>> res = power.simulate(gen, est, grid={"n": [20], "effect": [0.0, 0.7]}, n_reps=50,
    ...                      rng=1)
    >>> res.to_frame()["power"].round(2).tolist()
    [0.02, 0.74]
    """
    check_int(n_reps, "n_reps", minimum=2)
    check_probability(alpha, "alpha")
    designs = _grid_frame(grid)
    fixed = dict(fixed or {})
    clash = sorted(set(fixed) & set(designs.columns))
    if clash:
        raise ValueError(f"fixed: {clash} are also grid columns; give each parameter once.")
    entropy = int(as_generator(rng).integers(0, 2**63 - 1))
    seeds = np.random.SeedSequence(entropy).spawn(int(n_reps))
    chunk = (min(int(n_reps), 25) if chunk_size is None
             else check_int(chunk_size, "chunk_size", minimum=1))
    tasks = []
    for d, spec in enumerate(designs.to_dict("records")):
        params = {**fixed, **{k: _py(v) for k, v in spec.items()}}
        for start in range(0, int(n_reps), chunk):
            reps = [(r, seeds[r]) for r in range(start, min(start + chunk, int(n_reps)))]
            tasks.append((generate, estimate, term, float(alpha), int(d), params, reps))
    out = run_tasks(_chunk_task, tasks, executor=executor, n_jobs=n_jobs, progress=progress,
                    label="power")
    reps_df = pd.DataFrame([row for chunk_rows in out for row in chunk_rows])
    reps_df = reps_df.sort_values(["design", "rep"], kind="stable").reset_index(drop=True)
    return SimulatedPower(designs=designs, replicates=reps_df, n_reps=int(n_reps),
                          alpha=float(alpha), seed_entropy=entropy,
                          effect=effect if effect in designs.columns else None)
