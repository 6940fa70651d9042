"""Turn a study run into a self-contained HTML report and a JSON file of every number in it.

Numbers come from the result objects (``to_frame``, ``interpret``, ``diagnostics`` ...); the
words around them live in the Jinja2 templates under ``templates/``. Figures are embedded as
base64 PNG, styles are inline, and nothing refers to the network, so the file opens offline.

This module assembles the page and applies the privacy checks; the parts live beside it:
:mod:`.format` (numbers in their units), :mod:`.glossary` (plain names and the kind of each
quantity), :mod:`.verdict` (the facts of each headline's sentence), :mod:`.figures`
(drawing, and showing each figure once) and :mod:`.pdf` (printing).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import inspect
import json
import math
import platform
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import __version__
from ..interpret import RULES, improvement_index, label
from ..results import FRAME_COLUMNS, N_RISK, P_VALUE, SUPPRESSED, Result, _fmt
from .figures import FigureLog, draw
from .format import fmt, fmt_interval, fmt_p, is_number
from .glossary import column_name, column_words, kind_of, term_name
from .privacy import PrivacyError, Suppression, _scannable, guard_table, scan_for_identifiers
from .spec import StudySpecError, _check_kwargs
from .verdict import LIKELIHOOD, LIKELIHOOD_CITATION, verdict

if TYPE_CHECKING:  # runner imports this module to show a run in a notebook
    from .runner import AnalysisRun, StudyRun

__all__ = ["build_report", "nice_number", "write_report"]

_TEMPLATES = Path(__file__).parent / "templates"
#: rows of a table shown in the HTML; the JSON always holds every row
MAX_HTML_ROWS = 60
_DEPS = ("numpy", "scipy", "pandas", "statsmodels", "pymc", "arviz", "matplotlib")
#: terms whose interval is for a new observation (a new study), not the mean
_PREDICTIVE_TERMS = ("r_new", "y_new", "theta_new")


# --------------------------------------------------------------------------- helpers
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v, d=3: _fmt(v, d) if v is not None else ""
    env.filters["nice"] = nice_number
    env.filters["pct"] = lambda v: f"{100 * float(v):g}%" if v is not None else ""
    env.filters["fmt"] = lambda v, kind="number", unit=None: fmt(v, kind, unit=unit)
    env.filters["p"] = fmt_p
    env.filters["words"] = column_words
    env.filters["plain"] = term_name
    return env


def nice_number(v: Any) -> str:
    """A number as the executive summary shows it: 3 decimals for small values, fewer for
    large ones, thousands separated (``571464.6`` -> ``571,465``)."""
    if v is None:
        return ""
    if isinstance(v, int | np.integer) and not isinstance(v, bool):
        return f"{int(v):,}"
    f = float(v)
    if not math.isfinite(f):
        return ""
    a = abs(f)
    if a >= 1000:
        return f"{f:,.0f}"
    if a >= 100:
        return f"{f:,.1f}"
    return _fmt(f, 3)


def _plain(v: Any) -> Any:
    """JSON-ready Python value (NaN and infinities become None)."""
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, Path):
        return v.name
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, pd.Timestamp | _dt.date):
        return v.isoformat()
    return str(v)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _strings(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v]


def _is_bayesian(result: Any) -> bool:
    from ..bayes import Diagnostics

    return isinstance(result, Result) and isinstance(result.diagnostics, Diagnostics)


def _interpretations(obj: Any) -> list[dict[str, Any]]:
    """``obj.interpret()`` (labels by named rules) as plain dicts."""
    if not isinstance(obj, Result):
        return []
    out = []
    for x in obj.interpret():
        lab, cit, rule = x.label, x.citation, x.rule
        entry = {"term": x.term, "value": _plain(x.value), "label": str(lab),
                 "rule": rule, "metric": RULES[rule].metric if rule in RULES else None,
                 "citation": cit, "text": f"{lab}, following {cit}" if cit else str(lab)}
        if entry["rule"] == "wwc_g" and entry["value"] is not None:
            entry["improvement_index"] = improvement_index(float(entry["value"]))
        out.append(entry)
    return out


def _rule_label(term: str, value: float, rule: str) -> dict[str, Any]:
    it = label(value, rule)
    e = {"term": term, "value": it.value, "label": it.label, "rule": it.rule,
         "metric": RULES[rule].metric, "citation": it.citation, "text": str(it)}
    if rule == "wwc_g":
        e["improvement_index"] = improvement_index(value)
    return e


# --------------------------------------------------------------------------- blocks
class _Ctx:
    """Collects what the privacy checks need while blocks are built, and what every block
    shares: the study's currency and the figures already placed."""

    def __init__(self, min_size: int, id_columns: set[str], currency: str | None = None
                 ) -> None:
        self.min_size = min_size
        self.id_columns = id_columns
        self.currency = currency
        self.texts: list[str] = []
        self.manifest: list[Suppression] = []
        self.problems: list[str] = []
        self.figures = FigureLog()


@dataclasses.dataclass(frozen=True)
class _Units:
    """How one block's quantities are named and formatted."""

    estimator: str = ""
    roles: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    units: Mapping[str, str] = dataclasses.field(default_factory=dict)
    currency: str | None = None
    central: str | None = None
    bayes: bool = False

    def kind(self, term: Any, row: Mapping[str, Any] | None = None) -> str:
        t = str(term)
        if t in self.units:
            return self.units[t]
        scale = str((row or {}).get("scale", ""))
        if scale == "hazard ratio":
            return "hazard_ratio"
        if scale.startswith("log"):
            return "number"
        if self.estimator.startswith("survival.kaplan_meier") and t.startswith("median"):
            return "months"
        return kind_of(t, self.estimator)

    def unit(self, kind: str) -> str | None:
        if kind == "currency":
            return self.currency
        if kind in ("months", "years"):
            w = self.roles.get("duration") or self.roles.get("time")
            return column_words(w) if isinstance(w, str) and w else "time units"
        return None

    def interval(self, term: Any, row: Mapping[str, Any] | None = None) -> str:
        kind = str((row or {}).get("ci_kind") or "")
        if str(term) in _PREDICTIVE_TERMS or "predict" in kind:
            return "predictive"
        if self.bayes or kind in ("equal-tailed", "hdi"):
            return "credible"
        return "confidence"


def _guard_frame(frame: pd.DataFrame, ctx: _Ctx, analysis: str, what: str,
                 estimator: str | None = None) -> pd.DataFrame:
    """Check ``frame`` for identifiers and, for an estimator's table, its counts of people
    against the threshold; withhold rows whose risk set (``n_risk``, the one name of that
    column) is below the minimum group size."""
    guard_table(frame, ctx.id_columns, analysis, what,
                min_group_size=None if estimator is None else ctx.min_size,
                estimator=estimator or "")
    if N_RISK in frame.columns:
        n = pd.to_numeric(frame[N_RISK], errors="coerce")
        small = (n > 0) & (n < ctx.min_size)
        if small.any():
            ctx.manifest.append(Suppression(
                analysis, f"{int(small.sum())} row(s) of {what}",
                f"{N_RISK} below {ctx.min_size}", "minimum risk-set size",
            ))
            frame = frame.loc[~small].reset_index(drop=True)
    return frame


def _display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as shown in HTML: empty columns left out, whole-number counts as integers."""
    keep = [c for c in frame.columns if not frame[c].isna().all()] or list(frame.columns)
    shown = frame.loc[:, keep].head(MAX_HTML_ROWS).copy()
    for c in shown.columns:
        col = shown[c]
        # counts, periods, cohorts: whole numbers shown without decimals
        if str(c) not in FRAME_COLUMNS and pd.api.types.is_float_dtype(col):
            vals = col.dropna()
            if len(vals) and np.all(np.isfinite(vals)) and np.all(vals == np.round(vals)):
                shown[c] = col.map(lambda v: None if pd.isna(v) else int(v)).astype(object)
    return shown


def _list_withheld_rows(frame: pd.DataFrame, ctx: _Ctx, analysis: str, title: str) -> None:
    """Rows of a plain table (not a result, which lists its own ``suppressions()``) flagged
    in a ``suppressed`` column go into the manifest by name."""
    if SUPPRESSED not in frame.columns:
        return
    mask = frame[SUPPRESSED].fillna(False).astype(bool)
    for i in frame.index[mask]:
        term = frame.loc[i, "term"] if "term" in frame.columns else f"row {i}"
        why = frame.loc[i, "reason"] if "reason" in frame.columns else None
        reason = str(why) if isinstance(why, str) and why else (
            f"below the minimum group size of {ctx.min_size}")
        ctx.manifest.append(Suppression(analysis, f"{term} ({title})", reason,
                                        "minimum group size"))


def _detail_table(frame: pd.DataFrame) -> dict[str, Any]:
    """Every column at full display precision, for the analyst (collapsed in the HTML)."""
    from ..results import format_frame

    shown = _display_frame(frame)
    cells = format_frame(shown).values.tolist() if len(shown) else []
    cells = [["" if v in ("None", "nan", "<NA>") else v for v in row] for row in cells]
    return {"columns": [column_name(c) for c in shown.columns],
            "codes": [str(c) for c in shown.columns], "rows": cells,
            "n_rows": len(frame), "n_hidden": max(0, len(frame) - MAX_HTML_ROWS)}


def _cell(v: Any, col: str, u: _Units) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if col == P_VALUE:
        return fmt_p(v)
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if is_number(v):
        k = kind_of(col, u.estimator, column=col)
        if k == "count" and float(v) == round(float(v)):
            return f"{int(v):,}"
        return fmt(v, "number", width=abs(float(v)) / 10 if float(v) else None)
    return column_words(v) if isinstance(v, str) and re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", v) \
        else str(v)


def _plain_table(frame: pd.DataFrame, u: _Units, every_column: bool = False) -> dict[str, Any]:
    """The table a reader sees: plain names, numbers in their units, one interval column
    (or, for a table without estimates or with ``every_column``, every non-empty column)."""
    shown = frame.head(MAX_HTML_ROWS)
    has_est = (not every_column and "term" in frame.columns and "estimate" in frame.columns
               and frame["estimate"].notna().any())
    if not has_est:
        cols = [c for c in shown.columns if not shown[c].isna().all()]
        rows = [[_cell(r[c], str(c), u) for c in cols] for r in shown.to_dict("records")]
        return {"columns": [column_name(c) for c in cols], "rows": rows, "plain": True,
                "n_rows": len(frame), "n_hidden": max(0, len(frame) - MAX_HTML_ROWS)}
    p_col = P_VALUE if P_VALUE in frame.columns and frame[P_VALUE].notna().any() else None
    has_ci = {"ci_low", "ci_high"} <= set(frame.columns) and frame["ci_low"].notna().any()
    has_pi = {"pi_low", "pi_high"} <= set(frame.columns) and frame["pi_low"].notna().any()
    levels = frame["ci_level"].dropna().unique() if "ci_level" in frame.columns else []
    lvl = f"{100 * float(levels[0]):g}% " if len(levels) == 1 else ""
    kinds = {u.interval(r.get("term"), r) for r in shown.to_dict("records")
             if is_number(r.get("ci_low"))}
    iv = next(iter(kinds)) if len(kinds) == 1 else "uncertainty"
    head = ["Quantity", "Estimate" + (f" ({u.central})" if u.central else "")]
    if has_ci:
        head.append(f"{lvl}{iv} interval")
    if has_pi:
        head.append(f"{lvl}prediction interval")
    if p_col:
        head.append("p-value")
    rows = []
    for r in shown.to_dict("records"):
        term = r.get("term")
        k = u.kind(term, r)
        unit = u.unit(k)
        lo, hi = r.get("ci_low"), r.get("ci_high")
        w = abs(float(hi) - float(lo)) if is_number(lo) and is_number(hi) else None
        est = r.get("estimate")
        if is_number(est):
            val = fmt(est, k, unit=unit, width=w)
        elif str(term).startswith("median") and u.estimator.startswith("survival"):
            val = "not reached within follow-up"
        else:
            val = ""
        row = [term_name(term, u.roles), val]
        if has_ci:
            row.append(fmt_interval(lo, hi, k, unit=unit))
        if has_pi:
            row.append(fmt_interval(r.get("pi_low"), r.get("pi_high"), k, unit=unit))
        if p_col:
            row.append(fmt_p(r.get(p_col)))
        rows.append(row)
    return {"columns": head, "rows": rows, "plain": True,
            "n_rows": len(frame), "n_hidden": max(0, len(frame) - MAX_HTML_ROWS)}


def _prob_above(obj: Any, term: str, null: float | None) -> float | None:
    """Posterior probability that ``term`` exceeds ``null``, from the result's draws."""
    if null is None or not isinstance(obj, Result):
        return None
    draws = obj.posterior_draws(term)
    if draws is None:
        return None
    x = np.asarray(draws, dtype=float).reshape(-1)
    x = x[np.isfinite(x)]
    return float(np.mean(x > null)) if len(x) else None


def _headline(obj: Any, frame: pd.DataFrame | None, spec: Any, default_first: bool,
              analysis: str, title: str, interps: list[dict], rules: Mapping[str, str],
              u: _Units, cautions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from .verdict import null_of

    if frame is None or "term" not in frame or "estimate" not in frame or spec is False:
        return []
    terms = [str(t) for t in frame["term"]]
    names: dict[str, str] = {}
    if spec is None or spec is True:
        if spec is None and not default_first:
            return []
        if isinstance(obj, Result):
            chosen = [t for t in obj.headline() if t in terms]
        else:
            ok = frame.index[pd.to_numeric(frame["estimate"], errors="coerce").notna()]
            chosen = [terms[ok[0]]] if len(ok) else []
    elif isinstance(spec, str):
        chosen = [spec]
    elif isinstance(spec, Mapping):
        chosen, names = list(spec), {str(k): str(v) for k, v in spec.items()}
    else:
        chosen = [str(t) for t in spec]
    missing = [t for t in chosen if t not in terms]
    if missing:
        raise StudySpecError(
            f"analysis {analysis!r}: headline term(s) {missing} not in the result table; its "
            f"terms are: {', '.join(terms[:40])}."
        )
    out = []
    for t in chosen:
        row = frame.loc[frame["term"].astype(str) == t].iloc[0]
        est = pd.to_numeric(pd.Series([row["estimate"]]), errors="coerce").iloc[0]
        labels = [i for i in interps if i["term"] == t or (
            i["term"] is None and i["value"] is not None and np.isfinite(est)
            and math.isclose(i["value"], float(est), rel_tol=1e-9, abs_tol=1e-12))]
        if len(chosen) == 1:  # labels not tied to a term describe this one result
            labels += [i for i in interps if i["term"] is None and i not in labels]
        if t in rules:
            labels.append(_rule_label(t, float(row["estimate"]), rules[t]))
        rec = row.to_dict()
        kind = u.kind(t, rec)
        h = {
            "analysis": analysis, "analysis_title": title, "term": t,
            "name": names.get(t) or _default_name(t, kind, u),
            "named": t in names,
            "estimate": _plain(row["estimate"]), "std_error": _plain(row.get("std_error")),
            "ci_low": _plain(row.get("ci_low")), "ci_high": _plain(row.get("ci_high")),
            "ci_level": _plain(row.get("ci_level")),
            "p_value": _plain(row[P_VALUE] if P_VALUE in row and pd.notna(row[P_VALUE])
                              else None),
            "interval": u.interval(t, rec), "labels": labels,
            "kind": kind, "unit": u.unit(kind), "central": u.central,
            "prob_above": _prob_above(obj, t, null_of(kind)), "cautions": cautions,
        }
        h["verdict"] = verdict(h)
        out.append(h)
    return out


def _default_name(term: str, kind: str, u: _Units) -> str:
    """A headline's name when the spec gives none."""
    if kind == "hazard_ratio":
        return f"Hazard ratio of {column_words(term)}"
    value = u.roles.get("value")
    if u.estimator == "report.group_means" and isinstance(value, str):
        return (f"Mean {column_words(value)}" if term == "overall"
                else f"Mean {column_words(value)} ({term_name(term, u.roles).lower()})")
    return term_name(term, u.roles)


_CODE = re.compile(r"\b\w+\(\)|\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def _plain_caveat(text: str) -> str:
    """A limitation as the executive summary shows it: clauses that name code (a function
    or a snake_case option, advice for the analyst) are left to the section's own list."""
    parts = [p.strip() for p in re.split(r";\s+", text) if not _CODE.search(p)]
    out = "; ".join(parts)
    return out if not out or out.endswith((".", "!", "?")) else out + "."


def _cautions(obj: Any) -> list[dict[str, Any]]:
    """``obj.cautions`` (a tuple of :class:`coachstats.results.Caution`) as plain dicts."""
    if not isinstance(obj, Result):
        return []
    try:
        raw = obj.cautions
    except Exception as e:  # a broken check must be visible, not fatal
        return [{"code": "caution_failed", "severity": "warning", "value": None,
                 "message": f"A check of this result could not be run ({type(e).__name__})."}]
    return [_plain(c.as_dict()) for c in raw]


def _dropped(result: Any, n_input: int | None) -> dict[str, Any] | None:
    """What the result left out before fitting (``n_dropped`` and ``dropped``)."""
    if not isinstance(result, Result):
        return None
    reasons = result.dropped
    return {"n_input": n_input, "n_dropped": int(result.n_dropped),
            "reason": "; ".join(f"{why} ({int(n):,})" for why, n in reasons.items()),
            "reasons": [{"reason": why, "n": int(n)} for why, n in reasons.items()]}


def _diagnostics(result: Any, ctx: _Ctx, analysis: str) -> dict[str, Any] | None:
    """The result's ``diagnostics`` (a Result, e.g. the sampler's) as a block."""
    d = result.diagnostics if isinstance(result, Result) else None
    if d is None:
        return None
    from ..bayes import Diagnostics

    f = d.to_frame()
    block: dict[str, Any] = {"notes": _strings(d.notes), "title": d.title, "table": None,
                             "records": None,
                             "ok": d.ok if isinstance(d, Diagnostics) else None}
    f = _guard_frame(f, ctx, analysis, "diagnostics")
    block["table"], block["records"] = _plain_table(f, _Units(), every_column=True), _records(f)
    return block


def _scalar_frame(value: Any, name: str) -> pd.DataFrame | None:
    """Numbers that are not a result (a probability, a dict of figures) as a term/estimate
    table, so they can be headlined and checked like any other."""
    if isinstance(value, bool | int | float | np.integer | np.floating):
        return pd.DataFrame({"term": [name], "estimate": [value]})
    if isinstance(value, Mapping) and all(
            isinstance(v, int | float | np.integer | np.floating | str | None)
            for v in value.values()):
        return pd.DataFrame({"term": [str(k) for k in value], "estimate": list(value.values())})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.repr}
        nums = {k: v for k, v in fields.items()
                if isinstance(v, bool | int | float | np.integer | np.floating | str)}
        if nums:
            return pd.DataFrame({"term": list(nums), "estimate": [_plain(v) for v in
                                                                  nums.values()]})
    if isinstance(value, list | tuple) and value and all(
            isinstance(v, int | float | np.integer | np.floating) for v in value):
        return pd.DataFrame({"term": [f"{name}[{i}]" for i in range(len(value))],
                             "estimate": list(value)})
    return None


def _block(obj: Any, *, analysis: str, title: str, ctx: _Ctx, frame_args: Mapping[str, Any],
           plot: Mapping[str, Any] | bool, headline: Any, default_headline: bool,
           rules: Mapping[str, str], n_input: int | None, scalar_name: str = "value",
           estimator: str = "", roles: Mapping[str, Any] | None = None,
           units: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything the template shows for one result (or follow-up value)."""
    where = f"analysis {analysis!r} ({title})"
    block: dict[str, Any] = {
        "title": title, "notes": [], "assumptions": [], "limitations": [], "figure": None,
        "table": None, "records": None, "diagnostics": None, "interpretations": [],
        "headline": [], "dropped": None, "kind": type(obj).__name__, "summary_text": None,
        "detail": None, "cautions": _cautions(obj), "figure_repeat": None,
    }
    frame: pd.DataFrame | None = None
    if isinstance(obj, pd.DataFrame):
        frame = obj
    elif isinstance(obj, Result):
        _check_kwargs(obj.to_frame, frame_args, f"{where} frame")
        try:
            frame = obj.to_frame(**frame_args)
        except Exception as e:  # without its table the section has no numbers: stop
            raise StudySpecError(
                f"{where}: to_frame({', '.join(f'{k}={v!r}' for k, v in frame_args.items())}) "
                f"failed: {type(e).__name__}: {e}"
            ) from e
        block["notes"] = _strings(obj.notes)
        block["assumptions"] = _strings(obj.assumptions())
        block["limitations"] = _strings(obj.limitations())
        block["result_title"] = obj.title
    else:
        frame = _scalar_frame(obj, scalar_name)
        if frame is None:
            block["summary_text"] = str(obj)
            ctx.texts.append(block["summary_text"])
    risky = False
    if frame is not None and not isinstance(obj, Result):  # a result lists its own
        _list_withheld_rows(frame, ctx, analysis, title)
    if frame is not None:
        n_before = len(frame)
        frame = _guard_frame(frame, ctx, analysis, title, estimator)
        risky = len(frame) < n_before
        block["records"] = _records(frame)
    try:
        block["interpretations"] = _interpretations(obj)
    except Exception as e:  # labels are optional; say why they are missing
        block["interpretations"] = []
        ctx.problems.append(f"{where}: interpret() failed ({type(e).__name__}: {e})")
    bayes = _is_bayesian(obj)
    central = obj.central if isinstance(obj, Result) else None
    u = _Units(estimator=estimator, roles=dict(roles or {}), units=dict(units or {}),
               currency=ctx.currency, bayes=bayes,
               central=central or ("posterior mean" if bayes else None))
    if frame is not None:
        block["table"] = _plain_table(frame, u)
        if "estimate" in frame.columns and frame["estimate"].notna().any():
            block["detail"] = _detail_table(frame)
    block["headline"] = _headline(obj, frame, headline, default_headline, analysis, title,
                                  block["interpretations"], rules, u, block["cautions"])
    block["diagnostics"] = _diagnostics(obj, ctx, analysis)
    block["dropped"] = _dropped(obj, n_input)
    if risky and plot is not False:
        # the result's own figure would still draw the withheld steps
        plot = False
        block["notes"].append(
            f"Figure withheld: it would show steps with fewer than {ctx.min_size} at risk."
        )
        ctx.manifest.append(Suppression(analysis, f"figure of {title}",
                                        f"it shows risk sets below {ctx.min_size}",
                                        "minimum risk-set size"))
    png, texts, problem = draw(obj, plot, where, roles)
    if png is not None:
        block["figure_repeat"] = ctx.figures.first(png, title)
        block["figure"] = None if block["figure_repeat"] else png
    ctx.texts.extend(texts)
    if problem:
        block["notes"].append(problem)
        ctx.problems.append(f"{where}: {problem}")
    return block


def _method_html(run: AnalysisRun) -> tuple[str | None, str]:
    """(template name, fallback text): a template under templates/methods/ wins over the
    spec's ``method`` text, which wins over the estimator's docstring summary."""
    name = f"methods/{run.spec.estimator}.html"
    if (_TEMPLATES / name).is_file() and not run.spec.method:
        return name, ""
    if run.spec.method:
        return None, run.spec.method
    doc = inspect.getdoc(run.function) or ""
    para = doc.split("\n\n")[0].replace("\n", " ").strip()
    return None, para


def _versions() -> dict[str, str]:
    import importlib.metadata as md
    import sys

    out = {"coachstats": __version__, "python": platform.python_version()}
    for d in _DEPS:
        if d in sys.modules or d in ("numpy", "pandas", "scipy"):
            try:
                out[d] = md.version(d)
            except md.PackageNotFoundError:  # pragma: no cover
                pass
    return out


# --------------------------------------------------------------------------- public
def build_report(run: StudyRun, *, command: str | None = None, json_name: str | None = None
                 ) -> tuple[str, dict[str, Any]]:
    """Render ``run`` to (HTML text, JSON-ready dict), applying the privacy checks.

    Raises :class:`~coachstats.report.privacy.PrivacyError` if an identifier from the input
    data would appear in the output.

    Parameters
    ----------
    run : StudyRun
        A run study.
    command : str, optional
        The command that reproduces the report, printed in it (default: the ``coachstats
        report`` call for the spec).
    json_name : str, optional
        File name of the JSON twin, linked from the HTML.

    Returns
    -------
    tuple of (str, dict)
        The HTML text and the JSON-ready dict of its numbers.

    Examples
    --------
    >>> from coachstats.report import build_report, find_studies, load_study
    >>> from coachstats.report.runner import run_study
    >>> path = [p for p in find_studies() if p.parent.name == "preventable-turnover"][0]
    >>> html, payload = build_report(run_study(load_study(path), quick=True))
    >>> html.startswith("<!DOCTYPE html>"), payload["study"]["seed"]
    (True, 42)
    """
    study = run.study
    id_cols = run.person_columns()
    ctx = _Ctx(study.min_group_size, id_cols, study.currency)
    ctx.manifest.extend(run.manifest)
    sections = []
    for a in run.analyses:
        title = a.spec.title or (a.result.title if isinstance(a.result, Result) else a.spec.id)
        roles = {k: v for k, v in a.args.items() if isinstance(v, str)}
        main = _block(a.result, analysis=a.spec.id, title=title, ctx=ctx, frame_args=a.spec.frame,
                      plot=a.spec.plot, headline=a.spec.headline, default_headline=True,
                      rules=a.spec.rules, n_input=a.n_input, estimator=a.spec.estimator,
                      roles=roles, units=a.spec.units)
        then_units = [t.units for t in a.spec.then]
        follow = [
            {**_block(f.value, analysis=a.spec.id, title=f.title, ctx=ctx,
                      frame_args=f.frame_args, plot=f.plot, headline=f.headline,
                      default_headline=False, rules=f.rules, n_input=a.n_input,
                      scalar_name=f.method, estimator=f"{a.spec.estimator}.{f.method}",
                      roles=roles,
                      units={**a.spec.units,
                             **(then_units[i] if i < len(then_units) else {})}),
             "method": f.method, "args": _plain(f.args)}
            for i, f in enumerate(a.followups)
        ]
        tmpl, text = _method_html(a)
        shown_args = {k: v for k, v in a.args.items() if not k.startswith("_")}
        sections.append({
            "warnings": list(a.warnings),
            "id": a.spec.id, "title": title, "estimator": a.spec.estimator,
            "data": a.spec.data, "source": a.spec.source, "args": _plain(shown_args),
            "method_template": tmpl, "method_text": text, "main": main, "followups": follow,
        })
    summary = [h for s in sections for b in (s["main"], *s["followups"]) for h in b["headline"]]
    headlined = {(h["analysis"], c["code"]) for h in summary for c in h["cautions"]}
    cautions = [
        {"analysis": s["id"], "title": b["title"], **c}
        for s in sections for b in (s["main"], *s["followups"]) for c in b["cautions"]
    ]
    other_cautions = [c for c in cautions if (c["analysis"], c["code"]) not in headlined]
    warnings_ = [
        f"{s['title']}: {' '.join(s['main']['diagnostics']['notes'])}"
        for s in sections
        if s["main"]["diagnostics"] and s["main"]["diagnostics"].get("ok") is False
    ]
    for s in sections:  # a ConvergenceWarning repeats diagnostics already flagged above
        flagged = s["main"]["diagnostics"] and s["main"]["diagnostics"].get("ok") is False
        warnings_ += [f"{s['title']}: {w}" for w in s["warnings"]
                      if not (flagged and w.startswith("ConvergenceWarning"))]
    caveats = list(dict.fromkeys(
        c for s in sections if s["main"]["limitations"]
        if (c := _plain_caveat(s["main"]["limitations"][0]))))
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = _versions()
    used_rules = sorted({lab["rule"] for h in summary for lab in h["labels"] if lab["rule"]})
    provenance = {
        "data": [d.provenance for d in run.data.values()],
        "dropped": [
            {"analysis": s["id"], **s["main"]["dropped"]} for s in sections
            if s["main"]["dropped"] is not None
        ],
        "versions": versions, "seed": run.seed, "quick": run.quick,
        "spec": study.path.name, "study": study.name, "generated": now,
        "json": json_name,
        "command": command or f"coachstats report {study.path} --out <file>.html",
    }
    id_values = run.id_values()
    payload = {
        "study": {"title": study.title, "claim": study.claim, "name": study.name,
                  "seed": run.seed, "description": study.description, "source": study.source},
        "summary": summary,
        "cautions": cautions,
        "analyses": [
            {
                "id": s["id"], "title": s["title"], "estimator": s["estimator"],
                "data": s["data"], "from": s["source"], "args": s["args"],
                "warnings": s["warnings"],
                **{k: s["main"][k] for k in ("records", "notes", "assumptions", "limitations",
                                              "interpretations", "dropped", "cautions")},
                "table": s["main"]["records"],
                "diagnostics": (s["main"]["diagnostics"] or {}).get("records"),
                "followups": [
                    {"method": f["method"], "args": f["args"], "title": f["title"],
                     "table": f["records"], "notes": f["notes"],
                     "assumptions": f["assumptions"], "limitations": f["limitations"],
                     "interpretations": f["interpretations"], "text": f["summary_text"],
                     "cautions": f["cautions"],
                     "diagnostics": (f["diagnostics"] or {}).get("records")}
                    for f in s["followups"]
                ],
            }
            for s in sections
        ],
        "provenance": provenance,
        "privacy": {
            "min_group_size": study.min_group_size,
            "identifier_columns": {k: list(v) for k, v in run.id_columns.items()},
            "manifest": [m.as_dict() for m in ctx.manifest],
            **run.privacy_summary(),
        },
        "problems": ctx.problems,
    }
    for a in payload["analyses"]:
        a.pop("records")
    payload = _plain(payload)
    # scan before rendering the final HTML so the scan result can be reported in it
    env = _env()
    template = env.get_template("report.html")
    context = {
        "study": study, "sections": sections, "summary": summary, "warnings": warnings_,
        "caveats": caveats, "other_cautions": other_cautions,
        "likelihood": LIKELIHOOD, "likelihood_citation": LIKELIHOOD_CITATION,
        "currency": ctx.currency,
        "provenance": provenance, "manifest": ctx.manifest, "payload": payload,
        "rules": {r: RULES[r] for r in used_rules if r in RULES}, "quick": run.quick,
        "min_size": study.min_group_size, "id_columns": run.id_columns, "problems": ctx.problems,
        "scan": {"n_values": len(_scannable(id_values)[0]), "n_skipped": 0},
    }
    html = template.render(**context)
    js = json.dumps(payload, indent=2, allow_nan=False)
    texts = [_strip_images(html), js, *ctx.texts]
    texts += [re.sub(r"(?<=\d),(?=\d{3})", "", t) for t in texts[:1]]
    found, skipped = scan_for_identifiers(texts, id_values)
    if found:
        shown = ", ".join(repr(f) for f in found[:5])
        raise PrivacyError(
            f"{len(found)} identifier value(s) from the input data (e.g. {shown}) would appear "
            "in the report; it was not written. Remove identifiers from result tables, "
            "figures and labels (aggregate first). Identifier columns: "
            f"{ {k: list(v) for k, v in run.id_columns.items()} }; if a column there does not "
            "identify people, set [privacy] id_columns in the study spec to the ones that do."
        )
    payload["privacy"]["scan"] = {
        "identifier_values": context["scan"]["n_values"],
        "too_short_to_scan": skipped, "found": 0,
    }
    context["scan"]["n_skipped"] = skipped
    html = template.render(**context)
    return html, payload


def _strip_images(html: str) -> str:
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "data:image", html)


def write_report(run: StudyRun, out: str | Path, *, command: str | None = None
                 ) -> tuple[Path, Path]:
    """Write ``out`` (HTML) and the same name with ``.json``; return both paths.

    Parameters
    ----------
    run : StudyRun
        A run study.
    out : str or Path
        HTML file to write.
    command : str, optional
        The command that reproduces the report, printed in it.

    Returns
    -------
    tuple of (Path, Path)
        The HTML report and the JSON of its numbers.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from coachstats.report import find_studies, load_study, write_report
    >>> from coachstats.report.runner import run_study
    >>> path = [p for p in find_studies() if p.parent.name == "preventable-turnover"][0]
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "turnover.html"
    >>> html, js = write_report(run_study(load_study(path), quick=True), out)
    >>> js.name
    'turnover.json'
    """
    out = Path(out)
    js = out.with_suffix(".json")
    html, payload = build_report(run, command=command, json_name=js.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    js.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return out, js

