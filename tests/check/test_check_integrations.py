"""The pre-commit hook and the GitHub Action: what they run exists and selects media.

Checked as text (no YAML parser is a dependency); the keys looked at are one per line."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from provenance.cli import app

ROOT = Path(__file__).resolve().parents[2]


def _value(text: str, key: str) -> str:
    m = re.search(rf"^\s*-?\s*{re.escape(key)}:\s*(.+?)\s*(#.*)?$", text, flags=re.M)
    assert m, f"{key} missing"
    return m.group(1)


def test_pre_commit_hook() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert _value(text, "id") == "provenance-check"
    assert _value(text, "entry") == "provenance check"
    assert _value(text, "pass_filenames") == "true"
    files = re.compile(_value(text, "files"))
    for name in ("a/photo.JPG", "clip.mp4", "x.mov", "song.mp3", "v.wav", "i.heic", "p.png"):
        assert files.search(name), name
    for name in ("notes.md", "photo.jpg.c2pa", "jpg"):
        assert not files.search(name), name


def test_action_runs_the_check_with_its_inputs() -> None:
    text = (ROOT / "action.yml").read_text()
    assert _value(text, "using") == '"composite"'
    for name in ("paths", "policy", "format", "python-version", "changed-since", "jobs"):
        assert re.search(rf"^  {re.escape(name)}:$", text, flags=re.M), name
    assert "actions/setup-python@v5" in text
    # Point 16: the package is not on PyPI; the action installs its own checkout.
    install = 'python -m pip install --disable-pip-version-check "$GITHUB_ACTION_PATH"'
    assert _value(text, "run") == install
    assert "PACKAGE" not in text and "package:" not in text
    assert 'provenance "${args[@]}" -- "${paths[@]}"' in text
    help_text = CliRunner().invoke(app, ["check", "--help"], terminal_width=200).output
    for option in set(re.findall(r"args\+?=\(.*?(--[a-z-]+)", text)):
        assert option in help_text, option


def test_the_ci_docs_copy_paste_examples_are_real() -> None:
    """Point 16: no placeholder repository names, and installs that work: the toolkit is
    installed from a copy kept in the repository, which its `uses:` names too."""
    text = (ROOT / "docs" / "check.md").read_text()
    assert "example/" not in text and "pip install provenance-toolkit" not in text
    assert "github.com/" not in text
    blocks = re.findall(r"```(?:yaml|sh|console)\n(.*?)```", text, flags=re.S)
    installs = [line.strip().removeprefix("- ").removeprefix("run: ").strip()
                for b in blocks for line in b.splitlines() if "pip install" in line]  # fmt: skip
    assert installs and all(i == "pip install ./tools/provenance-toolkit" for i in installs)
    lines = [line for b in blocks for line in b.splitlines()]
    uses = [line.split("uses:")[1].split("#")[0].strip()
            for line in lines if "uses:" in line and "toolkit" in line]  # fmt: skip
    assert uses == ["./tools/provenance-toolkit"]
