"""`coachstats init`: the spec it writes for each raw example runs end to end."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from coachstats import prepare, variance
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
    did = next(a for a in raw["analysis"] if a["estimator"] == "did.staggered")
    assert did["args"]["joined"] == "joined_after_treatment"  # joiners handled explicitly
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
    assert main(["init", str(RAW / "roi_participants.csv"), "--kind", "roi", "--out",
                 str(tmp_path / "d")]) == 0
    raw = tomllib.loads((tmp_path / "d" / "study.toml").read_text())
    args = raw["analysis"][0]["args"]
    assert args["cost"] == ["Coaching fee (EUR)", "Participant time (EUR)", "Travel (EUR)"]
    assert args["blank_cost_as_zero"] is True


def _meta_table(path: Path) -> None:
    # published-style table of studies: correlation and sample size per study
    rows = [("Smith 2015", 0.21, 120), ("Jones 2016", 0.35, 64), ("Lee 2017", 0.12, 210),
            ("Garcia 2018", 0.28, 95), ("Novak 2019", 0.05, 150), ("Okafor 2020", 0.40, 48),
            ("Rossi 2021", 0.18, 175), ("Tanaka 2022", 0.25, 88)]
    path.write_text("Study,r,n\n" + "".join(f"{s},{r},{n}\n" for s, r, n in rows),
                    encoding="utf-8")


def _team_survey(path: Path) -> None:
    # people in teams in managers, five 1-5 items (blank = not answered)
    rng = np.random.default_rng(1405)
    lines = ["EmployeeID,ManagerID,TeamID,Q1,Q2,Q3,Q4,Q5"]
    k = 0
    for m in range(12):
        mu_m = rng.normal(0, 0.5)
        for t in range(2):
            mu_t = mu_m + rng.normal(0, 0.3)
            for _ in range(6):
                k += 1
                trait = mu_t + rng.normal(0, 0.8)
                q = np.clip(np.round(3 + trait + rng.normal(0, 0.6, 5)), 1, 5).astype(int)
                cells = [str(v) for v in q]
                if k % 17 == 0:
                    cells[2] = ""
                lines.append(f"E{k:03d},M{m:02d},M{m:02d}-T{t},{','.join(cells)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("kind", "write", "estimator"),
                         [("meta", _meta_table, "meta.correlations"),
                          ("variance", _team_survey, "variance.decompose")])
def test_init_meta_and_variance_run_end_to_end(tmp_path, capsys, kind, write, estimator):
    file = tmp_path / f"{kind}.csv"
    write(file)
    out = tmp_path / "my-study"
    assert main(["init", str(file), "--kind", kind, "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "Guessed columns" in shown and "wrote" in shown
    spec = out / "study.toml"
    raw = tomllib.loads(spec.read_text())
    assert (out / "README.md").exists()
    assert estimator in [a["estimator"] for a in raw["analysis"]]
    run = run_study(load_study(spec), quick=True)
    assert run.study.title.startswith("TODO")
    assert len(run.analyses) == len(raw["analysis"])
    main_fit = next(a for a in run.analyses if a.spec.estimator == estimator).result
    frame = main_fit.to_frame()
    assert len(frame) and frame["estimate"].notna().any()
    if kind == "meta":
        a = next(a for a in raw["analysis"] if a["estimator"] == estimator)
        assert a["args"]["r"] == "r" and a["args"]["n"] == "n"
        assert main_fit.k == 8
        assert 0.1 < main_fit.estimate < 0.35  # the pooled r of the eight studies
    else:
        steps = {s["step"]: s for s in raw["data"]["main"]["prepare"]}
        assert steps["scale"]["items"] == ["Q1", "Q2", "Q3", "Q4", "Q5"]
        a = next(a for a in raw["analysis"] if a["estimator"] == estimator)
        assert set(a["args"]["levels"]) == {"ManagerID", "TeamID"}
        assert set(raw["privacy"]["id_columns"]) >= {"EmployeeID", "ManagerID", "TeamID"}
        # one answer per person: the report's fit (given the person column) equals the fit
        # with manager and team levels only
        scored = prepare.read(file)
        scored["score"] = prepare.scale(scored, ["Q1", "Q2", "Q3", "Q4", "Q5"]).scores
        direct = variance.decompose(scored, outcome="score", levels=["ManagerID", "TeamID"],
                                    n_boot=0)
        got = frame.set_index("term")["estimate"]
        want = direct.to_frame().set_index("term")["estimate"]
        assert got.loc[want.index].to_numpy() == pytest.approx(want.to_numpy(), rel=1e-6)
