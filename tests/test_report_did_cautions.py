"""Report level: a planted pre-trend reaches the executive summary and the JSON cautions;
a clean panel shows none. Rendered through ``render_study`` on generator data."""

from __future__ import annotations

import json
import textwrap
from html.parser import HTMLParser

import pandas as pd
import pytest

import coachstats as cs
from coachstats.report import render_study


class _Summary(HTMLParser):
    """The text of ``<section id="summary">`` (the executive summary)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "section" and dict(attrs).get("id") == "summary":
            self.inside = True

    def handle_endtag(self, tag):
        if tag == "section":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.text.append(data)


def _summary_text(html: str) -> str:
    p = _Summary()
    p.feed(html)
    return " ".join(p.text)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return cs.simulate.engagement_panel(n_managers=60, rng=3).data


def _plant_pretrend(d: pd.DataFrame, slope: float) -> pd.DataFrame:
    # coached teams drift upwards before coaching starts: parallel trends is violated
    pre = (d["coached_from"] > 0) & (d["quarter"] < d["coached_from"])
    lead = (d["quarter"] - d["coached_from"]).where(pre, 0)
    return d.assign(engagement=d["engagement"] + slope * lead)


ARGS = ('outcome = "engagement", unit = "team", time = "quarter", cohort = "coached_from", '
        'cluster = "manager", aggregate = true, n_boot = 0')


def _render(tmp_path, data: pd.DataFrame, name: str):
    csv = tmp_path / f"{name}.csv"
    data.to_csv(csv, index=False)
    spec = tmp_path / f"{name}.toml"
    spec.write_text(textwrap.dedent(f"""\
        [study]
        title = "Coaching and team engagement ({name})"
        claim = "Coaching managers raises their teams' engagement."
        source = "simulate.engagement_panel(n_managers=60, rng=3)"
        seed = 1

        [privacy]
        min_group_size = 5
        id_columns = ["employee"]

        [data.panel]
        file = "{csv.as_posix()}"
        description = "Generator panel."

        [[analysis]]
        id = "staggered"
        title = "Callaway & Sant'Anna: effect of coaching on team engagement"
        estimator = "did.staggered"
        data = "panel"
        args = {{ {ARGS} }}
        headline = {{ att = "Average effect of coaching on team engagement" }}
        """))
    html, js = render_study(spec, tmp_path / f"{name}.html")
    return html.read_text(), json.loads(js.read_text())


def test_planted_pretrend_is_a_caution_in_the_summary_and_json(tmp_path, panel):
    html, payload = _render(tmp_path, _plant_pretrend(panel, 0.15), "planted")
    codes = [c["code"] for c in payload["cautions"]]
    assert "pretrend_rejected" in codes
    c = next(c for c in payload["cautions"] if c["code"] == "pretrend_rejected")
    assert c["value"] < 0.05 and c["analysis"] == "staggered"
    head = payload["summary"][0]
    assert "pretrend_rejected" in [x["code"] for x in head["cautions"]]
    assert "Pre-trend test rejected" in _summary_text(html)


def test_clean_panel_shows_no_caution(tmp_path, panel):
    html, payload = _render(tmp_path, panel, "clean")
    assert payload["cautions"] == []
    assert payload["summary"][0]["cautions"] == []
    text = _summary_text(html)
    assert "Pre-trend test" not in text and "Caution" not in text
