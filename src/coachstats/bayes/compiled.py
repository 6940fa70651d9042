"""Compile a PyMC model once, then refit it on new data without rebuilding.

Building a PyMC model and compiling its log-density (PyTensor -> Numba) costs seconds; NUTS
on a small model costs a fraction of that. Estimators that fit the same model many times
(sensitivity grids, recovery studies, simulation-based calibration) therefore build the
model once with :func:`pymc.Data` containers, compile it once for nutpie (with the compiled
code cached on disk, so a new process loads it: see :mod:`._disk_cached`), and swap the data
with nutpie's ``with_data`` for each fit.

The model's free parameters must not change shape with the data (keep per-row latent
variables out of reusable models); data containers may change length between fits.

PyMC, PyTensor and nutpie are imported inside functions, never at ``import coachstats``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from .._progress import ProgressLike, progress_bar
from .._rng import RNGLike, seed_from

__all__ = ["CompiledModel", "cached_model", "clear_cache"]

BuildFn = Callable[[Mapping[str, np.ndarray]], Any]


class CompiledModel:
    """A PyMC model compiled once whose :func:`pymc.Data` containers can be swapped.

    Parameters
    ----------
    build : callable
        ``build(data) -> pymc.Model``. It must register one :func:`pymc.Data` container per
        key of ``data``, named exactly as the key.
    data : mapping of str to array
        Example data used to build and compile the model (any valid dataset).
    var_names : sequence of str, optional
        Variables to keep in the posterior (default: all).

    Examples
    --------
    >>> import numpy as np
    >>> def build(d):
    ...     import pymc as pm
    ...     with pm.Model() as m:
    ...         y = pm.Data("y", d["y"])
    ...         mu = pm.Normal("mu", 0, 10)
    ...         pm.Normal("obs", mu, 1, observed=y)
    ...     return m
    >>> cm = CompiledModel(build, {"y": np.zeros(5)})            # doctest: +SKIP
    >>> idata = cm.fit({"y": np.ones(40)}, draws=200, tune=200, chains=2, rng=1)  # doctest: +SKIP
    """

    def __init__(
        self,
        build: BuildFn,
        data: Mapping[str, Any],
        *,
        var_names: Sequence[str] | None = None,
    ) -> None:
        from ._disk_cached import compile_model

        t0 = time.perf_counter()
        arrays = {k: np.asarray(v) for k, v in data.items()}
        model = build(arrays)
        names = {d.name for d in model.data_vars}
        missing = set(arrays) - names
        if missing:
            raise ValueError(
                f"build() did not register pymc.Data containers named {sorted(missing)}; "
                "name each container after its key in data."
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._compiled = compile_model(
                model, var_names=list(var_names) if var_names is not None else None
            )
        self.model = model
        self.data_names: tuple[str, ...] = tuple(sorted(arrays))
        self._ndim = {k: v.ndim for k, v in arrays.items()}
        self.compile_seconds = time.perf_counter() - t0
        self.n_fits = 0

    def fit(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        target_accept: float = 0.9,
        rng: RNGLike = None,
        progress: ProgressLike = False,
    ) -> Any:
        """Sample the posterior for ``data`` (all containers) and return the DataTree.

        Parameters
        ----------
        data : mapping of str to array, optional
            New values for every data container (``None`` reuses the compile-time data).
        draws, tune, chains : int
            Posterior draws per chain, tuning steps per chain, number of chains.
        target_accept : float
            NUTS target acceptance rate.
        rng : int, Generator or None
            Seeds the sampler; the same seed and data give the same draws.
        progress : bool or Progress
            Show a bar of the draws (see :func:`run_nutpie`).
        """

        compiled = self._compiled
        if data is not None:
            given = set(data)
            if given != set(self.data_names):
                raise ValueError(
                    f"data must give every container {list(self.data_names)}; "
                    f"missing {sorted(set(self.data_names) - given)}, "
                    f"unknown {sorted(given - set(self.data_names))}."
                )
            arrays = {k: np.asarray(v) for k, v in data.items()}
            for k, v in arrays.items():
                if v.ndim != self._ndim[k]:
                    raise ValueError(
                        f"data[{k!r}] must have {self._ndim[k]} dimension(s), got {v.ndim}."
                    )
            compiled = compiled.with_data(**arrays)
        idata = run_nutpie(compiled, draws=draws, tune=tune, chains=chains,
                           target_accept=target_accept, rng=rng, progress=progress)
        self.n_fits += 1
        return idata


def run_nutpie(
    compiled: Any, *, draws: int, tune: int, chains: int, target_accept: float, rng: RNGLike,
    progress: ProgressLike = False,
) -> Any:
    """Sample a compiled model with nutpie (no warm-up kept).

    Quiet by default; with ``progress`` a rich bar counts the draws of all chains (warm-up
    included), fed by nutpie's progress callback rather than its own display, so it can
    share a report's display. The draws do not depend on it.
    """
    import nutpie

    tune = max(tune, 1)  # nutpie requires at least one tuning step
    with progress_bar(progress, "MCMC sampling", chains * (draws + tune)) as advance:
        done = [0]

        def report(chain_progress: Any) -> None:
            now = sum(int(c.finished_draws) for c in chain_progress)
            if now > done[0]:
                advance(now - done[0])
                done[0] = now

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return nutpie.sample(
                compiled,
                draws=draws,
                tune=tune,
                chains=chains,
                seed=seed_from(rng),
                progress_bar=False,
                progress_callback=report if progress else None,
                save_warmup=False,
                target_accept=target_accept,
            )


_CACHE: dict[Hashable, CompiledModel] = {}


def cached_model(
    key: Hashable,
    build: BuildFn,
    data: Mapping[str, Any],
    *,
    var_names: Sequence[str] | None = None,
) -> CompiledModel:
    """Return the :class:`CompiledModel` stored under ``key``, compiling it on first use.

    ``key`` must identify the model's structure and every constant baked into it (e.g. the
    estimator name and its prior settings); data go through :meth:`CompiledModel.fit`.
    """
    cm = _CACHE.get(key)
    if cm is None:
        cm = CompiledModel(build, data, var_names=var_names)
        _CACHE[key] = cm
    return cm


def clear_cache() -> None:
    """Forget every cached compiled model (the next fit compiles again)."""
    _CACHE.clear()
