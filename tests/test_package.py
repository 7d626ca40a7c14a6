"""The package's shape: `provenance.__all__` is the whole public API, internal modules are
marked as such, every public definition is documented, no module reaches into another's
private names, no imports go round in a cycle (deferred ones included), and the CLI
starts without loading any command or anything heavy, and each command loads only what
it uses."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import provenance

ROOT = Path(__file__).resolve().parents[1]

# The localization engine keeps its package name, `frames/` (docs/architecture.md), and
# its own API (fingerprints, the assertion codec, thresholds) for the toolkit's internal
# use, the tests and the benchmarks: none of it belongs in `provenance.__all__`. So it is
# exempt from the public-surface rules below, and only from those: its definitions are
# documented, it reads no private names, and its imports make no cycles, as everywhere.
PUBLIC_SURFACE_EXEMPT = ("provenance.frames",)


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name; cli/ ships as provenance.cli."""
    out: dict[str, Path] = {}
    for base, prefix in ((ROOT / "provenance", "provenance"), (ROOT / "cli", "provenance.cli")):
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([prefix, *parts])] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _surface_exempt(name: str) -> bool:
    return any(name == o or name.startswith(o + ".") for o in PUBLIC_SURFACE_EXEMPT)


def _is_public(name: str) -> bool:
    """A library module whose name has no private part (the CLI is an application)."""
    parts = name.split(".")
    return not any(p.startswith("_") for p in parts) and not name.startswith("provenance.cli")


def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(), str(MODULES[name]))


def _defined_names(tree: ast.Module) -> set[str]:
    """Names a module defines at top level (not the ones it imports)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names - {"__all__"}


# ------------------------------------------------------------------------------ the API


def test_the_public_api_is_one_flat_list_that_imports() -> None:
    assert len(provenance.__all__) == len(set(provenance.__all__))
    for name in provenance.__all__:
        assert getattr(provenance, name) is not None, name


# Importing __main__ would run the CLI.
IMPORTABLE = sorted(n for n in MODULES if not n.endswith("__main__"))


@pytest.mark.parametrize("name", IMPORTABLE)
def test_all_lists_name_what_the_module_has(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert not _is_public(name) or _surface_exempt(name), f"{name} needs an __all__"
        return
    assert len(exported) == len(set(exported)), name
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names {item!r}, which it lacks"


@pytest.mark.parametrize(
    "name",
    [n for n in IMPORTABLE if _is_public(n) and not _surface_exempt(n) and n != "provenance"],
)
def test_public_modules_export_only_the_public_api(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert exported <= set(provenance.__all__), exported - set(provenance.__all__)
    public = {n for n in _defined_names(_tree(name)) if not n.startswith("_")}
    assert public <= exported, f"{name} defines {public - exported} outside its __all__"


def test_no_public_module_hides_internals() -> None:
    """Every module is either public (its names in `provenance.__all__`), internal
    (`_name`), the CLI, or listed in PUBLIC_SURFACE_EXEMPT."""
    public = sorted(n for n in IMPORTABLE if _is_public(n) and not _surface_exempt(n))
    assert public == [
        "provenance",
        "provenance.check",
        "provenance.errors",
        "provenance.history",
        "provenance.identity",
        "provenance.keygen",
        "provenance.models",
        "provenance.registry",
        "provenance.sign",
        "provenance.trust",
        "provenance.verify",
    ]


# ------------------------------------------------------------------------------ docstrings


def _undocumented(tree: ast.Module) -> Iterator[str]:
    def walk(body: list[ast.stmt], prefix: str) -> Iterator[str]:
        for node in body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if node.name.startswith("_"):
                continue
            if ast.get_docstring(node) is None:
                yield prefix + node.name
            if isinstance(node, ast.ClassDef):
                yield from walk(node.body, f"{prefix}{node.name}.")

    if ast.get_docstring(tree) is None:
        yield "(module docstring)"
    yield from walk(tree.body, "")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_public_definition_has_a_docstring(name: str) -> None:
    missing = list(_undocumented(_tree(name)))
    assert not missing, f"{name}: no docstring for {missing}"


# ------------------------------------------------------------------ imports: private, cycles


def _resolve(name: str, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom names."""
    if not node.level:
        return node.module or ""
    base = name.split(".") if _is_package(name) else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of import nodes under `if TYPE_CHECKING:` (never executed)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def _imports(name: str) -> Iterator[tuple[str, str | None]]:
    """(module, imported name or None) for every import the module executes, at any
    depth (functions included)."""
    tree = _tree(name)
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(name, node)
            for alias in node.names:
                yield module, alias.name


def _private(item: str) -> bool:
    return item.startswith("_") and not item.startswith("__")


def _private_uses(name: str, tree: ast.Module | None = None) -> Iterator[tuple[str, str]]:
    """(module, private name) for each private name of another of our modules that
    `name` (or `tree`, read as if it were `name`) imports (`from m import _x`) or reads as
    an attribute (`m._x`)."""
    tree = tree or _tree(name)
    bound: dict[str, str] = {}  # local name -> our module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _resolve(name, node)
            for alias in node.names:
                if f"{module}.{alias.name}" in MODULES:
                    bound[alias.asname or alias.name] = f"{module}.{alias.name}"
                elif module in MODULES and _private(alias.name):
                    yield module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and _private(node.attr)
            and f"{bound[node.value.id]}.{node.attr}" not in MODULES
        ):
            yield bound[node.value.id], node.attr


def test_no_module_imports_a_private_name_of_another() -> None:
    found = {(name, module, item) for name in MODULES for module, item in _private_uses(name)}
    assert found == set()


def test_the_private_name_check_sees_imports_and_attribute_reads() -> None:
    """What frames/image.py once did (`compare._spatial_support`), and its import form:
    the check must see both."""
    source = (
        "from provenance.frames import compare\n"
        "from provenance.frames.compare import _cells_to_rects\n"
        "compare._spatial_support(score)\n"
    )
    assert set(_private_uses("provenance.frames.image", ast.parse(source))) == {
        ("provenance.frames.compare", "_spatial_support"),
        ("provenance.frames.compare", "_cells_to_rects"),
    }


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name in MODULES:
        for module, item in _imports(name):
            target = f"{module}.{item}" if f"{module}.{item}" in MODULES else module
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_deferred_imports_included() -> None:
    graph = _graph()
    # A submodule that imports its own package (`from provenance.frames import compare`
    # resolves to the sibling, but `import provenance` does not) finds it already running:
    # Python imports a package before its submodules, so that edge cannot form a cycle.
    for name in graph:
        graph[name] = {t for t in graph[name] if not (_is_package(t) and name.startswith(t + "."))}
    assert _cycles(graph) == []


def test_the_cycle_check_sees_deferred_imports() -> None:
    """The graph includes imports inside functions: `_sequence` imports `frames` only
    when a folder is signed, and the graph knows it."""
    assert "provenance.frames" in _graph()["provenance._sequence"]


@pytest.mark.slow
def test_each_module_imports_alone_in_a_fresh_interpreter() -> None:
    def load(name: str) -> tuple[str, int, str]:
        proc = subprocess.run(
            [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=120
        )
        return name, proc.returncode, proc.stderr[-400:]

    with ThreadPoolExecutor(4) as pool:
        failed = [r for r in pool.map(load, IMPORTABLE) if r[1] != 0]
    assert failed == []


# ------------------------------------------------------------------------------ start-up


# What `provenance --help` must not load: the library beyond its errors and vocabularies,
# the C2PA library, cryptography, imaging, NumPy, PyAV, rich and the commands themselves.
HEAVY = ("c2pa", "cryptography", "PIL", "numpy", "av", "rich", "pydantic")


def _loaded_by(args: list[str]) -> list[str]:
    """The modules of interest a fresh interpreter has loaded after `provenance ARGS`."""
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from provenance.cli import app\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "assert result.exit_code == 0, result.output\n"
        f"heavy = {HEAVY!r}\n"
        "print(sorted(m for m in sys.modules if m.startswith('provenance')"
        " or m.split('.')[0] in heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    loaded: list[str] = ast.literal_eval(proc.stdout.strip())
    return loaded


def test_cli_help_loads_no_command_and_nothing_heavy() -> None:
    assert _loaded_by(["--help"]) == [
        "provenance",
        "provenance._debug",
        "provenance._vocab",
        "provenance.cli",
        "provenance.cli._common",
        "provenance.errors",
    ]


@pytest.mark.parametrize(
    "command", ["check", "demo", "history", "keygen", "register", "serve", "sign", "verify"]
)
def test_a_command_loads_only_its_own_module(command: str) -> None:
    """`provenance COMMAND --help` loads that command's module and what it uses, never
    another command's, nor NumPy, PyAV or the demo (which load only to decode pixels), nor
    pydantic (Typer 0.29 builds a pydantic adapter per parameter: 0.15-0.25 s a command)."""
    from provenance.cli import COMMANDS

    loaded = _loaded_by([command, "--help"])
    commands = {f"provenance.cli.{module}" for module, _ in COMMANDS.values()}
    assert [m for m in loaded if m in commands] == [f"provenance.cli.{COMMANDS[command][0]}"]
    heavy = (
        "numpy",
        "av",
        "pydantic",
        "provenance._demo",
        "provenance._demo_media",
        "provenance.frames",
    )
    assert [m for m in loaded if m.split(".")[0] in heavy or m in heavy] == []
