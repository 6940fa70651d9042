"""Read and check a study spec (``study.toml``): its data entries, analyses and privacy rules.

The schema is described in ``studies/README.md``. Every problem is reported as a
:class:`StudySpecError` naming the file, the entry and the valid choices.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..privacy import DEFAULT_MIN_GROUP_SIZE as DEFAULT_MIN_SIZE
from .privacy import check_min_size

__all__ = ["AnalysisSpec", "DataSpec", "FollowUp", "Study", "StudySpecError", "load_study"]


class StudySpecError(ValueError):
    """A study spec is malformed or names something that does not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from coachstats.report import StudySpecError, load_study
    >>> spec = pathlib.Path(tempfile.mkdtemp()) / "study.toml"
    >>> _ = spec.write_text("[study]")
    >>> try:
    ...     load_study(spec)
    ... except StudySpecError:
    ...     print("malformed")
    malformed
    """


_STUDY_KEYS = {"title", "claim", "seed", "description", "source", "currency"}
_PRIVACY_KEYS = {"min_group_size", "id_columns", "not_identifiers", "public_labels"}
_DATA_KEYS = {"file", "generate", "columns", "derive", "query", "description", "person",
              "prepare", "dropna", "read"}
_ANALYSIS_KEYS = {
    "id", "title", "estimator", "data", "from", "args", "quick_args", "frame", "plot",
    "then", "headline", "rules", "method", "units",
}
_THEN_KEYS = {"method", "args", "title", "frame", "plot", "headline", "rules", "units"}
_TOP_KEYS = {"study", "privacy", "data", "analysis"}


@dataclass(frozen=True)
class DataSpec:
    """One named data entry: a file (relative to the spec) or a generator call."""

    name: str
    file: Path | None = None
    generate: dict[str, Any] | None = None
    columns: dict[str, str] = field(default_factory=dict)
    derive: dict[str, str] = field(default_factory=dict)
    query: str | None = None
    description: str = ""
    overridden: bool = False
    person: str | None = None  # the column identifying people (counts use its distinct values)
    prepare: tuple[dict[str, Any], ...] = ()  # prepare steps, run after columns, before derive
    dropna: bool | tuple[str, ...] = False  # drop rows missing in these columns (True: any)
    read: dict[str, Any] = field(default_factory=dict)  # options of coachstats.prepare.read


@dataclass(frozen=True)
class FollowUp:
    """A method called on (or attribute read from) an analysis result."""

    method: str
    args: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    frame: dict[str, Any] = field(default_factory=dict)
    plot: dict[str, Any] | bool = True
    headline: Any = None
    rules: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisSpec:
    """One ``[[analysis]]`` entry."""

    id: str
    estimator: str
    data: str | None = None
    source: str | None = None  # the ``from`` key: another analysis's result
    title: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    quick_args: dict[str, Any] = field(default_factory=dict)
    frame: dict[str, Any] = field(default_factory=dict)
    plot: dict[str, Any] | bool = True
    then: tuple[FollowUp, ...] = ()
    headline: Any = None
    rules: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    units: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """A parsed study spec.

    Parameters
    ----------
    path : Path
        The ``study.toml`` file.
    title : str
        Title of the report.
    seed : int
        Seed of every random step (generators, bootstraps, samplers).
    claim : str
        The claim the study tests, in the source's words.
    description : str
        What the study does and why.
    source : str
        Where the claim and the data come from.
    min_group_size : int
        Privacy threshold: smallest number of distinct people behind a published number.
    currency : str or None
        Currency of money amounts.
    id_columns : tuple of str or None
        Columns declared as identifiers (added to the detected ones).
    not_identifiers : tuple of str
        Columns declared not to be identifiers.
    public_labels : tuple of str
        Grouping columns whose labels may be published as they are (not pseudonymised).
    data : dict of str to DataSpec
        Data entries by name (a file or a generator).
    analyses : tuple of AnalysisSpec
        The analyses, in report order.

    Examples
    --------
    >>> from coachstats.report import find_studies, load_study
    >>> path = [p for p in find_studies() if p.parent.name == "preventable-turnover"][0]
    >>> study = load_study(path)
    >>> study.seed, study.min_group_size, sorted(study.data)
    (42, 5, ['exit', 'published'])
    """

    path: Path
    title: str
    seed: int
    claim: str = ""
    description: str = ""
    source: str = ""
    min_group_size: int = DEFAULT_MIN_SIZE
    currency: str | None = None
    id_columns: tuple[str, ...] | None = None
    not_identifiers: tuple[str, ...] = ()
    public_labels: tuple[str, ...] = ()
    data: dict[str, DataSpec] = field(default_factory=dict)
    analyses: tuple[AnalysisSpec, ...] = ()

    @property
    def name(self) -> str:
        return self.path.parent.name


def _err(path: Path, where: str, msg: str) -> StudySpecError:
    return StudySpecError(f"{path}: {where}: {msg}")


def _check_keys(path: Path, where: str, table: dict, allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _err(
            path, where,
            f"unknown key(s) {', '.join(map(repr, unknown))}; valid keys: "
            f"{', '.join(sorted(allowed))}.",
        )


def _table(path: Path, where: str, value: Any, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _err(path, where, f"{key} must be a table (e.g. {key} = {{ ... }}), "
                   f"got {type(value).__name__}.")
    return dict(value)


def _plot(path: Path, where: str, value: Any) -> dict[str, Any] | bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    return _table(path, where, value, "plot")


def _rules(path: Path, where: str, value: Any) -> dict[str, str]:
    from ..interpret import RULES

    rules = _table(path, where, value, "rules")
    for term, rule in rules.items():
        if rule not in RULES:
            raise _err(path, where, f"rules: unknown rule {rule!r} for term {term!r}; "
                       f"choose one of {', '.join(sorted(RULES))}.")
    return rules


def _units(path: Path, where: str, value: Any) -> dict[str, str]:
    from .format import KINDS

    units = _table(path, where, value, "units")
    for term, kind in units.items():
        if kind not in KINDS:
            raise _err(path, where, f"units: unknown kind {kind!r} for term {term!r}; "
                       f"choose one of {', '.join(KINDS)}.")
    return units


def _currency(path: Path, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z$\u20ac\u00a3\u00a5]{1,5}", value):
        raise _err(path, "[study]", f"currency must be a code such as \"USD\" or \"EUR\", "
                   f"got {value!r}.")
    return value


def load_study(path: str | Path, data: dict[str, str | Path] | None = None) -> Study:
    """Parse ``study.toml`` and check its structure.

    Parameters
    ----------
    path : str or Path
        The spec file.
    data : dict, optional
        Data entry name -> file to use instead of the spec's own source (``--data NAME=FILE``);
        the name may be ``""`` when the study has a single data entry (``--data FILE``).

    Returns
    -------
    Study
        The parsed spec, checked against the estimators and generators that exist.

    Examples
    --------
    >>> load_study("studies/eq-effectiveness/study.toml").title  # doctest: +SKIP
    'Does leader EQ relate to effectiveness?'
    """
    path = Path(path)
    if not path.is_file():
        raise StudySpecError(f"study spec {path} does not exist (expected a study.toml file).")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise StudySpecError(f"{path}: not valid TOML: {e}") from None
    _check_keys(path, "top level", raw, _TOP_KEYS)

    st = raw.get("study")
    if not isinstance(st, dict) or "title" not in st:
        raise _err(path, "[study]", "a [study] table with at least title = \"...\" is required.")
    _check_keys(path, "[study]", st, _STUDY_KEYS)
    seed = st.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _err(path, "[study]", f"seed must be a non-negative integer, got {seed!r}.")

    pv = _table(path, "[privacy]", raw.get("privacy"), "privacy")
    _check_keys(path, "[privacy]", pv, _PRIVACY_KEYS)
    try:
        min_size = check_min_size(pv.get("min_group_size", DEFAULT_MIN_SIZE))
    except (TypeError, ValueError) as e:
        raise _err(path, "[privacy] min_group_size", str(e)) from None
    ids = pv.get("id_columns")
    lists = {}
    for key in ("id_columns", "not_identifiers", "public_labels"):
        v = pv.get(key)
        if v is not None and (not isinstance(v, list) or not all(isinstance(c, str) for c in v)):
            raise _err(path, "[privacy]", f"{key} must be a list of column names, e.g. "
                       f"{key} = [\"ManagerID\"].")
        lists[key] = tuple(v or ())
    both = sorted(set(lists["id_columns"]) & set(lists["not_identifiers"]))
    if both:
        raise _err(path, "[privacy]", f"{both} listed in both id_columns and not_identifiers.")

    overrides = {k: Path(v) for k, v in (data or {}).items()}
    if "" in overrides:  # --data FILE without a name: only when there is one data entry
        names = list(_table(path, "[data]", raw.get("data"), "data"))
        if len(names) != 1:
            raise StudySpecError(
                f"--data {overrides['']}: the study has {len(names)} data entries "
                f"({', '.join(names) or 'none'}); say which with --data NAME=FILE."
            )
        overrides[names[0]] = overrides.pop("")
    entries: dict[str, DataSpec] = {}
    for name, d in _table(path, "[data]", raw.get("data"), "data").items():
        where = f"[data.{name}]"
        d = _table(path, where, d, f"data.{name}")
        _check_keys(path, where, d, _DATA_KEYS)
        cols = _table(path, where, d.get("columns"), "columns")
        derive = _table(path, where, d.get("derive"), "derive")
        query = d.get("query")
        if query is not None and not isinstance(query, str):
            raise _err(path, where, "query must be a string, e.g. query = \"tenure >= 6\".")
        if not all(isinstance(v, str) for v in [*cols.values(), *derive.values()]):
            raise _err(path, where, "columns and derive map names to strings.")
        person = d.get("person")
        if person is not None and (not isinstance(person, str) or not person):
            raise _err(path, where, "person must name the column identifying people, e.g. "
                       "person = \"EmployeeID\".")
        common = {"columns": cols, "derive": derive, "query": query,
                  "description": d.get("description", ""), "person": person,
                  **_prepare_keys(path, where, d)}
        if name in overrides:
            entries[name] = DataSpec(name, file=overrides[name], overridden=True, **common)
            continue
        if ("file" in d) == ("generate" in d):
            raise _err(path, where, "give exactly one of file = \"...\" or generate = { kind = "
                       "\"...\", ... }.")
        if "file" in d:
            f = Path(d["file"])
            entries[name] = DataSpec(name, file=f if f.is_absolute() else path.parent / f,
                                     **common)
        else:
            gen = _table(path, where, d["generate"], "generate")
            if "kind" not in gen:
                raise _err(path, where, "generate needs kind = \"<generator name>\".")
            entries[name] = DataSpec(name, generate=gen, **common)
    unknown_over = sorted(set(overrides) - set(entries))
    if unknown_over:
        raise StudySpecError(
            f"--data {unknown_over[0]}=...: the study has no data entry {unknown_over[0]!r}; "
            f"its entries are: {', '.join(sorted(entries)) or '(none)'}."
        )

    analyses: list[AnalysisSpec] = []
    seen: set[str] = set()
    raw_an = raw.get("analysis", [])
    if not isinstance(raw_an, list) or not raw_an:
        raise _err(path, "[[analysis]]", "the study needs at least one [[analysis]] entry.")
    for i, a in enumerate(raw_an):
        where = f"[[analysis]] #{i + 1}"
        if not isinstance(a, dict):
            raise _err(path, where, "each analysis must be a table.")
        _check_keys(path, where, a, _ANALYSIS_KEYS)
        aid = a.get("id")
        if not isinstance(aid, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", aid):
            raise _err(path, where, f"id must be a short name (letters, digits, _ . -), "
                       f"got {aid!r}.")
        where = f"analysis {aid!r}"
        if aid in seen:
            raise _err(path, where, "id is used twice; ids must be unique within a study.")
        if not isinstance(a.get("estimator"), str):
            raise _err(path, where, "estimator = \"<module>.<function>\" is required, e.g. "
                       "\"meta.correlations\".")
        src = a.get("from")
        if "data" in a and src is not None:
            raise _err(path, where, "give data = \"<data entry>\" or from = \"<earlier "
                       "analysis id>\", not both (or neither: the estimator gets only args).")
        if "data" in a and a["data"] not in entries:
            raise _err(path, where, f"data {a['data']!r} is not a data entry; entries: "
                       f"{', '.join(sorted(entries)) or '(none)'}.")
        if src is not None and src not in seen:
            raise _err(path, where, f"from {src!r} must name an earlier analysis; earlier: "
                       f"{', '.join(sorted(seen)) or '(none)'}.")
        then = []
        raw_then = a.get("then", [])
        if not isinstance(raw_then, list):
            raise _err(path, where, "then must be a list of { method = \"...\", args = {...} }.")
        for j, t in enumerate(raw_then):
            tw = f"{where} then[{j}]"
            if not isinstance(t, dict) or not isinstance(t.get("method"), str):
                raise _err(path, tw, "each follow-up needs method = \"<name>\".")
            _check_keys(path, tw, t, _THEN_KEYS)
            then.append(FollowUp(
                method=t["method"], args=_table(path, tw, t.get("args"), "args"),
                title=t.get("title"), frame=_table(path, tw, t.get("frame"), "frame"),
                plot=_plot(path, tw, t.get("plot")), headline=t.get("headline"),
                rules=_rules(path, tw, t.get("rules")), units=_units(path, tw, t.get("units")),
            ))
        analyses.append(AnalysisSpec(
            id=aid, estimator=a["estimator"], data=a.get("data"), source=src,
            title=a.get("title"), args=_table(path, where, a.get("args"), "args"),
            quick_args=_table(path, where, a.get("quick_args"), "quick_args"),
            frame=_table(path, where, a.get("frame"), "frame"),
            plot=_plot(path, where, a.get("plot")), then=tuple(then),
            headline=a.get("headline"), rules=_rules(path, where, a.get("rules")),
            method=a.get("method"), units=_units(path, where, a.get("units")),
        ))
        seen.add(aid)

    text = {"title": str(st["title"]), "claim": str(st.get("claim", "")),
            "description": str(st.get("description", "")), "source": str(st.get("source", ""))}
    if overrides:
        entries, analyses, text = _own_data(path, entries, analyses, text)
    return Study(
        path=path, seed=int(seed), **text,
        min_group_size=min_size, currency=_currency(path, st.get("currency")),
        id_columns=tuple(ids) if ids is not None else None,
        not_identifiers=lists["not_identifiers"], public_labels=lists["public_labels"],
        data=entries, analyses=tuple(analyses),
    )


def _prepare_keys(path: Path, where: str, d: dict[str, Any]) -> dict[str, Any]:
    """The ``prepare`` steps, ``dropna`` and ``read`` options of a data entry."""
    steps = d.get("prepare", [])
    if not isinstance(steps, list) or not all(
            isinstance(s, dict) and isinstance(s.get("step"), str) for s in steps):
        raise _err(path, where, "prepare must be a list of steps, e.g. prepare = [ { step = "
                   "\"waves\", date = \"SurveyDate\", freq = \"QS\" } ].")
    dropna = d.get("dropna", False)
    if not (isinstance(dropna, bool) or (isinstance(dropna, list)
                                         and all(isinstance(c, str) for c in dropna))):
        raise _err(path, where, "dropna must be true/false or a list of column names.")
    return {"prepare": tuple(dict(s) for s in steps),
            "dropna": tuple(dropna) if isinstance(dropna, list) else dropna,
            "read": _table(path, where, d.get("read"), "read")}


def _own_data(
    path: Path, entries: dict[str, DataSpec], analyses: list[AnalysisSpec],
    text: dict[str, str],
) -> tuple[dict[str, DataSpec], list[AnalysisSpec], dict[str, str]]:
    """A report on the user's own data never carries the study's bundled text or data.

    Analyses of generated (synthetic) entries are left out; an analysis of a bundled file
    that was not replaced stops the report. The study's title, claim, description and the
    entries' descriptions are replaced by a plain statement of what was run on what.
    """
    over = {n for n, e in entries.items() if e.overridden}
    kept: list[AnalysisSpec] = []
    dropped: set[str] = set()
    for a in analyses:
        if (a.source is not None and a.source in dropped) or (
                a.data is not None and a.data not in over and entries[a.data].generate):
            dropped.add(a.id)
            continue
        if a.data is not None and a.data not in over:
            raise StudySpecError(
                f"--data replaces {', '.join(sorted(over))}, but analysis {a.id!r} of {path} "
                f"uses data entry {a.data!r} ({entries[a.data].file}), which is not yours: a "
                f"report on your data must not mix in bundled data. Pass --data "
                f"{a.data}=FILE as well, or write a study for your own file with `coachstats "
                "init FILE --kind KIND --out my-study/`."
            )
        kept.append(a)
    if not kept:
        raise StudySpecError(
            f"--data: no analysis of {path} uses {', '.join(sorted(over))}; write a study for "
            "your own file with `coachstats init FILE --kind KIND --out my-study/`.")
    used = {a.data for a in kept if a.data}
    files = ", ".join(entries[n].file.name for n in sorted(over)  # type: ignore[union-attr]
                      if n in used)
    new_entries = {n: replace(e, description="") for n, e in entries.items() if n in used}
    new_text = {
        "title": f"Analyses of {files}",
        "claim": "",
        "description": "",
        "source": f"Data supplied on the command line ({files}); analyses as specified in "
                  f"{path.parent.name}/study.toml. Write a study with your own title and "
                  "claim with `coachstats init`.",
    }
    return new_entries, kept, new_text


def _check_kwargs(fn: Any, kwargs: Mapping[str, Any], where: str) -> None:
    """Raise StudySpecError naming options in ``kwargs`` that ``fn`` does not take."""
    try:
        ps = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in ps.values()):
        return
    unknown = sorted(set(kwargs) - set(ps))
    if unknown:
        raise StudySpecError(
            f"{where}: unknown option(s) {', '.join(map(repr, unknown))}; valid: "
            f"{', '.join(p for p in ps if p != 'self') or '(none)'}."
        )
