"""Privacy guard for aggregated numbers: minimum group size, complementary suppression, an
identifier scan of the finished output, and a manifest of everything withheld.

The guard works where numbers are aggregated. :func:`safe_group_means` computes group means
over a hierarchy (e.g. manager > team) and withholds

* every group with fewer than ``min_size`` members (primary suppression), and
* enough further groups that no withheld group can be recovered by subtracting published
  groups from a published total (complementary suppression).

The rule behind the second step: every published total equals the sum of its published and
withheld parts, so within each such relation (a parent and its children, the overall total
and the top level) either nothing is withheld, or at least two cells are withheld whose
combined size is itself at least ``min_size``.

Relations also combine across levels: a published total minus its published descendants
reveals the people under it that sit in no published group (withheld groups, and withheld
groups' withheld parts), whatever level they sit at. These *residuals* of the published
cells are disjoint, and every sum that can be derived from the published numbers is a sum of
published cells and whole residuals. So the final rule: every published cell's residual is
empty or holds at least ``min_size`` people; where it does not, a further group is withheld
(a published group under that cell with no published parts of its own, smallest first, or
else the cell itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validate import check_ci_level, prepare, require_numeric
from ..results import Result

__all__ = [
    "DEFAULT_MIN_SIZE",
    "MIN_ALLOWED",
    "GroupMeansResult",
    "PrivacyError",
    "Suppression",
    "check_min_size",
    "guess_id_columns",
    "safe_group_means",
    "scan_for_identifiers",
]

#: Survey-vendor convention: no group under 5 is reported.
DEFAULT_MIN_SIZE = 5
#: The threshold may be raised but never set below this.
MIN_ALLOWED = 3

_ID_PATTERN = re.compile(
    r"(^|_)(id|ids|name|names|email|e_mail|employee|person|participant|respondent|ssn|"
    r"staff|worker|user)(_|$)",
    re.IGNORECASE,
)


class PrivacyError(RuntimeError):
    """Output would expose an individual (an identifier was found, or a threshold was unsafe)."""


@dataclass(frozen=True)
class Suppression:
    """One withheld item of a report, and why it was withheld."""

    analysis: str
    item: str
    reason: str
    rule: str

    def as_dict(self) -> dict[str, str]:
        return {"analysis": self.analysis, "item": self.item, "reason": self.reason,
                "rule": self.rule}


def check_min_size(min_size: Any) -> int:
    """Validate a minimum group size: an integer, at least :data:`MIN_ALLOWED`.

    Examples
    --------
    >>> check_min_size(5)
    5
    """
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer):
        raise TypeError(f"min_size must be an integer, got {type(min_size).__name__}.")
    if min_size < MIN_ALLOWED:
        raise ValueError(
            f"min_size must be at least {MIN_ALLOWED} (groups smaller than that identify "
            f"individuals), got {min_size}. The usual survey threshold is {DEFAULT_MIN_SIZE}."
        )
    return int(min_size)


# --------------------------------------------------------------------------- group means
@dataclass
class _Node:
    key: tuple
    level: int  # 0 = overall total, 1 = first grouping column, ...
    n: int
    total: float
    sumsq: float = 0.0
    children: list[_Node] = field(default_factory=list)
    withheld: bool = False
    reason: str = ""


def _build_tree(df: pd.DataFrame, value: str, groups: Sequence[str]) -> _Node:
    x = df[value].astype(float)
    root = _Node(key=(), level=0, n=len(df), total=float(x.sum()), sumsq=float((x**2).sum()))
    df = df.assign(_sq=x**2)
    index: dict[tuple, _Node] = {(): root}
    for depth in range(1, len(groups) + 1):
        cols = list(groups[:depth])
        g = df.groupby(cols, observed=True, sort=True)
        agg = g[value].agg(["size", "sum"]).join(g["_sq"].sum())
        for key, row in agg.iterrows():
            k = key if isinstance(key, tuple) else (key,)
            node = _Node(key=k, level=depth, n=int(row["size"]), total=float(row["sum"]),
                         sumsq=float(row["_sq"]))
            index[k[:-1]].children.append(node)
            index[k] = node
    return root


def _walk(node: _Node) -> Iterable[_Node]:
    yield node
    for c in node.children:
        yield from _walk(c)


def _label(node: _Node, groups: Sequence[str]) -> str:
    if node.level == 0:
        return "overall"
    return ", ".join(f"{g}={k}" for g, k in zip(groups, node.key, strict=False))


def _frontier(node: _Node) -> list[_Node]:
    """The published groups under ``node`` reached through withheld groups only."""
    out: list[_Node] = []
    for c in node.children:
        out.extend([c] if not c.withheld else _frontier(c))
    return out


def _fix_residuals(root: _Node, groups: Sequence[str], min_size: int) -> bool:
    """Withhold one more group where a published cell's residual is a small group."""
    for node in _walk(root):
        if node.withheld:
            continue
        front = _frontier(node)
        residual = node.n - sum(f.n for f in front)
        if residual == 0 or residual >= min_size:
            continue
        whole = sorted((f for f in front if not _frontier(f)), key=lambda f: f.n)
        target = whole[0] if whole else node
        target.withheld = True
        target.reason = (
            f"complementary: withheld so that the people under {_label(node, groups)} "
            f"outside its published groups (fewer than {min_size} together) cannot be derived"
        )
        return True
    return False


def _suppress(root: _Node, groups: Sequence[str], min_size: int) -> None:
    for node in _walk(root):
        if node.n < min_size:
            node.withheld = True
            node.reason = f"fewer than {min_size} members"
    changed = True
    while changed:
        changed = False
        for parent in _walk(root):
            if not parent.children:
                continue
            hidden = [c for c in parent.children if c.withheld]
            shown = sorted((c for c in parent.children if not c.withheld), key=lambda c: c.n)
            if not hidden:
                continue
            # relation: parent = sum(children). Count the withheld cells in it.
            n_hidden = len(hidden) + int(parent.withheld)
            hidden_size = sum(c.n for c in hidden)
            safe = n_hidden >= 2 and (parent.withheld or hidden_size >= min_size)
            if safe:
                continue
            protects = ", ".join(_label(c, groups) for c in hidden)
            if shown:
                extra = shown[0]
                extra.withheld = True
                extra.reason = (
                    f"complementary: withheld so that {protects} cannot be derived from "
                    f"{_label(parent, groups)}"
                )
            elif not parent.withheld:
                parent.withheld = True
                parent.reason = (
                    f"complementary: withheld so that {protects} cannot be derived from it"
                )
            else:  # pragma: no cover - parent and all children withheld is always safe
                continue
            changed = True
        # a withheld parent whose children are all published would be their sum
        for parent in _walk(root):
            if parent.withheld and parent.children and not any(c.withheld for c in parent.children):
                extra = min(parent.children, key=lambda c: c.n)
                extra.withheld = True
                extra.reason = (
                    f"complementary: withheld so that {_label(parent, groups)} cannot be "
                    "derived as the sum of its parts"
                )
                changed = True
        # last, across levels: what a published cell hides in all must be a group of min_size
        if not changed:
            changed = _fix_residuals(root, groups, min_size)


@dataclass(frozen=True)
class GroupMeansResult(Result):
    """Group means over a hierarchy with small groups withheld (see :func:`safe_group_means`).

    ``table`` has one row per group: ``level`` (the grouping column, or ``overall``), the
    grouping columns, ``n``, ``mean``, ``std_error``, ``ci_low``, ``ci_high`` (all NaN when
    withheld), ``withheld`` and ``reason``.
    """

    table: pd.DataFrame = field(repr=False)
    value: str
    groups: tuple[str, ...]
    min_size: int
    ci_level: float = 0.95
    n_dropped: int = 0

    @property
    def title(self) -> str:
        return f"Mean {self.value} by {' > '.join(self.groups)}"

    @property
    def notes(self) -> list[str]:
        k = int(self.table["withheld"].sum())
        out = [
            f"Groups with fewer than {self.min_size} members are withheld, and further groups "
            "are withheld where a small group could otherwise be recovered from a total.",
            f"{k} of {len(self.table)} cells withheld.",
        ]
        if self.n_dropped:
            out.append(f"{self.n_dropped} rows with a missing value were dropped.")
        return out

    @property
    def assumptions(self) -> list[str]:
        return ["Each row is one person; group membership is as recorded in the data."]

    @property
    def limitations(self) -> list[str]:
        return ["Descriptive means only: differences between groups are not tested here."]

    def suppressions(self, analysis: str = "") -> list[Suppression]:
        """One :class:`Suppression` per withheld cell."""
        out = []
        for _, r in self.table.loc[self.table["withheld"]].iterrows():
            item = "overall" if r["level"] == "overall" else ", ".join(
                f"{g}={r[g]}" for g in self.groups[: self.groups.index(r["level"]) + 1]
            )
            rule = "minimum group size" if r["reason"].startswith("fewer") else (
                "complementary suppression")
            out.append(Suppression(analysis, f"mean {self.value} for {item}", r["reason"], rule))
        return out

    def to_frame(self) -> pd.DataFrame:
        t = self.table
        term = [
            "overall" if lv == "overall" else f"{lv}={row[lv]}" for lv, (_, row) in
            zip(t["level"], t.iterrows(), strict=True)
        ]
        out = pd.DataFrame({
            "term": term, "estimate": t["mean"], "std_error": t["std_error"],
            "ci_low": t["ci_low"], "ci_high": t["ci_high"],
            "ci_level": np.where(t["withheld"], np.nan, self.ci_level),
        })
        for c in ("level", *self.groups, "n", "withheld", "reason"):
            out[c] = t[c].to_numpy()
        return out

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        from ..results import new_axes

        ax = new_axes(ax)
        last = self.groups[-1]
        t = self.table.loc[(self.table["level"] == last) & ~self.table["withheld"]]
        labels = [" / ".join(str(r[g]) for g in self.groups) for _, r in t.iterrows()]
        y = np.arange(len(t))
        est = t["mean"].to_numpy(float)
        err = np.vstack([est - t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float) - est])
        ax.errorbar(est, y, xerr=np.nan_to_num(err), fmt="o", color=kwargs.pop("color", "C0"),
                    capsize=2, **kwargs)
        overall = self.table.loc[self.table["level"] == "overall", "mean"]
        if len(overall) and np.isfinite(overall.iloc[0]):
            ax.axvline(float(overall.iloc[0]), color="0.5", ls="--", lw=1, label="overall")
            ax.legend(loc="best", frameon=False)
        if len(t) <= 30:
            ax.set_yticks(y, labels)
        else:  # too many to label legibly
            ax.set_yticks([])
            ax.set_ylabel(f"{len(t)} {last} groups")
        ax.set_xlabel(f"mean {self.value} ({100 * self.ci_level:g}% t interval)")
        ax.set_title(f"Published {last} means (groups of {self.min_size} or more)")
        ax.invert_yaxis()
        return ax


def safe_group_means(
    df: pd.DataFrame,
    value: str,
    groups: Sequence[str],
    min_size: int = DEFAULT_MIN_SIZE,
    *,
    ci_level: float = 0.95,
    dropna: bool = False,
) -> GroupMeansResult:
    """Means of ``value`` for every group of a hierarchy, with privacy suppression.

    Parameters
    ----------
    df : DataFrame
        One row per person. Not modified.
    value : str
        Numeric column to average.
    groups : sequence of str
        Grouping columns from outer to inner (e.g. ``["manager", "team"]``); each inner
        group must sit under one outer group.
    min_size : int
        Smallest group that is published (default 5; never below 3).
    ci_level : float
        Level of the t interval for each published mean.
    dropna : bool
        Drop rows with a missing value in ``value`` or ``groups`` (counted in ``n_dropped``).

    Returns
    -------
    GroupMeansResult
        The overall mean, then each level's group means; withheld cells are NaN and say why.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"team": ["a"] * 3 + ["b"] * 6 + ["c"] * 6, "x": range(15)})
    >>> res = safe_group_means(d, "x", ["team"])
    >>> for _, row in res.table.loc[res.table["withheld"]].iterrows():
    ...     print(row["team"], "-", row["reason"])
    a - fewer than 5 members
    b - complementary: withheld so that team=a cannot be derived from overall
    """
    from .._validate import require_nested

    if isinstance(groups, str):
        groups = [groups]
    groups = list(groups)
    if not groups:
        raise ValueError("groups: name at least one grouping column, e.g. groups=['team'].")
    min_size = check_min_size(min_size)
    check_ci_level(ci_level)
    mapping = {"value": value, **{f"groups[{i}]": g for i, g in enumerate(groups)}}
    frame, missing = prepare(df, mapping, dropna=dropna)
    require_numeric(frame, value, "value")
    for inner, outer in zip(groups[1:], groups[:-1], strict=True):
        require_nested(frame, inner, outer)
    root = _build_tree(frame, value, groups)
    _suppress(root, groups, min_size)
    rows = []
    for node in _walk(root):
        row: dict[str, Any] = {"level": "overall" if node.level == 0 else groups[node.level - 1]}
        for i, g in enumerate(groups):
            row[g] = node.key[i] if i < len(node.key) else None
        row["n"] = np.nan if node.withheld else float(node.n)
        row["mean"] = np.nan if node.withheld else node.total / node.n
        se = np.nan
        if not node.withheld and node.n > 1:
            var = max(node.sumsq - node.total**2 / node.n, 0.0) / (node.n - 1)
            se = float(np.sqrt(var / node.n))
        half = stats.t.ppf(0.5 + ci_level / 2, node.n - 1) * se if node.n > 1 else np.nan
        row["std_error"] = se
        row["ci_low"] = row["mean"] - half
        row["ci_high"] = row["mean"] + half
        row["withheld"] = node.withheld
        row["reason"] = node.reason
        rows.append(row)
    table = pd.DataFrame(rows)
    for g in groups:
        table[g] = table[g].astype(object)
    return GroupMeansResult(
        table=table, value=value, groups=tuple(groups), min_size=min_size,
        ci_level=ci_level, n_dropped=missing.n_dropped,
    )


# --------------------------------------------------------------------------- output scan
def guess_id_columns(df: pd.DataFrame) -> list[str]:
    """Columns whose names suggest they identify a person (``employee_id``, ``name`` ...).

    Examples
    --------
    >>> import pandas as pd
    >>> guess_id_columns(pd.DataFrame(columns=["employee_id", "team", "score", "Name"]))
    ['employee_id', 'Name']
    """
    return [str(c) for c in df.columns if _ID_PATTERN.search(str(c))]


def _scannable(values: Iterable[Any]) -> tuple[set[str], int]:
    """Identifier strings worth scanning for, and how many values are too short to scan.

    Short numbers (under 5 digits) and very short strings also occur as counts, years and
    labels, so a match would mean nothing; they are counted, not scanned.
    """
    out, skipped = set(), 0
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        if isinstance(v, bool | np.bool_):
            continue
        if isinstance(v, int | np.integer) or (isinstance(v, float | np.floating)
                                                and float(v).is_integer()):
            s = str(int(v))
            if len(s.lstrip("-")) >= 5:
                out.add(s)
            else:
                skipped += 1
            continue
        s = str(v).strip()
        if re.fullmatch(r"[-+]?\d+", s):  # numeric text: same rule as numbers
            if len(s.lstrip("-+")) >= 5:
                out.add(s)
            else:
                skipped += 1
        elif len(s) >= 3 and not re.fullmatch(r"[-+]?\d*\.\d+", s):
            out.add(s)
        elif s:
            skipped += 1
    return out, skipped


def _tokens(text: str) -> set[str]:
    out = set()
    for tok in re.findall(r"[\w.@+-]+", text):
        out.add(tok)
        t = tok.strip(".-+_@")
        out.add(t)
        if re.fullmatch(r"-?\d+\.0+", t):
            out.add(t.split(".")[0])
    return out


def scan_for_identifiers(texts: Sequence[str], values: Iterable[Any]) -> tuple[list[str], int]:
    """Return the identifier values that occur (as whole tokens) in any of ``texts``.

    Also returns how many values were too short to scan meaningfully (see the module note).

    Examples
    --------
    >>> scan_for_identifiers(["mean for team A: 3.1"], ["E-1001", "E-1002"])
    ([], 0)
    """
    wanted, skipped = _scannable(values)
    if not wanted:
        return [], skipped
    found = []
    # tokens: identifiers may hold letters, digits, '-', '_', '.', '@'
    token_sets = [_tokens(t) for t in texts]
    plain = "\n".join(texts)
    for w in sorted(wanted):
        if re.fullmatch(r"[\w.@+-]+", w):
            hit = any(w in ts for ts in token_sets)
        else:  # e.g. names with spaces
            hit = re.search(r"(?<![\w])" + re.escape(w) + r"(?![\w])", plain) is not None
        if hit:
            found.append(w)
    return found, skipped
