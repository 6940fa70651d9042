"""Single-organisation series publish wave means: each must rest on min_group_size distinct
people (person= for individual responses, respondents= for aggregated series)."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs


def _responses(sizes, rng=0, units=("org",)):
    """One row per response: ``sizes[w]`` distinct people answer in wave ``w + 1``."""
    g = np.random.default_rng(rng)
    rows = []
    for u in units:
        for w, n in enumerate(sizes, start=1):
            for p in range(n):
                rows.append({"unit": u, "wave": w, "person": f"{u}-p{p}",
                             "score": 3.5 + 0.02 * w + 0.3 * (w >= 7) + g.normal(0, 0.3)})
    return pd.DataFrame(rows)


def test_interrupted_person_computes_wave_means_and_counts_people():
    d = _responses([6] * 12)
    before = d.copy()
    res = cs.timeseries.interrupted(d, "score", "wave", intervention=7, person="person",
                                    errors="ols")
    pd.testing.assert_frame_equal(d, before)
    means = d.groupby("wave", as_index=False)["score"].mean()
    ref = cs.timeseries.interrupted(means, "score", "wave", intervention=7, errors="ols")
    pd.testing.assert_frame_equal(res.to_frame(), ref.to_frame())
    assert res.min_respondents == 6 and res.min_group_size == 5
    assert not any(c.code == "respondents_unchecked" for c in res.cautions)
    assert any(c.code == "respondents_unchecked" for c in ref.cautions)


def test_interrupted_refuses_small_waves_and_names_them():
    sizes = [6] * 12
    sizes[3] = 4   # wave 4
    sizes[9] = 2   # wave 10
    d = _responses(sizes)
    with pytest.raises(ValueError, match=r"wave=4: 4; wave=10: 2.*[Mm]erge") as e:
        cs.timeseries.interrupted(d, "score", "wave", intervention=7, person="person")
    assert "min_group_size=5" in str(e.value)
    # lowering the threshold to the floor admits wave 4 but not wave 10 (2 people)
    with pytest.raises(ValueError, match="wave=10: 2"):
        cs.timeseries.interrupted(d, "score", "wave", intervention=7, person="person",
                                  min_group_size=3)
    with pytest.raises(ValueError, match="at least 3"):
        cs.timeseries.interrupted(d, "score", "wave", intervention=7, person="person",
                                  min_group_size=2)


def test_rows_repeat_per_person_are_counted_once():
    d = _responses([6] * 12)
    dup = pd.concat([d, d.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than once"):
        cs.timeseries.interrupted(dup, "score", "wave", intervention=7, person="person")
    # five rows in a wave from only three people: refused
    few = d[~((d["wave"] == 2) & d["person"].isin(["org-p3", "org-p4", "org-p5"]))]
    with pytest.raises(ValueError, match="wave=2: 3"):
        cs.timeseries.interrupted(few, "score", "wave", intervention=7, person="person")


def test_interrupted_respondents_column_for_aggregated_series():
    d = _responses([6] * 12)
    agg = d.groupby("wave", as_index=False).agg(score=("score", "mean"),
                                                n=("person", "nunique"))
    res = cs.timeseries.interrupted(agg, "score", "wave", intervention=7, respondents="n")
    assert res.min_respondents == 6
    agg.loc[agg["wave"] == 8, "n"] = 3
    with pytest.raises(ValueError, match=r"respondents \(column 'n'\): wave=8: 3"):
        cs.timeseries.interrupted(agg, "score", "wave", intervention=7, respondents="n")
    agg["n"] = agg["n"].astype(float)
    agg.loc[agg["wave"] == 8, "n"] = 2.5
    with pytest.raises(ValueError, match="whole"):
        cs.timeseries.interrupted(agg, "score", "wave", intervention=7, respondents="n")
    with pytest.raises(ValueError, match="not both"):
        cs.timeseries.interrupted(d.assign(n=6), "score", "wave", intervention=7,
                                  respondents="n", person="person")


def test_synthetic_control_person_and_respondents():
    units = ("focal", "a", "b", "c", "d")
    d = _responses([5] * 10, units=units)
    d.loc[d["unit"] != "focal", "score"] -= 0.3 * (d["wave"] >= 7)
    res = cs.timeseries.synthetic_control(d, "score", "unit", "wave", treated="focal",
                                          intervention=7, person="person")
    assert res.min_respondents == 5
    agg = d.groupby(["unit", "wave"], as_index=False).agg(score=("score", "mean"),
                                                           n=("person", "nunique"))
    ref = cs.timeseries.synthetic_control(agg, "score", "unit", "wave", treated="focal",
                                          intervention=7, respondents="n")
    pd.testing.assert_frame_equal(res.to_frame(), ref.to_frame())
    small = d[~((d["unit"] == "b") & (d["wave"] == 3) & (d["person"] == "b-p0"))]
    with pytest.raises(ValueError, match="unit='b', wave=3: 4"):
        cs.timeseries.synthetic_control(small, "score", "unit", "wave", treated="focal",
                                        intervention=7, person="person")
    agg.loc[(agg["unit"] == "focal") & (agg["wave"] == 9), "n"] = 1
    with pytest.raises(ValueError, match="unit='focal', wave=9: 1"):
        cs.timeseries.synthetic_control(agg, "score", "unit", "wave", treated="focal",
                                        intervention=7, respondents="n")
