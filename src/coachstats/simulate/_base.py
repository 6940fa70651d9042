"""What every generator returns, and how a generated dataset is written to disk."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SimulatedData:
    """A generated dataset and the truth it was drawn from.

    Parameters
    ----------
    data : DataFrame
        The rows an estimator is fitted to (the same shape a user's own data would have).
    truth : dataclass
        The true parameter values (generator-specific fields; see each generator).
    params : dict
        The arguments the generator was called with, so the draw can be repeated.

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.retention(rng=0)
    >>> sim.params["n_employees"]
    1000
    """

    data: pd.DataFrame
    truth: Any
    params: dict[str, Any]

    def truth_dict(self) -> dict[str, Any]:
        """The truth as plain JSON-serialisable Python values."""
        return _jsonable(dataclasses.asdict(self.truth))

    def write(self, directory: str | Path, name: str) -> tuple[Path, Path]:
        """Write ``<name>.csv`` and ``<name>.truth.json`` into ``directory``.

        The CSV uses a fixed float format and line ending so the same seed produces the same
        bytes on every machine.
        """
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        csv = d / f"{name}.csv"
        js = d / f"{name}.truth.json"
        self.data.to_csv(csv, index=False, float_format="%.10g", lineterminator="\n")
        manifest = {"kind": name, "params": _jsonable(self.params), "truth": self.truth_dict()}
        js.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return csv, js


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return _jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        return _jsonable(obj.to_dict())
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return round(float(obj), 12)
    if isinstance(obj, float):
        return round(obj, 12)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.random.Generator):
        return None
    return obj


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    """Raise ValueError naming the generator parameter if ``value`` is not positive."""
    bad = value < 0 if allow_zero else value <= 0
    if not np.isfinite(value) or bad:
        need = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {need}, got {value!r}.")


def check_probability(
    name: str, value: float, *, open_low: bool = False, open_high: bool = False
) -> None:
    """Raise ValueError naming the parameter if ``value`` is not a probability."""
    lo_bad = value <= 0 if open_low else value < 0
    hi_bad = value >= 1 if open_high else value > 1
    if not np.isfinite(value) or lo_bad or hi_bad:
        lo = "(0" if open_low else "[0"
        hi = "1)" if open_high else "1]"
        raise ValueError(f"{name} must lie in {lo}, {hi}, got {value!r}.")


def check_int(name: str, value: int, minimum: int) -> None:
    """Raise ValueError/TypeError naming the parameter if ``value`` is not an int >= minimum."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
