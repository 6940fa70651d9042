"""decompose() against lme4 (pinned values) and statsmodels, and ICC(1)/ICC(2) by hand.

Pinned values: tests/reference/variance_lme4.json, written by tests/reference/variance_lme4.R
(lme4 1.1.31, R 4.2.2; the exact lmer call of each fit is stored with it).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

REF = Path(__file__).parent / "reference"
LME4 = json.loads((REF / "variance_lme4.json").read_text())

CASES = {
    # name: (csv, outcome, levels outer -> inner, ids, covariates, lme4 names outer -> inner)
    "dyestuff": ("variance_dyestuff.csv", "Yield", ["Batch"], "unique", None, ["Batch"]),
    "pastes": ("variance_pastes.csv", "strength", ["batch", "cask"], "within", None,
               ["batch", "cask:batch"]),
    "unbalanced3": ("variance_unbalanced3.csv", "y", ["division", "manager", "team"], "unique",
                    ["x"], ["division", "manager", "team"]),
}  # fmt: skip


@pytest.mark.reference
@pytest.mark.parametrize("method", ["reml", "ml"])
@pytest.mark.parametrize("case", list(CASES))
def test_variance_components_match_lme4(case, method):
    csv, outcome, levels, ids, covs, r_names = CASES[case]
    df = pd.read_csv(REF / csv)
    ref = LME4[f"{case}_{method}"]
    res = cs.variance.decompose(df, outcome, levels, method=method, ids=ids, covariates=covs,
                                n_boot=0)  # fmt: skip
    want = [ref["variances"][n] for n in r_names] + [ref["variances"]["Residual"]]
    np.testing.assert_allclose(res.variances, want, rtol=1e-5)
    # lme4's deviance (ML) / REML criterion at the optimum
    assert res.criterion == pytest.approx(ref["deviance_or_reml_criterion"], abs=1e-7)
    fixed = res.fixed.set_index("term")["estimate"]
    np.testing.assert_allclose(fixed.to_numpy(), list(ref["fixef"].values()), rtol=1e-6)


@pytest.mark.reference
def test_pastes_with_combined_ids_equals_within_ids():
    df = pd.read_csv(REF / "variance_pastes.csv")
    a = cs.variance.decompose(df, "strength", ["batch", "sample"], n_boot=0)
    b = cs.variance.decompose(df, "strength", ["batch", "cask"], ids="within", n_boot=0)
    np.testing.assert_allclose(a.variances, b.variances, rtol=1e-9)


@pytest.mark.reference
def test_agrees_with_statsmodels_mixedlm():
    """statsmodels' MixedLM (batch intercept + cask variance component) stops within ~5e-4
    of the optimum lme4 and decompose() reach, so the tolerance here is 1e-3."""
    import warnings

    import statsmodels.api as sm
    from statsmodels.regression.mixed_linear_model import VCSpec

    df = pd.read_csv(REF / "variance_pastes.csv")
    g = df["batch"].to_numpy()
    casks = pd.get_dummies(df["cask"]).to_numpy(float)
    batches = pd.unique(g)
    vc = VCSpec(["cask"], [[list("abc")] * len(batches)], [[casks[g == b] for b in batches]])
    one = np.ones((len(df), 1))
    for reml in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = sm.MixedLM(df["strength"].to_numpy(), one, groups=g, exog_re=one,
                           exog_vc=vc).fit(reml=reml, method="lbfgs")  # fmt: skip
        ours = cs.variance.decompose(df, "strength", ["batch", "cask"], ids="within",
                                     method="reml" if reml else "ml", n_boot=0).variances
        theirs = [float(r.cov_re.iloc[0, 0]) if hasattr(r.cov_re, "iloc") else
                  float(np.asarray(r.cov_re)[0, 0]), float(r.vcomp[0]), float(r.scale)]
        np.testing.assert_allclose(ours, theirs, rtol=1e-3)


def test_icc_one_way_anova_by_hand():
    # balanced: 3 groups of 3. Group means 3, 6, 9; grand mean 6.
    # SSB = 3 * (9 + 0 + 9) = 54, MSB = 27; SSW = 8 + 8 + 2 = 18, MSW = 18 / 6 = 3.
    # ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW) = 24 / 33; ICC(2) = (MSB - MSW) / MSB = 24 / 27.
    # REML on balanced data equals ANOVA: var_between = (MSB - MSW) / k = 8, residual = 3.
    df = pd.DataFrame({"g": list("aaabbbccc"), "y": [1, 3, 5, 4, 6, 8, 8, 9, 10]})
    res = cs.variance.decompose(df, "y", ["g"], n_boot=0)
    np.testing.assert_allclose(res.variances, [8.0, 3.0], rtol=1e-7)
    assert res.icc1["icc1"].item() == pytest.approx(24 / 33, rel=1e-7)
    assert res.icc2["icc2"].item() == pytest.approx(24 / 27, rel=1e-7)


@pytest.mark.reference
def test_boundary_estimate_of_zero_matches_lme4():
    # Dyestuff2: lme4 reports a singular fit with batch variance exactly 0
    df = pd.read_csv(REF / "variance_dyestuff2.csv")
    ref = LME4["dyestuff2_reml"]
    res = cs.variance.decompose(df, "Yield", ["Batch"], n_boot=200, rng=1)
    assert res.variances[0] == 0.0
    assert res.variances[1] == pytest.approx(ref["variances"]["Residual"], rel=1e-6)
    assert res.criterion == pytest.approx(ref["deviance_or_reml_criterion"], abs=1e-7)
    comp = res.components.set_index("level")
    assert comp.loc["Batch", "ci_low"] == 0.0 and comp.loc["Batch", "ci_high"] > 0
