"""Turn a user's study table (r and n, group statistics, or precomputed effects; moderators)
into effect sizes, variances and a design."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validate import MissingReport, check_choice, prepare, require_min_count, require_range

MEASURES = ("z", "r")

#: measure -> (what is pooled, name of the analysis scale, sampling variance used)
MEASURE_INFO: dict[str, tuple[str, str, str]] = {
    "z": ("correlations", "Fisher z", "1/(n - 3) on Fisher z"),
    "r": ("correlations", "raw r", "(1 - r^2)^2/(n - 1)"),
    "SMD": ("standardized mean differences", "Hedges' g",
            "metafor escalc('SMD'): 1/n1 + 1/n2 + g^2/(2(n1 + n2))"),
    "SMCR": ("standardized mean changes", "standardized mean change (pre-test SD)",
             "metafor escalc('SMCR'): 2(1 - r)/n + g^2/(2n)"),
    "SMCC": ("standardized mean changes", "standardized mean change (change-score SD)",
             "metafor escalc('SMCC'): 1/n + g^2/(2n)"),
    "PPC": ("pretest-posttest-control effects", "Morris d_ppc2",
            "Morris (2008) eq. 25"),
    "D": ("standardized mean differences", "d (converted)", "as converted per study"),
    "GEN": ("effect sizes", "as supplied", "as supplied"),
}  # fmt: skip


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
    frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    moderators: tuple[str, ...] = ()
    row_notes: tuple[str, ...] | None = None

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
    measure = check_choice(measure, "measure", MEASURES)
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
    ri = df[r].to_numpy(float)
    ni = df[n].to_numpy(float)
    yi, vi = effect_sizes(ri, ni, measure)
    return build(df, yi, vi, ni, measure=measure, moderators=moderators, study=study,
                 missing=missing, ri=ri, source=data)  # fmt: skip


def build(
    df: pd.DataFrame,
    yi: np.ndarray,
    vi: np.ndarray,
    ni: np.ndarray | None,
    *,
    measure: str,
    moderators: Sequence[str],
    study: str | None,
    missing: MissingReport,
    ri: np.ndarray | None = None,
    row_notes: Sequence[str] | None = None,
    min_k: int = 2,
    source: pd.DataFrame | None = None,
) -> StudyData:
    """Assemble validated effects into :class:`StudyData` (design, labels, checks)."""
    k = len(df)
    require_min_count(k, min_k, "studies", "A meta-analysis pools several studies.")
    bad = np.flatnonzero(~np.isfinite(yi) | ~np.isfinite(vi) | (vi <= 0))
    if bad.size:
        raise ValueError(
            f"effect sizes or sampling variances are not finite and positive in rows "
            f"{df.index[bad[:10]].tolist()}; check the inputs of those studies (a zero or "
            "negative SD or variance?)."
        )
    X, terms = _design(df, moderators)
    if k - X.shape[1] < 1:
        raise ValueError(
            f"{k} studies cannot support {X.shape[1]} coefficients; use fewer moderators."
        )
    labels = tuple(str(s) for s in df[study]) if study else None
    if labels is not None:
        dup = pd.Series(labels)[pd.Series(labels).duplicated()].unique().tolist()
        if dup:
            warnings.warn(
                f"study labels repeat ({dup[:5]}): rows with the same label are treated as "
                "independent studies. If they are several effects from one study, use "
                "meta.multilevel() or meta.rve() to account for the dependence.",
                UserWarning,
                stacklevel=4,
            )
    nan = np.full(k, np.nan)
    return StudyData(
        yi=np.asarray(yi, float), vi=np.asarray(vi, float),
        ri=nan if ri is None else np.asarray(ri, float),
        ni=nan if ni is None else np.asarray(ni, float),
        X=X, terms=terms, given_labels=labels, measure=measure, missing=missing,
        frame=(source.loc[df.index] if source is not None else df).copy(),
        moderators=tuple(moderators),
        row_notes=None if row_notes is None else tuple(row_notes),
    )  # fmt: skip


def _mods(moderators: Sequence[str] | str | None) -> list[str]:
    if isinstance(moderators, str):
        return [moderators]
    return list(moderators or [])


def warn_small_k(k: int, method: str) -> None:
    """Warn that tau^2 is not identified with fewer than 3 studies (unless fixed effect)."""
    if k < 3 and method != "FE":
        warnings.warn(
            f"only {k} studies: the between-study variance tau^2 is not identified with fewer "
            "than 3 studies; its estimate, I^2 and the prediction interval are unreliable.",
            UserWarning,
            stacklevel=3,
        )
