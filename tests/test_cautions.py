"""Cautions: failed or borderline checks returned by results (DiD pre-trends, few clusters,
proportional hazards, immortal time, Bayesian sampler health)."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.bayes import Diagnostics
from coachstats.results import Caution, Result


@pytest.fixture(scope="module")
def panel():
    return cs.simulate.engagement_panel(n_managers=60, rng=3).data


def _plant_pretrend(d: pd.DataFrame, slope: float) -> pd.DataFrame:
    # treated teams drift upwards before coaching starts: a violated parallel-trends design
    treated = d["coached_from"] > 0
    pre = treated & (d["quarter"] < d["coached_from"])
    lead = (d["quarter"] - d["coached_from"]).where(pre, 0)
    return d.assign(engagement=d["engagement"] + slope * lead)


def test_clean_panel_has_no_cautions(panel):
    r = cs.did.staggered(panel, "engagement", "team", "quarter", "coached_from",
                         cluster="manager", aggregate=True)
    assert r.pretrend_test().p_value > 0.10
    assert r.cautions == ()


def test_planted_pretrend_is_a_caution(panel):
    bad = _plant_pretrend(panel, 0.15)
    r = cs.did.staggered(bad, "engagement", "team", "quarter", "coached_from",
                         cluster="manager", aggregate=True)
    codes = [c.code for c in r.cautions]
    assert codes == ["pretrend_rejected"]
    c = r.cautions[0]
    assert c.value == pytest.approx(r.pretrend_test().p_value) and c.value < 0.05
    assert "Pre-trend test rejected (chi2(" in c.message and "p = " in c.message
    es = cs.did.event_study(bad, "engagement", "team", "quarter", "coached_from",
                            cluster="manager", aggregate=True)
    assert "pretrend_rejected" in [c.code for c in es.cautions]
    clean = cs.did.event_study(panel, "engagement", "team", "quarter", "coached_from",
                               cluster="manager", aggregate=True)
    assert clean.pre_wald[2] > 0.05 and clean.cautions == ()


def test_few_clusters_caution(panel):
    few = panel[panel["manager"].isin(sorted(panel["manager"].unique())[:15])]
    # individual answers: people counted per cohort (a cohort here has 2 teams)
    r = cs.did.twfe(few, "engagement", "team", "quarter", "coached_from", cluster="manager",
                    aggregate=True, person="employee")
    (c,) = [c for c in r.cautions if c.code == "few_clusters"]
    assert c.value == r.n_clusters < 20 and f"Only {r.n_clusters} clusters" in c.message


def test_cox_ph_rejected_and_few_clusters():
    rng = np.random.default_rng(1)
    n = 600
    x = rng.integers(0, 2, n)
    # treatment effect that reverses over time: early hazard x4, late hazard / 4
    t_early = rng.exponential(1 / (0.05 * np.where(x == 1, 4.0, 1.0)))
    t_late = 10 + rng.exponential(1 / (0.05 * np.where(x == 1, 0.25, 1.0)))
    t = np.where(t_early < 10, t_early, t_late)
    d = pd.DataFrame({"t": np.minimum(t, 40), "e": (t < 40).astype(int), "x": x,
                      "g": rng.integers(0, 12, n)})
    fit = cs.survival.cox(d, "t", "e", ["x"], cluster="g")
    codes = {c.code: c for c in fit.cautions}
    assert "ph_rejected" in codes and codes["ph_rejected"].value < 0.05
    assert "few_clusters" in codes and codes["few_clusters"].value == 12
    fine = cs.survival.cox(d.assign(t=t_early.clip(max=40), e=(t_early < 40).astype(int)),
                           "t", "e", ["x"])
    assert fine.cautions == ()


def test_bayesian_diagnostics_become_cautions():
    ok = Diagnostics(max_rhat=1.002, min_ess_bulk=1500, min_ess_tail=1200, n_divergent=0,
                     chains=4, draws=1000)
    assert ok.cautions == ()
    bad = Diagnostics(max_rhat=1.05, min_ess_bulk=180, min_ess_tail=350, n_divergent=7,
                      chains=4, draws=1000)
    c = {x.code: x for x in bad.cautions}
    assert set(c) == {"rhat_high", "ess_low", "divergences"}
    assert c["rhat_high"].value == 1.05 and "1.050" in c["rhat_high"].message
    assert c["ess_low"].value == 180 and c["divergences"].value == 7

    class _Bayes(Result):  # any result carrying diagnostics reports them
        def __init__(self, diagnostics):
            object.__setattr__(self, "diagnostics", diagnostics)

    assert _Bayes(bad).cautions == bad.cautions
    assert _Bayes(ok).cautions == ()
    assert all(isinstance(x, Caution) for x in bad.cautions)
