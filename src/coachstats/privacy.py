"""Privacy by construction: thresholds that count people, identifier detection, pseudonyms,
suppression of small groups and the manifest of everything withheld.

HR data is about people. This module sits below every estimator family so that the same
rules hold in a notebook and in a report:

* **Thresholds** - every published group-level number rests on at least ``min_group_size``
  distinct people (default :data:`DEFAULT_MIN_GROUP_SIZE` = 5, never below
  :data:`MIN_GROUP_SIZE_FLOOR` = 3); :func:`check_min_group_size` enforces the floor and
  :func:`count_people` counts distinct people, not rows.
* **Identifiers** - :func:`detect_identifiers` recognises columns that identify people by
  their name (case-, space- and punctuation-insensitive: ``EmployeeID``, ``Emp ID``,
  ``Worker ID``, ``Full Name``, ``email`` ...) and by their values (email addresses, phone
  numbers, text unique to one person), and grouping identifiers above the person (manager,
  team), which are published as stable :func:`pseudonyms`.
* **Group means** - :func:`safe_group_means` (a hierarchy) and :func:`safe_crosstab` (a
  cross-tabulation of quasi-identifiers) withhold every cell with fewer than
  ``min_group_size`` people (primary suppression) and enough further cells that no withheld
  cell can be recovered by subtracting published cells from a published total
  (complementary suppression). Grouping by a person identifier is refused.

The rule behind complementary suppression: every published total equals the sum of its
published and withheld parts, so within each such relation (a parent and its children, the
overall total and the top level) either nothing is withheld, or at least two cells are
withheld whose people together number at least ``min_group_size``. Relations also combine
across levels: a published total minus its published descendants reveals the rows under it
that sit in no published group. These *residuals* are disjoint, and every sum derivable
from the published numbers is a sum of published cells and whole residuals, so the final
rule is that every published cell's residual is empty or holds at least
``min_group_size`` distinct people. After suppression the result is checked once more from
the rows themselves.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._deprecate import renamed_arguments
from ._suppression import Suppression
from ._validate import check_ci_level, check_int, prepare, require_numeric
from .results import Result, new_axes

__all__ = [
    "DEFAULT_MIN_GROUP_SIZE",
    "MIN_GROUP_SIZE_FLOOR",
    "GroupMeansResult",
    "Identifiers",
    "Manifest",
    "PrivacyError",
    "Suppression",
    "check_min_group_size",
    "classify_name",
    "count_people",
    "detect_identifiers",
    "guess_id_columns",
    "looks_like_time",
    "pseudonyms",
    "require_people",
    "resolve_person",
    "safe_crosstab",
    "safe_group_means",
]

#: Survey-vendor convention: no group of fewer than 5 people is reported.
DEFAULT_MIN_GROUP_SIZE = 5
#: The threshold may be raised but never set below this.
MIN_GROUP_SIZE_FLOOR = 3


class PrivacyError(RuntimeError):
    """Output would expose an individual (an identifier was found, or a grouping is a person).

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> try:
    ...     cs.privacy.require_people(pd.DataFrame({"Wave": [1, 2], "x": [0, 1]}), None, "f")
    ... except cs.privacy.PrivacyError:
    ...     print("refused")
    refused
    """


# --------------------------------------------------------------------------- manifest
class Manifest:
    """An ordered list of :class:`Suppression` entries: everything a report withheld.

    Parameters
    ----------
    items : iterable of Suppression, optional
        Entries to start with.

    Examples
    --------
    >>> m = Manifest()
    >>> m.add("a", "team=T1", "fewer than 5 people", "minimum group size")
    >>> len(m), m.to_frame().columns.tolist()
    (1, ['analysis', 'item', 'reason', 'rule'])
    """

    def __init__(self, items: Iterable[Suppression] = ()) -> None:
        self._items: list[Suppression] = list(items)

    def add(self, analysis: str, item: str, reason: str, rule: str) -> None:
        self._items.append(Suppression(analysis, item, reason, rule))

    def append(self, s: Suppression) -> None:
        self._items.append(s)

    def extend(self, items: Iterable[Suppression]) -> None:
        self._items.extend(items)

    def __iter__(self) -> Iterator[Suppression]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def collect(self, result: Any, analysis: str = "") -> None:
        """Add what ``result`` withheld (its ``suppressions(analysis)``, if it has one)."""
        sup = getattr(result, "suppressions", None)
        if callable(sup):
            self._items.extend(sup(analysis))

    def as_records(self) -> list[dict[str, str]]:
        return [s.as_dict() for s in self._items]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.as_records(), columns=["analysis", "item", "reason", "rule"])


# --------------------------------------------------------------------------- thresholds
def check_min_group_size(value: Any, name: str = "min_group_size") -> int:
    """Validate a privacy threshold: an integer, at least :data:`MIN_GROUP_SIZE_FLOOR`.

    Parameters
    ----------
    value : int
        The threshold.
    name : str
        Argument name used in error messages.

    Returns
    -------
    int

    Examples
    --------
    >>> check_min_group_size(5)
    5
    """
    return check_int(value, name, minimum=MIN_GROUP_SIZE_FLOOR,
                     hint="Groups smaller than that identify individuals; the usual survey "
                          f"threshold is {DEFAULT_MIN_GROUP_SIZE}.")


def count_people(
    data: pd.DataFrame, person: str | None = None, by: str | Sequence[str] | None = None
) -> int | pd.Series:
    """Distinct people overall (``by=None``) or per group; rows when ``person`` is None.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    person : str, optional
        Column identifying people. Without it each row counts as one person, which is only
        right when no person has more than one row.
    by : str or list of str, optional
        Grouping column(s).

    Returns
    -------
    int or Series
        The number of distinct people (a Series indexed by group when ``by`` is given).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"team": ["a"] * 6, "person": [1, 1, 2, 2, 3, 3]})
    >>> count_people(d, "person", "team").to_dict()
    {'a': 3}
    """
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    need = [*cols, *([person] if person is not None else [])]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise ValueError(f"count_people: column(s) {missing} not found; available columns: "
                         f"{list(map(str, data.columns))}.")
    if not cols:
        return int(data[person].nunique()) if person is not None else len(data)
    g = data.groupby(cols, observed=True, sort=True)
    out = g[person].nunique() if person is not None else g.size()
    return out.rename("n_people")


# --------------------------------------------------------------------------- identifiers
def _compact(name: Any) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


_PERSON_STEMS = (
    "employee", "employe", "emp", "empl", "ee", "worker", "staff", "staffmember", "person",
    "personnel", "pers", "participant", "respondent", "user", "member", "associate",
    "individual", "subject", "coachee", "mentee", "student", "candidate", "applicant", "hire",
    "badge", "payroll", "colleague", "teammember", "raterid", "people", "peopleid",
)
_ID_SUFFIXES = ("", "id", "ids", "no", "nr", "num", "number", "code", "key", "ref",
                "identifier", "uid", "guid")
_GROUP_STEMS = {
    "manager": "Manager", "mgr": "Manager", "linemanager": "Manager", "supervisor": "Manager",
    "reportsto": "Manager", "boss": "Manager", "leader": "Leader", "teamleader": "Leader",
    "teamlead": "Leader", "coach": "Coach", "mentor": "Mentor", "team": "Team",
    "squad": "Team", "crew": "Team",
}
_NAME_PREFIXES = ("", "first", "last", "full", "given", "family", "sur", "middle", "maiden",
                  "legal", "preferred", "display", "nick", "f", "l", "fore")
_NATIONAL = (
    "ssn", "sin", "nin", "nino", "nationalid", "nationalidnumber", "nationalidentifier",
    "socialsecurity", "socialsecuritynumber", "socialinsurancenumber", "taxid", "tin",
    "taxnumber", "passport", "passportnumber", "nationalinsurance", "nationalinsurancenumber",
    "idcard", "idcardnumber", "personnummer", "bsn", "aadhaar", "dni", "nif", "cpf",
    "personalnumber", "personalidnumber", "dob", "dateofbirth", "birthdate", "birthday",
)


def classify_name(name: Any) -> tuple[str, str] | None:
    """What a column name says it identifies: ``(kind, label)`` or None.

    ``kind`` is ``"person"`` (a person's id, name, email, phone or national id; never
    grouped by or shown) or ``"group"`` (an identifier above the person such as a manager
    or team, published as pseudonyms); ``label`` says why (or the pseudonym prefix for
    groups). Matching ignores case, spaces and punctuation.

    Parameters
    ----------
    name : object
        A column name (converted to text).

    Returns
    -------
    tuple of (str, str) or None
        ``(kind, label)``, or None when the name identifies nothing.

    Examples
    --------
    >>> [classify_name(c) for c in ["Emp ID", "Full Name", "ManagerID", "score"]]
    [('person', 'person id'), ('person', 'name'), ('group', 'Manager'), None]
    """
    c = _compact(name)
    if not c:
        return None
    if "email" in c or c in ("mail", "mailaddress", "emailaddress") or c.endswith("mail"):
        return ("person", "email")
    if re.search(r"phone|mobile|cellnumber|telephone", c) or c in ("tel", "telno", "fax"):
        return ("person", "phone")
    if c in _NATIONAL or re.fullmatch(r"(ssn|nino|sin|nin)(number|no|nr)?", c):
        return ("person", "national id")
    for stem, label in _GROUP_STEMS.items():
        for suf in (*_ID_SUFFIXES, "name", "email"):
            if c == stem + suf:
                return ("group", label)
    if c in ("id", "uid", "pid", "eid", "guid", "uuid", "personid", "userid", "username",
             "login", "loginid", "account", "accountname", "samaccountname", "handle"):
        return ("person", "person id")
    for stem in _PERSON_STEMS:
        for suf in _ID_SUFFIXES:
            if c == stem + suf:
                return ("person", "person id")
    if c.endswith("name"):
        prefix = c[: -len("name")]
        if prefix in _NAME_PREFIXES or prefix in _PERSON_STEMS:
            return ("person", "name")
    if c in ("fname", "lname", "surname", "forename", "initials"):
        return ("person", "name")
    # participant_email, employee_phone and similar compounds
    for stem in _PERSON_STEMS:
        if c.startswith(stem) and c[len(stem):] in ("id", "number", "no", "code"):
            return ("person", "person id")
    return None


_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")
_PHONE = re.compile(r"^\+?\(?\d[\d\s().-]{6,}\d$")
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_PERSON_NAME = re.compile(r"^[A-Z][a-z'\-]+(?:,?\s+[A-Z][a-z'.\-]*)+$")


def _classify_values(s: pd.Series, person: str | None, data: pd.DataFrame) -> str | None:
    """Why the values of ``s`` identify people (email, phone, name-like, unique per person)."""
    if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
        return None
    v = s.dropna()
    v = v[v.map(lambda x: isinstance(x, str))].str.strip()
    v = v[v != ""]
    if len(v) < 3:
        return None
    sample = v.drop_duplicates().head(500)
    if sample.str.match(_EMAIL).mean() >= 0.5:
        return "values are email addresses"
    is_phone = sample.str.match(_PHONE) & ~sample.str.match(_DATE)
    digits = sample.str.count(r"\d")
    if (is_phone & (digits >= 7)).mean() >= 0.8 and sample.str.contains(r"[\s()+.-]").mean() > .5:
        return "values are phone numbers"
    n_unique = v.nunique()
    if person is not None and person in data.columns and s.name != person:
        owners = data.loc[v.index].groupby(v)[person].nunique()
        n_people = data[person].nunique()
        if n_people >= 3 and (owners <= 1).all() and n_unique >= 0.9 * n_people:
            return f"values are unique to one person each ({n_unique} values, {n_people} people)"
    if n_unique >= 0.9 * len(v) and sample.str.match(_PERSON_NAME).mean() >= 0.8:
        return "values look like people's names, one per row"
    return None


@dataclass(frozen=True)
class Identifiers:
    """Identifier columns of one dataset (see :func:`detect_identifiers`).

    ``person`` columns identify a person: their values are never published and nothing is
    grouped by them. ``groups`` maps identifiers above the person (manager, team) to the
    pseudonym prefix used when they label published groups. ``reasons`` says why each
    column was recognised; ``declared`` and ``ignored`` record what the user added
    (``id_columns``) and removed (``not_identifiers``).

    Parameters
    ----------
    person : tuple of str
        Columns identifying a person.
    groups : mapping of str to str
        Identifier columns above the person -> pseudonym prefix.
    reasons : mapping of str to str
        Column -> why it was recognised.
    declared : tuple of str
        Columns the user declared as identifiers.
    ignored : tuple of str
        Columns the user declared not to be identifiers.

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> d = pd.DataFrame({"EmpID": [1, 2], "ManagerID": [7, 7], "score": [3.0, 4.0]})
    >>> ids = cs.privacy.detect_identifiers(d)
    >>> ids.person, dict(ids.groups)
    (('EmpID',), {'ManagerID': 'Manager'})
    """

    person: tuple[str, ...] = ()
    groups: Mapping[str, str] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)
    declared: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every identifier column, people first."""
        return (*self.person, *self.groups)

    def is_person(self, column: str) -> bool:
        return column in self.person

    def prefix(self, column: str) -> str | None:
        """The pseudonym prefix for a grouping identifier, or None if it is not one."""
        return self.groups.get(column)


def detect_identifiers(
    data: pd.DataFrame,
    *,
    person: str | None = None,
    id_columns: Sequence[str] = (),
    not_identifiers: Sequence[str] = (),
) -> Identifiers:
    """Find the columns of ``data`` that identify people, by name and by value.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    person : str, optional
        The column identifying people (always a person identifier).
    id_columns : sequence of str
        Further identifier columns (added to what is detected); a name that reads as a
        manager or team is treated as a grouping identifier, anything else as a person's.
    not_identifiers : sequence of str
        Detected columns that are not identifiers (false alarms); removed.

    Returns
    -------
    Identifiers

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"EmployeeID": ["E1", "E2", "E3"], "TeamID": ["T1", "T1", "T2"],
    ...                   "contact": ["a@x.org", "b@x.org", "c@x.org"], "score": [1, 2, 3]})
    >>> ids = detect_identifiers(d)
    >>> ids.person, dict(ids.groups)
    (('EmployeeID', 'contact'), {'TeamID': 'Team'})
    """
    cols = [str(c) for c in data.columns]
    for arg, names in (("id_columns", id_columns), ("not_identifiers", not_identifiers)):
        if isinstance(names, str):
            raise TypeError(f"{arg} must be a list of column names, got the string {names!r}.")
    if person is not None and person not in cols:
        raise ValueError(f"person={person!r} is not a column; available columns: {cols}.")
    if person is not None and person in not_identifiers:
        raise ValueError(f"{person!r} is the person column, so it cannot be listed in "
                         "not_identifiers.")
    ignored = set(not_identifiers)
    people: dict[str, str] = {}
    groups: dict[str, str] = {}
    reasons: dict[str, str] = {}
    if person is not None:
        people[person] = "the person column"
    for c in id_columns:
        if c not in cols or c in people:
            continue
        kind = classify_name(c)
        if kind is not None and kind[0] == "group":
            groups[c] = kind[1]
            reasons[c] = f"declared in id_columns ({kind[1].lower()})"
        else:
            people[c] = "declared in id_columns"
    for c in cols:
        if c in ignored or c in people or c in groups:
            continue
        kind = classify_name(c)
        if kind is None:
            continue
        if kind[0] == "group":
            groups[c] = kind[1]
            reasons[c] = f"name reads as a {kind[1].lower()} identifier"
        else:
            people[c] = f"name reads as a {kind[1]}"
    anchor = person or next((c for c, why in people.items()
                             if why.endswith("person id") or why.startswith("declared")), None)
    for c in cols:
        if c in ignored or c in people or c in groups:
            continue
        why = _classify_values(data[c], anchor, data)
        if why is not None:
            people[c] = why
    reasons = {**people, **reasons}
    return Identifiers(
        person=tuple(people), groups=groups, reasons=reasons,
        declared=tuple(c for c in id_columns if c in cols),
        ignored=tuple(c for c in not_identifiers if c in cols),
    )


_TIME_WORDS = ("wave", "time", "date", "period", "quarter", "qtr", "month", "year", "week",
               "day", "occasion", "round", "cycle", "timestamp", "survey", "surveywave",
               "fiscalyear", "fy", "semester", "term", "visit", "session", "pulse")


def guess_id_columns(data: pd.DataFrame) -> list[str]:
    """Columns whose names read as identifiers of people or of managers and teams.

    Parameters
    ----------
    data : DataFrame
        Only its column names are read.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pandas as pd
    >>> guess_id_columns(pd.DataFrame(columns=["EmployeeID", "team", "score", "Full Name"]))
    ['EmployeeID', 'team', 'Full Name']
    """
    return [str(c) for c in data.columns if classify_name(c) is not None]


def looks_like_time(name: Any) -> bool:
    """True when a column name reads as a wave, date or period (rows may repeat per person).

    Parameters
    ----------
    name : object
        A column name (converted to text).

    Returns
    -------
    bool
        Whether the name reads as a time column.

    Examples
    --------
    >>> [looks_like_time(c) for c in ["Wave", "survey_date", "Engagement"]]
    [True, True, False]
    """
    c = _compact(name)
    if c.endswith("s") and c[:-1] in _TIME_WORDS:  # "months", "years": durations
        return False
    return any(c == w or c.startswith(w) or c.endswith(w) for w in _TIME_WORDS) and c not in (
        "termination", "daysoff")


def resolve_person(
    data: pd.DataFrame, person: str | None = None, identifiers: Identifiers | None = None
) -> tuple[str | None, str]:
    """The column to count people by, and a sentence saying how it was chosen.

    A named ``person`` wins; otherwise the first detected person identifier (an id column
    before names and emails) is used. ``None`` when nothing identifies people.

    Parameters
    ----------
    data : DataFrame
        The rows to be counted.
    person : str, optional
        A named person column.
    identifiers : Identifiers, optional
        Identifiers already detected (detected from ``data`` otherwise).

    Returns
    -------
    tuple of (str or None, str)
        The person column (or None) and the sentence.

    Examples
    --------
    >>> import pandas as pd
    >>> resolve_person(pd.DataFrame({"EmpID": [1, 1, 2], "x": [0, 1, 2]}))[0]
    'EmpID'
    """
    if person is not None:
        if person not in data.columns:
            raise ValueError(f"person={person!r} is not a column; available columns: "
                             f"{list(map(str, data.columns))}.")
        return person, f"people are counted as distinct values of {person!r} (named)"
    ids = identifiers if identifiers is not None else detect_identifiers(data)
    cands = [c for c in ids.person if c in data.columns]
    if not cands:
        return None, ("no column identifies people: where a threshold applies, each row counts "
                      "as one person")
    rank = {"person id": 0, "declared in id_columns": 1}
    best = min(cands, key=lambda c: (min((v for k, v in rank.items()
                                          if ids.reasons.get(c, "").endswith(k)), default=2),
                                     -data[c].nunique()))
    repeats = bool(data[best].duplicated().any())
    return best, (
        f"people are counted as distinct values of {best!r}, detected as a person identifier"
        + (" (it repeats across rows)" if repeats else "")
        + "; name the person column to make this explicit"
    )


def require_people(data: pd.DataFrame, person: str | None, what: str,
                   identifiers: Identifiers | None = None) -> str | None:
    """The column to count people by (named or detected), or None when rows are people.

    Raises :class:`PrivacyError` when nothing identifies people and a column looks like a
    wave or date, so that rows may repeat per person and a count of rows would overstate
    the number of people.

    Parameters
    ----------
    data : DataFrame
        The rows to be counted.
    person : str or None
        A named person column; detected when None.
    what : str
        The function asking, named in the error message.
    identifiers : Identifiers, optional
        Identifiers already detected (detected from ``data`` otherwise).

    Returns
    -------
    str or None
        The person column, or None when rows are people.

    Examples
    --------
    >>> import pandas as pd
    >>> require_people(pd.DataFrame({"Emp ID": [1, 1], "Wave": [1, 2]}), None, "f")
    'Emp ID'
    """
    col, _ = resolve_person(data, person, identifiers)
    if col is None:
        times = [str(c) for c in data.columns if looks_like_time(c)]
        if times:
            raise PrivacyError(
                f"{what} counts people, but no column identifies people and rows may repeat "
                f"per person (column(s) {times} look like waves or dates). Pass "
                "person=\"<column identifying people>\"; if each row really is a different "
                "person, add a row number as that column."
            )
    return col


# --------------------------------------------------------------------------- pseudonyms
def pseudonyms(values: Iterable[Any], prefix: str, *, rng: Any = None) -> dict[Any, str]:
    """Stable pseudonyms ``"<prefix> 01"``, ``"<prefix> 02"`` ... for the distinct ``values``.

    The numbering is a random permutation derived from ``rng`` (a seed) *and* from the
    values in the order given (e.g. a column in data order), so the same data and seed give
    the same pseudonyms while the seed alone, or the list of labels alone, does not reveal
    the mapping. Keep the mapping to yourself: it is never written to a report.

    Parameters
    ----------
    values : iterable
        Raw labels (duplicates allowed; order matters for the derivation).
    prefix : str
        E.g. ``"Manager"``.
    rng : int or None
        Seed (a Generator is reduced to a seed drawn from it).

    Returns
    -------
    dict
        Raw label -> pseudonym.

    Examples
    --------
    >>> m = pseudonyms(["M7", "M3", "M7", "M9"], "Manager", rng=1)
    >>> sorted(m.values())
    ['Manager 1', 'Manager 2', 'Manager 3']
    >>> m == pseudonyms(["M7", "M3", "M7", "M9"], "Manager", rng=1)
    True
    """
    vals = list(values)
    distinct = sorted(set(vals), key=lambda x: (type(x).__name__, str(x)))
    h = hashlib.sha256()
    for v in vals:
        h.update(repr(v).encode())
        h.update(b"\x1f")
    if isinstance(rng, np.random.Generator):
        seed = int(rng.integers(2**63))
    else:
        seed = 0 if rng is None else int(rng)
    key = np.random.default_rng([seed, int.from_bytes(h.digest()[:8], "little")])
    order = key.permutation(len(distinct))
    width = max(2, len(str(len(distinct)))) if len(distinct) >= 10 else 1
    return {v: f"{prefix} {int(o) + 1:0{width}d}" for v, o in zip(distinct, order, strict=True)}


# --------------------------------------------------------------------------- suppression
@dataclass
class _Node:
    key: tuple
    level: int  # 0 = overall total, 1 = first grouping column, ...
    rows: np.ndarray  # row positions
    n: int  # distinct people
    children: list[_Node] = field(default_factory=list)
    withheld: bool = False
    reason: str = ""


class _People:
    """Distinct-people counts of row sets."""

    def __init__(self, codes: np.ndarray) -> None:
        self.codes = codes

    def __call__(self, rows: np.ndarray) -> int:
        return len(np.unique(self.codes[rows])) if len(rows) else 0


def _build_tree(df: pd.DataFrame, groups: Sequence[str], people: _People,
                crossed: bool) -> _Node:
    root = _Node(key=(), level=0, rows=np.arange(len(df)), n=people(np.arange(len(df))))
    index: dict[tuple, _Node] = {(): root}
    depths = [len(groups)] if crossed else range(1, len(groups) + 1)
    for depth in depths:
        cols = list(groups[:depth])
        for key, pos in df.groupby(cols, observed=True, sort=True).indices.items():
            k = key if isinstance(key, tuple) else (key,)
            node = _Node(key=k, level=1 if crossed else depth, rows=np.asarray(pos),
                         n=people(np.asarray(pos)))
            (root if crossed else index[k[:-1]]).children.append(node)
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


def _residual(node: _Node, front: list[_Node]) -> np.ndarray:
    if not front:
        return node.rows
    return np.setdiff1d(node.rows, np.concatenate([f.rows for f in front]))


def _fix_residuals(root: _Node, groups: Sequence[str], k: int, people: _People) -> bool:
    """Withhold one more group where a published cell's residual is a small group."""
    for node in _walk(root):
        if node.withheld:
            continue
        front = _frontier(node)
        residual = people(_residual(node, front))
        if residual == 0 or residual >= k:
            continue
        whole = sorted((f for f in front if not _frontier(f)), key=lambda f: f.n)
        target = whole[0] if whole else node
        target.withheld = True
        target.reason = (
            f"complementary: withheld so that the people under {_label(node, groups)} "
            f"outside its published groups (fewer than {k} together) cannot be derived"
        )
        return True
    return False


def _suppress(root: _Node, groups: Sequence[str], k: int, people: _People) -> None:
    for node in _walk(root):
        if node.n < k:
            node.withheld = True
            node.reason = f"fewer than {k} people"
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
            n_hidden = len(hidden) + int(parent.withheld)
            hidden_people = people(np.concatenate([c.rows for c in hidden]))
            if n_hidden >= 2 and (parent.withheld or hidden_people >= k):
                continue
            protects = ", ".join(_label(c, groups) for c in hidden)
            if shown:
                extra = shown[0]
                extra.withheld = True
                extra.reason = (f"complementary: withheld so that {protects} cannot be "
                                f"derived from {_label(parent, groups)}")
            elif not parent.withheld:
                parent.withheld = True
                parent.reason = (f"complementary: withheld so that {protects} cannot be "
                                 "derived from it")
            else:  # pragma: no cover - parent and all children withheld is always safe
                continue
            changed = True
        for parent in _walk(root):
            if parent.withheld and parent.children and not any(c.withheld
                                                               for c in parent.children):
                extra = min(parent.children, key=lambda c: c.n)
                extra.withheld = True
                extra.reason = (f"complementary: withheld so that {_label(parent, groups)} "
                                "cannot be derived as the sum of its parts")
                changed = True
        if not changed:
            changed = _fix_residuals(root, groups, k, people)


def _verify_suppression(root: Any, k: int, people: Any) -> None:
    """Check a suppressed tree from its rows: every published cell, and every published
    cell's residual, holds 0 or at least ``k`` distinct people. Raises PrivacyError."""
    for node in _walk(root):
        if node.withheld:
            continue
        if node.n < k:  # pragma: no cover - guarded by _suppress
            raise PrivacyError(f"internal check failed: a published cell has {node.n} people.")
        r = people(_residual(node, _frontier(node)))
        if 0 < r < k:  # pragma: no cover - guarded by _suppress
            raise PrivacyError(f"internal check failed: {r} people derivable by subtraction.")


# --------------------------------------------------------------------------- group means
@dataclass(frozen=True)
class GroupMeansResult(Result):
    """Group means with small groups withheld (see :func:`safe_group_means`).

    ``table`` has one row per cell: ``level`` (the grouping column, ``cell`` for a
    cross-tabulation, or ``overall``), the grouping columns, ``n`` (distinct people),
    ``n_rows``, ``mean``, ``std_error``, ``ci_low``, ``ci_high`` (all NaN when withheld),
    ``withheld`` and ``reason``.

    Parameters
    ----------
    table : DataFrame
        The table above.
    value : str or None
        The averaged column (None when only people were counted).
    groups : tuple of str
        Grouping columns.
    min_group_size : int
        Smallest number of distinct people a published cell may have.
    ci_level : float, default 0.95
        Level of the intervals of the means.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    person : str or None
        Column people were counted by (None: rows are people).
    pseudonymised : tuple of str
        Grouping columns whose labels were replaced by pseudonyms.
    crossed : bool
        Whether the cells cross several grouping columns.

    Examples
    --------
    >>> import pandas as pd
    >>> import coachstats as cs
    >>> d = pd.DataFrame({"unit": ["a"] * 3 + ["b"] * 6 + ["c"] * 6, "x": range(15)})
    >>> res = cs.privacy.safe_group_means(d, "x", ["unit"])
    >>> res.min_group_size, int(res.table["withheld"].sum())
    (5, 2)
    """

    table: pd.DataFrame = field(repr=False)
    value: str | None
    groups: tuple[str, ...]
    min_group_size: int
    ci_level: float = 0.95
    n_dropped: int = 0
    person: str | None = None
    pseudonymised: tuple[str, ...] = ()
    crossed: bool = False

    @property
    def min_size(self) -> int:
        """The threshold (older name of :attr:`min_group_size`)."""
        return self.min_group_size

    @property
    def title(self) -> str:
        sep = " x " if self.crossed else " > "
        what = f"Mean {self.value}" if self.value else "People"
        return f"{what} by {sep.join(self.groups)}"

    @property
    def notes(self) -> list[str]:
        k = int(self.table["withheld"].sum())
        who = (f"distinct {self.person!r}" if self.person else "rows (each row one person)")
        out = [
            f"Cells with fewer than {self.min_group_size} people (counted as {who}) are "
            "withheld, and further cells are withheld where a small group could otherwise be "
            "recovered from a total.",
            f"{k} of {len(self.table)} cells withheld.",
        ]
        if self.pseudonymised:
            out.append("Labels of " + ", ".join(self.pseudonymised) + " are pseudonyms.")
        if self.person and self.value and (self.table["n_rows"] > self.table["n"]).any():
            out.append(f"Means are over all rows; standard errors allow for repeated rows of "
                       f"the same {self.person!r} (clustered by person).")
        if self.n_dropped:
            out.append(f"{self.n_dropped} rows with a missing value were dropped.")
        return out

    def assumptions(self) -> list[str]:
        return ["Group membership is as recorded in the data; "
                + (f"people are identified by {self.person!r}." if self.person
                   else "each row is one person.")]

    def limitations(self) -> list[str]:
        return ["Descriptive means only: differences between groups are not tested here."]

    def _item(self, r: pd.Series) -> str:
        if r["level"] == "overall":
            return "overall"
        upto = len(self.groups) if self.crossed else self.groups.index(r["level"]) + 1
        return ", ".join(f"{g}={r[g]}" for g in self.groups[:upto])

    def suppressions(self, analysis: str = "") -> list[Suppression]:
        """One :class:`Suppression` per withheld cell."""
        out = []
        what = f"mean {self.value}" if self.value else "count"
        for _, r in self.table.loc[self.table["withheld"]].iterrows():
            rule = ("minimum group size" if r["reason"].startswith("fewer")
                    else "complementary suppression")
            out.append(Suppression(analysis, f"{what} for {self._item(r)}", r["reason"], rule))
        return out

    def to_frame(self) -> pd.DataFrame:
        t = self.table
        term = [self._item(r) for _, r in t.iterrows()]
        out = pd.DataFrame({
            "term": term, "estimate": t["mean"] if self.value else t["n"],
            "std_error": t["std_error"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
            "ci_level": np.where(t["withheld"] | (not self.value), np.nan, self.ci_level),
        })
        for c in ("level", *self.groups, "n", "n_rows", "withheld", "reason"):
            out[c] = t[c].to_numpy()
        return out

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result and return the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to matplotlib's ``Axes.barh`` (``color`` defaults to ``"C0"``).

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """

        ax = new_axes(ax)
        last = "cell" if self.crossed else self.groups[-1]
        t = self.table.loc[(self.table["level"] == last) & ~self.table["withheld"]]
        labels = [" / ".join(str(r[g]) for g in self.groups) for _, r in t.iterrows()]
        y = np.arange(len(t))
        col = "mean" if self.value else "n"
        est = t[col].to_numpy(float)
        color = kwargs.pop("color", "C0")
        if self.value:
            err = np.vstack([est - t["ci_low"].to_numpy(float),
                             t["ci_high"].to_numpy(float) - est])
            ax.errorbar(est, y, xerr=np.nan_to_num(err), fmt="o", color=color, capsize=2,
                        **kwargs)
            overall = self.table.loc[self.table["level"] == "overall", "mean"]
            if len(overall) and np.isfinite(overall.iloc[0]):
                ax.axvline(float(overall.iloc[0]), color="0.5", ls="--", lw=1, label="overall")
                ax.legend(loc="best", frameon=False)
            ax.set_xlabel(f"mean {self.value} ({100 * self.ci_level:g}% t interval)")
        else:
            ax.barh(y, est, color=color, **kwargs)
            ax.set_xlabel("people")
        if len(t) <= 30:
            ax.set_yticks(y, labels)
        else:
            ax.set_yticks([])
            ax.set_ylabel(f"{len(t)} groups")
        ax.set_title(f"Published cells (groups of {self.min_group_size} or more people)")
        ax.invert_yaxis()
        return ax


def _prepare_groups(
    data: pd.DataFrame, value: str | None, groups: Sequence[str] | str, person: str | None,
    identifiers: Identifiers | None, public_labels: Sequence[str], dropna: bool, rng: Any,
    what: str,
) -> tuple[pd.DataFrame, list[str], Any, tuple[str, ...], str | None]:
    if isinstance(groups, str):
        groups = [groups]
    groups = list(groups)
    if not groups:
        raise ValueError(f"{what}: name at least one grouping column, e.g. groups=['team'].")
    if isinstance(public_labels, str):
        public_labels = [public_labels]
    mapping = {**({"value": value} if value is not None else {}),
               **{f"groups[{i}]": g for i, g in enumerate(groups)},
               **({"person": person} if person is not None else {})}
    frame, missing = prepare(data, mapping, dropna=dropna)
    if value is not None:
        require_numeric(frame, value, "value")
    ids = identifiers if identifiers is not None else detect_identifiers(data, person=person)
    if person is None:
        person = require_people(data, None, what, ids)
        if person is not None:
            frame[person] = data.loc[frame.index, person]
    bad = [g for g in groups if g == person or ids.is_person(g)]
    if bad:
        why = "; ".join(f"{g!r}: {ids.reasons.get(g, 'the person column')}" for g in bad)
        raise PrivacyError(
            f"{what} refuses to group by {bad}: it identifies individual people ({why}), so "
            "every group would be one person. Group by a column above the person (team, "
            "manager, department) instead. If the column does not identify people, list it "
            "in not_identifiers ([privacy] not_identifiers in a study spec)."
        )
    bad_public = [c for c in public_labels if ids.is_person(c)]
    if bad_public:
        raise PrivacyError(f"public_labels {bad_public}: person identifiers are never "
                           "published, not even as labels.")
    shown = []
    for g in groups:
        prefix = ids.prefix(g)
        if prefix is None or g in public_labels:
            continue
        names = pseudonyms(frame[g].tolist(), prefix, rng=rng)
        frame[g] = frame[g].map(names)
        shown.append(g)
    return frame, groups, missing, tuple(shown), person


def _cells(
    frame: pd.DataFrame, value: str | None, groups: list[str], person: str | None, k: int,
    ci_level: float, crossed: bool,
) -> pd.DataFrame:
    codes = (pd.factorize(frame[person])[0] if person is not None
             else np.arange(len(frame)))
    people = _People(np.asarray(codes))
    root = _build_tree(frame.reset_index(drop=True), groups, people, crossed)
    _suppress(root, groups, k, people)
    _verify_suppression(root, k, people)
    x = frame[value].to_numpy(float) if value is not None else None
    rows = []
    for node in _walk(root):
        level = "overall" if node.level == 0 else ("cell" if crossed else groups[node.level - 1])
        row: dict[str, Any] = {"level": level}
        for i, g in enumerate(groups):
            row[g] = node.key[i] if i < len(node.key) else None
        hide = node.withheld
        row["n"] = np.nan if hide else float(node.n)
        row["n_rows"] = np.nan if hide else float(len(node.rows))
        mean = se = half = np.nan
        if x is not None and not hide:
            y = x[node.rows]
            mean = float(y.mean())
            # clustered by person (reduces to s / sqrt(n) with one row per person)
            resid = pd.Series(y - mean).groupby(codes[node.rows]).sum().to_numpy()
            g = len(resid)
            if g > 1:
                se = float(np.sqrt(g / (g - 1) * np.sum(resid**2)) / len(y))
                half = float(stats.t.ppf(0.5 + ci_level / 2, g - 1) * se)
        row.update({"mean": mean, "std_error": se, "ci_low": mean - half,
                    "ci_high": mean + half, "withheld": hide, "reason": node.reason})
        rows.append(row)
    table = pd.DataFrame(rows)
    for g in groups:
        table[g] = table[g].astype(object)
    return table


@renamed_arguments(min_size="min_group_size")
def safe_group_means(
    data: pd.DataFrame,
    value: str,
    groups: Sequence[str] | str,
    *,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    person: str | None = None,
    ci_level: float = 0.95,
    dropna: bool = False,
    identifiers: Identifiers | None = None,
    public_labels: Sequence[str] = (),
    rng: Any = None,
) -> GroupMeansResult:
    """Means of ``value`` for every group of a hierarchy, with privacy suppression.

    ``min_size=`` is accepted as a deprecated name of ``min_group_size`` (with a
    ``FutureWarning``).

    Parameters
    ----------
    data : DataFrame
        Any number of rows per person. Not modified.
    value : str
        Numeric column to average.
    groups : sequence of str
        Grouping columns from outer to inner (e.g. ``["manager", "team"]``); each inner
        group must sit under one outer group. A person identifier is refused.
    min_group_size : int
        Smallest number of distinct people a published cell rests on (default 5; never
        below 3).
    person : str, optional
        Column identifying people. Without it a detected person identifier is used (see
        :func:`resolve_person`), else each row counts as one person.
    ci_level : float
        Level of the t interval for each published mean (standard errors clustered by
        person).
    dropna : bool
        Drop rows with a missing value in ``value``, ``groups`` or ``person`` (counted in
        ``n_dropped``).
    identifiers : Identifiers, optional
        From :func:`detect_identifiers` (detected from ``data`` when omitted).
    public_labels : sequence of str
        Grouping identifiers (manager, team ...) to show with their own labels instead of
        pseudonyms.
    rng : int, optional
        Seed of the pseudonyms (see :func:`pseudonyms`).

    Returns
    -------
    GroupMeansResult
        The overall mean, then each level's group means; withheld cells are NaN and say why.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"unit": ["a"] * 3 + ["b"] * 6 + ["c"] * 6, "x": range(15)})
    >>> res = safe_group_means(d, "x", ["unit"])
    >>> for _, row in res.table.loc[res.table["withheld"]].iterrows():
    ...     print(row["unit"], "-", row["reason"])
    a - fewer than 5 people
    b - complementary: withheld so that unit=a cannot be derived from overall
    """
    from ._validate import require_nested

    k = check_min_group_size(min_group_size)
    check_ci_level(ci_level)
    frame, groups, missing, shown, person = _prepare_groups(
        data, value, groups, person, identifiers, public_labels, dropna, rng,
        "safe_group_means")
    for inner, outer in zip(groups[1:], groups[:-1], strict=True):
        require_nested(frame, inner, outer)
    table = _cells(frame, value, groups, person, k, ci_level, crossed=False)
    return GroupMeansResult(
        table=table, value=value, groups=tuple(groups), min_group_size=k, ci_level=ci_level,
        n_dropped=missing.n_dropped, person=person, pseudonymised=shown,
    )


def safe_crosstab(
    data: pd.DataFrame,
    by: Sequence[str],
    value: str | None = None,
    *,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    person: str | None = None,
    ci_level: float = 0.95,
    dropna: bool = False,
    identifiers: Identifiers | None = None,
    public_labels: Sequence[str] = (),
    rng: Any = None,
) -> GroupMeansResult:
    """People (or the mean of ``value``) in every cell of a cross-tabulation of
    quasi-identifiers (e.g. department x gender x age band), small cells withheld.

    Every published cell holds at least ``min_group_size`` distinct people, checked again
    after suppression; only the cells and the overall total are published (no margins),
    and further cells are withheld so that no withheld cell follows from the total.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    by : sequence of str
        The crossed columns.
    value : str, optional
        Numeric column to average per cell; without it the table holds counts of people.
    min_group_size, person, ci_level, dropna, identifiers, public_labels, rng
        As in :func:`safe_group_means`.

    Returns
    -------
    GroupMeansResult
        ``level`` is ``cell`` or ``overall``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"dept": ["a"] * 10 + ["b"] * 8, "sex": ["f", "m"] * 9})
    >>> t = safe_crosstab(d, ["dept", "sex"]).table
    >>> t.loc[(t["level"] == "cell") & ~t["withheld"], ["dept", "sex", "n"]].values.tolist()
    [['a', 'f', 5.0], ['a', 'm', 5.0]]
    """
    k = check_min_group_size(min_group_size)
    check_ci_level(ci_level)
    frame, groups, missing, shown, person = _prepare_groups(
        data, value, by, person, identifiers, public_labels, dropna, rng, "safe_crosstab")
    table = _cells(frame, value, groups, person, k, ci_level, crossed=True)
    return GroupMeansResult(
        table=table, value=value, groups=tuple(groups), min_group_size=k, ci_level=ci_level,
        n_dropped=missing.n_dropped, person=person, pseudonymised=shown, crossed=True,
    )


def __dir__() -> list[str]:
    # the public names only: imported helpers (np, argparse, ...) are not part of the API
    return sorted(__all__)
