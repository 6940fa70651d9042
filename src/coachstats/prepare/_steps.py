"""Prepare steps by name, as a study spec lists them in ``[data.X] prepare = [...]``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from ._context import spec_step
from .events import durations, episodes
from .pairs import pairs
from .periods import cohorts, waves
from .scale import scale
from .sheets import flag, percent, total

__all__ = ["STEPS", "apply_steps"]


def _scale_step(data: pd.DataFrame, items: Sequence[str], *, name: str = "score",
                **kwargs: Any) -> pd.DataFrame:
    res = scale(data, items, **kwargs)
    out = data.copy()
    out[name] = res.scores
    return out


def _pairs_step(data: pd.DataFrame, person: str, time: str, outcome: str | Sequence[str],
                pre: Any = "pre", post: Any = "post") -> pd.DataFrame:
    return pairs(data, person, time, outcome, pre, post).data


#: step name -> (function returning a frame, the public function whose options it takes)
STEPS: dict[str, tuple[Callable[..., pd.DataFrame], Callable[..., Any]]] = {
    "scale": (_scale_step, scale),
    "waves": (waves, waves),
    "cohorts": (cohorts, cohorts),
    "durations": (durations, durations),
    "episodes": (episodes, episodes),
    "pairs": (_pairs_step, pairs),
    "percent": (percent, percent),
    "total": (total, total),
    "flag": (flag, flag),
}


def _options(fn: Callable[..., Any], extra: Sequence[str] = ()) -> list[str]:
    ps = list(inspect.signature(fn).parameters)[1:]
    return [*ps, *extra]


def apply_steps(data: pd.DataFrame, steps: Sequence[Mapping[str, Any]], where: str
                ) -> pd.DataFrame:
    """Run ``steps`` in order; errors name the step as ``<where> prepare step N (name)``.

    Parameters
    ----------
    data : DataFrame
        The frame to prepare.
    steps : sequence of mapping
        Each step: ``{"step": <name>, <options>}``, as in a study spec's ``prepare`` list.
    where : str
        Where the steps come from, used in error messages (e.g. ``"[data.x]"``).

    Returns
    -------
    DataFrame
        The frame after every step.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": ["2024-01-05", "2024-04-02"]})
    >>> apply_steps(df, [{"step": "waves", "date": "d", "freq": "QS"}], "[data.x]")["wave"].tolist()
    [1, 2]
    """
    out = data
    for i, st in enumerate(steps, start=1):
        st = dict(st)
        name = st.pop("step", None)
        if name not in STEPS:
            raise ValueError(f"{where} prepare step {i}: step = {name!r} is not a prepare step; "
                             f"choose one of {', '.join(STEPS)}.")
        fn, public = STEPS[name]
        valid = _options(public, ["name"] if name == "scale" else [])
        unknown = sorted(set(st) - set(valid))
        if unknown:
            raise ValueError(f"{where} prepare step {i} ({name}): unknown key(s) "
                             f"{', '.join(map(repr, unknown))}; valid keys: {', '.join(valid)}.")
        with spec_step(f"{where} prepare step {i} ({name})"):
            try:
                out = fn(out, **st)
            except (ValueError, TypeError) as e:
                raise type(e)(f"{where} prepare step {i} ({name}): {e}") from None
    return out
