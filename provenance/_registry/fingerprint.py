"""The soft-binding fingerprint: one compact, re-encode-robust value per second of video
(and one per still image), computed from the same 128x128 grayscale analysis image as the
frame fingerprints.

For a block (one second of frames, or a still) we average the analysis images, then:

1. find the picture inside letterbox or pillarbox bars: edge rows (columns) that are flat
   on *both* opposite sides are trimmed by the shorter run, so a caption band at the bottom
   is not mistaken for a bar while real bars, which are symmetric, are removed;
2. take the core of that picture, its central half in each direction: captions, tickers
   and corner logos live in the outer ring, so the core is what an overlay of up to 10% of
   the frame leaves alone;
3. reduce it to 32x32 and keep the signs of its 64 lowest-frequency DCT coefficients
   (zig-zag order, DC excluded): a 64-bit hash that re-encoding, rescaling, frame-rate
   changes and bars barely touch (measured: benchmarks/registry_accuracy.py);
4. the bitwise majority of the per-frame DCT hashes of the signed frame table over the
   block's frames ties the value to the `org.provenance.frames` table signed beside it:
   verification recomputes it from the table and they must agree.

A still image also gets regional blocks (`REGIONS`): the same hash of each of sixteen
overlapping windows of its content box, 0.4 of its width and height, on a 4x4 grid. The core
alone cannot survive a local edit inside it (an object pasted over 1% of the picture, in
its centre, moves the core hash by 21-31 bits: chance), while such an edit leaves most
windows alone. The windows are hashed from the region table's fine grid (`FINE`: the
64x64 means signed in `org.provenance.regions`), so that verification recomputes them from
the table signed beside them.

The lowest 24 bits of a hash are the block's index key. A crop moves the core a little; a
query therefore also tries crop hypotheses (`HYPOTHESES`, `COARSE`).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from ..errors import SoftBindingError

__all__ = [
    "BITS",
    "BLOCK_MS",
    "Block",
    "HYPOTHESES",
    "IDENTITY",
    "KEY_BITS",
    "SIZE",
    "BlockAccumulator",
    "analysis",
    "BlockValue",
    "COARSE",
    "FINE",
    "REGIONS",
    "fine_grid",
    "Regions",
    "Hypothesis",
    "block_index",
    "content_box",
    "core_rect",
    "describe",
    "majority",
    "signature",
]

Gray = npt.NDArray[np.uint8]
Mean = npt.NDArray[np.float32]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in analysis pixels (exclusive ends)
Rect = tuple[float, float, float, float]

SIZE = 128
"""Side of the square grayscale analysis image (what `frames.features` uses too)."""
BLOCK_MS = 1000
"""Each video block covers one second: any excerpt of 3 s holds two whole blocks."""
BITS = 64
KEY_BITS = 24
"""Index key: the 24 lowest-frequency bits of the core hash (16.7 million buckets)."""
CORE_MARGIN = 0.25
"""The core is the content box without this fraction on each side (its central half)."""
FINE = 64
"""Side of the grid regional hashes are computed on: the signed region table's fine grid
(`frames.image.STILL_FINE`), 2x2 means of the analysis image."""
REGIONS: tuple[Rect, ...] = tuple(
    (x, y, x + 0.4, y + 0.4) for y in (0.0, 0.2, 0.4, 0.6) for x in (0.0, 0.2, 0.4, 0.6)
)
"""A still's regional windows, as fractions (x0, y0, x1, y1) of its content box: 0.4 of
its width and height on a 4x4 grid (a step of 0.2), row by row. An object of up to 10% of
the side (1% of the area) touches at most nine of the sixteen, four when it sits in the
centre, where faces are (a 3x3 grid of half-size windows has all nine meet there)."""

_SIG = 32  # the hashed reduction is 32x32
_FREQ = 9  # coefficients come from the low 9x9 corner of its DCT
_BAR_STD = 3.0  # a bar row is flat: standard deviation under 3 grey levels
_BAR_MAX = 0.3  # bars take at most 30% of the frame on each side
_PAD = 8  # cells of edge repeated around the fine grid for the regional windows
_FLAT_STD = 2.0  # a core this flat (a fade, a black frame) carries no usable signature


def _dct_matrix(n: int, k: int) -> npt.NDArray[np.float64]:
    x = np.arange(n)
    u = np.arange(k)[:, None]
    m: npt.NDArray[np.float64] = np.cos(np.pi * (2 * x[None, :] + 1) * u / (2 * n))
    return m


_DCT = _dct_matrix(_SIG, _FREQ)
# zig-zag order of the low-frequency coefficients, DC excluded: lowest frequencies first
_ORDER = sorted(
    ((u, v) for u in range(_FREQ) for v in range(_FREQ) if (u, v) != (0, 0)),
    key=lambda p: (p[0] + p[1], p[0]),
)[:BITS]
_INDEX = np.array([u * _FREQ + v for u, v in _ORDER])
_WEIGHTS = (np.uint64(1) << np.arange(BITS, dtype=np.uint64)).astype(np.uint64)


@dataclass(frozen=True)
class Hypothesis:
    """Where the signed picture's content box lies relative to the checked one: scaled by
    `zoom` (>= 1 when the copy was cropped) and its centre moved by (dx, dy) box sizes."""

    zoom: float = 1.0
    dx: float = 0.0
    dy: float = 0.0


IDENTITY = Hypothesis()
_ZOOMS = (1.0, 1.025, 1.05, 1.075, 1.1)
_SHIFTS = (-0.03, -0.015, 0.0, 0.015, 0.03)
HYPOTHESES: tuple[Hypothesis, ...] = (IDENTITY,) + tuple(
    Hypothesis(z, dx, dy)
    for z in _ZOOMS
    for dx in _SHIFTS
    for dy in _SHIFTS
    if (z, dx, dy) != (1.0, 0.0, 0.0)
)
"""A crop of up to 5% per side, as a grid of 125 zoom/shift hypotheses (identity first):
what a still image, which has no other seconds to fall back on, is looked up under."""
COARSE = tuple(
    h for h in HYPOTHESES if h.zoom in (1.0, 1.05, 1.1) and h.dx in (-0.03, 0.0, 0.03)
    and h.dy in (-0.03, 0.0, 0.03)
)  # fmt: skip
"""Every other step of the grid (27 hypotheses): enough for a video, whose seconds each
get their chance."""


def _flat_run(rows: npt.NDArray[np.float32], limit: int) -> int:
    std = rows[:limit].std(axis=1)
    over = np.nonzero(std >= _BAR_STD)[0]
    return int(over[0]) if over.size else limit


def content_box(img: Mean) -> Box:
    """The picture inside symmetric bars (see the module docstring)."""
    h, w = img.shape
    lim_h, lim_w = int(h * _BAR_MAX), int(w * _BAR_MAX)
    tb = min(_flat_run(img, lim_h), _flat_run(img[::-1], lim_h))
    lr = min(_flat_run(img.T, lim_w), _flat_run(img.T[::-1], lim_w))
    return (lr, tb, w - lr, h - tb)


_CORE: Rect = (CORE_MARGIN, CORE_MARGIN, 1 - CORE_MARGIN, 1 - CORE_MARGIN)


def core_rect(box: Box, hyp: Hypothesis = IDENTITY, window: Rect = _CORE) -> Rect:
    """The rectangle whose signature is the core hash (or a regional window's hash: its
    fractions of the content box), under a crop hypothesis; analysis pixels."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 + hyp.dx * w, (y0 + y1) / 2 + hyp.dy * h
    zw, zh = w * hyp.zoom, h * hyp.zoom
    fx0, fy0, fx1, fy1 = window
    return (
        cx + (fx0 - 0.5) * zw,
        cy + (fy0 - 0.5) * zh,
        cx + (fx1 - 0.5) * zw,
        cy + (fy1 - 0.5) * zh,
    )


def fine_grid(gray: Gray) -> Mean:
    """The FINE x FINE grid of an analysis image (2x2 means)."""
    k = SIZE // FINE
    grid: Mean = gray.reshape(FINE, k, FINE, k).mean(axis=(1, 3), dtype=np.float32)
    return grid


class Regions:
    """The regional hashes of a fine grid whose picture's content box is `box` (analysis
    pixels), under each of `hyps`: `bits[h, i]` for `REGIONS[i]`, `strength[h, i]` the
    |coefficient| behind each bit, `flat[i]` (under the first hypothesis, the picture as
    it is: a flat window is neither indexed nor asked).

    The same DCT sign hash as `signature`, as matrix products: a window's 32x32 box
    reduction is `Wy @ grid @ Wx.T` (box-filter weights of its rows and columns), so its
    low DCT coefficients are `(D Wy) grid (D Wx).T`, with four row and four column ranges
    per hypothesis for the sixteen windows (a Pillow resize per window took ten times as
    long for 125 hypotheses). Under a crop hypothesis the outer windows reach past the
    checked picture by up to a tenth of their width: the grid's edge is repeated there
    (`_PAD` cells)."""

    def __init__(self, fine: Mean, box: Box, hyps: Sequence[Hypothesis] = (IDENTITY,)) -> None:
        grid = fine.astype(np.float64)
        h, r = len(hyps), len(_STEPS)
        ax, ay, wx, wy = _window_weights(box, tuple(hyps))
        # products per hypothesis and window range stay small enough for BLAS to run them
        # on this thread (a threaded one spends more CPU waking threads than it saves)
        both = (ay @ grid) @ ax  # (h, r FREQ, r FREQ)
        low = both.reshape(h, r, _FREQ, r, _FREQ).transpose(0, 1, 3, 2, 4)
        low = low.reshape(h, r * r, _FREQ**2)  # windows row by row
        coeffs = low[:, :, _INDEX]
        self.bits: npt.NDArray[np.uint64] = ((coeffs > 0) * _WEIGHTS).sum(axis=2, dtype=np.uint64)
        self.strength: npt.NDArray[np.float64] = np.abs(coeffs)
        # By Parseval, the low coefficients' energy is at most the reduction's variance
        # times its size: where that bound already clears the flat limit, no window is
        # flat and the reductions themselves need not be made.
        if ((low[0] ** 2) @ _AC_SCALE >= _FLAT_VAR).all():
            self.flat: npt.NDArray[np.bool_] = np.zeros(r * r, dtype=np.bool_)
        else:
            small = (wy @ grid)[:, None] @ wx  # (r, r, _SIG, _SIG): windows row by row
            self.flat = small.std(axis=(2, 3)).ravel() < _FLAT_STD


# squares of the orthonormal DCT-II's scale of each low coefficient, over the reduction's
# size (the DC term left out: it is the mean, not the variance)
_NORM = np.where(np.arange(_FREQ) == 0, 1 / _SIG, 2 / _SIG)
_AC_SCALE = (np.outer(_NORM, _NORM) * (np.arange(_FREQ**2) != 0).reshape(_FREQ, _FREQ)).ravel()
_AC_SCALE /= _SIG * _SIG
_FLAT_VAR = _FLAT_STD**2 * (1 + 1e-9)  # the margin covers rounding in the bound
_STEPS = sorted({w[0] for w in REGIONS})  # the windows' offsets, the same for rows and columns
_SIDE = REGIONS[0][2] - REGIONS[0][0]
_PADDED = FINE + 2 * _PAD
# edge padding as a matrix: the padded grid is `_EDGE @ grid @ _EDGE.T`
_EDGE = np.zeros((_PADDED, FINE))
_EDGE[np.arange(_PADDED), np.clip(np.arange(_PADDED) - _PAD, 0, FINE - 1)] = 1.0


@functools.lru_cache(maxsize=64)
def _window_weights(box: Box, hyps: tuple[Hypothesis, ...]) -> tuple[Any, Any, Any, Any]:
    """What `Regions` multiplies the fine grid by, on the left and on the right: the DCT
    of each window's box reduction (rows, columns), and the first hypothesis's plain box
    reductions. They depend only on the content box and the hypotheses: cached, since
    most pictures fill their frame and every check of one asks the same."""
    h, r = len(hyps), len(_STEPS)
    # per (hypothesis, range): x0, y0, x1, y1 of the diagonal window, in padded cells
    k = FINE / SIZE
    spans = np.array(
        [[core_rect(box, hyp, (f, f, f + _SIDE, f + _SIDE)) for f in _STEPS] for hyp in hyps]
    ) * k + _PAD  # fmt: skip
    ax, ay = (_DCT @ _box_weights(spans[..., i], spans[..., i + 2], _PADDED) for i in (0, 1))
    wx, wy = (_box_weights(spans[0, :, i], spans[0, :, i + 2], _PADDED) for i in (0, 1))
    out = (
        _EDGE.T @ ax.reshape(h, r * _FREQ, _PADDED).transpose(0, 2, 1),
        ay.reshape(h, r * _FREQ, _PADDED) @ _EDGE,
        (wx @ _EDGE).transpose(0, 2, 1),
        wy @ _EDGE,
    )
    for m in out:
        m.flags.writeable = False  # shared by every caller
    return out


def _box_weights(lo: npt.NDArray[np.float64], hi: npt.NDArray[np.float64], n: int) -> Any:
    """Box-filter weights (..., _SIG, n): each of the _SIG cells of [lo, hi) (clipped to
    the grid) as the mean of the grid cells it overlaps (a cell spans at most `span`)."""
    lo, hi = np.clip(lo, 0, n), np.clip(hi, 0, n)
    edges = lo[..., None] + (hi - lo)[..., None] * (np.arange(_SIG + 1) / _SIG)
    a, b = edges[..., :-1], edges[..., 1:]
    width = np.maximum(hi - lo, 1e-9)[..., None] / _SIG
    weights = np.zeros((*a.shape, n + 1))
    first = np.floor(a).astype(np.int64)
    span = int(np.ceil(width.max())) + 1
    for o in range(span):
        j = np.minimum(first + o, n)
        overlap = np.clip(np.minimum(b, j + 1) - np.maximum(a, j), 0.0, None)
        np.put_along_axis(weights, j[..., None], overlap[..., None] / width[..., None], axis=-1)
    return weights[..., :n]


def signature(img: Mean, rect: Rect) -> tuple[int, npt.NDArray[np.float64], float]:
    """(64-bit hash, |coefficient| per bit, standard deviation of the reduction)."""
    small = np.asarray(
        Image.fromarray(img, mode="F").resize((_SIG, _SIG), Image.Resampling.BOX, box=rect),
        dtype=np.float64,
    )
    coeffs = (_DCT @ small @ _DCT.T).ravel()[_INDEX]
    bits = int(_WEIGHTS[coeffs > 0].sum(dtype=np.uint64))
    return bits, np.abs(coeffs), float(small.std())


_VALUE = struct.Struct("<5B2Q")  # a block value: flags, content box, core hash, table


@dataclass(frozen=True)
class BlockValue:
    """The soft-binding value of one block (21 bytes packed, see `pack`)."""

    core: int
    table: int
    box: Box
    flat: bool = False

    SIZE = _VALUE.size  # 21

    def pack(self) -> bytes:
        """flags (bit 0: flat), content box x0 y0 x1 y1 (analysis pixels, 1/128 of the
        frame), then as little-endian uint64: core hash, frame-table majority."""
        return _VALUE.pack(1 if self.flat else 0, *self.box, self.core, self.table)

    @classmethod
    def unpack(cls, data: bytes) -> BlockValue:
        """Read back `pack()` output; raises `SoftBindingError` when it is not one."""
        if len(data) != cls.SIZE:
            raise SoftBindingError(f"soft-binding value of {len(data)} bytes, expected {cls.SIZE}")
        flags, x0, y0, x1, y1, core, table = _VALUE.unpack(data)
        if flags > 1 or not (x0 < x1 <= SIZE and y0 < y1 <= SIZE):
            raise SoftBindingError("soft-binding value has bad flags or content box")
        return cls(core, table, (x0, y0, x1, y1), bool(flags))


def describe(img: Mean, table: int) -> BlockValue:
    """The value of one block from its mean analysis image (float32, SIZE x SIZE) and the
    majority of its frames' DCT hashes (`majority`)."""
    box = content_box(img)
    core, _, spread = signature(img, core_rect(box))
    return BlockValue(core, table, box, flat=spread < _FLAT_STD)


def still_gray(img: Image.Image) -> Gray:
    """The analysis image of a decoded still: grey, SIZE x SIZE, box-averaged."""
    return np.asarray(img.convert("L").resize((SIZE, SIZE), Image.Resampling.BOX), dtype=np.uint8)


def analysis(gray: Gray) -> Mean:
    """The SIZE x SIZE analysis image of a square grayscale reduction whose side is a
    multiple of SIZE (block means: what an AREA scaler to SIZE gives)."""
    k = gray.shape[0] // SIZE
    if gray.shape != (SIZE * k, SIZE * k) or k < 1:
        raise ValueError(f"analysis image of shape {gray.shape}, expected a multiple of {SIZE}")
    if k == 1:
        return gray.astype(np.float32)
    small: Mean = gray.reshape(SIZE, k, SIZE, k).mean(axis=(1, 3), dtype=np.float32)
    return small


def majority(hashes: npt.NDArray[np.uint64]) -> int:
    """Bitwise majority of 64-bit hashes (ties count as 0)."""
    if hashes.size == 0:
        return 0
    bits = (hashes[:, None] >> np.arange(BITS, dtype=np.uint64)) & np.uint64(1)
    ones = bits.sum(axis=0)
    return int(_WEIGHTS[2 * ones > hashes.size].sum(dtype=np.uint64))


@dataclass(frozen=True)
class Block:
    """One block: its timespan in milliseconds (None for a still image) and value; a
    still's regional block says which (1-16: `REGIONS[region - 1]`; 0: the whole picture)."""

    start_ms: int | None
    end_ms: int | None
    value: BlockValue
    region: int = 0


def block_index(pts_us: int) -> int:
    """The block a frame belongs to: whole seconds of presentation time (negative times,
    from edit lists, count as 0)."""
    return max(0, pts_us) // (BLOCK_MS * 1000)


class BlockAccumulator:
    """Averages analysis images per second of presentation time, in one streaming pass.

    Frames arrive in presentation order; only the block being filled is kept (128 KB).
    """

    _TAIL_MS = 100  # a last block missing less than this (one frame or so) still counts

    def __init__(self) -> None:
        self._index: int | None = None
        self._sum = np.zeros((SIZE, SIZE), dtype=np.float64)
        self._hashes: list[int] = []
        self._done: list[Block] = []
        self._last_us = 0

    def add(self, pts_us: int, gray: Gray, dct: int) -> None:
        """One frame: its presentation time, grayscale reduction (SIZE square, or a
        multiple of it: the frame fingerprints' FINE_SIZE) and frame-table DCT hash."""
        k = block_index(pts_us)
        if self._index is not None and k != self._index:
            self._close(self._index * BLOCK_MS + BLOCK_MS)
        self._index = k
        self._sum += analysis(gray)
        self._hashes.append(dct)
        self._last_us = max(self._last_us, pts_us)

    def _close(self, end_ms: int) -> None:
        if self._hashes and self._index is not None:
            mean = (self._sum / len(self._hashes)).astype(np.float32)
            table = majority(np.array(self._hashes, dtype=np.uint64))
            self._done.append(Block(self._index * BLOCK_MS, end_ms, describe(mean, table)))
        self._sum[:] = 0
        self._hashes = []

    def finish(self, duration_ms: int) -> list[Block]:
        """The whole seconds of the video (a last, partial second is left out: a query
        window could never cover it whole); a video under a second gets one block."""
        if self._index is not None and self._hashes:
            end = self._index * BLOCK_MS + BLOCK_MS
            if end <= duration_ms + self._TAIL_MS:
                self._close(end)
            elif not self._done:
                self._close(max(duration_ms, self._last_us // 1000 + 1))
        blocks, self._done = self._done, []
        return blocks
