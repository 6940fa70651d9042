"""Replicates on a Dask cluster: the same tables as the serial run, and a lost worker retried.

A two-worker ``LocalCluster`` (processes) runs ``power.simulate`` and ``validate.recovery``;
the replicate tables must equal the serial ones exactly (every replicate is a function of its
own child seed). The killed-worker test ends a worker process in the middle of a task; Dask
reschedules the task on a live worker and the table is still the serial one.
"""

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
import cloudpickle  # noqa: E402  (installed with distributed)

import coachstats  # noqa: E402
from coachstats import power, validate  # noqa: E402
from coachstats.power import scenarios as sc  # noqa: E402
from coachstats.validate.executor import run_tasks  # noqa: E402

# test-module functions travel to the workers by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

GRID = {"effect": [0.0, 0.4]}
FIXED = {"J": 12, "n": 4, "icc": 0.1}


@pytest.fixture(scope="module")
def client():
    src = str(Path(coachstats.__file__).resolve().parents[1])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = src + (os.pathsep + old if old else "")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


def test_local_cluster_gives_the_serial_power_table(client):
    serial = power.simulate(sc.cluster_trial, sc.cluster_means_test, grid=GRID, fixed=FIXED,
                            n_reps=16, rng=4)
    seen = []
    dist = power.simulate(sc.cluster_trial, sc.cluster_means_test, grid=GRID, fixed=FIXED,
                          n_reps=16, rng=4, executor=client, chunk_size=4,
                          progress=False)
    pd.testing.assert_frame_equal(serial.replicates, dist.replicates)
    pd.testing.assert_frame_equal(serial.to_frame(), dist.to_frame())
    # progress reaches the total
    out = run_tasks(abs, [-1, -2, 3], executor=client,
                    progress=lambda d, t: seen.append((d, t)))
    assert out == [1, 2, 3] and seen[-1] == (3, 3)
    # the workers really ran the tasks
    assert len(client.scheduler_info()["workers"]) == 2


def _gen_mean(rng):
    from coachstats.simulate import SimulatedData

    return SimulatedData(pd.DataFrame({"y": rng.normal(1.0, 1.0, 25)}), None, {})


def _est_mean(df):
    m, s = df["y"].mean(), df["y"].std(ddof=1) / np.sqrt(len(df))
    return pd.DataFrame({"term": ["mean"], "estimate": [m], "ci_low": [m - 2.064 * s],
                         "ci_high": [m + 2.064 * s], "ci_level": [0.95]})


def test_local_cluster_gives_the_serial_recovery_table(client):
    a = validate.recovery(_est_mean, _gen_mean, truth={"mean": 1.0}, n_reps=20, rng=8)
    b = validate.recovery(_est_mean, _gen_mean, truth={"mean": 1.0}, n_reps=20, rng=8,
                          executor=client)
    pd.testing.assert_frame_equal(a.replicates, b.replicates)


def _dying_trial(marker, **kw):
    """cluster_trial, but the first call anywhere ends its worker process."""
    if not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)
    return sc.cluster_trial(**kw)


def test_lost_worker_is_retried_without_changing_results(client, tmp_path):
    marker = str(tmp_path / "killed")
    serial = power.simulate(sc.cluster_trial, sc.cluster_means_test, grid=GRID, fixed=FIXED,
                            n_reps=20, rng=6)
    dist = power.simulate(_dying_trial, sc.cluster_means_test, grid=GRID,
                          fixed={**FIXED, "marker": marker}, n_reps=20, rng=6,
                          executor=client, chunk_size=5)
    assert Path(marker).exists()  # a worker really died mid-task
    killed_pid = int(Path(marker).read_text())
    assert killed_pid != os.getpid()
    pd.testing.assert_frame_equal(serial.replicates, dist.replicates)
