"""Simulation-based calibration of the Bayesian ROI model (Talts et al. 2018).

Draw parameters from the prior, simulate a dataset from the model, fit it, and record the
rank of each true parameter among ``L`` thinned posterior draws. If the sampler and model
code are right, each rank is uniform on ``0..L``. Every fit reuses the one compiled model.

Talts, Betancourt, Simpson, Vehtari & Gelman (2018), "Validating Bayesian inference
algorithms with simulation-based calibration", arXiv:1804.06788.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._rng import RNGLike, as_generator
from .._validate import check_int
from ..results import Result, new_axes, tidy_frame
from ..validate.executor import child_seeds, run_tasks
from .bayesian import MODEL_PARAMS, RoiPrior, fit_arrays

__all__ = ["SbcResult", "sbc"]

_EPS = 1e-9


@dataclass(frozen=True)
class SbcResult(Result):
    """Ranks of the true parameters among posterior draws, with uniformity tests.

    Parameters
    ----------
    ranks : DataFrame
        Rank of each true parameter in each simulated dataset.
    n_draws_ranked : int
        Thinned posterior draws the ranks are taken among.
    n_bins : int
        Bins of the uniformity tests.
    n_divergent : int
        Divergent transitions over all fits.

    Examples
    --------
    >>> import coachstats as cs
    >>> res = cs.roi.sbc(20, n_bins=4, rng=1)                          # doctest: +SKIP
    >>> res.n_bins                                                      # doctest: +SKIP
    4
    """

    ranks: pd.DataFrame = field(compare=False)
    n_draws_ranked: int
    n_bins: int
    n_divergent: int

    @property
    def n_datasets(self) -> int:
        return int(self.ranks.shape[0])

    @property
    def title(self) -> str:
        return f"Simulation-based calibration over {self.n_datasets} datasets"

    @property
    def notes(self) -> list[str]:
        return [
            f"Rank of each true value among {self.n_draws_ranked} thinned posterior draws "
            f"(uniform on 0..{self.n_draws_ranked} if calibrated; Talts et al. 2018).",
            f"p_value: chi-square test of {self.n_bins} equal rank bins; mean_rank: mean "
            "normalised rank (0.5 if uniform) with its standard error sqrt(1/12/N).",
            f"{self.n_divergent} divergent transition(s) over all fits.",
        ]

    def to_frame(self) -> pd.DataFrame:
        rows = []
        L = self.n_draws_ranked
        n = self.n_datasets
        for term in self.ranks.columns:
            r = self.ranks[term].to_numpy()
            counts = np.bincount(
                np.minimum(r * self.n_bins // (L + 1), self.n_bins - 1), minlength=self.n_bins
            )
            chi2 = float(np.sum((counts - n / self.n_bins) ** 2 / (n / self.n_bins)))
            u = (r + 0.5) / (L + 1)
            rows.append(
                {
                    "term": term,
                    "estimate": float(np.mean(u)),
                    "mean_rank": float(np.mean(u)),
                    "std_error": math.sqrt(1 / 12 / n),
                    "chi2": chi2,
                    "df": self.n_bins - 1,
                    "p_value": float(stats.chi2.sf(chi2, self.n_bins - 1)),
                    "ks_p_value": float(stats.kstest(u, "uniform").pvalue),
                    "n_datasets": n,
                }
            )
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """ECDF of normalised ranks minus the uniform CDF, with a 99% pointwise band.

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
        L = self.n_draws_ranked
        n = self.n_datasets
        grid = np.linspace(0, 1, 201)
        for term in self.ranks.columns:
            u = (self.ranks[term].to_numpy() + 0.5) / (L + 1)
            ecdf = np.searchsorted(np.sort(u), grid, side="right") / n
            ax.plot(grid, ecdf - grid, lw=1, label=term)
        lo = stats.binom.ppf(0.005, n, grid) / n - grid
        hi = stats.binom.ppf(0.995, n, grid) / n - grid
        ax.fill_between(grid, lo, hi, color="0.85", label="99% pointwise band (uniform)")
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xlabel("normalised rank")
        ax.set_ylabel("ECDF - uniform")
        ax.legend(fontsize=7, ncol=2)
        return ax


def simulate_from_prior(
    prior: RoiPrior, n_participants: int, rng: np.random.Generator
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Draw parameters from the prior and one dataset (model scale) from the model."""
    th = prior.draw(rng)
    n_pos = int(rng.binomial(n_participants, th["share_with_benefit"]))
    y = rng.logistic(th["log_median_ratio"], th["tail_shape"], n_pos)
    out = {"log_ratio": y}
    for name in ("attribution", "confidence"):
        m, c = th[f"{name}_mean"], th[f"{name}_concentration"]
        out[name] = np.clip(rng.beta(m * c, (1 - m) * c, n_pos), _EPS, 1 - _EPS)
    th["bcr"] = (
        th["share_with_benefit"]
        * math.exp(th["log_median_ratio"])
        * math.pi * th["tail_shape"] / math.sin(math.pi * th["tail_shape"])
        * th["attribution_mean"]
        * th["confidence_mean"]
    )
    return th, out


def _sbc_task(args: tuple[Any, ...]) -> tuple[dict[str, int], int]:
    """One SBC replicate: a pure function of its seed (so it can run anywhere)."""
    prior, n_participants, draws, tune, chains, n_draws_ranked, seed = args
    sim_seed, fit_seed = child_seeds(seed, 2)
    th, d = simulate_from_prior(prior, n_participants, np.random.default_rng(sim_seed))
    idata = fit_arrays(
        n_total=n_participants,
        log_ratio=d["log_ratio"],
        attribution=d["attribution"],
        confidence=d["confidence"],
        prior=prior,
        draws=draws,
        tune=tune,
        chains=chains,
        target_accept=0.9,
        rng=np.random.default_rng(fit_seed),
    )
    post = idata["posterior"]
    flat = {v: np.asarray(post[v].values).reshape(-1) for v in MODEL_PARAMS}
    s = flat["tail_shape"]
    flat["bcr"] = (
        flat["share_with_benefit"] * np.exp(flat["log_median_ratio"])
        * math.pi * s / np.sin(math.pi * s)
        * flat["attribution_mean"] * flat["confidence_mean"]
    )
    idx = np.linspace(0, flat["bcr"].size - 1, n_draws_ranked).round().astype(int)
    ranks = {t: int(np.sum(flat[t][idx] < th[t])) for t in [*MODEL_PARAMS, "bcr"]}
    return ranks, int(np.asarray(idata["sample_stats"]["diverging"].values).sum())


def sbc(
    n_datasets: int = 100,
    *,
    n_participants: int = 100,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    n_draws_ranked: int = 99,
    n_bins: int = 10,
    prior: RoiPrior | None = None,
    rng: RNGLike = None,
    executor: Any = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> SbcResult:
    """Run simulation-based calibration of :func:`coachstats.roi.bayesian`'s model.

    Parameters
    ----------
    n_datasets : int
        Number of prior draws / simulated datasets (>= 100 for a real check).
    n_participants : int
        Participants per simulated program.
    draws, tune, chains : int
        Sampler settings per fit; ``chains * draws`` must be at least ``n_draws_ranked``.
    n_draws_ranked : int
        Posterior draws kept (evenly thinned) to compute each rank.
    n_bins : int
        Rank bins of the chi-square uniformity test.
    prior : RoiPrior, optional
    rng : int, Generator or None
        Master seed; dataset ``i`` uses the ``i``-th child of one ``SeedSequence``, so the
        ranks do not depend on where the fits run.
    executor : optional
        A Dask ``distributed.Client`` (or any executor with ``map``) to fit the datasets on.
    n_jobs : int
        Local processes when no executor is given.
    progress : bool
        Print datasets done to stderr.

    Returns
    -------
    SbcResult
        The ranks and a uniformity test per parameter.

    Examples
    --------
    >>> res = sbc(20, n_bins=4, rng=1)                       # doctest: +SKIP
    >>> res.to_frame()[["term", "mean_rank", "p_value"]]      # doctest: +SKIP
    """
    prior = RoiPrior() if prior is None else prior
    if chains * draws < n_draws_ranked:
        raise ValueError(
            f"chains * draws ({chains * draws}) must be at least n_draws_ranked "
            f"({n_draws_ranked})."
        )
    check_int(n_datasets, "n_datasets", minimum=2)
    check_int(n_bins, "n_bins", minimum=2)
    entropy = int(as_generator(rng).integers(0, 2**63 - 1))
    seeds = np.random.SeedSequence(entropy).spawn(int(n_datasets))
    tasks = [(prior, n_participants, draws, tune, chains, n_draws_ranked, s) for s in seeds]
    out = run_tasks(_sbc_task, tasks, executor=executor, n_jobs=n_jobs, progress=progress,
                    label="sbc")
    terms = [*MODEL_PARAMS, "bcr"]
    ranks = [r for r, _ in out]
    n_div = sum(d for _, d in out)
    return SbcResult(
        ranks=pd.DataFrame(ranks, columns=terms),
        n_draws_ranked=n_draws_ranked,
        n_bins=n_bins,
        n_divergent=n_div,
    )
