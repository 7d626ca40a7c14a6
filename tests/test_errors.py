"""provenance.errors: one exception hierarchy and one ExitCode, used by every command, its
help text and the CLI's error wrapper; PROVENANCE_DEBUG=1 shows the traceback instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import provenance
from provenance.cli import app
from provenance.errors import ExitCode, ProvenanceError

runner = CliRunner()


def _subclasses(cls: type[ProvenanceError]) -> list[type[ProvenanceError]]:
    return [cls, *(s for c in cls.__subclasses__() for s in _subclasses(c))]


def test_exit_codes() -> None:
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0), ("FAILED", 1), ("ERROR", 2), ("INTERNAL", 3), ("INTERRUPTED", 130)
    ]  # fmt: skip


def test_every_error_carries_its_exit_code_and_is_public() -> None:
    errors = _subclasses(ProvenanceError)
    assert len(errors) >= 9
    for cls in errors:
        assert isinstance(cls.exit_code, ExitCode), cls
        if cls.__module__.startswith("provenance.frames"):
            continue  # frame data errors are raised and caught inside the library
        assert cls.__name__ in provenance.__all__, cls


@pytest.mark.parametrize("command", ["verify", "check", "history", "sign", "keygen"])
def test_help_states_the_exit_codes_from_the_enum(command: str) -> None:
    text = " ".join(runner.invoke(app, [command, "--help"], terminal_width=400).output.split())
    if command in ("verify", "check"):
        assert "Exit codes: 0 " in text and "; 3 internal error" in text
    top = " ".join(runner.invoke(app, ["--help"], terminal_width=400).output.split())
    assert f"2 {ExitCode.ERROR.meaning}" in top and "PROVENANCE_DEBUG=1" in top


def test_a_bug_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import provenance.cli.verify as command

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(command, "verify_many", broken)
    result = runner.invoke(app, ["verify", str(tmp_path / "any.jpg")])
    assert result.exit_code == ExitCode.INTERNAL
    assert result.output.strip() == "internal error: KeyError: 'oops'"

    monkeypatch.setenv("PROVENANCE_DEBUG", "1")
    result = runner.invoke(app, ["verify", str(tmp_path / "any.jpg")])
    assert isinstance(result.exception, KeyError)


def test_debug_shows_the_traceback_of_an_error(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "provenance", "keygen", "--out", str(tmp_path), "--type", "rsa"]
    plain = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert plain.returncode == ExitCode.ERROR
    assert plain.stderr.strip() == (
        "error: unknown key type 'rsa'; choose one of es256, es384, ps256, ed25519"
    )
    env = {**os.environ, "PROVENANCE_DEBUG": "1"}
    debug = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr and "provenance.errors.UsageError" in debug.stderr
