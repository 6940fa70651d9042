"""Staggered DiD on a Parquet dataset / Dask DataFrame equals the in-memory fit."""

import numpy as np
import pandas as pd
import pytest

import coachstats as cs

dd = pytest.importorskip("dask.dataframe")
# dask's Parquet reader still passes inplace= to pandas (a deprecation warning, not ours)
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")
pytest.importorskip("pyarrow")

KW = dict(outcome="engagement", unit="team", time="quarter", cohort="coached_from",
          cluster="manager")


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    df = cs.simulate.engagement_panel(n_managers=40, rng=1).data
    df["tenure"] = np.random.default_rng(2).normal(5, 2, len(df))  # a row-level covariate
    path = tmp_path_factory.mktemp("panel") / "panel"
    # several files, rows of one team spread over them
    dd.from_pandas(df.sample(frac=1, random_state=3), npartitions=4).to_parquet(path)
    return df, path


def _same(a, b):
    pd.testing.assert_frame_equal(a.group_time, b.group_time, rtol=1e-9, atol=1e-12)
    for f in ("att", "std_error", "ci_low", "ci_high"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), rel=1e-9)
    assert a.n_individual_rows == b.n_individual_rows
    assert a.outcome_sd == pytest.approx(b.outcome_sd, rel=1e-9)
    assert a.aggregated and b.aggregated
    pd.testing.assert_frame_equal(a.aggregate("dynamic").to_frame(),
                                  b.aggregate("dynamic").to_frame(), rtol=1e-9, atol=1e-12)


def test_parquet_and_dask_frame_equal_in_memory(panel):
    df, path = panel
    before = df.copy()
    mem = cs.did.staggered(df, **KW, aggregate=True, n_boot=199, rng=1)
    pq = cs.did.staggered(str(path), **KW, aggregate=True, n_boot=199, rng=1)
    ddf = cs.did.staggered(dd.read_parquet(path), **KW, aggregate=True, n_boot=199, rng=1)
    _same(mem, pq)
    _same(mem, ddf)
    pd.testing.assert_frame_equal(df, before)
    cov = dict(KW, covariates=["tenure"], control="not_yet")
    _same(cs.did.staggered(df, **cov, aggregate=True, n_boot=0),
          cs.did.staggered(path, **cov, aggregate=True, n_boot=0))


def test_missing_values_and_duplicates(panel, tmp_path):
    df, _ = panel
    bad = df.copy()
    bad.loc[bad.index[:7], "engagement"] = np.nan
    p = tmp_path / "bad.parquet"
    bad.to_parquet(p)
    with pytest.raises(ValueError, match=r"missing values in \{'engagement': 7\}"):
        cs.did.staggered(p, **KW, aggregate=True, n_boot=0)
    res = cs.did.staggered(p, **KW, aggregate=True, n_boot=0, dropna=True)
    mem = cs.did.staggered(bad, **KW, aggregate=True, n_boot=0, dropna=True)
    assert res.n_dropped == mem.n_dropped == 7
    assert res.att == pytest.approx(mem.att, rel=1e-9)
    with pytest.raises(ValueError, match="duplicated"):
        cs.did.staggered(p, **KW, n_boot=0, dropna=True)
    with pytest.raises(ValueError, match="not in the Parquet dataset"):
        cs.did.staggered(p, **dict(KW, cluster="division"), aggregate=True)
    with pytest.raises(FileNotFoundError):
        cs.did.staggered(tmp_path / "nope.parquet", **KW, aggregate=True)
    moved = df.copy()
    moved.loc[moved.index[0], "manager"] = 999
    q = tmp_path / "moved.parquet"
    moved.to_parquet(q)
    with pytest.raises(ValueError, match="manager"):
        cs.did.staggered(q, **KW, aggregate=True, n_boot=0)
