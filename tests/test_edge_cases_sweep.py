"""The +-inf sweep over every public estimator that takes a DataFrame (the survival, DiD and
variance estimators have their own cases in ``test_edge_cases.py``): one non-finite value in
an analysed column is refused with a ValueError naming the column, never a NumPy error, a
RuntimeWarning or a silent NaN. Bayesian estimators refuse before sampling."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

import coachstats as cs


@cache
def _data(name: str) -> pd.DataFrame:
    sim = {
        "selection": lambda: cs.simulate.selection_into_coaching(n_leaders=200, rng=1),
        "arms": lambda: cs.simulate.program_arms(rng=1),
        "mediation": lambda: cs.simulate.leader_mediation(60, team_size=4, rng=1),
        "meta_r": lambda: cs.simulate.meta_correlations(k=12, rng=1),
        "meta_d": lambda: cs.simulate.meta_effects(k_studies=10, rng=1),
        "roi": lambda: cs.simulate.roi_program(rng=1),
        "series": lambda: cs.simulate.engagement_series(rng=1),
    }[name]()
    return sim.data


def _focal() -> pd.DataFrame:
    d = _data("series")
    return d[d["unit"] == "focal"].reset_index(drop=True)


SEL = ("coached", "performance", ["potential", "tenure"])
MED = ("coached", "coaching_behaviour", "engagement")

#: estimator name -> (data, call, column to poison)
CASES: dict[str, tuple[Callable[[], pd.DataFrame], Callable[[pd.DataFrame], Any], str]] = {
    "effects.group_difference": (lambda: _data("selection"),
                                 lambda d: cs.effects.group_difference(d, "performance",
                                                                       "coached"), "performance"),
    "effects.independent_d": (lambda: _data("selection"),
                              lambda d: cs.effects.independent_d(d, "performance", "coached"),
                              "performance"),
    "effects.arm_contrasts": (lambda: _data("arms"),
                              lambda d: cs.effects.arm_contrasts(d, "change_360", "arm",
                                                                 reference="none"),
                              "change_360"),
    "effects.factorial": (lambda: _data("arms"),
                          lambda d: cs.effects.factorial(d, "change_360",
                                                         ["coaching", "mentoring"]),
                          "change_360"),
    "effects.mediation": (lambda: _data("mediation"),
                          lambda d: cs.effects.mediation(d, *MED, cluster="manager", rng=1),
                          "engagement"),
    "effects.multilevel_mediation": (lambda: _data("mediation"),
                                     lambda d: cs.effects.multilevel_mediation(
                                         d, *MED, cluster="manager", draws=50, tune=50,
                                         chains=1, rng=1), "coaching_behaviour"),
    "causal.propensity": (lambda: _data("selection"),
                          lambda d: cs.causal.propensity(d, "coached", ["potential", "tenure"]),
                          "potential"),
    "causal.balance": (lambda: _data("selection"),
                       lambda d: cs.causal.balance(d, "coached", ["potential", "tenure"]),
                       "tenure"),
    "causal.weighting": (lambda: _data("selection"),
                         lambda d: cs.causal.weighting(d, *SEL), "performance"),
    "causal.matching": (lambda: _data("selection"),
                        lambda d: cs.causal.matching(d, *SEL, replace=True), "performance"),
    "causal.aipw": (lambda: _data("selection"), lambda d: cs.causal.aipw(d, *SEL),
                    "performance"),
    "meta.correlations": (lambda: _data("meta_r"), lambda d: cs.meta.correlations(d), "r"),
    "meta.hunter_schmidt": (lambda: _data("meta_r"), lambda d: cs.meta.hunter_schmidt(d), "r"),
    "meta.effects": (lambda: _data("meta_d"), lambda d: cs.meta.effects(d), "yi"),
    "meta.multilevel": (lambda: _data("meta_d"),
                        lambda d: cs.meta.multilevel(d, levels=["study", "effect"]), "vi"),
    "meta.rve": (lambda: _data("meta_d"), lambda d: cs.meta.rve(d, cluster="study"), "yi"),
    "meta.smd": (lambda: _data("meta_d").dropna(subset=["m1", "sd1", "n1", "m2", "sd2", "n2"]),
                 lambda d: cs.meta.smd(d, "m1", "sd1", "n1", "m2", "sd2", "n2"), "m1"),
    "roi.phillips": (lambda: _data("roi"),
                     lambda d: cs.roi.phillips(d, benefit="benefit", cost="cost"), "benefit"),
    "timeseries.interrupted": (_focal,
                               lambda d: cs.timeseries.interrupted(d, "engagement", "wave",
                                                                   intervention=13),
                               "engagement"),
    "timeseries.structural": (_focal,
                              lambda d: cs.timeseries.structural(
                                  d, "engagement", "wave", intervention=13, draws=50, tune=50,
                                  chains=1, rng=1), "engagement"),
    "timeseries.synthetic_control": (lambda: _data("series"),
                                     lambda d: cs.timeseries.synthetic_control(
                                         d, "engagement", "unit", "wave", treated="focal",
                                         intervention=13, inference="none"), "engagement"),
}


@pytest.mark.parametrize("value", [np.inf, -np.inf], ids=["+inf", "-inf"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_non_finite_value_is_refused_naming_the_column(name: str, value: float) -> None:
    make, call, column = CASES[name]
    data = make().copy()
    data[column] = data[column].astype(float)
    data.loc[data.index[3], column] = value
    before = data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=column):
            call(data)
    pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize("name", ["causal.balance", "effects.multilevel_mediation",
                                  "effects.group_difference", "causal.propensity"])
def test_a_column_that_never_varies_is_refused_naming_it(name: str) -> None:
    make, call, column = CASES[name]
    data = make().copy()
    data[column] = float(data[column].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=rf"{column}|zero variance|collinear"):
            call(data)


def test_balance_of_a_term_constant_among_the_comparison_people_has_no_variance_ratio() -> None:
    data = _data("selection").copy()
    data.loc[data["coached"] == 0, "tenure"] = 5.0
    tab = cs.causal.balance(data, "coached", ["potential", "tenure"]).table.set_index("term")
    assert np.isnan(tab.loc["tenure", "var_ratio_before"])
    assert np.isfinite(tab.loc["potential", "var_ratio_before"])
