"""The frames package has no import cycles, deferred imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import provenance.frames

PACKAGE = Path(provenance.frames.__file__).parent


def _imports(path: Path) -> set[str]:
    """Sibling modules of provenance.frames that a module imports, anywhere in it."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("provenance.frames."):
                out.add(node.module.split(".")[2])
            elif node.module == "provenance.frames":
                out.update(a.name for a in node.names)
    return out


def test_no_import_cycles() -> None:
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    graph = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}

    def visit(module: str, path: list[str]) -> None:
        assert module not in path, " -> ".join([*path, module])
        for dep in graph[module]:
            visit(dep, [*path, module])

    for module in graph:
        visit(module, [])
    assert "assertion" not in graph["fingerprint"] and "fingerprint" not in graph["assertion"]
