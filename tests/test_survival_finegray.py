"""Fine-Gray subdistribution hazards against R cmprsk::crr 2.2.11 (values pinned by
tests/reference/survival_finegray.R in survival_finegray.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachstats.survival import fine_gray, mark_after_origin

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "survival_finegray.json").read_text())


@pytest.fixture(scope="module")
def mg():
    d = pd.read_csv(REF / "survival_mgus2.csv")
    return d.assign(male=(d["sex"] == "M").astype(int), yr=np.ceil(d["etime"] / 12))


@pytest.mark.reference
@pytest.mark.parametrize(("key", "ev", "time"),
                         [("pcm", "pcm", "etime"), ("death", "death", "etime"),
                          ("pcm_years", "pcm", "yr")])
def test_fine_gray_matches_crr(mg, key, ev, time):
    ref = R[key]
    before = mg.copy()
    f = fine_gray(mg, time, "event", ["age", "male"], event_of_interest=ev, censor="censor")
    pd.testing.assert_frame_equal(mg, before)
    np.testing.assert_allclose(f.coef, ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(f.std_error, ref["se"], rtol=1e-6)
    np.testing.assert_allclose([f.loglik_null, f.loglik], [ref["loglik_null"], ref["loglik"]],
                               rtol=1e-9)
    assert f.n == ref["n"]


def test_fine_gray_result_and_errors(mg):
    f = fine_gray(mg, "etime", "event", ["male"], event_of_interest="pcm", censor="censor")
    fr = f.to_frame()
    assert f.to_frame(scale="hr")["estimate"].iloc[0] == pytest.approx(fr["shr"].iloc[0])
    assert list(fr.columns[:6]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                    "ci_level"]
    assert fr["shr"].iloc[0] == pytest.approx(np.exp(fr["estimate"].iloc[0]))
    assert "subdistribution" in f.notes[1] and f.cautions == ()
    assert f.plot() is not None
    with pytest.raises(ValueError, match="does not occur"):
        fine_gray(mg, "etime", "event", ["male"], event_of_interest="exit", censor="censor")
    marked = mark_after_origin(mg, {"male": "age"})
    with pytest.raises(ValueError, match="immortal-time"):
        fine_gray(marked, "etime", "event", ["male"], event_of_interest="pcm", censor="censor")
    bad = mg.assign(age=mg["age"].astype(float))
    bad.loc[3, "age"] = np.inf
    with pytest.raises(ValueError, match=r"'age' has non-finite values.*3"):
        fine_gray(bad, "etime", "event", ["age"], event_of_interest="pcm", censor="censor")
