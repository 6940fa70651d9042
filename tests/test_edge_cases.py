"""Unusual but real inputs: +-inf, a single cluster, all-censored data, zero variance,
zero durations and separation. Each must raise a ValueError that names the column and the
fix (never a NumPy error, a RuntimeWarning or a silent NaN), or give a documented result."""

import warnings

import numpy as np
import pandas as pd
import pytest

import coachstats as cs


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


@pytest.fixture(scope="module")
def panel():
    d = cs.simulate.engagement_panel(n_managers=30, rng=2).data
    return d.groupby(["team", "manager", "quarter", "coached_from"],
                     as_index=False)["engagement"].mean()


@pytest.fixture(scope="module")
def people():
    return cs.simulate.retention(n_employees=400, n_managers=40, rng=1).data


DID = {
    "staggered": lambda d, **k: cs.did.staggered(d, "engagement", "team", "quarter",
                                                  "coached_from", n_boot=0, **k),
    "twfe": lambda d, **k: cs.did.twfe(d, "engagement", "team", "quarter", "coached_from",
                                       **k),
    "event_study": lambda d, **k: cs.did.event_study(d, "engagement", "team", "quarter",
                                                     "coached_from", **k),
}


@pytest.mark.parametrize("fn", sorted(DID))
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_did_infinite_outcome_is_named(panel, fn, value):
    bad = panel.copy()
    bad.loc[bad.index[7], "engagement"] = value
    with pytest.raises(ValueError, match=r"outcome: column 'engagement' has non-finite .*"
                                         r"rows \[7\].*dropna=True"):
        DID[fn](bad, cluster="manager")


def test_two_by_two_infinite_outcome_is_named():
    d = pd.DataFrame({"y": [1.0, 2, 3, np.inf, 2, 3, 4, 5], "g": [0, 0, 1, 1] * 2,
                      "p": [0, 1] * 4})
    with pytest.raises(ValueError, match=r"'y' has non-finite values.*\[3\]"):
        cs.did.two_by_two(d, "y", "g", "p")


@pytest.mark.parametrize("fn", sorted(DID))
def test_did_single_cluster(panel, fn):
    with pytest.raises(ValueError, match=r"single cluster.*20 or more"):
        DID[fn](panel.assign(manager="M1"), cluster="manager")


@pytest.mark.parametrize("fn", sorted(DID))
def test_did_zero_variance_outcome(panel, fn):
    with pytest.raises(ValueError, match=r"'engagement'.*never varies"):
        DID[fn](panel.assign(engagement=3.0), cluster="manager")


def test_cox_infinite_values(people):
    bad = people.assign(months=people["months"].where(people.index != 5, np.inf))
    with pytest.raises(ValueError, match=r"'months'.*non-finite.*5"):
        cs.survival.cox(bad, "months", "event", ["coached"], event_of_interest="exit")
    bad = people.assign(x=np.where(people.index == 9, -np.inf, 1.0 * people["coached"]))
    with pytest.raises(ValueError, match=r"covariate 'x' has non-finite.*9"):
        cs.survival.cox(bad, "months", "event", ["x"], event_of_interest="exit")


def test_survival_single_cluster(people):
    one = people.assign(m="M")
    with pytest.raises(ValueError, match="'m' has a single cluster"):
        cs.survival.cox(one, "months", "event", ["coached"], event_of_interest="exit",
                        cluster="m")
    with pytest.raises(ValueError, match="'m' has a single cluster"):
        cs.survival.competing_risks(one, "months", "event", censor="censored", cluster="m")


def test_all_censored(people):
    none = people.assign(e=0, ev="censored")
    with pytest.raises(ValueError, match="has no events"):
        cs.survival.cox(none, "months", "e", ["coached"])
    with pytest.raises(ValueError, match="only the censoring code"):
        cs.survival.competing_risks(none, "months", "ev", censor="censored")
    with pytest.raises(ValueError, match="does not occur"):
        cs.survival.fine_gray(none, "months", "ev", ["coached"], event_of_interest="exit",
                              censor="censored")
    km = cs.survival.kaplan_meier(none, "months", "e")  # documented: flat at 1, no median
    assert (km.steps["survival"] == 1).all() and np.isnan(km.medians["median"].iloc[0])
    assert any("never fell to 0.5" in n for n in km.notes)


def test_zero_durations(people):
    zero = people.assign(months=0.0)
    with pytest.raises(ValueError, match="every event happens at time 0"):
        cs.survival.cox(zero, "months", "event", ["coached"], event_of_interest="exit")
    with pytest.raises(ValueError, match="every 'exit' event happens at time 0"):
        cs.survival.fine_gray(zero, "months", "event", ["coached"], event_of_interest="exit",
                              censor="censored")
    ep = pd.DataFrame({"a": [0.0, 2.0], "b": [2.0, 2.0], "e": [0, 1], "x": [0, 1]})
    with pytest.raises(ValueError, match=r"start < stop.*rows 1"):
        cs.survival.cox(ep, "b", "e", ["x"], start="a")


def test_separation_names_the_covariate(people):
    sep = people.assign(e=people["coached"])
    with pytest.raises(ValueError, match=r"\['coached'\] separate the events.*infinite"):
        cs.survival.cox(sep, "months", "e", ["coached"])
    ev = np.where(people["coached"] == 1, "exit", "censored")
    with pytest.raises(ValueError, match=r"\['coached'\] may separate"):
        cs.survival.fine_gray(people.assign(e=ev), "months", "e", ["coached"],
                              event_of_interest="exit", censor="censored")


def test_failing_ph_check_does_not_sink_the_fit():
    # every subject tied at the same event time: the cox.zph matrix is singular
    d = pd.DataFrame({"t": [1.0] * 6 + [2.0] * 6, "e": [1, 0] * 6,
                      "x": [0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0]})
    fit = cs.survival.cox(d, "t", "e", ["x"])
    assert np.isfinite(fit.coef).all()
    t = fit.check_ph(transform="log").table
    assert t["advice"].iloc[0]  # unavailable, not an exception


@pytest.mark.parametrize("case", ["inf", "zero", "single"])
def test_variance_edge_cases(case):
    d = cs.simulate.engagement_panel(n_managers=20, rng=4).data.query("quarter == 1")
    if case == "inf":
        d = d.assign(engagement=d["engagement"].where(d.index != d.index[3], np.inf))
        match = "non-finite"
    elif case == "zero":
        d = d.assign(engagement=1.0)
        match = "never varies"
    else:
        d = d.assign(manager="A")
        match = "at least 2 groups in level 'manager'"
    with pytest.raises(ValueError, match=match):
        cs.variance.decompose(d, "engagement", ["manager", "team"], n_boot=0)
