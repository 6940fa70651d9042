"""Run a study spec: load its data, call each estimator, and collect results with provenance.

Nothing here formats numbers or writes prose; :mod:`coachstats.report.render` does that.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._deprecate import renamed_arguments
from .._validate import check_int
from ..privacy import (
    Identifiers,
    Manifest,
    PrivacyError,
    Suppression,
    detect_identifiers,
    looks_like_time,
    resolve_person,
)
from ..results import Result
from .spec import AnalysisSpec, DataSpec, Study, StudySpecError

__all__ = [
    "ESTIMATOR_PACKAGES",
    "PRIVACY_PARAMS",
    "AnalysisRun",
    "FollowUpRun",
    "LoadedData",
    "StudyRun",
    "available_estimators",
    "resolve_estimator",
    "run_study",
]

#: subpackages whose public functions a spec may name as ``estimator``
ESTIMATOR_PACKAGES = ("meta", "did", "variance", "roi", "effects", "survival", "causal",
                      "survey", "timeseries", "report", "prepare")

#: estimator parameters that set a minimum group / risk-set size; the study's privacy
#: threshold is passed to them, and a spec may not set them lower.
PRIVACY_PARAMS = (
    "min_at_risk", "min_group_size", "min_size", "min_raters", "min_cell_size", "min_n",
)

#: estimators whose privacy threshold hides curve steps with too few people at risk
_RISK_SET_CURVES = ("survival.kaplan_meier", "survival.competing_risks")

#: names a spec may use for helpers defined in this package
_ALIASES = {"report.group_means": "report.privacy.safe_group_means",
            "report.crosstab": "report.privacy.safe_crosstab"}


@dataclass(frozen=True)
class LoadedData:
    """A data entry after loading: the frame and where it came from."""

    name: str
    frame: pd.DataFrame = field(repr=False)
    provenance: dict[str, Any]


@dataclass(frozen=True)
class FollowUpRun:
    method: str
    title: str
    value: Any = field(repr=False)
    frame_args: dict[str, Any] = field(default_factory=dict)
    plot: dict[str, Any] | bool = True
    headline: Any = None
    rules: dict[str, str] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisRun:
    spec: AnalysisSpec
    function: Any = field(repr=False)
    args: dict[str, Any]
    result: Any = field(repr=False)
    followups: tuple[FollowUpRun, ...] = ()
    n_input: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyRun:
    """Parameters

    Parameters
    ----------
    study : Study
        The spec that was run.
    seed : int
        Seed used.
    quick : bool
        Whether each analysis ran with its ``quick_args``.
    data : dict of str to LoadedData
        Every data entry after loading, with its provenance.
    analyses : tuple of AnalysisRun
        Every analysis with its arguments and result (or error).
    manifest : tuple of Suppression
        Everything withheld for privacy.
    id_columns : dict of str to tuple of str
        Identifier columns of each data entry.
    identifiers : dict of str to Identifiers
        Detected identifiers of each data entry.
    people : dict of str to tuple of (str or None, str)
        For each data entry, the column people are counted by and how it was chosen.

    Examples
    --------
    >>> from coachstats.report import find_studies, load_study
    >>> from coachstats.report.runner import run_study
    >>> path = [p for p in find_studies() if p.parent.name == "preventable-turnover"][0]
    >>> run = run_study(load_study(path), quick=True)
    >>> run.seed, len(run.analyses)
    (42, 4)
    """
    study: Study
    seed: int
    quick: bool
    data: dict[str, LoadedData]
    analyses: tuple[AnalysisRun, ...]
    manifest: tuple[Suppression, ...]
    id_columns: dict[str, tuple[str, ...]]
    identifiers: dict[str, Identifiers] = field(default_factory=dict)
    people: dict[str, tuple[str | None, str]] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        """The report itself, framed, so a notebook shows what the HTML file will show."""
        import html as _html

        from .render import build_report

        page, _ = build_report(self)
        return (f'<iframe srcdoc="{_html.escape(page, quote=True)}" '
                'style="width:100%;height:720px;border:1px solid #ccc"></iframe>')

    def id_values(self) -> list[Any]:
        """Every value of every identifier column in the input data (for the output scan),
        including the raw labels of pseudonymised columns; not those of ``public_labels``."""
        public = set(self.study.public_labels)
        out: list[Any] = []
        for name, cols in self.id_columns.items():
            df = self.data[name].frame
            for c in cols:
                if c not in public:
                    out.extend(df[c].dropna().unique().tolist())
        return out

    def person_columns(self) -> set[str]:
        """Columns identifying people (a published table may never hold one)."""
        if not self.identifiers:
            return {c for cols in self.id_columns.values() for c in cols}
        return {c for ids in self.identifiers.values() for c in ids.person}

    def privacy_summary(self) -> dict[str, Any]:
        """How people were counted and identifiers recognised, per data entry (no values)."""
        return {
            "people": {k: {"column": col, "how": how} for k, (col, how) in self.people.items()},
            "identifiers": {
                k: {"person": list(ids.person), "groups": dict(ids.groups),
                    "reasons": dict(ids.reasons)}
                for k, ids in self.identifiers.items()
            },
            "declared_id_columns": list(self.study.id_columns or ()),
            "not_identifiers": list(self.study.not_identifiers),
            "public_labels": list(self.study.public_labels),
        }


# --------------------------------------------------------------------------- estimators
def _public_callables(module: Any) -> list[str]:
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    out = []
    for n in names:
        obj = getattr(module, n, None)
        if inspect.isfunction(obj) or (callable(obj) and not inspect.ismodule(obj)
                                       and not inspect.isclass(obj)):
            out.append(n)
    return sorted(out)


def available_estimators() -> list[str]:
    """Dotted names a study may use as ``estimator`` (for error messages and docs).

    Returns
    -------
    list of str
        Dotted names such as ``"meta.correlations"``, sorted.

    Examples
    --------
    >>> "report.group_means" in available_estimators()
    True
    """
    out = []
    for pkg in ESTIMATOR_PACKAGES:
        try:
            mod = importlib.import_module(f"coachstats.{pkg}")
        except ImportError:
            continue
        if pkg == "report":
            out.extend(("report.crosstab", "report.group_means"))
            continue
        out.extend(f"{pkg}.{n}" for n in _public_callables(mod))
    return sorted(out)


def resolve_estimator(name: str) -> Any:
    """Return the function a dotted estimator name refers to, or raise listing valid names.

    Examples
    --------
    >>> resolve_estimator("report.group_means").__name__
    'safe_group_means'
    """
    dotted = _ALIASES.get(name, name)
    mod_name, _, attr = dotted.rpartition(".")
    if mod_name and mod_name.split(".")[0] in ESTIMATOR_PACKAGES:
        try:
            mod = importlib.import_module(f"coachstats.{mod_name}")
        except ImportError:
            mod = None
        fn = getattr(mod, attr, None) if mod is not None else None
        if callable(fn) and not attr.startswith("_"):
            return fn
    valid = available_estimators()
    raise StudySpecError(
        f"unknown estimator {name!r}. Valid estimators: {', '.join(valid) or '(none installed)'}."
    )


def _check_args(fn: Any, args: dict[str, Any], where: str, skip_first: bool = True) -> None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - builtins without signatures
        return
    params = list(sig.parameters.values())
    if skip_first and params and params[0].kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD
    ):
        params = params[1:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    valid = [p.name for p in params if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    old_names = getattr(fn, "__deprecated_arguments__", {})  # accepted, with a warning
    unknown = sorted(set(args) - set(valid) - set(old_names))
    if unknown:
        raise StudySpecError(
            f"{where}: unknown option(s) {', '.join(map(repr, unknown))}; valid options: "
            f"{', '.join(valid) or '(none)'}."
        )


# --------------------------------------------------------------------------- data
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_file(path: Path, entry: DataSpec, study: Study) -> pd.DataFrame:
    if not path.is_file():
        hint = (f" Pass --data {entry.name}=FILE to use your own file" if not entry.overridden
                else "")
        bundled = "data/synthetic" in path.as_posix()
        extra = " (regenerate the bundled data with `make data`)" if bundled else ""
        raise StudySpecError(
            f"{study.path}: data entry {entry.name!r}: file {path} does not exist{extra}.{hint}."
            .replace("..", ".")
        )
    suf = path.suffix.lower()
    try:
        if suf in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
            from ..prepare import read
            from ..prepare._context import spec_step

            with spec_step(f"read = {{...}} of [data.{entry.name}]"):
                return read(path, **entry.read)
        if suf in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (ValueError, OSError, ImportError, TypeError) as e:
        raise StudySpecError(f"data entry {entry.name!r}: could not read {path}: {e}") from None
    raise StudySpecError(
        f"data entry {entry.name!r}: cannot read {path.name}: use a .csv, .tsv, .xlsx or "
        ".parquet file."
    )


def _load(entry: DataSpec, study: Study, seed: int) -> LoadedData:
    if entry.file is not None:
        df = _read_file(entry.file, entry, study)
        prov: dict[str, Any] = {
            "name": entry.name,
            "source": "file",
            "file": entry.file.name,
            "sha256": _sha256(entry.file),
            "supplied_on_command_line": entry.overridden,
        }
    else:
        from .. import simulate

        gen = dict(entry.generate or {})
        kind = gen.pop("kind")
        if kind not in simulate.GENERATORS:
            raise StudySpecError(
                f"{study.path}: data entry {entry.name!r}: unknown generator {kind!r}; choose "
                f"one of {', '.join(simulate.GENERATORS)}."
            )
        try:
            fn = getattr(simulate, kind)
        except (ImportError, AttributeError) as e:
            raise StudySpecError(
                f"data entry {entry.name!r}: generator {kind!r} is not available: {e}"
            ) from None
        _check_args(fn, gen, f"data entry {entry.name!r} generate", skip_first=False)
        df = fn(**gen, rng=seed).data
        prov = {"name": entry.name, "source": "generated", "generator": kind,
                "arguments": gen, "seed": seed}
    if entry.columns:
        missing = [src for src in entry.columns.values() if src not in df.columns]
        if missing:
            raise StudySpecError(
                f"{study.path}: data entry {entry.name!r}: column(s) "
                f"{', '.join(map(repr, missing))} named in columns = {{...}} not found in the "
                f"data. Available columns: {', '.join(map(repr, df.columns))}."
            )
        df = df.rename(columns={src: dst for dst, src in entry.columns.items()})
        prov["column_mapping"] = dict(entry.columns)
    df = _prepare_steps(df, entry, study, prov)
    for col, expr in entry.derive.items():
        try:
            df[col] = df.eval(expr)
        except Exception as e:  # pandas raises many types for a bad expression
            raise StudySpecError(
                f"{study.path}: data entry {entry.name!r}: derive {col} = {expr!r} failed "
                f"({type(e).__name__}: {e}). Columns: {', '.join(map(repr, df.columns))}."
            ) from None
    if entry.derive:
        prov["derived"] = dict(entry.derive)
    if entry.dropna:
        cols = list(df.columns) if entry.dropna is True else list(entry.dropna)
        absent = [c for c in cols if c not in df.columns]
        if absent:
            raise StudySpecError(f"{study.path}: [data.{entry.name}] dropna names column(s) "
                                 f"{absent} that do not exist; columns: {list(df.columns)}.")
        before = len(df)
        df = df.dropna(subset=cols)
        prov["dropna"] = cols
        prov["rows_dropped_missing"] = before - len(df)
    if entry.query:
        before = len(df)
        try:
            df = df.query(entry.query).reset_index(drop=True)
        except Exception as e:
            raise StudySpecError(
                f"{study.path}: data entry {entry.name!r}: query {entry.query!r} failed "
                f"({type(e).__name__}: {e}). Columns: {', '.join(map(repr, df.columns))}."
            ) from None
        prov["query"] = entry.query
        prov["rows_before_query"] = before
    prov["rows"] = len(df)
    prov["columns"] = len(df.columns)
    if entry.description:
        prov["description"] = entry.description
    return LoadedData(entry.name, df, prov)


# --------------------------------------------------------------------------- people
def _identify(study: Study, data: dict[str, LoadedData]
              ) -> tuple[dict[str, Identifiers], dict[str, tuple[str | None, str]]]:
    """Identifier columns and the person column of every data entry."""
    listing = "; ".join(f"{n}: {list(map(str, d.frame.columns))}" for n, d in data.items())
    for key in ("id_columns", "not_identifiers", "public_labels"):
        names = getattr(study, key) or ()
        absent = [c for c in names if not any(c in d.frame.columns for d in data.values())]
        if absent:
            raise StudySpecError(
                f"{study.path}: [privacy] {key} {absent} are not columns of any data entry "
                f"({listing})."
            )
    identifiers: dict[str, Identifiers] = {}
    people: dict[str, tuple[str | None, str]] = {}
    for name, d in data.items():
        entry = study.data[name]
        df = d.frame
        if entry.person is not None and entry.person not in df.columns:
            raise StudySpecError(
                f"{study.path}: [data.{name}] person = {entry.person!r} is not a column of the "
                f"data; its columns: {', '.join(map(repr, df.columns))}."
            )
        cols = set(map(str, df.columns))
        try:
            ids = detect_identifiers(
                df, person=entry.person,
                id_columns=[c for c in study.id_columns or () if c in cols],
                not_identifiers=[c for c in study.not_identifiers if c in cols],
            )
        except (TypeError, ValueError) as e:
            raise StudySpecError(f"{study.path}: [data.{name}]: {e}") from None
        bad = [c for c in study.public_labels if c in ids.person]
        if bad:
            raise StudySpecError(
                f"{study.path}: [privacy] public_labels {bad}: these columns identify people "
                f"({'; '.join(ids.reasons[c] for c in bad)}); people's identifiers are never "
                "published. Only labels of groups (team, manager, department) can be public."
            )
        identifiers[name] = ids
        people[name] = resolve_person(df, entry.person, ids)
    return identifiers, people


def _people_args(fn: Any, args: dict[str, Any], study: Study, entry: str, df: pd.DataFrame,
                 ids: Identifiers, person: str | None, where: str
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pass the person column, identifiers and public labels to an estimator that takes them;
    refuse when counts would be of rows that may repeat per person."""
    counts = any(_takes(fn, p) for p in (*PRIVACY_PARAMS, "person"))
    if not counts:
        return args, {}
    # an estimator's own column of people (e.g. rater= of 360 ratings) counts as named, and
    # so do units (did.*: distinct units are a lower bound on the people in a cohort) and a
    # count column of respondents behind aggregated means (timeseries.*)
    if person is None and all(args.get(c) is None for c in ("person", "rater", "unit",
                                                           "respondents")):
        times = [str(c) for c in df.columns if looks_like_time(c)]
        if times:
            raise StudySpecError(
                f"{where}: the privacy threshold counts people, but no column of data entry "
                f"{entry!r} identifies people and rows may repeat per person (column(s) "
                f"{times} look like waves or dates). Name the person column in the data entry, "
                f"e.g. [data.{entry}] person = \"EmployeeID\" (or add it to [privacy] "
                "id_columns)."
            )
    out = dict(args)
    if _takes(fn, "person") and out.get("person") is None and person is not None:
        out["person"] = person
    if _takes(fn, "public_labels") and "public_labels" not in out:
        out["public_labels"] = [c for c in study.public_labels if c in df.columns]
    hidden = {"identifiers": ids} if _takes(fn, "identifiers") and "identifiers" not in out \
        else {}
    return out, hidden


def _prepare_steps(df: pd.DataFrame, entry: DataSpec, study: Study,
                   prov: dict[str, Any]) -> pd.DataFrame:
    """Run the entry's ``prepare`` steps (coachstats.prepare) and record them."""
    if not entry.prepare:
        return df
    from ..prepare import apply_steps

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            df = apply_steps(df, entry.prepare, f"[data.{entry.name}]")
        except (ValueError, TypeError) as e:
            raise StudySpecError(f"{study.path}: {e}") from None
    prov["prepare"] = [dict(s) for s in entry.prepare]
    if caught:
        prov["prepare_warnings"] = [str(w.message) for w in caught]
    return df


# --------------------------------------------------------------------------- running
def _privacy_args(fn: Any, args: dict[str, Any], threshold: int, where: str) -> dict[str, Any]:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return args
    out = dict(args)
    renamed = getattr(fn, "__deprecated_arguments__", {})  # old names kept as aliases
    for p in PRIVACY_PARAMS:
        if p not in params and renamed.get(p) != "min_group_size":
            continue
        if p in ("min_at_risk", "min_size", "min_raters", "min_n") and "min_group_size" in params:
            if out.get(p) is not None:  # an older name given in the spec: same floor
                out["min_group_size"], v = out.pop(p), None
                if isinstance(out["min_group_size"], int) and out["min_group_size"] < threshold:
                    raise StudySpecError(
                        f"{where}: {p} = {out['min_group_size']} is below the study's privacy "
                        f"threshold (min_group_size = {threshold}); remove it or raise it."
                    )
            continue
        v = out.get(p)
        if v is None:
            out[p] = threshold
        elif isinstance(v, int) and v < threshold:
            raise StudySpecError(
                f"{where}: {p} = {v} is below the study's privacy threshold "
                f"(min_group_size = {threshold}); remove it or raise it."
            )
    return out


_NO_INPUT = object()


def _takes(fn: Any, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


def _typed_args(fn: Any, args: dict[str, Any], where: str) -> dict[str, Any]:
    """Turn TOML tables into the dataclass a parameter is annotated with (e.g. a prior)."""
    import dataclasses
    import typing

    if not any(isinstance(v, dict) for v in args.values()):
        return args
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable annotations: pass the tables on unchanged
        return args
    out = dict(args)
    for k, v in args.items():
        if not isinstance(v, dict) or k not in hints:
            continue
        h = hints[k]
        for cls in (typing.get_args(h) or (h,)):
            if isinstance(cls, type) and dataclasses.is_dataclass(cls):
                try:
                    out[k] = cls(**{f: tuple(x) if isinstance(x, list) else x
                                    for f, x in v.items()})
                except TypeError as e:
                    names = [f.name for f in dataclasses.fields(cls)]
                    raise StudySpecError(
                        f"{where}: {k} = {{...}} does not fit {cls.__name__} ({e}); its "
                        f"fields: {', '.join(names)}."
                    ) from None
                break
    return out


def _call(fn: Any, first: Any, args: dict[str, Any], where: str) -> Any:
    try:
        return fn(**args) if first is _NO_INPUT else fn(first, **args)
    except PrivacyError:
        raise
    except (ValueError, TypeError, KeyError, RuntimeError, ArithmeticError) as e:
        raise StudySpecError(f"{where}: {e}") from e


#: follow-ups that are functions taking the result (module, name)
_PLANNING = {"power.design_mdes": ("coachstats.power", "design_mdes")}


def _followups(a: AnalysisSpec, result: Any, seed: int, threshold: int
               ) -> tuple[FollowUpRun, ...]:
    out = []
    for f in a.then:
        where = f"analysis {a.id!r} then {f.method!r}"
        planning = _PLANNING.get(f.method)  # e.g. "power.design_mdes": a function of result
        if planning is None and (f.method.startswith("_") or not hasattr(result, f.method)):
            public = sorted(n for n in dir(result) if not n.startswith("_"))
            raise StudySpecError(
                f"{where}: the {type(result).__name__} result has no method or attribute "
                f"{f.method!r}; available: {', '.join(public)}."
            )
        obj = (functools.partial(importlib.import_module(planning[0]).__dict__[planning[1]],
                                 result) if planning else getattr(result, f.method))
        args = dict(f.args)
        if callable(obj):
            _check_args(obj, args, where, skip_first=False)
            args = _privacy_args(obj, _typed_args(obj, args, where), threshold, where)
            if _takes(obj, "rng") and "rng" not in args:
                args["rng"] = seed
            value = _call(obj, _NO_INPUT, args, where)
        else:
            if f.args:
                raise StudySpecError(f"{where}: {f.method!r} is an attribute; it takes no args.")
            value = obj
        out.append(FollowUpRun(
            method=f.method, title=f.title or f.method.replace("_", " ").capitalize(),
            value=value, frame_args=f.frame, plot=f.plot, headline=f.headline, rules=f.rules,
            args=args,
        ))
    return tuple(out)


@renamed_arguments(seed="rng")
def run_study(
    study: Study, *, rng: int | None = None, quick: bool = False,
    on_analysis: Callable[[str], None] | None = None,
    progress: Any = False,
) -> StudyRun:
    """Load every data entry and run every analysis of ``study``.

    Parameters
    ----------
    study : Study
        From :func:`coachstats.report.spec.load_study`.
    rng : int, optional
        Overrides the study's seed (passed as ``rng`` to generators and estimators). An
        int, because the report records it so the numbers can be reproduced.
    quick : bool
        Merge each analysis's ``quick_args`` over its ``args`` (e.g. fewer posterior draws)
        for fast checks; reports say that they were made in quick mode.
    on_analysis : callable, optional
        Called with each analysis's title (or id) before it runs, e.g. to show progress.
    progress : bool or Progress
        Passed to the estimators that take ``progress`` (bootstrap and MCMC bars) unless
        the analysis sets it; never recorded with the call. The numbers do not depend on it.

    Returns
    -------
    StudyRun
        The loaded data (with provenance), each analysis's result and follow-ups, and the
        suppressions made while estimating. Render it with
        :func:`coachstats.report.write_report`.

    Examples
    --------
    >>> from coachstats.report import load_study
    >>> run = run_study(load_study("studies/eq-effectiveness/study.toml"))  # doctest: +SKIP
    >>> [a.spec.id for a in run.analyses][:2]                              # doctest: +SKIP
    ['random_effects', 'dersimonian_laird']
    """
    seed = study.seed if rng is None else check_int(
        rng, "rng (the study's recorded seed: an int, not a Generator)", minimum=0)
    data = {name: _load(entry, study, seed) for name, entry in study.data.items()}
    identifiers, people = _identify(study, data)
    id_columns = {name: ids.columns for name, ids in identifiers.items()}

    runs: dict[str, AnalysisRun] = {}
    manifest = Manifest()
    for a in study.analyses:
        if on_analysis is not None:
            on_analysis(a.title or a.id)
        where = f"analysis {a.id!r} ({a.estimator})"
        fn = resolve_estimator(a.estimator)
        args = {**a.args, **(a.quick_args if quick else {})}
        no_input = a.data is None and a.source is None
        _check_args(fn, args, where, skip_first=not no_input)
        args = _typed_args(fn, args, where)
        args = _privacy_args(fn, args, study.min_group_size, where)
        if _takes(fn, "rng") and "rng" not in args:
            args["rng"] = seed
        first: Any = _NO_INPUT
        n_input: int | None = None
        hidden: dict[str, Any] = {}
        if a.data is not None:
            first = data[a.data].frame
            n_input = len(first)
            where += f" on data {a.data!r}"
            args, hidden = _people_args(fn, args, study, a.data, first, identifiers[a.data],
                                        people[a.data][0], where)
        elif a.source is not None:
            first = runs[a.source].result  # type: ignore[index]
            n_input = runs[a.source].n_input  # type: ignore[index]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            shown = ({"progress": progress} if progress and _takes(fn, "progress")
                     and "progress" not in args else {})
            result = _call(fn, first, {**args, **hidden, **shown}, where)
            follow = _followups(a, result, seed, study.min_group_size)
        msgs = tuple(dict.fromkeys(
            f"{w.category.__name__}: {w.message}" for w in caught
            if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
        ))
        runs[a.id] = AnalysisRun(
            spec=a, function=fn, args=args, result=result,
            followups=follow, n_input=n_input, warnings=msgs,
        )
        for obj in (result, *(f.value for f in runs[a.id].followups)):
            if isinstance(obj, Result):
                manifest.extend(obj.suppressions(a.id))
        calls = [(a.estimator, args), *((f"{a.estimator} .{f.method}", f.args) for f in follow)]
        for name, kw in calls:
            for p in PRIVACY_PARAMS:
                if p in kw:
                    at_risk = p == "min_at_risk" or name in _RISK_SET_CURVES
                    what = (f"curve steps and numbers at risk where fewer than {kw[p]} remain "
                            "at risk" if at_risk else
                            f"estimates for groups of fewer than {kw[p]} people")
                    manifest.append(Suppression(
                        a.id, what, f"{p}={kw[p]} passed to {name}",
                        "minimum risk-set size" if at_risk else "minimum group size",
                    ))
    for r in runs.values():  # columns of people named in an analysis are scanned for too
        if r.spec.data is None:
            continue
        cols = data[r.spec.data].frame.columns
        named = [r.args.get(k) for k in ("person", "rater")]
        id_columns[r.spec.data] = tuple(dict.fromkeys(
            [*id_columns[r.spec.data], *(c for c in named if isinstance(c, str) and c in cols)]))
    return StudyRun(
        study=study, seed=seed, quick=quick, data=data, analyses=tuple(runs.values()),
        manifest=tuple(manifest), id_columns=id_columns, identifiers=identifiers,
        people=people,
    )

