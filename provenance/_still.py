"""One decode of a still image at reduced scale, shared by the thumbnail signed into its
manifest and its region fingerprint.

A JPEG is decoded in draft mode: the decoder's scaled inverse DCT yields 1/2, 1/4 or 1/8
of the picture directly, which saves most of the work after entropy decoding. The scale
is the smallest that keeps both sides at least `DECODE_EDGE` pixels, six times the side of
the fingerprint's 256x256 analysis image (a 24-megapixel photo decodes at 1/2). A reduced
decode is not an exact area average of the full picture (each pixel stands for a block,
so a hard edge moves by up to a block), and a copy checked later may decode another way
(in full, as a PNG, or at another scale): with fewer decoded pixels per analysis pixel,
unedited copies got regions (docs/localization.md). Other formats decode in full.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from ._limits import decodable, pillow_bomb_warnings_ignored

__all__ = ["ANALYSIS_EDGE", "DECODE_EDGE", "THUMBNAIL_EDGE", "Still", "decode", "load", "thumbnail"]

THUMBNAIL_EDGE = 512
ANALYSIS_EDGE = 256  # provenance.frames.features.FINE_SIZE, without loading NumPy
DECODE_EDGE = 6 * ANALYSIS_EDGE
_ORIENTATION = 0x0112  # EXIF; 5 to 8 turn the picture a quarter


@dataclass(frozen=True)
class Still:
    """A still image as decoded for its thumbnail and fingerprint."""

    image: Image.Image  # loaded, oriented as viewers show it, at reduced scale
    width: int  # the full picture's size, oriented
    height: int


def decode(path: Path | str) -> Still:
    """Decode `path` at reduced scale (see the module). Raises what Pillow raises, and
    `ValueError` for a picture too large to decode safely even so."""
    with pillow_bomb_warnings_ignored(), Image.open(path) as im:
        width, height = im.size
        im.draft("RGB", (DECODE_EDGE, DECODE_EDGE))  # JPEG only: both sides stay >= it
        if not decodable(im.size):
            raise ValueError(f"{im.size[0]}x{im.size[1]} pixels is too large to decode")
        im.load()
        if im.getexif().get(_ORIENTATION) in (5, 6, 7, 8):
            width, height = height, width
        ImageOps.exif_transpose(im, in_place=True)
    return Still(im, width, height)


def load(path: Path | str) -> Still | None:
    """`decode`, or None for a picture that cannot or must not be decoded (unreadable,
    or a decompression bomb): the thumbnail and fingerprint are skipped then, and the
    C2PA library judges the file itself."""
    try:
        return decode(path)
    except Exception:  # noqa: BLE001 - decoders raise anything on hostile input
        return None


def thumbnail(still: Still) -> bytes | None:
    """A JPEG preview of at most THUMBNAIL_EDGE pixels a side (None if the picture's mode
    cannot be shown as one: a preview is a nicety)."""
    img = still.image
    scale = THUMBNAIL_EDGE / max(img.size)
    if scale < 1:  # as Image.thumbnail resizes, without copying the picture first
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    buf = io.BytesIO()
    try:
        img.convert("RGB").save(buf, "JPEG", quality=80)
    except (OSError, ValueError):
        return None
    return buf.getvalue()
