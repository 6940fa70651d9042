"""Within-group agreement on multi-item scales: rwg(j) and awg, with small groups suppressed.

* rwg(j) (James, Demaree & Wolf 1984): with J items, the mean within-group item variance
  ``s2`` and the variance of a uniform (no agreement) null on A response options,
  ``sigma2_EU = (A^2 - 1) / 12``::

      rwg(j) = J (1 - s2 / sigma2_EU) / (J (1 - s2 / sigma2_EU) + s2 / sigma2_EU)

  When ``s2 > sigma2_EU`` (more disagreement than the null) it is set to 0, as recommended
  by Lindell, Brandt & Whitney (1999).
* awg (Brown & Hauenstein 2005): per item, ``1 - 2 s^2 / (((H + L) M - M^2 - H L) k / (k -
  1))``, the observed variance relative to the largest variance possible at the group's
  mean M on a scale from L to H with k raters; the multi-item awg(j) is the mean over items.
  Undefined when a group's item mean sits on a scale end.

Privacy: no row per person is ever returned, and groups with fewer than ``min_group_size``
distinct people (default 5, never below 3; see :mod:`coachstats.privacy`) are suppressed:
they are counted, never listed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_choice, check_dataframe, prepare, require_range
from ..interpret import RULES, Interpretation, label
from ..privacy import DEFAULT_MIN_GROUP_SIZE, check_min_group_size, require_people
from ..results import Result, new_axes, tidy_frame

__all__ = ["AgreementResult", "agreement"]

#: conventional cut-off for "strong" agreement (LeBreton & Senter 2008, Table 3)
STRONG = 0.70
#: LeBreton & Senter (2008), Table 3 bands for rwg-type agreement indices
AGREEMENT_RULE = RULES["lebreton_senter2008_rwg"]


@dataclass(frozen=True)
class AgreementResult(Result):
    """Agreement per group (groups of at least ``min_group_size``) and its distribution.

    ``groups`` has one row per reported group: ``group, n, agreement``; ``to_frame()`` the
    summary over groups.

    Parameters
    ----------
    kind : str
        ``"rwg_j"`` or ``"awg"``.
    group : str
        Group column.
    items : tuple of str
        Item columns of the scale.
    scale : tuple of (float, float)
        Lowest and highest possible answer.
    scale_inferred : bool
        Whether ``scale`` was taken from the observed answers rather than given.
    min_group_size : int
        Privacy threshold: groups with fewer people are suppressed.
    n_suppressed : int
        Groups suppressed.
    n_people_suppressed : int
        People in the suppressed groups.
    n_undefined : int
        Groups with an undefined value (awg with a group mean at a scale end), left out of
        the summary.
    n_dropped : int
        Respondents dropped for missing items (only with ``dropna=True``).
    groups : DataFrame
        ``group, n, agreement``: one row per reported group.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import coachstats as cs
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"team": np.repeat(np.arange(20), 6)})
    >>> for q in ("q1", "q2", "q3"):
    ...     df[q] = np.clip(np.round(3.5 + rng.normal(0, .7, 120)), 1, 5)
    >>> res = cs.variance.agreement(df, items=["q1", "q2", "q3"], group="team", scale=(1, 5))
    >>> res.kind, len(res.groups)
    ('rwg_j', 20)
    """

    kind: str
    group: str
    items: tuple[str, ...]
    scale: tuple[float, float]
    scale_inferred: bool
    min_group_size: int
    n_suppressed: int
    n_people_suppressed: int
    n_undefined: int
    n_dropped: int
    groups: pd.DataFrame = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        name = "rwg(j)" if self.kind == "rwg_j" else "awg(j)"
        return f"Within-{self.group} agreement, {name} over {len(self.items)} item(s)"

    @property
    def notes(self) -> list[str]:
        lo, hi = self.scale
        out = [
            (
                "rwg(j): James, Demaree & Wolf (1984), uniform null over "
                f"{int(hi - lo + 1)} options; values below 0 set to 0."
                if self.kind == "rwg_j"
                else "awg: Brown & Hauenstein (2005); awg(j) is the mean of the item values."
            ),
            f"Response scale {lo:g} to {hi:g}"
            + (" (inferred from the data: pass scale= to set it)." if self.scale_inferred
               else "."),
            f"'share_strong' is the share of groups at or above {STRONG} (LeBreton & Senter "
            "2008).",
        ]
        if self.n_suppressed:
            out.append(
                f"{self.n_suppressed} group(s) with fewer than {self.min_group_size} members "
                f"({self.n_people_suppressed} people) are suppressed for privacy."
            )
        if self.n_undefined:
            out.append(f"{self.n_undefined} group(s) have an undefined value (awg with a "
                       "group mean at a scale end) and are left out of the summary.")  # fmt: skip
        if self.n_dropped:
            out.append(f"{self.n_dropped} response(s) with missing items were dropped.")
        return out

    def to_frame(self) -> pd.DataFrame:
        a = self.groups["agreement"].dropna().to_numpy()
        k = len(a)
        base = {"ci_level": math.nan, "kind": self.kind}
        rows = [
            {"term": "mean", "estimate": float(a.mean()) if k else math.nan,
             "std_error": float(a.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan, **base},
            {"term": "median", "estimate": float(np.median(a)) if k else math.nan, **base},
            {"term": "share_strong", "estimate": float((a >= STRONG).mean()) if k else math.nan,
             **base},
            {"term": "n_groups", "estimate": float(k), **base},
            {"term": "n_groups_suppressed", "estimate": float(self.n_suppressed), **base},
        ]  # fmt: skip
        return tidy_frame(rows, extra=["kind"])

    def interpret(self) -> list[Interpretation]:
        """The mean agreement over groups labelled by LeBreton & Senter (2008)."""
        a = self.groups["agreement"].dropna()
        return [label(float(a.mean()), AGREEMENT_RULE, term="mean")] if len(a) else []

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Histogram of group agreement with the 0.70 convention marked.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Not used; accepted so that every result's ``plot`` takes the same arguments.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        a = self.groups["agreement"].dropna()
        lo = -1.0 if self.kind == "awg" else 0.0
        ax.hist(a, bins=np.linspace(lo, 1, 21), color="C0", alpha=0.8)
        ax.axvline(STRONG, color="0.4", ls="--", lw=1)
        ax.set_xlabel("rwg(j)" if self.kind == "rwg_j" else "awg(j)")
        ax.set_ylabel(f"number of {self.group}s")
        return ax


def _rwg_j(var: np.ndarray, options: float) -> np.ndarray:
    """rwg(j) from per-group item variances (groups x items)."""
    j = var.shape[1]
    ratio = np.minimum(var.mean(axis=1) / ((options**2 - 1) / 12), 1.0)
    return j * (1 - ratio) / (j * (1 - ratio) + ratio)


def _awg(mean: np.ndarray, var: np.ndarray, k: np.ndarray, lo: float, hi: float) -> np.ndarray:
    max_var = ((hi + lo) * mean - mean**2 - hi * lo) * (k / (k - 1))[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        item = np.where(max_var > 0, 1 - 2 * var / max_var, np.nan)
    return item.mean(axis=1)


def agreement(
    data: pd.DataFrame,
    items: Sequence[str],
    group: str,
    *,
    kind: str = "rwg_j",
    scale: tuple[float, float] | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    person: str | None = None,
    dropna: bool = False,
) -> AgreementResult:
    """Within-group agreement of ``items`` per ``group``: rwg(j) or awg(j).

    Parameters
    ----------
    data : DataFrame
        One row per respondent; never modified and never returned.
    items : list of str
        Item columns answered on the same response scale (e.g. 1-5 Likert).
    group : str
        Group column (e.g. team).
    kind : {"rwg_j", "awg"}
        rwg(j) with a uniform null (James, Demaree & Wolf 1984) or awg (Brown & Hauenstein
        2005).
    scale : (low, high), optional
        Response scale ends (e.g. ``(1, 5)``); inferred from the data when omitted (noted).
        rwg(j) uses ``high - low + 1`` options.
    min_group_size : int
        Groups with fewer distinct people are suppressed (counted, not listed). At least 3.
    person : str, optional
        Column identifying respondents. Agreement needs one row per person and group (filter
        one survey wave first); this is checked with ``person``, or with a column recognised
        as a person identifier. Without either, each row is taken to be a different person,
        unless a column looks like a wave or date, which is refused.
    dropna : bool
        Drop respondents with a missing item (counted) instead of raising.

    Returns
    -------
    AgreementResult
        The summary of agreement over the reported groups and one row per group.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import coachstats as cs
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"team": np.repeat(np.arange(20), 6)})
    >>> for q in ("q1", "q2", "q3"):
    ...     df[q] = np.clip(np.round(3.5 + rng.normal(0, .7, 120)), 1, 5)
    >>> res = cs.variance.agreement(df, items=["q1", "q2", "q3"], group="team", scale=(1, 5))
    >>> res.to_frame()["term"].tolist()[:3]
    ['mean', 'median', 'share_strong']
    """
    kind = check_choice(kind, "kind", ("rwg_j", "awg"))
    if isinstance(items, str):
        items = [items]
    items = tuple(items)
    if not items:
        raise ValueError("items: give at least one item column.")
    min_group_size = check_min_group_size(min_group_size)
    person = require_people(check_dataframe(data), person, "agreement")
    cols = {"group": group, **{f"items[{i}]": c for i, c in enumerate(items)},
            "person": person}
    frame, missing = prepare(data, cols, numeric=[f"items[{i}]" for i in range(len(items))],
                             dropna=dropna)  # fmt: skip
    inferred = scale is None
    if scale is None:
        vals = frame[list(items)].to_numpy(float)
        scale = (float(np.floor(vals.min())), float(np.ceil(vals.max())))
    lo, hi = float(scale[0]), float(scale[1])
    if not hi > lo:
        raise ValueError(f"scale must be (low, high) with high > low, got {scale!r}.")
    for i, c in enumerate(items):
        hint = f"Responses must lie on the scale {lo:g}-{hi:g}; pass scale=."
        require_range(frame, c, lo, hi, arg=f"items[{i}]", hint=hint)
    if person is not None:
        dup = frame.duplicated([group, person], keep=False)
        if dup.any():
            raise ValueError(
                f"column {person!r} (argument person=) has {int(dup.sum())} rows for "
                f"{frame.loc[dup, person].nunique()} people who answered more than once in the "
                f"same {group!r} (rows {list(frame.index[dup][:10])}); agreement needs one "
                "answer per person: filter one survey wave first."
            )
    codes, labels = pd.factorize(frame[group], sort=True)
    k = np.bincount(codes).astype(float)
    keep = k >= min_group_size
    vals = frame[list(items)].to_numpy(float)
    sums = np.column_stack([np.bincount(codes, weights=vals[:, j]) for j in range(len(items))])
    sq = np.column_stack([np.bincount(codes, weights=vals[:, j] ** 2) for j in range(len(items))])
    kk = k[keep]
    mean = sums[keep] / kk[:, None]
    var = (sq[keep] - kk[:, None] * mean**2) / (kk[:, None] - 1)
    var = np.maximum(var, 0.0)
    if kind == "rwg_j":
        value = _rwg_j(var, hi - lo + 1)
    else:
        value = _awg(mean, var, kk, lo, hi)
    groups = pd.DataFrame({"group": labels[keep], "n": kk.astype(int), "agreement": value})
    return AgreementResult(
        kind=kind, group=group, items=items, scale=(lo, hi), scale_inferred=inferred,
        min_group_size=int(min_group_size), n_suppressed=int((~keep).sum()),
        n_people_suppressed=int(k[~keep].sum()), n_undefined=int(np.isnan(value).sum()),
        n_dropped=missing.n_dropped, groups=groups,
    )  # fmt: skip
