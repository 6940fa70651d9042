"""Abadie & Imbens (2016) adjustment of the matching-ATT variance for an estimated score.

The vectorised implementation is checked against a plain loop over people written from the
formulas in the paper (Theorem 2 and its estimator), and the adjusted SE is checked for what
it must do: be used by default with replacement, be skipped where it does not apply, and
(in the recovery check ``causal_matching_att``) give 95% coverage."""

from __future__ import annotations

import numpy as np
import pytest

from coachstats import causal
from coachstats.causal.matching import (
    abadie_imbens_se,
    estimated_score_adjustment,
    nearest_neighbour,
)
from coachstats.causal.propensity import fit_design
from coachstats.simulate import selection_into_coaching

COLS = {"treatment": "coached", "outcome": "performance",
        "covariates": ["potential", "tenure", "prior_rating", "unit"]}


def _loop_adjustment(y, t, X, p, x, mm, att):
    n, k = X.shape
    f = p * (1 - p)
    info = sum(f[i] * np.outer(X[i], X[i]) for i in range(n)) / n

    def nearest(i, arm, m):
        cands = [j for j in range(n) if t[j] == arm]
        cands.sort(key=lambda j: (abs(x[j] - x[i]), x[j]))
        return cands[:m]

    c = np.zeros(k)
    for i in range(n):
        for arm in (1, 0):
            nb = nearest(i, arm, 2)
            xm, ym = X[nb].mean(axis=0), y[nb].mean()
            cov = sum((X[j] - xm) * (y[j] - ym) for j in nb)  # (L - 1) = 1
            c += f[i] * (1.0 if arm == 1 else p[i] / (1 - p[i])) * cov
    n1 = int(t.sum())
    c /= n1
    treated = list(np.flatnonzero(t == 1))
    d = np.zeros(k)
    for i in range(n):
        if t[i] == 1:
            row = mm[treated.index(i)]
            y1, y0 = y[i], y[row[row >= 0]].mean()
        else:
            y1, y0 = np.mean([y[j] for j in nearest(i, 1, mm.shape[1])]), y[i]
        d += X[i] * f[i] * (y1 - y0 - att)
    d /= n1
    inv = np.linalg.inv(info)
    return (d @ inv @ d - c @ inv @ c) / n


@pytest.fixture(scope="module")
def small():
    from coachstats.causal._common import effect_design
    sim = selection_into_coaching(n_leaders=160, rng=11)
    d = effect_design(sim.data, **COLS, cluster=None, reference=None, dropna=False,
                      min_group_size=5)
    ps = fit_design(d, "coached")
    return sim, d, ps


@pytest.mark.parametrize("ratio", [1, 2])
def test_adjustment_equals_a_loop_over_people(small, ratio):
    _, d, ps = small
    t = d.treat
    x = ps.linear_predictor.to_numpy()
    p = ps.ps.to_numpy()
    y = d.frame["performance"].to_numpy(float)
    mm = nearest_neighbour(x, t, ratio=ratio, replace=True)
    att = float(np.mean([y[i] - y[r].mean() for i, r in zip(np.flatnonzero(t == 1), mm,
                                                                  strict=True)]))
    got = estimated_score_adjustment(y, t, d.X, p, x, mm, att)
    want = _loop_adjustment(y, t, d.X, p, x, mm, att)
    assert got == pytest.approx(want, rel=1e-10)
    assert got != 0


def test_default_se_is_adjusted_and_named(small):
    sim = small[0]
    adj = causal.matching(sim.data, **COLS, replace=True)
    raw = causal.matching(sim.data, **COLS, replace=True, score_adjustment=False)
    assert adj.estimate == raw.estimate
    assert adj.std_error != raw.std_error
    assert "Abadie & Imbens 2016" in adj.se_method
    assert "treated as known" in raw.se_method
    # the sample ATT is conditional on the covariates: the score adds nothing there
    samp = causal.matching(sim.data, **COLS, replace=True, target="sample")
    t = samp.propensity.design.treat
    mm = nearest_neighbour(samp.propensity.linear_predictor.to_numpy(), t, replace=True)
    y = samp.propensity.design.frame["performance"].to_numpy(float)
    assert samp.std_error == pytest.approx(abadie_imbens_se(
        y, t, mm, samp.propensity.linear_predictor.to_numpy(), target="sample"), rel=1e-12)


def test_adjustment_skipped_with_exact_strata(small):
    sim = small[0]
    a = causal.matching(sim.data, "coached", "performance", ["potential", "tenure"],
                        replace=True, exact="unit")
    assert "treated as known" in a.se_method


def test_target_must_be_known(small):
    with pytest.raises(ValueError, match="target"):
        causal.matching(small[0].data, **COLS, replace=True, target="superpopulation")
