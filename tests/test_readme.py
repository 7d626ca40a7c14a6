"""The README's set-up commands are the ones CI runs, and its CLI examples parse."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_line = _shell_blocks()[1].strip()
    assert "pytest" in test_line
    assert test_line in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_demo_command_runs_the_demo() -> None:
    first = _shell_blocks()[0].strip()
    assert first.endswith("provenance demo") and "pip install ." in first


def test_readme_examples_name_real_commands_and_options() -> None:
    from typer.testing import CliRunner

    from provenance.cli import app

    runner = CliRunner()
    for block in _shell_blocks()[2:]:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#")[0].split(">")[0].strip()
            if not line.startswith("provenance "):
                continue
            words = line.split()
            help_text = runner.invoke(app, [words[1], "--help"], terminal_width=200).output
            for word in words[2:]:
                if word.startswith("--"):
                    assert word in help_text, f"{word} not an option of {words[1]}"
