"""Every docstring example in the package runs and prints what it says (``slow``: about
two minutes; the Bayesian examples, which sample, are left to their own tests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import coachstats

#: Modules whose examples fit a PyMC model: their results are checked by the family tests.
SAMPLING = ("bayes", "bayesian", "did.bayesian", "roi.tiers", "roi.bayesian", "variance.bayes")


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(coachstats.__path__, "coachstats."):
        rel = info.name.removeprefix("coachstats.")
        if rel == "__main__":  # runs the command line on import
            continue
        if any(rel == s or rel.startswith(s + ".") or rel.endswith("." + s) for s in SAMPLING):
            continue
        names.append(info.name)
    return names


@pytest.mark.slow
@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    extra = {"np": __import__("numpy"), "pd": __import__("pandas")}
    for test in finder.find(module, name, extraglobs=extra):
        if test.examples:
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
