"""coachstats.survival against R survival 3.5.3 (values pinned by tests/reference/
survival_reference.R in survival_r_values.json, with the exact calls and versions)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from coachstats.survival import competing_risks, cox, kaplan_meier

pytestmark = pytest.mark.reference

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "survival_r_values.json").read_text())
RTOL = 1e-6


def arr(x):
    return np.array([np.nan if v is None else v for v in x], dtype=float)


@pytest.fixture(scope="module")
def lung():
    d = pd.read_csv(REF / "survival_lung.csv")
    d["dead"] = (d["status"] == 2).astype(int)
    return d


@pytest.fixture(scope="module")
def lung_cc(lung):
    return lung.dropna(subset=["time", "status", "age", "sex", "ph.ecog", "inst"])


def test_provenance_is_pinned():
    assert R["provenance"]["survival"] == "3.5.3"
    assert "coxph" in R["lung_cox_efron_cluster"]["call"]


def test_cox_efron_cluster_matches_r(lung_cc):
    ref = R["lung_cox_efron_cluster"]
    fit = cox(lung_cc, "time", "dead", ["age", "sex", "ph.ecog"], cluster="inst")
    f = fit.to_frame()
    assert list(f["term"]) == ref["terms"]
    np.testing.assert_allclose(f["estimate"], ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(f["naive_std_error"], ref["se"], rtol=RTOL)
    np.testing.assert_allclose(f["std_error"], ref["robust_se"], rtol=RTOL)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], ref["loglik"], rtol=1e-9)
    assert fit.n == ref["n"] and fit.n_events == ref["nevent"]
    # the Wald interval uses the robust SE
    assert f["ci_high"].iloc[0] == pytest.approx(
        ref["coef"][0] + 1.959963984540054 * ref["robust_se"][0], rel=1e-6
    )


@pytest.mark.parametrize("i", range(4))
def test_cox_zph_matches_r(lung_cc, i):
    ref = R["lung_cox_efron_cluster"]["zph"][i]
    fit = cox(lung_cc, "time", "dead", ["age", "sex", "ph.ecog"], cluster="inst")
    t = fit.check_ph(transform=ref["transform"]).to_frame()
    np.testing.assert_allclose(t["chisq"], ref["chisq"], rtol=RTOL)
    np.testing.assert_allclose(t["p_value"], ref["p"], rtol=RTOL)
    np.testing.assert_allclose(t["rho"].iloc[:3], ref["rho"], rtol=1e-5)


def test_cox_breslow_and_robust_match_r(lung_cc):
    fb = cox(lung_cc, "time", "dead", ["age", "sex", "ph.ecog"], ties="breslow").to_frame()
    np.testing.assert_allclose(fb["estimate"], R["lung_cox_breslow"]["coef"], rtol=RTOL)
    np.testing.assert_allclose(fb["std_error"], R["lung_cox_breslow"]["se"], rtol=RTOL)
    fr = cox(lung_cc, "time", "dead", ["age", "sex", "ph.ecog"], robust=True).to_frame()
    np.testing.assert_allclose(fr["std_error"], R["lung_cox_robust"]["robust_se"], rtol=RTOL)


def test_cox_factor_and_strata_match_r():
    vet = pd.read_csv(REF / "survival_veteran.csv")
    ref = R["veteran_cox_factor"]
    f = cox(vet, "time", "status", ["trt", "karno", "celltype"]).to_frame()
    assert [t.replace("[", "").replace("]", "") for t in f["term"]] == ref["terms"]
    np.testing.assert_allclose(f["estimate"], ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(f["std_error"], ref["se"], rtol=RTOL)
    ref = R["veteran_cox_strata"]
    fit = cox(vet, "time", "status", ["trt", "karno", "age"], strata="celltype", cluster="prior")
    f = fit.to_frame()
    np.testing.assert_allclose(f["estimate"], ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(f["naive_std_error"], ref["se"], rtol=RTOL)
    np.testing.assert_allclose(f["std_error"], ref["robust_se"], rtol=RTOL)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], ref["loglik"], rtol=1e-9)
    z = fit.check_ph().to_frame()
    np.testing.assert_allclose(z["chisq"], ref["zph_chisq"], rtol=RTOL)
    np.testing.assert_allclose(z["rho"].iloc[:3], ref["zph_rho"], rtol=1e-5)


def test_cox_baseline_hazard_matches_r_basehaz(lung_cc):
    ref = R["lung_basehaz"]
    fit = cox(lung_cc, "time", "dead", ["age", "sex"])
    rt, rh = arr(ref["time"]), arr(ref["hazard"])
    # basehaz lists every distinct time; ours lists event times: compare there
    b = fit.baseline.set_index("time")["cumhaz"]
    np.testing.assert_allclose(b.to_numpy(), pd.Series(rh, index=rt).loc[b.index], rtol=RTOL)


def test_cox_coefficients_agree_with_statsmodels_phreg(lung_cc):
    # an independent implementation (statsmodels PHReg, Efron ties)
    x = lung_cc[["age", "sex", "ph.ecog"]].to_numpy(float)
    m = sm.PHReg(lung_cc["time"].to_numpy(float), x, status=lung_cc["dead"].to_numpy(),
                 ties="efron").fit()
    ours = cox(lung_cc, "time", "dead", ["age", "sex", "ph.ecog"]).to_frame()
    np.testing.assert_allclose(ours["estimate"], m.params, rtol=1e-5)
    np.testing.assert_allclose(ours["std_error"], m.bse, rtol=1e-4)


@pytest.mark.parametrize("i", range(3))
def test_kaplan_meier_matches_r_survfit(lung, i):
    ref = R["lung_km"][i]
    km = kaplan_meier(lung, "time", "dead", group="sex", ci=ref["conf_type"],
                      times=[100, 365, 730])
    s = km.steps
    # the default privacy threshold (min_group_size=5) keeps the steps with 5+ at risk
    keep = np.array(ref["n_risk"]) >= 5
    ref = {k: (list(np.array(v, dtype=object)[keep]) if isinstance(v, list)
               and len(v) == len(keep) else v) for k, v in ref.items()}
    np.testing.assert_array_equal(s["group"], ref["strata"])
    np.testing.assert_allclose(s["time"], ref["time"])
    np.testing.assert_array_equal(s["n_risk"], ref["n_risk"])
    np.testing.assert_array_equal(s["n_event"], ref["n_event"])
    np.testing.assert_array_equal(s["n_censor"], ref["n_censor"])
    np.testing.assert_allclose(s["survival"], ref["surv"], rtol=RTOL)
    np.testing.assert_allclose(s["std_error"] / s["survival"], arr(ref["std_err_log"]),
                               rtol=RTOL)
    np.testing.assert_allclose(s["ci_low"], arr(ref["lower"]), rtol=RTOL)
    np.testing.assert_allclose(s["ci_high"], arr(ref["upper"]), rtol=RTOL)
    m = km.medians
    np.testing.assert_allclose(m["median"], arr(ref["median"]))
    np.testing.assert_allclose(m["ci_low"], arr(ref["median_lower"]))
    np.testing.assert_allclose(m["ci_high"], arr(ref["median_upper"]))
    a = km.at_times.dropna(subset=["survival"])
    at = ref["at_times"]
    np.testing.assert_allclose(a["time"], at["time"])
    np.testing.assert_array_equal(a["n_risk"], at["n_risk"])
    np.testing.assert_allclose(a["survival"], at["surv"], rtol=RTOL)
    np.testing.assert_allclose(a["std_error"], at["std_err"], rtol=RTOL)
    np.testing.assert_allclose(a["ci_low"], at["lower"], rtol=RTOL)
    np.testing.assert_allclose(a["ci_high"], at["upper"], rtol=RTOL)


@pytest.mark.parametrize(
    ("key", "group", "cluster"),
    [("mgus2_aj", None, None), ("mgus2_aj_sex", "sex", None), ("mgus2_aj_cluster", None, "grp")],
)
def test_aalen_johansen_matches_r_multistate_survfit(key, group, cluster):
    ref = R[key]
    mg = pd.read_csv(REF / "survival_mgus2.csv").assign(grp=lambda d: d["id"] % 40)
    res = competing_risks(mg, "etime", "event", events=["pcm", "death"], censor="censor",
                          group=group, cluster=cluster)
    # the default privacy threshold (min_group_size=5) keeps the steps with 5+ at risk
    keep = np.array(ref["n_risk"]) >= 5
    ref = {k: (list(np.array(v, dtype=object)[keep]) if isinstance(v, list)
               and len(v) == len(keep) else v) for k, v in ref.items()}
    for ev in ("pcm", "death"):
        s = res.steps[res.steps["event"] == ev]
        np.testing.assert_allclose(s["time"], ref["time"])
        np.testing.assert_array_equal(s["n_risk"], ref["n_risk"])
        np.testing.assert_allclose(s["cif"], ref[ev], rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(s["std_error"], ref[f"{ev}_se"], rtol=RTOL, atol=1e-14)
        if cluster is None:
            np.testing.assert_allclose(s["ci_low"], arr(ref[f"{ev}_lower"]), rtol=RTOL)
            np.testing.assert_allclose(s["ci_high"], arr(ref[f"{ev}_upper"]), rtol=RTOL)
