"""Render one bundled study and save the first screen of its report as docs/report-first-screen.png.

Usage (from the repository root): ``python docs/make_screenshot.py [study-name]``; needs
headless Chromium. The README shows the PNG.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from coachstats.report import render_study
from coachstats.report.pdf import chromium_flags, find_chromium

ROOT = Path(__file__).resolve().parents[1]


def main(name: str = "retention-promotion", width: int = 1280, height: int = 1100) -> Path:
    exe = find_chromium()
    if exe is None:
        raise SystemExit("needs headless Chromium (apt-get install chromium)")
    out = ROOT / "docs" / "report-first-screen.png"
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as profile:
        html, _ = render_study(ROOT / "studies" / name / "study.toml", Path(tmp) / "r.html",
                               command=f"coachstats report studies/{name}/study.toml")
        subprocess.run([exe, *chromium_flags(profile), "--hide-scrollbars",
                        f"--window-size={width},{height}", f"--screenshot={out}",
                        html.as_uri()], check=True, capture_output=True, timeout=120)
    return out


if __name__ == "__main__":
    print(main(*sys.argv[1:2]))
