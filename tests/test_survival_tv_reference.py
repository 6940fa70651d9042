"""Time-varying (start, stop] Cox, case weights and delayed-entry Kaplan-Meier against R
survival 3.5.3 (values pinned by tests/reference/survival_tv_reference.R in
survival_tv_values.json: coxph on the output of tmerge() for survival::jasa)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachstats.survival import cox, kaplan_meier, mark_after_origin

pytestmark = pytest.mark.reference

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "survival_tv_values.json").read_text())
RTOL = 1e-6


def split_episodes(tdata: pd.DataFrame) -> pd.DataFrame:
    """Counting-process episodes: transplant switches `trans` from 0 to 1 at txtime."""
    rows = []
    for r in tdata.itertuples(index=False):
        base = {"subject": r.subject, "age": r.age, "surgery": r.surgery, "w": r.w}
        tx = r.txtime
        if np.isnan(tx) or tx >= r.futime:
            rows.append({**base, "tstart": 0.0, "tstop": r.futime, "death": r.fustat,
                         "trans": 0})
        elif tx <= 0:
            rows.append({**base, "tstart": 0.0, "tstop": r.futime, "death": r.fustat,
                         "trans": 1})
        else:
            rows.append({**base, "tstart": 0.0, "tstop": tx, "death": 0, "trans": 0})
            rows.append({**base, "tstart": tx, "tstop": r.futime, "death": r.fustat,
                         "trans": 1})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tdata():
    return pd.read_csv(REF / "survival_jasa.csv")


@pytest.fixture(scope="module")
def sdata(tdata):
    return split_episodes(tdata)


def test_provenance():
    assert R["provenance"]["survival"] == "3.5.3"
    assert "tmerge" in R["provenance"]["data"]


def test_episodes_equal_tmerge(sdata):
    ep = R["episodes"]
    assert len(sdata) == ep["n"] and sdata["death"].sum() == ep["n_events"]
    s = sdata.sort_values(["subject", "tstart"]).reset_index(drop=True)
    np.testing.assert_allclose(s["tstart"], ep["tstart"])
    np.testing.assert_allclose(s["tstop"], ep["tstop"])
    np.testing.assert_array_equal(s["trans"], ep["trans"])


def test_start_stop_efron_cluster(sdata):
    ref = R["tv_efron_cluster"]
    before = sdata.copy()
    fit = cox(sdata, "tstop", "death", ["age", "surgery", "trans"], start="tstart",
              cluster="subject")
    pd.testing.assert_frame_equal(sdata, before)
    f = fit.to_frame()
    np.testing.assert_allclose(f["estimate"], ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(f["naive_std_error"], ref["se"], rtol=RTOL)
    np.testing.assert_allclose(f["std_error"], ref["robust_se"], rtol=RTOL)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], ref["loglik"], rtol=1e-9)
    assert fit.n == ref["n"] and fit.n_events == ref["nevent"] and fit.n_people == 103
    for z in ref["zph"]:
        t = fit.check_ph(transform=z["transform"]).table
        np.testing.assert_allclose(t["chisq"], z["chisq"], rtol=1e-5)
    assert any("episodes" in n for n in fit.notes)


def test_start_stop_breslow_and_strata(sdata):
    ref = R["tv_breslow"]
    fit = cox(sdata, "tstop", "death", ["age", "surgery", "trans"], start="tstart",
              ties="breslow")
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(fit.std_error, ref["se"], rtol=RTOL)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], ref["loglik"], rtol=1e-9)
    ref = R["tv_strata"]
    fs = cox(sdata, "tstop", "death", ["age", "trans"], start="tstart", strata="surgery",
             cluster="subject")
    np.testing.assert_allclose(fs.coef, ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(np.sqrt(np.diag(fs.cov)), ref["se"], rtol=RTOL)
    np.testing.assert_allclose(fs.std_error, ref["robust_se"], rtol=RTOL)


def test_start_stop_baseline_hazard(sdata):
    ref = R["tv_basehaz"]
    fit = cox(sdata, "tstop", "death", ["age", "trans"], start="tstart")
    b = fit.baseline
    assert len(b) == 62 and set(b["time"]) <= set(ref["time"])
    # R lists censoring times too; compare at the event times
    rt = pd.Series(ref["hazard"], index=ref["time"])
    np.testing.assert_allclose(b["cumhaz"], rt.loc[b["time"]].to_numpy(), rtol=RTOL)


def test_naive_model_is_refused_and_reproducible(tdata):
    df = tdata.assign(ever=tdata["txtime"].notna().astype(int))
    marked = mark_after_origin(df, {"ever": "txtime"})
    with pytest.raises(ValueError, match=r"immortal-time bias.*landmark"):
        cox(marked, "futime", "fustat", ["age", "surgery", "ever"])
    fit = cox(marked, "futime", "fustat", ["age", "surgery", "ever"], immortal_time="allow")
    np.testing.assert_allclose(fit.coef, R["naive"]["coef"], rtol=RTOL)
    assert fit.cautions[0].code == "immortal_time"


def test_case_weights(tdata, sdata):
    ref = R["weighted"]
    fit = cox(tdata, "futime", "fustat", ["age", "surgery"], weights="w")
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), ref["se"], rtol=RTOL)
    np.testing.assert_allclose(fit.std_error, ref["robust_se"], rtol=RTOL)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], ref["loglik"], rtol=1e-9)
    ref = R["weighted_tv"]
    fit = cox(sdata, "tstop", "death", ["age", "trans"], start="tstart", weights="w",
              cluster="subject")
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), ref["se"], rtol=RTOL)
    np.testing.assert_allclose(fit.std_error, ref["robust_se"], rtol=RTOL)


def test_km_delayed_entry(sdata):
    ref = R["km_delayed"]
    post = sdata[sdata["trans"] == 1]
    km = kaplan_meier(post, "tstop", "death", start="tstart", person="subject")
    s = km.steps
    keep = np.array(ref["n_risk"]) >= 5  # the default privacy threshold
    ref = {k: np.array(v, dtype=float)[keep] for k, v in ref.items() if k != "call"}
    np.testing.assert_allclose(s["time"], ref["time"])
    np.testing.assert_allclose(s["n_risk"], ref["n_risk"])
    np.testing.assert_allclose(s["survival"], ref["surv"], rtol=RTOL)
    np.testing.assert_allclose(s["std_error"] / s["survival"], ref["std_err"], rtol=RTOL)
    np.testing.assert_allclose(s["ci_low"], ref["lower"], rtol=RTOL)


def test_km_case_weights_greenwood(tdata):
    ref = R["km_weighted_greenwood"]
    km = kaplan_meier(tdata, "futime", "fustat", weights="w", min_group_size=5,
                      robust=False)
    s = km.steps
    # the privacy threshold counts rows (people) at risk, not weights
    keep = s["n_rows_at_risk"] >= 5
    assert keep.all()
    n = len(s)
    np.testing.assert_allclose(s["time"], ref["time"][:n])
    np.testing.assert_allclose(s["n_risk"], ref["n_risk"][:n])
    np.testing.assert_allclose(s["n_event"], ref["n_event"][:n])
    np.testing.assert_allclose(s["survival"], ref["surv"][:n], rtol=RTOL)
    np.testing.assert_allclose(s["std_error"] / s["survival"], ref["std_err"][:n], rtol=RTOL)
    np.testing.assert_allclose(s["ci_low"], ref["lower"][:n], rtol=RTOL)
    rows_at_risk = (tdata["futime"].to_numpy()[:, None] >= np.array(ref["time"])).sum(0)
    assert n == int((rows_at_risk >= 5).sum())
    with pytest.raises(ValueError, match=r"'w'.*non-negative"):
        kaplan_meier(tdata.assign(w=-1.0), "futime", "fustat", weights="w")
