"""Every tutorial notebook runs top to bottom. The selected notebooks run two at a time (each
in its own kernel), so the check costs about half the wall time on two cores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def _execute(path: Path) -> BaseException | None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as exc:  # reported by the notebook's own test
        return exc
    return None


@pytest.fixture(scope="module")
def executed(request: pytest.FixtureRequest) -> dict[str, BaseException | None]:
    wanted = {item.callspec.params["path"] for item in request.session.items
              if item.originalname == "test_notebook_executes"}
    paths = [p for p in NOTEBOOKS if p in wanted]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((p.stem for p in paths), pool.map(_execute, paths), strict=True))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, executed) -> None:
    error = executed[path.stem]
    if error is not None:
        raise error
