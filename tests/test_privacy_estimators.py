"""Every estimator that publishes a group-level number takes ``min_group_size`` (default 5,
never below 3) and counts distinct people, in notebooks as in reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coachstats as cs
from coachstats.privacy import MIN_GROUP_SIZE_FLOOR, PrivacyError


def _two_groups(n_focal: int, n_ref: int, waves: int = 1, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.arange(n_focal + n_ref)
    grp = np.r_[["f"] * n_focal, ["r"] * n_ref]
    d = pd.DataFrame({"EmployeeID": np.repeat(ids, waves), "grp": np.repeat(grp, waves),
                      "Wave": np.tile(np.arange(waves), ids.size)})
    d["y"] = rng.normal(size=len(d)) + (d["grp"] == "f")
    return d


# --------------------------------------------------------------------------- effects
def test_group_difference_counts_people_not_rows() -> None:
    d = _two_groups(4, 10, waves=3)  # the focal group: 4 people, 12 rows
    res = cs.effects.group_difference(d, "y", "grp", by="Wave", person="EmployeeID")
    assert res.to_frame()["suppressed"].all()  # 4 people per wave: withheld
    # without by=, the 4 people have 3 rows each: refused, not counted as 12
    with pytest.raises(ValueError, match="one row per person"):
        cs.effects.group_difference(d, "y", "grp", person="EmployeeID")
    ok = cs.effects.group_difference(_two_groups(5, 10, waves=2), "y", "grp", by="Wave",
                                     person="EmployeeID")
    assert not ok.to_frame()["suppressed"].any()


def test_group_difference_refuses_rows_that_may_repeat_without_a_person_column() -> None:
    d = _two_groups(8, 8, waves=2).rename(columns={"EmployeeID": "k"}).drop(columns="k")
    with pytest.raises(PrivacyError, match="person="):
        cs.effects.group_difference(d, "y", "grp", by="Wave")
    # a detected identifier is used instead of rows
    d2 = _two_groups(4, 8, waves=2)
    res = cs.effects.group_difference(d2, "y", "grp", by="Wave")
    assert res.to_frame()["suppressed"].all()


def test_group_difference_and_independent_d_apply_the_floor() -> None:
    d = _two_groups(3, 3)
    for fn in (cs.effects.group_difference, cs.effects.independent_d):
        with pytest.raises(ValueError, match=f"at least {MIN_GROUP_SIZE_FLOOR}"):
            fn(d, "y", "grp", min_group_size=2)
    with pytest.raises(ValueError, match="fewer than 5 distinct people"):
        cs.effects.independent_d(_two_groups(4, 20), "y", "grp")
    res = cs.effects.independent_d(d, "y", "grp", min_group_size=3)
    assert np.isfinite(res.estimate)
    assert cs.effects.independent_d(_two_groups(5, 5), "y", "grp").table["n_focal"].iloc[0] == 5


def test_reliable_change_threshold_and_small_categories_withheld() -> None:
    rng = np.random.default_rng(3)
    pre = rng.normal(50, 10, 40)
    post = pre + np.r_[np.full(30, 0.0), np.full(8, 30.0), np.full(2, -30.0)]
    d = pd.DataFrame({"pre": pre, "post": post})
    res = cs.effects.reliable_change(d, "pre", "post", reliability=0.8, sd_pre=10)
    assert res.counts == {"improved": 8, "unchanged": 30, "deteriorated": 2}
    f = res.to_frame().set_index("term")
    # 2 deteriorated is withheld, and so is the smallest other category, so that
    # 40 - 30 - 8 cannot give it back
    assert res.withheld == ("improved", "deteriorated")
    assert f.loc[["improved", "deteriorated"], "suppressed"].all()
    assert f.loc[["improved", "deteriorated"], ["estimate", "count", "ci_low"]].isna().all().all()
    assert f.loc["unchanged", "count"] == 30 and not f.loc["unchanged", "suppressed"]
    assert [s.item for s in res.suppressions("rc")] == ["share improved", "share deteriorated"]
    assert any("Withheld" in n for n in res.notes)
    res3 = cs.effects.reliable_change(d, "pre", "post", reliability=0.8, sd_pre=10,
                                      min_group_size=3)
    assert res3.withheld == ("improved", "deteriorated")  # 2 < 3, plus the complement
    big = cs.effects.reliable_change(d.iloc[:38], "pre", "post", reliability=0.8, sd_pre=10)
    assert big.withheld == () and not big.to_frame()["suppressed"].any()
    with pytest.raises(ValueError, match="at least 3"):
        cs.effects.reliable_change(d, "pre", "post", reliability=0.8, min_group_size=2)
    with pytest.raises(ValueError, match="at least 5 people"):
        cs.effects.reliable_change(d.head(4), "pre", "post", reliability=0.8)
    with pytest.warns(FutureWarning, match="min_n= is now called min_group_size="):
        old = cs.effects.reliable_change(d, "pre", "post", reliability=0.8, sd_pre=10,
                                         min_n=6)
    assert old.min_group_size == 6


# --------------------------------------------------------------------------- privacy API
def test_privacy_signatures_keep_options_after_the_star() -> None:
    import inspect

    from coachstats import privacy

    for fn in (privacy.safe_group_means, privacy.safe_crosstab, privacy.pseudonyms):
        params = inspect.signature(fn).parameters
        for name in ("rng", "min_group_size"):
            if name in params:
                assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, (fn, name)
    assert cs.report.safe_group_means is privacy.safe_group_means
    d = pd.DataFrame({"team": ["a"] * 6 + ["b"] * 6, "x": np.arange(12.0)})
    with pytest.warns(FutureWarning, match="min_size= is now called min_group_size="):
        old = privacy.safe_group_means(d, "x", ["team"], min_size=6)
    assert old.min_group_size == 6
    with pytest.raises(TypeError, match="pass only min_group_size="):
        privacy.safe_group_means(d, "x", ["team"], min_size=6, min_group_size=6)
    with pytest.raises(ValueError, match="at least 3"), pytest.warns(FutureWarning):
        privacy.safe_group_means(d, "x", ["team"], min_size=2)


def test_report_threshold_reaches_renamed_arguments() -> None:
    from coachstats.report.runner import _privacy_args
    from coachstats.report.spec import StudySpecError

    fn = cs.effects.reliable_change
    assert _privacy_args(fn, {}, 7, "a")["min_group_size"] == 7
    assert _privacy_args(fn, {"min_n": 8}, 7, "a") == {"min_group_size": 8}
    with pytest.raises(StudySpecError, match="min_n = 4 is below"):
        _privacy_args(fn, {"min_n": 4}, 5, "a")
    with pytest.raises(StudySpecError, match="min_size = 4 is below"):
        _privacy_args(cs.privacy.safe_group_means, {"min_size": 4}, 5, "a")


# --------------------------------------------------------------------------- DiD
def _did_panel(units_per_cohort: dict[float, int], people_per_unit: int = 1,
               periods: int = 5, seed: int = 0) -> pd.DataFrame:
    """Individual rows: people in units, each answering every period; cohort by unit."""
    rng = np.random.default_rng(seed)
    rows = []
    u = 0
    for g, n_units in units_per_cohort.items():
        for _ in range(n_units):
            for j in range(people_per_unit):
                for t in range(1, periods + 1):
                    y = rng.normal() + (0.5 if g and t >= g else 0.0)
                    rows.append({"unit": f"u{u}", "EmployeeID": f"E{u}-{j}", "cohort": g,
                                 "period": t, "y": y})
            u += 1
    return pd.DataFrame(rows)


DID_CALLS = {
    "staggered": lambda d, **kw: cs.did.staggered(d, "y", "unit", "period", "cohort",
                                                  n_boot=0, aggregate=True, **kw),
    "twfe": lambda d, **kw: cs.did.twfe(d, "y", "unit", "period", "cohort", aggregate=True,
                                        **kw),
    "event_study": lambda d, **kw: cs.did.event_study(d, "y", "unit", "period", "cohort",
                                                      window=(-2, 2), aggregate=True, **kw),
}


@pytest.mark.parametrize("name", sorted(DID_CALLS))
def test_did_refuses_small_cohorts_counting_people_or_units(name: str) -> None:
    fit = DID_CALLS[name]
    # cohort 4: 2 teams of 3 people = 6 people but only 2 units
    d = _did_panel({0: 8, 3: 6, 4: 2}, people_per_unit=3)
    before = d.copy()
    with pytest.raises(ValueError, match=r"cohort\(s\) of 'cohort' with fewer than 5 "
                                         r"distinct units \('unit'\).*4(\.0)?: 2.*Merge"):
        fit(d)
    pd.testing.assert_frame_equal(d, before)
    assert np.isfinite(fit(d, person="EmployeeID").to_frame()["estimate"]).all()  # 6 people
    with pytest.raises(ValueError, match="fewer than 7 distinct people"):
        fit(d, person="EmployeeID", min_group_size=7)
    with pytest.raises(ValueError, match="at least 3"):
        fit(d, person="EmployeeID", min_group_size=2)
    # a never-treated group of 2 people is a group too
    with pytest.raises(ValueError, match="never treated: 2"):
        fit(_did_panel({0: 2, 3: 6, 4: 6}), person="EmployeeID")
    fit(_did_panel({0: 3, 3: 3, 4: 3}), min_group_size=3)  # the floor itself is allowed


def test_did_bayesian_checks_cohorts_before_sampling() -> None:
    d = _did_panel({0: 8, 3: 6, 4: 2}, people_per_unit=3)
    with pytest.raises(ValueError, match=r"did.bayesian: cohort\(s\).*4(\.0)?: 2"):
        cs.did.bayesian(d, "y", "unit", "period", "cohort", draws=10, tune=10, chains=1)


def test_two_by_two_counts_people_per_cell() -> None:
    rng = np.random.default_rng(1)
    n = 6
    d = pd.DataFrame({"pid": np.repeat(np.arange(2 * n), 2), "post": np.tile([0, 1], 2 * n),
                      "grp": np.repeat([0, 1], 2 * n)})
    d["y"] = rng.normal(size=len(d)) + d["grp"] * d["post"]
    assert np.isfinite(cs.did.two_by_two(d, "y", "grp", "post", person="pid").estimate)
    # 4 people in the treated group answering twice in the post period: 8 rows, 4 people
    extra = d.loc[(d["grp"] == 1) & (d["post"] == 1) & (d["pid"] < 10)].copy()
    small = pd.concat([d.loc[~((d["grp"] == 1) & (d["pid"] >= 10))], extra])
    with pytest.raises(ValueError, match=r"\{'grp': 1, 'post': 1\}: 4.*Pool"):
        cs.did.two_by_two(small, "y", "grp", "post", person="pid")
    with pytest.raises(ValueError, match="fewer than 5 rows"):
        cs.did.two_by_two(d.loc[d["pid"] > 1], "y", "grp", "post")


# --------------------------------------------------------------------------- report guard
def _tables_with_a_group_of_four() -> dict[str, pd.DataFrame]:
    """One published table per family that publishes counts of people, from estimators
    run with the lowest threshold (3) on data with a group of 4 people."""
    rng = np.random.default_rng(7)
    d = _two_groups(4, 12)
    rc = pd.DataFrame({"pre": rng.normal(50, 10, 40)})
    rc["post"] = rc["pre"] + np.r_[np.zeros(32), np.full(4, 30.0), np.full(4, -30.0)]
    teams = pd.DataFrame({"team": np.repeat(["a", "b", "c"], [8, 8, 4]),
                          "q": rng.integers(1, 6, 20)})
    prop = pd.DataFrame({"g": ["a"] * 26 + ["b"] * 4, "y": rng.integers(0, 2, 30)})
    cells = pd.DataFrame({"pid": np.repeat(np.arange(12), 2), "post": np.tile([0, 1], 12),
                          "grp": np.repeat([0, 1], [16, 8])})
    cells["y"] = rng.normal(size=len(cells))
    return {
        "effects.group_difference": cs.effects.group_difference(
            d, "y", "grp", min_group_size=3).to_frame(),
        "effects.reliable_change": cs.effects.reliable_change(
            rc, "pre", "post", reliability=0.8, sd_pre=10, min_group_size=3).to_frame(),
        "variance.agreement": cs.variance.agreement(
            teams, items=["q"], group="team", scale=(1, 5), min_group_size=3).groups,
        "survey.proportion": cs.survey.proportion(prop, "y", by="g",
                                                  min_group_size=3).to_frame(),
        "did.two_by_two": cs.did.two_by_two(cells, "y", "grp", "post", person="pid",
                                            min_group_size=3).means,
    }


def test_report_guard_catches_counts_of_people_below_the_threshold() -> None:
    from coachstats.report.privacy import PEOPLE_COUNT_COLUMNS, guard_table, small_counts

    tables = _tables_with_a_group_of_four()
    for est, frame in tables.items():
        found = small_counts(frame, 5, est)
        assert found and set(found) <= set(PEOPLE_COUNT_COLUMNS), (est, frame)
        with pytest.raises(PrivacyError, match="fewer than 5 people"):
            guard_table(frame, [], "a", est, min_group_size=5, estimator=est)
        guard_table(frame, [], "a", est, min_group_size=3, estimator=est)  # 4 >= 3
        guard_table(frame, [], "a", est)  # no threshold given: identifiers only
    # withheld rows are not published, so not checked; counts of 0 are allowed
    t = pd.DataFrame({"term": ["a", "b", "c"], "n": [2, 0, 9],
                      "suppressed": [True, False, False]})
    assert small_counts(t, 5) == {}
    # counts of published studies (meta-analysis) are not counts of the study's people
    assert small_counts(pd.DataFrame({"term": ["s1"], "n": [4]}), 5, "meta.random_effects") == {}


def test_report_withholds_small_risk_sets_of_every_survival_table() -> None:
    from coachstats.report.render import _Ctx, _guard_frame

    rng = np.random.default_rng(0)
    d = pd.DataFrame({"t": rng.exponential(5, 30), "e": rng.integers(0, 2, 30)})
    f = cs.survival.kaplan_meier(d, "t", "e", min_group_size=3,
                                 times=(1, 5, 10, 12, 15)).to_frame()
    assert f["n_risk"].tolist()[1:] == [24, 13, 5, 4, 3]
    ctx = _Ctx(5, set())
    shown = _guard_frame(f, ctx, "km", "table", "survival.kaplan_meier")
    assert shown["term"].tolist() == ["median", "S(1)", "S(5)", "S(10)"]
    assert len(ctx.manifest) == 1 and "n_risk below 5" in ctx.manifest[0].reason
