"""variance.decompose on a Parquet dataset / Dask DataFrame equals the in-memory fit."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    rng = np.random.default_rng(0)
    team = np.repeat(np.arange(90), rng.integers(1, 12, 90))  # unequal teams, some of 1
    manager = team // 3
    y = (rng.normal(0, .5, 30)[manager] + rng.normal(0, .4, 90)[team]
         + rng.normal(0, 1, team.size))
    df = pd.DataFrame({"manager": manager, "team": team, "engagement": y})
    path = tmp_path_factory.mktemp("people") / "people"
    dd.from_pandas(df, npartitions=3).to_parquet(path)  # rows sorted by manager, team
    return df, path


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_parquet_equals_in_memory(people, method):
    df, path = people
    kw = dict(method=method, n_boot=200, rng=4)
    mem = cs.variance.decompose(df, "engagement", ["manager", "team"], **kw)
    pq = cs.variance.decompose(str(path), "engagement", ["manager", "team"], **kw)
    pd.testing.assert_frame_equal(mem.to_frame(), pq.to_frame(), rtol=1e-6)
    pd.testing.assert_frame_equal(mem.components, pq.components, rtol=1e-6)
    pd.testing.assert_frame_equal(mem.icc2, pq.icc2, rtol=1e-6)
    assert mem.n == pq.n and mem.n_groups == pq.n_groups
    assert mem.single_child_share == pytest.approx(pq.single_child_share)
    np.testing.assert_allclose(mem.draws, pq.draws, rtol=1e-6)
    ddf = cs.variance.decompose(dd.read_parquet(path), "engagement", ["manager", "team"],
                                method=method, n_boot=0)
    np.testing.assert_allclose(ddf.variances, mem.variances, rtol=1e-6)


def test_out_of_core_limits_are_explained(people, tmp_path):
    _, path = people
    with pytest.raises(ValueError, match="covariates need the individual rows"):
        cs.variance.decompose(path, "engagement", ["manager", "team"], covariates=["x"])
    crossed = pd.DataFrame({"manager": [0, 0, 1, 1] * 3, "team": [0, 1, 0, 1] * 3,
                            "engagement": np.arange(12.0)})
    p = tmp_path / "crossed.parquet"
    crossed.to_parquet(p)
    with pytest.raises(ValueError, match="ids='within'"):
        cs.variance.decompose(p, "engagement", ["manager", "team"], n_boot=0)


def test_single_member_groups_are_refused(tmp_path):
    one = pd.DataFrame({"manager": np.arange(12) // 3, "team": np.arange(12),
                        "engagement": np.random.default_rng(1).normal(size=12)})
    p = tmp_path / "one.parquet"
    one.to_parquet(p)
    with pytest.raises(ValueError, match="contains a single person") as out:
        cs.variance.decompose(p, "engagement", ["manager", "team"], n_boot=0)
    with pytest.raises(ValueError, match="contains a single person") as mem:
        cs.variance.decompose(one, "engagement", ["manager", "team"], n_boot=0)
    assert str(out.value) == str(mem.value)
