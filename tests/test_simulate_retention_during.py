"""retention(coaching_start=...): coaching that begins during follow-up, person and episode
layouts of the same people, and the immortal-time mark."""

import numpy as np
import pandas as pd
import pytest

from coachstats.simulate.careers import retention
from coachstats.survival import cox, kaplan_meier, landmark
from coachstats.survival._guard import AFTER_ORIGIN


@pytest.fixture(scope="module")
def sims():
    a = retention(coaching_start=(6, 30), rng=5)
    b = retention(coaching_start=(6, 30), layout="episodes", rng=5)
    return a, b


def test_coaching_starts_during_follow_up(sims):
    d = sims[0].data
    c = d[d["coached"] == 1]
    assert c["coached_month"].between(6, 30).all()
    assert (c["coached_month"] < c["months"]).all()  # coached only while still at risk
    assert d.loc[d["coached"] == 0, "coached_month"].isna().all()
    assert d.attrs[AFTER_ORIGIN] == {"coached": "coached_month"}
    assert retention(coaching_start=(6, 30), rng=5).data.equals(d)  # reproducible


def test_episode_layout_is_the_same_people(sims):
    d, e = sims[0].data, sims[1].data
    assert (e["start"] < e["stop"]).all()
    last = e.groupby("employee").tail(1).set_index("employee")
    p = d.set_index("employee")
    np.testing.assert_allclose(last["stop"], p["months"])
    assert (last["event"] == p["event"]).all()
    assert len(e) == len(d) + int(d["coached"].sum())
    assert e.groupby("employee")["coached"].max().eq(p["coached"]).all()
    first = e.groupby("employee").head(1)
    assert (first["start"] == 0).all() and (first["coached"] == 0).all()


def test_baseline_use_is_refused_everywhere(sims):
    d = sims[0].data
    with pytest.raises(ValueError, match="immortal-time bias"):
        cox(d, "months", "event", ["coached"], event_of_interest="exit")
    with pytest.raises(ValueError, match=r"time-varying covariate.*landmark"):
        kaplan_meier(d, "months", "event", group="coached", event_of_interest="exit")
    fit = landmark(d, "months", "event", ["coached"], at=12, event_of_interest="exit")
    assert (fit.landmark == 12 and fit.cautions == ()) or all(
        c.code != "immortal_time" for c in fit.cautions)
    assert any("Landmark analysis at time 12" in n for n in fit.notes)
    assert fit.n + fit.n_landmark_excluded == len(d)
    e = sims[1].data
    tv = cox(e, "stop", "event", ["coached"], start="start", event_of_interest="exit",
             cluster="employee")
    assert all(c.code != "immortal_time" for c in tv.cautions)


def test_landmark_recodes_treatment_at_the_landmark():
    df = pd.DataFrame({"t": [5.0, 10, 20, 30, 40, 50, 15, 25],
                       "e": [1, 1, 0, 1, 1, 0, 1, 1],
                       "tx": [1, 1, 1, 1, 0, 1, 0, 1],
                       "tx_at": [2.0, 8, 15, 4, np.nan, 11, np.nan, 13]})
    fit = landmark(df, "t", "e", ["tx"], at=12, treatment_time={"tx": "tx_at"})
    # kept: t > 12 -> rows 2..7; treated by 12: tx_at <= 12 -> rows 3 (4) and 5 (11)
    ref = cox(pd.DataFrame({"t": [8.0, 18, 28, 38, 3, 13], "e": [0, 1, 1, 0, 1, 1],
                            "tx": [0, 1, 0, 1, 0, 0]}), "t", "e", ["tx"])
    np.testing.assert_allclose(fit.coef, ref.coef, rtol=1e-10)
    assert fit.n_landmark_excluded == 2
    with pytest.raises(ValueError, match="choose an earlier landmark"):
        landmark(df, "t", "e", ["tx"], at=60, treatment_time={"tx": "tx_at"})
    with pytest.raises(ValueError, match="treatment_time"):
        landmark(df, "t", "e", ["tx"], at=12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="coaching_start"):
        retention(coaching_start=(10, 5), rng=1)
    with pytest.raises(ValueError, match="layout='episodes' needs coaching_start"):
        retention(layout="episodes", rng=1)
