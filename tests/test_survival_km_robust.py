"""Robust (infinitesimal-jackknife) standard error of the Kaplan-Meier curve against R
``survfit`` (survival 3.5.3; tests/reference/survival_km_robust.R), including R's rule for
when it is the default (non-integer weights, a cluster, an id with two events)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachstats.survival import kaplan_meier

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "survival_km_robust.json").read_text())
RTOL = 1e-6


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    d = pd.read_csv(REF / "survival_lung.csv")
    return d.assign(w=0.5 + d["age"] / 100, w2=1 + d["id"] % 2, entry=np.floor(d["time"] / 3),
                    dead=(d["status"] == 2).astype(int))


def _check(fit, ref, *, robust: bool) -> None:
    assert fit.variance == ("robust" if robust else "greenwood")
    # the privacy threshold hides the tail steps (fewer than 5 at risk): compare the rest
    r = pd.DataFrame({k: ref[k] for k in ("strata", "time", "n_risk", "surv", "std_err",
                                          "lower", "upper")})
    st = fit.steps.assign(strata=fit.steps["group"].astype(str))
    assert len(st) >= 0.9 * len(r)
    r = st[["strata", "time"]].merge(r, on=["strata", "time"], how="left")
    assert r["surv"].notna().all()
    np.testing.assert_allclose(st["n_risk"], r["n_risk"], rtol=RTOL)
    np.testing.assert_allclose(st["survival"], r["surv"], rtol=RTOL)
    np.testing.assert_allclose(st["std_error"], r["std_err"], rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(st["ci_low"], r["lower"], rtol=RTOL)
    np.testing.assert_allclose(st["ci_high"], r["upper"], rtol=RTOL)
    med = fit.medians
    np.testing.assert_allclose(med["median"], np.atleast_1d(ref["median"]), rtol=RTOL)
    np.testing.assert_allclose(med["ci_low"], np.atleast_1d(ref["median_lower"]), rtol=RTOL)
    np.testing.assert_allclose(med["ci_high"], np.atleast_1d(ref["median_upper"]), rtol=RTOL)


def test_provenance():
    assert R["provenance"]["survival"] == "3.5.3"
    assert "survfit" in R["weighted_default"]["call"]


def test_non_integer_weights_default_to_the_robust_se(lung):
    _check(kaplan_meier(lung, "time", "dead", weights="w"), R["weighted_default"], robust=True)
    _check(kaplan_meier(lung, "time", "dead", weights="w", robust=False),
           R["weighted_greenwood"], robust=False)


def test_robust_by_group_on_the_log_log_scale(lung):
    fit = kaplan_meier(lung, "time", "dead", group="sex", weights="w", ci="log-log")
    _check(fit, R["weighted_by_sex_loglog"], robust=True)


def test_whole_number_weights_keep_greenwood_unless_asked(lung):
    _check(kaplan_meier(lung, "time", "dead", weights="w2"), R["integer_weights_default"],
           robust=False)
    _check(kaplan_meier(lung, "time", "dead", weights="w2", robust=True),
           R["integer_weights_robust"], robust=True)


def test_cluster_robust(lung):
    sub = lung.dropna(subset=["inst"])
    fit = kaplan_meier(sub, "time", "dead", cluster="inst")
    _check(fit, R["cluster_inst"], robust=True)
    assert fit.n_clusters == sub["inst"].nunique() and "clusters of 'inst'" in fit.notes[0]
    # 18 institutions: fewer than 20 clusters behind a cluster-robust SE
    c = next(c for c in fit.cautions if c.code == "few_clusters")
    assert c.value == 18 and "18 clusters of 'inst'" in c.message
    assert not kaplan_meier(sub, "time", "dead", weights="w").cautions
    _check(kaplan_meier(sub, "time", "dead", weights="w", cluster="inst"),
           R["weighted_cluster_inst"], robust=True)


def test_delayed_entry_with_weights(lung):
    _check(kaplan_meier(lung, "time", "dead", start="entry", weights="w"),
           R["delayed_entry_weighted"], robust=True)


def test_a_person_with_two_events_makes_it_robust_by_person(lung):
    dup = pd.concat([lung, lung.iloc[:40]], ignore_index=True)
    fit = kaplan_meier(dup, "time", "dead", person="id")
    _check(fit, R["repeated_id"], robust=True)
    assert fit.n_clusters == lung["id"].nunique()
    # one event per person: Greenwood, as R
    assert kaplan_meier(lung, "time", "dead", person="id").variance == "greenwood"


def test_bad_options(lung):
    with pytest.raises(ValueError, match="cluster='inst' needs the robust"):
        kaplan_meier(lung.dropna(subset=["inst"]), "time", "dead", cluster="inst",
                     robust=False)
    with pytest.raises(TypeError, match="robust"):
        kaplan_meier(lung, "time", "dead", robust="yes")
    with pytest.raises(ValueError, match="single cluster"):
        kaplan_meier(lung.assign(one=1), "time", "dead", cluster="one")
    before = lung.copy()
    kaplan_meier(lung, "time", "dead", weights="w")
    pd.testing.assert_frame_equal(lung, before)


def _recursion_se(t, d, w, cl, times, n_risk, entry=None):
    """R survfitkm's recursion, cluster by cluster at every step (O(clusters x times))."""
    nc = cl.max() + 1
    inf, out, km, v = np.zeros(nc), np.zeros(len(times)), 1.0, 0.0
    for i, s in enumerate(times):
        at_risk = (t >= s) & ((entry < s) if entry is not None else True)
        gwt = np.bincount(cl[at_risk], weights=w[at_risk], minlength=nc)
        here = (t == s) & (d > 0)
        dw = w[here].sum()
        if dw > 0:
            h = dw / n_risk[i]
            inf = inf * (1 - h) + gwt * km * h / n_risk[i]
            np.subtract.at(inf, cl[here], km * w[here] / n_risk[i])
            km *= 1 - h
            v = np.sqrt(inf @ inf)
        out[i] = v
    return out


@pytest.mark.parametrize("delayed", [False, True])
def test_closed_form_equals_the_recursion(delayed):
    from coachstats.survival._km import km_robust_se, km_steps

    rng = np.random.default_rng(4)
    n = 300
    t = rng.integers(1, 40, n).astype(float)  # many ties
    d = rng.integers(0, 2, n).astype(float)
    t[-3:], d[-3:] = 50.0, 1.0  # the last step: everyone still at risk has the event
    w = rng.uniform(0.2, 3.0, n)
    w[:5] = 0.0  # zero weights are allowed
    cl = rng.integers(0, 40, n)
    entry = np.floor(t * rng.uniform(0, 0.8, n)) if delayed else None
    st = km_steps(t, d, entry=entry, w=w)
    times, n_risk = st["time"].to_numpy(float), st["n_risk"].to_numpy(float)
    fast = km_robust_se(t, d, w, cl, times, n_risk, entry=entry)
    slow = _recursion_se(t, d, w, cl, times, n_risk, entry=entry)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-13)
    assert fast[-1] == 0.0 and st["survival"].iloc[-1] == 0.0
