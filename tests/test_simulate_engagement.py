"""The engagement panel generator: reproducibility, structure, truth against large samples,
parameter errors."""

from __future__ import annotations

import numpy as np
import pytest

import coachstats as cs
from coachstats.simulate.engagement import engagement_panel, likert_expectation


def test_same_seed_bit_identical_and_different_seed_differs():
    a = engagement_panel(n_managers=20, rng=5)
    b = engagement_panel(n_managers=20, rng=5)
    c = engagement_panel(n_managers=20, rng=6)
    assert a.data.equals(b.data)
    assert a.truth == b.truth
    assert not a.data["engagement"].equals(c.data["engagement"])
    assert cs.simulate.engagement_panel is engagement_panel


def test_structure_nesting_cohorts_and_turnover():
    sim = engagement_panel(rng=1)
    d = sim.data
    assert list(d.columns[:7]) == ["employee", "team", "manager", "quarter", "coached_from",
                                   "coached", "engagement"]
    # teams nested in managers, coaching constant within manager
    assert (d.groupby("team")["manager"].nunique() == 1).all()
    assert (d.groupby("manager")["coached_from"].nunique() == 1).all()
    assert set(d["coached_from"]) == {0, 3, 4, 5, 6}
    assert d["quarter"].between(1, 8).all()
    # every team observed every quarter; people come and go
    assert (d.groupby("team")["quarter"].nunique() == 8).all()
    per_emp = d.groupby("employee")["quarter"].nunique()
    assert (per_emp < 8).mean() > 0.1
    assert not d.duplicated(["employee", "quarter"]).any()
    # Likert means of 5 items
    assert d["engagement"].between(1, 5).all()
    assert np.allclose(d["engagement"] * 5, np.round(d["engagement"] * 5))
    assert ((d["coached"] == 1) == ((d["coached_from"] > 0)
                                    & (d["quarter"] >= d["coached_from"]))).all()
    t = sim.truth
    assert sum(t.n_teams_by_cohort.values()) == d["team"].nunique()
    assert 0.6 < t.manager_share_between_teams < 0.8
    assert 0.1 < t.icc_manager < 0.2
    assert 5000 < len(d) < 40000


def test_no_turnover_gives_balanced_people():
    d = engagement_panel(n_managers=10, turnover=0.0, rng=2).data
    assert (d.groupby("employee")["quarter"].nunique() == 8).all()


def test_large_sample_recovers_variance_components_and_share():
    # continuous latent scores, no effect: method-of-moments nested ANOVA on one quarter
    sim = engagement_panel(n_managers=3000, teams_per_manager=3, team_size=30, periods=2,
                           cohorts=(2,), effect=0.0, effect_growth=0.0, n_items=0,
                           turnover=0.0, rng=3)
    d = sim.data[sim.data["quarter"] == 1]
    team_means = d.groupby("team")["engagement"].mean()
    team_n = d.groupby("team").size()
    mgr = d.groupby("team")["manager"].first()
    within = d.groupby("team")["engagement"].var().mean()  # employee + occasion
    # variance of team means = var_team + var_manager + within / n
    var_team_means = team_means.var()
    mgr_means = team_means.groupby(mgr).mean()
    var_mgr_means = mgr_means.var()
    n = team_n.mean()
    # manager means average 3 teams: var_m + (var_t + within/n) / 3
    var_t_hat = (var_team_means - var_mgr_means) * 3 / 2 - within / n
    var_m_hat = var_mgr_means - (var_t_hat + within / n) / 3
    share = var_m_hat / (var_m_hat + var_t_hat)
    t = sim.truth
    assert within == pytest.approx(t.var_employee + t.var_occasion, rel=0.03)
    assert share == pytest.approx(t.manager_share_between_teams, abs=0.06)
    icc = var_m_hat / (var_m_hat + var_t_hat + within)
    assert icc == pytest.approx(t.icc_manager, abs=0.015)


def test_observed_scale_truth_matches_large_sample_contrast():
    # with random cohort assignment the coached-minus-never difference in means at a quarter
    # estimates ATT(g, t) on the observed Likert scale
    sim = engagement_panel(n_managers=6000, teams_per_manager=1, team_size=6, periods=4,
                           cohorts=(3,), never_share=0.5, effect=0.4, effect_growth=0.2,
                           rng=4)
    d = sim.data
    m = d.groupby(["quarter", "coached_from"])["engagement"].mean().unstack()
    did = (m[3] - m[0]) - (m[3] - m[0]).loc[[1, 2]].mean()
    truth = {x["time"]: x["att"] for x in sim.truth.group_time}
    assert did.loc[3] == pytest.approx(truth[3], abs=0.02)
    assert did.loc[4] == pytest.approx(truth[4], abs=0.02)
    # measurement compresses the latent effect but not by much at the middle of the scale
    assert 0.6 < truth[4] / 0.6 < 1.0
    assert sim.truth.event_time[1] == pytest.approx(truth[4])


def test_likert_expectation_is_monotone_and_bounded():
    loc = np.linspace(-3, 9, 50)
    e = likert_expectation(loc, 0.7, np.zeros(3))
    assert np.all(np.diff(e) > 0)
    assert e[0] > 1 and e[-1] < 5


def test_truth_simple_att_weights_by_teams():
    t = engagement_panel(rng=8).truth
    post = [x for x in t.group_time if x["event_time"] >= 0]
    w = np.array([t.n_teams_by_cohort[x["cohort"]] for x in post], float)
    assert t.att == pytest.approx(np.sum(w * [x["att"] for x in post]) / w.sum())
    assert t.att_latent > t.att > 0
    assert set(t.terms()) >= {"att", "event_time[0]", "group[3]"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_managers": 1}, "n_managers"),
        ({"n_managers": 10.5}, "n_managers"),
        ({"team_size": 0}, "team_size"),
        ({"periods": 1}, "periods"),
        ({"cohorts": (1, 3)}, "cohorts"),
        ({"cohorts": (3, 9)}, "cohorts"),
        ({"cohorts": (3, 3)}, "cohorts"),
        ({"cohorts": ()}, "cohorts"),
        ({"never_share": 1.0}, "never_share"),
        ({"turnover": -0.1}, "turnover"),
        ({"n_items": -1}, "n_items"),
        ({"var_manager": -0.1}, "var_manager"),
        ({"item_sd": float("nan")}, "item_sd"),
        ({"effect": float("inf")}, "effect"),
        ({"teams_per_manager": (3, 1)}, "teams_per_manager"),
        ({"teams_per_manager": (1, 2, 3)}, "teams_per_manager"),
        ({"n_managers": 4, "never_share": 0.5}, "never_share"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        engagement_panel(**kwargs)
