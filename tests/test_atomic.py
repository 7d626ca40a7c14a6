"""provenance._atomic: output appears complete or not at all, never replaces a file
unless asked, and leaves no temporary file behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from provenance._atomic import atomic_output, check_output, output_error
from provenance.errors import OutputError, OutputExistsError


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
    with pytest.raises(OutputError, match="is a directory"):
        check_output(tmp_path, force=True)
    with pytest.raises(OutputError, match="output folder does not exist"):
        check_output(tmp_path / "missing" / "out.bin", force=False)
    (tmp_path / "there").write_bytes(b"")
    with pytest.raises(OutputExistsError):
        check_output(tmp_path / "there", force=False)
    check_output(tmp_path / "there", force=True)
    check_output(tmp_path / "new", force=False)


def _specials(folder: Path) -> dict[str, Path]:
    """Existing outputs that are not regular files: a FIFO, a socket and (as root) a
    device node of our own."""
    import socket

    made = {"fifo": folder / "fifo"}
    os.mkfifo(made["fifo"])
    made["socket"] = folder / "sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(made["socket"]))
    if os.geteuid() == 0:
        made["device"] = folder / "null"
        os.mknod(made["device"], stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return made


def test_special_files_are_never_replaced_even_with_force(tmp_path: Path) -> None:
    """Point 12: `--force` replaces regular files only; renaming over a device node,
    FIFO or socket would replace the node itself."""
    for name, path in _specials(tmp_path).items():
        before = os.lstat(path)
        for force in (False, True):
            with pytest.raises(OutputError, match="not a regular file"):
                check_output(path, force=force)
            with pytest.raises(OutputError, match="not a regular file"):
                with atomic_output(path, force=force) as f:
                    f.write(b"never")
        after = os.lstat(path)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino), name
    assert _leftovers(tmp_path) == []
    # A link is a name: --force replaces the link, and what it points at is untouched.
    link, fifo = tmp_path / "link", tmp_path / "fifo"
    link.symlink_to(fifo)
    with atomic_output(link, force=True) as f:
        f.write(b"new")
    assert link.read_bytes() == b"new" and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_special_file_swapped_in_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(OutputError, match="not a regular file"):
        with atomic_output(target, force=True) as f:
            f.write(b"new")
            target.unlink()
            os.mkfifo(target)
    assert stat.S_ISFIFO(os.lstat(target).st_mode) and _leftovers(tmp_path) == []


def test_os_errors_name_the_output_and_the_reason(tmp_path: Path) -> None:
    """Point 13: a read-only folder, or a parent that is a file, is an `OutputError`."""
    parent_is_file = tmp_path / "photo.jpg"
    parent_is_file.write_bytes(b"x")
    with pytest.raises(OutputError, match=r"photo.jpg/out.jpg: cannot write the output \(Not a"):
        check_output(parent_is_file / "out.jpg", force=False)
    error = output_error(tmp_path / "o.jpg", OSError(28, "No space left on device"))
    assert str(error) == f"{tmp_path / 'o.jpg'}: cannot write the output (No space left on device)"
