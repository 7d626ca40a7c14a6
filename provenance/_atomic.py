"""Atomic file output: write a temporary file beside the target, fsync, then rename.

A crash or error at any point leaves either nothing or the complete file at the
target, never a partial one, and never touches an existing file unless asked to. An
existing target that is not a regular file (a device, FIFO, socket or folder) is never
replaced, asked or not: renaming over `/dev/null` would replace the device node itself.
A symbolic link counts as the name it is: `--force` replaces the link, never writes
through it. Every output error names the output and the system's reason.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import OutputError, OutputExistsError

__all__ = ["atomic_output", "check_output", "output_error", "probe_output"]

_PROBE = 64 * 1024  # bytes a failed write must still be able to take to acquit the output


def output_error(path: Path, err: OSError) -> OutputError:
    """The one-line error for an output that could not be written."""
    reason = err.strerror or type(err).__name__
    return OutputError(f"{path}: cannot write the output ({reason})")


def check_output(path: Path, *, force: bool) -> None:
    """Fail early, before any expensive work, if `path` cannot be written: it exists and
    may not be replaced, or its folder is missing or refuses a new file (tried for real:
    a read-only file system or a folder root may not write to says so only then)."""
    _replaceable(path, force=force)
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise OutputError(f"{parent}: output folder {what}")
    try:
        with tempfile.TemporaryFile(dir=parent, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as e:
        raise output_error(path, e) from None


def _replaceable(path: Path, *, force: bool) -> None:
    """Refuse an existing `path` that is not a regular file, or any without `force`."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise output_error(path, e) from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path}: is a directory; give a file name for the output")
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise OutputError(
            f"{path}: exists and is not a regular file (device, FIFO or socket); it is never "
            "replaced, even with --force"
        )
    if not force:
        raise OutputExistsError(f"{path}: already exists (use --force to replace it)")


@contextlib.contextmanager
def atomic_output(path: Path, *, force: bool, mode: int = 0o644) -> Iterator[IO[bytes]]:
    """Yield a writable (and readable, seekable) file that becomes `path` on success.
    OS errors on the way (permission, full disk, read-only file system) become
    `OutputError`s that name `path`."""
    check_output(path, force=force)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as e:
        raise output_error(path, e) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w+b") as f:
            try:
                yield f  # what the body fails to write is this output's error too
                f.flush()
                os.fsync(f.fileno())
            except OSError as e:
                raise output_error(path, e) from None
        try:
            os.chmod(tmp, mode & ~_umask())
            _place(tmp, path, force=force)
        except OSError as e:
            raise output_error(path, e) from None
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _place(tmp: Path, path: Path, *, force: bool) -> None:
    """Move the finished file into place; what appeared there meanwhile is judged again."""
    if force:
        _replaceable(path, force=True)  # a FIFO or device swapped in is still refused
        os.replace(tmp, path)
        return
    # link() refuses to replace, closing the race between check and rename.
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputExistsError(f"{path}: already exists (use --force to replace it)") from None
    tmp.unlink()


def probe_output(f: IO[bytes], path: Path) -> None:
    """Raise the `OutputError` of an output file that can take no more bytes (a full disk,
    a quota, a failing device), which a library that only says "write error" hides. The
    probe bytes are cut off again."""
    try:
        f.flush()
        end = f.seek(0, os.SEEK_END)
        f.write(b"\0" * _PROBE)
        f.flush()
        os.fsync(f.fileno())
        f.truncate(end)
    except OSError as e:
        raise output_error(path, e) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
