"""Evidence reports: every study renders; numbers in HTML and JSON equal the results'; the
HTML is well-formed, self-contained and renders in a headless browser; spec errors are clear."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape as html_escape

from coachstats.bayes import Diagnostics
from coachstats.interpret import label
from coachstats.report import (
    StudySpecError,
    build_report,
    find_studies,
    load_study,
    render,
    render_study,
    run_study,
)
from coachstats.report.render import MAX_HTML_ROWS
from coachstats.results import Result, format_frame, new_axes, tidy_frame

ROOT = Path(__file__).resolve().parents[1]
STUDIES = find_studies(ROOT / "studies")
RETENTION = ROOT / "data" / "synthetic" / "retention.csv"

_VOID = {"meta", "link", "img", "br", "hr", "input", "col", "area", "base", "source", "wbr"}


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(html: str) -> _Balance:
    """Well-formed (balanced tags), self-contained (no network references)."""
    assert html.startswith("<!DOCTYPE html>")
    p = _Balance()
    p.feed(html)
    p.close()
    assert not p.errors, p.errors[:5]
    assert not p.stack, f"unclosed: {p.stack}"
    # base64 image data may contain the letters "http" by chance
    assert "http" not in re.sub(r"base64,[A-Za-z0-9+/=]+", "", html).lower()
    for tag, attrs in p.tags:
        for a in ("src", "href"):
            v = attrs.get(a)
            if v is not None:
                assert v.startswith(("#", "data:image/png;base64,")), (tag, v[:40])
        assert tag not in ("script", "iframe", "object", "link")
    return p


def frame_of(obj, frame_args):
    if isinstance(obj, pd.DataFrame):
        return obj
    if hasattr(obj, "to_frame"):
        return obj.to_frame(**frame_args)
    return None


def same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None
    if isinstance(a, bool | np.bool_):
        return b == bool(a)
    if isinstance(a, int | float | np.integer | np.floating):
        return b is not None and float(a) == float(b)
    return b == a or b == str(a)


def check_numbers(run, html: str, payload: dict) -> int:
    """Every table value in the JSON equals the result's own number, and every shown cell of
    the HTML is that number as formatted for display. Returns how many numbers were checked."""
    checked = 0
    text = " ".join(check_html(html).text)
    for a, out in zip(run.analyses, payload["analyses"], strict=True):
        pairs = [(a.result, a.spec.frame, out["table"])]
        pairs += [(f.value, f.frame_args, o["table"])
                  for f, o in zip(a.followups, out["followups"], strict=True)]
        for obj, fargs, records in pairs:
            df = frame_of(obj, fargs)
            if df is None or records is None:
                continue
            df = df.reset_index(drop=True)
            if "n_risk" in df.columns:  # rows below the risk-set threshold are withheld
                n = pd.to_numeric(df["n_risk"], errors="coerce")
                df = df.loc[~((n > 0) & (n < run.study.min_group_size))].reset_index(drop=True)
            assert len(records) == len(df)
            for i, rec in enumerate(records):
                for c in df.columns:
                    assert same(df.loc[i, c], rec[str(c)]), (a.spec.id, i, c)
                    checked += 1
            shown = format_frame(df.head(MAX_HTML_ROWS).select_dtypes("number"))
            for c in ("estimate", "ci_low", "ci_high"):
                if c in shown:
                    for v in shown[c]:
                        assert v == "" or v in text, (a.spec.id, c, v)
    by_id = {a["id"]: a for a in payload["analyses"]}
    for h in payload["summary"]:
        assert h["verdict"]["value"] in text, h["verdict"]
        a = by_id[h["analysis"]]
        rows = [r for t in [a["table"], *(f["table"] for f in a["followups"])] if t
                for r in t if str(r.get("term")) == h["term"]]
        assert any(r["estimate"] == h["estimate"] and r.get("ci_low") == h["ci_low"]
                   for r in rows), h
    return checked


# --------------------------------------------------------------------------- every study
@pytest.mark.parametrize("spec", STUDIES, ids=[p.parent.name for p in STUDIES])
def test_every_study_renders_with_equal_numbers(spec, tmp_path):
    run = run_study(load_study(spec), quick=True)
    html, payload = build_report(run)
    assert check_numbers(run, html, payload) > 0
    json.dumps(payload, allow_nan=False)
    assert payload["privacy"]["scan"]["found"] == 0
    assert html_escape(payload["study"]["title"]) in html
    assert not payload["problems"], payload["problems"]
    for h in payload["summary"]:  # a verdict per headline; money in the study's currency
        assert h["verdict"]["case"] and "cautions" in h
        if h["kind"] == "currency":
            assert run.study.currency and h["verdict"]["value"].startswith(run.study.currency)


# --------------------------------------------------------------------------- own study
STUDY = """
[study]
title = "Do coached employees stay longer?"
claim = "Coaching keeps people: synthetic retention data"
seed = 42

[data.people]
file = "{file}"
derive = {{ exit = "event == 'exit'" }}

[[analysis]]
id = "km"
estimator = "survival.kaplan_meier"
data = "people"
args = {{ duration = "months", event = "exit", group = "coached", times = [6, 12, 24] }}
headline = ["S(12) (coached=1)"]

[[analysis]]
id = "means"
estimator = "report.group_means"
data = "people"
args = {{ value = "months", groups = ["manager"] }}
"""


@pytest.fixture
def study(tmp_path):
    if not RETENTION.exists():
        pytest.skip("bundled retention data not present")
    p = tmp_path / "study.toml"
    p.write_text(STUDY.format(file=RETENTION.as_posix()))
    return p


def test_own_study_numbers_provenance_and_privacy(study, tmp_path):
    run = run_study(load_study(study))
    html, payload = build_report(run, command="coachstats report study.toml --out r.html")
    assert check_numbers(run, html, payload) > 50
    km = run.analyses[0]
    assert km.args["min_group_size"] == 5
    assert (km.result.to_frame()["n_risk"].dropna() >= 5).all()
    prov = payload["provenance"]
    assert prov["data"][0]["file"] == "retention.csv"
    assert prov["data"][0]["rows"] == len(pd.read_csv(RETENTION))
    assert prov["data"][0]["derived"] == {"exit": "event == 'exit'"}
    assert prov["seed"] == 42 and prov["versions"]["coachstats"]
    assert "retention.csv" in html and "seed <code>42</code>" in html
    h = payload["summary"][0]
    row = km.result.to_frame().set_index("term").loc["S(12) (coached=1)"]
    assert h["estimate"] == row["estimate"] and h["ci_low"] == row["ci_low"]
    assert "95% confidence interval" in html
    rules = [m["rule"] for m in payload["privacy"]["manifest"]]
    assert "minimum risk-set size" in rules and "minimum group size" in rules
    # employee numbers are short integers: counted as not scannable, and said so
    assert payload["privacy"]["scan"]["too_short_to_scan"] > 0


def test_study_run_shows_its_report_in_a_notebook(study):
    run = run_study(load_study(study))
    frame = run._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "Kaplan-Meier" in frame


def test_render_writes_html_and_json(study, tmp_path):
    html, js = render_study(study, tmp_path / "out" / "report.html")
    assert html.exists() and js == html.with_suffix(".json")
    payload = json.loads(js.read_text())
    assert {"study", "summary", "analyses", "provenance", "privacy"} <= set(payload)
    assert html.read_text().count("data:image/png;base64,") == 2


def test_data_override_points_spec_at_other_file(study, tmp_path):
    df = pd.read_csv(RETENTION).sample(400, random_state=1)
    f = tmp_path / "mine.csv"
    df.to_csv(f, index=False)
    run = run_study(load_study(study, data={"people": f}))
    assert run.data["people"].provenance["rows"] == 400
    assert run.data["people"].provenance["supplied_on_command_line"]
    assert run.analyses[0].result.n == 400


# --------------------------------------------------------------------------- renderer units
@dataclass(frozen=True)
class Effect(Result):
    """A minimal result: one standardized mean difference with a labelled rule."""

    g: float
    se: float
    n_dropped: int = 0
    diagnostics: Diagnostics | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        return "Effect of coaching on 360 ratings"

    @property
    def notes(self) -> list[str]:
        return ["Hedges' g with a normal-approximation interval."]

    def assumptions(self) -> list[str]:
        return ["Ratings before and after use the same scale."]

    def limitations(self) -> list[str]:
        return ["No control group <b>here</b>."]

    def to_frame(self) -> pd.DataFrame:
        return tidy_frame([{"term": "g", "estimate": self.g, "std_error": self.se,
                            "ci_low": self.g - 1.96 * self.se, "ci_high": self.g + 1.96 * self.se,
                            "ci_level": 0.95}])

    def interpret(self):
        return [label(self.g, "wwc_g", term="g"), label(self.g, "cohen1988_d", term="g")]

    def plot(self, ax=None):
        ax = new_axes(ax)
        ax.errorbar([self.g], [0], xerr=[1.96 * self.se], fmt="o")
        return ax


def test_summary_labels_name_their_rule_and_wwc_index(tmp_path):
    html_path, js = render([Effect(0.31, 0.08, n_dropped=2)], tmp_path / "r.html",
                           title="Effect report")
    html = html_path.read_text()
    check_html(html)
    assert "substantively important, following What Works Clearinghouse" in html
    assert "small, following Cohen (1988)" in html
    assert "WWC improvement index +12.2 percentile points" in html
    assert "&lt;b&gt;here&lt;/b&gt;" in html  # autoescaped
    payload = json.loads(js.read_text())
    labs = payload["summary"][0]["labels"]
    assert labs[0]["rule"] == "wwc_g" and labs[0]["improvement_index"] == pytest.approx(12.17,
                                                                                       abs=0.01)
    assert payload["analyses"][0]["dropped"]["n_dropped"] == 2


def test_poor_sampler_diagnostics_are_flagged_in_the_summary(tmp_path):
    d = Diagnostics(max_rhat=1.08, min_ess_bulk=90.0, min_ess_tail=80.0, n_divergent=3,
                    chains=2, draws=200, problems=("R-hat up to 1.080 exceeds 1.01.",))
    html_path, js = render([Effect(0.1, 0.05, diagnostics=d)], tmp_path / "r.html")
    html = html_path.read_text()
    assert "Check before relying on these numbers" in html and "R-hat up to 1.080" in html
    assert "credible interval" in html
    payload = json.loads(js.read_text())
    diag = {r["term"]: r["estimate"] for r in payload["analyses"][0]["diagnostics"]}
    assert diag["max_rhat"] == 1.08 and diag["n_divergent"] == 3


@dataclass(frozen=True)
class Curve(Result):
    steps: pd.DataFrame

    def to_frame(self):
        return tidy_frame(self.steps.to_dict(orient="records"))


def test_risk_set_rows_below_threshold_are_withheld_and_listed(tmp_path):
    steps = pd.DataFrame({"term": [f"S({t})" for t in range(6)], "estimate": np.linspace(1, .5, 6),
                          "n_risk": [40, 20, 9, 5, 4, 2]})
    html_path, js = render([Curve(steps)], tmp_path / "r.html")
    payload = json.loads(js.read_text())
    kept = [r["n_risk"] for r in payload["analyses"][0]["table"]]
    assert kept == [40, 20, 9, 5]
    assert any("n_risk below 5" in m["reason"] for m in payload["privacy"]["manifest"])
    assert "S(4)" not in html_path.read_text()


@dataclass(frozen=True)
class PlottedCurve(Curve):
    def plot(self, ax=None):
        ax = new_axes(ax)
        ax.step(self.steps["n_risk"], self.steps["estimate"])
        return ax


def test_figure_of_a_curve_with_small_risk_sets_is_withheld(tmp_path):
    steps = pd.DataFrame({"term": ["a", "b", "c"], "estimate": [1, .8, .6], "n_risk": [30, 9, 3]})
    html_path, js = render([PlottedCurve(steps)], tmp_path / "r.html")
    html = html_path.read_text()
    assert "data:image/png" not in html and "Figure withheld" in html
    items = [m["item"] for m in json.loads(js.read_text())["privacy"]["manifest"]]
    assert any(i.startswith("figure of") for i in items)
    steps["n_risk"] = [30, 9, 6]
    html_path, _ = render([PlottedCurve(steps)], tmp_path / "r2.html")
    assert "data:image/png" in html_path.read_text()


def test_rows_an_estimator_suppressed_are_listed_in_the_manifest(tmp_path):
    steps = pd.DataFrame({"term": ["peer", "direct_report", "overall"],
                          "estimate": [np.nan, 0.4, 0.38], "suppressed": [True, False, False]})
    _, js = render([Curve(steps)], tmp_path / "r.html")
    manifest = json.loads(js.read_text())["privacy"]["manifest"]
    assert [m["item"] for m in manifest] == ["estimate for peer"]
    assert "minimum group size" in manifest[0]["reason"]


def test_long_tables_are_cut_in_html_but_complete_in_json(tmp_path):
    steps = pd.DataFrame({"term": [f"t{i}" for i in range(150)], "estimate": np.arange(150.0)})
    html_path, js = render([Curve(steps)], tmp_path / "r.html")
    assert f"First {MAX_HTML_ROWS} of 150 rows" in html_path.read_text()
    assert len(json.loads(js.read_text())["analyses"][0]["table"]) == 150


# --------------------------------------------------------------------------- spec errors
def write(tmp_path, text):
    p = tmp_path / "study.toml"
    p.write_text(text)
    return p


BASE = """
[study]
title = "t"
seed = 1
[data.people]
file = "people.csv"
[[analysis]]
id = "a"
estimator = "{est}"
data = "people"
args = {args}
"""


@pytest.fixture
def people_csv(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"team": np.repeat(list("abc"), 6), "score": rng.normal(size=18),
                       "word": ["x"] * 18})
    df.to_csv(tmp_path / "people.csv", index=False)
    return df


@pytest.mark.parametrize(
    ("est", "args", "err", "match"),
    [
        ("meta.nonexistent", "{}", StudySpecError, r"unknown estimator 'meta.nonexistent'.*"
         r"Valid estimators:.*report\.group_means"),
        ("report.group_means", '{ value = "score", groups = ["team"], colour = 1 }',
         StudySpecError,
         r"unknown option\(s\) 'colour'; valid options: value, groups, min_group_size, person"),
        ("report.group_means", '{ value = "scroe", groups = ["team"] }', StudySpecError,
         r"analysis 'a'.*Column 'scroe'.*not found.*Available columns: 'team', 'score'"),
        ("report.group_means", '{ value = "word", groups = ["team"] }', StudySpecError,
         r"analysis 'a'.*'word'.*must be numeric"),
    ],
)
def test_clear_errors_from_analyses(tmp_path, people_csv, est, args, err, match):
    p = write(tmp_path, BASE.format(est=est, args=args))
    with pytest.raises(err, match=match):
        run_study(load_study(p))


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda s: s.replace('file = "people.csv"', 'file = "nope.csv"'),
         r"file .*nope\.csv does not exist.*--data people=FILE"),
        (lambda s: s.replace("seed = 1", "seed = 1\ncolour = 2"),
         r"\[study\]: unknown key\(s\) 'colour'; valid keys: claim, currency, description"),
        (lambda s: s.replace('data = "people"', 'data = "staff"'),
         r"data 'staff' is not a data entry; entries: people"),
        (lambda s: s.replace('file = "people.csv"', 'file = "people.csv"\ncolumns = { score = '
                             '"engagement" }'),
         r"column\(s\) 'engagement' named in columns.*Available columns: 'team', 'score'"),
        (lambda s: s + 'then = [ { method = "explode" } ]\n',
         r"has no method or attribute 'explode'; available: .*to_frame"),
        (lambda s: s + 'headline = ["team=zzz"]\n',
         r"headline term\(s\) \['team=zzz'\] not in the result table"),
        (lambda s: s + 'rules = { overall = "my_rule" }\n',
         r"unknown rule 'my_rule'.*cohen1988_d"),
        (lambda s: s.replace("[study]", "[studdy]"), r"unknown key\(s\) 'studdy'"),
        (lambda s: s + "plot = { figsize = [0, 3] }\n", r"figsize must be \[width, height\]"),
        (lambda s: s.replace("seed = 1", "seed = 1\n[privacy]\nid_columns = ['person']"),
         r"id_columns \['person'\] are not columns of any data entry"),
        (lambda s: s.replace('title = "t"', 'title = "t'), r"not valid TOML"),
    ],
)
def test_clear_errors_from_the_spec(tmp_path, people_csv, edit, match):
    text = BASE.format(est="report.group_means", args='{ value = "score", groups = ["team"] }')
    p = write(tmp_path, edit(text))
    with pytest.raises(StudySpecError, match=match):
        run = run_study(load_study(p))
        build_report(run)


def test_followups_render_methods_and_attributes(tmp_path, people_csv):
    text = BASE.format(est="report.group_means", args='{ value = "score", groups = ["team"] }')
    text += 'then = [ { method = "min_size", title = "Threshold", headline = true },\n'
    text += '         { method = "suppressions", args = { analysis = "a" } } ]\n'
    run = run_study(load_study(write(tmp_path, text)))
    html, payload = build_report(run)
    check_html(html)
    f = payload["analyses"][0]["followups"]
    assert f[0]["table"] == [{"term": "min_size", "estimate": 5}] and f[0]["title"] == "Threshold"
    assert "Threshold" in html
    assert [h["term"] for h in payload["summary"]] == ["overall", "min_size"]


def test_missing_spec_file_is_clear(tmp_path):
    with pytest.raises(StudySpecError, match="does not exist"):
        load_study(tmp_path / "nope.toml")
    with pytest.raises(StudySpecError, match="no data entry 'x'; its entries are: people"):
        load_study(write(tmp_path, BASE.format(est="e", args="{}")), data={"x": "f.csv"})


# the rendered report in headless Chromium: tests/test_report_rendered.py


def test_importing_report_loads_no_sampler_or_plotting():
    code = ("import sys, coachstats.report;"
            "bad=[m for m in ('pymc','pytensor','arviz','matplotlib') if m in sys.modules];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_analysis_without_data_gets_only_args_and_tables_become_dataclasses(tmp_path):
    pytest.importorskip("coachstats.roi")
    import coachstats as cs
    from coachstats.report.runner import _typed_args

    spec = write(tmp_path, """
[study]
title = "Published ROI bands"
seed = 189
[[analysis]]
id = "survey"
estimator = "roi.from_summary"
args = { bins = [[0, 1, 0.14], [1, 10, 0.39], [10, 50, 0.28], [50, inf, 0.19]], """
                 """n = 189, median_multiple = 7, n_draws = 2000 }
""")
    run = run_study(load_study(spec))
    html, payload = build_report(run)
    assert check_numbers(run, html, payload) > 0
    assert payload["summary"][0]["interval"] == "credible"
    assert payload["provenance"]["data"] == []
    # the study's seed reaches the estimator: the same spec gives the same numbers
    again = build_report(run_study(load_study(spec)))[1]
    assert again["analyses"][0]["table"] == payload["analyses"][0]["table"]
    other = build_report(run_study(load_study(spec), rng=190))[1]
    assert other["analyses"][0]["table"] != payload["analyses"][0]["table"]
    prior = _typed_args(cs.roi.bayesian, {"prior": {"tail_shape": [2.0, 4.0]}}, "w")["prior"]
    assert type(prior).__name__ == "RoiPrior" and prior.tail_shape == (2.0, 4.0)
    with pytest.raises(StudySpecError, match=r"does not fit RoiPrior.*fields: share_with_benefit"):
        _typed_args(cs.roi.bayesian, {"prior": {"colour": 1}}, "w")


@pytest.mark.parametrize("args", [{}, {"cluster": "manager", "strata": "site", "method": "ML",
                                       "test": "knha", "hedges": False, "ci_level": 0.9}])
def test_every_method_paragraph_renders(args):
    from coachstats.report.render import _TEMPLATES, _env

    env = _env()
    names = sorted(p.name for p in (_TEMPLATES / "methods").glob("*.html"))
    assert "meta.correlations.html" in names
    for n in names:
        text = env.get_template(f"methods/{n}").render(s={"args": args})
        assert len(text.strip()) > 80 and "{{" not in text, n


def test_a_failing_figure_is_reported_not_hidden(tmp_path, people_csv):
    text = BASE.format(est="report.group_means", args='{ value = "score", groups = ["team"] }')
    run = run_study(load_study(write(tmp_path, text + "plot = { colour = 'red' }\n")))
    html, payload = build_report(run)
    assert payload["problems"] and "figure could not be drawn" in payload["problems"][0]
    assert "Parts of this report could not be produced" in html
    assert payload["analyses"][0]["table"]  # the numbers are still there


@dataclass(frozen=True)
class Agreement(Result):
    icc1: float

    def to_frame(self):
        return tidy_frame([{"term": "icc1", "estimate": self.icc1}])

    def interpret(self):
        from coachstats.interpret import Interpretation

        # a rule defined by the estimator itself, not registered in coachstats.interpret
        return [Interpretation(self.icc1, "strong", "custom_team_rule",
                               "LeBreton & Senter (2008)")]


def test_labels_from_rules_outside_the_registry_render_with_their_citation(tmp_path):
    html_path, js = render([Agreement(0.21)], tmp_path / "r.html")
    assert "strong, following LeBreton &amp; Senter (2008)" in html_path.read_text()
    lab = json.loads(js.read_text())["summary"][0]["labels"][0]
    assert lab["rule"] == "custom_team_rule" and lab["metric"] is None
