"""Time the multilevel Bayesian DiD on the 200-manager, 8-quarter synthetic study.

Compile time (PyMC graph -> Numba, with coachstats' disk-cached nutpie callbacks) is reported
separately from sampling time, for three states of PyTensor's compilation cache; beside it,
``nutpie_compile_s`` is nutpie's own compilation of the same model in the same process:

* cold: a fresh process with an empty cache directory (first use on a new machine);
* disk-warm: a fresh process reusing that cache directory (a second session);
* in-process: a second, different data set fitted in the same process.

In the same run, ``--naive`` also fits the textbook row-level PyMC model (one likelihood
term per survey response, explicit non-centred cell shocks) on the same data. With about 8
respondents per cell the two cost about the same (the row-level gradient is dearer, but its
trees are shallower); the cell model's cost does not grow with respondents per cell.
No other package fits this model (CausalPy has no partial pooling across cohorts or
levels), so there is no external peer: the script prints "peer not available" for it.

Usage::

    python benchmarks/bench_did_bayes.py                 # 200 managers x 8 quarters
    python benchmarks/bench_did_bayes.py --naive         # also the row-level model
    python benchmarks/bench_did_bayes.py --managers 50 --draws 500 --chains 2
    python benchmarks/bench_did_bayes.py --smoke         # one tiny fit in this process
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd

COLS = dict(outcome="engagement", unit="team", time="quarter", cohort="coached_from")


def make_data(managers: int, periods: int, seed: int) -> tuple[pd.DataFrame, float]:
    """The package's engagement generator if present, else an equivalent inline one."""
    import coachstats as cs

    try:
        sim = cs.simulate.engagement_panel(n_managers=managers, periods=periods, rng=seed)
        return sim.data, float(sim.truth.att)
    except (ImportError, AttributeError, TypeError):
        pass
    r = np.random.default_rng(seed)
    cohorts = (3, 5, 7) if periods >= 8 else (3,)
    g_of_m = r.choice([0, *cohorts], size=managers)
    period = 0.04 * np.arange(periods) + r.normal(0, 0.05, periods)
    rows = []
    for m in range(managers):
        um, g = r.normal(0, 0.25), int(g_of_m[m])
        for k in range(3):
            ut = r.normal(0, 0.2)
            for t in range(1, periods + 1):
                eff = 0.25 + 0.05 * (t - g) if g and t >= g else 0.0
                mu = 3.6 + period[t - 1] + um + ut + eff + r.normal(0, 0.1)
                rows += [(m, f"{m}-{k}", t, g, y) for y in mu + r.normal(0, 0.8, 8)]
    df = pd.DataFrame(rows, columns=["manager", "team", "quarter", "coached_from", "engagement"])
    n_g = df.drop_duplicates("team").query("coached_from > 0").groupby("coached_from").size()
    post = [(g, t - g) for g in n_g.index for t in range(g, periods + 1)]
    w = np.array([n_g[g] for g, _ in post], float)
    return df, float(np.sum(w * [0.25 + 0.05 * e for _, e in post]) / w.sum())


def _naive_from_scratch(c, d, row_cell, y, cells):
    """Row-level model with the same priors: one Normal term per response, explicit
    non-centred cell shocks."""
    import pymc as pm
    import pytensor.tensor as pt

    times = np.sort(c["_t"].unique())
    t_idx = np.searchsorted(times, c["_t"].to_numpy())
    gkeys = np.where(c["_never"], np.inf, c["_g"].to_numpy(dtype=float))
    glev = np.sort(np.unique(gkeys))
    g_idx = np.searchsorted(glev, gkeys)
    lookup = {(float(g), int(e)): i for i, (g, e) in
              enumerate(zip(d.ge["cohort"], d.ge["event_time"], strict=True))}
    k_idx = np.array([lookup.get((float(g), int(e)), len(d.ge)) if tr else len(d.ge)
                      for g, e, tr in zip(c["_g"], c["_e"], c["_treated"], strict=True)])
    e_of_k = np.searchsorted(d.event_times, d.ge["event_time"].to_numpy())
    with pm.Model() as model:
        mu = pm.Normal("intercept", 0, 2) + pt.concatenate(
            [pt.zeros(1), pm.Normal("period_effect", 0, 1, shape=len(times) - 1)])[t_idx]
        mu = mu + pt.concatenate(
            [pm.Normal("cohort_mean_effect", 0, 1, shape=len(glev) - 1), pt.zeros(1)])[g_idx]
        for i, (name, size) in enumerate(zip(cells.level_names, cells.level_sizes,
                                             strict=True)):
            sd_l = pm.HalfNormal(f"sd_{name}", 1.0)
            mu = mu + sd_l * pm.Normal(f"z_{name}", 0, 1, shape=size)[c[f"_l{i}"].to_numpy()]
        theta = pm.Normal("effect_mean", 0, 1) + pm.HalfNormal("sd_event", 0.5) * pm.Normal(
            "z_event", 0, 1, shape=len(d.event_times))
        tau = theta[e_of_k] + pm.HalfNormal("sd_cohort", 0.5) * pm.Normal(
            "z_group_time", 0, 1, shape=len(d.ge))
        mu = mu + pt.concatenate([tau, pt.zeros(1)])[k_idx]
        mu = mu + pm.HalfNormal("sd_cell", 0.5) * pm.Normal("z_cell", 0, 1, shape=len(c))
        pm.Normal("y", mu[row_cell], pm.HalfNormal("sigma", 1.0), observed=y)
        pm.Deterministic("att", pt.dot(tau, d.att_weights) * d.scale)
    return model


def stage(args: argparse.Namespace) -> list[dict]:
    """Run in a child process: fit twice (two data sets), timing each step."""
    import nutpie

    import coachstats.bayes as bayes
    from coachstats.bayes._disk_cached import compile_model

    bmod = importlib.import_module("coachstats.did.bayesian")
    out = []
    seeds = [args.seed] if args.once else [args.seed, args.seed + 1]
    for i, seed in enumerate(seeds):
        df, truth = make_data(args.managers, args.periods, seed)
        t0 = time.perf_counter()
        lev = bmod._as_levels(("manager", "team"), "team")
        cells = bmod._prepare(df, **COLS, levels=lev, n=None, sd=None, never_treated=0,
                              anticipation=0, dropna=False)
        d = bmod._design(cells)
        model = (bmod._build_model(cells, d) if not args.naive_stage
                 else _naive_from_scratch(cells.frame, d, _row_cells(df, cells), _y(df, d),
                                          cells))
        t1 = time.perf_counter()
        compiled = compile_model(model)  # what did.bayesian uses (callbacks cached on disk)
        t2 = time.perf_counter()
        idata = nutpie.sample(compiled, draws=args.draws, tune=args.tune, chains=args.chains,
                              seed=seed, progress_bar=False)
        t3 = time.perf_counter()
        t_nutpie = float("nan")
        if not args.smoke:  # nutpie's own, after ours: its PyTensor part is warm
            nutpie.compile_pymc_model(model)
            t_nutpie = time.perf_counter() - t3
        names = ["att"] if args.naive_stage else ["att", "event_time_effect", "att_gt"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            diag = bayes.diagnose(idata, names, warn=False)
        att = float(np.asarray(idata["posterior"]["att"]).mean())
        lo, hi = np.quantile(np.asarray(idata["posterior"]["att"]).ravel(), [0.025, 0.975])
        out.append({
            "state": args.label if i == 0 else "in-process warm",
            "rows": len(df), "cells": len(cells.frame),
            "build_s": t1 - t0, "compile_s": t2 - t1, "sample_s": t3 - t2,
            "nutpie_compile_s": t_nutpie,
            "max_rhat": diag.max_rhat, "min_ess_bulk": diag.min_ess_bulk,
            "divergent": diag.n_divergent, "att": att, "att_low": lo, "att_high": hi,
            "truth": truth,
        })
    if not args.naive_stage and not args.once:
        # the public call end to end (disk and in-process caches now warm)
        df, _ = make_data(args.managers, args.periods, args.seed + 2)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bmod.bayesian(df, **COLS, draws=args.draws, tune=args.tune, chains=args.chains,
                          rng=args.seed)
        out.append({"state": "bayesian() end to end, warm", "total_s": time.perf_counter() - t0})
    return out


def _row_cells(df, cells):
    c = cells.frame
    key = pd.MultiIndex.from_arrays([c["_u"], c["_t"]])
    return key.get_indexer(pd.MultiIndex.from_arrays([df["team"], df["quarter"].astype(float)]))


def _y(df, d):
    return (df["engagement"].to_numpy(float) - d.center) / d.scale


def _child(args: argparse.Namespace, label: str, cachedir: str, extra: list[str]) -> list[dict]:
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={cachedir}")
    cmd = [sys.executable, __file__, "--stage", "--label", label,
           "--managers", str(args.managers), "--periods", str(args.periods),
           "--draws", str(args.draws), "--tune", str(args.tune), "--chains", str(args.chains),
           "--seed", str(args.seed), *extra]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--managers", type=int, default=200)
    p.add_argument("--periods", type=int, default=8)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--seed", type=int, default=20240401)
    p.add_argument("--naive", action="store_true", help="also time the row-level model")
    p.add_argument("--stage", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--naive-stage", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--smoke", action="store_true",
                   help="one tiny fit in this process (the test suite runs this)")
    p.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.smoke:
        args.managers, args.periods, args.draws, args.tune, args.chains = 12, 8, 50, 50, 1
        args.once, args.label = True, "smoke (this process)"
        print(pd.DataFrame(stage(args)).round(3).to_string(index=False))
        return
    if args.stage:
        print(json.dumps(stage(args), default=float))
        return

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        rows += _child(args, "cold (empty cache)", cache, [])
        rows += _child(args, "disk-warm (new process)", cache, ["--once"])
        if args.naive:
            with tempfile.TemporaryDirectory() as cache2:
                naive = _child(args, "row-level model, cold", cache2, ["--naive-stage", "--once"])
                rows += naive
    tab = pd.DataFrame(rows)
    print(f"Multilevel Bayesian DiD: {args.managers} managers x {args.periods} periods, "
          f"{args.chains} chains x {args.draws} draws (+{args.tune} tuning), "
          f"{os.cpu_count()} CPU(s)")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(tab.round(3).to_string(index=False))
    if args.naive:
        ours = tab.iloc[0]
        theirs = tab[tab["state"] == "row-level model, cold"].iloc[0]
        print(f"\nrow-level / cell-statistics model: compile x"
              f"{theirs['compile_s'] / ours['compile_s']:.2f}, sample x"
              f"{theirs['sample_s'] / ours['sample_s']:.2f}")
    try:
        importlib.import_module("causalpy")
        print("causalpy is installed but has no staggered multilevel DiD to compare with.")
    except ImportError:
        print("peer not available (causalpy)")


if __name__ == "__main__":
    main()
