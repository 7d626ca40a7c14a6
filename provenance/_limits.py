"""Resource limits for work done on untrusted files.

Hostile media is cheap to make: a 420 KB PNG can hold 12000x12000 pixels of zeros (1.5 GB
to fingerprint), a 200 KB MP4 can hold 8192x8192 frames, a signed frames assertion can
declare millions of frames, and a sparse file can claim gigabytes while using no disk.

- Pixels are decoded only for the thumbnail and fingerprints (signing) and to localize
  changes in a tampered file (verifying); all are skipped, not errors, past
  `MAX_DECODE_PIXELS` (`decodable`, `pixels_within_limit`).
- Frame fingerprints declaring over `MAX_FINGERPRINT_FRAMES` are not decoded
  (`fingerprints_within_limit`).
- Files the C2PA library reads whole into memory are refused past `MAX_IN_MEMORY_BYTES`
  of expected memory (`check_memory_cost`, called by `_media.detect`).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from ._vocab import FRAMES_LABEL
from .errors import InputError

__all__ = [
    "MAX_DECODE_PIXELS",
    "MAX_IN_MEMORY_BYTES",
    "IN_MEMORY_FACTOR",
    "check_memory_cost",
    "MAX_FINGERPRINT_FRAMES",
    "decodable",
    "fingerprints_within_limit",
    "pillow_bomb_warnings_ignored",
    "pixels_within_limit",
]

_log = logging.getLogger("provenance")

# 50 megapixels: an 8K frame is 33 MP. Decoding at most this much costs a few hundred MB.
# Below Pillow's own warning threshold (89 MP), so its DecompressionBombWarning never fires
# for an image we go on to decode.
MAX_DECODE_PIXELS = 50_000_000


def decodable(size: tuple[int, int], *, limit: int = MAX_DECODE_PIXELS) -> bool:
    """Whether an image of `size` (after any draft-mode reduction) may be decoded."""
    width, height = size
    return 0 < width and 0 < height and width * height <= limit


def pixels_within_limit(path: Path, kind: str) -> bool:
    """Whether the pixels of an image, or the frames of a video, may be decoded.

    Reads headers only. True for other kinds, and for files the header readers cannot
    parse: the decoders report their own failure. A video's size is the first stream's
    declared size (a stream that grows mid-way is for the frame decoder to catch)."""
    if kind not in ("image", "video"):
        return True
    try:
        size = _image_size(path) if kind == "image" else _video_size(path)
    except Exception:  # noqa: BLE001 - not ours to judge: the decoder will say
        return True
    if size is not None and decodable(size):
        return True
    _log.warning(
        "%s: %s is too large to analyse safely (limit %d megapixels): no frame/region "
        "fingerprints or change localization",
        path,
        f"{size[0]}x{size[1]} pixels" if size else "an image Pillow refuses as a bomb",
        MAX_DECODE_PIXELS // 1_000_000,
    )
    return False


# A signed frames assertion declares its frame count, and decoding its table costs about
# 600 bytes of memory a frame before its digest can be checked: a 640 KB MP4 declaring 3
# million frames of zeros took 2 GB. A million frames is over 9 hours at 30 fps.
MAX_FINGERPRINT_FRAMES = 1_000_000


def fingerprints_within_limit(manifest: dict[str, Any]) -> bool:
    """Whether the manifest's frame fingerprints (if any) are small enough to decode."""
    for a in manifest.get("assertions") or []:
        data = a.get("data") if isinstance(a, dict) else None
        if a.get("label") == FRAMES_LABEL and isinstance(data, dict):
            n = data.get("frame_count")
            if isinstance(n, int) and n > MAX_FINGERPRINT_FRAMES:
                _log.warning(
                    "frame fingerprints declare %d frames, over the limit of %d: no change "
                    "localization",
                    n,
                    MAX_FINGERPRINT_FRAMES,
                )
                return False
    return True


def _image_size(path: Path) -> tuple[int, int] | None:
    """The declared size; None when Pillow refuses even to open it (over 2x its limit)."""
    try:
        with pillow_bomb_warnings_ignored(), Image.open(path) as im:
            return im.size
    except Image.DecompressionBombError:
        return None


def _video_size(path: Path) -> tuple[int, int]:
    import av  # only when a video is about to be decoded anyway

    with av.open(str(path)) as container:
        if not container.streams.video:
            return (1, 1)  # nothing to decode: the fingerprint code says so itself
        ctx = container.streams.video[0].codec_context
        return (int(ctx.width), int(ctx.height))


@contextlib.contextmanager
def pillow_bomb_warnings_ignored() -> Iterator[None]:
    """Silence Pillow's DecompressionBombWarning, for callers that check `decodable()`
    themselves before loading pixels (the warning would otherwise reach the terminal)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


# How many bytes of memory c2pa-rs 0.91 (c2pa-python 0.38) holds per byte of file while
# reading or signing these formats (measured with sparse files of 1-2 GB: peak RSS grows
# with the file). Other formats are streamed: peak RSS stays near 560 MB however large.
IN_MEMORY_FACTOR = {
    "image/jpeg": 2,
    "image/tiff": 1,
    "audio/mpeg": 1,
    "audio/flac": 1,
}
MAX_IN_MEMORY_BYTES = 1 << 30  # 1 GiB: JPEG up to 512 MiB, TIFF/MP3/FLAC up to 1 GiB


def check_memory_cost(path: Path, mime: str, size: int) -> None:
    """Refuse a file the C2PA library would have to hold in memory past the limit."""
    factor = IN_MEMORY_FACTOR.get(mime, 0)
    if factor * size > MAX_IN_MEMORY_BYTES:
        limit_mib = MAX_IN_MEMORY_BYTES // factor >> 20
        raise InputError(
            f"{path}: {size >> 20} MiB is too large to check safely: the C2PA library reads "
            f"{mime} files whole into memory (limit {limit_mib} MiB)"
        )
