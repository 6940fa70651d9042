"""The meta_correlations generator: reproducible, faithful to its truth, strict on input."""

import numpy as np
import pandas as pd
import pytest

from coachstats.simulate import meta_correlations


def test_same_seed_same_data_and_different_seed_differs():
    a = meta_correlations(rng=7)
    b = meta_correlations(rng=7)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.truth == b.truth
    c = meta_correlations(rng=8)
    assert not a.data["r"].equals(c.data["r"])


def test_defaults_resemble_the_eq_meta_analysis():
    sim = meta_correlations(rng=20180226)
    d = sim.data
    assert list(d.columns) == ["study", "n", "r", "rxx", "ryy", "u", "rater", "year"]
    assert len(d) == 110 and sim.truth.k == 110
    assert d["n"].min() >= 20 and d["r"].between(-1, 1).all()
    # expected total N = 110 * 170 * exp(0.87**2 / 2) ~ 27,300; the draw is within +-15%
    assert 0.85 * 27_330 < sim.truth.n_total < 1.15 * 27_330
    assert sim.truth.rho == 0.39 and sim.truth.rho_obs == pytest.approx(0.39, abs=1e-6)


def test_large_sample_attenuation_shrinks_by_sqrt_reliabilities():
    rxx, ryy = 0.8, 0.7
    sim = meta_correlations(k=4000, rho=0.4, tau=0.05, rxx=rxx, ryy=ryy, n_median=3000, rng=3)
    r = sim.data["r"].to_numpy()
    expect = 0.4 * np.sqrt(rxx * ryy)
    assert sim.truth.rho_obs == pytest.approx(expect, rel=1e-3)  # clipping is negligible here
    se = r.std(ddof=1) / np.sqrt(len(r))
    assert abs(r.mean() - expect) < 4 * se
    assert sim.truth.tau_obs == pytest.approx(0.05 * np.sqrt(rxx * ryy), rel=2e-3)


def test_range_restriction_and_fisher_z_truth_match_large_samples():
    sim = meta_correlations(k=3000, rho=0.5, tau=0.08, u=0.6, reliability_spread=0.0,
                            n_median=5000, rng=4)
    z = np.arctanh(sim.data["r"].to_numpy())
    assert abs(z.mean() - sim.truth.mu_z) < 4 * z.std(ddof=1) / np.sqrt(len(z))
    # Thorndike Case II at the mean is close to (not exactly) the mean restricted rho
    c = 0.5
    assert sim.truth.rho_obs == pytest.approx(0.6 * c / np.sqrt(0.36 * c**2 + 1 - c**2), abs=0.01)


def test_sampling_distribution_of_r_is_exact():
    # tau = 0: Var(atanh r) ~ 1/(n - 3) for bivariate-normal samples
    sim = meta_correlations(k=6000, rho=0.3, tau=0.0, n_median=40, n_sdlog=0.0, rng=5)
    z = np.arctanh(sim.data["r"].to_numpy())
    assert z.var(ddof=1) == pytest.approx(1 / 37, rel=0.06)


def test_publication_selection_inflates_and_counts_suppressed():
    base = meta_correlations(k=400, rho=0.1, tau=0.05, n_median=60, rng=6)
    sel = meta_correlations(k=400, rho=0.1, tau=0.05, n_median=60, selection=0.9, rng=6)
    assert sel.truth.n_suppressed > 100 and base.truth.n_suppressed == 0
    assert sel.data["r"].mean() > base.data["r"].mean() + 0.03
    assert sel.truth.rho_obs == base.truth.rho_obs  # the truth is the unselected population


def test_moderator_shifts_self_rated_studies():
    sim = meta_correlations(k=3000, moderator_effect=0.2, n_median=2000, rng=9)
    means = sim.data.groupby("rater")["r"].mean()
    assert means["self"] - means["other"] == pytest.approx(0.2, abs=0.02)
    assert sim.truth.tau_total > sim.truth.tau


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"k": 1}, "k"),
        ({"k": 2.5}, "k"),
        ({"rho": 1.0}, "rho"),
        ({"tau": -0.1}, "tau"),
        ({"rxx": 0.0}, "rxx"),
        ({"ryy": 1.2}, "ryy"),
        ({"u": 1.5}, "u"),
        ({"selection": 1.0}, "selection"),
        ({"n_min": 3}, "n_min"),
        ({"rxx": 0.95, "reliability_spread": 0.1}, "reliability_spread"),
        ({"n_median": 0}, "n_median"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        meta_correlations(**kwargs)
