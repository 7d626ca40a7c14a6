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
    assert "pip install" in text and '"$PACKAGE"' in text
    assert 'provenance "${args[@]}" -- "${paths[@]}"' in text
    help_text = CliRunner().invoke(app, ["check", "--help"], terminal_width=200).output
    for option in set(re.findall(r"args\+?=\(.*?(--[a-z-]+)", text)):
        assert option in help_text, option
