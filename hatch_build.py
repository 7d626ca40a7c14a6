"""Build hook: an editable install maps `provenance.cli` onto the checkout's `cli/` folder.

A wheel ships `cli/` as `provenance/cli/` through the wheel target's `force-include`.
An editable install must import the working files instead, and must not put the project
root on `sys.path` (that would expose `cli`, `tests`, ... as top-level packages), so
`dev-mode-exact` maps only `provenance`, and this hook adds a small import finder that
resolves `provenance.cli` (and so its submodules) to the checkout's `cli/` folder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_MODULE = "_provenance_toolkit_cli"
_FINDER = '''\
"""Editable install of provenance-toolkit: `provenance.cli` is the checkout's cli/ folder."""

import importlib.util
import sys

_CLI = {cli!r}


class CliFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "provenance.cli":
            return None
        return importlib.util.spec_from_file_location(
            name, _CLI + "/__init__.py", submodule_search_locations=[_CLI]
        )


if CliFinder not in sys.meta_path:
    sys.meta_path.append(CliFinder)
'''


class CliHook(BuildHookInterface):
    """Adds the `provenance.cli` finder to editable wheels."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Write the finder and its .pth file, and have them installed with the wheel."""
        if version != "editable":
            return
        self._scratch = Path(tempfile.mkdtemp(prefix="provenance-build-"))
        finder = self._scratch / f"{_MODULE}.py"
        finder.write_text(_FINDER.format(cli=str(Path(self.root, "cli").resolve())))
        pth = self._scratch / f"{_MODULE}.pth"
        pth.write_text(f"import {_MODULE}\n")
        build_data["force_include_editable"][str(finder)] = finder.name
        build_data["force_include_editable"][str(pth)] = pth.name

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the scratch files."""
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
