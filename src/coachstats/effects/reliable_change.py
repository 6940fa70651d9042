"""Jacobson & Truax (1991) reliable change, reported as counts and shares only.

Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical approach to
defining meaningful change in psychotherapy research. J. Consulting and Clinical Psychology
59(1), 12-19:

``SE = SD_pre sqrt(1 - r_xx)``, ``S_diff = sqrt(2 SE^2)``, ``RCI = (post - pre) / S_diff``;
a change is reliable when ``|RCI| > z`` (1.96 for 95%), i.e. when ``|post - pre|`` exceeds the
critical change ``z S_diff``. "Recovered" adds their clinical-significance criterion: a
reliable improvement that also moves the person from the dysfunctional to the functional
side of a cut-off (see :func:`jacobson_truax_cutoff`).

Results hold counts and shares with Wilson intervals, never a row per person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_arguments
from .._validate import (
    check_choice,
    check_ci_level,
    check_number,
    check_positive,
    prepare,
    require_min_count,
)
from ..privacy import DEFAULT_MIN_GROUP_SIZE, Suppression, check_min_group_size
from ..results import Result, new_axes, tidy_frame

CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")


def wilson_interval(k: int, n: int, *, ci_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (Wilson 1927).

    Parameters
    ----------
    k : int
        Number of successes.
    n : int
        Number of trials (at least 1).
    ci_level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of (float, float)
        Lower and upper limits, within [0, 1].

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(3, 10)]
    [0.1078, 0.6032]
    """
    from ..survey.proportion import wilson

    return wilson(k, n, ci_level=ci_level)


def jacobson_truax_cutoff(
    mean_dysfunctional: float,
    sd_dysfunctional: float,
    mean_functional: float | None = None,
    sd_functional: float | None = None,
    *,
    criterion: str = "c",
    higher_is_better: bool = True,
) -> float:
    """Jacobson & Truax (1991) cut-off between dysfunctional and functional scores.

    ``a``: 2 SD beyond the dysfunctional mean, towards functioning; ``b``: 2 SD short of the
    functional mean; ``c``: the point equally likely under both distributions,
    ``(SD_f M_d + SD_d M_f) / (SD_d + SD_f)``.

    Parameters
    ----------
    mean_dysfunctional, sd_dysfunctional : float
        Mean and SD of the dysfunctional (e.g. pre-programme or clinical) population.
    mean_functional, sd_functional : float, optional
        Mean and SD of the functional population; needed for criteria ``b`` and ``c``.
    criterion : {"a", "b", "c"}, default "c"
        Which of Jacobson & Truax's cut-offs (see above).
    higher_is_better : bool, default True
        Direction of the scale: whether functioning lies above the dysfunctional mean.

    Returns
    -------
    float
        The cut-off score.

    Examples
    --------
    >>> round(jacobson_truax_cutoff(30, 8, 50, 10, criterion="c"), 4)
    38.8889
    """
    criterion = check_choice(criterion, "criterion", ("a", "b", "c"))
    sign = 1.0 if higher_is_better else -1.0
    check_positive(sd_dysfunctional, "sd_dysfunctional")
    if criterion == "a":
        return float(mean_dysfunctional + sign * 2 * sd_dysfunctional)
    if mean_functional is None or sd_functional is None:
        raise ValueError(f"criterion={criterion!r} needs mean_functional and sd_functional.")
    check_positive(sd_functional, "sd_functional")
    if criterion == "b":
        return float(mean_functional - sign * 2 * sd_functional)
    return float((sd_functional * mean_dysfunctional + sd_dysfunctional * mean_functional)
                 / (sd_dysfunctional + sd_functional))


@dataclass(frozen=True)
class ReliableChangeResult(Result):
    """Counts and shares of people by Jacobson-Truax category (no individual rows).

    Parameters
    ----------
    counts : dict
        Category -> number of people (mutually exclusive; "recovered" only with a cut-off).
    n : int
        People classified.
    reliability, sd_pre : float
        Inputs to the standard error of measurement.
    se_measurement, s_diff, critical_change, z : float
        ``SD_pre sqrt(1 - r_xx)``, ``sqrt(2) SE``, ``z S_diff`` and the criterion z.
    cutoff : float or None
    higher_is_better : bool
    ci_level : float
        Level of the Wilson intervals of the shares.
    sd_pre_source : str
        ``"given"`` or ``"sample"`` (the SD of the pretest scores).
    mean_change : float
        Mean of post - pre.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    min_group_size : int
        Privacy threshold: a category holding between 1 and ``min_group_size - 1`` people
        is withheld from :meth:`to_frame` (and so from summaries, plots and reports), with
        further categories withheld so that it cannot be recovered from ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> d = pd.DataFrame({"pre": [40, 42, 38, 45, 41, 39], "post": [55, 44, 24, 46, 60, 41]})
    >>> res = cs.effects.reliable_change(d, "pre", "post", reliability=0.8, sd_pre=10)
    >>> round(res.se_measurement, 4)
    4.4721
    """

    counts: dict[str, int]
    n: int
    reliability: float
    sd_pre: float
    sd_pre_source: str
    se_measurement: float
    s_diff: float
    critical_change: float
    z: float
    cutoff: float | None
    higher_is_better: bool
    ci_level: float
    mean_change: float
    n_dropped: int = 0
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE

    @property
    def title(self) -> str:
        return "Reliable change (Jacobson & Truax 1991)"

    def assumptions(self) -> list[str]:
        return [
            "The reliability describes this measure in this population (test-retest or "
            "internal consistency).",
            "Measurement error is the same at pre and post and independent between them.",
        ]

    @property
    def notes(self) -> list[str]:
        direction = "higher" if self.higher_is_better else "lower"
        out = [
            f"Critical change = {self.z:.3f} x S_diff = {self.critical_change:.4g} scale "
            f"points (SE = {self.sd_pre_source} SD_pre x sqrt(1 - {self.reliability:g})); "
            f"{direction} scores are better.",
            "Categories are mutually exclusive; shares have Wilson intervals.",
        ]
        if self.cutoff is not None:
            out.append(f"Recovered = reliable improvement that crosses the cut-off "
                       f"{self.cutoff:.4g} from the dysfunctional side; 'improved' excludes "
                       "them.")
        if self.n_dropped:
            out.append(f"{self.n_dropped} row(s) with missing values were dropped.")
        hidden = self.withheld
        if hidden:
            out.append(f"Withheld (privacy, categories under {self.min_group_size} people and "
                       f"what would reveal them): {', '.join(hidden)}.")
        return out

    @property
    def withheld(self) -> tuple[str, ...]:
        """Categories not published: fewer than ``min_group_size`` people (but not none), and
        enough further categories that the withheld people number at least
        ``min_group_size`` (so no withheld count follows from ``n`` minus the others)."""
        small = [c for c, k in self.counts.items() if 0 < k < self.min_group_size]
        if not small:
            return ()
        out = list(small)
        rest = sorted((k, c) for c, k in self.counts.items() if c not in out)
        while rest and (len(out) < 2 or sum(self.counts[c] for c in out) < self.min_group_size):
            out.append(rest.pop(0)[1])
        return tuple(c for c in self.counts if c in out)

    def suppressions(self, analysis: str = "") -> list[Suppression]:
        """One :class:`coachstats.privacy.Suppression` per withheld category."""
        small = {c for c, k in self.counts.items() if 0 < k < self.min_group_size}
        return [Suppression(analysis, f"share {c}",
                            f"fewer than {self.min_group_size} people" if c in small
                            else "complementary: withheld so that a small category cannot be "
                            "derived from the total", "minimum group size")
                for c in self.withheld]

    @property
    def reliably_improved(self) -> int:
        """Everyone with a reliable improvement (recovered + improved)."""
        return self.counts.get("recovered", 0) + self.counts["improved"]

    def to_frame(self) -> pd.DataFrame:
        rows = []
        hidden = self.withheld
        for cat, k in self.counts.items():
            if cat in hidden:
                rows.append({"term": cat, "estimate": math.nan, "std_error": math.nan,
                             "ci_low": math.nan, "ci_high": math.nan,
                             "ci_level": self.ci_level, "count": math.nan, "n": self.n,
                             "suppressed": True})
                continue
            lo, hi = wilson_interval(k, self.n, ci_level=self.ci_level)
            p = k / self.n
            rows.append({"term": cat, "estimate": p,
                         "std_error": math.sqrt(p * (1 - p) / self.n), "ci_low": lo,
                         "ci_high": hi, "ci_level": self.ci_level, "count": k, "n": self.n,
                         "suppressed": False})
        return tidy_frame(rows)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Share of people per category with Wilson intervals.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            ``color``: bar colour (default ``"C0"``); other keys are not used.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        ax = new_axes(ax)
        f = self.to_frame()
        f = f.loc[~f["suppressed"]]
        y = np.arange(len(f))[::-1]
        ax.barh(y, f["estimate"], color=kwargs.get("color", "C0"), alpha=0.7)
        ax.errorbar(f["estimate"], y, xerr=[f["estimate"] - f["ci_low"],
                                            f["ci_high"] - f["estimate"]],
                    fmt="none", color="0.2", capsize=3)
        ax.set_yticks(y, f["term"])
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"share of people ({100 * self.ci_level:g}% Wilson CI)")
        ax.set_title(self.title)
        return ax


@renamed_arguments(df="data", min_n="min_group_size")
def reliable_change(
    data: pd.DataFrame,
    pre: str,
    post: str,
    reliability: float,
    *,
    sd_pre: float | None = None,
    cutoff: float | None = None,
    higher_is_better: bool = True,
    ci_level: float = 0.95,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    dropna: bool = False,
) -> ReliableChangeResult:
    """Classify pre-to-post change as reliable or not (Jacobson & Truax 1991).

    Parameters
    ----------
    data : DataFrame
        One row per person.
    pre, post : str
        Score columns.
    reliability : float
        Reliability of the measure, in (0, 1]. At 1 any non-zero change is reliable.
    sd_pre : float, optional
        SD for the standard error of measurement; default the sample SD of ``pre``
        (Jacobson & Truax recommend a normative or pretreatment SD; pass it if known).
    cutoff : float, optional
        Clinical cut-off (see :func:`jacobson_truax_cutoff`); adds "recovered".
    higher_is_better : bool
        Direction of improvement.
    ci_level : float
        Criterion (``z = Phi^-1(1 - (1 - ci_level)/2)``, 1.96 at 0.95) and the level of the
        Wilson intervals for the shares.
    min_group_size : int
        Privacy threshold (default 5, never below 3; formerly ``min_n``): fewer people are
        refused, and a category with fewer people is withheld from the published shares
        (see :attr:`ReliableChangeResult.withheld`). Each row is one person.
    dropna : bool
        Drop incomplete rows (counted) instead of raising.

    Returns
    -------
    ReliableChangeResult
        Counts and shares per category; never individual rows.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"pre": [40, 42, 38, 45, 41, 39], "post": [55, 44, 24, 46, 60, 41]})
    >>> res = reliable_change(d, "pre", "post", reliability=0.8, sd_pre=10)
    >>> res.counts
    {'improved': 2, 'unchanged': 3, 'deteriorated': 1}
    >>> res.withheld  # every category holds fewer than 5 people: no share is published
    ('improved', 'unchanged', 'deteriorated')
    """
    ci_level = check_ci_level(ci_level)
    min_group_size = check_min_group_size(min_group_size)
    check_number(reliability, "reliability", low=0, high=1, low_open=True,
                 hint="Use a test-retest or internal-consistency coefficient such as 0.85.")
    frame, miss = prepare(data, {"pre": pre, "post": post}, numeric=["pre", "post"],
                          dropna=dropna)
    a = frame[pre].to_numpy(float)
    b = frame[post].to_numpy(float)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("pre/post contain infinite values; remove them first.")
    require_min_count(len(a), min_group_size, "people",
                      "Reliable-change shares are not reported for smaller groups (privacy "
                      "threshold min_group_size).")
    if sd_pre is None:
        sd = float(a.std(ddof=1))
        source = "sample"
        if not sd > 0:
            raise ValueError("pre scores have zero variance; pass sd_pre= (e.g. a normative "
                             "SD) to define the standard error of measurement.")
    else:
        sd = float(sd_pre)
        source = "given"
        if not (np.isfinite(sd) and sd > 0):
            raise ValueError(f"sd_pre must be a positive number, got {sd_pre!r}.")
    if cutoff is not None and not np.isfinite(cutoff):
        raise ValueError(f"cutoff must be a finite number, got {cutoff!r}.")
    z = float(stats.norm.ppf(0.5 + ci_level / 2))
    se = sd * math.sqrt(1 - reliability)
    s_diff = math.sqrt(2) * se
    crit = z * s_diff
    change = (b - a) if higher_is_better else (a - b)  # positive = better
    improved = change > crit if crit > 0 else change > 0
    worse = change < -crit if crit > 0 else change < 0
    counts: dict[str, int] = {}
    if cutoff is not None:
        if higher_is_better:
            crossed = (a < cutoff) & (b >= cutoff)
        else:
            crossed = (a > cutoff) & (b <= cutoff)
        rec = improved & crossed
        counts["recovered"] = int(rec.sum())
        counts["improved"] = int((improved & ~rec).sum())
    else:
        counts["improved"] = int(improved.sum())
    counts["unchanged"] = int((~improved & ~worse).sum())
    counts["deteriorated"] = int(worse.sum())
    return ReliableChangeResult(
        counts=counts, n=len(a), reliability=float(reliability), sd_pre=sd,
        sd_pre_source=source, se_measurement=se, s_diff=s_diff, critical_change=crit, z=z,
        cutoff=None if cutoff is None else float(cutoff), higher_is_better=higher_is_better,
        ci_level=ci_level, mean_change=float((b - a).mean()), n_dropped=miss.n_dropped,
        min_group_size=min_group_size,
    )
