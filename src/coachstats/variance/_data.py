"""Validate a nested multilevel dataset and turn it into group codes and a design matrix."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validate import (
    MissingReport,
    check_choice,
    prepare,
    require_min_count,
    require_nested,
    require_varies,
)

RESIDUAL = "residual"


@dataclass(frozen=True)
class NestedData:
    """Codes (outer to inner), response, fixed-effects design and what was dropped."""

    levels: tuple[str, ...]
    codes: tuple[np.ndarray, ...]  # per level, outer -> inner; one code per person
    y: np.ndarray
    x: np.ndarray
    x_names: tuple[str, ...]
    missing: MissingReport


def _check_levels(levels: object, outcome: str) -> tuple[str, ...]:
    if isinstance(levels, str):
        levels = [levels]
    if not isinstance(levels, Sequence) or len(levels) == 0:
        raise TypeError(
            "levels: expected a list of grouping columns, outer first, e.g. "
            "levels=['manager', 'team']."
        )
    out = tuple(levels)
    if len(set(out)) != len(out):
        raise ValueError(f"levels: each column may appear once, got {list(out)}.")
    if outcome in out:
        raise ValueError(f"levels: the outcome column {outcome!r} cannot also be a level.")
    if RESIDUAL in out:
        raise ValueError(f"levels: {RESIDUAL!r} is reserved for the within-group variance; "
                         "rename that column.")  # fmt: skip
    return out


def _codes_within(frame: pd.DataFrame, levels: tuple[str, ...]) -> list[np.ndarray]:
    """Codes when inner ids restart within each outer group (lme4's ``a/b``)."""
    return [
        pd.MultiIndex.from_frame(frame[list(levels[: i + 1])].astype(str)).factorize()[0]
        for i in range(len(levels))
    ]


def _check_nesting(frame: pd.DataFrame, levels: tuple[str, ...]) -> None:
    for outer, inner in itertools.pairwise(levels):
        try:
            require_nested(frame, inner=inner, outer=outer)
        except ValueError as exc:
            swapped = frame.groupby(outer, observed=True)[inner].nunique()
            hint = ""
            if (swapped <= 1).all() and frame[outer].nunique() > frame[inner].nunique():
                hint = (
                    f" It looks as if the order is reversed: levels run outer to inner, "
                    f"so try levels={list(levels[::-1])}."
                )
            raise ValueError(
                f"{exc}{hint} If {inner!r} ids restart within each {outer!r} (like lme4's "
                f"(1 | {outer}/{inner})), pass ids='within'."
            ) from None


def check_repeats(data: pd.DataFrame, outcome: str, levels: tuple[str, ...],
                  person: str | None, occasion: str | None) -> None:
    """Refuse repeated answers of one person treated as different people.

    Without ``person``, a column whose name marks a person identifier (``employee``,
    ``person_id`` ...) that repeats within the innermost level means several rows per person
    (survey waves): each would count as a separate respondent, inflating ICC(2). With
    ``person`` and ``occasion``, one row per person and occasion is required.
    """
    from ..privacy import classify_name

    if not isinstance(data, pd.DataFrame) or not levels:
        return
    inner = levels[-1]
    if person is None:
        people_ids = [c for c in data.columns if (classify_name(c) or ("",))[0] == "person"]
        for c in people_ids:  # manager and team ids name groups, not people
            if c in (outcome, *levels) or inner not in data.columns:
                continue
            sub = data[[inner, c]].dropna()
            rows = len(sub)
            people = int(sub.drop_duplicates().shape[0])
            if people < rows:
                wave = ", occasion='<wave column>'" if occasion is None else ""
                raise ValueError(
                    f"Column {c!r} looks like a person identifier and repeats within "
                    f"{inner!r}: {rows:,} rows come from {people:,} people, so each repeated "
                    "answer would count as another respondent (ICC(2) and every group-mean "
                    f"reliability would be overstated). Model the repeats with person={c!r}"
                    f"{wave} (a person level below {inner!r}), or average each person's "
                    "answers first (one row per person)."
                )
        return
    if occasion is not None and person in data.columns and occasion in data.columns:
        dup = data.duplicated([person, occasion], keep=False)
        if dup.any():
            raise ValueError(
                f"person={person!r} and occasion={occasion!r} repeat in rows "
                f"{list(data.index[dup][:5])}: give one row per person and occasion."
            )


def nested_data(
    data: pd.DataFrame,
    outcome: str,
    levels: object,
    covariates: Sequence[str] | None,
    ids: str,
    dropna: bool,
) -> NestedData:
    """Check the input and return the pieces every estimator in this package needs."""
    ids = check_choice(ids, "ids", ("unique", "within"))
    if not isinstance(outcome, str):
        raise TypeError(f"outcome: expected a column name, got {type(outcome).__name__}.")
    lv = _check_levels(levels, outcome)
    covs = tuple(covariates or ())
    if isinstance(covariates, str):
        covs = (covariates,)
    cols: dict[str, str] = {"outcome": outcome}
    cols.update({f"levels[{i}]": c for i, c in enumerate(lv)})
    cols.update({f"covariates[{i}]": c for i, c in enumerate(covs)})
    frame, missing = prepare(data, cols, numeric=["outcome"], dropna=dropna, finite=False)
    y_all = frame[outcome].to_numpy(dtype=float)
    if not np.isfinite(y_all).all():
        bad = frame.index[~np.isfinite(y_all)][:5].tolist()
        raise ValueError(
            f"outcome: column {outcome!r} has non-finite values (inf or -inf) in rows {bad}. "
            "Replace them with finite numbers, or set them to missing and pass dropna=True."
        )
    require_varies(frame, outcome, "outcome", hint="There is no variance to decompose.")
    for c in lv:
        k = frame[c].nunique()
        require_min_count(
            k, 2, f"groups in level {c!r}",
            hint=f"With a single {c!r} its variance cannot be estimated; drop it from levels.",
        )  # fmt: skip
    if ids == "unique":
        _check_nesting(frame, lv)
        codes = [pd.factorize(frame[c])[0] for c in lv]
    else:
        codes = _codes_within(frame, lv)
    # every group has a single member at the next level: variances are not separable
    inner_names = [*lv[1:], "person"]
    for i, c in enumerate(lv):
        child = codes[i + 1] if i + 1 < len(lv) else np.arange(len(frame))
        per = pd.Series(child).groupby(codes[i]).nunique()
        if (per <= 1).all():
            raise ValueError(
                f"Every {c!r} group contains a single {inner_names[i]}: the {c!r} variance "
                f"cannot be separated from the variance below it. Drop {c!r} from levels or "
                "use data with larger groups."
            )
    xcols = [np.ones(len(frame))]
    names = ["intercept"]
    for c in covs:
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            xcols.append(s.to_numpy(dtype=float))
            names.append(c)
        else:
            dummies = pd.get_dummies(s.astype("category"), prefix=c, drop_first=True)
            for d in dummies.columns:
                xcols.append(dummies[d].to_numpy(dtype=float))
                names.append(str(d))
    x = np.column_stack(xcols)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError(
            f"covariates: the columns {list(covs)} are collinear with each other or the "
            "intercept (e.g. a covariate that never varies); drop the redundant ones."
        )
    return NestedData(
        levels=lv, codes=tuple(np.asarray(c, dtype=np.int64) for c in codes),
        y=frame[outcome].to_numpy(dtype=float), x=x, x_names=tuple(names), missing=missing,
    )  # fmt: skip


def error_coefficients(codes: Sequence[np.ndarray]) -> list[np.ndarray]:
    """For each level, the sampling-error variance of each group's mean as coefficients.

    Returns, per level (outer to inner), an array (G_l, L + 1) whose row ``g`` times the
    variance vector (levels outer to inner, then residual) is the variance of group ``g``'s
    observed mean around its true mean: inner levels contribute ``sum_h n_h^2 / n_g^2`` over
    the inner groups ``h`` inside ``g``, the residual ``1 / n_g``.
    """
    nlev = len(codes)
    out = []
    for lev in range(nlev):
        g = codes[lev]
        n_g = np.bincount(g).astype(float)
        coef = np.zeros((len(n_g), nlev + 1))
        for k in range(lev + 1, nlev):
            h = codes[k]
            n_h = np.bincount(h).astype(float)
            rep = np.zeros(len(n_h), dtype=np.int64)
            rep[h] = np.arange(len(h))
            coef[:, k] = np.bincount(g[rep], weights=n_h**2, minlength=len(n_g)) / n_g**2
        coef[:, nlev] = 1.0 / n_g
        out.append(coef)
    return out
