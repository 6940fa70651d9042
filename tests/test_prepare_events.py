"""prepare.durations against hand-computed cases; prepare.episodes against survival::tmerge;
prepare.pairs, percent, total and flag."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachstats import prepare

REF = Path(__file__).parent / "reference"

HR = pd.DataFrame({
    "EmployeeID": ["E1", "E2", "E3", "E4", "E5", "E6"],
    "HireDate": ["01/01/2024", "01/01/2024", "15/03/2024", "01/01/2024", "01/02/2024",
                 "01/01/2024"],
    "TerminationDate": ["01/07/2024", "", "", "01/04/2024", "01/03/2024", "01/08/2025"],
    "TerminationReason": ["Resignation", "", "", "Dismissal", "Resignation", "Resignation"],
    "PromotionDate": ["", "", "01/06/2024", "01/04/2024", "", ""],
})
ENDS = {"exit": "TerminationDate", "promotion": "PromotionDate"}
REASONS = {"exit": {"column": "TerminationReason",
                    "codes": {"Resignation": "voluntary", "Dismissal": "involuntary"}}}


def test_durations_hand_computed():
    before = HR.copy()
    with pytest.warns(UserWarning, match="1 end date"):
        out = prepare.durations(HR, "HireDate", ENDS, censor_at="2025-01-01", reasons=REASONS,
                                dayfirst=True, time_unit="days")
    pd.testing.assert_frame_equal(HR, before)
    # E1: exit 182 days; E2: censored at 2025-01-01 (366 days, leap year); E3: promotion
    # 2024-03-15 -> 2024-06-01 = 78 days; E4: exit and promotion on the same day -> exit (listed
    # first); E5: 29 days; E6: exit after the extraction date -> censored (notice period)
    assert out["duration"].tolist() == [182.0, 366.0, 78.0, 91.0, 29.0, 366.0]
    assert out["event"].tolist() == ["voluntary", "censored", "promotion", "involuntary",
                                     "voluntary", "censored"]
    months = prepare.durations(HR.iloc[:2], "HireDate", ENDS, censor_at="2025-01-01",
                               dayfirst=True)
    assert months["duration"].iloc[0] == pytest.approx(182 / (365.25 / 12))


def test_durations_errors_speak_of_dates_not_numbers():
    bad = HR.assign(TerminationDate=["01/07/2024", "", "", "01/04/2024", "31/02/2024", ""])
    with pytest.raises(ValueError) as e:
        prepare.durations(bad, "HireDate", ENDS, censor_at="2025-01-01", dayfirst=True,
                          person="EmployeeID")
    msg = str(e.value)
    assert "row 6 (EmployeeID E5): '31/02/2024'" in msg and "blank cell means 'not yet'" in msg
    for never in ("to_numeric", "dropna", "NaT", "-9223372036854775808"):
        assert never not in msg
    early = HR.assign(TerminationDate=["01/01/2023", "", "", "", "", ""])
    with pytest.raises(ValueError, match=r"'TerminationDate' is before 'HireDate' in 1 row\(s\):"
                                         r" row 2 \(EmployeeID E1\): '01/01/2023'"):
        prepare.durations(early, "HireDate", ENDS, censor_at="2025-01-01", dayfirst=True,
                          person="EmployeeID")
    with pytest.raises(ValueError, match=r"reason\(s\) 'Retired'"):
        prepare.durations(HR.assign(TerminationReason="Retired"), "HireDate", ENDS,
                          censor_at="2025-09-01", reasons=REASONS, dayfirst=True)
    with pytest.raises(ValueError, match=r"column\(s\) not found: 'hiredate' \(origin=\), "
                                         r"'Termination Date' \(end_events=\)"):
        prepare.durations(HR, "hiredate", {"exit": "Termination Date"}, censor_at="2025-01-01")


def test_episodes_equal_tmerge():
    inp = pd.read_csv(REF / "prepare_tmerge_input.csv")
    ref = pd.read_csv(REF / "prepare_tmerge_output.csv")
    before = inp.copy()
    out = prepare.episodes(inp, person="id", duration="months", event="event",
                           changes={"coached": "coached_month"})
    pd.testing.assert_frame_equal(inp, before)
    got = out[["id", "start", "stop", "event", "coached"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


def test_episodes_errors():
    df = pd.DataFrame({"id": ["a", "a"], "t": [3.0, 4.0], "e": [1, 0], "c": [1.0, None]})
    with pytest.raises(ValueError, match="one row per person"):
        prepare.episodes(df, person="id", duration="t", event="e", changes={"x": "c"})
    df = pd.DataFrame({"id": ["a"], "t": [3.0], "e": [1], "c": ["2024-01-01"]})
    with pytest.raises(ValueError, match=r"holds dates.*durations step"):
        prepare.episodes(df, person="id", duration="t", event="e", changes={"x": "c"})


def test_pairs_report_who_was_measured_once():
    df = pd.DataFrame({"rater": ["r1", "r1", "r2", "r3", "r3", "r4"],
                       "wave": ["Pre", "Post", "Pre", "Pre", "Post", "Post"],
                       "score": [3.0, 4.0, 2.0, 3.5, 3.0, 5.0]})
    res = prepare.pairs(df, "rater", "wave", "score", "Pre", "Post")
    assert res.data["rater"].tolist() == ["r1", "r3"]
    assert res.data["score_post"].tolist() == [4.0, 3.0]
    assert res.pre_only == ("r2",) and res.post_only == ("r4",) and res.n_dropped == 2
    assert res.to_frame()["estimate"].tolist() == [2, 1, 1]
    with pytest.raises(ValueError, match="repeat a"):
        prepare.pairs(pd.concat([df, df.iloc[:1]], ignore_index=True), "rater", "wave",
                      "score", "Pre", "Post")


def test_percent_total_flag():
    df = pd.DataFrame({"Attribution (%)": [50.0, 80.0], "Fee": [1000, 1200],
                       "Travel": [200.0, np.nan], "CoachingDate": ["01/02/2024", ""]})
    assert prepare.percent(df, "Attribution (%)")["Attribution (%)"].tolist() == [0.5, 0.8]
    with pytest.raises(ValueError, match="looks like shares"):
        prepare.percent(df.assign(**{"Attribution (%)": [0.5, 0.8]}), "Attribution (%)")
    with pytest.raises(ValueError, match=r"'Travel' is blank in row 3.*blank_as_zero=True"):
        prepare.total(df, ["Fee", "Travel"], name="cost")
    out = prepare.total(df, ["Fee", "Travel"], name="cost", blank_as_zero=True)
    assert out["cost"].tolist() == [1200.0, 1200.0] and "Travel" in out
    assert prepare.flag(df, "CoachingDate", name="coached")["coached"].tolist() == [1, 0]


def test_estimators_call_dates_dates():
    from coachstats import survival

    df = pd.DataFrame({"HireDate": ["01/01/2024", "05/02/2024", "03/03/2024"] * 4,
                       "event": [1, 0, 1] * 4, "x": [0, 1, 0, 1, 0, 1] * 2})
    with pytest.raises(TypeError) as e:
        survival.cox(df, duration="HireDate", event="event", covariates=["x"])
    msg = str(e.value)
    assert "holds dates" in msg and "prepare.durations" in msg and "to_numeric" not in msg
    # a blank end date means "not yet": never advise dropping those rows
    blank = df.assign(TerminationDate=["01/06/2024", "", ""] * 4)
    with pytest.raises(TypeError) as e:
        survival.cox(blank, duration="TerminationDate", event="event", covariates=["x"])
    msg = str(e.value)
    assert "holds dates" in msg and "not yet" in msg and "dropna" not in msg
