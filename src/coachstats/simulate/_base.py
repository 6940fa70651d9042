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
