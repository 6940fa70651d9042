"""Run independent replicate tasks serially, on local processes, or on a Dask cluster.

Every replicate is a pure function of its own seed (children of one
:class:`numpy.random.SeedSequence`), so the results are the same whichever way the tasks
run and in whatever order they finish; :func:`run_tasks` returns them in task order.

On a Dask ``distributed.Client`` a task whose worker dies is rescheduled by the scheduler
on another worker (Dask's ``distributed.scheduler.allowed-failures``), and a task that
raises is retried ``retries`` times; since a task only depends on its seed, a retry gives
the same numbers. Dask is optional (``pip install coachstats[dask]``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._validate import check_int

__all__ = ["child_seeds", "cluster_client", "is_dask_client", "run_tasks"]


def child_seeds(seed: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """The first ``n`` children of ``seed``, without advancing it.

    ``SeedSequence.spawn`` counts the children it has handed out, so spawning twice from the
    same object (a retried task, or the same replicate seed in several designs) would give
    new streams. These are the children a fresh ``seed.spawn(n)`` gives.

    Examples
    --------
    >>> s = np.random.SeedSequence(1)
    >>> a = child_seeds(s, 2); b = child_seeds(s, 2)
    >>> a[1].generate_state(1) == b[1].generate_state(1)
    array([ True])
    """
    return [np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i),
                                   pool_size=seed.pool_size) for i in range(n)]


def is_dask_client(executor: Any) -> bool:
    """True for a ``dask.distributed.Client`` (anything with ``submit``, ``gather``, ``map``
    and a ``scheduler`` attribute)."""
    return all(hasattr(executor, a) for a in ("submit", "gather", "map", "scheduler"))


class _Progress:
    def __init__(self, total: int, label: str, enabled: bool | Callable[[int, int], None]):
        self.total, self.label, self.done = total, label, 0
        self.cb = enabled if callable(enabled) else None
        self.print = enabled is True
        self.t0 = self.last = time.monotonic()

    def step(self, k: int = 1) -> None:
        self.done += k
        if self.cb is not None:
            self.cb(self.done, self.total)
        now = time.monotonic()
        if self.print and (now - self.last > 1.0 or self.done == self.total):
            self.last = now
            print(f"\r{self.label}: {self.done}/{self.total} ({now - self.t0:.0f} s)",
                  end="\n" if self.done == self.total else "", file=sys.stderr, flush=True)


def run_tasks(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    executor: Any = None,
    n_jobs: int = 1,
    progress: bool | Callable[[int, int], None] = False,
    retries: int = 2,
    label: str = "replicates",
) -> list[Any]:
    """Apply ``fn`` to every task and return the results in task order.

    Parameters
    ----------
    fn : callable
        ``fn(task)``; must be picklable (a module-level function) for processes and Dask.
    tasks : sequence
        One argument per call.
    executor : optional
        A Dask ``distributed.Client`` (tasks are submitted as futures, with ``retries``), or
        any object with ``map(fn, iterable)`` (e.g. ``concurrent.futures`` executors).
    n_jobs : int
        Local processes (joblib) when no executor is given; 1 runs in this process.
    progress : bool or callable
        ``True`` prints ``label: done/total`` to stderr; a callable receives
        ``(done, total)``.
    retries : int
        Dask retries of a task that raised (a lost worker is rescheduled regardless).
    label : str
        Name shown with the progress.

    Returns
    -------
    list
        ``[fn(t) for t in tasks]``.

    Examples
    --------
    >>> run_tasks(abs, [-1, 2, -3])
    [1, 2, 3]
    """
    tasks = list(tasks)
    prog = _Progress(len(tasks), label, progress)
    if executor is not None and is_dask_client(executor):
        from distributed import as_completed

        futures = executor.map(fn, tasks, retries=retries, pure=False)
        for _ in as_completed(futures):
            prog.step()
        return list(executor.gather(futures))
    if executor is not None:
        out = []
        for r in executor.map(fn, tasks):
            out.append(r)
            prog.step()
        return out
    if n_jobs == 1:
        out = []
        for t in tasks:
            out.append(fn(t))
            prog.step()
        return out
    from joblib import Parallel, delayed

    out = []
    for r in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(fn)(t) for t in tasks):
        out.append(r)
        prog.step()
    return out


@contextmanager
def cluster_client(workers: int | None = None, scheduler: str | None = None,
                   threads_per_worker: int = 1) -> Iterator[Any]:
    """A Dask client for the CLI: connect to ``scheduler`` or start ``workers`` local
    processes; ``None`` for both yields ``None`` (serial).

    Examples
    --------
    >>> with cluster_client() as client:
    ...     client is None
    True
    """
    if workers is None and scheduler is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("--workers/--scheduler need Dask: pip install 'coachstats[dask]'."
                          ) from exc
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    if workers is not None:
        check_int(workers, "workers", minimum=1)
    with LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                      processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client
