"""Sphinx configuration: the API reference from the docstrings, the studies as a gallery."""

from __future__ import annotations

import shutil
from pathlib import Path

import coachstats

ROOT = Path(__file__).resolve().parents[1]

project = "coachstats"
author = "coachstats developers"
release = version = coachstats.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing", "myst.header"]
html_theme = "alabaster"
html_title = f"coachstats {release}"


def _copy_studies(app: object) -> None:
    """Each study's README becomes a gallery page (copied, so the studies stay the source)."""
    out = Path(__file__).parent / "studies"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    names = []
    for readme in sorted((ROOT / "studies").glob("*/README.md")):
        name = readme.parent.name
        (out / f"{name}.md").write_text(readme.read_text(encoding="utf-8"), encoding="utf-8")
        names.append(name)
    toc = "\n".join(f"   {n}" for n in names)
    (out / "index.rst").write_text(
        "Studies\n=======\n\nOne study per claim the package tests: the claim, the data, the "
        "estimators, and the figures measured.\n\n.. toctree::\n   :maxdepth: 1\n\n" + toc + "\n",
        encoding="utf-8",
    )


def _write_api(app: object) -> None:
    """One section per public module, listing its ``__all__`` (so new modules appear)."""
    import importlib

    lines = [
        "API reference", "=============", "",
        "Every estimator takes ``data`` first, then columns by role, then options after ``*``",
        "(the vocabulary in ``CONTRIBUTING.md``). Results share one shape: ``summary()``,",
        "``to_frame()``, ``plot(ax=None)``, ``notes`` and ``cautions``.", "",
    ]  # fmt: skip
    for name in sorted(coachstats._SUBMODULES):
        mod = importlib.import_module(f"coachstats.{name}")
        members = [m for m in getattr(mod, "__all__", []) if not m.startswith("_")]
        title = f"coachstats.{name}"
        lines += [title, "-" * len(title), "", f".. automodule:: {title}", "   :no-members:",
                  "", f".. currentmodule:: {title}", ""]  # fmt: skip
        if members:
            lines += [".. autosummary::", "   :toctree: generated", ""]
            lines += [f"   {m}" for m in members] + [""]
    (Path(__file__).parent / "api.rst").write_text("\n".join(lines) + "\n", encoding="utf-8")


def setup(app: object) -> None:
    # written now, while the configuration loads: autosummary generates its stubs from the
    # documents Sphinx finds before builder-inited, so on a fresh checkout api.rst and the
    # gallery must already exist by then
    _copy_studies(app)
    _write_api(app)
