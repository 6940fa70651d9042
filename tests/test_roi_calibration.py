"""Calibration of the Bayesian ROI model: SBC ranks and recovery coverage on roi_program.

Tolerances
----------
* SBC (Talts et al. 2018): for each of 8 quantities, a chi-square test of uniform ranks over
  equal bins must give p > 0.001 (family-wise false-alarm rate < 1%), and the mean
  normalised rank must lie within 4 standard errors (sqrt(1/12/N)) of 0.5.
* Recovery: 95% interval coverage must lie within 3 Monte Carlo SE of 0.95, bias within
  4 Monte Carlo SE of 0.
"""

import math
import warnings

import numpy as np
import pytest

import coachstats as cs
from coachstats.roi._recovery import CHECKS


def _check_sbc(res):
    f = res.to_frame()
    assert res.n_divergent <= 0.01 * res.n_datasets * 1000
    for _, r in f.iterrows():
        assert r["p_value"] > 0.001, (r["term"], r["p_value"])
        se = math.sqrt(1 / 12 / res.n_datasets)
        assert abs(r["mean_rank"] - 0.5) < 4 * se, (r["term"], r["mean_rank"])


def test_sbc_fast():
    res = cs.roi.sbc(60, n_participants=100, draws=250, tune=250, n_bins=5, rng=2018)
    assert res.n_datasets == 60 and res.n_draws_ranked == 99
    assert res.ranks.to_numpy().min() >= 0 and res.ranks.to_numpy().max() <= 99
    _check_sbc(res)
    ax = res.plot()
    assert ax.get_ylabel() == "ECDF - uniform"


def test_sbc_detects_an_inference_bug():
    # fit with the wrong denominator (twice the participants): the ranks of the share with a
    # benefit pile up at the top, so the same check must fail
    from coachstats.roi.bayesian import RoiPrior, fit_arrays
    from coachstats.roi.sbc import simulate_from_prior

    g = np.random.default_rng(1)
    ranks = []
    for _ in range(15):
        th, d = simulate_from_prior(RoiPrior(), 100, g)
        idata = fit_arrays(n_total=200, log_ratio=d["log_ratio"], attribution=d["attribution"],
                           confidence=d["confidence"], prior=RoiPrior(), draws=200, tune=200,
                           chains=2, target_accept=0.9, rng=g)
        draws = idata["posterior"]["share_with_benefit"].values.reshape(-1)
        ranks.append(np.mean(draws < th["share_with_benefit"]))
    assert np.mean(ranks) - 0.5 > 4 * math.sqrt(1 / 12 / 15)


@pytest.mark.slow
def test_sbc_full():
    res = cs.roi.sbc(500, n_participants=100, draws=500, tune=500, n_bins=20, rng=2018)
    _check_sbc(res)


def _check_recovery(rec):
    f = rec.to_frame().set_index("term")
    assert (f["n_failed"] == 0).all()
    for term, r in f.iterrows():
        assert abs(r["coverage"] - 0.95) <= 3 * max(r["coverage_mcse"], 0.02), (term, r)
        assert abs(r["bias"]) <= 4 * r["bias_mcse"], (term, r)


def test_recovery_fast():
    c = CHECKS["roi.bayesian"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = cs.validate.recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=30,
                                   rng=6)
    _check_recovery(rec)


@pytest.mark.slow
def test_recovery_full():
    c = CHECKS["roi.bayesian"]
    rec = cs.validate.recovery(c.estimate_fn, c.generate_fn, truth=c.truth, n_reps=400,
                               rng=6, n_jobs=2)
    _check_recovery(rec)
