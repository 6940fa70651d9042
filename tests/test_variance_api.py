"""decompose(), between_share() and agreement(): API, input errors, privacy."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs


def nested(n_mgr=40, teams=3, size=6, vm=0.3, vt=0.1, seed=0):
    rng = np.random.default_rng(seed)
    team = np.repeat(np.arange(n_mgr * teams), size)
    mgr = team // teams
    y = (rng.normal(0, np.sqrt(vm), n_mgr)[mgr] + rng.normal(0, np.sqrt(vt), n_mgr * teams)[team]
         + rng.normal(0, 1, len(team)))  # fmt: skip
    return pd.DataFrame({"manager": [f"m{m}" for m in mgr], "team": [f"t{t}" for t in team],
                         "employee": np.arange(len(team)), "engagement": y,
                         "tenure": rng.normal(5, 2, len(team))})  # fmt: skip


@pytest.fixture(scope="module")
def fitted():
    df = nested()
    return df, cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=300, rng=1)


def test_components_icc_and_frame(fitted):
    _, res = fitted
    c = res.components
    assert c.columns[:6].tolist() == ["level", "variance", "std_dev", "share_of_total",
                                      "ci_low", "ci_high"]  # fmt: skip
    assert c["level"].tolist() == ["manager", "team", "residual"]
    assert c["share_of_total"].sum() == pytest.approx(1.0)
    assert (c["ci_low"] <= c["variance"]).all() and (c["variance"] <= c["ci_high"]).all()
    np.testing.assert_allclose(c["std_dev"] ** 2, c["variance"])
    icc1 = res.icc1.set_index("level")
    assert icc1.loc["manager", "icc1"] == pytest.approx(c["share_of_total"].iloc[0])
    assert icc1.loc["team", "icc1_cumulative"] == pytest.approx(c["share_of_total"][:2].sum())
    f = res.to_frame().set_index("term")
    assert {"var_manager", "icc1_manager", "icc2_team", "between_share_team_of_manager",
            "intercept"} <= set(f.index)  # fmt: skip
    assert (f["ci_level"] == 0.95).all()
    v = res.variances
    assert f.loc["between_share_team_of_manager", "estimate"] == pytest.approx(v[0] / (v[0] + v[1]))


def test_icc2_matches_bliese_formula_for_one_balanced_level():
    df = nested(n_mgr=30, teams=1, size=7, vt=0.0001)
    res = cs.variance.decompose(df, "engagement", ["team"], n_boot=0)
    i1 = res.icc1["icc1"].item()
    assert res.icc2["icc2"].item() == pytest.approx(7 * i1 / (1 + 6 * i1), rel=1e-10)


def test_between_share_options(fitted):
    _, res = fitted
    true = res.between_share(level="team", of="manager")
    obs = res.between_share(level="team", of="manager", means="observed")
    assert obs.estimate < true.estimate  # sampling noise of team means is in the denominator
    assert true.ci_low <= true.estimate <= true.ci_high
    ind = res.between_share(level="residual", of="manager")
    assert ind.estimate == pytest.approx(res.icc1["icc1"].iloc[0])
    assert float(res.between_share()) == true.estimate
    with pytest.raises(ValueError, match="outside level"):
        res.between_share(level="manager", of="team")
    with pytest.raises(ValueError, match="not a level"):
        res.between_share(level="division", of="manager")
    with pytest.raises(ValueError, match="means="):
        res.between_share(means="raw")


def test_summary_explains_icc_versus_between_share(fitted):
    _, res = fitted
    text = res.summary()
    assert "ICC(1) of manager" in text and "true team means" in text and "70%" in text
    assert "parametric bootstrap" in text
    assert res.assumptions() and res.limitations()
    assert "<table" in res._repr_html_()


def test_no_person_level_output(fitted):
    df, res = fitted
    for frame in (res.to_frame(), res.components, res.icc1, res.icc2):
        assert len(frame) < 20
    assert not set(df["employee"].astype(str)) & set(res.to_frame()["term"].astype(str))


def test_plot_returns_axes(fitted):
    import matplotlib.pyplot as plt

    _, res = fitted
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    plt.close(fig)


def test_reproducible_and_input_untouched():
    df = nested(n_mgr=20)
    before = df.copy()
    a = cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=100, rng=5)
    b = cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=100, rng=5)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(df, before)


def test_unbalanced_and_covariates():
    df = nested(n_mgr=30, seed=3)
    df = df.sample(frac=0.7, random_state=1)  # unbalanced, some teams of 1
    df["site"] = np.where(df["employee"] % 3 == 0, "north", "south")
    res = cs.variance.decompose(df, "engagement", ["manager", "team"],
                                covariates=["tenure", "site"], n_boot=100, rng=1)  # fmt: skip
    assert res.fixed["term"].tolist() == ["intercept", "tenure", "site_south"]
    assert res.n == len(df)


def test_three_levels_and_dropna():
    df = nested(n_mgr=40, seed=4)
    df["division"] = df["manager"].str[1:].astype(int) % 4
    df.loc[df.index[:3], "engagement"] = np.nan
    with pytest.raises(ValueError, match="missing value"):
        cs.variance.decompose(df, "engagement", ["division", "manager", "team"], n_boot=0)
    res = cs.variance.decompose(df, "engagement", ["division", "manager", "team"], n_boot=0,
                                dropna=True)  # fmt: skip
    assert res.n_dropped == 3 and len(res.components) == 4
    assert "between_share_team_of_division" in set(res.to_frame()["term"])


def test_error_team_under_two_managers_lists_them():
    df = nested(n_mgr=5)
    df.loc[df.index[0], "manager"] = "m4"  # t0 now sits under m0 and m4
    with pytest.raises(ValueError, match=r"team='t0' under manager=\['m0', 'm4'\]"):
        cs.variance.decompose(df, "engagement", ["manager", "team"])


def test_error_reversed_levels_suggests_order():
    df = nested(n_mgr=5)
    with pytest.raises(ValueError, match=r"levels=\['manager', 'team'\]"):
        cs.variance.decompose(df, "engagement", ["team", "manager"])


def test_error_single_group_at_a_level():
    df = nested(n_mgr=5)
    df["division"] = "all"
    with pytest.raises(ValueError, match="at least 2 groups in level 'division'"):
        cs.variance.decompose(df, "engagement", ["division", "manager", "team"])


def test_error_groups_of_size_one_everywhere():
    df = nested(n_mgr=5, size=1)
    with pytest.raises(ValueError, match="Every 'team' group contains a single person"):
        cs.variance.decompose(df, "engagement", ["manager", "team"])


def test_error_non_numeric_outcome_and_bad_arguments():
    df = nested(n_mgr=5)
    df["engagement"] = df["engagement"].map(lambda v: "high" if v > 0 else "low")
    with pytest.raises(TypeError, match="must be numeric"):
        cs.variance.decompose(df, "engagement", ["manager", "team"])
    df = nested(n_mgr=5)
    with pytest.raises(ValueError, match="method='lmer' is not supported"):
        cs.variance.decompose(df, "engagement", ["manager"], method="lmer")
    with pytest.raises(ValueError, match=r"Did you mean 0\.95"):
        cs.variance.decompose(df, "engagement", ["manager"], ci_level=95)
    with pytest.raises(ValueError, match="n_boot=10 is too few"):
        cs.variance.decompose(df, "engagement", ["manager"], n_boot=10)
    with pytest.raises(ValueError, match="not found"):
        cs.variance.decompose(df, "engagement", ["manager", "unit"])
    with pytest.raises(ValueError, match="never varies"):
        cs.variance.decompose(df.assign(engagement=1.0), "engagement", ["manager"])


# ---------------------------------------------------------------- agreement
def likert_team():
    # one team of 5 and two items: item 1 = 3,4,4,5,4 (mean 4, variance 0.5); item 2 all 4
    return pd.DataFrame({"team": ["a"] * 5, "q1": [3, 4, 4, 5, 4], "q2": [4] * 5})


def test_rwg_j_by_hand():
    # mean item variance .25; uniform null on 5 options: (25 - 1) / 12 = 2; ratio .125
    # rwg(2) = 2 (1 - .125) / (2 (1 - .125) + .125) = 1.75 / 1.875
    res = cs.variance.agreement(likert_team(), items=["q1", "q2"], group="team", scale=(1, 5))
    assert res.groups["agreement"].item() == pytest.approx(1.75 / 1.875, rel=1e-12)


def test_awg_by_hand():
    # item 1: max variance at mean 4 on 1-5 is ((5 + 1) 4 - 16 - 5) * 5/4 = 3.75;
    # awg = 1 - 2 * .5 / 3.75; item 2 has no variance: awg = 1; awg(j) = mean of the two
    res = cs.variance.agreement(likert_team(), items=["q1", "q2"], group="team", kind="awg",
                                scale=(1, 5))  # fmt: skip
    assert res.groups["agreement"].item() == pytest.approx((1 - 1 / 3.75 + 1) / 2, rel=1e-12)


def test_rwg_j_truncated_at_zero_and_small_groups_suppressed():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"team": np.repeat(["a", "b", "c"], [8, 8, 3]),
                       "q1": rng.choice([1, 5], 19), "q2": rng.choice([1, 5], 19)})  # fmt: skip
    res = cs.variance.agreement(df, items=["q1", "q2"], group="team", scale=(1, 5))
    assert set(res.groups["group"]) == {"a", "b"}  # c has 3 members: suppressed, not listed
    assert res.n_suppressed == 1 and res.n_people_suppressed == 3
    assert (res.groups["agreement"] >= 0).all()
    assert any("suppressed" in n for n in res.notes)
    f = res.to_frame().set_index("term")
    assert f.loc["n_groups_suppressed", "estimate"] == 1


def test_agreement_errors_and_inferred_scale():
    df = likert_team()
    with pytest.raises(ValueError, match="kind='icc' is not supported"):
        cs.variance.agreement(df, items=["q1"], group="team", kind="icc")
    with pytest.raises(ValueError, match="at least 3"):
        cs.variance.agreement(df, items=["q1"], group="team", min_group_size=2)
    with pytest.raises(ValueError, match="must lie in"):
        cs.variance.agreement(df, items=["q1"], group="team", scale=(1, 4))
    res = cs.variance.agreement(df, items=["q1", "q2"], group="team")
    assert res.scale == (3.0, 5.0) and any("inferred" in n for n in res.notes)



def test_note_when_most_managers_have_one_team():
    df = nested(n_mgr=30, teams=1, size=6, seed=8)
    extra = nested(n_mgr=5, teams=2, size=6, seed=9).assign(
        manager=lambda d: "x" + d["manager"], team=lambda d: "x" + d["team"])
    res = cs.variance.decompose(pd.concat([df, extra]), "engagement", ["manager", "team"],
                                n_boot=0)  # fmt: skip
    assert any("86% of managers have a single team" in n for n in res.notes)


def test_interpret_labels_name_their_rule(fitted):
    _, res = fitted
    labels = {i.term: i for i in res.interpret()}
    assert set(labels) == {"icc1_manager", "icc1_team", "icc2_manager", "icc2_team"}
    assert "LeBreton & Senter (2008)" in str(labels["icc1_manager"])
    ag = cs.variance.agreement(likert_team(), items=["q1", "q2"], group="team", scale=(1, 5))
    assert str(ag.interpret()[0]).startswith("very strong agreement")  # .93
