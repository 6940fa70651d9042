"""A report an executive can read: verdict sentences, numbers in their units, plain labels,
cautions beside the headline they qualify, each figure once, tables that fit at 1280 px, an
index of verdicts, and a PDF. The browser checks run in headless Chromium and are skipped,
saying so, when it is absent."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachstats.report import render, render_study
from coachstats.report.format import fmt, fmt_interval, fmt_p
from coachstats.report.glossary import column_words, kind_of, term_name
from coachstats.report.pdf import chromium_flags, find_chromium
from coachstats.report.progress import Progress, ProgressExecutor
from coachstats.report.spec import StudySpecError, load_study
from coachstats.report.verdict import likelihood, verdict
from coachstats.results import Caution, Result, new_axes, tidy_frame

ROOT = Path(__file__).resolve().parents[1]
RETENTION = ROOT / "data" / "synthetic" / "retention.csv"
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
RAW_IDS = ("ManagerID", "TenureMonths", "CoachedFlag")


# --------------------------------------------------------------------------- units
def test_each_kind_is_formatted_in_its_unit():
    assert fmt(350292.0, "currency", unit="USD") == "USD 350,292"
    assert fmt(-1234.5, "currency", unit="EUR") == "EUR \u22121,234"
    assert fmt(350292.0, "currency") == "350,292 (currency units)"
    assert fmt(0.134, "probability") == "13%"
    assert fmt(0.9996, "probability") == "> 99.9%"
    assert fmt(0.8426, "share", width=0.083) == "84.3%"
    assert fmt(-26.916, "percent", width=98.0) == "\u221227%"
    assert fmt(2.0, "count") == "2" and fmt(12345.0, "count") == "12,345"
    assert fmt(7.876, "multiple") == "7.9\u00d7"
    assert fmt(0.8476, "hazard_ratio") == "0.85"
    assert fmt(14.25, "months", unit="months") == "14.2 months"
    assert fmt(float("nan"), "number") == "" and fmt(None) == ""
    # decimals follow the interval: two significant digits of its width
    assert fmt_interval(0.1224, 0.2181, "number") == "0.122 to 0.218"
    assert fmt_interval(-19.2, 46.3, "percent") == "\u221219% to 46%"
    assert [fmt_p(p) for p in (5.04e-52, 0.0123, 0.234, 0.9999)] == [
        "< 0.001", "0.012", "0.23", "> 0.999"]


def test_glossary_gives_plain_names_and_kinds():
    roles = {"time": "quarter", "unit": "team"}
    assert term_name("att_gt[2,3]", roles) == "Effect in quarter 3 on teams coached from quarter 2"
    assert term_name("event_time[1]", roles) == "1 quarter after coaching started"
    assert term_name("att", {"outcome": "EngScore"}) == "Average effect of coaching on eng score"
    assert term_name("icc1_ManagerID") == "ICC(1): share of individual variance between managers"
    assert term_name("between_share_TeamID_of_ManagerID") == (
        "Share of team-mean variance between managers")
    assert term_name("S(24) (CoachedFlag=1)") == "Share remaining at 24 (coached flag = 1)"
    assert term_name("direct_report:pre") == "Direct reports, before"
    assert not SNAKE.search(term_name("some_new_term[3]"))
    assert column_words("ManagerID") == "manager" and column_words("EmpNo") == "emp"
    assert kind_of("roi_pct") == "percent" and kind_of("prob_roi_positive") == "probability"
    assert kind_of("total_cost") == "currency" and kind_of("bcr") == "ratio"
    assert kind_of("coached", "survival.cox") == "hazard_ratio"


def test_verdict_cases_and_likelihood_words():
    base = {"ci_level": 0.95, "interval": "confidence", "labels": []}
    up = verdict({**base, "estimate": 0.17, "ci_low": 0.12, "ci_high": 0.22, "kind": "scale"})
    assert up["case"] == "above" and up["interval"] == "0.12 to 0.22"
    hr = verdict({**base, "estimate": 0.85, "ci_low": 0.65, "ci_high": 1.11,
                  "kind": "hazard_ratio"})
    assert hr["case"] == "unclear" and hr["null"] == "1" and hr["side"] == "below"
    assert hr["rate"] == {"change": "15%", "direction": "lower"}
    roi = verdict({**base, "estimate": 6.0, "ci_low": -19.0, "ci_high": 46.0, "kind": "percent",
                   "prob_above": 0.62})
    assert (roi["case"], roi["likely"], roi["prob"]) == ("unclear", "about as likely as not",
                                                         "62%")
    p = verdict({**base, "estimate": 0.97, "kind": "probability"})
    assert (p["case"], p["likely"], p["value"]) == ("probability", "very likely", "97%")
    lvl = verdict({**base, "estimate": 0.83, "ci_low": 0.79, "ci_high": 0.86, "kind": "share"})
    assert lvl["case"] == "level" and lvl["value"].endswith("%")
    assert [likelihood(x).word for x in (0.995, 0.5, 0.005)] == [
        "virtually certain", "about as likely as not", "exceptionally unlikely"]


def test_spec_currency_and_units_are_checked(tmp_path):
    p = tmp_path / "study.toml"
    p.write_text('[study]\ntitle = "t"\ncurrency = "USD"\n[[analysis]]\nid = "a"\n'
                 'estimator = "roi.phillips"\nunits = { roi_pct = "percent" }\n')
    st = load_study(p)
    assert st.currency == "USD" and st.analyses[0].units == {"roi_pct": "percent"}
    p.write_text('[study]\ntitle = "t"\n[[analysis]]\nid = "a"\nestimator = "x.y"\n'
                 'units = { roi_pct = "dollars" }\n')
    with pytest.raises(StudySpecError, match=r"unknown kind 'dollars'.*choose one of currency"):
        load_study(p)


# --------------------------------------------------------------------------- cautions
@dataclass(frozen=True)
class _Checked(Result):
    """A result with one effect and the cautions a design check would raise."""

    estimate: float
    codes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return "Checked effect"

    @property
    def cautions(self) -> tuple[Caution, ...]:
        msgs = {"pretrend_rejected": ("Pre-trend test rejected (p = 0.019).", 0.019),
                "few_clusters": ("Only 9 clusters: standard errors may be too small.", 9.0)}
        return tuple(Caution(c, *msgs[c]) for c in self.codes)

    def to_frame(self) -> pd.DataFrame:
        e = self.estimate
        return tidy_frame([{"term": "effect_of_coaching", "estimate": e, "std_error": 0.05,
                            "ci_low": e - 0.1, "ci_high": e + 0.1, "ci_level": 0.95}])

    def plot(self, ax=None, **kwargs):
        ax = new_axes(ax)
        ax.plot([0, 1], [0, self.estimate])
        return ax


class _Text(HTMLParser):
    """Text of each <li> of the verdict list, and the whole text of the summary section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.in_summary = False
        self.items: list[str] = []
        self.summary: list[str] = []
        self.li_depth = 0
        self.in_verdicts = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("id") == "summary":
            self.in_summary = True
        if tag == "ol" and a.get("id") == "verdicts":
            self.in_verdicts = True
        if self.in_verdicts and tag == "li":
            self.items.append("")

    def handle_endtag(self, tag):
        if tag == "section":
            self.in_summary = False
        if tag == "ol":
            self.in_verdicts = False

    def handle_data(self, data):
        if self.in_summary:
            self.summary.append(data)
        if self.in_verdicts and self.items:
            self.items[-1] += data


def _parse(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    return p


def test_cautions_sit_beside_their_headline_in_html_json_and_index(tmp_path):
    from coachstats.report.cli import _index_entry, _write_index

    res = [_Checked(0.3, ("pretrend_rejected", "few_clusters")), _Checked(0.02)]
    html_path, js = render(res, tmp_path / "r.html", titles=["Coached teams", "Control"])
    html = html_path.read_text()
    payload = json.loads(js.read_text())
    items = _parse(html).items
    assert len(items) == len(payload["summary"]) == 2
    assert "Pre-trend test rejected (p = 0.019)." in items[0]
    assert "Only 9 clusters" in items[0]
    assert "Pre-trend" not in items[1] and "Caution" not in items[1]
    assert [c["code"] for c in payload["cautions"]] == ["pretrend_rejected", "few_clusters"]
    assert payload["cautions"][0] == {
        "analysis": "result-1", "title": "Coached teams", "code": "pretrend_rejected",
        "message": "Pre-trend test rejected (p = 0.019).", "value": 0.019,
        "severity": "warning"}
    assert payload["analyses"][0]["cautions"][1]["code"] == "few_clusters"
    assert payload["summary"][0]["cautions"] == payload["analyses"][0]["cautions"]
    # the first is clearly above zero, the second is not
    assert payload["summary"][0]["verdict"]["case"] == "above"
    assert payload["summary"][1]["verdict"]["case"] == "unclear"
    index = _write_index(tmp_path, [{"name": "x", "error": None,
                                     **_index_entry(html_path, js)}], quick=False)
    page = index.read_text()
    assert "Pre-trend test rejected (p = 0.019)." in page
    assert page.count('<ol class="verdicts">') == 1
    assert "The data rule out no effect (0)" in page


def test_a_repeated_figure_is_shown_once(tmp_path):
    html, _ = render([_Checked(0.3), _Checked(0.3)], tmp_path / "r.html")
    text = html.read_text()
    imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(imgs) == 1
    assert "The figure for this part is the one shown above" in text


def test_progress_is_silent_unless_asked_and_counts_replicates():
    done = []
    ex = ProgressExecutor(1, lambda: done.append(1))
    assert list(ex.map(lambda a: a * 2, [1, 2, 3])) == [2, 4, 6] and len(done) == 3
    with Progress(None) as p:  # pytest captures stderr: not a terminal, so no bar
        assert not p.enabled and p.task("x", total=1) is None


# --------------------------------------------------------------------------- browser
STUDY = """
[study]
title = "Do coached employees stay longer?"
claim = "Coaching keeps people: synthetic retention data with raw HR column names"
seed = 42
currency = "USD"

[data.people]
file = "{file}"

[[analysis]]
id = "km"
estimator = "survival.kaplan_meier"
data = "people"
headline = ["S(24) (CoachedFlag=1)"]
[analysis.args]
duration = "TenureMonths"
event = "event"
event_of_interest = "exit"
group = "CoachedFlag"
times = [12, 24]

[[analysis]]
id = "cox"
estimator = "survival.cox"
data = "people"
frame = {{ scale = "hr" }}
headline = true
[analysis.args]
duration = "TenureMonths"
event = "event"
event_of_interest = "exit"
covariates = ["CoachedFlag"]
cluster = "ManagerID"
[[analysis.then]]
method = "turnover_cost"
headline = ["cost_avoided", "risk_with"]
[analysis.then.args]
salary = 95000
replacement_cost_share = 0.5
n_employees = 500
horizon = 24

[[analysis]]
id = "means"
estimator = "report.group_means"
data = "people"
args = {{ value = "TenureMonths", groups = ["ManagerID"] }}
"""

PROBE = """<script>
addEventListener('load', () => {
  const out = {tables: [], images: [], summary: '', verdicts: []};
  const body = document.body.getBoundingClientRect();
  for (const t of document.querySelectorAll('table')) {
    const box = t.closest('.tablewrap') || t.parentElement;
    const sec = box.parentElement.getBoundingClientRect();
    out.tables.push({cls: t.className, table: t.getBoundingClientRect().width,
      box: box.clientWidth, boxRight: box.getBoundingClientRect().right,
      bodyRight: body.right, scroll: getComputedStyle(box).overflowX,
      inClosed: !!t.closest('details:not([open])')});
  }
  for (const i of document.querySelectorAll('img')) out.images.push(i.src.length + ':' +
      i.src.slice(-120));
  out.summary = document.getElementById('summary').innerText;
  for (const li of document.querySelectorAll('#verdicts > li')) out.verdicts.push(li.innerText);
  const pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


def _browser() -> str:
    exe = find_chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): the rendered-report "
                    "checks (table widths at 1280 px, PDF pages) need a headless browser")
    return exe


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    exe = _browser()
    if not RETENTION.exists():
        pytest.skip("bundled retention data not present")
    d = tmp_path_factory.mktemp("rendered")
    raw = pd.read_csv(RETENTION).rename(columns={
        "manager": "ManagerID", "months": "TenureMonths", "coached": "CoachedFlag"})
    raw.to_csv(d / "people.csv", index=False)
    spec = d / "study.toml"
    spec.write_text(STUDY.format(file=(d / "people.csv").as_posix()))
    html, js = render_study(spec, d / "report.html", pdf=True)
    probe = d / "probe.html"
    probe.write_text(html.read_text().replace("</body>", PROBE + "</body>"))
    with tempfile.TemporaryDirectory() as prof:
        dom = subprocess.run(
            [exe, *chromium_flags(prof), "--window-size=1280,2000", "--dump-dom",
             probe.as_uri()], check=True, capture_output=True, timeout=120, text=True).stdout
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert m, "the probe script did not run"
    import html as _html

    return {"html": html, "payload": json.loads(js.read_text()),
            "dom": json.loads(_html.unescape(m.group(1))), "pdf": html.with_suffix(".pdf")}


def test_rendered_summary_reads_as_plain_language(rendered):
    dom, payload = rendered["dom"], rendered["payload"]
    summary = dom["summary"]
    assert not SNAKE.findall(summary), SNAKE.findall(summary)
    for raw in RAW_IDS:
        assert raw not in summary, raw
    # one verdict sentence per headline, each naming it
    assert len(dom["verdicts"]) == len(payload["summary"]) == 5
    for h, text in zip(payload["summary"], dom["verdicts"], strict=True):
        assert h["verdict"]["value"] and h["verdict"]["value"] in text
        assert h["name"] in text
    kinds = {h["term"]: h["kind"] for h in payload["summary"]}
    assert kinds == {"S(24) (CoachedFlag=1)": "share", "CoachedFlag": "hazard_ratio",
                     "cost_avoided": "currency", "risk_with": "share", "overall": "level"}
    # money has its currency and thousands separators; probabilities and shares end in %
    money = [h for h in payload["summary"] if h["kind"] == "currency"]
    for h in money:
        assert re.fullmatch(r"USD \u2212?\d{1,3}(,\d{3})+", h["verdict"]["value"])
    assert not re.search(r"(?<![\d,.])\d{4,}(?![\d,])", summary.replace("2010", "")), summary
    for h in payload["summary"]:
        if h["kind"] in ("probability", "share", "percent"):
            for k in ("value", "low", "high"):
                assert h["verdict"][k] == "" or h["verdict"][k].endswith("%"), h["verdict"]
    for amount in re.findall(r"USD \u2212?[\d,]+", summary):
        assert re.fullmatch(r"USD \u2212?\d{1,3}(,\d{3})*", amount)


def test_rendered_tables_fit_and_images_are_unique(rendered):
    dom = rendered["dom"]
    assert dom["tables"]
    for t in dom["tables"]:
        if t["inClosed"]:
            continue
        assert t["boxRight"] <= t["bodyRight"] + 1, t
        fits = t["table"] <= t["box"] + 1
        assert fits or t["scroll"] in ("auto", "scroll"), t
        if "plain" in t["cls"] or "numbers" in t["cls"]:
            assert fits, t  # the reader's tables wrap instead of scrolling
    assert len(dom["images"]) >= 2  # the survival curve and the caterpillar of group means
    assert len(set(dom["images"])) == len(dom["images"])


def test_many_group_means_are_drawn_as_a_sorted_caterpillar_with_the_overall_mean():
    from coachstats.report import safe_group_means
    from coachstats.report.figures import draw

    rng = np.random.default_rng(3)
    d = pd.DataFrame({"TeamID": np.repeat([f"T{i:02d}" for i in range(40)], 6),
                      "score": rng.normal(3, 1, 240)})
    png, texts, problem = draw(safe_group_means(d, "score", ["TeamID"]), True, "t",
                               {"value": "score"})
    assert png and problem is None
    assert "Mean score per team, lowest to highest" in texts
    assert any(t.startswith("overall mean") for t in texts)
    assert "40 teams, sorted by their mean" in texts
    assert not any(t.startswith("T0") for t in texts)  # 40 labels would be unreadable


def test_pdf_pages_are_non_blank_images(rendered):
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 rasterises the PDF pages")
    pdf = pdfium.PdfDocument(str(rendered["pdf"]))
    assert len(pdf) >= 2
    for i in range(min(len(pdf) - 1, 4)):  # every page but the last is full
        img = np.asarray(pdf[i].render(scale=0.5).to_pil().convert("L"), dtype=float)
        dark = (img < 128).mean()
        assert img.std() > 10 and 0.0005 < dark < 0.5, (i, img.std(), dark)  # blank: 3e-5


def test_html_says_how_to_get_a_pdf_without_chromium(tmp_path, monkeypatch):
    from coachstats.report import pdf

    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    (tmp_path / "r.html").write_text("<!DOCTYPE html><p>x</p>")
    with pytest.raises(pdf.PdfUnavailable, match="apt-get install chromium"):
        pdf.write_pdf(tmp_path / "r.html")



def test_cli_quiet_prints_nothing_and_pdf_without_browser_says_how(tmp_path, capsys,
                                                                   monkeypatch):
    from coachstats.cli import main
    from coachstats.report import pdf

    d = pd.DataFrame({"team": np.repeat(["a", "b", "c"], 6), "score": np.arange(18.0)})
    d.to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "study.toml"
    spec.write_text('[study]\ntitle = "Means"\n[data.d]\nfile = "d.csv"\n[[analysis]]\n'
                    'id = "m"\nestimator = "report.group_means"\ndata = "d"\n'
                    'args = { value = "score", groups = ["team"] }\n')
    assert main(["report", str(spec), "--out", str(tmp_path / "q.html"), "--quiet"]) == 0
    out = capsys.readouterr()
    assert out.out == "" and (tmp_path / "q.html").is_file() and (tmp_path / "q.json").is_file()
    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    assert main(["report", str(spec), "--out", str(tmp_path / "p.html"), "--pdf"]) == 3
    out = capsys.readouterr()
    assert "report: " in out.out and "no PDF" in out.err and "apt-get install chromium" in out.err
    assert not (tmp_path / "p.pdf").exists()
