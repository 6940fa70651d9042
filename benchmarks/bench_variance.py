"""Benchmark: coachstats.variance.decompose against lme4's lmer on the same data, same run.

100,000 employees in 10,000 teams under 2,000 managers (unequal team sizes), outcome with
manager, team and individual variance. Times (best of 3) REML point estimates (coachstats with
``n_boot=0``; lme4's ``lmer``), the full coachstats call with a 200-replicate parametric
bootstrap, and prints the variance components of both so agreement is visible. lme4 runs
through Rscript when installed, otherwise "peer not available".

    .venv/bin/python benchmarks/bench_variance.py [--no-peer] [--profile] [--smoke]

``--profile`` also times lme4's ``confint(method = "profile")`` (minutes on these data);
coachstats' exact profile intervals are always timed. ``--smoke`` runs every step on a tiny
design without the peer (the test suite does, so the script cannot rot).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import coachstats as cs


def make(n_managers: int = 2_000, n_teams: int = 10_000, n_people: int = 100_000,
         seed: int = 1) -> pd.DataFrame:  # fmt: skip
    rng = np.random.default_rng(seed)
    team_mgr = np.concatenate([np.arange(n_managers),
                               rng.integers(0, n_managers, n_teams - n_managers)])  # fmt: skip
    person_team = np.concatenate([np.arange(n_teams),
                                  rng.integers(0, n_teams, n_people - n_teams)])  # fmt: skip
    u = rng.normal(0, np.sqrt(0.0875), n_managers)
    v = rng.normal(0, np.sqrt(0.0375), n_teams)
    y = 3.6 + u[team_mgr[person_team]] + v[person_team] + rng.normal(0, np.sqrt(0.3125), n_people)
    return pd.DataFrame({"manager": team_mgr[person_team], "team": person_team,
                         "engagement": np.round(y, 6)})  # fmt: skip


R_SCRIPT = r"""
suppressMessages(library(lme4))
d <- read.csv(commandArgs(TRUE)[1])
d$manager <- factor(d$manager); d$team <- factor(d$team)
# best of 3 fits, as for coachstats
t <- min(sapply(1:3, function(i) system.time(
  f <<- lmer(engagement ~ 1 + (1 | manager) + (1 | team), data = d, REML = TRUE))[["elapsed"]]))
vc <- as.data.frame(VarCorr(f))
cat("seconds", t, "\n")
for (i in seq_len(nrow(vc))) cat(ifelse(is.na(vc$grp[i]), "Residual", vc$grp[i]), vc$vcov[i], "\n")
if (!is.na(Sys.getenv("PROFILE", NA))) {
  tp <- system.time(ci <- suppressMessages(confint(f, method = "profile", oldNames = FALSE)))
  cat("profile_seconds", tp[["elapsed"]], "\n")
  for (i in 1:3) cat(sprintf("ci_%d", i), ci[i, 1], ci[i, 2], "\n")
}
cat("version", as.character(packageVersion("lme4")), "\n")
"""


def lme4_fit(df: pd.DataFrame, profile: bool = False) -> dict[str, str] | None:
    if shutil.which("Rscript") is None:
        return None
    if subprocess.run(["Rscript", "-e", "library(lme4)"], capture_output=True).returncode:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp)
        df.to_csv(p / "d.csv", index=False)
        (p / "bench.R").write_text(R_SCRIPT)
        env = dict(os.environ, **({"PROFILE": "1"} if profile else {}))
        out = subprocess.run(["Rscript", str(p / "bench.R"), str(p / "d.csv")],
                             capture_output=True, text=True, check=True, env=env)  # fmt: skip
    return {ln.split()[0]: " ".join(ln.split()[1:]) for ln in out.stdout.splitlines()
            if ln.strip()}


def main() -> int:
    smoke = "--smoke" in sys.argv
    df = make(20, 60, 600) if smoke else make()
    print(f"data: {len(df):,} employees, {df['team'].nunique():,} teams, "
          f"{df['manager'].nunique():,} managers")  # fmt: skip
    cs.variance.decompose(df.sample(min(20_000, len(df)), random_state=0), "engagement",
                          ["manager", "team"], n_boot=0)  # warm-up
    t_point = float("inf")
    for _ in range(3):  # best of 3
        t = time.perf_counter()
        point = cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=0)
        t_point = min(t_point, time.perf_counter() - t)
    t = time.perf_counter()
    n_boot = 100 if smoke else 200
    full = cs.variance.decompose(df, "engagement", ["manager", "team"], n_boot=n_boot, rng=1)
    t_full = time.perf_counter() - t
    t = time.perf_counter()
    prof = point.profile_intervals()
    t_prof = time.perf_counter() - t
    want_profile = "--profile" in sys.argv
    peer = None if smoke or "--no-peer" in sys.argv else lme4_fit(df, profile=want_profile)
    print("\ncoachstats.variance.decompose vs lme4::lmer (seconds; ratio = lme4 / coachstats)")
    print(f"{'task':<44}{'coachstats':>12}{'lme4':>10}{'ratio':>9}")
    lme4_s = float(peer["seconds"]) if peer else None
    lme4_prof = float(peer["profile_seconds"]) if peer and "profile_seconds" in peer else None
    rows = [("REML point estimates", t_point, lme4_s),
            (f"REML + {n_boot} bootstrap intervals (lme4: point)", t_full, None),
            ("profile intervals of the SDs (confint)", t_prof, lme4_prof)]  # fmt: skip
    for task, ours, theirs in rows:
        other = f"{theirs:.2f}" if theirs is not None else ("n/a" if peer is None else "-")
        ratio = f"{theirs / ours:.1f}x" if theirs is not None else ""
        print(f"{task:<44}{ours:>12.2f}{other:>10}{ratio:>9}")
    print("\nvariance components (REML)")
    names = {"manager": "manager", "team": "team", "residual": "Residual"}
    for lev, v in zip(point.components["level"], point.components["variance"], strict=True):
        theirs = f"{float(peer[names[lev]]):.6f}" if peer else "n/a"
        print(f"  {lev:<10} coachstats {v:.6f}   lme4 {theirs}")
    print("\n95% profile intervals of the SDs")
    r_rows = {"sd_manager": "ci_2", "sd_team": "ci_1", "sd_residual": "ci_3"}  # lme4's order
    for _, r in prof.to_frame().iterrows():
        theirs = peer.get(r_rows[r["term"]], "n/a") if peer else "n/a"
        print(f"  {r['term']:<12} coachstats [{r['ci_low']:.6f}, {r['ci_high']:.6f}]   "
              f"lme4 [{theirs}]")
    c = full.between_share()
    print(f"\nmanager share of team-mean variance: {c.estimate:.3f} "
          f"[{c.ci_low:.3f}, {c.ci_high:.3f}] ({c.interval})")  # fmt: skip
    if peer is None:
        print("peer not available (Rscript with lme4, or --no-peer): coachstats only")
    else:
        print(f"lme4 {peer['version']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
