"""The shared building blocks: rng handling, validation, results, interpretation."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from coachstats import _validate as V
from coachstats._rng import as_generator, seed_from, spawn
from coachstats.interpret import improvement_index, label
from coachstats.results import FRAME_COLUMNS, tidy_frame


def test_rng_int_and_generator_reproduce():
    assert as_generator(5).normal() == as_generator(5).normal()
    g = np.random.default_rng(3)
    assert as_generator(g) is g
    assert seed_from(7) == seed_from(7)
    a, b = spawn(11, 2)
    assert a.normal() != b.normal()
    assert [x.normal() for x in spawn(11, 2)] == [x.normal() for x in spawn(11, 2)]


@pytest.mark.parametrize("bad", [-1, 1.5, "3", np.random.RandomState(0), True])
def test_rng_rejects_bad(bad):
    with pytest.raises((TypeError, ValueError), match="rng"):
        as_generator(bad)


def test_import_does_not_load_pymc():
    code = (
        "import sys, coachstats as cs; cs.simulate; cs.validate; cs.interpret;"
        "bad=[m for m in ('pymc','pytensor','arviz','matplotlib') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def df():
    return pd.DataFrame({"r": [0.1, 0.5, np.nan, 0.3], "n": [50, 60, 70, 80], "g": list("aabb")})


def test_prepare_missing_column_lists_available(df):
    with pytest.raises(ValueError, match=r"'rr'.*argument r=.*Available columns: 'r', 'n', 'g'"):
        V.prepare(df, {"r": "rr", "n": "n"})


def test_prepare_missing_values_raise_then_drop_and_count(df):
    before = df.copy()
    with pytest.raises(ValueError, match=r"'r'.*1 missing.*rows 2.*dropna=True"):
        V.prepare(df, {"r": "r", "n": "n"})
    out, miss = V.prepare(df, {"r": "r", "n": "n"}, dropna=True)
    assert miss.n_dropped == 1 and miss.n_used == 3 and miss.by_column == {"r": 1}
    pd.testing.assert_frame_equal(df, before)  # caller's frame untouched
    out.loc[0, "r"] = 99
    assert df.loc[0, "r"] == 0.1


def test_non_numeric_names_rows():
    d = pd.DataFrame({"r": ["0.1", "x", "0.2", "y"]})
    with pytest.raises(TypeError, match=r"'r'.*numeric.*rows: 1, 3"):
        V.prepare(d, {"r": "r"}, numeric=["r"])


def test_range_unique_nested_varies():
    d = pd.DataFrame({"r": [0.2, 1.2, -1.0], "t": [1, 1, 2], "m": [1, 2, 2], "u": [1, 1, 1]})
    with pytest.raises(ValueError, match=r"\(-1, 1\).*2 row\(s\).*1, 2"):
        V.require_range(d, "r", -1, 1, low_inclusive=False, high_inclusive=False)
    with pytest.raises(ValueError, match=r"\(t\) combination.*t=1"):
        V.require_unique_keys(d, ["t"])
    with pytest.raises(ValueError, match=r"'t'.*more than one 'm'.*t=1 under m=\[1, 2\]"):
        V.require_nested(d, "t", "m")
    with pytest.raises(ValueError, match="never varies"):
        V.require_varies(d, "u")
    with pytest.raises(ValueError, match=r"Did you mean 0\.95"):
        V.check_ci_level(95)
    with pytest.raises(TypeError, match="DataFrame"):
        V.check_dataframe([1, 2])


def test_tidy_frame_has_standard_columns_first():
    f = tidy_frame([{"term": "a", "estimate": 1.0, "z": 3}], extra=["z"])
    assert tuple(f.columns[: len(FRAME_COLUMNS)]) == FRAME_COLUMNS
    assert f.columns[-1] == "z"


def test_interpret_names_its_rule():
    assert str(label(0.39)) == "large, following Funder & Ozer (2019)"
    assert label(-0.6, "cohen1988_d").label == "medium"
    assert label(0.2, "cohen1988_d", term="d_z").term == "d_z"
    with pytest.raises(ValueError, match=r"rule=.*not supported"):
        label(0.2, "cohen")
    assert label(0.25, "wwc_g").label == "substantively important"
    # WWC improvement index: Phi(0.25) = 0.598706 -> 9.87
    assert improvement_index(0.25) == pytest.approx(9.8706, abs=1e-4)


def test_generator_names_resolve_to_functions_every_time():
    import coachstats as cs
    from coachstats.simulate import GENERATORS

    for name, module in GENERATORS.items():
        assert name != module.lstrip("."), f"{name} shares its module's name"
        for _ in range(2):
            assert callable(getattr(cs.simulate, name)) and not isinstance(
                getattr(cs.simulate, name), type(cs)
            )
