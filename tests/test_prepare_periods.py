"""prepare.waves and prepare.cohorts: wave calendars, fixed frequencies, edge cases, joiners."""

from __future__ import annotations

import pandas as pd
import pytest

from coachstats import prepare

CAL = ["2024-01-08", "2024-04-08", "2024-07-08"]


def test_waves_from_calendar_keep_fieldwork_in_one_wave():
    df = pd.DataFrame({"SurveyDate": ["08.01.2024", "26.01.2024", "08.04.2024", "27.01.2024",
                                      "30.07.2024"]})
    before = df.copy()
    out = prepare.waves(df, "SurveyDate", calendar=CAL, dayfirst=True)
    assert out["wave"].tolist() == [1, 1, 2, 1, 3]
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(ValueError, match=r"more than 21 days after their wave opened: row 6: "
                                         r"'30.07.2024'"):
        prepare.waves(df, "SurveyDate", calendar=CAL, dayfirst=True, window_days=21)
    early = pd.DataFrame({"SurveyDate": ["2023-12-30", "2024-02-01"]})
    with pytest.raises(ValueError, match=r"before the first wave opened \(2024-01-08\): row 2: "
                                         r"'2023-12-30'.*pass calendar="):
        prepare.waves(early, "SurveyDate", calendar=CAL)


def test_waves_from_frequency_and_blank_dates():
    df = pd.DataFrame({"d": ["2024-02-15", "2024-03-31", "2024-04-01", "2025-01-02"]})
    assert prepare.waves(df, "d", freq="QS")["wave"].tolist() == [1, 1, 2, 5]
    assert prepare.waves(df, "d", freq="qs", start="2023-10-01")["wave"].tolist() == [2, 2, 3, 6]
    with pytest.raises(ValueError, match="calendar or a fixed frequency"):
        prepare.waves(df, "d")
    blank = pd.DataFrame({"EmployeeID": ["E1", "E2"], "d": ["2024-01-09", ""]})
    with pytest.raises(ValueError, match=r"'d' is blank in 1 row\(s\) \(row 3 \(EmployeeID E2\)\)"):
        prepare.waves(blank, "d", calendar=CAL, person="EmployeeID")


def test_cohorts_edge_cases():
    df = pd.DataFrame({"start": [
        "2024-02-10",   # between waves 1 and 2 -> first wave opening on/after: 2
        "2024-04-08",   # on a wave's opening date -> that wave: 2
        "",             # never -> 0
        "2024-01-01",   # before the first wave -> 1
        "2024-09-01",   # after the last wave -> 0, with a warning
    ]})
    with pytest.warns(UserWarning, match="1 row.* start after the last wave"):
        out = prepare.cohorts(df, "start", calendar=CAL)
    assert out["cohort"].tolist() == [2, 2, 0, 1, 0]
    q = prepare.cohorts(df.iloc[:4], "start", freq="QS", start="2024-01-01")
    # quarters: Feb 10 -> next quarter start (Apr 1) = 2; Apr 8 -> Jul 1 = 3; Jan 1 -> 1
    assert q["cohort"].tolist() == [2, 3, 0, 1]
    with pytest.raises(ValueError, match="pass start="):
        prepare.cohorts(df, "start", freq="QS")


def test_cohorts_constant_within_unit_lists_offenders():
    df = pd.DataFrame({"ManagerID": ["M1", "M1", "M2", "M2", "M3"],
                       "CoachingStartDate": ["2024-02-01", "2024-02-01", "2024-02-01",
                                             "2024-05-01", ""]})
    with pytest.raises(ValueError) as e:
        prepare.cohorts(df, "CoachingStartDate", calendar=CAL, unit="ManagerID")
    msg = str(e.value)
    assert "ManagerID M2: 2024-02-01, 2024-05-01" in msg and "M1" not in msg.split("have")[1]


def test_joiners_after_treatment_are_flagged():
    rows = []
    for w in (1, 2, 3):
        rows.append({"team": "T1", "person": "A", "wave": w, "start": "2024-03-01"})
    rows.append({"team": "T1", "person": "B", "wave": 3, "start": "2024-03-01"})  # joined later
    rows.append({"team": "T2", "person": "C", "wave": 2, "start": ""})           # never coached
    df = pd.DataFrame(rows)
    out = prepare.cohorts(df, "start", calendar=CAL, unit="team", person="person", time="wave")
    assert out["cohort"].tolist() == [2, 2, 2, 2, 0]
    assert out["joined_after_treatment"].tolist() == [False, False, False, True, False]
