"""Progress bars for long loops (bootstrap resamples, MCMC sampling, studies), only where wanted.

Bars are drawn with `rich <https://rich.readthedocs.io>`_ on standard error. They appear when
asked for (``progress=True``) or, with ``None``, only when standard error is a terminal:
never in tests, logs or pipes unless asked. Estimators take ``progress: bool | Progress =
False``; passing a :class:`Progress` adds their bar to that display (only one rich display
can be live at a time), which is how a report shows bootstrap bars under its analysis bar.

Examples
--------
>>> with Progress(enabled=False) as p:          # silent: every call is a no-op
...     t = p.task("studies", total=2)
...     p.advance(t)
>>> with progress_bar(False, "bootstrap", total=3) as advance:
...     for _ in range(3):
...         advance()
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Progress", "ProgressLike", "progress_bar", "wanted"]


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
    """A context manager around ``rich.progress.Progress`` that does nothing when disabled.

    ``console``: the rich Console to draw on (default: standard error).
    """

    def __init__(self, enabled: bool | None = None, *, console: Any = None) -> None:
        self.enabled = wanted(enabled)
        self.console = console
        self._bar: Any = None
        self._depth = 0

    @classmethod
    def of(cls, progress: bool | Progress | None) -> Progress:
        """``progress`` itself if it is a Progress (bars share one display), else a new one."""
        return progress if isinstance(progress, Progress) else cls(progress)

    @property
    def active(self) -> bool:
        """Whether bars are being drawn now."""
        return self._bar is not None

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
                TimeElapsedColumn(), console=self.console or Console(stderr=True),
                transient=False,
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

    def update(self, task: int | None, description: str | None = None,
               completed: float | None = None) -> None:
        """Change what a bar says (e.g. the analysis now running) or how far it is."""
        if self._bar is not None and task is not None:
            self._bar.update(task, description=description, completed=completed)

    def advance(self, task: int | None, n: int = 1) -> None:
        if self._bar is not None and task is not None:
            self._bar.advance(task, n)

    def refresh(self) -> None:
        """Redraw now (rich redraws a few times a second on its own)."""
        if self._bar is not None:
            self._bar.refresh()

    def remove(self, task: int | None) -> None:
        if self._bar is not None and task is not None:
            self._bar.remove_task(task)


#: What estimators accept as ``progress``.
ProgressLike = bool | Progress | None


@contextmanager
def progress_bar(
    progress: ProgressLike, description: str, total: int
) -> Iterator[Callable[..., None]]:
    """One bar for a loop; yields ``advance(n=1)``, a no-op when progress is off.

    On a shared display (``progress`` a :class:`Progress`) the bar is removed when the loop
    ends, so a report's analysis bar is not followed by a pile of finished ones.
    """
    shared = isinstance(progress, Progress)
    with Progress.of(progress) as p:
        task = p.task(description, total=total)

        def advance(n: int = 1) -> None:
            p.advance(task, n)

        try:
            yield advance
        finally:
            p.refresh()  # the final count, even for a loop quicker than a redraw
            if shared:
                p.remove(task)
