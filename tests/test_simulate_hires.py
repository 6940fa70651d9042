"""hire_performance: defaults echo Bidwell (2011), the truth is exact, parameters validated."""

import numpy as np
import pandas as pd
import pytest

from coachstats.simulate.hires import hire_performance


def test_defaults_shape_and_reproducible():
    a = hire_performance(rng=2009)
    pd.testing.assert_frame_equal(a.data, hire_performance(rng=2009).data)
    assert list(a.data.columns) == ["employee", "hire_type", "year", "rating",
                                    "starting_salary", "prior_experience_years"]
    y1 = a.data.loc[a.data["year"] == 1]
    assert (y1["hire_type"] == "internal").sum() == 500
    assert (y1["hire_type"] == "external").sum() == 300
    assert a.data.groupby("employee")["year"].apply(
        lambda s: list(s) == list(range(1, len(s) + 1))).all()
    assert a.truth.gap_d == {"year=1": -0.3, "year=2": -0.2, "year=3": 0.0, "year=4": 0.05}
    assert a.truth.gap_raw["year=1"] == pytest.approx(-0.18)


def test_truth_matches_a_large_sample():
    sim = hire_performance(n_internal=40000, n_external=40000, exit_internal=0.1,
                           exit_external=0.2, rng=3)
    d = sim.data
    for y in range(1, 5):
        s = d.loc[d["year"] == y]
        ext, inn = s.loc[s["hire_type"] == "external", "rating"], s.loc[
            s["hire_type"] == "internal", "rating"]
        assert ext.std() == pytest.approx(0.6, rel=0.02)
        assert (ext.mean() - inn.mean()) / 0.6 == pytest.approx(sim.truth.gap_d[f"year={y}"],
                                                               abs=0.03)
    first = d.loc[d["year"] == 1]
    prem = np.log(first.groupby("hire_type")["starting_salary"].median())
    assert prem["external"] - prem["internal"] == pytest.approx(0.18, abs=0.01)
    # yearly exit: share still employed in year 2
    stay = d.loc[d["year"] == 2].groupby("hire_type").size() / 40000
    assert stay["external"] == pytest.approx(0.8, abs=0.01)
    assert stay["internal"] == pytest.approx(0.9, abs=0.01)


def test_parameter_errors():
    with pytest.raises(ValueError, match="gap must have one value per tenure year"):
        hire_performance(years=3)
    with pytest.raises(ValueError, match="stability must lie in"):
        hire_performance(stability=1.0)
    with pytest.raises(ValueError, match="exit_external must lie in"):
        hire_performance(exit_external=1.5)
    with pytest.raises(TypeError, match="n_internal must be an integer"):
        hire_performance(n_internal=10.5)
    no_exit = hire_performance(n_internal=5, n_external=5, exit_internal=0, exit_external=0,
                               rng=1)
    assert len(no_exit.data) == 10 * 4
