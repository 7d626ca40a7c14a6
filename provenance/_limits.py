"""Resource limits for work done on untrusted files.

Hostile media is cheap to make: a 500 KB PNG can declare 13000x13000 pixels of zeros and
cost ~700 MB to decode. Nothing in verification decodes pixels; signing decodes only for
the optional thumbnail, which is skipped (not an error) past these limits.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

from PIL import Image

__all__ = ["MAX_DECODE_PIXELS", "decodable", "pillow_bomb_warnings_ignored"]

# 50 megapixels: an 8K frame is 33 MP. Decoding at most this much costs a few hundred MB.
# Below Pillow's own warning threshold (89 MP), so its DecompressionBombWarning never fires
# for an image we go on to decode.
MAX_DECODE_PIXELS = 50_000_000


def decodable(size: tuple[int, int], *, limit: int = MAX_DECODE_PIXELS) -> bool:
    """Whether an image of `size` (after any draft-mode reduction) may be decoded."""
    width, height = size
    return 0 < width and 0 < height and width * height <= limit


@contextlib.contextmanager
def pillow_bomb_warnings_ignored() -> Iterator[None]:
    """Silence Pillow's DecompressionBombWarning, for callers that check `decodable()`
    themselves before loading pixels (the warning would otherwise reach the terminal)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield
