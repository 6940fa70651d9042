"""Evidence reports: a study spec (TOML) -> self-contained HTML report + JSON of every number.

Examples
--------
>>> from coachstats import report
>>> study = report.load_study("studies/eq-effectiveness/study.toml")      # doctest: +SKIP
>>> run = report.run_study(study)                                          # doctest: +SKIP
>>> report.write_report(run, "eq.html")        # writes eq.html and eq.json  # doctest: +SKIP

Privacy helpers for code that aggregates people's data:

>>> import pandas as pd
>>> d = pd.DataFrame({"team": ["a"] * 6 + ["b"] * 6, "score": range(12)})
>>> report.safe_group_means(d, "score", ["team"]).table["withheld"].any()
np.False_
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._deprecate import renamed_arguments
from .privacy import (
    DEFAULT_MIN_SIZE,
    GroupMeansResult,
    PrivacyError,
    safe_crosstab,
    safe_group_means,
    scan_for_identifiers,
)
from .privacy import (
    Suppression as Suppression,  # the same class as coachstats.privacy.Suppression
)
from .render import build_report, write_report
from .runner import StudyRun, available_estimators, run_study
from .spec import Study, StudySpecError, load_study

__all__ = [
    "DEFAULT_MIN_SIZE",
    "GroupMeansResult",
    "PrivacyError",
    "Study",
    "StudyRun",
    "StudySpecError",
    "available_estimators",
    "build_report",
    "find_studies",
    "load_study",
    "render",
    "render_study",
    "run_study",
    "safe_crosstab",
    "safe_group_means",
    "scan_for_identifiers",
    "write_report",
]


@renamed_arguments(seed="rng")
def render_study(
    spec: str | Path,
    out: str | Path,
    *,
    data: dict[str, str | Path] | None = None,
    rng: int | None = None,
    quick: bool = False,
    command: str | None = None,
    min_group_size: int | None = None,
    progress: bool | Any | None = False,
    pdf: bool = False,
) -> tuple[Path, Path]:
    """Run the study in ``spec`` and write ``out`` (HTML) and its ``.json`` twin.

    Parameters
    ----------
    spec : path
        ``study.toml``.
    out : path
        HTML file to write; the JSON goes next to it with the suffix ``.json``.
    data : dict, optional
        Data entry name -> your own file (same columns as the spec expects, or remapped with
        the entry's ``columns`` table).
    rng : int, optional
        Overrides the study's seed (an int: the report records it).
    quick : bool
        Use each analysis's ``quick_args`` (e.g. fewer draws) to check the report quickly.
    min_group_size : int, optional
        Overrides the study's privacy threshold (never below 3).
    progress : bool, None or Progress
        Show a progress bar of the analyses (True, e.g. in a notebook); None: only when
        standard error is a terminal; False (default): never; a
        :class:`~coachstats.report.progress.Progress`: add the bar to that display.
    pdf : bool
        Also print the report to PDF next to the HTML (needs headless Chromium; raises
        :class:`~coachstats.report.pdf.PdfUnavailable` with install advice otherwise).
    command : str, optional
        The command that reproduces the report, printed in it.

    Returns
    -------
    (Path, Path)
        The HTML report and the JSON of its numbers.

    Examples
    --------
    >>> render_study("studies/eq-effectiveness/study.toml", "eq.html")  # doctest: +SKIP
    (PosixPath('eq.html'), PosixPath('eq.json'))
    """
    study = load_study(spec, data=data)
    if min_group_size is not None:
        import dataclasses

        from .privacy import check_min_size

        try:
            study = dataclasses.replace(study, min_group_size=check_min_size(min_group_size))
        except (TypeError, ValueError) as e:
            raise StudySpecError(f"--min-group-size: {e}") from None
    from .progress import Progress

    with Progress.of(progress) as bar:
        task = bar.task(study.name, total=len(study.analyses) + 1)
        started = []

        def step(label: str) -> None:
            if started:
                bar.advance(task)
            started.append(label)
            bar.update(task, f"{study.name}: {label[:60]}")

        run = run_study(study, rng=rng, quick=quick, on_analysis=step,
                        progress=bar if bar.active else False)
        bar.advance(task)
        bar.update(task, f"{study.name}: writing the report")
        paths = write_report(run, out, command=command)
        bar.update(task, f"{study.name}: done")
        bar.advance(task)
        if bar is progress:  # a shared display: this study's bar makes room for the next
            bar.remove(task)
    if pdf:
        from .pdf import write_pdf

        write_pdf(paths[0])
    return paths


def render(
    results: Sequence[Any],
    out: str | Path,
    *,
    title: str = "Evidence report",
    claim: str = "",
    titles: Sequence[str] | None = None,
) -> tuple[Path, Path]:
    """Render result objects you already have (no study spec) into an HTML + JSON report.

    Data provenance is limited to what the results carry; prefer a study spec for reports
    you hand on.

    Parameters
    ----------
    results : sequence of Result
        The results to report, one section each.
    out : str or Path
        HTML file to write; the JSON goes next to it with the suffix ``.json``.
    title : str, default "Evidence report"
        Title of the report.
    claim : str, optional
        The claim the results bear on.
    titles : sequence of str, optional
        One section title per result (default: each result's own title).

    Returns
    -------
    tuple of (Path, Path)
        The HTML report and the JSON of its numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from coachstats.report import render, safe_group_means
    >>> d = pd.DataFrame({"team": ["a"] * 6 + ["b"] * 6, "score": range(12)})
    >>> html, js = render([safe_group_means(d, "score", ["team"])], "means.html")  # doctest: +SKIP
    """
    from ..results import Result
    from .runner import AnalysisRun
    from .spec import AnalysisSpec

    out = Path(out)
    runs = []
    manifest = []
    for i, r in enumerate(results):
        spec = AnalysisSpec(id=f"result-{i + 1}", estimator=type(r).__name__, data=None,
                            title=titles[i] if titles else None)
        runs.append(AnalysisRun(spec=spec, function=type(r), args={}, result=r))
        if isinstance(r, Result):
            manifest.extend(r.suppressions(spec.id))
    study = Study(path=out, title=title, seed=0, claim=claim)
    run = StudyRun(study=study, seed=0, quick=False, data={}, analyses=tuple(runs),
                   manifest=tuple(manifest), id_columns={})
    return write_report(run, out)


def find_studies(root: str | Path | None = None) -> list[Path]:
    """``studies/*/study.toml`` under ``root`` (default: ./studies, else the source tree's).

    Parameters
    ----------
    root : str or Path, optional
        Folder holding one sub-folder per study.

    Returns
    -------
    list of Path
        The ``study.toml`` files, sorted.

    Examples
    --------
    >>> [p.parent.name for p in find_studies()][:1]  # doctest: +SKIP
    ['coaching-roi']
    """
    if root is None:
        here = Path("studies")
        root = here if here.is_dir() else Path(__file__).resolve().parents[3] / "studies"
    return sorted(Path(root).glob("*/study.toml"))


def __dir__() -> list[str]:
    # the public names only: imported helpers (np, argparse, ...) are not part of the API
    return sorted(__all__)
