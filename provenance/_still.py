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

Entropy decoding costs the same at every scale and is most of a photo's signing time
(benchmarks/sign_verify_speed.py), so `prefetch` starts it in a worker thread as soon as
the input is known: Pillow lets go of the GIL while it decodes, and the caller loads the
C2PA library, reads the key and plans the signing on the other core meanwhile.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from PIL import Image, ImageOps

from ._limits import decodable, pillow_bomb_warnings_ignored

__all__ = [
    "ANALYSIS_EDGE",
    "DECODE_EDGE",
    "THUMBNAIL_EDGE",
    "Still",
    "decode",
    "discard",
    "load",
    "prefetch",
    "prefetched",
    "thumbnail",
    "worker",
]

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

    @cached_property
    def gray(self) -> Image.Image:
        """The picture in grey levels (Pillow's "L"), converted once for every
        fingerprint that reduces it."""
        return self.image.convert("L")


def decode(path: Path | str) -> Still:
    """Decode `path` at reduced scale (see the module). Raises what Pillow raises, and
    `ValueError` for a picture too large to decode safely even so."""
    return _finish(*_open(path))


def _open(path: Path | str) -> tuple[Image.Image, int, int]:
    """The picture opened, its headers read and its draft scale chosen, with its full
    size: cheap, and where Pillow's decompression-bomb warning fires (silenced here:
    `decodable` decides), so it runs in the caller's thread, whose warning filters it
    changes for a moment."""
    with pillow_bomb_warnings_ignored():
        im = Image.open(path)
        try:
            width, height = im.size
            im.draft("RGB", (DECODE_EDGE, DECODE_EDGE))  # JPEG only: both sides stay >= it
            if not decodable(im.size):
                raise ValueError(f"{im.size[0]}x{im.size[1]} pixels is too large to decode")
        except BaseException:
            im.close()
            raise
    return im, width, height


def _finish(im: Image.Image, width: int, height: int) -> Still:
    """Decode an opened picture and turn it as viewers show it: the costly part."""
    with im:
        im.load()
        if im.getexif().get(_ORIENTATION) in (5, 6, 7, 8):
            width, height = height, width
        ImageOps.exif_transpose(im, in_place=True)
    return Still(im, width, height)


_Key = tuple[int, int, int, int]  # device, inode, size, modification time (ns)
_pending: dict[str, tuple[_Key, Future[Still]]] = {}
_lock = threading.Lock()
_workers: tuple[int, ThreadPoolExecutor] | None = None  # the process that made them


def worker() -> ThreadPoolExecutor:
    """The threads that decode and encode pictures beside the caller (Pillow lets go of
    the GIL in both)."""
    global _workers
    with _lock:
        if _workers is None or _workers[0] != os.getpid():
            _workers = (os.getpid(), ThreadPoolExecutor(2, thread_name_prefix="still"))
        return _workers[1]


def _forked() -> None:
    """A forked child has none of its parent's threads: nothing it started is pending."""
    global _lock, _workers
    _lock, _workers = threading.Lock(), None
    _pending.clear()


os.register_at_fork(after_in_child=_forked)


def _key(path: Path) -> tuple[str, _Key]:
    st = os.stat(path)
    return str(path.resolve()), (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def prefetch(path: Path | str) -> None:
    """Start decoding `path` in a worker thread if it is a still image, for the next
    `load` of the same, unchanged file to take (`discard` drops it unused). Anything
    that cannot be opened so is left for `load` to find out."""
    from ._media import detect  # refuses FIFOs and devices before opening them

    p = Path(path)
    try:
        if detect(p).kind != "image":
            return
        name, key = _key(p)
        with _lock:
            if name in _pending and _pending[name][0] == key:
                return
        opened = _open(p)
    except Exception:  # noqa: BLE001 - `load` decodes it again and says what is wrong
        return
    future = worker().submit(_finish, *opened)
    with _lock:
        _pending[name] = (key, future)


@contextlib.contextmanager
def prefetched(path: Path | str) -> Iterator[None]:
    """`prefetch` for the time of the block: what no `load` took in it is dropped at its
    end, however it ends."""
    prefetch(path)
    try:
        yield
    finally:
        discard(path)


def discard(path: Path | str) -> None:
    """Forget a prefetched decode of `path` that no `load` took."""
    try:
        name = str(Path(path).resolve())
    except OSError:
        return
    with _lock:
        _pending.pop(name, None)


def load(path: Path | str) -> Still | None:
    """`decode` (or take its prefetched result when the file has not changed since), or
    None for a picture that cannot or must not be decoded (unreadable, or a decompression
    bomb): the thumbnail and fingerprint are skipped then, and the C2PA library judges the
    file itself."""
    try:
        name, key = _key(Path(path))
        with _lock:
            pending = _pending.pop(name, None)
        if pending is not None and pending[0] == key:
            return pending[1].result()
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
        # A box reduction to within 1x of the size, then bicubic: half the work of a
        # reduction to within 2x, and no visible difference at a preview's size.
        img = img.resize(size, Image.Resampling.BICUBIC, reducing_gap=1.0)
    buf = io.BytesIO()
    try:
        img.convert("RGB").save(buf, "JPEG", quality=80)
    except (OSError, ValueError):
        return None
    return buf.getvalue()
