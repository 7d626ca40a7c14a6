"""Helpers for tests: hashing, byte flips, the per-format media makers."""

from __future__ import annotations

import hashlib
from pathlib import Path

from provenance import samples

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"

# One file per format the toolkit must sign; the maker picks the container by suffix.
MEDIA = {
    "jpg": samples.make_photo,
    "png": samples.make_photo,
    "webp": samples.make_photo,
    "tif": samples.make_photo,
    "gif": samples.make_photo,
    "mp4": samples.make_video,
    "mov": samples.make_video,
    "wav": samples.make_audio,
    "mp3": samples.make_audio,
    "m4a": samples.make_audio,
    "flac": samples.make_audio,
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
