"""Benchmark: staggered DiD and clustered TWFE on a 1,000,000-row panel.

100,000 units x 10 periods, cohorts first treated in periods 4, 6 and 8 plus never treated.
Times coachstats' Callaway-Sant'Anna (no covariates) without and with a 999-draw multiplier
bootstrap and static TWFE with unit-clustered SEs, and, in the same run, the peers
``diff-diff`` (CallawaySantAnna), ``differences`` (ATTgt) and ``pyfixest`` (feols with
CRV1). Each timing runs in a fresh process so peak memory (max RSS) is per task. A peer
that is not installed is reported as "peer not available".

Usage: python benchmarks/bench_did.py [--units 100000] [--periods 10] [--repeat 3]

Measured on a shared 2-core machine under load from other jobs (diff-diff 3.13.0,
differences 0.3.0, pyfixest 0.60.0, Python 3.12, best of 3)::

    task                              package        seconds  peak MB   ratio
    staggered                         coachstats       0.099      320    1.00
    staggered + 999-draw bootstrap    coachstats       0.617      437    1.00
    twfe_cluster                      coachstats       0.133      323    1.00
    staggered                         diff-diff        0.146      365    1.48
    staggered + 999-draw bootstrap    diff-diff        1.471     1132    2.39
    staggered                         differences     11.272      495  114.17
    staggered + 999-draw bootstrap    differences     17.589      495   28.53
    twfe_cluster                      pyfixest         0.820      907    6.14

All four packages return the same simple ATT (0.72927) and TWFE coefficient (0.58872).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

COHORTS = (4, 6, 8)


def make_panel(units: int, periods: int, seed: int = 1):
    import numpy as np
    import pandas as pd

    r = np.random.default_rng(seed)
    g = np.array([0, *COHORTS])[r.integers(0, len(COHORTS) + 1, units)]
    t = np.tile(np.arange(1, periods + 1), units)
    gi = np.repeat(g, periods)
    ui = np.repeat(np.arange(units), periods)
    eff = np.where((gi > 0) & (t >= gi), 0.5 + 0.1 * (t - gi), 0.0)
    y = (np.repeat(r.normal(size=units), periods) + 0.1 * t + eff
         + r.normal(size=units * periods))
    return pd.DataFrame({"unit": ui, "time": t, "first_treat": gi,
                         "treat": ((gi > 0) & (t >= gi)).astype(np.int64), "y": y})


# -- tasks (each run in its own process) -------------------------------------------------


def task_coachstats_cs(df, boot: int):
    import coachstats as cs

    r = cs.did.staggered(df, "y", "unit", "time", "first_treat", n_boot=boot, rng=1)
    return r.att


def task_coachstats_twfe(df, boot: int):
    import coachstats as cs

    return cs.did.twfe(df, "y", "unit", "time", "first_treat", cluster="unit").estimate


def task_diffdiff_cs(df, boot: int):
    from diff_diff import CallawaySantAnna

    est = CallawaySantAnna(control_group="never_treated", n_bootstrap=boot, seed=1)
    res = est.fit(df, outcome="y", unit="unit", time="time", first_treat="first_treat")
    return float(res.overall_att)


def task_differences_cs(df, boot: int):
    from differences import ATTgt

    d = df.assign(cohort=df["first_treat"].where(df["first_treat"] > 0)).set_index(
        ["unit", "time"])
    att = ATTgt(data=d, cohort_column="cohort")
    kw = {"boot_iterations": boot} if boot else {}
    att.fit(formula="y", control_group="never_treated", n_jobs=1, progress_bar=False, **kw)
    s = att.aggregate("simple")
    return float(s.iloc[0, 0])


def task_pyfixest_twfe(df, boot: int):
    import pyfixest as pf

    fit = pf.feols("y ~ treat | unit + time", data=df, vcov={"CRV1": "unit"})
    return float(fit.coef().iloc[0])


TASKS = {
    ("coachstats", "staggered", 0): task_coachstats_cs,
    ("coachstats", "staggered", 999): task_coachstats_cs,
    ("coachstats", "twfe_cluster", 0): task_coachstats_twfe,
    ("diff-diff", "staggered", 0): task_diffdiff_cs,
    ("diff-diff", "staggered", 999): task_diffdiff_cs,
    ("differences", "staggered", 0): task_differences_cs,
    ("differences", "staggered", 999): task_differences_cs,
    ("pyfixest", "twfe_cluster", 0): task_pyfixest_twfe,
}
MODULE = {"coachstats": "coachstats", "diff-diff": "diff_diff", "differences": "differences",
          "pyfixest": "pyfixest"}


def worker(pkg: str, what: str, boot: int, units: int, periods: int, repeat: int) -> dict:
    import importlib
    import resource

    try:
        importlib.import_module(MODULE[pkg])
    except ImportError:
        return {"status": "peer not available"}
    df = make_panel(units, periods)
    fn = TASKS[(pkg, what, boot)]
    times, value = [], None
    try:
        fn(df[df["unit"] < 500], boot)  # warm-up: lazy imports and compilation, untimed
        for _ in range(repeat):
            t0 = time.perf_counter()
            value = fn(df, boot)
            times.append(time.perf_counter() - t0)
    except Exception as exc:  # a peer failing is a result, not a crash of the benchmark
        return {"status": f"failed: {type(exc).__name__}: {str(exc)[:120]}"}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux: KB)
    return {"status": "ok", "seconds": min(times), "value": value, "peak_mb": rss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--periods", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny panel, coachstats only, one repeat (the test suite runs this)")
    a = ap.parse_args()
    if a.smoke:
        a.units, a.periods, a.repeat = 600, 10, 1
    if a.worker:
        pkg, what, boot = a.worker
        print(json.dumps(worker(pkg, what, int(boot), a.units, a.periods, a.repeat)))
        return
    print(f"panel: {a.units:,} units x {a.periods} periods = {a.units * a.periods:,} rows; "
          f"cohorts {COHORTS} + never treated; best of {a.repeat}")
    results = {}
    for pkg, what, boot in TASKS:
        if a.smoke and pkg != "coachstats":
            continue
        cmd = [sys.executable, __file__, "--units", str(a.units), "--periods",
               str(a.periods), "--repeat", str(a.repeat), "--worker", pkg, what, str(boot)]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
            lines = out.stdout.strip().splitlines()
            res = json.loads(lines[-1]) if lines else {
                "status": f"failed: {out.stderr.strip().splitlines()[-1][:120]}"}
        except subprocess.TimeoutExpired:
            res = {"status": f"timed out after {a.timeout} s"}
        results[(pkg, what, boot)] = res
    header = f"{'task':<34}{'package':<13}{'seconds':>9}{'peak MB':>9}{'ratio':>8}  estimate"
    print(header)
    print("-" * len(header))
    for (pkg, what, boot), r in results.items():
        label = f"{what}" + (f" + {boot}-draw bootstrap" if boot else "")
        ours = results.get(("coachstats", what, boot), {})
        if r["status"] != "ok":
            print(f"{label:<34}{pkg:<13}  {r['status']}")
            continue
        ratio = (r["seconds"] / ours["seconds"]) if ours.get("status") == "ok" else float("nan")
        print(f"{label:<34}{pkg:<13}{r['seconds']:>9.3f}{r['peak_mb']:>9.0f}{ratio:>8.2f}  "
              f"{r['value']:.5f}")
    print("ratio = peer seconds / coachstats seconds (> 1: coachstats faster).")


if __name__ == "__main__":
    main()
