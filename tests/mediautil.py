"""Helpers for tests: hashing, byte flips, the per-format media makers."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from support.synth import make_audio

from provenance import _demo_media as samples

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
# The public C2PA test corpus (with MANIFEST.json of expected outcomes), kept outside the
# repository in ../shared/fixtures/c2pa-public; PROVENANCE_CORPUS points elsewhere.
CORPUS = Path(
    os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "fixtures" / "c2pa-public"
)
REQUIRE_CORPUS_ENV = "PROVENANCE_REQUIRE_CORPUS"


def schema_validator(name: str) -> Draft202012Validator:
    """A validator for one of our schemas, which may refer to the others' definitions."""
    loaded = [json.loads(p.read_text()) for p in sorted(SCHEMAS.glob("*.schema.json"))]
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in loaded
    )
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft202012Validator(schema, registry=registry)


def corpus_available() -> bool:
    """Whether the public corpus is present."""
    return (CORPUS / "MANIFEST.json").is_file()


def corpus_missing() -> NoReturn:
    """Skip a test that needs the corpus, with the reason; fail instead when CI requires
    it (`PROVENANCE_REQUIRE_CORPUS=1`, set by .ci/run)."""
    reason = f"public C2PA corpus not found at {CORPUS} (set PROVENANCE_CORPUS to its folder)"
    if os.environ.get(REQUIRE_CORPUS_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_CORPUS_ENV}=1", pytrace=False)
    pytest.skip(reason)

# One file per format the toolkit must sign; the maker picks the container by suffix.
MEDIA = {
    "jpg": samples.make_photo,
    "png": samples.make_photo,
    "webp": samples.make_photo,
    "tif": samples.make_photo,
    "gif": samples.make_photo,
    "mp4": samples.make_video,
    "mov": samples.make_video,
    "wav": make_audio,
    "mp3": make_audio,
    "m4a": make_audio,
    "flac": make_audio,
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip_media_byte(signed: Path, original: Path) -> int:
    """Change one byte of the media data in `signed`: a byte of the original's middle,
    located in the signed copy, so the manifest (wherever the format keeps it) is untouched.
    Returns the offset changed."""
    orig = original.read_bytes()
    data = bytearray(signed.read_bytes())
    for start in range(len(orig) // 2, len(orig) - 64, 61):
        chunk = orig[start : start + 64]
        # A distinctive chunk, found exactly once: not padding that could sit anywhere.
        if len(set(chunk)) > 16 and data.count(chunk) == 1:
            break
    else:
        raise AssertionError("no distinctive media data found in the signed file")
    pos = data.find(chunk)
    data[pos + 32] ^= 0x55
    signed.write_bytes(bytes(data))
    return pos + 32


C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")  # BMFF uuid box of a C2PA store


@dataclass(frozen=True)
class Span:
    start: int
    end: int  # exclusive
    kind: str

    @property
    def size(self) -> int:
        return self.end - self.start


def bmff_boxes(data: bytes, start: int = 0, end: int | None = None) -> list[Span]:
    """Top-level boxes in [start, end); `kind` is the 4CC ('uuid:c2pa' for a C2PA store)."""
    end = len(data) if end is None else end
    out: list[Span] = []
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[i + 8 : i + 16])
        elif size == 0:
            size = end - i
        if size < 8:
            break
        name = kind.decode("latin1")
        if kind == b"uuid" and data[i + 8 : i + 24] == C2PA_UUID:
            name = "uuid:c2pa"
        out.append(Span(i, min(i + size, end), name))
        i += size
    return out


def transplant_manifest(signed: Path, edited: Path) -> None:
    """Copy the C2PA manifest box of `signed` into `edited` (an MP4 re-encoded from it),
    as an editing tool that keeps the credentials would: the signature still holds, the
    hard binding does not."""
    src = signed.read_bytes()
    box = next(src[b.start : b.end] for b in bmff_boxes(src) if b.kind == "uuid:c2pa")
    # Appended, so no chunk offset of the re-encoded file moves.
    with edited.open("ab") as f:
        f.write(box)
