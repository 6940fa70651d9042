"""Effect-size constructors, subgroups, the three-level model, CR2 and RVE against R.

Reference values: tests/reference/meta_smd_multilevel.json, made by
tests/reference/meta_smd_multilevel.R (metafor escalc/rma/rma.mv/confint, clubSandwich
coef_test CR2 + Satterthwaite, robumeta robu CORR small = TRUE; versions in the JSON).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "meta_smd_multilevel.json").read_text())
RTOL = 1e-6


def close(a, b, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=1e-10)


@pytest.fixture(scope="module")
def normand():
    return pd.read_csv(REF / "meta_data_normand1999.csv")


def test_provenance():
    assert R["provenance"]["metafor"] and R["provenance"]["clubSandwich"]
    assert R["provenance"]["robumeta"]


def test_smd_escalc_yi_vi(normand):
    res = cs.meta.smd(normand, "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", study="source")
    close(res.data.yi, R["smd_escalc"]["yi"])
    close(res.data.vi, R["smd_escalc"]["vi"])


@pytest.mark.parametrize("key", list(R["smd_rma"]))
def test_smd_rma(normand, key):
    method, test = key.split("/")
    res = cs.meta.smd(normand, "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", method=method,
                      test=test)
    ref = R["smd_rma"][key]
    close([res.estimate, res.std_error, res.ci_low, res.ci_high, res.p_value, res.tau2,
           res.i2, res.q, res.pi_low, res.pi_high],
          [ref["beta"], ref["se"], ref["ci_lb"], ref["ci_ub"], ref["pval"], ref["tau2"],
           ref["I2"], ref["QE"], ref["pi_lb"], ref["pi_ub"]])
    h = res.heterogeneity_ci().set_index("term")
    close([h.loc["tau2", "ci_low"], h.loc["tau2", "ci_high"]], ref["tau2_ci"], rtol=1e-5)


@pytest.mark.parametrize("measure", ["SMCR", "SMCC"])
def test_prepost_escalc_and_rma(measure):
    pp = pd.read_csv(REF / "meta_data_prepost.csv")
    res = cs.meta.smd(pp, "m_post", "sd_post", "n", "m_pre", "sd_pre", measure=measure.lower(),
                      r="ri")
    ref = R[measure.lower()]
    close(res.data.yi, ref["yi"])
    close(res.data.vi, ref["vi"])
    close([res.estimate, res.std_error, res.tau2], [ref["rma"]["beta"], ref["rma"]["se"],
                                                    ref["rma"]["tau2"]])


@pytest.fixture(scope="module")
def bangert():
    b = pd.read_csv(REF / "meta_data_bangertdrowns2004.csv")
    b["grade"] = b["grade"].astype(str)
    return cs.meta.effects(b, "yi", "vi", moderators="grade", measure="SMD")


def test_subgroups_separate_tau2(bangert):
    sg = bangert.subgroups("separate")
    ref = R["subgroup"]
    close(sg.q_between, ref["separate_QM"])
    close(sg.p_value, ref["separate_QMp"])
    t = sg.table.set_index("term")
    for g, r in ref["separate"].items():
        close([t.loc[g, "estimate"], t.loc[g, "std_error"], t.loc[g, "tau2"], t.loc[g, "k"]],
              [r["beta"], r["se"], r["tau2"], r["k"]])
    assert "q_between (grade)" in sg.to_frame()["term"].tolist()


def test_subgroups_common_tau2(bangert):
    sg = bangert.subgroups("common")
    ref = R["subgroup"]
    close(sg.q_between, ref["common"]["QM"])
    close(sg.p_value, ref["common"]["QMp"])
    close(sg.table["estimate"], ref["common_means"]["beta"])
    close(sg.table["std_error"], ref["common_means"]["se"])
    close(sg.table["tau2"].iloc[0], ref["common_means"]["tau2"])


@pytest.fixture(scope="module")
def konst():
    k = pd.read_csv(REF / "meta_data_konstantopoulos2011.csv")
    k["y80"] = k["year"] - 1980
    return k


@pytest.mark.parametrize("key", ["REML", "ML", "REML_year"])
def test_three_level_against_rma_mv(konst, key):
    res = cs.meta.multilevel(konst, "yi", "vi", levels=["district", "school"],
                             method=key.split("_")[0],
                             moderators="y80" if key.endswith("year") else None)
    ref = R["three_level"][key]
    c = res.coefficients
    close(c["estimate"], ref["beta"])
    close(c["std_error"], ref["se"])
    close(c["p_value"], ref["pval"], rtol=1e-5)
    close(res.sigma2, ref["sigma2"])
    close(res.ll, ref["ll"])
    close(res.q, ref["QE"])
    close(res.i2_levels, ref["I2_levels"], rtol=1e-5)
    if ref["pi_lb"] is not None:
        close([res.pi_low, res.pi_high], [ref["pi_lb"], ref["pi_ub"]])
    vc = res.variance_components()
    close(vc[["ci_low", "ci_high"]].to_numpy(), [ref["sigma2_1_ci"], ref["sigma2_2_ci"]],
          rtol=1e-5)


@pytest.mark.parametrize("key", ["REML", "REML_year"])
def test_cr2_against_clubsandwich(konst, key):
    res = cs.meta.multilevel(konst, "yi", "vi", levels=["district", "school"],
                             moderators="y80" if key.endswith("year") else None)
    rob = res.robust(cluster="district").to_frame()
    ref = R["cr2"][key]
    close(rob["std_error"], ref["se"])
    close(rob["statistic"], ref["tstat"])
    close(rob["df"], ref["df"])
    close(rob["p_value"], ref["p"])


def test_cr0_against_clubsandwich(konst):
    res = cs.meta.multilevel(konst, "yi", "vi", levels=["district", "school"])
    close(res.robust(small_sample="cr0").to_frame()["std_error"], R["cr2"]["REML_CR0"]["se"])


@pytest.mark.parametrize("rho", [0.8, 0.5])
@pytest.mark.parametrize("which", ["intercept", "mods"])
def test_rve_against_robumeta(rho, which):
    c = pd.read_csv(REF / "meta_data_corrdat.csv")
    mods = ["males", "college", "binge"] if which == "mods" else None
    res = cs.meta.rve(c, "effectsize", "var", "studyid", rho=rho, moderators=mods)
    ref = R["robu"][f"rho{rho}"][which]
    t = res.table
    close(t["estimate"], ref["b"])
    close(t["std_error"], ref["se"])
    close(t["df"], ref["df"])
    close(t["p_value"], ref["p"])
    close(t["ci_low"], ref["ci_lb"])
    close(res.tau2, ref["tau2"][0][0])
    close(res.i2, ref["I2"][0][0])
