"""Command line: ``coachstats report`` and ``coachstats demo``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coachstats.cli import main

ROOT = Path(__file__).resolve().parents[1]
RETENTION = ROOT / "data" / "synthetic" / "retention.csv"

SPEC = """
[study]
title = "Months to exit or promotion by manager"
seed = 7

[data.people]
file = "{file}"

[[analysis]]
id = "means"
estimator = "report.group_means"
data = "people"
args = {{ value = "months", groups = ["manager"] }}
"""


@pytest.fixture
def spec(tmp_path):
    if not RETENTION.exists():
        pytest.skip("bundled retention data not present")
    d = tmp_path / "studies" / "tenure"
    d.mkdir(parents=True)
    (d / "study.toml").write_text(SPEC.format(file=RETENTION.as_posix()))
    return d / "study.toml"


def test_report_command_writes_html_and_json(spec, tmp_path, capsys):
    out = tmp_path / "out" / "tenure.html"
    assert main(["report", str(spec), "--out", str(out), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert str(out) in printed and str(out.with_suffix(".json")) in printed
    payload = json.loads(out.with_suffix(".json").read_text())
    assert payload["provenance"]["seed"] == 3


def test_report_command_data_override_and_errors(spec, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(spec), "--data", f"people={RETENTION}", "--out", str(out)]) == 0
    assert main(["report", str(spec), "--data", str(RETENTION), "--out", str(out)]) == 0
    assert "supplied_on_command_line\": true" in out.with_suffix(".json").read_text()
    assert main(["report", str(spec), "--data", "=x.csv", "--out", str(out)]) == 2
    assert "expected NAME=FILE" in capsys.readouterr().err
    assert main(["report", str(spec), "--data", "staff=x.csv", "--out", str(out)]) == 2
    assert "no data entry 'staff'" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", str(spec), "--min-group-size", "2", "--out", str(out)]) == 2
    assert "--min-group-size: min_size must be at least 3" in capsys.readouterr().err
    assert main(["report", str(spec), "--min-group-size", "12", "--out", str(out)]) == 0
    payload = json.loads(out.with_suffix(".json").read_text())
    assert payload["privacy"]["min_group_size"] == 12
    shown = [r["n"] for r in payload["analyses"][0]["table"] if r["n"] is not None]
    assert min(shown) >= 12


def test_demo_renders_every_study_and_prints_paths(spec, tmp_path, capsys):
    from coachstats.report import find_studies
    from coachstats.report.cli import run_demo

    studies = find_studies(spec.parent.parent)
    bad = spec.parent.parent / "broken"
    bad.mkdir()
    (bad / "study.toml").write_text(SPEC.format(file="nope.csv"))
    studies = find_studies(spec.parent.parent)
    assert [p.parent.name for p in studies] == ["broken", "tenure"]
    assert run_demo(tmp_path / "reports", studies=studies) == 1
    cap = capsys.readouterr()
    assert f"tenure: {tmp_path / 'reports' / 'tenure.html'}" in cap.out
    assert "broken: FAILED" in cap.err and "1 of 2 studies failed" in cap.err
    assert (tmp_path / "reports" / "tenure.json").exists()
    index = (tmp_path / "reports" / "index.html").read_text()
    assert 'href="tenure.html"' in index and "could not be rendered" in index
    assert "http" not in index


def test_module_entry_point_runs_report(spec, tmp_path):
    out = tmp_path / "m.html"
    r = subprocess.run([sys.executable, "-m", "coachstats", "report", str(spec), "--out",
                        str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.exists()
