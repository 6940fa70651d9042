"""Set-up finds a suitable Python, and the bundled synthetic data regenerate byte for byte."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from coachstats import simulate
from coachstats.cli import BUNDLED_SEEDS, main

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "scripts" / "setup.sh"
BUNDLED = ROOT / "data" / "synthetic"


def test_setup_finds_python_312_or_newer():
    out = subprocess.run(["bash", str(SETUP), "--find-python"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    py = out.stdout.strip()
    v = subprocess.run([py, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                       capture_output=True, text=True)
    assert v.stdout.strip() == "True"


def test_setup_fails_in_one_line_without_suitable_python(tmp_path):
    # a PATH with only a fake python3 that reports 3.11, and an empty pyenv root
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\nexit 1\n")
    (fake / "python3").chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "nopyenv"),
           "HOME": str(tmp_path)}
    out = subprocess.run(["/bin/bash", str(SETUP), "--find-python"], capture_output=True,
                         text=True, env=env)
    if out.returncode == 0:
        pytest.skip(f"this machine has a system Python >= 3.12 at {out.stdout.strip()}")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Python >= 3.12" in lines[0]


BUNDLED_KINDS = sorted(p.name[: -len(".csv")] for p in BUNDLED.glob("*.csv"))


@pytest.mark.parametrize("kind", BUNDLED_KINDS)
def test_bundled_data_regenerates_byte_for_byte(kind, tmp_path):
    assert main(["simulate", kind, "--out", str(tmp_path)]) == 0
    for suffix in (".csv", ".truth.json"):
        new = (tmp_path / f"{kind}{suffix}").read_bytes()
        assert new == (BUNDLED / f"{kind}{suffix}").read_bytes(), (
            f"data/synthetic/{kind}{suffix} is stale: run `make data` and commit it"
        )


def _digest(kind: str) -> str:
    code = (
        "import hashlib, coachstats as cs;"
        f"d = cs.simulate.{kind}(rng={BUNDLED_SEEDS[kind]}).data;"
        "print(hashlib.sha256(d.to_csv(index=False).encode()).hexdigest())"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize("kind", BUNDLED_KINDS)
def test_same_seed_same_data_across_processes(kind):
    here = getattr(simulate, kind)(rng=BUNDLED_SEEDS[kind]).data
    h = hashlib.sha256(here.to_csv(index=False).encode()).hexdigest()
    assert _digest(kind) == h
