"""360-degree feedback: change per rater group and overall, and agreement across groups.

Ratings arrive one row per rater x leader x occasion. Each leader's score from a rater group
is the mean of that group's ratings; change per group (and for the "overall" others score:
the equal-weight mean of the included groups) is a paired standardized change on those
leader scores (see :func:`repeated_measures_d`). Agreement across rater groups is the
correlation of leader scores between two groups (Conway & Huffcutt 1997), at each occasion
and for change, with Fisher-z intervals and, where the within-group reliabilities are
estimable, Spearman's disattenuated value. Within-group reliability uses the one-way ANOVA
ICC(1) and the reliability of the group mean ICC(2) = (MSB - MSW) / MSB (Bliese 2000) over
leaders with at least two raters in the group.

Privacy (the rule 360 vendors apply): a rater group with fewer than ``min_group_size``
distinct raters (default 5, never below 3; see :mod:`coachstats.privacy`) at either occasion
is suppressed everywhere (no numbers, and it is left out of the
overall score); groups named in ``exempt_groups`` (typically self and manager, whose
identity is known anyway) are exempt. No result holds a row per leader or rater.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecate import renamed_arguments
from .._validate import (
    check_choice,
    check_ci_level,
    check_probability,
    prepare,
    require_unique_keys,
)
from ..interpret import Interpretation, label
from ..privacy import DEFAULT_MIN_GROUP_SIZE, Suppression, check_min_group_size
from ..results import Result, new_axes, tidy_frame
from .reliable_change import reliable_change
from .repeated import KINDS, paired_rows


def icc_oneway(values: np.ndarray, groups: np.ndarray) -> tuple[float, float, int]:
    """ICC(1) and ICC(2) of a one-way random-effects ANOVA with unequal group sizes.

    Only groups with at least two members are used. Returns ``(icc1, icc2, n_groups)``;
    NaN when fewer than two such groups exist.

    Parameters
    ----------
    values : ndarray
        Ratings, one per rater.
    groups : ndarray
        Target (e.g. team or leader) of each rating, same length as ``values``.

    Returns
    -------
    tuple of (float, float, int)
        ``(icc1, icc2, n_groups)``: the reliability of one rating, of a group mean, and the
        number of groups with at least two ratings.

    Examples
    --------
    >>> import numpy as np
    >>> icc1, icc2, k = icc_oneway(np.array([1.0, 2.0, 4.0, 5.0]), np.array([0, 0, 1, 1]))
    >>> round(icc1, 3), round(icc2, 3), k
    (0.895, 0.944, 2)
    """
    y = np.asarray(values, dtype=float)
    _, code = np.unique(np.asarray(groups), return_inverse=True)
    size = np.bincount(code)
    use = size[code] >= 2
    y, code = y[use], code[use]
    _, code = np.unique(code, return_inverse=True)
    size = np.bincount(code).astype(float)
    n_groups = len(size)
    if n_groups < 2:
        return math.nan, math.nan, n_groups
    mean = np.bincount(code, weights=y) / size
    n_total = float(size.sum())
    grand = y.mean()
    ssb = float((size * (mean - grand) ** 2).sum())
    ssw = float(((y - mean[code]) ** 2).sum())
    msb = ssb / (n_groups - 1)
    msw = ssw / (n_total - n_groups)
    k0 = (n_total - float((size**2).sum()) / n_total) / (n_groups - 1)
    if msb <= 0:
        return math.nan, math.nan, n_groups
    icc1 = (msb - msw) / (msb + (k0 - 1) * msw)
    icc2 = (msb - msw) / msb
    return float(icc1), float(icc2), n_groups


def _fisher_ci(r: float, n: int, ci_level: float) -> tuple[float, float]:
    if n < 4 or not np.isfinite(r) or abs(r) >= 1:
        return math.nan, math.nan
    z = math.atanh(r)
    h = float(stats.norm.ppf(0.5 + ci_level / 2)) / math.sqrt(n - 3)
    return math.tanh(z - h), math.tanh(z + h)


@dataclass(frozen=True)
class RaterAgreementResult(Result):
    """Change per rater group and overall, agreement across groups, within-group reliability.

    ``to_frame()`` is the change table (``term`` = rater group or ``"overall"``);
    :meth:`agreement_frame` and :meth:`reliability_frame` give the other two tables.

    Parameters
    ----------
    change : DataFrame
        Standardized change per rater group and overall (the ``to_frame()`` table).
    agreement : DataFrame
        Agreement of the leaders' change across rater groups.
    reliability : DataFrame
        Within-group reliability (ICC) of each rater group's leader score.
    reliable : DataFrame
        Counts and shares of leaders by reliable-change category per group (empty when no
        reliability is known).
    suppressed : tuple of str
        Rater groups withheld for having fewer than ``min_group_size`` raters.
    overall_groups : tuple of str
        Groups averaged (with equal weight) into ``"overall"``.
    min_group_size : int
        Privacy threshold on distinct raters per group.
    kind : str
        Standardizer of the change (``"av"``, ``"z"`` or ``"rm"``, see
        :func:`repeated_measures_d`).
    hedges : bool
        Whether the small-sample correction was applied.
    ci_level : float
        Level of the intervals.
    n_leaders : int
        Leaders rated.
    n_dropped : int
        Rating rows dropped for missing values (only with ``dropna=True``).
    n_other_occasions : int
        Rating rows at occasions other than pre and post (ignored).
    raters_identified : bool
        Whether a rater id column counted raters exactly (otherwise a lower bound).

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.pre_post_360(n_leaders=40, rng=1)
    >>> res = cs.effects.rater_agreement(sim.data, leader="leader", rater_group="rater_group",
    ...                                  rating="rating", time="time", rater="rater")
    >>> res.n_leaders
    40
    """

    change: pd.DataFrame = field(repr=False, compare=False)
    agreement: pd.DataFrame = field(repr=False, compare=False)
    reliability: pd.DataFrame = field(repr=False, compare=False)
    reliable: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)
    suppressed: tuple[str, ...] = ()
    overall_groups: tuple[str, ...] = ()
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    kind: str = "av"
    hedges: bool = True
    ci_level: float = 0.95
    n_leaders: int = 0
    n_dropped: int = 0
    n_other_occasions: int = 0
    raters_identified: bool = True

    @property
    def min_raters(self) -> int:
        """The privacy threshold (older name of :attr:`min_group_size`)."""
        return self.min_group_size

    @property
    def title(self) -> str:
        return "360 feedback: change per rater group and agreement across groups"

    @property
    def notes(self) -> list[str]:
        g = "g" if self.hedges else "d"
        out = [
            f"Change = post - pre on leader-level group means, as {g}_{self.kind} "
            "(see repeated_measures_d for the formula and interval).",
            "Overall = equal-weight mean of " + (", ".join(self.overall_groups) or "no groups")
            + " per leader (leaders rated by all of them at both occasions).",
        ]
        if self.suppressed:
            out.append(f"Suppressed (fewer than {self.min_group_size} raters): "
                       + ", ".join(self.suppressed) + ".")
        if not self.raters_identified:
            out.append("No rater id column: the number of distinct raters in a group is "
                       "taken as the most ratings any one leader received from it (a lower "
                       "bound); pass rater= to count raters exactly.")
        if self.n_dropped:
            out.append(f"{self.n_dropped} rating row(s) with missing values were dropped.")
        if self.n_other_occasions:
            out.append(f"{self.n_other_occasions} rating row(s) at other occasions were "
                       "ignored.")
        return out

    def assumptions(self) -> list[str]:
        return [
            "Leaders are independent; raters within a group are exchangeable.",
            "The rating scale means the same at both occasions (no response shift).",
        ]

    def limitations(self) -> list[str]:
        return [
            "Without a comparison group, change includes retest effects and regression to "
            "the mean.",
            "Raters can differ between occasions; their own leniency then adds noise to change.",
        ]

    def to_frame(self) -> pd.DataFrame:
        return self.change.copy()

    def suppressions(self, analysis: str = "") -> list[Any]:
        """One :class:`coachstats.privacy.Suppression` per withheld rater group or overall."""
        f = self.change.loc[self.change["suppressed"].astype(bool)]
        return [
            Suppression(analysis, f"change and agreement for rater group {t}", str(r),
                        "minimum group size" if "raters" in str(r) else "too few leaders")
            for t, r in zip(f["term"], f["reason"], strict=True)
        ]

    def agreement_frame(self) -> pd.DataFrame:
        """Correlations of leader scores between rater groups (pre, post and change)."""
        return self.agreement.copy()

    def reliability_frame(self) -> pd.DataFrame:
        """ICC(1) and ICC(2) of each rater group at each occasion."""
        return self.reliability.copy()

    def reliable_change_frame(self) -> pd.DataFrame:
        """Share of leaders whose group score changed reliably (Jacobson & Truax 1991).

        One row per rater group and category (improved / unchanged / deteriorated), counts
        and shares only; ``reliability`` and ``reliability_source`` say what defined the
        critical change.
        """
        return self.reliable.copy()

    def interpret(self, rule: str = "cohen1988_d") -> list[Interpretation]:
        f = self.change
        return [label(v, rule) for v in f["estimate"] if np.isfinite(v)]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Change per rater group and overall with intervals (suppressed groups omitted).

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
        f = self.change.loc[~self.change["suppressed"].astype(bool)]
        ax = new_axes(ax, figsize=(6.0, 1.2 + 0.45 * max(len(f), 1)))
        y = np.arange(len(f))[::-1]
        est = f["estimate"].to_numpy(float)
        err = np.vstack([est - f["ci_low"].to_numpy(float), f["ci_high"].to_numpy(float) - est])
        colors = ["C1" if t == "overall" else "C0" for t in f["term"]]
        for yi, e, lo, hi, c in zip(y, est, err[0], err[1], colors, strict=True):
            ax.errorbar(e, yi, xerr=[[lo], [hi]], fmt="o", color=c, capsize=3)
        ax.axvline(0, color="0.5", lw=1, ls="--")
        ax.set_yticks(y, f["term"].astype(str))
        ax.set_xlabel(f"standardized change ({'g' if self.hedges else 'd'}_{self.kind}, "
                      f"{100 * self.ci_level:g}% CI)")
        ax.set_title("Change by rater group")
        return ax


@renamed_arguments(df="data")
def rater_agreement(
    data: pd.DataFrame,
    leader: str,
    rater_group: str,
    rating: str,
    time: str,
    *,
    rater: str | None = None,
    pre: Any = "pre",
    post: Any = "post",
    kind: str = "av",
    hedges: bool = True,
    ci_level: float = 0.95,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    exempt_groups: Sequence[str] = (),
    overall_exclude: Sequence[str] = ("self",),
    reliability: Mapping[str, float] | None = None,
    dropna: bool = False,
    min_raters: int | None = None,
) -> RaterAgreementResult:
    """Change per rater group and overall, and agreement across rater groups, for 360 data.

    Parameters
    ----------
    data : DataFrame
        One row per rating: leader, rater group, occasion, rating (and optionally rater id).
    leader, rater_group, rating, time : str
        Column names.
    rater : str, optional
        Rater id column; distinct raters are counted for the privacy threshold. Without it
        the count is a lower bound: the most ratings any one leader received from the group
        at that occasion (a rater rates a leader once), since rows may repeat raters across
        leaders.
    pre, post : labels
        Values of ``time`` marking the two occasions; rows at other occasions are ignored
        (and counted in the notes).
    kind : {"av", "z", "rm"}
        Standardizer of change (default d_av, comparable with between-leader differences).
    hedges : bool
        Hedges' small-sample correction.
    ci_level : float
        Level of every interval.
    min_group_size : int
        Privacy threshold (default 5, never below 3): a group with fewer distinct raters at
        either occasion is suppressed everywhere.
    exempt_groups : sequence of str
        Groups exempt from the threshold (e.g. ``("self", "manager")``).
    overall_exclude : sequence of str
        Groups left out of the overall score (default self: "all others" as 360 vendors
        report it).
    reliability : mapping, optional
        Reliability of each group's leader score (and of ``"overall"``) for the reliable
        change table. Groups not given use their ICC(2) at pre, the reliability of the mean
        of that group's ratings (interrater, not test-retest); groups with one rater per
        leader and no given value get no reliable-change rows.
    dropna : bool
        Drop rating rows with missing values (counted) instead of raising.
    min_raters : int, optional
        Deprecated name of ``min_group_size``.

    Returns
    -------
    RaterAgreementResult

    Examples
    --------
    >>> import coachstats as cs
    >>> sim = cs.simulate.pre_post_360(n_leaders=40, rng=1)
    >>> res = rater_agreement(sim.data, leader="leader", rater_group="rater_group",
    ...                       rating="rating", time="time", rater="rater")
    >>> res.to_frame()["term"].tolist()
    ['self', 'manager', 'peer', 'direct_report', 'overall']
    """
    ci_level = check_ci_level(ci_level)
    kind = check_choice(kind, "kind", KINDS)
    if min_raters is not None:
        import warnings

        warnings.warn("min_raters is renamed min_group_size.", DeprecationWarning, stacklevel=2)
        min_group_size = check_min_group_size(min_raters, "min_raters")
    min_raters = check_min_group_size(min_group_size)
    frame, miss = prepare(
        data, {"leader": leader, "rater_group": rater_group, "rating": rating, "time": time,
             "rater": rater}, numeric=["rating"], dropna=dropna)
    if not np.isfinite(frame[rating].to_numpy(float)).all():
        raise ValueError(f"column {rating!r} (argument rating=) has infinite values.")
    times = set(frame[time].unique().tolist())
    for arg, lvl in (("pre", pre), ("post", post)):
        if lvl not in times:
            raise ValueError(f"{arg}={lvl!r} is not a value of column {time!r}; it has "
                             f"{sorted(times, key=str)[:10]}. Pass pre=/post= labels.")
    keep = frame[time].isin([pre, post])
    n_other = int((~keep).sum())
    frame = frame.loc[keep]
    if rater is not None:
        require_unique_keys(frame, [leader, rater_group, time, rater],
                            "A rater should rate a leader once per occasion.")
    groups = list(dict.fromkeys(frame[rater_group].tolist()))
    exempt = set(exempt_groups)
    for g, v in dict(reliability or {}).items():
        if g not in groups and g != "overall":
            raise ValueError(f"reliability names {g!r}, which is not a rater group; groups "
                             f"are {groups} (and 'overall').")
        check_probability(v, f"reliability[{g!r}]", open="low")

    # privacy: distinct raters per group and occasion
    if rater is not None:
        n_raters = frame.groupby([rater_group, time], sort=False)[rater].nunique()
    else:  # lower bound on distinct raters: the most ratings one leader got from the group
        n_raters = (frame.groupby([rater_group, time, leader], sort=False).size()
                    .groupby(level=[0, 1], sort=False).max())
    counts = {g: (int(n_raters.get((g, pre), 0)), int(n_raters.get((g, post), 0)))
              for g in groups}
    suppressed = [g for g in groups if g not in exempt and min(counts[g]) < min_raters]
    shown = [g for g in groups if g not in suppressed]

    means = frame.groupby([leader, rater_group, time], sort=False)[rating].mean()
    wide_df = means.unstack([rater_group, time])
    wide = wide_df.to_numpy(dtype=float)
    col = {c: i for i, c in enumerate(wide_df.columns)}

    def cells(need: list[tuple[Any, Any]]) -> np.ndarray:
        """Leaders x cells, complete rows only (empty if a cell never occurs)."""
        if not all(c in col for c in need):
            return np.empty((0, len(need)))
        m = wide[:, [col[c] for c in need]]
        return m[np.isfinite(m).all(axis=1)]

    def pair(g: str) -> tuple[np.ndarray, np.ndarray]:
        m = cells([(g, pre), (g, post)])
        return m[:, 0], m[:, 1]

    rows: list[dict[str, Any]] = []
    for g in groups:
        base = {"term": g, "ci_level": ci_level}
        if g in suppressed:
            rows.append({**base, "suppressed": True,
                         "reason": f"fewer than {min_raters} raters"})
            continue
        a, b = pair(g)
        if len(a) < 3:
            rows.append({**base, "suppressed": True,
                         "reason": "fewer than 3 leaders rated at both occasions"})
            continue
        (r,) = paired_rows(a, b, [kind], hedges=hedges, ci_level=ci_level)
        rows.append({**r, "term": g, "n_leaders": len(a), "n_raters_pre": counts[g][0],
                     "n_raters_post": counts[g][1], "suppressed": False, "reason": ""})
    overall = tuple(g for g in shown if g not in set(overall_exclude)
                    and not rows[groups.index(g)]["suppressed"])
    if overall:
        sub = cells([(g, t) for g in overall for t in (pre, post)])
        a = sub[:, 0::2].mean(axis=1)
        b = sub[:, 1::2].mean(axis=1)
        if len(sub) >= 3:
            (r,) = paired_rows(a, b, [kind], hedges=hedges, ci_level=ci_level)
            rows.append({**r, "term": "overall", "n_leaders": len(sub),
                         "n_raters_pre": sum(counts[g][0] for g in overall),
                         "n_raters_post": sum(counts[g][1] for g in overall),
                         "suppressed": False, "reason": ""})
        else:
            rows.append({"term": "overall", "ci_level": ci_level, "suppressed": True,
                         "reason": "fewer than 3 leaders rated by every included group"})
    change = tidy_frame(rows)
    for c in ("n_leaders", "n_raters_pre", "n_raters_post"):
        if c in change:
            change[c] = change[c].astype("Int64")

    # within-group reliability
    rel_rows = []
    rel: dict[tuple[str, Any], float] = {}
    by_cell = {key: sub for key, sub in frame.groupby([rater_group, time], sort=False)}
    for g in shown:
        for t in (pre, post):
            s = by_cell.get((g, t), frame.iloc[:0])
            icc1, icc2, k = icc_oneway(s[rating].to_numpy(float), s[leader].to_numpy())
            rel[(g, t)] = icc2
            sizes = s.groupby(leader).size()
            rel_rows.append({"term": f"{g}:{t}", "estimate": icc1, "ci_level": ci_level,
                             "rater_group": g, "time": t, "icc1": icc1, "icc2": icc2,
                             "n_leaders": k,
                             "mean_raters_per_leader": float(sizes.mean()) if len(sizes)
                             else math.nan})
    reliability_table = tidy_frame(rel_rows)

    # agreement across groups
    agr_rows = []
    for g1, g2 in itertools.combinations(shown, 2):
        for t in (pre, post, "change"):
            if t == "change":
                need = [(g1, pre), (g1, post), (g2, pre), (g2, post)]
            else:
                need = [(g1, t), (g2, t)]
            if not all(c in col for c in need):
                continue
            sub = cells(need)
            n = len(sub)
            if t == "change":
                x, y = sub[:, 1] - sub[:, 0], sub[:, 3] - sub[:, 2]
            else:
                x, y = sub[:, 0], sub[:, 1]
            if n < 4 or x.std() == 0 or y.std() == 0:
                r = math.nan
            else:
                r = float(np.corrcoef(x, y)[0, 1])
            lo, hi = _fisher_ci(r, n, ci_level)
            r_dis = math.nan
            if t != "change":
                ra, rb = rel.get((g1, t), math.nan), rel.get((g2, t), math.nan)
                if np.isfinite(ra) and np.isfinite(rb) and ra > 0 and rb > 0:
                    r_dis = r / math.sqrt(ra * rb)
            se = 1 / math.sqrt(n - 3) if n > 3 else math.nan
            agr_rows.append({"term": f"{g1}~{g2}:{t}", "estimate": r, "std_error": se,
                             "ci_low": lo, "ci_high": hi, "ci_level": ci_level,
                             "group_a": g1, "group_b": g2, "time": t, "n_leaders": n,
                             "r_disattenuated": r_dis,
                             "ci_method": "Fisher z (std_error on the z scale)"})
    agreement = tidy_frame(agr_rows)

    # reliable change of leader scores per group (counts and shares only)
    given = dict(reliability or {})
    rc_rows = []
    targets = [g for g in shown if not rows[groups.index(g)]["suppressed"]]
    for g in [*targets, *(["overall"] if overall else [])]:
        if g in given:
            rel_g, source = float(given[g]), "given"
        else:
            rel_g, source = rel.get((g, pre), math.nan), "ICC(2) at pre"
        if not (np.isfinite(rel_g) and 0 < rel_g <= 1):
            continue
        if g == "overall":
            sub = cells([(h, t) for h in overall for t in (pre, post)])
            a, b = sub[:, 0::2].mean(axis=1), sub[:, 1::2].mean(axis=1)
        else:
            a, b = pair(g)
        if len(a) < max(min_raters, 3):
            continue
        rc = reliable_change(pd.DataFrame({"pre": a, "post": b}), "pre", "post",
                             reliability=rel_g, ci_level=ci_level, min_group_size=min_raters)
        f = rc.to_frame()
        f["term"] = g + ":" + f["term"]
        rc_rows.append(f.assign(rater_group=g, reliability=rel_g, reliability_source=source,
                                critical_change=rc.critical_change))
    reliable = (pd.concat(rc_rows, ignore_index=True) if rc_rows else tidy_frame([]))
    return RaterAgreementResult(
        change=change, agreement=agreement, reliability=reliability_table, reliable=reliable,
        suppressed=tuple(suppressed), overall_groups=overall, min_group_size=min_raters,
        raters_identified=rater is not None,
        kind=kind, hedges=hedges, ci_level=ci_level,
        n_leaders=int(frame[leader].nunique()), n_dropped=miss.n_dropped,
        n_other_occasions=n_other,
    )
