"""Benchmarks cannot rot: every ``benchmarks/bench_*.py`` runs in its smoke mode (tiny sizes,
no peers) and must exit cleanly. The selected scripts run two at a time (each is its own
process), so the check costs half the wall time on two cores."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCH_DIR.glob("bench_*.py"))


def _smoke(script: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, str(script), "--smoke"], capture_output=True,
                          text=True, timeout=600, env=env, cwd=BENCH_DIR.parent)


@pytest.fixture(scope="module")
def smoke_runs(request: pytest.FixtureRequest) -> dict[str, subprocess.CompletedProcess[str]]:
    wanted = {item.callspec.params["script"] for item in request.session.items
              if item.originalname == "test_benchmark_smoke_mode_runs"}
    scripts = [s for s in SCRIPTS if s in wanted]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((s.name for s in scripts), pool.map(_smoke, scripts), strict=True))


def test_every_benchmark_is_collected() -> None:
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_benchmark_smoke_mode_runs(script: Path, smoke_runs) -> None:
    assert "--smoke" in script.read_text(), f"{script.name} has no --smoke mode"
    out = smoke_runs[script.name]
    assert out.returncode == 0, f"{script.name} --smoke failed:\n{out.stderr[-3000:]}"
    assert out.stdout.strip(), f"{script.name} --smoke printed nothing"
