"""Benchmark: coachstats.meta against R metafor on the same data, in the same run.

Times REML at k = 160, 2,000 and 1,000,000, the Q-profile CI of tau^2 and leave-one-out at
k = 160. metafor runs through Rscript when it is installed (otherwise: "peer not
available"); it is skipped at k = 10^6, where its dense k x k algebra cannot run.

    .venv/bin/python benchmarks/bench_meta.py [--no-peer]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import coachstats as cs
from coachstats.meta import _core


def make(k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = rng.integers(20, 600, k)
    z = rng.normal(0.4, np.sqrt(0.01 + 1 / (n - 3)))
    return pd.DataFrame({"r": np.round(np.tanh(z), 6), "n": n})


def best(fn, reps: int) -> float:
    """Best wall time of ``reps`` calls, in ms (metafor's column is a mean per call)."""
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return 1e3 * min(out)


R_SCRIPT = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
# mean time per call over `reps` calls (system.time has a 1 ms resolution)
tm <- function(expr, reps) {
  e <- substitute(expr); f <- parent.frame()
  1000 * system.time(for (i in seq_len(reps)) eval(e, f))[["elapsed"]] / reps }
d160 <- escalc("ZCOR", ri = r, ni = n, data = read.csv(args[1]))
d2000 <- escalc("ZCOR", ri = r, ni = n, data = read.csv(args[2]))
f160 <- rma(yi, vi, data = d160)
cat("reml160", tm(rma(yi, vi, data = d160), 50), "\n")
cat("reml2000", tm(rma(yi, vi, data = d2000), 1), "\n")
cat("qprofile160", tm(confint(f160), 20), "\n")
cat("loo160", tm(leave1out(f160), 1), "\n")
"""


def metafor_times(d160: pd.DataFrame, d2000: pd.DataFrame) -> dict[str, float] | None:
    if shutil.which("Rscript") is None:
        return None
    ok = subprocess.run(["Rscript", "-e", "library(metafor)"], capture_output=True)
    if ok.returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp)
        d160.to_csv(p / "d160.csv", index=False)
        d2000.to_csv(p / "d2000.csv", index=False)
        (p / "bench.R").write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(p / "bench.R"), str(p / "d160.csv"), str(p / "d2000.csv")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return {line.split()[0]: float(line.split()[1]) for line in out.stdout.splitlines()}


def main() -> int:
    smoke = "--smoke" in sys.argv  # tiny sizes, no peer: the test suite runs this
    d160, d2000, d1m = (make(20), make(50, 2), make(1_000, 3)) if smoke else (
        make(160), make(2000, 2), make(1_000_000, 3))
    res160 = cs.meta.correlations(d160)
    y, v = np.arctanh(d2000["r"].to_numpy()), 1 / (d2000["n"].to_numpy() - 3.0)
    rows = [
        ("REML, correlations()", 160, best(lambda: cs.meta.correlations(d160), 20), "reml160"),
        ("REML, correlations()", 2000, best(lambda: cs.meta.correlations(d2000), 20), "reml2000"),
        ("REML, core fit only", 2000, best(lambda: _core.fit(y, v), 20), "reml2000"),
        ("REML, correlations()", 1_000_000, best(lambda: cs.meta.correlations(d1m), 3), None),
        ("Q-profile CI of tau^2", 160, best(res160.heterogeneity_ci, 20), "qprofile160"),
        ("leave-one-out", 160, best(lambda: cs.meta.leave_one_out(res160), 10), "loo160"),
    ]
    peer = None if smoke or "--no-peer" in sys.argv else metafor_times(d160, d2000)
    print("coachstats.meta vs metafor (ms per call; ratio = metafor / coachstats)")
    print(f"{'task':<24}{'k':>10}{'coachstats':>12}{'metafor':>12}{'ratio':>10}")
    for task, k, ms, key in rows:
        if peer is None:
            other, ratio = "n/a", ""
        elif key is None:
            other, ratio = "not run", ""
        else:
            other, ratio = f"{peer[key]:.1f}", f"{peer[key] / ms:.0f}x"
        print(f"{task:<24}{k:>10,}{ms:>12.2f}{other:>12}{ratio:>10}")
    if peer is None:
        print("peer not available (Rscript with metafor, or --no-peer): coachstats only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
