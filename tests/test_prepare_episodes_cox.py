"""From the raw HR tenure export to a time-varying Cox model: durations -> episodes -> cox."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats import prepare

RAW = Path(__file__).resolve().parents[1] / "data" / "raw-examples" / "hr_tenure.csv"
REASONS = {"exit": {"column": "TerminationReason",
                    "codes": {"Resignation": "voluntary_exit", "Dismissal": "involuntary_exit",
                              "Redundancy": "involuntary_exit"}}}
END = {"exit": "TerminationDate", "promotion": "PromotionDate"}


def _people(raw: pd.DataFrame) -> pd.DataFrame:
    d = prepare.durations(raw, "HireDate", {"coaching": "CoachingDate"}, censor_at="2025-06-30",
                          dayfirst=True, person="EmployeeID", duration="coached_month",
                          event="coaching", censored="not_coached")
    d = prepare.durations(d, "HireDate", END, censor_at="2025-06-30", reasons=REASONS,
                          dayfirst=True, person="EmployeeID", duration="months")
    return prepare.flag(d, "CoachingDate", name="coached")


@pytest.fixture(scope="module")
def raw():
    return prepare.read(RAW)


def test_episodes_to_time_varying_cox_end_to_end(raw):
    people = _people(raw)
    ep = prepare.episodes(people.drop(columns="coached"), person="EmployeeID",
                          duration="months", event="event", changes={"coached": "coached_month"})
    coached = people["coaching"] == "coaching"
    cm, months = people["coached_month"], people["months"]
    # one extra episode per person coached strictly inside their follow-up
    assert len(ep) == len(people) + int((coached & (cm > 0) & (cm < months)).sum())
    assert ep.groupby("EmployeeID")["stop"].max().sort_index().to_numpy() == pytest.approx(
        people.set_index("EmployeeID")["months"].sort_index().to_numpy())
    assert (ep["event"] != "censored").sum() == (people["event"] != "censored").sum()

    tv = cs.survival.cox(ep, duration="stop", start="start", event="event",
                         event_of_interest="voluntary_exit", covariates=["coached"],
                         cluster="ManagerID")
    hr = tv.to_frame(scale="hr").set_index("term").loc["coached"]
    assert np.isfinite(hr["estimate"]) and hr["ci_low"] < hr["estimate"] < hr["ci_high"]

    # Here coaching starts within two weeks of hire and no one leaves or is promoted that
    # early, so every risk set has the same covariate values in both designs: the
    # time-varying fit equals the baseline one.
    ended = people.loc[people["event"] != "censored", "months"]
    assert ended.min() > cm[coached].max()
    base = cs.survival.cox(people, duration="months", event="event",
                           event_of_interest="voluntary_exit", covariates=["coached"],
                           cluster="ManagerID")
    assert tv.to_frame()["estimate"].iloc[0] == pytest.approx(
        base.to_frame()["estimate"].iloc[0], rel=1e-8)


def test_later_coaching_baseline_refused_time_varying_runs(raw):
    # The same export with coaching a year after hire: now the baseline flag is an
    # immortal-time design (the coached had to stay a year to be coached).
    late = raw.copy()
    has = late["CoachingDate"].notna() & (late["CoachingDate"].astype(str).str.strip() != "")
    d = pd.to_datetime(late.loc[has, "CoachingDate"], dayfirst=True) + pd.DateOffset(years=1)
    late.loc[has, "CoachingDate"] = d.dt.strftime("%d/%m/%Y")
    with pytest.warns(UserWarning, match="fall after censor_at"):  # coached after extraction
        people = _people(late)
    marked = cs.survival.mark_after_origin(people, {"coached": "coached_month"})
    with pytest.raises(ValueError, match="immortal-time bias"):
        cs.survival.cox(marked, duration="months", event="event",
                        event_of_interest="voluntary_exit", covariates=["coached"])
    naive = cs.survival.cox(marked, duration="months", event="event",
                            event_of_interest="voluntary_exit", covariates=["coached"],
                            immortal_time="allow")
    assert "immortal_time" in {c.code for c in naive.cautions}
    ep = prepare.episodes(people.drop(columns="coached"), person="EmployeeID",
                          duration="months", event="event", changes={"coached": "coached_month"})
    tv = cs.survival.cox(ep, duration="stop", start="start", event="event",
                         event_of_interest="voluntary_exit", covariates=["coached"],
                         cluster="EmployeeID")
    # a year of each coached person's follow-up is now uncoached time: the designs differ
    assert len(ep) > len(people)
    assert tv.n_events == naive.n_events
    assert abs(naive.to_frame()["estimate"].iloc[0] - tv.to_frame()["estimate"].iloc[0]) > 0.01
