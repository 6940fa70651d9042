"""prepare.scale against R psych (alpha, scoreItems) and lavaan (omega total) on psych::bfi.

Reference values: tests/reference/prepare_psych_lavaan.{R,json} (R 4.2.2, psych 2.2.9,
lavaan 0.6.14). Deterministic estimators: rtol 1e-6 (omega: lavaan's default convergence
leaves ~5e-7; our ML solution has a lower discrepancy than lavaan's stopping point).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachstats import prepare
from coachstats.results import Caution

REF = Path(__file__).parent / "reference"
J = json.loads((REF / "prepare_psych_lavaan.json").read_text())
ITEMS = ["A1", "A2", "A3", "A4", "A5"]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(REF / "prepare_bfi_agree.csv")


@pytest.mark.parametrize("missing", ["complete", "pairwise"])
def test_alpha_matches_psych(bfi, missing):
    res = prepare.scale(bfi, ITEMS, reverse=["A1"], scale_range=(1, 6), missing=missing)
    ref = J[missing]
    assert res.n == ref["n_obs"]
    assert res.alpha == pytest.approx(ref["raw_alpha"], rel=1e-6)
    assert res.std_alpha == pytest.approx(ref["std_alpha"], rel=1e-6)
    assert res.alpha_ci[0] == pytest.approx(ref["feldt_low"], rel=1e-6)
    assert res.alpha_ci[1] == pytest.approx(ref["feldt_high"], rel=1e-6)
    np.testing.assert_allclose(res.items["item_rest"], [ref["item_rest"][i] for i in ITEMS],
                               rtol=1e-6)
    np.testing.assert_allclose(res.items["alpha_if_deleted"],
                               [ref["alpha_if_deleted"][i] for i in ITEMS], rtol=1e-6)


def test_omega_matches_lavaan(bfi):
    res = prepare.scale(bfi, ITEMS, reverse=["A1"], scale_range=(1, 6))
    assert res.omega == pytest.approx(J["omega_total"], rel=1e-6)
    # loadings on the covariance scale (lavaan uses the N-divisor covariance: rescale)
    n = J["n_complete"]
    np.testing.assert_allclose(np.array(res.loadings) * np.sqrt((n - 1) / n), J["loadings"],
                               rtol=1e-5)


def test_scores_with_missing_items_match_score_items(bfi):
    res = prepare.scale(bfi, ITEMS, reverse=["A1"], scale_range=(1, 6), min_answered=1)
    ref = np.array([np.nan if v is None else v for v in J["scores"]])
    np.testing.assert_allclose(res.scores.to_numpy(), ref, rtol=1e-12)
    assert res.scores.index.equals(bfi.index)


def test_min_answered_rule_and_input_untouched():
    df = pd.DataFrame({"Q1": [1, 2, np.nan, 4, 5, 3], "Q2": [2, np.nan, np.nan, 4, 5, 3],
                       "Q3": [1, 3, 4, 5, 4, 2]})
    before = df.copy()
    res = prepare.scale(df, ["Q1", "Q2", "Q3"], min_answered=2)
    pd.testing.assert_frame_equal(df, before)
    assert np.isnan(res.scores.iloc[2])  # one of three answered
    assert res.scores.iloc[1] == pytest.approx(2.5)
    assert res.n_unscored == 1 and res.n == 4  # complete cases for reliability


def test_forgotten_reverse_key_warns_and_is_a_caution():
    rng = np.random.default_rng(3)
    t = rng.normal(size=300)
    df = pd.DataFrame({f"Q{j}": np.clip(np.rint(3 + t + rng.normal(0, .7, 300)), 1, 5)
                       for j in range(1, 5)})
    df["Q3"] = 6 - df["Q3"]
    with pytest.warns(UserWarning, match=r"Q3 correlates negatively with the rest .*"
                                         r"reverse=\['Q3'\]"):
        bad = prepare.scale(df, ["Q1", "Q2", "Q3", "Q4"])
    codes = {c.code for c in bad.cautions}
    assert {"negative_item_rest", "low_reliability"} <= codes
    assert all(isinstance(c, Caution) for c in bad.cautions)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        good = prepare.scale(df, ["Q1", "Q2", "Q3", "Q4"], reverse=["Q3"])
    assert good.cautions == () and good.alpha > 0.8 > bad.alpha


def test_result_verbs():
    df = pd.read_csv(REF / "prepare_bfi_agree.csv").head(400)
    res = prepare.scale(df, ITEMS, reverse=["A1"], scale_range=(1, 6))
    f = res.to_frame()
    assert f["term"].tolist() == ["alpha", "standardized_alpha", "omega_total"]
    assert list(f.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                   "ci_level"]
    assert "complete cases" in res.summary()
    assert set(res.item_frame().columns) >= {"item", "item_rest", "alpha_if_deleted"}
    import matplotlib

    matplotlib.use("Agg")
    ax = res.plot()
    assert len(ax.patches) == len(ITEMS)


def test_scale_errors_name_columns_rows_and_fix():
    df = pd.DataFrame({"Q1": [1, 2, 7], "Q2": [1, "x", 3], "EmployeeID": ["a", "b", "c"]})
    with pytest.raises(ValueError, match=r"'Q9' \(items=\).*'q1'"):
        prepare.scale(df, ["Q1", "Q9", "q1"])
    with pytest.raises(ValueError, match=r"'Q1' has answers outside 1-5: row 4 \(EmployeeID c\)"
                                         r": 7.*scale_range="):
        prepare.scale(df.drop(columns="Q2").assign(Q2=[1, 2, 3]), ["Q1", "Q2"],
                      person="EmployeeID")
    with pytest.raises(TypeError, match=r"'Q2' must hold numbers.*row 3: 'x'"):
        prepare.scale(df.assign(Q1=[1, 2, 3]), ["Q1", "Q2"])
    with pytest.raises(ValueError, match="reverse names"):
        prepare.scale(df.assign(Q1=[1, 2, 3], Q2=[1, 2, 3]), ["Q1", "Q2"], reverse=["Q3"])
