"""Evidence reports (placeholder until the report renderer lands): the demo generates the
bundled datasets and prints what each contains."""

from __future__ import annotations

import argparse
from pathlib import Path


def run_demo(out: Path) -> int:
    from .. import simulate
    from ..cli import BUNDLED_SEEDS

    out.mkdir(parents=True, exist_ok=True)
    for kind in simulate.GENERATORS:
        try:
            sim = getattr(simulate, kind)(rng=BUNDLED_SEEDS[kind])
        except ModuleNotFoundError:
            print(f"{kind}: generator not available yet")
            continue
        csv, _ = sim.write(out / "data", kind)
        print(f"{kind}: {len(sim.data):,} rows -> {csv}")
    return 0


def cli_report(args: argparse.Namespace) -> int:
    raise SystemExit("coachstats report: the report renderer is not available yet.")
