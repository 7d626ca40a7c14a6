"""Packaging: the top-level cli/ folder ships as `provenance.cli` (no symlink), and
neither a wheel nor an editable install exposes anything named `cli` at top level.

Both installs go into fresh virtual environments that borrow this environment's
dependencies through a .pth file, built with --no-build-isolation, --no-deps and
--no-index: offline, and without touching this environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir"]
OFFLINE = ["--no-deps", "--no-build-isolation", "--no-index"]

pytestmark = pytest.mark.slow

PROBE = """
import importlib.util, json, provenance, provenance.cli
print(json.dumps({
    "provenance": provenance.__file__,
    "cli": provenance.cli.__file__,
    "verify": importlib.util.find_spec("provenance.cli.verify").origin,
    "top_level": [m for m in ("cli", "tests", "benchmarks") if importlib.util.find_spec(m)],
}))
"""


def _run(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-1000:] + proc.stderr[-2000:]
    return proc.stdout


def _venv(where: Path) -> Path:
    """A fresh environment whose only extra packages are this one's dependencies."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(where)], cwd=where.parent)
    python = where / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=where.parent).strip())  # fmt: skip
    (site / "_borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def _probe(python: Path, cwd: Path) -> dict[str, object]:
    found: dict[str, object] = json.loads(_run([str(python), "-c", PROBE], cwd=cwd))
    # The console script and `python -m provenance` both reach the CLI.
    assert "Usage: provenance" in _run([str(python.parent / "provenance"), "--help"], cwd=cwd)
    as_module = _run([str(python), "-m", "provenance", "--help"], cwd=cwd)
    assert "Usage: python -m provenance" in as_module
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([*PIP, "wheel", *OFFLINE, "-w", str(out), str(ROOT)], cwd=out)
    (built,) = out.glob("provenance_toolkit-*.whl")
    return built


def test_the_wheel_holds_the_cli_inside_the_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.startswith("provenance_toolkit-")} == {"provenance"}
    shipped = sorted(n.removeprefix("provenance/cli/") for n in names
                     if n.startswith("provenance/cli/"))  # fmt: skip
    assert shipped == sorted(p.name for p in (ROOT / "cli").glob("*.py"))
    assert "provenance/py.typed" in names
    assert any(n.endswith("/share/provenance-toolkit/schemas/policy.schema.json") for n in names)


def test_a_wheel_install_exposes_provenance_cli_only(wheel: Path, tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv")
    _run([*PIP, "--python", str(python), "install", *OFFLINE, str(wheel)], cwd=tmp_path)
    found = _probe(python, tmp_path)
    site = str(tmp_path / "venv")
    assert str(found["provenance"]).startswith(site) and str(found["cli"]).startswith(site)
    assert str(found["cli"]).endswith("provenance/cli/__init__.py")
    assert found["top_level"] == []


def test_an_editable_install_exposes_provenance_cli_only(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv")
    _run([*PIP, "--python", str(python), "install", *OFFLINE, "-e", str(ROOT)], cwd=tmp_path)
    found = _probe(python, tmp_path)
    # The working files themselves: edits show without reinstalling.
    assert found["provenance"] == str(ROOT / "provenance" / "__init__.py")
    assert found["cli"] == str(ROOT / "cli" / "__init__.py")
    assert found["verify"] == str(ROOT / "cli" / "verify.py")
    assert found["top_level"] == []  # the project root is not on sys.path
