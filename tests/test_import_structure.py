"""Import structure: no module-level import cycles anywhere in the package, and the two
modules pairs that used to import each other (report render/runner, survival _cost/_cox) do
not, even through imports inside functions. ``if TYPE_CHECKING:`` blocks are left out."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "coachstats"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, name: str, *, lazy: bool) -> set[str]:
    """Modules of this package imported by the file (inside functions too if ``lazy``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if not lazy and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom):
                if sub.level:
                    base = pkg.split(".")
                    base = base[: len(base) - (sub.level - 1)]
                    mod = ".".join(base + ([sub.module] if sub.module else []))
                else:
                    mod = sub.module or ""
                if mod.startswith("coachstats"):
                    out.add(mod)
                    out.update(f"{mod}.{a.name}" for a in sub.names)
            elif isinstance(sub, ast.Import):
                out.update(a.name for a in sub.names if a.name.startswith("coachstats"))
    return out


def _cycles(lazy: bool) -> set[tuple[str, str]]:
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph = {m: {d for d in _imports(p, m, lazy=lazy) if d in files and d != m}
             for m, p in files.items()}  # fmt: skip
    found = set()
    for a, deps in graph.items():
        for b in deps:  # a package's __init__ re-exporting its own submodules is no cycle
            if a in graph.get(b, ()) and not (a.startswith(b + ".") or b.startswith(a + ".")):
                found.add(tuple(sorted((a, b))))
    return found


def test_no_module_level_import_cycles() -> None:
    assert not sorted(_cycles(lazy=False))


def test_former_cycles_stay_broken_even_through_function_imports() -> None:
    lazy = _cycles(lazy=True)
    for pair in [("coachstats.report.render", "coachstats.report.runner"),
                 ("coachstats.survival._cost", "coachstats.survival._cox")]:
        assert pair not in lazy, pair


def test_the_walk_sees_a_cycle_when_there_is_one(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("from .b import x\n")
    assert "coachstats.pkg.b" in _imports(a, "coachstats.pkg.a", lazy=False)
