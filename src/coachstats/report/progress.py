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

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["Progress", "ProgressExecutor", "wanted"]


def wanted(enabled: bool | None) -> bool:
    """``enabled`` if given, else whether standard error is an interactive terminal.

    Examples
    --------
    >>> wanted(False), wanted(True)
    (False, True)
    """
    if enabled is not None:
        return bool(enabled)
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


class Progress:
    """A context manager around ``rich.progress.Progress`` that does nothing when disabled."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = wanted(enabled)
        self._bar: Any = None
        self._depth = 0

    @classmethod
    def of(cls, progress: bool | Progress | None) -> Progress:
        """``progress`` itself if it is a Progress (bars share one display), else a new one."""
        return progress if isinstance(progress, Progress) else cls(progress)

    def __enter__(self) -> Progress:
        self._depth += 1
        if self.enabled and self._depth == 1:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as _RichProgress

            self._bar = _RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=Console(stderr=True), transient=False,
            )
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._depth -= 1
        if self._bar is not None and self._depth == 0:
            self._bar.__exit__(*exc)
            self._bar = None

    def task(self, description: str, total: int | None = None) -> int | None:
        """Add a bar; returns its id (None when disabled)."""
        if self._bar is None:
            return None
        return self._bar.add_task(description, total=total)

    def update(self, task: int | None, description: str) -> None:
        """Change what a bar says (e.g. the analysis now running)."""
        if self._bar is not None and task is not None:
            self._bar.update(task, description=description)

    def advance(self, task: int | None, n: int = 1) -> None:
        if self._bar is not None and task is not None:
            self._bar.advance(task, n)

    def remove(self, task: int | None) -> None:
        if self._bar is not None and task is not None:
            self._bar.remove_task(task)


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
