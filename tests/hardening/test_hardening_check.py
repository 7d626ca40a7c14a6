"""`provenance check` over a folder of hostile files: it finishes, never shows a traceback,
and gives forged files the verdicts `verify` gives them."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from attacks import AttackCase, Outcome, Workbench, run_cli

# Cases copied into the checked folder (regular files only; special files are added apart).
COPIED = [
    "control-signed.jpg",
    "transplant-unsigned-target.png",
    "stripped.mp4",
    "cert-swapped.jpg",
    "claim-xlbox-huge.png",
    "uuid-largesize-huge.mp4",
    "two-stores.png",
    "bomb-100000x100000.png",
    "many-frames-5000.mp4",
]


@pytest.fixture
def hostile_folder(
    attack_cases: dict[str, AttackCase], workbench: Workbench, tmp_path: Path
) -> Path:
    folder = tmp_path / "assets"
    folder.mkdir()
    for name in COPIED:
        shutil.copyfile(attack_cases[name].path, folder / name)
    (folder / "link-to-zero.jpg").symlink_to("/dev/zero")
    sparse = folder / "sparse.jpg"
    sparse.write_bytes(workbench.signed("jpg").read_bytes())
    os.truncate(sparse, 2 << 30)
    # An unsigned photo whose sidecar is a symlink to a genuine store outside the folder.
    shutil.copyfile(attack_cases["sidecar-symlink-outside.jpg"].path, folder / "photo.jpg")
    outside = attack_cases["sidecar-symlink-outside.jpg"].path.parent.parent / "outside"
    (folder / "photo.jpg.c2pa").symlink_to(outside / "photo.jpg.c2pa")
    return folder


def _check(folder: Path, timeout: float) -> tuple[dict[str, Any], dict[str, str]]:
    """The results by path, and the skipped files with their reasons."""
    code, out, err, _ = run_cli(
        ["check", str(folder), "--format", "json", "--no-cache", "--jobs", "1"], timeout=timeout
    )
    assert code is not None, f"provenance check did not finish within {timeout:.0f} s"
    # Exit 2: the 2 GiB sparse JPEG cannot be checked safely (and says so).
    assert code == 2 and "Traceback" not in out + err, (code, err[-500:])
    doc = json.loads(out)
    return {r["path"]: r for r in doc["results"]}, {s["path"]: s["reason"] for s in doc["skipped"]}


def test_check_hostile_folder(
    hostile_folder: Path, attack_cases: dict[str, AttackCase], attack_outcomes: dict[str, Outcome]
) -> None:
    results, skipped = _check(hostile_folder, timeout=60)
    for name in COPIED:
        expected = attack_outcomes[name].verdict
        if expected == "trusted":  # verified with --trust; check runs without anchors here
            expected = "valid"
        assert results[name]["verdict"] == expected, name
    assert results["photo.jpg"]["verdict"] == "unsigned"  # the symlinked sidecar is ignored
    # A symlink to a device is never opened; its symlinked sidecar is not an asset either.
    assert skipped["link-to-zero.jpg"] == "symbolic link"
    assert skipped["photo.jpg.c2pa"] == "symbolic link"
    sparse = results["sparse.jpg"]
    assert (sparse["status"], sparse["verdict"]) == ("error", "error")
    assert [v["rule"] for v in sparse["violations"]] == ["unreadable"]
    assert "too large to check safely" in sparse["report"]["message"]
    assert set(results) == {*COPIED, "photo.jpg", "sparse.jpg"}


def test_check_folder_with_fifo(hostile_folder: Path) -> None:
    os.mkfifo(hostile_folder / "pipe.mp4")
    results, skipped = _check(hostile_folder, timeout=10)
    assert "pipe.mp4" not in results  # never opened: opening a FIFO blocks
    assert skipped["pipe.mp4"] == "not a regular file"
