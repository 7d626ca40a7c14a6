"""provenance.check._cache: reports stored by content key come back typed; anything
unusable is a miss, never a wrong report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from provenance.check._cache import CACHE_DIR, ReportCache, file_digest
from provenance.models import SourceKind, StatusEntry, Verdict, VerificationReport

REPORT = VerificationReport(
    path="photos/a.jpg",
    verdict=Verdict.TAMPERED,
    message="the asset was changed after it was signed",
    format="image/jpeg",
    manifest_source=SourceKind.SIDECAR,
    sidecar="photos/a.jpg.c2pa",
    failures=(StatusEntry("assertion.dataHash.mismatch"),),
    regions=((1, 2, 3, 4),),
)


@pytest.fixture
def asset(tmp_path: Path) -> Path:
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8\xff" + b"pixels" * 100)
    return tmp_path / "a.jpg"


def _cache(root: Path, **kw: str) -> ReportCache:
    return ReportCache(root, trust_hash=kw.get("trust", ""), options=kw.get("options", ""))


def test_a_stored_report_comes_back_typed(tmp_path: Path, asset: Path) -> None:
    cache = _cache(tmp_path)
    key = cache.key(asset, None)
    assert cache.get(key) is None and cache.misses == 1
    cache.put(key, REPORT)
    got = cache.get(key)
    assert isinstance(got, VerificationReport)
    # The path is left out: identical files elsewhere share the entry.
    assert got.path == "" and got == VerificationReport(**{**REPORT.__dict__, "path": ""})
    assert cache.hits == 1
    top = tmp_path / CACHE_DIR
    assert (top / ".gitignore").read_text().endswith("*\n")
    tag = (top / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_the_key_covers_what_verification_depends_on(tmp_path: Path, asset: Path) -> None:
    base = _cache(tmp_path).key(asset, None)
    assert _cache(tmp_path).key(asset, None) == base  # deterministic
    assert _cache(tmp_path, trust="abc").key(asset, None) != base
    assert _cache(tmp_path, options="localize=False").key(asset, None) != base
    full = tmp_path / "a.jpg.c2pa"
    full.write_bytes(b"store")
    with_sidecar = _cache(tmp_path).key(asset, full)
    assert with_sidecar != base
    stem = tmp_path / "a.c2pa"
    stem.write_bytes(b"store")
    assert _cache(tmp_path).key(asset, stem) != with_sidecar  # which name it has counts
    full.write_bytes(b"other store")
    assert _cache(tmp_path).key(asset, full) != with_sidecar
    asset.write_bytes(asset.read_bytes() + b"!")
    assert _cache(tmp_path).key(asset, None) != base


def test_file_digest_is_blake3_of_the_bytes(tmp_path: Path) -> None:
    from blake3 import blake3

    small = tmp_path / "small"
    small.write_bytes(b"abc" * 1000)
    assert file_digest(small) == blake3(b"abc" * 1000).hexdigest()
    big = tmp_path / "big"  # past the size where hashing goes multi-threaded over mmap
    big.write_bytes(os.urandom(17 << 20))
    assert file_digest(big) == blake3(big.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"key": "someone-else", "report": {}}',
        b'{"key": "KEY", "report": {"verdict": "valid"}}',
        b'{"key": "KEY", "report": {"path": "", "verdict": "fine", "message": "", "failures": []}}',
    ],
)
def test_an_unusable_entry_is_a_miss(tmp_path: Path, asset: Path, damage: bytes) -> None:
    cache = _cache(tmp_path)
    key = cache.key(asset, None)
    cache.put(key, REPORT)
    (entry,) = (tmp_path / CACHE_DIR).rglob(f"{key}.json")
    entry.write_bytes(damage.replace(b"KEY", key.encode()))
    assert cache.get(key) is None and cache.misses == 1
    cache.put(key, REPORT)  # recomputed and overwritten
    assert cache.get(key) is not None
    assert json.loads(entry.read_bytes())["key"] == key


def test_disabled_or_read_only_caches_store_nothing(tmp_path: Path, asset: Path) -> None:
    off = ReportCache(tmp_path, trust_hash="", options="", enabled=False)
    off.put(off.key(asset, None), REPORT)
    assert off.get(off.key(asset, None)) is None and not (tmp_path / CACHE_DIR).exists()
    (tmp_path / CACHE_DIR).write_text("a file where the folder should be")
    blocked = _cache(tmp_path)
    blocked.put(blocked.key(asset, None), REPORT)  # OSError: the check goes on uncached
    assert blocked.enabled is False and blocked.get(blocked.key(asset, None)) is None
