"""Prepare steps in a study spec: [data.X] prepare = [...], dropna, read; errors name the TOML
key to change; a report on the user's own data never carries a bundled study's text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coachstats.report import StudySpecError, load_study, run_study

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw-examples"

HR_SPEC = """
[study]
title = "HR dates"
seed = 1

[data.people]
file = "{file}"
{data_extra}

[[data.people.prepare]]
step = "durations"
origin = "HireDate"
end_events = {{ exit = "TerminationDate" }}
censor_at = "2025-06-30"
{extra}
person = "EmployeeID"
duration = "months"

[[data.people.prepare]]
step = "flag"
column = "CoachingDate"
name = "coached"

[[analysis]]
id = "cox"
estimator = "survival.cox"
data = "people"
[analysis.args]
duration = "months"
event = "event"
event_of_interest = "exit"
covariates = ["coached"]
"""


def _spec(tmp_path, file, extra="dayfirst = true", data_extra="") -> Path:
    p = tmp_path / "s" / "study.toml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(HR_SPEC.format(file=Path(file).as_posix(), extra=extra, data_extra=data_extra))
    return p


def test_prepare_steps_run_in_a_spec_and_are_recorded(tmp_path):
    run = run_study(load_study(_spec(tmp_path, RAW / "hr_tenure.csv")))
    d = run.data["people"]
    assert {"months", "event", "coached"} <= set(d.frame.columns)
    assert [s["step"] for s in d.provenance["prepare"]] == ["durations", "flag"]
    assert (d.frame["event"] == "censored").sum() > 0   # blanks kept as censored, not dropped
    assert d.provenance["rows"] == 800


def test_spec_errors_name_the_toml_key(tmp_path):
    f = tmp_path / "hr.csv"
    df = pd.read_csv(RAW / "hr_tenure.csv", encoding="cp1252", dtype=str, keep_default_na=False)
    df.loc[4, "TerminationDate"] = "31/02/2024"
    df.to_csv(f, index=False)
    with pytest.raises(StudySpecError) as e:
        run_study(load_study(_spec(tmp_path, f)))
    msg = str(e.value)
    assert "[data.people] prepare step 1 (durations)" in msg
    assert "column 'TerminationDate'" in msg and "row 6 (EmployeeID H00005): '31/02/2024'" in msg
    assert "to_numeric" not in msg and "dropna" not in msg
    # ambiguous dates without dayfirst: advice is the TOML key, not a Python argument
    amb = tmp_path / "amb.csv"
    pd.DataFrame({"EmployeeID": ["A", "B"], "HireDate": ["01/02/2024", "03/04/2024"],
                  "TerminationDate": ["", ""], "CoachingDate": ["", "05/06/2024"]}).to_csv(
        amb, index=False)
    with pytest.raises(StudySpecError) as e:
        run_study(load_study(_spec(tmp_path, amb, extra="")))
    msg = str(e.value)
    assert "set dayfirst = true in [data.people] prepare step 1 (durations)" in msg
    assert "pass dayfirst" not in msg
    with pytest.raises(StudySpecError, match=r"unknown key\(s\) 'dayfist'.*valid keys: .*"
                                             r"dayfirst"):
        run_study(load_study(_spec(tmp_path, RAW / "hr_tenure.csv", extra="dayfist = true")))
    with pytest.raises(StudySpecError, match="step = 'durationz' is not a prepare step"):
        p = _spec(tmp_path, RAW / "hr_tenure.csv")
        p.write_text(p.read_text().replace('step = "durations"', 'step = "durationz"'))
        run_study(load_study(p))


def test_dropna_and_query_at_data_level(tmp_path):
    p = _spec(tmp_path, RAW / "hr_tenure.csv",
              data_extra='dropna = ["TerminationReason"]\nquery = "months > 6"')
    text = p.read_text()
    run = run_study(load_study(p))
    prov = run.data["people"].provenance
    assert prov["rows_before_query"] == 800 - prov["rows_dropped_missing"]
    assert (run.data["people"].frame["months"] > 6).all()
    p.write_text(text.replace('dropna = ["TerminationReason"]', 'dropna = ["Nope"]'))
    with pytest.raises(StudySpecError, match="dropna names column"):
        run_study(load_study(p))


def test_xlsx_sheet_through_read_key(tmp_path):
    p = tmp_path / "x" / "study.toml"
    p.parent.mkdir()
    p.write_text(f"""
[study]
title = "360"
[data.r]
file = "{(RAW / 'feedback_360.xlsx').as_posix()}"
read = {{ sheet = "Ratings" }}
prepare = [ {{ step = "scale", items = ["B1", "B2", "B3", "B4"], name = "rating" }} ]
[[analysis]]
id = "rel"
estimator = "prepare.scale"
data = "r"
args = {{ items = ["B1", "B2", "B3", "B4"] }}
""")
    run = run_study(load_study(p))
    assert run.analyses[0].result.alpha > 0.5
    p.write_text(p.read_text().replace('read = { sheet = "Ratings" }\n', ""))
    with pytest.raises(StudySpecError, match=r"several sheets.*set sheet = \"Read me\" in "
                                             r"read = \{\.\.\.\} of \[data.r\]"):
        run_study(load_study(p))


# --------------------------------------------------------------------------- own data
def test_own_data_on_a_bundled_study_drops_its_text_and_synthetic_analyses(tmp_path):
    spec = ROOT / "studies" / "coaching-engagement" / "study.toml"
    bundled = load_study(spec)
    mine = tmp_path / "mine.csv"
    mine.write_text("x\n1\n")
    st = load_study(spec, data={"panel": mine})
    texts = [st.title, st.claim, st.description, st.source,
             *(e.description for e in st.data.values())]
    for t in (bundled.title, bundled.claim, bundled.description):
        assert all(t not in x for x in texts)
    assert "mine.csv" in st.title
    assert set(st.data) == {"panel"}                       # the generated entry is gone
    assert all(a.data == "panel" for a in st.analyses)
    assert not any("growing" in a.id for a in st.analyses)


def test_own_data_refused_when_bundled_files_would_be_mixed_in(tmp_path):
    spec = ROOT / "studies" / "coaching-roi" / "study.toml"
    mine = tmp_path / "mine.csv"
    mine.write_text("x\n1\n")
    with pytest.raises(StudySpecError, match=r"uses data entry 'icf_bands'.*not yours.*"
                                             r"coachstats init"):
        load_study(spec, data={"program": mine})
