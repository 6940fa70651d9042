"""Profile-likelihood intervals of variance-component SDs against lme4.

Pinned values: tests/reference/variance_profile.json, written by
tests/reference/variance_profile.R (lme4 1.1.31, R 4.2.2): exact roots of lme4's own ML
profile deviance (lme4:::devfun2), and confint(method = "profile")'s interpolated end points.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_variance_reference import CASES  # same data sets and lme4 names

import coachstats as cs

REF = Path(__file__).parent / "reference"
PROFILE = json.loads((REF / "variance_profile.json").read_text())



def _fit(case, method="reml"):
    csv, outcome, levels, ids, covs, _ = CASES[case]
    return cs.variance.decompose(pd.read_csv(REF / csv), outcome, levels, method=method,
                                 ids=ids, covariates=covs, n_boot=0)  # fmt: skip


@pytest.mark.reference
# the 80% intervals run the same profile code at another quantile: with the slow set
@pytest.mark.parametrize("level", ["0.95", pytest.param("0.8", marks=pytest.mark.slow)])
@pytest.mark.parametrize("case", list(CASES))
def test_profile_intervals_match_exact_lme4_profile(case, level):
    r_names = [*CASES[case][5], "residual"]
    ref = PROFILE[case]["intervals"][level]
    tab = _fit(case).profile_intervals(float(level)).to_frame()
    exact = ref["exact"]
    want_low = [exact[n]["sd_low"] for n in r_names]
    want_high = [exact[n]["sd_high"] for n in r_names]
    np.testing.assert_allclose(tab["ml_estimate"], [exact[n]["sd"] for n in r_names],
                               rtol=1e-6)
    np.testing.assert_allclose(tab["ci_low"], want_low, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(tab["ci_high"], want_high, rtol=1e-6)
    # lme4's confint() interpolates a profile grid with splines: agreement to its precision
    # (largest difference seen: 1.7e-3 relative, unbalanced3's manager SD at 80%)
    ci = ref["confint_profile_sd"]
    r_order = list(exact)  # the order lme4 reports its SDs in
    for n, lo, hi in zip(r_names, want_low, want_high, strict=True):
        lo_r, hi_r = ci[str(r_order.index(n) + 1)]
        assert lo == pytest.approx(lo_r, rel=5e-3, abs=1e-6)
        assert hi == pytest.approx(hi_r, rel=5e-3)
    assert (tab["ci_level"] == float(level)).all()


@pytest.mark.reference
def test_reml_and_ml_fits_give_the_same_profile_as_lme4_does():
    a = _fit("dyestuff", "reml").profile_intervals().to_frame()
    b = _fit("dyestuff", "ml").profile_intervals().to_frame()
    np.testing.assert_allclose(a[["ci_low", "ci_high"]], b[["ci_low", "ci_high"]], rtol=1e-9)
    # the estimate column is each fit's own; the profile's centre is the ML estimate
    assert a.loc[0, "estimate"] > a.loc[0, "ml_estimate"] == pytest.approx(b.loc[0, "estimate"])
    assert a["term"].tolist() == ["sd_Batch", "sd_residual"]
    np.testing.assert_allclose(a["variance_ci_high"], a["ci_high"] ** 2)


@pytest.mark.filterwarnings("ignore::UserWarning")  # a deliberately short posterior
def test_profile_needs_a_likelihood_fit():
    df = pd.read_csv(REF / "variance_dyestuff.csv")
    res = cs.variance.decompose(df, "Yield", ["Batch"], method="bayes", draws=100, tune=100,
                                chains=1, rng=1)
    with pytest.raises(ValueError, match="REML or ML fit"):
        res.profile_intervals()


@pytest.mark.slow  # a coverage study (about 45 s); the exact lme4 comparisons above stay fast
def test_profile_interval_coverage_on_simulated_teams():
    """60 simulated one-level studies (30 teams of 6, SD 0.6 and 1): the 95% profile
    intervals of both SDs cover the truth about 95% of the time. With 60 replicates the
    binomial SD of the coverage is 0.028; the test fails below 0.85 (3.6 SDs low)."""
    hits = np.zeros(2)
    reps = 60
    for seed in range(reps):
        g = np.random.default_rng(seed)
        team = np.repeat(np.arange(30), 6)
        y = g.normal(0, 0.6, 30)[team] + g.normal(0, 1.0, 180)
        res = cs.variance.decompose(pd.DataFrame({"team": team, "y": y}), "y", ["team"],
                                    n_boot=0)
        tab = res.profile_intervals().to_frame()
        truth = np.array([0.6, 1.0])
        hits += (tab["ci_low"].to_numpy() <= truth) & (truth <= tab["ci_high"].to_numpy())
    assert (hits / reps >= 0.85).all(), hits / reps


@pytest.mark.slow
def test_profile_interval_coverage_full():
    """400 studies of 30 teams of 6 (SDs 0.6 and 1): coverage within 3 Monte Carlo SEs
    of 0.95 for both SDs."""
    reps = 400
    hits = np.zeros(2)
    for seed in range(reps):
        g = np.random.default_rng(10_000 + seed)
        team = np.repeat(np.arange(30), 6)
        y = g.normal(0, 0.6, 30)[team] + g.normal(0, 1.0, 180)
        tab = cs.variance.decompose(pd.DataFrame({"team": team, "y": y}), "y", ["team"],
                                    n_boot=0).profile_intervals().to_frame()
        truth = np.array([0.6, 1.0])
        hits += (tab["ci_low"].to_numpy() <= truth) & (truth <= tab["ci_high"].to_numpy())
    cov = hits / reps
    mcse = np.sqrt(0.95 * 0.05 / reps)
    print(f"profile coverage: team SD {cov[0]:.3f}, residual SD {cov[1]:.3f} (MCSE {mcse:.3f})")
    assert (np.abs(cov - 0.95) <= 3 * mcse).all(), cov


def test_profile_result_verbs():
    import matplotlib.pyplot as plt

    res = _fit("pastes").profile_intervals(0.9)
    assert isinstance(res, cs.variance.ProfileIntervals)
    frame = res.to_frame()
    assert list(frame.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                       "ci_level"]
    assert frame["ci_level"].eq(0.9).all() and "90%" in res.notes[0]
    assert "sd_batch" in res.summary() and "<table" in res._repr_html_()
    _fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["batch", "cask", "residual"]
    assert ax.get_xlim()[0] == 0
