"""Import structure: no import cycles anywhere in the package, of any length, counting the
imports inside functions too (a function-level import that closes a cycle only hides it).

Every module's AST is walked, function bodies included; ``if TYPE_CHECKING:`` blocks are left
out, and so are imports of third-party packages (optional dependencies are imported where
they are used). A module importing its own ancestor package (``from .. import _validate``)
is no cycle: the package is already being imported."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "coachstats"


def _module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
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


def _graph(lazy: bool, root: Path = SRC) -> dict[str, set[str]]:
    files = {_module_name(p, root): p for p in root.rglob("*.py")}
    return {m: {d for d in _imports(p, m, lazy=lazy)
                if d in files and d != m and not m.startswith(d + ".")}
            for m, p in files.items()}  # fmt: skip


def _cycles(lazy: bool, root: Path = SRC) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a longer loop
    (strongly connected components of the import graph with more than one module)."""
    graph = _graph(lazy, root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _explain(groups: list[list[str]], lazy: bool) -> str:
    graph = _graph(lazy)
    return "; ".join(
        ", ".join(f"{a} -> {b}" for a in g for b in sorted(graph[a] & set(g))) for g in groups)


def test_no_module_level_import_cycles() -> None:
    found = _cycles(lazy=False)
    assert not found, _explain(found, lazy=False)


def test_no_import_cycles_even_through_function_imports() -> None:
    found = _cycles(lazy=True)
    assert not found, "move the shared piece into a lower module: " + _explain(found, True)


def test_the_walk_finds_cycles_of_any_length_inside_functions(tmp_path: Path) -> None:
    pkg = tmp_path / "coachstats"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .a import f\n")
    (pkg / "sub" / "a.py").write_text("from .b import g\n\ndef f():\n    return g()\n")
    (pkg / "sub" / "b.py").write_text("def g():\n    from ..c import h\n    return h()\n")
    (pkg / "c.py").write_text(
        "import numpy\nfrom . import sub\n\ndef h():\n    from .sub.a import f\n    return 1\n")
    (pkg / "d.py").write_text("from .sub import a\n")  # imports the cycle, is not in it
    assert _cycles(lazy=False, root=pkg) == []
    assert _cycles(lazy=True, root=pkg) == [  # c imports the package sub, which imports a
        ["coachstats.c", "coachstats.sub", "coachstats.sub.a", "coachstats.sub.b"]]


def test_the_walk_sees_a_cycle_when_there_is_one(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("from .b import x\n")
    assert "coachstats.pkg.b" in _imports(a, "coachstats.pkg.a", lazy=False)
