"""Resource limits for work done on untrusted files.

Hostile media is cheap to make: a 420 KB PNG can hold 12000x12000 pixels of zeros and
cost ~630 MB to decode, and a sparse file can claim gigabytes while using no disk at all.
Pixels are decoded only for the optional thumbnail and fingerprints (when signing) and
for localizing changes in a tampered file (when verifying); all are skipped, not errors,
past `MAX_DECODE_PIXELS`. Files of the formats the C2PA
library reads whole into memory are refused past `MAX_IN_MEMORY_BYTES` of expected memory.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from .errors import InputError

__all__ = [
    "MAX_DECODE_PIXELS",
    "MAX_IN_MEMORY_BYTES",
    "IN_MEMORY_FACTOR",
    "check_memory_cost",
    "decodable",
    "pillow_bomb_warnings_ignored",
    "pixels_within_limit",
]

log = logging.getLogger("provenance")

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
    if decodable(size):
        return True
    log.warning(
        "%s: %dx%d pixels is too large to analyse safely (limit %d megapixels): no "
        "thumbnail, fingerprints or change localization",
        path,
        size[0],
        size[1],
        MAX_DECODE_PIXELS // 1_000_000,
    )
    return False


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with pillow_bomb_warnings_ignored(), Image.open(path) as im:
            return im.size
    except Image.DecompressionBombError:
        return (0, 0)


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
