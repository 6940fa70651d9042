"""effects.mediation against R lavaan 0.6 / lm, an independent product-of-normals
computation, and by simulation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

import coachstats as cs
from coachstats.effects import _recovery_claims as R
from coachstats.validate import recovery

REF = Path(__file__).parent / "reference"
J = json.loads((REF / "mediation_reference.json").read_text())
ARGS = ("coached", "coaching_behaviour", "engagement")


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "mediation_single.csv")


@pytest.mark.parametrize("cov,key", [(["experience"], "lavaan"), ([], "lavaan_no_covariates")])
def test_ml_equals_lavaan(data, cov, key):
    f = cs.effects.mediation(data, *ARGS, covariates=cov, se="ml", rng=1).to_frame()
    f = f.set_index("term")
    for term, ref in J[key].items():
        assert f.loc[term, "estimate"] == pytest.approx(ref["est"], rel=1e-6)
        assert f.loc[term, "std_error"] == pytest.approx(ref["se"], rel=1e-5)


def test_ols_equals_lm(data):
    before = data.copy()
    f = cs.effects.mediation(data, *ARGS, covariates=["experience"], rng=1).to_frame()
    f = f.set_index("term")
    for term, (est, se) in J["lm"].items():
        assert f.loc[term, "estimate"] == pytest.approx(est, rel=1e-8)
        assert f.loc[term, "std_error"] == pytest.approx(se, rel=1e-8)
    # total = direct + indirect exactly (same rows, OLS)
    assert f.loc["total", "estimate"] == pytest.approx(
        f.loc["direct", "estimate"] + f.loc["indirect", "estimate"], rel=1e-10)
    pd.testing.assert_frame_equal(data, before)


def _product_quantile(ma, sa, mb, sb, prob):
    """Quantile of a*b, a ~ N(ma, sa), b ~ N(mb, sb) independent, by numerical integration."""
    def cdf(q):
        def f(x):
            # P(x b <= q) for a = x
            if x == 0:
                return stats.norm.pdf(x, ma, sa) * (1.0 if q >= 0 else 0.0)
            p = stats.norm.cdf((q / x - mb) / sb)
            return stats.norm.pdf(x, ma, sa) * (p if x > 0 else 1 - p)
        lo, hi = ma - 10 * sa, ma + 10 * sa
        pts = [0.0] if lo < 0 < hi else None
        return integrate.quad(f, lo, hi, points=pts, limit=200)[0]
    return optimize.brentq(lambda q: cdf(q) - prob, -5, 5, xtol=1e-10)


def test_monte_carlo_interval_matches_product_distribution(data):
    res = cs.effects.mediation(data, *ARGS, covariates=["experience"], n_sims=200_000, rng=7)
    f = res.to_frame().set_index("term")
    a, sa = f.loc["a", ["estimate", "std_error"]]
    b, sb = f.loc["b", ["estimate", "std_error"]]
    lo = _product_quantile(a, sa, b, sb, 0.025)
    hi = _product_quantile(a, sa, b, sb, 0.975)
    assert f.loc["indirect", "ci_low"] == pytest.approx(lo, abs=0.002)
    assert f.loc["indirect", "ci_high"] == pytest.approx(hi, abs=0.002)
    # asymmetric around a*b, as the product distribution is skewed
    assert hi - a * b != pytest.approx(a * b - lo, abs=1e-3)


def test_sensitivity_identities(data):
    res = cs.effects.mediation(data, *ARGS, covariates=["experience"], rng=1)
    s = res.sensitivity([-0.5, 0.0, res.residual_corr, 0.5])
    v = s.curve["indirect"].to_numpy()
    assert v[1] == pytest.approx(res.indirect, rel=1e-10)      # rho = 0: the estimate
    assert v[2] == pytest.approx(0.0, abs=1e-12)                # rho_zero: no effect
    assert v[0] > v[1] > v[3]                                   # decreasing in rho
    assert s.plot() is not None
    with pytest.raises(ValueError, match="between -1 and 1"):
        res.sensitivity([1.0])


def test_bootstrap_reproducible_and_close_to_monte_carlo(data):
    a = cs.effects.mediation(data, *ARGS, method="Bootstrap", n_sims=2000, rng=5).to_frame()
    b = cs.effects.mediation(data, *ARGS, method="bootstrap", n_sims=2000, rng=5).to_frame()
    pd.testing.assert_frame_equal(a, b)
    mc = cs.effects.mediation(data, *ARGS, n_sims=20000, rng=5).to_frame()
    ia, im = a.set_index("term").loc["indirect"], mc.set_index("term").loc["indirect"]
    assert ia["ci_low"] == pytest.approx(im["ci_low"], abs=0.04)
    assert ia["ci_high"] == pytest.approx(im["ci_high"], abs=0.04)
    assert np.isfinite(a.set_index("term").loc["proportion_mediated", "ci_low"])


def test_cluster_221_and_input_errors():
    sim = cs.simulate.leader_mediation(40, team_size=6, rng=2)
    res = cs.effects.mediation(sim.data, *ARGS, cluster="manager", rng=1)
    assert res.n_clusters == 40
    means = sim.data.groupby("manager").agg(coached=("coached", "first"),
                                            coaching_behaviour=("coaching_behaviour", "first"),
                                            engagement=("engagement", "mean"))
    direct = cs.effects.mediation(means, *ARGS, rng=1)
    assert res.indirect == pytest.approx(direct.indirect, rel=1e-12)
    bad = sim.data.copy()
    bad.loc[bad.index[0], "coaching_behaviour"] += 1
    with pytest.raises(ValueError, match="'coaching_behaviour' varies within cluster"):
        cs.effects.mediation(bad, *ARGS, cluster="manager")
    with pytest.raises(ValueError, match="fewer than 8 rows"):
        cs.effects.mediation(sim.data, *ARGS, cluster="manager", min_group_size=8)
    with pytest.raises(ValueError, match="method"):
        cs.effects.mediation(sim.data, *ARGS, method="sobel")
    miss = sim.data.copy()
    miss.loc[miss.index[:3], "engagement"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        cs.effects.mediation(miss, *ARGS)
    assert cs.effects.mediation(miss, *ARGS, dropna=True, rng=1).n_dropped == 3
    assert "Sequential ignorability" in res.assumptions()[0]
    assert res.plot() is not None and "indirect" in res.summary()


def test_recovery_monte_carlo_fast():
    f = recovery(R.estimate_mediation_mc, R.generate_mediation, truth=R.MED_TRUTH, n_reps=60,
                 rng=4).to_frame().set_index("term")
    se_nominal = (0.95 * 0.05 / 60) ** 0.5  # MCSE of coverage at the nominal level
    for term in ("indirect", "direct", "total"):
        row = f.loc[term]
        assert abs(row["bias"]) < 3 * row["bias_mcse"] + 0.01
        assert abs(row["coverage"] - 0.95) < 3 * se_nominal + 0.01


def test_sensitivity_recovers_truth_under_confounding_fast():
    f = recovery(R.estimate_at_true_rho, R.generate_confounded, truth={"at_true_rho": 0.15},
                 n_reps=60, rng=9).to_frame().set_index("term")
    assert abs(f.loc["at_true_rho", "bias"]) < 3 * f.loc["at_true_rho", "bias_mcse"] + 0.005


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(R.CHECKS))
def test_mediation_recovery_full(name):
    c = R.CHECKS[name]
    f = recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=c.default_reps,
                 rng=2024).to_frame()
    for _, row in f.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_mcse"] + 0.005
        if np.isfinite(row["coverage"]):
            assert abs(row["coverage"] - 0.95) < 3 * row["coverage_mcse"] + 0.015
