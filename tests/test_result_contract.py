"""The contract between results and reports, checked on every public result class.

Every class in ``__all__`` of every public module that subclasses
:class:`coachstats.results.Result` gets one real instance from a tiny real fit (the
``FACTORIES`` registry below; a class missing from it fails the test), and each instance is
checked for the members a report calls: their presence, their types, the leading
``to_frame()`` columns, snake_case column names with ``p_value`` as the one p-value name,
``summary()``, ``plot()`` (where the class draws) and frozenness.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats import simulate as sim
from coachstats.interpret import Interpretation
from coachstats.privacy import Suppression
from coachstats.results import FRAME_COLUMNS, Caution, Result

matplotlib.use("Agg")

#: tiny Bayesian fits: enough draws to be real, few enough to be fast
FAST = {"draws": 50, "tune": 50, "chains": 1}


def _public_result_classes() -> dict[str, type[Result]]:
    out: dict[str, type[Result]] = {}
    for m in cs._SUBMODULES:
        mod = importlib.import_module(f"coachstats.{m}")
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name, None)
            if inspect.isclass(obj) and issubclass(obj, Result) and obj is not Result:
                out.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return out


CLASSES = _public_result_classes()


# --------------------------------------------------------------------------- tiny fits
@cache
def _panel() -> pd.DataFrame:
    # 24 managers: every cohort holds at least 5 teams (the privacy threshold)
    return sim.engagement_panel(n_managers=24, periods=6, cohorts=(3, 4), rng=1).data


@cache
def _team_panel() -> pd.DataFrame:
    return cs.did.aggregate_panel(_panel(), "engagement", "team", "quarter",
                                  keep=["coached_from", "manager"])


@cache
def _staggered() -> Any:
    return cs.did.staggered(_team_panel(), "engagement", "team", "quarter", "coached_from")


@cache
def _meta() -> Any:
    return cs.meta.correlations(sim.meta_correlations(k=8, rng=1).data)


@cache
def _meta_bayes() -> Any:
    d = sim.meta_correlations(k=8, rng=1).data
    d.loc[0, "r"] = np.nan  # one study without a correlation: dropped and counted
    return cs.meta.bayesian(d, **FAST, rng=1, dropna=True)


@cache
def _meta_effects() -> pd.DataFrame:
    return sim.meta_effects(k_studies=6, rng=1).data


@cache
def _multilevel() -> Any:
    return cs.meta.multilevel(_meta_effects(), "yi", "vi", levels=["study", "effect"])


@cache
def _competing_data() -> pd.DataFrame:
    return sim.retention(n_employees=150, n_managers=20, rng=1).data


@cache
def _retention() -> pd.DataFrame:
    d = _competing_data()
    return d.assign(exit=(d["event"] == "exit").astype(int))


@cache
def _cox() -> Any:
    return cs.survival.cox(_retention(), "months", "exit", ["coached"])


@cache
def _selection() -> pd.DataFrame:
    return sim.selection_into_coaching(n_leaders=160, rng=1).data


COVS = ["potential", "tenure", "prior_rating"]


@cache
def _weighting() -> Any:
    return cs.causal.weighting(_selection(), "coached", "performance", COVS)


@cache
def _mediation() -> Any:
    d = sim.leader_mediation(n_managers=30, rng=1).data
    return cs.effects.mediation(d, "coached", "coaching_behaviour", "engagement", n_sims=200,
                                rng=1)


@cache
def _series() -> pd.DataFrame:
    return sim.engagement_series(rng=1).data


@cache
def _roi_bayes() -> Any:
    d = sim.roi_program(n=40, rng=1).data
    return cs.roi.bayesian(d, benefit="benefit", cost="cost", attribution="attribution",
                           confidence="confidence", **FAST, rng=1)


@cache
def _variance() -> Any:
    d = _panel()
    d = d.loc[d["quarter"] == d["quarter"].min()]  # one answer per person
    return cs.variance.decompose(d, "engagement", ["manager", "team"], n_boot=0)


def _did_bayes() -> Any:
    return cs.did.bayesian(_team_panel(), "engagement", "team", "quarter", "coached_from",
                           levels=["manager"], **FAST, rng=1)


def _power_sim() -> Any:
    def gen(n: int, effect: float, rng: Any) -> pd.DataFrame:
        g = np.repeat([0, 1], n)
        return pd.DataFrame({"g": g, "y": rng.normal(effect * g, 1.0)})

    def est(d: pd.DataFrame) -> pd.DataFrame:
        return cs.effects.independent_d(d, "y", "g").to_frame()

    return cs.power.simulate(gen, est, grid={"n": [10]}, fixed={"effect": 0.5}, n_reps=5,
                             rng=1)


def _recovery() -> Any:
    def gen(rng: Any) -> Any:
        return sim.SimulatedData(pd.DataFrame({"y": rng.normal(0.3, 1.0, 20)}), {"mu": 0.3},
                                 {"n": 20})

    def est(d: pd.DataFrame) -> pd.DataFrame:
        y = d["y"]
        se = y.std(ddof=1) / np.sqrt(len(y))
        return pd.DataFrame({"term": ["mu"], "estimate": [y.mean()], "std_error": [se],
                             "ci_low": [y.mean() - 1.96 * se], "ci_high": [y.mean() + 1.96 * se],
                             "ci_level": [0.95]})

    return cs.validate.recovery(est, gen, truth={"mu": 0.3}, n_reps=5, rng=1)


def _rater() -> Any:
    d = sim.pre_post_360(n_leaders=12, rng=1).data
    return cs.effects.rater_agreement(d, leader="leader", rater_group="rater_group",
                                      rating="rating", time="time", rater="rater")


def _long_pre_post() -> Any:
    d = pd.DataFrame({"who": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6],
                      "wave": ["pre", "post"] * 5 + ["pre"],
                      "score": [3.0, 3.5, 2.5, 3.2, 4.0, 4.1, 3.1, 3.9, 2.9, 3.0, 3.3]})
    return cs.effects.repeated_measures_d(d, person="who", time="wave", outcome="score",
                                          dropna=True)


def _reliable_change() -> Any:
    rng = np.random.default_rng(1)
    pre = rng.normal(3, 0.5, 30)
    d = pd.DataFrame({"pre": pre, "post": pre + rng.normal(0.3, 0.3, 30)})
    return cs.effects.reliable_change(d, "pre", "post", reliability=0.8)


def _scale() -> Any:
    rng = np.random.default_rng(1)
    d = pd.DataFrame(rng.integers(1, 6, size=(30, 3)), columns=["a", "b", "c"])
    return cs.prepare.scale(d, ["a", "b", "c"])


def _pairs() -> Any:
    d = pd.DataFrame({"who": [1, 1, 2, 2, 3], "wave": ["pre", "post", "pre", "post", "pre"],
                      "score": [3.0, 3.5, 2.5, 3.2, 4.0]})
    return cs.prepare.pairs(d, "who", "wave", "score")


def _agreement() -> Any:
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"team": np.repeat(list("ABCD"), 6),
                      "q1": rng.integers(3, 6, 24), "q2": rng.integers(3, 6, 24)})
    return cs.variance.agreement(d, ["q1", "q2"], "team", scale=(1, 5))


def _synthetic() -> Any:
    s = _series()
    return cs.timeseries.synthetic_control(s, "engagement", "unit", "wave",
                                           treated=s.loc[s["treated"] == 1, "unit"].iloc[0],
                                           intervention=13)


def _interrupted() -> Any:
    s = _series()
    one = s.loc[s["treated"] == 1]
    return cs.timeseries.interrupted(one, "engagement", "wave", intervention=13)


def _structural() -> Any:
    s = _series()
    one = s.loc[s["treated"] == 1]
    return cs.timeseries.structural(one, "engagement", "wave", intervention=13, **FAST, rng=1)


FACTORIES: dict[str, Callable[[], Any]] = {
    "Diagnostics": lambda: _meta_bayes().diagnostics,
    "BalanceResult": lambda: cs.causal.balance(_selection(), "coached", COVS),
    "CausalEffectResult": _weighting,
    "EValueResult": lambda: cs.causal.evalue(1.5, 1.2, 1.9),
    "MatchingResult": lambda: cs.causal.matching(_selection(), "coached", "performance", COVS),
    "PropensityResult": lambda: cs.causal.propensity(_selection(), "coached", COVS),
    "RobustnessValueResult": lambda: cs.causal.robustness_value(2.5, 100),
    "causal.results.SensitivityResult": lambda: _weighting().sensitivity(),
    "AggregateResult": lambda: _staggered().aggregate("dynamic"),
    "BaconResult": lambda: cs.did.bacon_decomposition(_team_panel(), "engagement", "team",
                                                      "quarter", "coached_from"),
    "BayesianDiDResult": _did_bayes,
    "EventStudyResult": lambda: cs.did.event_study(_team_panel(), "engagement", "team",
                                                   "quarter", "coached_from", window=(-2, 2)),
    "PretrendTest": lambda: _staggered().pretrend_test(),
    "StaggeredArmsResult": lambda: cs.did.staggered_arms(
        sim.arms_rollout(n_units=150, rng=1).data, "engagement", "team", "period", "cohort",
        "arm"),
    "StaggeredResult": _staggered,
    "honest.SensitivityResult": lambda: cs.did.event_study(
        _team_panel(), "engagement", "team", "quarter", "coached_from", window=(-2, 2)
    ).sensitivity(kind="smoothness", m=[0.0, 0.05], breakdown=False),
    "ByGroupResult": lambda: cs.did.staggered_by(
        _team_panel().assign(half=lambda d: d["team"] % 2), "engagement", "team", "quarter",
        "coached_from", by="half", rng=1),
    "TierRoiResult": lambda: cs.roi.tiers(
        sim.tiered_roi(rng=1).data, "tier", benefit="benefit", cost="cost",
        attribution="attribution", confidence="confidence", pooled=False, draws=50, tune=50,
        chains=1, rng=1),
    "TwfeResult": lambda: cs.did.twfe(_team_panel(), "engagement", "team", "quarter",
                                      "coached_from"),
    "TwoByTwoResult": lambda: cs.did.two_by_two(
        _team_panel().assign(g=lambda d: (d["coached_from"] == 3).astype(int),
                             p=lambda d: (d["quarter"] >= 3).astype(int))
        .query("coached_from in (0, 3)"), "engagement", "g", "p"),
    "EffectSizeResult": _long_pre_post,
    "FactorialResult": lambda: cs.effects.factorial(sim.program_arms(n_per_arm=12, rng=1).data,
                                                    "readiness", ["coaching", "mentoring"]),
    "MediationResult": _mediation,
    "MediationSensitivity": lambda: _mediation().sensitivity(),
    "MultilevelMediationResult": lambda: cs.effects.multilevel_mediation(
        sim.leader_mediation(n_managers=20, team_size=4, design="2-1-1", rng=1).data,
        "coached", "coaching_behaviour", "engagement", cluster="manager", **FAST, rng=1),
    "MultilevelSensitivity": lambda: cs.effects.multilevel_mediation(
        sim.leader_mediation(n_managers=20, team_size=4, rng=1).data,
        "coached", "coaching_behaviour", "engagement", cluster="manager", **FAST,
        rng=1).sensitivity([0.0, 0.3]),
    "RaterAgreementResult": _rater,
    "ReliableChangeResult": _reliable_change,
    "BayesEffectsResult": lambda: cs.meta.bayesian_effects(_meta_effects(), **FAST, rng=1),
    "BayesMetaResult": _meta_bayes,
    "CumulativeResult": lambda: cs.meta.cumulative(_meta()),
    "EggerResult": lambda: cs.meta.egger_test(_meta()),
    "HunterSchmidtResult": lambda: cs.meta.hunter_schmidt(sim.meta_correlations(k=8, rng=1)
                                                          .data),
    "InfluenceResult": lambda: cs.meta.influence(_meta()),
    "LeaveOneOutResult": lambda: cs.meta.leave_one_out(_meta()),
    "MetaResult": _meta,
    "MultilevelResult": _multilevel,
    "PetPeeseResult": lambda: cs.meta.pet_peese(_meta()),
    "RVEResult": lambda: cs.meta.rve(_meta_effects(), "yi", "vi", "study"),
    "RobustResult": lambda: _multilevel().robust(),
    "SubgroupResult": lambda: cs.meta.subgroups(
        cs.meta.correlations(sim.meta_correlations(k=10, rng=1).data, moderators="rater")),
    "TrimFillResult": lambda: cs.meta.trim_and_fill(_meta()),
    "GroupMeansResult": lambda: cs.privacy.safe_group_means(_panel(), "engagement", "manager",
                                                            person="employee"),
    "PairsResult": _pairs,
    "ScaleResult": _scale,
    "AllocationResult": lambda: cs.power.optimal_allocation(
        500_000, cost_cluster=2000, cost_person=50, icc=0.15),
    "DesignResult": lambda: cs.power.mdes("cra2", J=20, n=15, icc=0.17),
    "DetectableEffect": lambda: cs.power.design_mdes(_cox()),
    "SimulatedPower": _power_sim,
    "BayesianRoiResult": _roi_bayes,
    "PhillipsResult": lambda: cs.roi.phillips(sim.roi_program(n=30, rng=1).data,
                                              benefit="benefit", cost="cost"),
    "SbcResult": lambda: cs.roi.sbc(3, n_participants=20, draws=30, tune=30, chains=1,
                                    n_draws_ranked=9, n_bins=2, rng=1),
    "roi.bayesian.SensitivityResult": lambda: _roi_bayes().sensitivity(),
    "SummaryRoiResult": lambda: cs.roi.from_summary(n=200, share_recouped=0.8,
                                                    median_multiple=5, rng=1),
    "ProportionResult": lambda: cs.survey.proportion(sim.exit_survey(n_leavers=200, rng=1).data,
                                                     "preventable"),
    "RakeResult": lambda: cs.survey.rake(
        sim.exit_survey(n_leavers=200, rng=1).data,
        {"level": {"manager": 0.3, "individual": 0.7}}),
    "CompetingRisksResult": lambda: cs.survival.competing_risks(
        _competing_data(), "months", "event", censor="censored"),
    "CoxResult": _cox,
    "FineGrayResult": lambda: cs.survival.fine_gray(
        _competing_data(), "months", "event", ["coached"], event_of_interest="exit",
        censor="censored"),
    "KaplanMeierResult": lambda: cs.survival.kaplan_meier(_retention(), "months", "exit"),
    "PHCheckResult": lambda: _cox().check_ph(),
    "TurnoverCostResult": lambda: cs.survival.turnover_cost(
        _cox(), salary=80_000, replacement_cost_share=0.5, n_employees=100, horizon=24),
    "InterruptedTimeSeriesResult": _interrupted,
    "StructuralTimeSeriesResult": _structural,
    "SyntheticControlResult": _synthetic,
    "RecoveryResult": _recovery,
    "AgreementResult": _agreement,
    "BetweenShare": lambda: _variance().between_share(of="manager"),
    "ProfileIntervals": lambda: _variance().profile_intervals(),
    "VarianceResult": _variance,
}


def _names(key: str) -> set[str]:
    """Registry names of a class: its name, or module.name where names repeat."""
    parts = key.split(".")
    return {parts[-1], ".".join(parts[-2:]), ".".join(parts[-3:])}


def _factory(key: str) -> Callable[[], Any]:
    found = sorted(_names(key) & set(FACTORIES))
    if not found:
        pytest.fail(f"no tiny fit registered for {key}: add one to FACTORIES")
    return FACTORIES[found[0]]


@cache
def _instance(key: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = _factory(key)()
    assert isinstance(obj, CLASSES[key]), f"{key}: the factory returned {type(obj).__name__}"
    return obj


SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def _has_own_plot(cls: type) -> bool:
    return any("plot" in vars(k) for k in cls.__mro__ if k is not Result
               and issubclass(k, Result))


def test_every_public_result_class_is_registered() -> None:
    assert len(CLASSES) > 50
    missing = [key for key in CLASSES if not _names(key) & set(FACTORIES)]
    assert not missing, f"no tiny fit for {missing}"


@pytest.mark.parametrize("key", sorted(CLASSES))
def test_result_contract(key: str) -> None:
    cls = CLASSES[key]
    res = _instance(key)
    # frozen dataclass
    assert dataclasses.is_dataclass(res) and cls.__dataclass_params__.frozen
    first = dataclasses.fields(res)[0].name if dataclasses.fields(res) else None
    if first is not None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(res, first, None)
    # declared members and their types
    assert isinstance(res.title, str) and res.title
    assert isinstance(res.notes, list) and all(isinstance(n, str) for n in res.notes)
    assert isinstance(res.cautions, tuple)
    assert all(isinstance(c, Caution) for c in res.cautions)
    for method in ("assumptions", "limitations"):
        out = getattr(res, method)()
        assert isinstance(out, list) and all(isinstance(x, str) for x in out), method
    assert res.diagnostics is None or isinstance(res.diagnostics, Result)
    assert isinstance(res.n_dropped, int | np.integer) and res.n_dropped >= 0
    dropped = res.dropped
    assert isinstance(dropped, dict)
    assert all(isinstance(k, str) and isinstance(v, int) and v > 0 for k, v in dropped.items())
    assert bool(dropped) == bool(res.n_dropped)
    sup = res.suppressions("a")
    assert isinstance(sup, list) and all(isinstance(s, Suppression) for s in sup)
    labels = res.interpret()
    assert isinstance(labels, list) and all(isinstance(x, Interpretation) for x in labels)
    assert res.central is None or isinstance(res.central, str)
    # the frame
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert tuple(frame.columns[: len(FRAME_COLUMNS)]) == FRAME_COLUMNS
    bad = [c for c in frame.columns if not (isinstance(c, str) and SNAKE.fullmatch(c))]
    assert not bad, f"columns not in snake_case: {bad}"
    assert not {"pvalue", "p", "pval"} & set(frame.columns), "the p-value column is p_value"
    assert not {"at_risk", "n_at_risk", "risk_set"} & set(frame.columns), "use n_risk"
    head = res.headline()
    assert isinstance(head, tuple) and set(head) <= set(frame["term"].astype(str))
    # text and figure
    assert isinstance(res.summary(), str) and res.title in res.summary()
    assert isinstance(res._repr_html_(), str)
    if _has_own_plot(cls):
        import matplotlib.pyplot as plt
        from matplotlib.axes import Axes

        try:
            ax = res.plot()
            assert isinstance(ax, Axes), f"plot() returned {type(ax).__name__}"
        finally:
            plt.close("all")
    else:
        with pytest.raises(NotImplementedError):
            res.plot()


def test_dropped_studies_reach_the_result() -> None:
    res = _meta_bayes()
    assert res.n_dropped == 1
    assert res.dropped == {"studies with a missing value in r (1)": 1}
    assert any("(1)" in n and "studies" in n for n in res.notes)


def test_people_measured_once_are_named_as_such() -> None:
    res = _long_pre_post()
    assert res.n_dropped == 1
    assert res.dropped == {"people measured at one occasion only": 1}
    assert not any("missing values were dropped" in n for n in res.notes)


def test_old_p_value_names_warn_and_answer() -> None:
    m = _meta()
    with pytest.warns(FutureWarning, match="p_value"):
        assert m.pvalue == m.p_value
    with pytest.warns(FutureWarning, match="q_p_value"):
        assert m.q_pvalue == m.q_p_value
    with pytest.warns(FutureWarning, match="qm_p_value"):
        assert m.qm_pvalue == m.qm_p_value
    eg = cs.meta.egger_test(m)
    with pytest.warns(FutureWarning, match="p_value"):
        assert eg.pvalue == eg.p_value


def test_dropped_studies_reach_the_report(tmp_path) -> None:
    import json

    from coachstats.report import render

    _, js = render([_meta_bayes()], tmp_path / "r.html")
    payload = json.loads(js.read_text())
    dropped = payload["analyses"][0]["dropped"]
    assert dropped["n_dropped"] == 1
    assert dropped["reasons"] == [{"reason": "studies with a missing value in r (1)", "n": 1}]
    assert payload["provenance"]["dropped"][0]["n_dropped"] == 1
