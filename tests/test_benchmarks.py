"""Benchmarks cannot rot: every ``benchmarks/bench_*.py`` runs in its smoke mode (tiny sizes,
no peers) and must exit cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCH_DIR.glob("bench_*.py"))


def test_every_benchmark_is_collected() -> None:
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_benchmark_smoke_mode_runs(script: Path) -> None:
    assert "--smoke" in script.read_text(), f"{script.name} has no --smoke mode"
    env = dict(os.environ, MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, str(script), "--smoke"], capture_output=True,
                         text=True, timeout=600, env=env, cwd=BENCH_DIR.parent)
    assert out.returncode == 0, f"{script.name} --smoke failed:\n{out.stderr[-3000:]}"
    assert out.stdout.strip(), f"{script.name} --smoke printed nothing"
