"""Fixtures for cross-implementation (interop) tests.

The c2pa-ts validator lives in ``interop/c2pa-ts`` and needs Node.js plus the npm
dependencies installed by ``npm ci --prefix interop/c2pa-ts``. When either is missing the
tests that use :func:`c2pa_ts` are skipped with a reason that says what to run, unless
``PROVENANCE_REQUIRE_INTEROP=1`` is set, in which case they fail instead (for CI jobs that
did run ``npm ci`` and must not silently skip).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
C2PA_TS_DIR = REPO_ROOT / "interop" / "c2pa-ts"
C2PA_TS_SCRIPT = C2PA_TS_DIR / "validate.mjs"
C2PA_TS_PACKAGE = C2PA_TS_DIR / "node_modules" / "@trustnxt" / "c2pa-ts" / "package.json"
NODE_TIMEOUT_S = 120
REQUIRE_ENV = "PROVENANCE_REQUIRE_INTEROP"

Verdict = dict[str, Any]
Validator = Callable[..., list[Verdict]]


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


def _node_major(node: str) -> int | None:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        return int(out.lstrip("v").split(".")[0])
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


@pytest.fixture(scope="session")
def c2pa_ts() -> Validator:
    """Return ``validate(paths, *, force_bmff=False, patch_es512=False) -> list[verdict]``.

    One ``node`` process validates the whole batch; the verdicts come back in the order of
    ``paths`` (see interop/c2pa-ts/README.md for the verdict fields).
    """
    node = shutil.which("node")
    if node is None:
        _unavailable("c2pa-ts interop: `node` is not on PATH (install Node.js >= 20)")
    major = _node_major(node)
    if major is None or major < 20:
        _unavailable(f"c2pa-ts interop: Node.js >= 20 required, found major version {major}")
    if not C2PA_TS_PACKAGE.is_file():
        _unavailable(
            "c2pa-ts interop: interop/c2pa-ts/node_modules is missing; "
            "run `npm ci --prefix interop/c2pa-ts`"
        )

    def validate(
        paths: Sequence[Path], *, force_bmff: bool = False, patch_es512: bool = False
    ) -> list[Verdict]:
        args = [node, str(C2PA_TS_SCRIPT)]
        if force_bmff:
            args.append("--force-bmff")
        if patch_es512:
            args.append("--patch-es512-hash")
        args += ["--", *(str(p) for p in paths)]
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=NODE_TIMEOUT_S, cwd=C2PA_TS_DIR
        )
        if proc.returncode not in (0, 1):  # 1 = "some file did not validate", still JSON
            raise AssertionError(
                f"validate.mjs exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
                f"stderr:\n{proc.stderr}"
            )
        verdicts = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        assert [v["path"] for v in verdicts] == [str(p) for p in paths], proc.stdout
        return verdicts

    return validate
