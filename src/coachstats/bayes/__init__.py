"""The one adapter between coachstats and PyMC/ArviZ.

Bayesian estimators build a PyMC model and call :func:`sample`; they read results through
:func:`posterior_table`, :func:`draws` and :func:`diagnose`. PyMC, PyTensor and ArviZ are
imported inside these functions, never at ``import coachstats`` time.

Intervals are equal-tailed (ETI) at the probability the caller names; ArviZ 1.x defaults to
an 89% interval, so every table here carries its ``ci_level`` and ``ci_kind`` explicitly.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._progress import ProgressLike
from .._rng import RNGLike
from ..results import Caution, Result, tidy_frame

__all__ = [
    "ConvergenceWarning",
    "Diagnostics",
    "diagnose",
    "draws",
    "posterior_table",
    "sample",
]

#: Thresholds follow Vehtari et al. (2021), "Rank-normalization, folding, and localization".
RHAT_MAX = 1.01
ESS_MIN = 400


class ConvergenceWarning(UserWarning):
    """The sampler's output fails a health check; estimates may be unreliable.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np, arviz as az
    >>> import coachstats as cs
    >>> rng = np.random.default_rng(0)
    >>> stuck = np.stack([rng.normal(0, 1, 200), rng.normal(5, 1, 200)])  # chains disagree
    >>> idata = az.from_dict({"posterior": {"mu": stuck}})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = cs.bayes.diagnose(idata, ["mu"])
    >>> any(issubclass(w.category, cs.bayes.ConvergenceWarning) for w in caught)
    True
    """


def sample(
    model: Any,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.9,
    rng: RNGLike = None,
    var_names: Sequence[str] | None = None,
    progress: ProgressLike = False,
) -> Any:
    """Sample ``model`` with nutpie (PyMC's default NUTS) and return the ArviZ DataTree.

    The model is compiled with the callbacks cached on disk (:mod:`._disk_cached`), so a
    model of the same structure starts in about a second in a new process. The DataTree
    has the groups ``pm.sample`` gives (posterior, sample_stats, observed_data,
    constant_data). No progress bar unless ``progress``, no convergence printout
    (:func:`diagnose` reports health).

    Parameters
    ----------
    model : pymc.Model
    draws, tune, chains : int
        Posterior draws per chain, tuning steps per chain, number of chains.
    target_accept : float
        NUTS target acceptance rate; raise towards 0.99 if divergences appear.
    rng : int, Generator or None
        Seeds the sampler; the same seed gives the same draws.
    var_names : sequence of str, optional
        Variables to keep in the posterior (passed to the compiler; default: nutpie's choice).
    progress : bool or Progress
        Show a bar of the draws of all chains on standard error (``True``, e.g. in a
        notebook); a :class:`coachstats._progress.Progress` adds it to that display.

    Returns
    -------
    DataTree
        The ArviZ posterior (groups as above).

    Examples
    --------
    >>> import pymc as pm                                             # doctest: +SKIP
    >>> import coachstats as cs                                       # doctest: +SKIP
    >>> with pm.Model() as model:                                     # doctest: +SKIP
    ...     mu = pm.Normal("mu", 0, 1)
    ...     pm.Normal("y", mu, 1, observed=[0.2, 0.5, 0.1])
    >>> idata = cs.bayes.sample(model, draws=500, chains=2, rng=1)    # doctest: +SKIP
    >>> cs.bayes.diagnose(idata, ["mu"]).ok                           # doctest: +SKIP
    True
    """
    import time

    from pymc.backends.arviz import patch_nutpie_idata

    from ._disk_cached import compile_model
    from .compiled import run_nutpie

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        compiled = compile_model(
            model, var_names=list(var_names) if var_names is not None else None
        )
        t0 = time.time()
        idata = run_nutpie(compiled, draws=draws, tune=tune, chains=chains,
                           target_accept=target_accept, rng=rng, progress=progress)
        patch_nutpie_idata(idata, model, sampling_time=time.time() - t0)
    return idata


def draws(idata: Any, var: str, group: str = "posterior") -> np.ndarray:
    """Return the draws of ``var`` as an array of shape (chain, draw, ...).

    Parameters
    ----------
    idata : arviz.InferenceData or DataTree
        Output of :func:`sample`.
    var : str
        Variable name.
    group : str, default "posterior"
        Group to read (e.g. ``"posterior_predictive"``).

    Returns
    -------
    ndarray
        The draws, shape (chain, draw, ...).

    Examples
    --------
    >>> import numpy as np, arviz as az
    >>> import coachstats as cs
    >>> rng = np.random.default_rng(0)
    >>> idata = az.from_dict({"posterior": {"mu": rng.normal(0.3, 0.1, (2, 500))}})
    >>> cs.bayes.draws(idata, "mu").shape
    (2, 500)
    """
    return np.asarray(idata[group][var].values)


def _flat_elements(idata: Any, var: str) -> list[tuple[str, np.ndarray]]:
    da = idata["posterior"][var]
    x = np.asarray(da.values)
    if x.ndim == 2:
        return [(var, x)]
    extra_dims = da.dims[2:]
    coords = [
        np.asarray(da.coords[d].values) if d in da.coords else np.arange(da.sizes[d])
        for d in extra_dims
    ]
    out = []
    for idx in np.ndindex(*x.shape[2:]):
        label = ", ".join(str(coords[i][j]) for i, j in enumerate(idx))
        out.append((f"{var}[{label}]", x[(slice(None), slice(None), *idx)]))
    return out


def _rhat_ess(x: np.ndarray) -> tuple[float, float, float]:
    import arviz as az

    if x.shape[0] < 2 or not np.all(np.isfinite(x)):
        return np.nan, np.nan, np.nan
    if np.ptp(x) == 0:
        return np.nan, np.nan, np.nan
    r = float(az.rhat(x, chain_axis=0, draw_axis=1))
    eb = float(az.ess(x, method="bulk", chain_axis=0, draw_axis=1))
    et = float(az.ess(x, method="tail", prob=0.1, chain_axis=0, draw_axis=1))
    return r, eb, et


def posterior_table(
    idata: Any,
    var_names: Sequence[str],
    *,
    ci_level: float = 0.95,
    terms: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Tidy posterior summary: one row per scalar element of each variable.

    Columns: ``term, estimate`` (posterior mean), ``std_error`` (posterior SD), ``ci_low,
    ci_high`` (equal-tailed), ``ci_level``, ``median, ci_kind, rhat, ess_bulk, ess_tail``.
    ``terms`` renames variables in the output.

    Parameters
    ----------
    idata : arviz.InferenceData or DataTree
        Output of :func:`sample`.
    var_names : sequence of str
        Variables to summarise.
    ci_level : float, default 0.95
        Probability of the equal-tailed credible intervals.
    terms : dict of str to str, optional
        Variable name -> term name in the output.

    Returns
    -------
    DataFrame
        The tidy table described above.

    Examples
    --------
    >>> import numpy as np, arviz as az
    >>> import coachstats as cs
    >>> rng = np.random.default_rng(0)
    >>> idata = az.from_dict({"posterior": {"mu": rng.normal(0.3, 0.1, (2, 500))}})
    >>> cs.bayes.posterior_table(idata, ["mu"], terms={"mu": "effect"})["term"].tolist()
    ['effect']
    """
    a = (1 - ci_level) / 2
    rows = []
    for var in var_names:
        for name, x in _flat_elements(idata, var):
            flat = x.reshape(-1)
            r, eb, et = _rhat_ess(x)
            rows.append(
                {
                    "term": (terms or {}).get(name, name),
                    "estimate": float(np.mean(flat)),
                    "std_error": float(np.std(flat, ddof=1)),
                    "ci_low": float(np.quantile(flat, a)),
                    "ci_high": float(np.quantile(flat, 1 - a)),
                    "ci_level": ci_level,
                    "median": float(np.median(flat)),
                    "ci_kind": "equal-tailed",
                    "rhat": r,
                    "ess_bulk": eb,
                    "ess_tail": et,
                }
            )
    return tidy_frame(rows)


@dataclass(frozen=True)
class Diagnostics(Result):
    """Sampler health: worst R-hat, smallest bulk/tail ESS, divergent transitions.

    Parameters
    ----------
    max_rhat : float
        Largest rank-normalised R-hat over the checked variables.
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample sizes.
    n_divergent : int
        Divergent transitions.
    chains, draws : int
        Chains and draws per chain.
    rhat_max : float
        Threshold R-hat must not exceed.
    ess_min : float
        Threshold both ESS must reach.
    problems : tuple of str
        One plain-words message per failed check (empty when healthy).

    Examples
    --------
    >>> import coachstats as cs
    >>> d = cs.bayes.Diagnostics(max_rhat=1.002, min_ess_bulk=1500.0, min_ess_tail=1200.0,
    ...                          n_divergent=0, chains=4, draws=1000)
    >>> d.ok
    True
    """

    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    n_divergent: int
    chains: int
    draws: int
    rhat_max: float = RHAT_MAX
    ess_min: float = ESS_MIN
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def cautions(self) -> tuple[Caution, ...]:
        """R-hat above 1.01, ESS below 400 or divergent transitions, in plain words.

        Every Bayesian result that carries these diagnostics reports them as its cautions
        (see :attr:`coachstats.results.Result.cautions`).
        """
        out = []
        if not np.isfinite(self.max_rhat) or self.max_rhat > self.rhat_max:
            out.append(Caution(
                "rhat_high",
                f"The sampler's chains disagree (largest R-hat {self.max_rhat:.3f}, above "
                f"{self.rhat_max}): the posterior summaries may be wrong; run longer chains.",
                float(self.max_rhat)))
        ess = min(self.min_ess_bulk, self.min_ess_tail)
        if not np.isfinite(ess) or ess < self.ess_min:
            out.append(Caution(
                "ess_low",
                f"Too few effective draws (smallest ESS {ess:.0f}, below {self.ess_min:g}): "
                "intervals are imprecise; draw more samples.", float(ess)))
        if self.n_divergent > 0:
            out.append(Caution(
                "divergences",
                f"{self.n_divergent} divergent transitions: the sampler missed part of the "
                "posterior; results may be biased (raise target_accept or reparameterise).",
                float(self.n_divergent)))
        return tuple(out)

    @property
    def title(self) -> str:
        return "Sampler diagnostics"

    @property
    def notes(self) -> list[str]:
        if self.ok:
            return [
                f"Healthy: R-hat <= {self.rhat_max}, bulk and tail ESS >= {self.ess_min:g}, "
                "no divergent transitions (Vehtari et al. 2021)."
            ]
        return list(self.problems)

    def to_frame(self) -> pd.DataFrame:
        """One row per check: ``term`` (the diagnostic), ``estimate`` (its value),
        ``threshold`` and ``ok``."""
        checks = [
            ("max_rhat", self.max_rhat, self.rhat_max, self.max_rhat <= self.rhat_max),
            ("min_ess_bulk", self.min_ess_bulk, self.ess_min, self.min_ess_bulk >= self.ess_min),
            ("min_ess_tail", self.min_ess_tail, self.ess_min, self.min_ess_tail >= self.ess_min),
            ("n_divergent", float(self.n_divergent), 0.0, self.n_divergent == 0),
        ]
        return tidy_frame([{"term": t, "estimate": float(v), "threshold": float(th),
                            "ok": bool(ok)} for t, v, th, ok in checks])


def diagnose(
    idata: Any,
    var_names: Sequence[str],
    *,
    rhat_max: float = RHAT_MAX,
    ess_min: float = ESS_MIN,
    warn: bool = True,
) -> Diagnostics:
    """Check R-hat, bulk/tail ESS and divergences over ``var_names``; warn if poor.

    Emits a :class:`ConvergenceWarning` naming each problem and what to try.

    Parameters
    ----------
    idata : arviz.InferenceData or DataTree
        Output of :func:`sample` (with ``sample_stats`` for divergences, when present).
    var_names : sequence of str
        Variables to check.
    rhat_max : float, default 1.01
        Largest acceptable R-hat.
    ess_min : float, default 400
        Smallest acceptable bulk and tail ESS.
    warn : bool, default True
        Emit a :class:`ConvergenceWarning` when a check fails.

    Returns
    -------
    Diagnostics
        The worst values, the thresholds and the problems found.

    Examples
    --------
    >>> import numpy as np, arviz as az
    >>> import coachstats as cs
    >>> rng = np.random.default_rng(0)
    >>> idata = az.from_dict({"posterior": {"mu": rng.normal(0.3, 0.1, (2, 500))}})
    >>> cs.bayes.diagnose(idata, ["mu"]).ok
    True
    """
    rh, eb, et = [], [], []
    for var in var_names:
        for _, x in _flat_elements(idata, var):
            r, b, t = _rhat_ess(x)
            rh.append(r)
            eb.append(b)
            et.append(t)
    max_rhat = float(np.nanmax(rh)) if np.any(np.isfinite(rh)) else np.nan
    min_eb = float(np.nanmin(eb)) if np.any(np.isfinite(eb)) else np.nan
    min_et = float(np.nanmin(et)) if np.any(np.isfinite(et)) else np.nan
    n_div = 0
    if "sample_stats" in idata.children and "diverging" in idata["sample_stats"]:
        n_div = int(np.asarray(idata["sample_stats"]["diverging"].values).sum())
    post = idata["posterior"]
    chains, n_draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    problems = []
    if not np.isfinite(max_rhat) or max_rhat > rhat_max:
        problems.append(
            f"R-hat up to {max_rhat:.3f} exceeds {rhat_max}: chains disagree; run longer "
            "chains or reparameterise."
        )
    if not np.isfinite(min_eb) or min_eb < ess_min:
        problems.append(
            f"Bulk ESS as low as {min_eb:.0f} (< {ess_min:g}): too few effective draws; "
            "increase draws."
        )
    if np.isfinite(min_et) and min_et < ess_min:
        problems.append(
            f"Tail ESS as low as {min_et:.0f} (< {ess_min:g}): interval ends are noisy; "
            "increase draws."
        )
    if n_div:
        problems.append(
            f"{n_div} divergent transition(s): the posterior may be biased; raise "
            "target_accept or use a non-centred parameterisation."
        )
    diag = Diagnostics(
        max_rhat=max_rhat,
        min_ess_bulk=min_eb,
        min_ess_tail=min_et,
        n_divergent=n_div,
        chains=chains,
        draws=n_draws,
        rhat_max=rhat_max,
        ess_min=ess_min,
        problems=tuple(problems),
    )
    if warn and problems:
        warnings.warn(
            "Sampler diagnostics are poor: " + " ".join(problems), ConvergenceWarning, stacklevel=2
        )
    return diag


def __dir__() -> list[str]:
    # the public names only: imported helpers (np, argparse, ...) are not part of the API
    return sorted(__all__)
