"""Crash safety: `provenance sign` killed with SIGKILL at seeded random moments while it
signs a ~70 MB MP4.

After every kill: the source is byte-identical; the destination does not exist or is a
complete file that verifies (with --force, the previous complete file or the new one, never
a mix). A SIGKILLed process cannot clean up, so its temporary `.NAME.*.partial` file may
stay behind beside the destination: accepted and documented (docs/hardening.md); it never
has the destination's name and does not block the next run.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from attacks import Workbench, run_cli, sha256

from provenance import Verdict, verify

SEED = 20261122


def _sign_cmd(wb: Workbench, src: Path, dst: Path, *extra: str) -> list[str]:
    key, cert = str(wb.dev_a.key), str(wb.dev_a.cert)
    return [sys.executable, "-m", "provenance", "sign", str(src), "-o", str(dst),
            "--key", key, "--cert", cert, "--source-type", "digitalCreation", *extra]  # fmt: skip


def _partials(dst: Path) -> list[Path]:
    return sorted(dst.parent.glob(f".{dst.name}.*.partial"))


def _kill_after(cmd: list[str], delay: float, *, when_partial: Path | None = None) -> int:
    """Start `cmd`, SIGKILL it `delay` seconds after start (or after the temporary file
    for `when_partial` appears); return its exit status (negative: killed)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    if when_partial is not None:
        while not _partials(when_partial) and proc.poll() is None:
            if time.monotonic() - t0 > 60:
                break
            time.sleep(0.001)
        t0 = time.monotonic()
    while time.monotonic() - t0 < delay and proc.poll() is None:
        time.sleep(0.001)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60)


def _check_after_kill(dst: Path, *, previous: str | None = None) -> str:
    """'absent', 'previous' or 'complete'; fails on anything partial."""
    if not dst.exists():
        assert previous is None, "an existing output vanished"
        return "absent"
    digest = sha256(dst)
    if previous is not None and digest == previous:
        return "previous"
    report = verify(dst)
    assert report.verdict is Verdict.VALID, (dst, report.verdict, report.message)
    return "complete"


@pytest.mark.slow
def test_sigkill_while_signing(big_mp4: Path, workbench: Workbench, tmp_path: Path) -> None:
    source = sha256(big_mp4)
    # A full run first: how long signing takes here, and that it works at all.
    ref = tmp_path / "reference.mp4"
    t0 = time.monotonic()
    code, out, err, _ = run_cli(_sign_cmd(workbench, big_mp4, ref)[3:], timeout=120)
    full = time.monotonic() - t0
    assert code == 0, err
    assert verify(ref).verdict is Verdict.VALID

    rng = random.Random(SEED)
    outcomes: list[str] = []
    leftovers = 0
    # Kills spread over the whole run (start-up, hashing, writing, renaming) ...
    for i in range(5):
        dst = tmp_path / f"timed-{i}.mp4"
        _kill_after(_sign_cmd(workbench, big_mp4, dst), rng.uniform(0.2 * full, full))
        assert sha256(big_mp4) == source
        outcomes.append(_check_after_kill(dst))
        leftovers += len(_partials(dst))
    # ... and kills aimed at the window where the temporary file is being written.
    for i in range(3):
        dst = tmp_path / f"writing-{i}.mp4"
        _kill_after(_sign_cmd(workbench, big_mp4, dst), rng.uniform(0.0, 0.05), when_partial=dst)
        assert sha256(big_mp4) == source
        outcomes.append(_check_after_kill(dst))
        leftovers += len(_partials(dst))
    print(f"kill outcomes: {outcomes}; leftover temporary files: {leftovers}")
    assert "absent" in outcomes, f"no kill landed before the output appeared: {outcomes}"

    # A retry after a kill succeeds despite a leftover temporary file.
    dst = tmp_path / "writing-0.mp4"
    if not dst.exists():
        code, out, err, _ = run_cli(_sign_cmd(workbench, big_mp4, dst)[3:], timeout=120)
        assert code == 0, err
        assert verify(dst).verdict is Verdict.VALID


@pytest.mark.slow
def test_sigkill_while_replacing(big_mp4: Path, workbench: Workbench, tmp_path: Path) -> None:
    """With --force over an existing output, a kill leaves the old file or the new one."""
    dst = tmp_path / "out.mp4"
    code, _, err, _ = run_cli(_sign_cmd(workbench, big_mp4, dst)[3:], timeout=120)
    assert code == 0, err
    rng = random.Random(SEED + 1)
    seen = set()
    for _ in range(3):
        previous = sha256(dst)
        _kill_after(
            _sign_cmd(workbench, big_mp4, dst, "--force"),
            rng.uniform(0.0, 0.05),
            when_partial=dst,
        )
        seen.add(_check_after_kill(dst, previous=previous))
    assert seen <= {"previous", "complete"}
