"""Atomic file output: write a temporary file beside the target, fsync, then rename.

A crash or error at any point leaves either nothing or the complete file at the
target, never a partial one, and never touches an existing file unless asked to.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import InputError, OutputExistsError

__all__ = ["atomic_output", "check_output"]


def check_output(path: Path, *, force: bool) -> None:
    """Fail early, before any expensive work, if `path` cannot be written."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name for the output")
    if path.exists() and not force:
        raise OutputExistsError(f"{path}: already exists (use --force to replace it)")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: output folder does not exist")
    if not os.access(path.parent, os.W_OK):
        raise InputError(f"{path.parent}: output folder is not writable")


@contextlib.contextmanager
def atomic_output(path: Path, *, force: bool, mode: int = 0o644) -> Iterator[IO[bytes]]:
    """Yield a writable (and readable, seekable) file that becomes `path` on success."""
    check_output(path, force=force)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode & ~_umask())
        if force:
            os.replace(tmp, path)
        else:
            # link() refuses to replace, closing the race between check and rename.
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputExistsError(
                    f"{path}: already exists (use --force to replace it)"
                ) from None
            tmp.unlink()
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


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
