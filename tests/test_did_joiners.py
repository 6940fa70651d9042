"""did.staggered with people who joined a unit after it was treated (prepare.cohorts flag)."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats import prepare

CAL = ["2024-01-15", "2024-04-15", "2024-07-15", "2024-10-15"]
WAVE_DATES = ["2024-01-20", "2024-04-22", "2024-07-18", "2024-10-21"]


@pytest.fixture(scope="module")
def survey():
    """A raw-ish survey export: teams coached from a start date, people answering per wave.

    Teams T1-T4 are coached from July (wave 3), T5-T8 never. In each coached team one person
    first answers in wave 4, after the team's coaching began, with a high score: a joiner.
    """
    rng = np.random.default_rng(14)
    rows = []
    for t in range(1, 9):
        coached = t <= 4
        start = "03/07/2024" if coached else ""
        for p in range(4):
            base = rng.normal(3.2, 0.3)
            for w, date in enumerate(WAVE_DATES, start=1):
                y = base + 0.05 * w + (0.3 if coached and w >= 3 else 0) + rng.normal(0, 0.1)
                rows.append({"EmployeeID": f"E{t}{p}", "TeamID": f"T{t}", "SurveyDate": date,
                             "CoachingStartDate": start, "Score": round(y, 2)})
        if coached:
            rows.append({"EmployeeID": f"J{t}", "TeamID": f"T{t}", "SurveyDate": WAVE_DATES[3],
                         "CoachingStartDate": start, "Score": 4.9})
    df = pd.DataFrame(rows)
    df = prepare.waves(df, "SurveyDate", calendar=CAL)
    return prepare.cohorts(df, "CoachingStartDate", calendar=CAL, unit="TeamID",
                           person="EmployeeID", time="wave", dayfirst=True)


def _fit(df, **kw):
    return cs.did.staggered(df, outcome="Score", unit="TeamID", time="wave", cohort="cohort",
                            aggregate=True, n_boot=0, person="EmployeeID", **kw)


def test_flag_from_prepare_marks_the_joiners(survey):
    flagged = survey.loc[survey["joined_after_treatment"], "EmployeeID"]
    assert sorted(flagged) == ["J1", "J2", "J3", "J4"]
    assert set(survey.loc[survey["TeamID"] == "T1", "cohort"]) == {3}


def test_joiners_excluded_by_default_and_counted(survey):
    before = survey.copy()
    res = _fit(survey, joined="joined_after_treatment")
    pd.testing.assert_frame_equal(survey, before)  # caller's frame untouched
    ref = _fit(survey.loc[~survey["joined_after_treatment"]])
    assert res.att == pytest.approx(ref.att, rel=1e-12)
    assert res.std_error == pytest.approx(ref.std_error, rel=1e-12)
    assert res.n_joiners == 4 and res.joiners == "exclude"
    assert res.n_individual_rows == len(survey) - 4
    note = " ".join(res.notes)
    assert "4 row(s) flagged in 'joined_after_treatment'" in note and "excluded" in note
    # the true effect is 0.3; excluded joiners leave it near the truth
    assert abs(res.att - 0.3) < 0.15


def test_joiners_kept_when_asked_change_the_estimate(survey):
    kept = _fit(survey, joined="joined_after_treatment", joiners="KEEP")
    plain = _fit(survey)
    excl = _fit(survey, joined="joined_after_treatment")
    assert kept.att == pytest.approx(plain.att, rel=1e-12)
    assert kept.n_joiners == 4 and kept.joiners == "keep"
    assert "kept as members of the treated unit" in " ".join(kept.notes)
    assert kept.att > excl.att + 0.1  # the high-scoring joiners inflate the treated means
    assert plain.joiners is None and not any("joined" in n for n in plain.notes)


def test_bad_flag_column_is_refused(survey):
    with pytest.raises(ValueError, match="joined_after_treatment"):
        _fit(survey.drop(columns="joined_after_treatment"), joined="joined_after_treatment")
    bad = survey.astype({"joined_after_treatment": object})
    bad.loc[bad.index[:2], "joined_after_treatment"] = ["yes", None]
    with pytest.raises(ValueError, match=r"'joined_after_treatment' \(argument joined=\).*"
                                         r"2 row\(s\)"):
        _fit(bad, joined="joined_after_treatment")
    with pytest.raises(ValueError, match="joiners='drop' is not supported"):
        _fit(survey, joined="joined_after_treatment", joiners="drop")


def test_event_study_and_two_by_two_take_the_same_joiner_options(survey):
    flag = "joined_after_treatment"
    stayers = survey.loc[~survey[flag]]
    kw = dict(outcome="Score", unit="TeamID", time="wave", cohort="cohort",
              window=(-2, 1), aggregate=True, person="EmployeeID")
    es = cs.did.event_study(survey, joined=flag, **kw)
    ref = cs.did.event_study(stayers, **kw)
    pd.testing.assert_frame_equal(es.to_frame(), ref.to_frame())
    assert es.n_joiners == 4 and "excluded" in " ".join(es.notes)
    kept = cs.did.event_study(survey, joined=flag, joiners="keep", **kw)
    assert kept.to_frame()["estimate"].tolist() == cs.did.event_study(
        survey, **kw).to_frame()["estimate"].tolist()
    assert kept.joiners == "keep"

    two = survey.assign(group=(survey["cohort"] > 0).astype(int),
                        post=(survey["wave"] >= 3).astype(int))
    a = cs.did.two_by_two(two, "Score", "group", "post", cluster="TeamID", joined=flag,
                        person="EmployeeID")
    b = cs.did.two_by_two(two.loc[~two[flag]], "Score", "group", "post", cluster="TeamID",
                        person="EmployeeID")
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12)
    assert a.std_error == pytest.approx(b.std_error, rel=1e-12)
    assert a.n_joiners == 4 and a.n_obs == b.n_obs == len(two) - 4
    c = cs.did.two_by_two(two, "Score", "group", "post", cluster="TeamID", joined=flag,
                          joiners="keep", person="EmployeeID")
    assert c.n_obs == len(two) and c.estimate > a.estimate  # joiners raise treated-post mean
