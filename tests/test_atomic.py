"""provenance._atomic: output appears complete or not at all, never replaces a file
unless asked, and leaves no temporary file behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from provenance._atomic import atomic_output, check_output
from provenance.errors import InputError, OutputExistsError


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".partial")]


def test_writes_the_whole_file_with_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with atomic_output(target, force=False, mode=0o600) as f:
        f.write(b"x" * 100_000)
        assert not target.exists()  # nothing at the target until the end
    assert target.read_bytes() == b"x" * 100_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == []


def test_default_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "a", force=False) as f:
            f.write(b"a")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o640


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(OutputExistsError, match="use --force"):
        with atomic_output(target, force=False) as f:
            f.write(b"new")
    assert target.read_bytes() == b"old"
    with atomic_output(target, force=True) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new" and _leftovers(tmp_path) == []


def test_a_file_that_appears_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(OutputExistsError):
        with atomic_output(target, force=False) as f:
            f.write(b"ours")
            target.write_bytes(b"theirs")  # another process won the race
    assert target.read_bytes() == b"theirs" and _leftovers(tmp_path) == []


def test_an_error_midway_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with atomic_output(target, force=False) as f:
            f.write(b"half")
            raise RuntimeError("disk on fire")
    assert not target.exists() and _leftovers(tmp_path) == []


def test_bad_outputs_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        check_output(tmp_path, force=True)
    with pytest.raises(InputError, match="output folder does not exist"):
        check_output(tmp_path / "missing" / "out.bin", force=False)
    (tmp_path / "there").write_bytes(b"")
    with pytest.raises(OutputExistsError):
        check_output(tmp_path / "there", force=False)
    check_output(tmp_path / "there", force=True)
    check_output(tmp_path / "new", force=False)
