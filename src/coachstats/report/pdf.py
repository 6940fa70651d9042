"""Print a rendered report to PDF with headless Chromium (the report's print stylesheet
applies: A4, no navigation, the executive summary on its own first page).

Examples
--------
>>> find_chromium() is None or find_chromium().endswith(("chromium", "chrome",
...                                                     "chromium-browser", "google-chrome"))
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PdfUnavailable", "chromium_flags", "find_chromium", "write_pdf"]

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


class PdfUnavailable(RuntimeError):
    """No headless browser to print with."""


def find_chromium() -> str | None:
    """Path of a Chromium or Chrome executable (``$COACHSTATS_CHROMIUM`` first), or None."""
    env = os.environ.get("COACHSTATS_CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in _NAMES:
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium_flags(profile: str | Path) -> list[str]:
    """Flags for a quiet, offline, throw-away headless browser using ``profile`` as its
    user-data directory."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-extensions", f"--user-data-dir={profile}"]


def write_pdf(html: str | Path, out: str | Path | None = None, *, timeout: float = 120
              ) -> Path:
    """Print ``html`` to ``out`` (default: the same name with ``.pdf``) and return its path.

    Raises
    ------
    PdfUnavailable
        When no Chromium is installed (the message says how to install one), or when it
        fails to print.
    """
    html = Path(html).resolve()
    out = Path(out) if out is not None else html.with_suffix(".pdf")
    exe = find_chromium()
    if exe is None:
        raise PdfUnavailable(
            "PDF needs a headless Chromium or Chrome, and none was found (looked for "
            f"{', '.join(_NAMES)} on PATH and $COACHSTATS_CHROMIUM). Install one (Debian/"
            "Ubuntu: apt-get install chromium), or open the HTML report and print it to PDF "
            "from the browser."
        )
    with tempfile.TemporaryDirectory(prefix="coachstats-pdf-") as profile:
        cmd = [exe, *chromium_flags(profile), "--no-pdf-header-footer",
               f"--print-to-pdf={out.resolve()}", html.as_uri()]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
            err = getattr(e, "stderr", b"") or b""
            raise PdfUnavailable(
                f"{exe} could not print {html.name} to PDF ({type(e).__name__}): "
                f"{err.decode(errors='replace')[-400:]}"
            ) from None
    if not out.is_file() or out.stat().st_size == 0:
        raise PdfUnavailable(f"{exe} did not write {out}.")
    return out
