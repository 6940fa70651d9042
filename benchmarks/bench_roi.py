"""Benchmark: Bayesian ROI from a fresh process, and refits with a reused compiled model.

1. Time from a fresh Python process to a posterior for 189 participants (4 chains x 1000
   draws), with an empty PyTensor/Numba compile cache (cold) and with a warm one.
2. 100 refits on new datasets: the cached compiled model (``coachstats.roi.bayesian``)
   vs building and compiling a fresh PyMC model per dataset (``pm.sample``, nutpie), and
   vs a fresh model per dataset compiled with coachstats' disk-cached callbacks.

The peer is plain PyMC (always installed with coachstats). Usage::

    .venv/bin/python benchmarks/bench_roi.py [--refits 100] [--fresh 100] [--fresh-cached 20]
    .venv/bin/python benchmarks/bench_roi.py --smoke   # one of each, in this process
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, time
t0 = time.perf_counter()
import coachstats as cs
sim = cs.simulate.roi_program(rng=189)
t1 = time.perf_counter()
res = cs.roi.bayesian(sim.data, benefit="benefit", cost="cost", attribution="attribution",
                      confidence="confidence", draws=1000, tune=1000, chains=4, rng=1)
t2 = time.perf_counter()
from coachstats.roi.bayesian import RoiPrior, compiled_roi_model
cm = compiled_roi_model(RoiPrior())
print(json.dumps({"posterior_at": time.time(),
                  "import_and_data": t1 - t0, "fit": t2 - t1, "compile": cm.compile_seconds,
                  "median_roi_pct": float(res.to_frame().set_index("term").loc["roi_pct",
                                                                               "median"])}))
"""


def _fresh_process(env: dict[str, str]) -> dict[str, float]:
    launched = time.time()
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t0
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["to_posterior"] = info["posterior_at"] - launched
    info["wall"] = wall
    return info


def bench_fresh_process() -> None:
    print("\n1. Fresh process -> posterior (189 participants, 4 chains x 1000 draws)")
    rows = []
    with tempfile.TemporaryDirectory() as cold_dir:
        env = dict(os.environ)
        # base_compiledir holds both PyTensor's C cache and its Numba cache
        env["PYTENSOR_FLAGS"] = f"base_compiledir={cold_dir}/pytensor"
        env["NUMBA_CACHE_DIR"] = f"{cold_dir}/numba"
        rows.append(("cold (empty compile cache)", _fresh_process(env)))
        for i in range(3):
            rows.append((f"warm (cache from the cold run) #{i + 1}", _fresh_process(env)))
    print(f"{'scenario':36s} {'posterior s':>11s} {'exit s':>7s} {'import+data':>12s} "
          f"{'compile':>8s} {'fit':>7s} {'median ROI%':>12s}")
    for name, r in rows:
        print(f"{name:36s} {r['to_posterior']:11.2f} {r['wall']:7.2f} "
              f"{r['import_and_data']:12.2f} {r['compile']:8.2f} {r['fit']:7.2f} "
              f"{r['median_roi_pct']:12.1f}")
    print("posterior s: process launch to posterior in hand; exit s: the whole process, "
          "interpreter shutdown included.\nfit includes compile. target: warm <= 5 s on 2 cores")


def _arrays(d, np, squeeze):
    pos = d["benefit"].to_numpy() > 0
    cbar = d["cost"].mean()
    return {
        "n_total": np.array(len(d)),
        "n_pos": np.array(pos.sum()),
        "log_ratio": np.log(d["benefit"].to_numpy()[pos] / cbar),
        "attribution": squeeze(d["attribution"].to_numpy()[pos])[0],
        "confidence": squeeze(d["confidence"].to_numpy()[pos])[0],
    }


def bench_refits(n_reuse: int, n_fresh: int, n_fresh_cached: int) -> None:
    import warnings

    import numpy as np
    import pymc as pm

    import coachstats as cs
    from coachstats.roi.bayesian import RoiPrior, _build, _squeeze, compiled_roi_model

    print(f"\n2. Refits on new data: {n_reuse} with the reused compiled model vs "
          f"{n_fresh} fresh builds (4 chains x 1000 draws each)")
    n_data = max(n_reuse, n_fresh, n_fresh_cached)
    datasets = [cs.simulate.roi_program(rng=10_000 + i).data for i in range(n_data)]
    logging.getLogger("pymc").setLevel(logging.ERROR)  # pm.sample's per-fit log lines
    kw = {"benefit": "benefit", "cost": "cost", "attribution": "attribution",
          "confidence": "confidence"}
    compiled_roi_model(RoiPrior())  # compile once (not timed: reported in part 1)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    med_reuse = []
    for i in range(n_reuse):
        r = cs.roi.bayesian(datasets[i], **kw, draws=1000, tune=1000, chains=4, rng=i)
        med_reuse.append(np.median(r.draws["bcr"]))
    t_reuse = time.perf_counter() - t0

    # the same refits through the compiled model alone (no summaries, no diagnostics)
    cm = compiled_roi_model(RoiPrior())
    arrays = [_arrays(d, np, _squeeze) for d in datasets[:n_reuse]]
    t0 = time.perf_counter()
    for i, a in enumerate(arrays):
        cm.fit(a, draws=1000, tune=1000, chains=4, rng=i)
    t_fit_only = time.perf_counter() - t0

    build = _build(RoiPrior(), True, True)
    t0 = time.perf_counter()
    med_fresh = []
    for i in range(n_fresh):
        idata = pm.sample(draws=1000, tune=1000, chains=4, random_seed=i, progressbar=False,
                          compute_convergence_checks=False,
                          model=build(_arrays(datasets[i], np, _squeeze)))
        med_fresh.append(float(np.median(idata["posterior"]["share_with_benefit"].values)))
    t_fresh = time.perf_counter() - t0
    # fresh model objects compiled through coachstats' disk-cached callbacks: what reuse
    # saves beyond the disk cache (graph rewriting and cache loading per fit)
    import nutpie

    from coachstats.bayes._disk_cached import compile_model

    t0 = time.perf_counter()
    for i in range(n_fresh_cached):
        compiled = compile_model(build(_arrays(datasets[i], np, _squeeze)))
        nutpie.sample(compiled, draws=1000, tune=1000, chains=4, seed=i, progress_bar=False)
    t_fresh_cached = time.perf_counter() - t0
    per_reuse = t_reuse / max(n_reuse, 1)
    per_fresh = t_fresh / max(n_fresh, 1)
    print(f"{'method':40s} {'fits':>5s} {'total s':>9s} {'per fit s':>10s}")
    print(f"{'coachstats (compiled once, with_data)':40s} {n_reuse:5d} {t_reuse:9.1f} "
          f"{per_reuse:10.3f}")
    print(f"{'  of which compiled-model sampling only':40s} {n_reuse:5d} {t_fit_only:9.1f} "
          f"{t_fit_only / max(n_reuse, 1):10.3f}")
    if n_fresh:
        print(f"{'PyMC fresh build + compile per fit':40s} {n_fresh:5d} {t_fresh:9.1f} "
              f"{per_fresh:10.3f}")
    print(f"{'fresh build, disk-cached callbacks':40s} {n_fresh_cached:5d} "
          f"{t_fresh_cached:9.1f} {t_fresh_cached / max(n_fresh_cached, 1):10.3f}")
    if n_fresh == 0:
        return
    print(f"speed-up per fit: {per_fresh / per_reuse:.1f}x with summaries, "
          f"{per_fresh / (t_fit_only / max(n_reuse, 1)):.1f}x sampling only (target >= 10x)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--refits", type=int, default=100)
    p.add_argument("--fresh", type=int, default=100)
    p.add_argument("--fresh-cached", type=int, default=20)
    p.add_argument("--skip-process", action="store_true")
    p.add_argument("--smoke", action="store_true",
                   help="one fit of ours, no plain-PyMC peer, no fresh processes "
                        "(the test suite runs this)")
    a = p.parse_args()
    if a.smoke:
        a.skip_process, a.refits, a.fresh, a.fresh_cached = True, 1, 0, 1
    print(f"bench_roi: Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s); "
          "peer = plain PyMC (fresh model build and compile per fit)")
    if not a.skip_process:
        bench_fresh_process()
    bench_refits(a.refits, a.fresh, a.fresh_cached)


if __name__ == "__main__":
    main()
