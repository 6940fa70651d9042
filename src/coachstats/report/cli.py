"""``coachstats report`` and ``coachstats demo``: the command-line side of the reports.

The package :mod:`coachstats.report` holds the library (specs, running, rendering); this
module turns parsed command-line arguments into calls of it and prints what was written.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import find_studies, render_study
from .privacy import PrivacyError
from .spec import StudySpecError

__all__ = ["cli_report", "run_demo"]


def _parse_data(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for it in items:
        name, sep, file = it.partition("=")
        if not sep:
            name, file = "", it
        if not file or (sep and not name):
            raise StudySpecError(f"--data {it!r}: expected NAME=FILE, e.g. --data panel=my.csv.")
        out[name] = file
    return out


def cli_report(args: argparse.Namespace) -> int:
    """``coachstats report``: render one study; errors are printed, exit status 2.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``coachstats report`` arguments (``spec``, ``out``, ``data``, ``seed``,
        ``quick``, ...).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on an error, 3 when the requested PDF could not be made.

    Examples
    --------
    >>> import argparse                                              # doctest: +SKIP
    >>> from coachstats.report.cli import cli_report                 # doctest: +SKIP
    >>> cli_report(argparse.Namespace(spec="studies/eq-effectiveness/study.toml",
    ...                               out="eq.html"))                 # doctest: +SKIP
    0
    """
    from .pdf import PdfUnavailable
    from .progress import wanted

    quiet = getattr(args, "quiet", False)
    want_pdf = getattr(args, "pdf", False)
    try:
        data = _parse_data(getattr(args, "data", []) or [])
        cmd = "coachstats report " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(
            sys.argv) > 2 and sys.argv[1] == "report" else None
        html, js = render_study(args.study, args.out, data=data, rng=args.seed,
                                quick=getattr(args, "quick", False), command=cmd,
                                min_group_size=getattr(args, "min_group_size", None),
                                progress=False if quiet else wanted(None))
    except (StudySpecError, PrivacyError) as e:
        print(f"coachstats report: {e}", file=sys.stderr)
        return 2
    if not quiet:
        print(f"report: {html}")
        print(f"numbers: {js}", flush=True)
    for w in _problems(js):
        print(f"coachstats report: warning: {w}", file=sys.stderr)
    if want_pdf:
        from .pdf import write_pdf

        try:
            pdf = write_pdf(html)
        except PdfUnavailable as e:
            print(f"coachstats report: no PDF: {e}", file=sys.stderr)
            return 3
        if not quiet:
            print(f"pdf: {pdf}", flush=True)
    return 0


def _problems(js: Path) -> list[str]:
    import json

    payload = json.loads(js.read_text(encoding="utf-8"))
    out = list(payload.get("problems", []))
    out += [f"analysis {a['id']!r}: {w}" for a in payload["analyses"]
            for w in a.get("warnings", [])]
    return out


def run_demo(out: Path, *, quick: bool = False, studies: Sequence[Path] | None = None,
             progress: bool | None = None, quiet: bool = False, pdf: bool = False) -> int:
    """Render every study in ``studies/`` into ``out`` and print the paths (``make demo``).

    ``progress``: bars per study and analysis (None: only on a terminal); ``quiet`` prints
    only failures and warnings; ``pdf`` prints each report to PDF as well.

    Parameters
    ----------
    out : Path
        Folder to write the reports into.
    quick : bool, default False
        Use each analysis's ``quick_args``.
    studies : sequence of Path, optional
        ``study.toml`` files to render (default: every study found).
    progress : bool, optional
        Progress bars (None: only on a terminal).
    quiet : bool, default False
        Print only failures and warnings.
    pdf : bool, default False
        Also print each report to PDF.

    Returns
    -------
    int
        Exit status: 0 when every study rendered, 1 otherwise.

    Examples
    --------
    >>> from pathlib import Path                                     # doctest: +SKIP
    >>> from coachstats.report.cli import run_demo                   # doctest: +SKIP
    >>> run_demo(Path("demo"), quick=True)                           # doctest: +SKIP
    0
    """
    from .pdf import PdfUnavailable, write_pdf
    from .progress import Progress

    specs = list(studies) if studies is not None else find_studies()
    if not specs:
        print("no studies found (expected studies/<name>/study.toml)", file=sys.stderr)
        return 1
    failed = 0
    listed: list[dict[str, Any]] = []
    with Progress(False if quiet else progress) as bar:
        overall = bar.task("studies", total=len(specs))
        for spec in specs:
            name = spec.parent.name
            listed.append({"name": name, "error": None, "file": None})
            try:
                html, js = render_study(
                    spec, Path(out) / f"{name}.html", quick=quick,
                    command=f"coachstats report {spec} --out {name}.html",
                    progress=bar)
            except (StudySpecError, PrivacyError) as e:
                failed += 1
                listed[-1]["error"] = str(e)
                print(f"{name}: FAILED: {e}", file=sys.stderr)
                bar.advance(overall)
                continue
            except Exception as e:  # one broken study must not stop the others
                failed += 1
                listed[-1]["error"] = f"{type(e).__name__}: {e}"
                print(f"{name}: FAILED ({type(e).__name__}): {e}", file=sys.stderr)
                bar.advance(overall)
                continue
            listed[-1].update(_index_entry(html, js))
            if pdf:
                try:
                    listed[-1]["pdf"] = write_pdf(html).name
                except PdfUnavailable as e:
                    print(f"{name}: no PDF: {e}", file=sys.stderr)
            bar.advance(overall)
            if not quiet:
                print(f"{name}: {html}", flush=True)
            for w in _problems(js):
                print(f"{name}: warning: {w}", file=sys.stderr)
    index = _write_index(Path(out), listed, quick)
    if not quiet:
        print(f"index: {index}")
    if failed:
        print(f"{failed} of {len(specs)} studies failed", file=sys.stderr)
    return 1 if failed else 0


def _index_entry(html: Path, js: Path) -> dict[str, Any]:
    import json

    payload = json.loads(js.read_text(encoding="utf-8"))
    return {"file": html.name, "title": payload["study"]["title"],
            "claim": payload["study"]["claim"], "summary": payload["summary"],
            "cautions": payload.get("cautions", [])}


def _write_index(out: Path, listed: list[dict[str, Any]], quick: bool) -> Path:
    """``index.html`` linking every report with its headline numbers."""
    import datetime as dt

    from .. import __version__
    from .render import _env

    page = _env().get_template("index.html").render(
        reports=listed, version=__version__, quick=quick,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
