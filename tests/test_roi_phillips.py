"""Phillips ROI: hand-computed examples and clear input errors."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

pytestmark = pytest.mark.reference


@pytest.fixture
def three():
    # hand example: adjusted = 10000*.6*.8 + 0 + 25000*.5*.9 = 4800 + 0 + 11250 = 16050
    # costs 5000 + 5000 + 6000 = 16000
    return pd.DataFrame(
        {
            "benefit": [10_000.0, 0.0, 25_000.0],
            "attr": [0.6, np.nan, 0.5],
            "conf": [0.8, np.nan, 0.9],
            "cost": [5_000.0, 5_000.0, 6_000.0],
        }
    )


def _fit(df, **kw):
    return cs.roi.phillips(
        df, benefit="benefit", cost="cost", attribution="attr", confidence="conf", **kw
    )


def test_published_case_321_per_dollar():
    df = pd.DataFrame({"b": [321_000.0], "c": [100_000.0]})
    res = cs.roi.phillips(df, benefit="b", cost="c")
    assert res.bcr == pytest.approx(3.21, rel=1e-12)
    assert res.roi_pct == pytest.approx(221.0, rel=1e-12)


def test_seven_x_is_roi_600_not_700():
    res = cs.roi.phillips(pd.DataFrame({"b": [7.0], "c": [1.0]}), benefit="b", cost="c")
    assert res.bcr == pytest.approx(7.0, rel=1e-12)
    assert res.roi_pct == pytest.approx(600.0, rel=1e-12)


def test_hand_example(three):
    before = three.copy()
    res = _fit(three)
    pd.testing.assert_frame_equal(three, before)  # caller's frame untouched
    assert res.total_benefit_claimed == pytest.approx(35_000.0, rel=1e-12)
    assert res.total_after_attribution == pytest.approx(6_000.0 + 12_500.0, rel=1e-12)
    assert res.total_benefit_adjusted == pytest.approx(16_050.0, rel=1e-12)
    assert res.total_cost == pytest.approx(16_000.0, rel=1e-12)
    assert res.bcr == pytest.approx(16_050 / 16_000, rel=1e-12)
    assert res.roi_pct == pytest.approx(0.3125, rel=1e-12)
    assert res.n == 3 and res.n_with_benefit == 2
    f = res.to_frame().set_index("term")
    assert f.loc["roi_pct", "estimate"] == pytest.approx(0.3125, rel=1e-12)
    assert "ROI% = (BCR - 1) x 100" in res.summary()


def test_horizon_and_extra_costs(three):
    assert _fit(three, horizon_years=2).roi_pct == pytest.approx(100.625, rel=1e-12)
    res = _fit(three, extra_costs=4_000)
    assert res.bcr == pytest.approx(0.8025, rel=1e-12)
    assert res.roi_pct == pytest.approx(-19.75, rel=1e-12)


def test_missing_answers(three):
    df = three.copy()
    df.loc[0, "benefit"] = np.nan
    with pytest.raises(ValueError,
                       match=r"missing benefit.*blank_benefit_as_zero=True.*principle 6"):
        _fit(df)
    z = _fit(df, blank_benefit_as_zero=True)  # participant 1: no benefit, cost kept
    assert z.total_benefit_adjusted == pytest.approx(11_250.0, rel=1e-12)
    assert z.total_cost == pytest.approx(16_000.0, rel=1e-12) and z.n_zeroed == 1
    d = _fit(df, dropna=True)
    assert d.total_cost == pytest.approx(11_000.0, rel=1e-12) and d.n_dropped == 1
    assert "1 incomplete row(s) dropped" in d.summary()
    with pytest.raises(ValueError, match="exclude each other"):
        _fit(df, dropna=True, blank_benefit_as_zero=True)


def test_missing_is_a_deprecated_alias_mapping_its_values(three):
    df = three.copy()
    df.loc[0, "benefit"] = np.nan
    with pytest.warns(FutureWarning, match=r"missing= is replaced by dropna= \(blank_benefit"):
        z = _fit(df, missing="zero")
    assert z.n_zeroed == _fit(df, blank_benefit_as_zero=True).n_zeroed == 1
    with pytest.warns(FutureWarning, match=r"dropna=True"):
        d = _fit(df, missing="DROP")
    assert d.n_dropped == 1
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="missing benefit"):
        _fit(df, missing="raise")
    with pytest.raises(TypeError, match="got both missing="):
        _fit(df, missing="drop", dropna=True)


def test_missing_share_needed_only_when_benefit_positive(three):
    df = three.copy()
    df.loc[2, "attr"] = np.nan
    with pytest.raises(ValueError, match="attribution/confidence"):
        _fit(df)


def test_missing_cost_raises(three):
    df = three.copy()
    df.loc[1, "cost"] = np.nan
    with pytest.raises(ValueError, match=r"'cost'.*missing.*Costs cannot be assumed"):
        _fit(df)


def test_negative_cost(three):
    df = three.copy()
    df.loc[1, "cost"] = -10.0
    with pytest.raises(ValueError, match=r"'cost'.*\[0, inf\].*cannot be negative"):
        _fit(df)


def test_percent_shares_detected(three):
    df = three.copy()
    df["attr"] = df["attr"] * 100
    with pytest.raises(ValueError, match=r"'attr'.*argument attribution=.*percentages.*100"):
        _fit(df)


def test_share_out_of_range(three):
    df = three.copy()
    df.loc[0, "conf"] = -0.2
    with pytest.raises(ValueError, match=r"'conf'.*argument confidence=.*\[0, 1\]"):
        _fit(df)


def test_all_zero_benefits(three):
    df = three.assign(benefit=0.0)
    with pytest.raises(ValueError, match=r"every benefit is 0.*-100%"):
        _fit(df)


def test_bad_types_and_columns(three):
    with pytest.raises(ValueError, match=r"'gain'.*argument benefit="):
        cs.roi.phillips(three, benefit="gain", cost="cost")
    with pytest.raises(TypeError, match="numeric"):
        cs.roi.phillips(three.assign(cost=["a", "b", "c"]), benefit="benefit", cost="cost")
    with pytest.raises(ValueError, match="horizon_years"):
        _fit(three, horizon_years=0)
    with pytest.raises(ValueError, match="missing="):
        _fit(three, missing="impute")
    with pytest.raises(ValueError, match="dropna="):
        _fit(three, dropna="yes")


def test_plot_returns_axes(three):
    ax = _fit(three).plot()
    assert "ROI" in ax.get_title()


def test_import_roi_does_not_load_pymc():
    import subprocess
    import sys

    code = (
        "import sys, pandas as pd, coachstats as cs; cs.roi.phillips;"
        "cs.roi.phillips(pd.DataFrame({'b': [2.0], 'c': [1.0]}), benefit='b', cost='c');"
        "bad=[m for m in ('pymc','pytensor','arviz','matplotlib','nutpie') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- several cost columns -------------------------------------------------------------------

@pytest.fixture
def sheet():
    # hand example: adjusted = 10000*.6*.8 + 0 + 25000*.5*.9 = 16050
    # fee 4000 + 4000 + 5000 = 13000; time 800 + 700 + 1000 = 2500; travel 200 + 0 + 300 = 500
    return pd.DataFrame(
        {
            "benefit": [10_000.0, 0.0, 25_000.0],
            "attr": [0.6, np.nan, 0.5],
            "conf": [0.8, np.nan, 0.9],
            "Fee (EUR)": [4_000.0, 4_000.0, 5_000.0],
            "Time (EUR)": [800.0, 700.0, 1_000.0],
            "Travel (EUR)": [200.0, np.nan, 300.0],
        }
    )


COSTS = ["Fee (EUR)", "Time (EUR)", "Travel (EUR)"]


def test_several_cost_columns_summed_and_each_shown(sheet):
    before = sheet.copy()
    res = cs.roi.phillips(sheet, benefit="benefit", cost=COSTS, attribution="attr",
                          confidence="conf", blank_cost_as_zero=True, extra_costs=1_000.0)
    pd.testing.assert_frame_equal(sheet, before)  # caller's frame untouched
    assert res.total_cost == pytest.approx(13_000 + 2_500 + 500 + 1_000, rel=1e-12)
    assert res.bcr == pytest.approx(16_050 / 17_000, rel=1e-12)
    f = res.to_frame().set_index("term")
    assert f.loc["cost[Fee (EUR)]", "estimate"] == pytest.approx(13_000.0, rel=1e-12)
    assert f.loc["cost[Time (EUR)]", "estimate"] == pytest.approx(2_500.0, rel=1e-12)
    assert f.loc["cost[Travel (EUR)]", "estimate"] == pytest.approx(500.0, rel=1e-12)
    assert f.loc["total_cost", "estimate"] == pytest.approx(17_000.0, rel=1e-12)
    assert res.n_blank_costs == 1
    notes = " ".join(res.notes)
    assert "sum of 3 column(s)" in notes and "1 blank cost cell(s) counted as 0" in notes


def test_several_cost_columns_equal_a_precomputed_total(sheet):
    one = sheet.assign(cost=sheet[COSTS].fillna(0.0).sum(axis=1))
    a = _fit(one)
    b = cs.roi.phillips(sheet, benefit="benefit", cost=COSTS, attribution="attr",
                        confidence="conf", blank_cost_as_zero=True)
    assert b.roi_pct == pytest.approx(a.roi_pct, rel=1e-12)
    assert b.total_cost == pytest.approx(a.total_cost, rel=1e-12)
    assert "cost[Fee (EUR)]" not in set(a.to_frame()["term"])  # one column: no component rows


def test_blank_cost_component_is_an_error_naming_it(sheet):
    with pytest.raises(ValueError, match=r"'Travel \(EUR\)'.*blank_cost_as_zero=True"):
        cs.roi.phillips(sheet, benefit="benefit", cost=COSTS, attribution="attr",
                        confidence="conf")


def test_blank_cost_component_dropped_with_missing_drop(sheet):
    res = cs.roi.phillips(sheet, benefit="benefit", cost=COSTS, attribution="attr",
                          confidence="conf", dropna=True)
    assert res.n_dropped == 1 and res.n == 2
    f = res.to_frame().set_index("term")
    # the dropped participant's fee and time are not in the component totals
    assert f.loc["cost[Fee (EUR)]", "estimate"] == pytest.approx(9_000.0, rel=1e-12)
    assert f.loc["cost[Time (EUR)]", "estimate"] == pytest.approx(1_800.0, rel=1e-12)
    assert res.total_cost == pytest.approx(9_000 + 1_800 + 500, rel=1e-12)


def test_several_cost_columns_bad_input(sheet):
    with pytest.raises(ValueError, match=r"'Catering'.*'Venue'"):
        cs.roi.phillips(sheet, benefit="benefit", cost=["Fee (EUR)", "Catering", "Venue"])
    neg = sheet.assign(**{"Time (EUR)": [800.0, -5.0, 1_000.0]})
    with pytest.raises(ValueError, match="Time"):
        cs.roi.phillips(neg, benefit="benefit", cost=COSTS, blank_cost_as_zero=True)
    with pytest.raises(ValueError, match="twice"):
        cs.roi.phillips(sheet, benefit="benefit", cost=["Fee (EUR)", "Fee (EUR)"])
