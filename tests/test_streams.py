"""provenance._streams: descriptor streams handed to the C2PA library. The private parts
of c2pa-python they rely on are checked when the module loads; any change falls back to
ordinary streams, and files signed either way verify."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import c2pa
import pytest

from provenance import Identity, Verdict, _streams, sign, verify


def test_the_fast_path_is_active_here() -> None:
    assert _streams.contract_mismatch() is None
    assert _streams.available()


def _signed(src: Path, out: Path, identity: Identity) -> Verdict:
    sign(src, out, identity=identity, fingerprints=False, source_type="digitalCreation")
    return verify(out, localize=False).verdict


@pytest.mark.parametrize("ext", ["mp4", "jpg"])
def test_round_trip_through_the_fast_path(
    ext: str,
    media: Callable[[str], Path],
    identity: Identity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = _streams.sign_fds

    def counted(*args: Any) -> bytes:
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(_streams, "sign_fds", counted)
    src = media(ext)
    before = src.read_bytes()
    assert _signed(src, tmp_path / f"out.{ext}", identity) is Verdict.VALID
    assert len(calls) == 1 and src.read_bytes() == before


@pytest.fixture
def changed_keyword() -> Iterator[None]:
    """c2pa-python as it would be if `_sign_internal` renamed a parameter: the streams
    module, loaded again, must notice and stand down."""
    original = c2pa.Builder._sign_internal

    def renamed(self: Any, format: str, source: Any, dest: Any, signer: Any = None) -> Any:
        return original(self, format, source, dest, signer=signer)

    c2pa.Builder._sign_internal = renamed
    try:
        importlib.reload(_streams)
        yield
    finally:
        c2pa.Builder._sign_internal = original
        importlib.reload(_streams)
    assert _streams.available()


def test_a_changed_signature_is_caught_at_load(changed_keyword: None) -> None:
    mismatch = _streams.contract_mismatch()
    assert mismatch is not None and "source_stream" in mismatch
    assert not _streams.available()
    with pytest.raises(RuntimeError, match="unavailable"):
        _streams.sign_fds(None, None, "image/jpeg", 0, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("ext", ["mp4", "jpg", "wav"])
def test_the_fallback_signs_files_that_verify(
    ext: str,
    changed_keyword: None,
    media: Callable[[str], Path],
    identity: Identity,
    tmp_path: Path,
) -> None:
    assert not _streams.available()
    assert _signed(media(ext), tmp_path / f"out.{ext}", identity) is Verdict.VALID
