"""Benchmark: the three-level model of coachstats.meta against R metafor ``rma.mv`` on the
same data, in the same run.

Three-level REML (``random = ~ 1 | study/effect``) on 10,000 effects in 1,000 studies
(target: at most 50 ms), on 600 effects in 120 studies, and CR2 cluster-robust tests. metafor
(and clubSandwich for CR2) run through Rscript when installed (otherwise: "peer not
available").

    .venv/bin/python benchmarks/bench_meta_multilevel.py [--no-peer]
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
from coachstats.meta import _multilevel as _ml


def make(studies: int, per_study: int, seed: int = 1) -> pd.DataFrame:
    """Effects with delta = .3, sigma2 = (.04, .01) and sampling variances ~ 4/n."""
    rng = np.random.default_rng(seed)
    k = studies * per_study
    study = np.repeat(np.arange(studies), per_study)
    n = np.repeat(rng.integers(20, 300, studies), per_study)
    vi = 4.0 / n
    u = rng.normal(0, 0.2, studies)[study]
    yi = 0.3 + u + rng.normal(0, 0.1, k) + rng.normal(0, np.sqrt(vi))
    effect = np.tile(np.arange(per_study), studies)
    return pd.DataFrame({"study": study, "effect": effect, "yi": yi, "vi": vi})


def best(fn, reps: int) -> float:
    """Best wall time of ``reps`` calls, in ms."""
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return 1e3 * min(out)


R_SCRIPT = r"""
suppressMessages({library(metafor); library(clubSandwich)})
args <- commandArgs(TRUE)
tm <- function(expr, reps) {
  e <- substitute(expr); f <- parent.frame()
  1000 * system.time(for (i in seq_len(reps)) eval(e, f))[["elapsed"]] / reps }
d <- read.csv(args[2])
if (args[1] == "small") {
  fs <- rma.mv(yi, vi, random = ~ 1 | study/effect, data = d)
  cat("reml600", tm(rma.mv(yi, vi, random = ~ 1 | study/effect, data = d), 1), "\n")
  cat("cr2_600", tm(coef_test(fs, vcov = "CR2", cluster = d$study), 1), "\n")
} else {
  cat(args[1], tm(rma.mv(yi, vi, random = ~ 1 | study/effect, data = d, sparse = TRUE), 1),
      "\n")
}
"""
#: metafor's dense k x k algebra on thousands of effects takes minutes; each R run is stopped
#: after this long and reported as "> limit"
R_LIMIT_S = 30


def metafor_times(frames: dict[str, pd.DataFrame]) -> dict[str, float] | None:
    """metafor's ms per call for each frame (NaN: stopped after R_LIMIT_S seconds)."""
    if shutil.which("Rscript") is None:
        return None
    ok = subprocess.run(["Rscript", "-e", "library(metafor); library(clubSandwich)"],
                        capture_output=True)  # fmt: skip
    if ok.returncode != 0:
        return None
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp)
        (p / "bench.R").write_text(R_SCRIPT)
        for mode, frame in frames.items():
            frame.to_csv(p / f"{mode}.csv", index=False)
            try:
                run = subprocess.run(["Rscript", str(p / "bench.R"), mode, str(p / f"{mode}.csv")],
                                     capture_output=True, text=True, check=True,
                                     timeout=R_LIMIT_S)  # fmt: skip
            except subprocess.TimeoutExpired:
                for key in (("reml600", "cr2_600") if mode == "small" else (mode,)):
                    out[key] = float("nan")
                continue
            for line in run.stdout.splitlines():
                out[line.split()[0]] = float(line.split()[1])
    return out


def main() -> int:
    smoke = "--smoke" in sys.argv  # tiny sizes, no peer: the test suite runs this
    big, mid, small = ((make(40, 4), make(20, 3, 3), make(12, 3, 2)) if smoke
                       else (make(1000, 10), make(300, 10, 3), make(120, 5, 2)))
    y, v = big["yi"].to_numpy(), big["vi"].to_numpy()
    X = np.ones((len(y), 1))
    cl = _ml.Clusters(big["study"].to_numpy())

    def fit_big():
        return cs.meta.multilevel(big, "yi", "vi", levels=["study", "effect"])

    res_small = cs.meta.multilevel(small, "yi", "vi", levels=["study", "effect"])
    rows = [
        ("REML, multilevel()", len(big), best(fit_big, 10), "reml10000"),
        ("REML, core fit only", len(big),
         best(lambda: _ml.fit_components(y, v, X, cl, reml=True), 10), "reml10000"),
        ("REML, multilevel()", len(mid),
         best(lambda: cs.meta.multilevel(mid, "yi", "vi", levels=["study", "effect"]), 10),
         "reml3000"),
        ("REML, multilevel()", len(small),
         best(lambda: cs.meta.multilevel(small, "yi", "vi", levels=["study", "effect"]), 10),
         "reml600"),
        ("CR2 robust()", len(small), best(res_small.robust, 10), "cr2_600"),
    ]  # fmt: skip
    peer = None if smoke or "--no-peer" in sys.argv else metafor_times(
        {"small": small, "reml3000": mid, "reml10000": big})
    print("coachstats.meta.multilevel vs metafor rma.mv (ms per call; ratio = metafor / "
          "coachstats)")  # fmt: skip
    print(f"{'task':<24}{'k':>10}{'coachstats':>12}{'metafor':>12}{'ratio':>10}")
    for task, k, ms, key in rows:
        if peer is None or key not in peer:
            other, ratio = "n/a", ""
        elif np.isnan(peer[key]):
            other, ratio = f">{R_LIMIT_S} s", f">{R_LIMIT_S * 1e3 / ms:.0f}x"
        else:
            other, ratio = f"{peer[key]:.1f}", f"{peer[key] / ms:.0f}x"
        print(f"{task:<24}{k:>10,}{ms:>12.2f}{other:>12}{ratio:>10}")
    if peer is None:
        print("peer not available (Rscript with metafor/clubSandwich, or --no-peer)")
    target = rows[0][2]
    print(f"target: three-level REML on 10,000 effects <= 50 ms: {target:.1f} ms on {len(big):,} "
          f"({'met' if target <= 50 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
