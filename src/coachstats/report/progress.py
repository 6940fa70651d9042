"""Progress bars for long work (studies, analyses, replications), shown only where wanted.

Bars are drawn with `rich <https://rich.readthedocs.io>`_ on standard error. They appear when
asked for (``progress=True``, e.g. in a notebook) or, by default, only when standard error is
a terminal: never in tests, logs or pipes, and never with ``--quiet``.

Examples
--------
>>> with Progress(enabled=False) as p:          # silent: every call is a no-op
...     t = p.task("studies", total=2)
...     p.advance(t)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .._progress import Progress, wanted

__all__ = ["Progress", "ProgressExecutor", "wanted"]


class ProgressExecutor:
    """An executor for :func:`coachstats.validate.recovery` that advances a bar per replicate.

    ``map`` runs in this process (``n_jobs=1``) or in joblib workers, yielding results in
    order as they finish, and calls ``on_done`` after each.

    Examples
    --------
    >>> ex = ProgressExecutor(n_jobs=1)
    >>> list(ex.map(lambda a, b: a + b, [1, 2], [10, 20]))
    [11, 22]
    """

    def __init__(self, n_jobs: int = 1, on_done: Callable[[], None] | None = None) -> None:
        self.n_jobs = n_jobs
        self.on_done = on_done or (lambda: None)

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        if self.n_jobs == 1:
            for args in zip(*iterables, strict=True):
                out = fn(*args)
                self.on_done()
                yield out
            return
        from joblib import Parallel, delayed

        gen = Parallel(n_jobs=self.n_jobs, return_as="generator")(
            delayed(fn)(*args) for args in zip(*iterables, strict=True))
        for out in gen:
            self.on_done()
            yield out
