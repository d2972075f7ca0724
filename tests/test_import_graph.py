"""The package's import graph has no cycle, and no module keeps its own per-architecture list (issue 14).

The graph is built from the source with ``ast`` (nothing is imported): an arrow A → B for every
``import``/``from … import`` of a hybridsim module in A, at module level or inside a function (a lazy import
is still a dependency). ``from . import name`` points at the submodule ``name`` when there is one, else at
the package's ``__init__``; the implicit import of a parent package is not an arrow (Python's own doing,
not the module's), nor is an import under ``if TYPE_CHECKING:`` (never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import hybridsim

ROOT = Path(hybridsim.__file__).parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """{module: modules of the package it imports} for every ``.py`` under ``root``."""
    files = {_module_name(p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        pkg = mod if is_pkg else mod.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for top in ast.walk(tree) if isinstance(top, ast.If)
                       and isinstance(top.test, ast.Name) and top.test.id == "TYPE_CHECKING"
                       for b in top.body for n in ast.walk(b)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                for a in node.names:
                    sub = f"{stem}.{a.name}"
                    targets.append(sub if sub in files else stem)
            for t in targets:
                while t and t not in files:  # ``import a.b.c`` of a name inside a module
                    t = t.rpartition(".")[0]
                if t and t != mod and t.split(".")[0] == root.name:
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_graph_sees_imports():
    """The graph builder finds known arrows (a test that the acyclicity test can fail)."""
    g = import_graph()
    assert "hybridsim.simulate" in g["hybridsim"]
    assert "hybridsim.core.ths" in g["hybridsim.powertrains._ths_plant"]  # a lazy import, inside a function
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_no_import_cycle():
    found = cycles(import_graph())
    assert found == [], f"import cycles inside hybridsim: {found}"
