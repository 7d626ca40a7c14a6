"""Find the files to check.

Inside a git work tree the candidates are the files git knows: tracked files plus
untracked files that are not ignored (`git ls-files --cached --others
--exclude-standard`), so `.gitignore` is respected and a new asset is checked before
it is committed. Files named explicitly on the command line are always candidates.
Outside git, every file under the given paths is (except `.git/` and the cache).
Symbolic links are skipped. Globs (`--include`, `--exclude`, the policy's `[files]`)
then filter root-relative paths, and media is recognized from content.
"""

from __future__ import annotations

import enum
import heapq
import os
import posixpath
import shutil
import stat
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._media import detect
from .._read import find_sidecar
from ..errors import InputError, UnsupportedFormatError, UsageError
from . import _globs as globs
from ._cache import CACHE_DIR

__all__ = [
    "Asset",
    "SkipReason",
    "Skipped",
    "find_root",
    "candidates",
    "classify",
    "changed_files",
    "filter_globs",
    "order",
    "sequence_of",
]

_MEDIA_KINDS = frozenset({"image", "video", "audio"})
_GIT_TIMEOUT = 120


@dataclass(frozen=True)
class Asset:
    """A media file to verify, or a folder of frames signed as one image sequence."""

    path: str  # root-relative, POSIX
    abspath: Path
    sidecar: Path | None  # for a sequence: its FOLDER.c2pa
    size: int = 0  # bytes (a sequence: its frames'), to size the work


class SkipReason(enum.Enum):
    """Why a candidate file is not checked."""

    SYMLINK = "symbolic link"
    DELETED = "deleted from the work tree"
    NOT_REGULAR = "not a regular file"
    EMPTY = "file is empty"
    LFS_POINTER = "Git LFS pointer, not the media itself (fetch it: git lfs pull)"
    UNSUPPORTED = "not a supported media format"
    NOT_MEDIA = "not media"


@dataclass(frozen=True)
class Skipped:
    """A candidate file that is not checked, and why."""

    path: str
    why: SkipReason
    detail: str | None = None  # e.g. the content type of a file that is not media

    @property
    def reason(self) -> str:
        """The reason, for people."""
        return f"{self.why.value} ({self.detail})" if self.detail else self.why.value

    def to_dict(self) -> dict[str, str]:
        """JSON form (check-report schema, `skipped`)."""
        return {"path": self.path, "reason": self.reason}


def _git(args: Sequence[str], cwd: Path) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        proc = subprocess.run(
            [git, *args],
            cwd=cwd,
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "surrogateescape")


def find_root(paths: Sequence[Path]) -> tuple[Path, bool]:
    """The checked root (git top level, else the common folder of the paths, else the
    current folder) and whether it is a git work tree."""
    start = Path.cwd()
    if paths:
        first = paths[0].resolve()
        start = first if first.is_dir() else first.parent
    top = _git(["rev-parse", "--show-toplevel"], start) if start.is_dir() else None
    if top and top.strip():
        return Path(top.strip()).resolve(), True
    if not paths:
        return Path.cwd().resolve(), False
    dirs = [p.resolve() if p.resolve().is_dir() else p.resolve().parent for p in paths]
    return Path(os.path.commonpath(dirs)), False


def _relative(root: Path, p: Path) -> str:
    full = p.resolve() if p.is_dir() else p.absolute().parent.resolve() / p.name
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{p}: outside the checked root {root}") from None


def _z(out: str) -> list[str]:
    return [s for s in out.split("\0") if s]


def order(path: str) -> bytes:
    """The sort key of a root-relative path: its bytes, the order of git's index and of
    object-store listings (for UTF-8 names, the same as sorting the text)."""
    return os.fsencode(path)


def candidates(root: Path, paths: Sequence[Path], *, git: bool) -> Iterator[str]:
    """Root-relative POSIX paths of the candidate files, unique and in `order`, streamed:
    the listing is never held whole."""
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise InputError(f"{p}: no such file or folder")
    rels = [_relative(root, p) for p in paths]
    explicit = sorted({r for r, p in zip(rels, paths, strict=True) if not p.is_dir()}, key=order)
    folders = [r for r, p in zip(rels, paths, strict=True) if p.is_dir()] if paths else [""]
    streams: list[Iterable[str]] = [explicit]
    if folders and git:
        spec = [f or "." for f in folders]
        # The index lists in byte order, and so do untracked files: merged, not sorted.
        for which in (["--cached"], ["--others", "--exclude-standard"]):
            args = ["--literal-pathspecs", "ls-files", "-z", *which, "--", *spec]
            streams.append(_git_lines(args, root))
    elif folders:
        streams += [_walk(root, root / f if f else root) for f in folders]
    return _unique(heapq.merge(*streams, key=order))


def _unique(rels: Iterator[str]) -> Iterator[str]:
    last = None
    for rel in rels:
        if rel != last:  # a path under two given folders, or unmerged index stages
            yield rel
        last = rel


def _git_lines(args: Sequence[str], cwd: Path) -> Iterator[str]:
    """The NUL-separated output of a git command, read as it comes."""
    git = shutil.which("git")
    if git is None:
        raise InputError(f"{cwd}: git ls-files failed (no git)")
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    with subprocess.Popen(
        [git, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    ) as proc:
        assert proc.stdout is not None
        rest = b""
        while chunk := proc.stdout.read(1 << 16):
            *lines, rest = (rest + chunk).split(b"\0")
            for line in lines:
                if line:
                    yield os.fsdecode(line)
        if proc.wait() != 0:
            raise InputError(f"{cwd}: git ls-files failed")


def _walk(root: Path, top: Path) -> Iterator[str]:
    """Every file under `top`, in `order` without a global sort: each folder's entries
    are sorted as the walk reaches them, a folder by its name plus "/" (where its files
    fall among full paths: `a-b` < `a/x` < `a0`). Iterative: any depth."""
    stack = [_entries(top)]
    while stack:
        for path, is_dir in stack[-1]:
            if is_dir:
                stack.append(_entries(path))
                break
            yield Path(path).relative_to(root).as_posix()
        else:
            stack.pop()


def _entries(folder: Path | str) -> Iterator[tuple[str, bool]]:
    """A folder's entries (path, is a folder) in walk order; links to folders, `.git`
    and the cache left out."""
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError:
        return iter(())  # an unreadable folder has no candidates, as with os.walk
    keyed = []
    for e in entries:
        is_dir = e.is_dir()
        if is_dir and (e.is_symlink() or e.name in (".git", CACHE_DIR)):
            continue  # a link to a folder is not followed
        keyed.append((order(e.name + "/" if is_dir else e.name), e.path, is_dir))
    return iter([(path, is_dir) for _, path, is_dir in sorted(keyed)])


def changed_files(root: Path, rev: str) -> set[str]:
    """Files changed since `rev`: from the merge base of `rev` and HEAD to the working
    tree (committed, staged and unstaged changes; deletions left out), plus untracked
    files that are not ignored."""
    if rev.startswith("-"):
        raise UsageError(f"--changed-since: not a revision: {rev!r}")
    if _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root) is None:
        raise UsageError(f"--changed-since: unknown git revision {rev!r}")
    base = (_git(["merge-base", rev, "HEAD"], root) or rev).strip() or rev
    diff = _git(
        ["diff", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT", base, "--"], root
    )
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], root)
    if diff is None or untracked is None:
        raise InputError(f"{root}: git diff failed")
    return set(_z(diff)) | set(_z(untracked))


def _is_lfs_pointer(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(64).startswith(b"version https://git-lfs.github.com/spec/")
    except OSError:
        return False


def classify(root: Path, rel: str) -> Asset | Skipped:
    """An asset to verify, or why the file is skipped."""
    p = root / rel
    if os.path.islink(p):
        return Skipped(rel, SkipReason.SYMLINK)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return Skipped(rel, SkipReason.DELETED)
    except OSError:
        st = None  # unreadable: verification reports it
    if st is not None and not stat.S_ISREG(st.st_mode):
        return Skipped(rel, SkipReason.NOT_REGULAR)  # never opened: a FIFO would block
    if st is not None and st.st_size == 0:
        return Skipped(rel, SkipReason.EMPTY)
    size = st.st_size if st is not None else 0
    try:
        media = detect(p)
    except UnsupportedFormatError:
        why = SkipReason.LFS_POINTER if _is_lfs_pointer(p) else SkipReason.UNSUPPORTED
        return Skipped(rel, why)
    except InputError:
        # Media we cannot check (unreadable, too large to verify safely) must not pass
        # silently: verification reports it as `unreadable`.
        return Asset(path=rel, abspath=p, sidecar=find_sidecar(p), size=size)
    if media.kind not in _MEDIA_KINDS:
        return Skipped(rel, SkipReason.NOT_MEDIA, media.mime)
    return Asset(path=rel, abspath=p, sidecar=find_sidecar(p), size=size)


def sequence_of(root: Path, rel: str) -> Asset | None:
    """The signed image sequence a file is a frame of: its folder, when `FOLDER.c2pa`
    (a regular file, not a link) sits beside that folder. Its frames are checked
    together, against that manifest, as one asset."""
    folder = posixpath.dirname(rel)
    if not folder:
        return None
    store = root / f"{folder}.c2pa"
    if not store.is_file() or store.is_symlink():
        return None
    try:
        with os.scandir(root / folder) as entries:
            size = sum(e.stat().st_size for e in entries if e.is_file(follow_symlinks=False))
    except OSError:
        size = 0  # verification reports what cannot be read
    return Asset(path=folder, abspath=root / folder, sidecar=store, size=size)


def filter_globs(
    rels: Iterable[str], include: Sequence[str], exclude: Sequence[str]
) -> Iterator[str]:
    """The paths the globs select (never the cache folder), streamed."""
    for r in rels:
        if r == CACHE_DIR or r.startswith(CACHE_DIR + "/"):
            continue
        if include and not globs.match_any(r, include):
            continue
        if exclude and globs.match_any(r, exclude):
            continue
        yield r
