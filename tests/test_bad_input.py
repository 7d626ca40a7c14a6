"""Bad input: a one-line message, the documented exit code, never a traceback, and the
input byte-identical afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from mediautil import sha256
from typer.testing import CliRunner

from provenance import DevIdentity, Identity, Verdict, verify
from provenance.cli import app

runner = CliRunner()


def _bad_inputs(tmp: Path, signed: Path) -> dict[str, Path]:
    cases: dict[str, Path] = {}
    (tmp / "empty.jpg").write_bytes(b"")
    cases["zero-byte"] = tmp / "empty.jpg"
    data = signed.read_bytes()
    (tmp / "truncated.jpg").write_bytes(data[: len(data) // 3])
    cases["truncated"] = tmp / "truncated.jpg"
    (tmp / "text.mp4").write_text("this is not a video\n")
    cases["wrong-extension"] = tmp / "text.mp4"
    (tmp / "data.bin").write_bytes(os.urandom(4096))
    cases["unsupported"] = tmp / "data.bin"
    (tmp / "folder.jpg").mkdir()
    cases["directory"] = tmp / "folder.jpg"
    cases["missing"] = tmp / "missing.jpg"
    locked = tmp / "locked.jpg"
    locked.write_bytes(data)
    locked.chmod(0)
    cases["unreadable"] = locked
    corrupt = bytearray(data)
    pos = corrupt.find(b"jumb")
    corrupt[pos : pos + 400] = os.urandom(400)
    (tmp / "corrupt-manifest.jpg").write_bytes(bytes(corrupt))
    cases["corrupted-manifest"] = tmp / "corrupt-manifest.jpg"
    fifo = tmp / "pipe.jpg"
    os.mkfifo(fifo)
    cases["fifo"] = fifo
    return cases


# Verification failures exit 1; files that cannot be checked exit 2.
# Root reads files whatever their mode, so the permissions case only runs as a user.
AS_ROOT = os.geteuid() == 0
EXPECTED_EXIT = {
    "zero-byte": 2,
    "truncated": 1,
    "wrong-extension": 2,
    "unsupported": 2,
    "directory": 2,
    "missing": 2,
    **({} if AS_ROOT else {"unreadable": 2}),
    "corrupted-manifest": 1,
    "fifo": 2,
}


@pytest.fixture
def cases(tmp_path: Path, signed: Callable[[str], Path]) -> dict[str, Path]:
    bad = tmp_path / "bad"
    bad.mkdir()
    return _bad_inputs(bad, signed("jpg"))


def _digest(p: Path) -> str | None:
    if p.is_file() and os.access(p, os.R_OK):
        return sha256(p)
    return None


@pytest.mark.parametrize("case", sorted(EXPECTED_EXIT))
def test_verify_bad_input(case: str, cases: dict[str, Path]) -> None:
    path = cases[case]
    before = _digest(path)
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == EXPECTED_EXIT[case], result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _digest(path) == before


@pytest.mark.parametrize("case", sorted(EXPECTED_EXIT))
def test_sign_bad_input_leaves_nothing(
    case: str, cases: dict[str, Path], dev: DevIdentity, tmp_path: Path
) -> None:
    path = cases[case]
    before = _digest(path)
    out = tmp_path / "out.jpg"
    args = ["sign", str(path), "-o", str(out), "--key", str(dev.key), "--cert", str(dev.cert)]
    result = runner.invoke(app, args)
    if case in ("truncated", "corrupted-manifest"):
        # Still a JPEG: the library decides whether it can carry a manifest.
        assert result.exit_code in (0, 2), result.output
    else:
        assert result.exit_code == 2, result.output
        assert not out.exists()
    assert "Traceback" not in result.output
    assert _digest(path) == before


def test_messages_are_one_line(cases: dict[str, Path]) -> None:
    for case in ("zero-byte", "directory", "missing", "unsupported", "fifo"):
        result = runner.invoke(app, ["verify", "--json", str(cases[case])])
        assert result.exit_code == 2
        (report,) = json.loads(result.stdout)["reports"]
        assert report["verdict"] == "error"
        assert "\n" not in report["message"] and report["message"]


def test_library_raises_only_provenance_errors(cases: dict[str, Path]) -> None:
    from provenance.errors import ProvenanceError

    for case, path in cases.items():
        if case == "unreadable" and AS_ROOT:
            continue
        try:
            report = verify(path)
        except ProvenanceError as e:
            assert str(e), case
        else:
            assert report.verdict in (Verdict.INVALID, Verdict.UNSIGNED, Verdict.VALID), case


def test_python_m_entry_point_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "provenance", "verify", str(tmp_path / "nope.jpg")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "no such file" in proc.stdout + proc.stderr


def test_encrypted_key_needs_passphrase(
    tmp_path: Path, media: Callable[[str], Path], identity: Identity
) -> None:
    from provenance import generate_dev_identity

    enc = generate_dev_identity(tmp_path / "enc", passphrase=b"s3cret")
    assert oct(enc.key.stat().st_mode & 0o777) == "0o600"
    out = tmp_path / "o.jpg"
    base = [
        "sign",
        str(media("jpg")),
        "-o",
        str(out),
        "--key",
        str(enc.key),
        "--cert",
        str(enc.cert),
    ]
    result = runner.invoke(app, base)
    assert result.exit_code == 2 and "encrypted" in result.output
    result = runner.invoke(app, [*base, "--passphrase-env", "PP"], env={"PP": "wrong"})
    assert result.exit_code == 2 and "passphrase" in result.output
    assert "s3cret" not in result.output
    result = runner.invoke(app, [*base, "--passphrase-env", "PP"], env={"PP": "s3cret"})
    assert result.exit_code == 0, result.output
    assert verify(out).verdict is Verdict.VALID
