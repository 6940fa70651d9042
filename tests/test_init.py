"""`coachstats init`: the spec it writes for each raw example runs end to end."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from coachstats.cli import main
from coachstats.report import load_study, run_study

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw-examples"

CASES = [
    ("engagement_survey.csv", "did", None),
    ("hr_tenure.csv", "retention", None),
    ("roi_participants.csv", "roi", None),
    ("feedback_360.xlsx", "pre_post", "Ratings"),
]


@pytest.mark.parametrize(("file", "kind", "sheet"), CASES)
def test_init_spec_runs_end_to_end(tmp_path, capsys, file, kind, sheet):
    out = tmp_path / "my-study"
    argv = ["init", str(RAW / file), "--kind", kind, "--out", str(out)]
    if sheet:
        argv += ["--sheet", sheet]
    assert main(argv) == 0
    shown = capsys.readouterr().out
    assert "Guessed columns" in shown and "wrote" in shown
    spec = out / "study.toml"
    text = spec.read_text()
    raw = tomllib.loads(text)
    assert raw["privacy"]["id_columns"]
    assert (out / "README.md").exists()
    run = run_study(load_study(spec), quick=True)
    assert run.study.title.startswith("TODO")  # the user's text, not a bundled one
    assert len(run.analyses) == len(raw["analysis"])
    for a in run.analyses:
        frame = a.result.to_frame()
        assert len(frame) and frame["estimate"].notna().any()


def test_init_finds_what_each_file_needs(tmp_path, capsys):
    assert main(["init", str(RAW / "engagement_survey.csv"), "--kind", "did", "--out",
                 str(tmp_path / "a")]) == 0
    raw = tomllib.loads((tmp_path / "a" / "study.toml").read_text())
    steps = {s["step"]: s for s in raw["data"]["main"]["prepare"]}
    assert steps["scale"]["reverse"] == ["Q3"]        # found from a negative item-rest r
    assert steps["waves"]["calendar"][0] == "2024-01-08" and steps["waves"]["dayfirst"]
    assert steps["cohorts"]["unit"] == "ManagerID"
    assert set(raw["privacy"]["id_columns"]) == {"EmployeeID", "ManagerID", "TeamID"}
    assert main(["init", str(RAW / "hr_tenure.csv"), "--kind", "retention", "--out",
                 str(tmp_path / "b")]) == 0
    text = (tmp_path / "b" / "study.toml").read_text()
    raw = tomllib.loads(text)
    dur = raw["data"]["main"]["prepare"][0]
    assert dur["end_events"] == {"exit": "TerminationDate", "promotion": "PromotionDate"}
    assert dur["reasons"]["exit"]["codes"]["Resignation"] == "voluntary_exit"
    assert "CHECK: censor_at" in text
    capsys.readouterr()
    assert main(["init", str(RAW / "hr_tenure.csv"), "--kind", "retention", "--out",
                 str(tmp_path / "b")]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["init", str(RAW / "feedback_360.xlsx"), "--kind", "pre_post", "--out",
                 str(tmp_path / "c")]) == 2
    assert "several sheets" in capsys.readouterr().err
