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
    with pytest.raises(ValueError, match=r"missing benefit.*missing='zero'.*principle 6"):
        _fit(df)
    z = _fit(df, missing="zero")  # participant 1 counts as no benefit, cost kept
    assert z.total_benefit_adjusted == pytest.approx(11_250.0, rel=1e-12)
    assert z.total_cost == pytest.approx(16_000.0, rel=1e-12) and z.n_zeroed == 1
    d = _fit(df, missing="drop")
    assert d.total_cost == pytest.approx(11_000.0, rel=1e-12) and d.n_dropped == 1
    assert "1 incomplete row(s) dropped" in d.summary()


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
