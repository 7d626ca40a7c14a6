"""A content-addressed cache of verification reports.

Entries live in `.provenance-cache/v2/` under the checked root, one JSON file each,
named by a BLAKE3 key over everything verification depends on: the asset's bytes, a
sidecar manifest's bytes (and which sidecar name it has), the toolkit and C2PA SDK
versions, the trust anchors and the verify options. The policy is not part of the
key: policies are evaluated on the cached report, so changing a rule costs nothing,
and changing trust anchors changes the key.

Writes go to a temporary file renamed into place, so concurrent runs never see a
partial entry; an entry that does not parse or does not carry its own key is ignored
and recomputed.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from blake3 import blake3

from .. import _c2pa
from .._version import __version__
from ..models import VerificationReport

__all__ = ["ReportCache", "CACHE_DIR", "file_digest"]

CACHE_DIR = ".provenance-cache"
# v2: a structural hard-binding failure is no longer `tampered`, and reports carry the
# authors, the certificate's clock and fragments; a v1 entry is never reused.
_LAYOUT = "v2"
_CHUNK = 1 << 20


_BIG = 16 << 20  # hash larger files with every core, memory-mapped


def file_digest(path: Path) -> str:
    """BLAKE3 of a file's bytes, hex."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size >= _BIG:
            h = blake3(max_threads=blake3.AUTO)
            h.update_mmap(path)
        else:
            h = blake3()
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    digest: str = h.hexdigest()
    return digest


class ReportCache:
    """Reports by content key. `enabled=False` makes every lookup miss and store nothing."""

    def __init__(self, root: Path, *, trust_hash: str, options: str, enabled: bool = True):
        self.dir = root / CACHE_DIR / _LAYOUT
        self.enabled = enabled
        self._salt = "\0".join(
            ["provenance-check", _LAYOUT, __version__, _c2pa.SDK_VERSION, trust_hash, options]
        ).encode()
        self.hits = 0
        self.misses = 0
        self._ready = False

    def key(self, asset: Path, sidecar: Path | None) -> str:
        """The entry key of an asset (and its sidecar store), given what else verification
        depends on (versions, trust, options). A folder of frames is keyed by the name and
        bytes of every file in it."""
        h = blake3(self._salt)
        if asset.is_dir():
            for entry in sorted(os.scandir(asset), key=lambda e: e.name):
                if entry.is_file(follow_symlinks=False):
                    member = f"\0member\0{entry.name}\0{file_digest(Path(entry.path))}"
                    h.update(member.encode("utf-8", "surrogateescape"))
        else:
            h.update(b"\0asset\0" + file_digest(asset).encode())
        if sidecar is not None:
            kind = "full" if sidecar.name == asset.name + ".c2pa" else "stem"
            h.update(f"\0sidecar\0{kind}\0".encode() + file_digest(sidecar).encode())
        digest: str = h.hexdigest()
        return digest

    def _entry(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> VerificationReport | None:
        """The stored report, or None (a miss) when there is none or it is unusable."""
        if not self.enabled:
            return None
        try:
            doc = json.loads(self._entry(key).read_bytes())
            if not isinstance(doc, dict) or doc.get("key") != key:
                raise ValueError("not this key's entry")
            report = VerificationReport.from_dict(doc["report"])
        except (OSError, KeyError, TypeError, ValueError, AttributeError):
            self.misses += 1
            return None  # missing, corrupted or foreign: recompute and overwrite
        self.hits += 1
        return report

    def put(self, key: str, report: VerificationReport) -> None:
        """Store a report (its path left out: identical files elsewhere share it)."""
        if not self.enabled:
            return
        entry = self._entry(key)
        try:
            self._prepare()
            entry.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    doc = {"key": key, "report": replace(report, path="").to_dict()}
                    json.dump(doc, f, separators=(",", ":"))
                os.replace(tmp, entry)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            # A read-only checkout still gets checked, just without caching.
            self.enabled = False

    def _prepare(self) -> None:
        if self._ready:
            return
        top = self.dir.parent
        top.mkdir(parents=True, exist_ok=True)
        # Keep the cache out of git (and of our own walk of untracked files) and out
        # of backups that honour cache-directory tags.
        ignore = top / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by provenance check\n*\n")
        tag = top / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by provenance check.\n"
            )
        self._ready = True
