"""Turn a user's study table (r, n, moderators) into effect sizes, variances and a design."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validate import MissingReport, check_choice, prepare, require_min_count, require_range

MEASURES = ("z", "r")


@dataclass(frozen=True)
class StudyData:
    """Per-study inputs of a meta-analysis (studies, not people: no individual rows)."""

    yi: np.ndarray
    vi: np.ndarray
    ri: np.ndarray
    ni: np.ndarray
    X: np.ndarray
    terms: tuple[str, ...]
    given_labels: tuple[str, ...] | None
    measure: str
    missing: MissingReport

    @property
    def labels(self) -> tuple[str, ...]:
        """Study labels (the ``study`` column, or "Study 1", "Study 2", ...)."""
        if self.given_labels is not None:
            return self.given_labels
        return tuple(f"Study {i + 1}" for i in range(len(self.yi)))


def effect_sizes(r: np.ndarray, n: np.ndarray, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """Fisher z (``atanh r``, variance ``1/(n-3)``) or raw r (variance ``(1-r^2)^2/(n-1)``)."""
    if measure == "z":
        return np.arctanh(r), 1.0 / (n - 3.0)
    return r.astype(float), (1 - r**2) ** 2 / (n - 1.0)


def _design(df: pd.DataFrame, moderators: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    cols = [np.ones(len(df))]
    names = ["intercept"]
    for m in moderators:
        s = df[m]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            levels = sorted(pd.unique(s.astype(str)))
            if len(levels) < 2:
                raise ValueError(
                    f"moderator {m!r} takes a single value ({levels[0]!r}); it cannot explain "
                    "heterogeneity. Drop it from moderators=."
                )
            for lev in levels[1:]:
                cols.append((s.astype(str) == lev).to_numpy(float))
                names.append(f"{m}={lev}")
        else:
            x = s.to_numpy(float)
            if np.ptp(x) == 0:
                raise ValueError(
                    f"moderator {m!r} is constant; it cannot explain heterogeneity. Drop it "
                    "from moderators=."
                )
            cols.append(x)
            names.append(m)
    X = np.column_stack(cols)
    rank = np.linalg.matrix_rank(X.T @ X) if X.shape[1] > 1 else 1
    if rank < X.shape[1]:
        raise ValueError(
            f"the moderators {list(moderators)} are collinear (the design has rank "
            f"{rank} < {X.shape[1]} columns); drop one of them."
        )
    return X, tuple(names)


def study_data(
    data: object,
    r: str,
    n: str,
    *,
    measure: str = "z",
    moderators: Sequence[str] | str | None = None,
    study: str | None = None,
    dropna: bool = False,
    min_k: int = 2,
) -> StudyData:
    """Validate and convert the study table."""
    check_choice(measure, "measure", MEASURES)
    if isinstance(moderators, str):
        moderators = [moderators]
    moderators = list(moderators or [])
    cols: dict[str, str | None] = {"r": r, "n": n, "study": study}
    for i, m in enumerate(moderators):
        cols[f"moderators[{i}]"] = m
    df, missing = prepare(data, cols, numeric=["r", "n"], dropna=dropna)
    require_range(
        df, r, -1, 1, low_inclusive=False, high_inclusive=False, arg="r",
        hint="A correlation of exactly +-1 has no sampling variance; check the entry (a "
        "typo, or a reliability-corrected value?) before pooling.",
    )  # fmt: skip
    require_range(
        df, n, 4, None, arg="n",
        hint="Fisher z needs n >= 4 (its variance is 1/(n - 3)).",
    )  # fmt: skip
    require_min_count(len(df), min_k, "studies", "A meta-analysis pools several studies.")
    ri = df[r].to_numpy(float)
    ni = df[n].to_numpy(float)
    yi, vi = effect_sizes(ri, ni, measure)
    X, terms = _design(df, moderators)
    if len(df) - X.shape[1] < 1:
        raise ValueError(
            f"{len(df)} studies cannot support {X.shape[1]} coefficients; use fewer moderators."
        )
    labels = tuple(str(s) for s in df[study]) if study else None
    return StudyData(yi, vi, ri, ni, X, terms, labels, measure, missing)
