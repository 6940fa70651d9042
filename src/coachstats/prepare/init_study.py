"""``coachstats init FILE --kind KIND --out DIR``: a commented study spec for the user's file.

The column mapping is guessed from names and types and shown for confirmation; the spec
lists the prepare steps the file needs, the analyses of its kind and the person column, and
a README stub says what to fill in. Nothing from a bundled study is copied.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._context import _toml
from ._dates import parse_dates
from ._read import read

__all__ = ["KINDS", "init_study"]

KINDS = ("did", "roi", "retention", "meta", "variance", "pre_post")

_ID = re.compile(r"(ID|Id|_id|_ID|[ _]id|[ _]ID)$|^id$|^(name|e-?mail)$|number$", re.I)


def _id_columns(df: pd.DataFrame) -> list[str]:
    from ..privacy import guess_id_columns

    found = set(guess_id_columns(df)) | {str(c) for c in df.columns if _ID.search(str(c))}
    return [str(c) for c in df.columns if str(c) in found]


@dataclass
class _Guess:
    roles: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)


def _find(cols: Sequence[str], *patterns: str, exclude: Sequence[str] = ()) -> str | None:
    for p in patterns:
        for c in cols:
            if c not in exclude and re.search(p, c, re.I):
                return c
    return None


def _date_columns(df: pd.DataFrame) -> dict[str, bool | None]:
    """Text columns that parse as dates -> the dayfirst setting that reads them."""
    out: dict[str, bool | None] = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = None
            continue
        if pd.api.types.is_numeric_dtype(s):
            continue
        vals = s.dropna().astype(str).str.strip()
        vals = vals[vals != ""]
        if vals.empty or not vals.str.contains(r"\d").all():
            continue
        ok = {}
        for first in (True, False):
            try:
                parse_dates(vals, dayfirst=first)
                ok[first] = True
            except ValueError:
                ok[first] = False
        if ok[True] or ok[False]:
            iso = vals.str.match(r"^\d{4}-\d{2}-\d{2}").all()
            out[c] = None if iso else (True if ok[True] else False)
    return out


def _items(df: pd.DataFrame, exclude: Sequence[str]) -> list[str]:
    """Numeric columns that look like Likert items (whole numbers in a short range)."""
    out = []
    for c in df.columns:
        if c in exclude or not pd.api.types.is_numeric_dtype(df[c]):
            continue
        v = df[c].dropna()
        if len(v) and (v == v.round()).all() and v.min() >= 0 and v.max() <= 10 \
                and v.nunique() >= 3:
            out.append(c)
    return out


def _waves_calendar(dates: pd.Series, gap_days: int = 30) -> list[str]:
    d = dates.dropna().sort_values().drop_duplicates()
    starts = [d.iloc[0]]
    for prev, cur in zip(d.iloc[:-1], d.iloc[1:], strict=True):
        if (cur - prev).days > gap_days:
            starts.append(cur)
    return [s.strftime("%Y-%m-%d") for s in starts]


def _scale_step(df: pd.DataFrame, items: list[str], g: _Guess, name: str) -> dict[str, Any]:
    from .scale import scale

    lo, hi = int(df[items].min().min()), int(df[items].max().max())
    step: dict[str, Any] = {"step": "scale", "items": items, "scale_range": [lo, hi],
                            "name": name}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = scale(df, items, scale_range=(lo, hi))
        neg = res.items.loc[res.items["item_rest"] < 0, "item"].tolist()
    except (ValueError, TypeError):
        neg = []
    if neg:
        step["reverse"] = neg
        g.notes.append(f"{', '.join(neg)} correlate(s) negatively with the other items: "
                       "listed as reverse-worded (check the questionnaire)")
    g.steps.append(step)
    return step


def _guess(df: pd.DataFrame, kind: str) -> _Guess:
    g = _Guess()
    cols = [str(c) for c in df.columns]
    dates = _date_columns(df)
    dayfirst = next((v for v in dates.values() if v is not None), None)
    person = _find(cols, r"employee.?id", r"participant.?id", r"person", r"^emp", r"staff",
                   r"rater.?id")
    manager = _find(cols, r"manager", r"supervisor", r"leader.?id")
    team = _find(cols, r"team", r"unit", r"department", exclude=[manager or ""])
    g.roles["person"] = person
    if kind in ("did", "variance"):
        g.roles.update(manager=manager, team=team)
        items = _items(df, _id_columns(df))
        g.roles["items"] = items
        if items:
            _scale_step(df, items, g, "engagement" if kind == "did" else "score")
        if kind == "did":
            start = _find([c for c in dates], r"coach", r"start", r"treat", r"program")
            survey = _find([c for c in dates if c != start], r"survey", r"response", r"date")
            g.roles.update(survey_date=survey, coaching_start=start)
            if survey:
                cal = _waves_calendar(parse_dates(df[survey], dayfirst=dates[survey]))
                g.roles["calendar"] = cal
                g.notes.append(f"wave calendar guessed from {survey!r}: a gap of more than 30 "
                               "days starts a new wave; replace it with your survey's opening "
                               "dates")
                g.steps.insert(0, {"step": "waves", "date": survey, "calendar": cal,
                                   **({"dayfirst": dayfirst} if dayfirst is not None else {}),
                                   **({"person": person} if person else {})})
                if start:
                    g.steps.insert(1, {"step": "cohorts", "start_date": start, "calendar": cal,
                                       "unit": manager or team,
                                       **({"person": person, "time": "wave"}
                                          if person else {}),
                                       **({"dayfirst": dayfirst}
                                          if dayfirst is not None else {})})
    elif kind == "retention":
        origin = _find(list(dates), r"hire", r"join", r"start", r"entry")
        exit_ = _find(list(dates), r"terminat", r"exit", r"leav", r"separat", r"end")
        prom = _find(list(dates), r"promot")
        coach = _find(list(dates), r"coach", r"mentor", r"program")
        reason = _find(cols, r"reason")
        ends = {k: v for k, v in (("exit", exit_), ("promotion", prom)) if v}
        g.roles.update(origin=origin, end_events=ends, reason=reason, coached=coach,
                       manager=manager)
        last = max((parse_dates(df[c], dayfirst=dates[c]).max() for c in dates),
                   default=pd.Timestamp.today())
        step: dict[str, Any] = {"step": "durations", "origin": origin, "end_events": ends,
                                "censor_at": last.strftime("%Y-%m-%d")}
        g.notes.append(f"censor_at = {last:%Y-%m-%d} is the latest date in the file: replace "
                       "it with the date the data were extracted")
        if reason and "exit" in ends:
            codes = {}
            for v in sorted(df[reason].dropna().astype(str).unique()):
                if not v.strip():
                    continue
                codes[v] = ("voluntary_exit" if re.search(r"resign|volunt|quit|left", v, re.I)
                            else "involuntary_exit" if re.search(
                                r"dismiss|redundan|layoff|involunt|terminat|fired", v, re.I)
                            else "other_exit")
            step["reasons"] = {"exit": {"column": reason, "codes": codes}}
            g.notes.append(f"reason codes guessed from the words in {reason!r}: check them")
        if dayfirst is not None:
            step["dayfirst"] = dayfirst
        if person:
            step["person"] = person
        step["duration"] = "months"
        g.steps.append(step)
        if coach:
            g.steps.append({"step": "flag", "column": coach, "name": "coached"})
        g.roles["event_of_interest"] = ("voluntary_exit" if "reasons" in step
                                        and "voluntary_exit" in step["reasons"]["exit"]["codes"]
                                        .values() else "exit")
    elif kind == "roi":
        benefit = _find(cols, r"benefit", r"value", r"gain", r"saving")
        pct = [c for c in cols if re.search(r"attribut|confiden|%", c, re.I)
               and pd.api.types.is_numeric_dtype(df[c])]
        attribution = _find(pct, r"attribut")
        confidence = _find(pct, r"confiden")
        costs = [c for c in cols if re.search(r"cost|fee|time|travel|expense", c, re.I)
                 and pd.api.types.is_numeric_dtype(df[c]) and c != benefit]
        g.roles.update(benefit=benefit, costs=costs, attribution=attribution,
                       confidence=confidence)
        g.roles["blank_costs"] = len(costs) > 1 and bool(df[costs].isna().any().any())
        as_pct = [c for c in (attribution, confidence) if c and df[c].max() > 1]
        if as_pct:
            g.steps.append({"step": "percent", "columns": as_pct})
        if len(costs) > 1 and bool(df[costs].isna().any().any()):
            g.notes.append("blank cost cells are read as zero (blank_cost_as_zero = true): "
                           "check that a blank means no cost")
    elif kind == "pre_post":
        leader = _find(cols, r"leader", r"ratee", r"coachee", r"participant", r"employee")
        rater = _find(cols, r"rater.?id", r"respondent", exclude=[leader or ""])
        group = _find(cols, r"group", r"relationship", r"role", r"rater.?type")
        time = _find(cols, r"wave", r"time", r"occasion", r"phase", r"round")
        vals = [str(v) for v in df[time].dropna().unique()] if time else []
        pre = next((v for v in vals if re.search(r"pre|before|baseline|^t?1$", v, re.I)),
                   vals[0] if vals else "pre")
        post = next((v for v in vals if v != pre and re.search(r"post|after|follow|^t?2$", v,
                                                                 re.I)),
                    vals[-1] if vals else "post")
        items = _items(df, _id_columns(df))
        g.roles.update(leader=leader, rater=rater, rater_group=group, time=time, pre=pre,
                       post=post, items=items)
        g.roles["person"] = leader
        if items:
            _scale_step(df, items, g, "rating")
    elif kind == "meta":
        g.roles.update(r=_find(cols, r"^r$", r"corr", r"^r_"),
                       n=_find(cols, r"^n$", r"sample", r"^n_"),
                       study=_find(cols, r"study", r"author", r"source"))
        g.roles["person"] = None
    return g


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()


def _analyses(kind: str, r: dict[str, Any]) -> list[dict[str, Any]]:
    a: list[dict[str, Any]] = []
    if kind in ("did", "variance", "pre_post") and r.get("items"):
        a.append({"id": "reliability", "title": "Scale reliability",
                  "estimator": "prepare.scale",
                  "args": {"items": r["items"],
                           **({"reverse": r["reverse"]} if r.get("reverse") else {}),
                           "scale_range": r["scale_range"]},
                  "headline": False})
    if kind == "did":
        a.append({"id": "staggered",
                  "title": "Callaway & Sant'Anna: effect of coaching (never-coached controls)",
                  "estimator": "did.staggered",
                  "args": {"outcome": "engagement", "unit": r.get("team") or r.get("manager"),
                           "time": "wave", "cohort": "cohort",
                           **({"cluster": r["manager"]} if r.get("manager") else {}),
                           "panel": False, "aggregate": True, "n_boot": 999,
                           # people who joined a team after it was coached (prepare.cohorts)
                           **({"joined": "joined_after_treatment"}
                              if r.get("person") and r.get("coaching_start") else {})},
                  "quick_args": {"n_boot": 199}})
    elif kind == "variance":
        levels = [c for c in (r.get("manager"), r.get("team")) if c]
        a.append({"id": "variance", "title": "Where does the variance lie?",
                  "estimator": "variance.decompose",
                  "args": {"outcome": "score", "levels": levels, "n_boot": 1000},
                  "quick_args": {"n_boot": 100}})
    elif kind == "retention":
        ev = r["event_of_interest"]
        group = {"group": "coached"} if r.get("coached") else {}
        a.append({"id": "km", "title": f"Kaplan-Meier: time to {ev}",
                  "estimator": "survival.kaplan_meier",
                  "args": {"duration": "months", "event": "event", "event_of_interest": ev,
                           **group, "times": [12, 24]}, "headline": False})
        if r.get("coached"):
            a.append({"id": "cox", "title": f"Hazard ratio of {ev}, coached vs not",
                      "estimator": "survival.cox",
                      "args": {"duration": "months", "event": "event",
                               "event_of_interest": ev, "covariates": ["coached"],
                               **({"cluster": r["manager"]} if r.get("manager") else {})},
                      "frame": {"scale": "hr"}})
    elif kind == "roi":
        costs = r.get("costs") or ["cost"]
        # several cost columns: summed by roi.phillips, each shown in its table
        args = {"benefit": r.get("benefit"), "cost": costs if len(costs) > 1 else costs[0]}
        if len(costs) > 1 and r.get("blank_costs"):
            args["blank_cost_as_zero"] = True
        for k in ("attribution", "confidence"):
            if r.get(k):
                args[k] = r[k]
        a.append({"id": "phillips", "title": "Phillips ROI", "estimator": "roi.phillips",
                  "args": args})
    elif kind == "pre_post":
        if r.get("rater_group"):
            a.append({"id": "by_group", "title": "Standardized change by rater group",
                      "estimator": "effects.rater_agreement",
                      "args": {"leader": r.get("leader"), "rater_group": r["rater_group"],
                               "rating": "rating", "time": r.get("time"),
                               **({"rater": r["rater"]} if r.get("rater") else {}),
                               "pre": r["pre"], "post": r["post"], "kind": "av"}})
        else:
            a.append({"id": "change", "title": "Repeated-measures d, pre to post",
                      "estimator": "effects.repeated_measures_d", "data": "pairs",
                      "args": {"pre": "rating_pre", "post": "rating_post", "kind": "av"}})
    elif kind == "meta":
        a.append({"id": "random_effects", "title": "Random-effects meta-analysis",
                  "estimator": "meta.correlations",
                  "args": {"r": r.get("r"), "n": r.get("n"), "method": "REML",
                           "test": "knha"}})
    return a


def _kv(d: dict[str, Any]) -> str:
    return _toml({k: v for k, v in d.items() if v is not None})


def init_study(
    file: str | Path, kind: str, out: str | Path, *, sheet: str | None = None,
    force: bool = False,
) -> tuple[Path, str]:
    """Write ``study.toml`` and ``README.md`` for ``file`` into ``out``.

    Parameters
    ----------
    file : str or Path
        The user's export (.csv, .tsv, .txt, .xlsx).
    kind : {"did", "roi", "retention", "meta", "variance", "pre_post"}
        What the study estimates.
    out : str or Path
        Folder to write (created; existing files are kept unless ``force``).
    sheet : str, optional
        Worksheet of an .xlsx file.
    force : bool
        Overwrite an existing study.toml.

    Returns
    -------
    (Path, str)
        The spec written and the guessed mapping as text (to show for confirmation).

    Examples
    --------
    >>> init_study("data/raw-examples/roi_participants.csv", "roi", "my-roi")  # doctest: +SKIP
    """
    kind = str(kind).lower()
    if kind not in KINDS:
        raise ValueError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}.")
    src = Path(file)
    df = read(src, sheet=sheet)
    outdir = Path(out)
    spec = outdir / "study.toml"
    if spec.exists() and not force:
        raise FileExistsError(f"{spec} exists; choose another --out folder or pass --force.")
    g = _guess(df, kind)
    r = g.roles
    for st in g.steps:
        if st["step"] == "scale":
            r["scale_range"] = st["scale_range"]
            r["reverse"] = st.get("reverse")
    missing = [k for k, v in r.items() if v in (None, [], {}) and k not in
               ("reason", "coached", "reverse", "study", "rater", "rater_group", "team",
                "manager", "person", "attribution", "confidence", "blank_costs")]
    mapping = "\n".join(f"  {k:>16}: {v}" for k, v in r.items() if k not in
                        ("calendar", "scale_range", "reverse", "event_of_interest",
                         "blank_costs"))
    lines = [
        f"# Study spec for {src.name}, written by `coachstats init --kind {kind}`.",
        "# Every column name below was GUESSED from the file's names and types: check each",
        "# one (names must match the file exactly), then run",
        f"#   coachstats report {spec.as_posix()} --out report.html",
        "# Guessed mapping:",
        *[f"# {ln.strip()}" for ln in mapping.splitlines()],
        *[f"# CHECK: {n}." for n in g.notes],
        *([f"# NOT FOUND: {', '.join(missing)}: fill these in before running."]
          if missing else []),
        "",
        "[study]",
        f"title = {_toml('TODO: the question this study answers, in your words')}",
        f"claim = {_toml('TODO: the claim being tested (who said it, about whom)')}",
        f"description = {_toml(f'TODO: the programme, the people and the data ({src.name}).')}",
        "seed = 1",
        "",
        "[privacy]",
        "min_group_size = 5       # smallest group reported (never below 3)",
        f"id_columns = {_toml(_id_columns(df))}"
        "   # identifiers: never shown in the report",
        "",
        "[data.main]",
        f"file = {_toml(_rel(src, outdir))}",
        *([f"read = {_kv({'sheet': sheet})}"] if sheet else []),
        f"description = {_toml(f'{src.name}: {len(df)} rows.')}",
    ]
    if g.steps:
        lines.append("prepare = [")
        lines += [f"  {_kv(st)}," for st in g.steps]
        lines.append("]")
    if kind in ("did", "variance") and r.get("items"):
        lines.append(f"dropna = {_toml(['engagement' if kind == 'did' else 'score'])}"
                     "   # rows without a score (too few items answered) are left out")
    if kind == "pre_post" and not r.get("rater_group"):
        pair = {"step": "pairs", "person": r.get("leader"), "time": r.get("time"),
                "outcome": "rating", "pre": r["pre"], "post": r["post"]}
        lines += ["", "[data.pairs]", f"file = {_toml(_rel(src, outdir))}",
                  *([f"read = {_kv({'sheet': sheet})}"] if sheet else []),
                  "prepare = [", *[f"  {_kv(st)}," for st in [*g.steps, pair]], "]"]
    for a in _analyses(kind, r):
        lines += ["", "[[analysis]]"]
        data = a.pop("data", "main")
        for k in ("id", "title", "estimator"):
            lines.append(f"{k} = {_toml(a.pop(k))}")
        lines.append(f"data = {_toml(data)}")
        for k, v in a.items():
            lines.append(f"{k} = {_kv(v) if isinstance(v, dict) else _toml(v)}")
    outdir.mkdir(parents=True, exist_ok=True)
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    readme = outdir / "README.md"
    if not readme.exists() or force:
        readme.write_text(
            f"# TODO: title\n\n**Claim.** TODO: what is claimed, by whom.\n\n**Data.** "
            f"`{src.name}` ({len(df)} rows). Person column: "
            f"`{r.get('person') or 'none found'}`.\n\n**What the report shows.** Run "
            f"`coachstats report {spec.as_posix()} --out report.html` and copy the headline "
            "figures here.\n\n**Limits.** TODO: what a reader cannot conclude.\n",
            encoding="utf-8")
    shown = (f"{src.name}: {len(df)} rows, kind {kind}. Guessed columns (check them in "
             f"{spec}):\n{mapping}" + "".join(f"\n  CHECK: {n}" for n in g.notes)
             + (f"\n  NOT FOUND: {', '.join(missing)}" if missing else ""))
    return spec, shown
