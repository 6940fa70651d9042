"""Bias, RMSE and interval coverage of an estimator over many simulated datasets.

Performance measures and their Monte Carlo standard errors follow Morris, White & Crowther
(2019), "Using simulation studies to evaluate statistical methods", Stat Med 38:2074, Table 6.

Each replicate is a pure function of its own seed (:func:`run_replicate`), so replicates can
be farmed out to local processes (joblib, the default) or to any executor with a ``map``
(e.g. a Dask ``Client``) through ``executor=``, and the result does not depend on which.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._deprecate import renamed_arguments
from .._rng import RNGLike, as_generator
from .._validate import check_int
from ..results import Result, new_axes, tidy_frame
from ..simulate import SimulatedData
from .executor import child_seeds, run_tasks

EstimateFn = Callable[..., Any]
GenerateFn = Callable[[np.random.Generator], SimulatedData]
TruthSpec = Mapping[str, float] | Callable[[SimulatedData], Mapping[str, float]]


def _as_frame(fitted: Any) -> pd.DataFrame:
    if isinstance(fitted, pd.DataFrame):
        return fitted
    if hasattr(fitted, "to_frame"):
        return fitted.to_frame()
    raise TypeError(
        "estimate_fn must return a Result (with to_frame()) or a DataFrame with columns "
        f"term, estimate, ci_low, ci_high; got {type(fitted).__name__}."
    )


def _takes_rng(fn: Callable[..., Any]) -> bool:
    try:
        return "rng" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _replicate_task(args: tuple[Any, ...]) -> list[dict[str, Any]]:
    estimate_fn, generate_fn, truth, seed, rep = args
    return run_replicate(estimate_fn, generate_fn, truth, rep=rep, rng=seed)


@renamed_arguments(seed="rng")
def run_replicate(
    estimate_fn: EstimateFn,
    generate_fn: GenerateFn,
    truth: TruthSpec,
    rep: int = 0,
    *,
    rng: np.random.SeedSequence | int,
) -> list[dict[str, Any]]:
    """Run one replicate: generate with one child seed, estimate with another.

    Returns one row per truth term: ``rep, term, truth, estimate, ci_low, ci_high, ci_level,
    error`` (``error`` holds the exception text when the fit failed; estimates are NaN then).

    Parameters
    ----------
    estimate_fn : callable
        ``estimate_fn(data)`` or ``estimate_fn(data, rng=...)`` returning a result or a frame
        with ``term, estimate, ci_low, ci_high, ci_level``.
    generate_fn : callable
        ``generate_fn(rng)`` returning a :class:`~coachstats.simulate.SimulatedData`.
    truth : dict or callable
        Term -> true value, or a function of the simulated data giving that mapping.
    rep : int
        Replicate number, stored in the rows.
    rng : numpy.random.SeedSequence or int
        Seed of this replicate (split into a data seed and an estimation seed; an int is
        read as ``SeedSequence(rng)``). A Generator is refused: a replicate must be
        reproducible from its seed alone.

    Returns
    -------
    list of dict
        One row per truth term (see above).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from coachstats.simulate import SimulatedData
    >>> def gen(rng):
    ...     return SimulatedData(pd.DataFrame({"y": rng.normal(1.0, 1.0, 30)}), None, {})
    >>> def est(df):
    ...     m = df["y"].mean()
    ...     return pd.DataFrame({"term": ["mean"], "estimate": [m], "ci_low": [m - 0.4],
    ...                          "ci_high": [m + 0.4], "ci_level": [0.95]})
    >>> rows = run_replicate(est, gen, {"mean": 1.0}, rep=0, rng=np.random.SeedSequence(1))
    >>> rows[0]["term"], rows[0]["rep"]
    ('mean', 0)
    """
    if not isinstance(rng, np.random.SeedSequence):
        rng = np.random.SeedSequence(check_int(rng, "rng (a SeedSequence or an int seed)",
                                               minimum=0))
    gen_seed, est_seed = child_seeds(rng, 2)
    sim = generate_fn(np.random.default_rng(gen_seed))
    targets = dict(truth(sim) if callable(truth) else truth)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if _takes_rng(estimate_fn):
                fitted = estimate_fn(sim.data, rng=np.random.default_rng(est_seed))
            else:
                fitted = estimate_fn(sim.data)
        frame = _as_frame(fitted).set_index("term")
        err = ""
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, RuntimeError) as exc:
        frame, err = None, f"{type(exc).__name__}: {exc}"
    rows = []
    for term, value in targets.items():
        row = {"rep": rep, "term": term, "truth": float(value), "error": err}
        if frame is not None:
            if term not in frame.index:
                raise KeyError(
                    f"truth names term {term!r} but the estimate has terms {list(frame.index)}."
                )
            r = frame.loc[term]
            row.update(
                estimate=float(r["estimate"]),
                ci_low=float(r.get("ci_low", np.nan)),
                ci_high=float(r.get("ci_high", np.nan)),
                ci_level=float(r.get("ci_level", np.nan)),
            )
        else:
            row.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, ci_level=np.nan)
        rows.append(row)
    return rows


@dataclass(frozen=True)
class RecoveryResult(Result):
    """Performance of an estimator over simulated replicates.

    ``to_frame()`` has one row per term with ``bias, bias_mcse, rmse, rmse_mcse, coverage,
    coverage_mcse, ci_level, mean_ci_width, n_reps, n_failed``; ``replicates`` holds every
    replicate's estimate and interval.

    Parameters
    ----------
    replicates : DataFrame
        One row per replicate and term: ``rep, term, truth, estimate, ci_low, ci_high,
        ci_level, error``.
    n_reps : int
        Replicates run.
    seed_entropy : int
        Entropy of the root seed (re-running with it reproduces every replicate).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import coachstats as cs
    >>> from coachstats.simulate import SimulatedData
    >>> def gen(rng):
    ...     return SimulatedData(pd.DataFrame({"y": rng.normal(1.0, 1.0, 30)}), None, {})
    >>> def est(df):
    ...     m, s = df["y"].mean(), df["y"].std(ddof=1) / np.sqrt(len(df))
    ...     return pd.DataFrame({"term": ["mean"], "estimate": [m], "ci_low": [m - 2.045 * s],
    ...                          "ci_high": [m + 2.045 * s], "ci_level": [0.95]})
    >>> res = cs.validate.recovery(est, gen, truth={"mean": 1.0}, n_reps=20, rng=1)
    >>> res.n_reps
    20
    """

    replicates: pd.DataFrame
    n_reps: int
    seed_entropy: int

    @property
    def title(self) -> str:
        return f"Recovery over {self.n_reps} simulated datasets"

    @property
    def notes(self) -> list[str]:
        return [
            "bias = mean(estimate - truth); coverage = share of intervals containing the "
            "truth; *_mcse = Monte Carlo standard errors (Morris, White & Crowther 2019).",
            f"Reproduce with rng={self.seed_entropy}.",
        ]

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for term, g in self.replicates.groupby("term", sort=False):
            ok = g["estimate"].notna()
            e = (g.loc[ok, "estimate"] - g.loc[ok, "truth"]).to_numpy()
            n = len(e)
            bias = float(np.mean(e)) if n else np.nan
            bias_se = float(np.std(e, ddof=1) / math.sqrt(n)) if n > 1 else np.nan
            mse = float(np.mean(e**2)) if n else np.nan
            mse_se = float(np.std(e**2, ddof=1) / math.sqrt(n)) if n > 1 else np.nan
            rmse = math.sqrt(mse) if n else np.nan
            rmse_se = mse_se / (2 * rmse) if n > 1 and rmse > 0 else np.nan
            has_ci = g.loc[ok, "ci_low"].notna() & g.loc[ok, "ci_high"].notna()
            gc = g.loc[ok][has_ci]
            covered = (gc["ci_low"] <= gc["truth"]) & (gc["truth"] <= gc["ci_high"])
            m = len(gc)
            cov = float(covered.mean()) if m else np.nan
            rows.append(
                {
                    "term": term,
                    "estimate": float(g.loc[ok, "estimate"].mean()) if n else np.nan,
                    "std_error": float(np.std(g.loc[ok, "estimate"], ddof=1)) if n > 1 else np.nan,
                    "ci_level": float(gc["ci_level"].iloc[0]) if m else np.nan,
                    "truth": float(g["truth"].mean()),
                    "bias": bias,
                    "bias_mcse": bias_se,
                    "rmse": rmse,
                    "rmse_mcse": rmse_se,
                    "coverage": cov,
                    "coverage_mcse": math.sqrt(cov * (1 - cov) / m) if m else np.nan,
                    "mean_ci_width": float((gc["ci_high"] - gc["ci_low"]).mean()) if m else np.nan,
                    "n_reps": len(g),
                    "n_failed": int((~ok).sum()),
                }
            )
        # estimate/std_error here are the mean and empirical SD of the estimates
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Coverage of each term with +/- 2 Monte Carlo SE and the nominal level.

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
        y = np.arange(len(f))
        ax.errorbar(f["coverage"], y, xerr=2 * f["coverage_mcse"], fmt="o", color="C0")
        for lvl in f["ci_level"].dropna().unique():
            ax.axvline(lvl, color="0.5", ls="--", lw=1)
        ax.set_yticks(y, f["term"])
        ax.set_xlabel("interval coverage (±2 MCSE)")
        return ax


def recovery(
    estimate_fn: EstimateFn,
    generate_fn: GenerateFn,
    *,
    truth: TruthSpec,
    n_reps: int = 200,
    rng: RNGLike = None,
    n_jobs: int = 1,
    executor: Any = None,
    progress: bool = False,
) -> RecoveryResult:
    """Run ``estimate_fn`` on ``n_reps`` datasets from ``generate_fn`` and score it.

    Parameters
    ----------
    estimate_fn : callable
        ``estimate_fn(data)`` or ``estimate_fn(data, rng=Generator)`` returning a Result or a
        tidy DataFrame with ``term, estimate, ci_low, ci_high, ci_level``.
    generate_fn : callable
        ``generate_fn(rng) -> SimulatedData``.
    truth : mapping or callable
        Term -> true value, or ``truth(sim) -> mapping`` when the truth varies per draw.
    n_reps : int
        Number of replicates.
    rng : int, Generator or None
        Master seed; each replicate gets its own child seed, so results do not depend on
        ``n_jobs`` or the executor.
    n_jobs : int
        Local worker processes (joblib); 1 runs in this process.
    executor : object with ``map``, optional
        A Dask ``distributed.Client`` or any executor with ``map(fn, iterable)``
        (``concurrent.futures``); overrides ``n_jobs``. Results equal the serial run's.
    progress : bool
        Print replicates done to stderr.

    Returns
    -------
    RecoveryResult
        Bias, RMSE and coverage per term with their Monte Carlo SEs, and every replicate.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from coachstats.simulate import SimulatedData
    >>> def gen(rng):
    ...     return SimulatedData(pd.DataFrame({"y": rng.normal(1.0, 1.0, 30)}), None, {})
    >>> def est(df):
    ...     m, s = df["y"].mean(), df["y"].std(ddof=1) / np.sqrt(len(df))
    ...     return pd.DataFrame({"term": ["mean"], "estimate": [m], "ci_low": [m - 2.045 * s],
    ...                          "ci_high": [m + 2.045 * s], "ci_level": [0.95]})
    >>> res = recovery(est, gen, truth={"mean": 1.0}, n_reps=50, rng=1)
    >>> res.to_frame()["n_reps"].item()
    50
    """
    n_reps = check_int(n_reps, "n_reps", minimum=2)
    entropy = int(as_generator(rng).integers(0, 2**63 - 1))
    seeds = np.random.SeedSequence(entropy).spawn(n_reps)
    tasks = [(estimate_fn, generate_fn, truth, s, i) for i, s in enumerate(seeds)]
    results = run_tasks(_replicate_task, tasks, executor=executor, n_jobs=n_jobs,
                        progress=progress, label="recovery")
    rows = [row for rep in results for row in rep]
    reps = pd.DataFrame(rows).sort_values(["rep", "term"], kind="stable").reset_index(drop=True)
    return RecoveryResult(replicates=reps, n_reps=n_reps, seed_entropy=entropy)
