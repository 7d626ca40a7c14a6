"""The checked picture seen through the signed frame, for copies whose geometry changed.

A registry match (or a reference's soft binding) says where the signed frame lies in the
checked file's pixels (`Geometry.signed_box`): inside bars for a letterboxed copy, beyond
the picture's edges for a cropped one. The checked frames are then resampled onto the
signed frame before they are fingerprinted, so that every cell of the grids covers the
same part of the picture on both sides; the cells the checked picture no longer shows (a
crop) are marked hidden and compared as unchanged; and the changed rectangles, found in the
signed frame's cells, are mapped back onto the checked file's pixels. A plain rescale needs
none of this: the grids are fractions of the picture, so rectangles come out in the checked
file's pixels already.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from provenance.frames.features import FINE_SIZE, GRID, compute_features
from provenance.frames.table import GROUP, VideoFingerprint
from provenance.models import FrameReport, Geometry

if TYPE_CHECKING:  # PyAV loads for video only: a still's window needs Pillow alone
    from av.video.frame import VideoFrame
    from av.video.reformatter import VideoReformatter

__all__ = ["SAME_FRAME", "VISIBLE", "Window", "coarse_hidden", "video_window"]

Rect = tuple[int, int, int, int]
Gray = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

SAME_FRAME = 0.01
"""A signed frame within 1% of the checked picture's edges fills it: compared as it is."""
VISIBLE = 0.9
"""A cell is compared when at least 90% of it lies inside the checked picture; the rest of
it is filled by mirroring the picture at its edge, which barely moves such a cell."""


@dataclass(frozen=True)
class Window:
    """The signed frame as a box [x, y, w, h] in the checked picture's pixels, which
    measures `size` (width, height)."""

    box: tuple[float, float, float, float]
    size: tuple[int, int]

    @classmethod
    def of(cls, geometry: Geometry | None, size: tuple[int, int]) -> Window | None:
        """The window of a match's geometry over a checked picture of `size` (None without
        one, or for an empty box)."""
        if geometry is None or min(*geometry.signed_box[2:], *size) <= 0:
            return None
        return cls(geometry.signed_box, size)

    @property
    def fills(self) -> bool:
        """Whether the signed frame fills the checked picture (within `SAME_FRAME` at each
        edge): a plain rescale, compared as it is."""
        x, y, w, h = self.box
        width, height = self.size
        edges = (abs(x) / width, abs(y) / height, abs(x + w - width) / width,
                 abs(y + h - height) / height)  # fmt: skip
        return max(edges) <= SAME_FRAME

    @property
    def pixels(self) -> tuple[int, int]:
        """The signed frame's size in checked pixels: the size rectangles are found in."""
        return max(1, round(self.box[2])), max(1, round(self.box[3]))

    def gray(self, frame: VideoFrame, scaler: VideoReformatter, detail: int) -> Gray:
        """A decoded frame in grey, scaled down (AREA) as far as keeps `detail` pixels
        across the window each way: what `sample` and `refine` take."""
        from provenance.frames import sampling

        k = min(1.0, max(detail / self.box[2], detail / self.box[3]))
        size = max(1, round(frame.width * k)), max(1, round(frame.height * k))
        return sampling.gray(frame, scaler, *size)

    def frame_sample(self, frame: VideoFrame, scaler: VideoReformatter) -> Gray:
        """A decoded video frame's window, FINE_SIZE square, scaled as the signed frames
        were (swscale AREA from the full picture; `sample` would box-average, which moves
        the texture measure of the coarse cells): the window is cut at whole pixels."""
        from av.video.frame import VideoFrame

        from provenance.frames import sampling

        full = np.asarray(
            scaler.reformat(frame, format="gray", threads=1).to_ndarray(), dtype=np.uint8
        )
        h, w = full.shape
        x, y, bw, bh = self.box
        kx, ky = w / self.size[0], h / self.size[1]
        x0, y0, x1, y1 = (round(v) for v in (x * kx, y * ky, (x + bw) * kx, (y + bh) * ky))
        pad = ((max(0, -y0), max(0, y1 - h)), (max(0, -x0), max(0, x1 - w)))
        if any(p for side in pad for p in side):
            full = np.pad(full, pad, mode="symmetric")
        cut = full[y0 + pad[0][0] : y1 + pad[0][0], x0 + pad[1][0] : x1 + pad[1][0]]
        picture = VideoFrame.from_ndarray(np.ascontiguousarray(cut), format="gray")
        return sampling.gray(picture, scaler, FINE_SIZE, FINE_SIZE)

    def sample(self, gray: Gray, side: int = FINE_SIZE) -> Gray:
        """The signed frame's part of a grayscale checked picture (any scale of it:
        `gray` may be decoded smaller than `size`), box-averaged to `side` x `side`."""
        return self._resample(gray, side, side)

    def _resample(self, gray: Gray, width: int, height: int) -> Gray:
        k = gray.shape[1] / self.size[0], gray.shape[0] / self.size[1]
        x0, y0 = self.box[0] * k[0], self.box[1] * k[1]
        x1, y1 = x0 + self.box[2] * k[0], y0 + self.box[3] * k[1]
        h, w = gray.shape
        # mirror the picture at its edges where the signed frame reaches beyond them
        left, top = max(0, math.ceil(-x0)), max(0, math.ceil(-y0))
        right, bottom = max(0, math.ceil(x1 - w)), max(0, math.ceil(y1 - h))
        if left or top or right or bottom:
            gray = np.pad(gray, ((top, bottom), (left, right)), mode="symmetric")
        gh, gw = gray.shape
        box = (max(0.0, x0 + left), max(0.0, y0 + top), min(gw, x1 + left), min(gh, y1 + top))
        small = Image.fromarray(np.ascontiguousarray(gray)).resize(
            (width, height), Image.Resampling.BOX, box=box
        )
        return np.asarray(small, dtype=np.uint8)

    def moved(self, dx: float, dy: float, scale: float) -> Window:
        """This window shifted by (dx, dy) of its size and scaled about its centre."""
        x, y, w, h = self.box
        cx, cy = x + w * (0.5 + dx), y + h * (0.5 + dy)
        return Window((cx - w * scale / 2, cy - h * scale / 2, w * scale, h * scale), self.size)

    def refine(self, grid: npt.NDArray[Any], picture: Gray) -> Window:
        """The window near this one through which `picture` (the checked picture, any
        scale of `size`) looks most like `grid`, the signed frame's fine cells (rows,
        cols): a match's geometry is found on a 128-pixel reduction under a handful of
        crop hypotheses, a few pixels off, while the cells this window compares are a few
        pixels wide. A coarse scan of scales about the match's centre, then steps of
        shift and scale halved down to `_FINEST` of the window, on coarser cells first."""
        signed = grid.astype(np.float64)
        best = min(
            (self.moved(0.0, 0.0, z) for z in _SCAN), key=lambda w: w._cost(signed, picture, 4)
        )
        step = _FIRST_STEP
        while step >= _FINEST:
            factor = 4 if step > 0.01 else 2 if step > 0.004 else 1
            cost = best._cost(signed, picture, factor)
            improved = True
            while improved:
                improved = False
                for dx, dy, dz in _MOVES:
                    cand = best.moved(dx * step, dy * step, 1.0 + dz * step)
                    c = cand._cost(signed, picture, factor)
                    if c < cost:
                        best, cost, improved = cand, c, True
            step /= 2
        return best

    def _cost(self, signed: npt.NDArray[np.float64], picture: Gray, factor: int) -> float:
        """How unlike the signed cells (pooled `factor` x `factor`) the picture looks
        through this window: the mean absolute difference over the shown cells, less the
        picture-wide shift, leaving out the worst tenth (an edit)."""
        rows, cols = signed.shape[0] // factor, signed.shape[1] // factor
        ref = signed.reshape(rows, factor, cols, factor).mean(axis=(1, 3))
        seen = np.asarray(self._resample(picture, cols, rows), dtype=np.float64)
        shown = ~self.hidden(rows, cols)
        if shown.mean() < 0.5:
            return np.inf
        d = (seen - ref)[shown]
        d = np.sort(np.abs(d - np.median(d)))
        return float(d[: max(1, int(0.9 * d.size))].mean())

    def hidden(self, rows: int, cols: int) -> Mask:
        """(rows, cols): the cells of a grid over the signed frame that lie less than
        `VISIBLE` inside the checked picture."""
        x, y, w, h = self.box
        width, height = self.size

        def shown(start: float, step: float, n: int, limit: int) -> npt.NDArray[np.float64]:
            lo = start + step * np.arange(n)
            share: npt.NDArray[np.float64] = (
                np.clip(lo + step, 0, limit) - np.clip(lo, 0, limit)
            ) / step
            return share

        inside = np.outer(shown(y, h / rows, rows, height), shown(x, w / cols, cols, width))
        out: Mask = inside < VISIBLE
        return out

    def to_checked(self, rect: Rect) -> Rect | None:
        """A rectangle in the signed frame's cells (measured in `pixels`) on the checked
        picture, clipped to it; None when none of it is shown there."""
        x, y, w, h = self.box
        sx, sy = w / self.pixels[0], h / self.pixels[1]
        width, height = self.size
        x0 = min(width, max(0, round(x + rect[0] * sx)))
        y0 = min(height, max(0, round(y + rect[1] * sy)))
        x1 = min(width, max(0, round(x + (rect[0] + rect[2]) * sx)))
        y1 = min(height, max(0, round(y + (rect[1] + rect[3]) * sy)))
        return (x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None

    def map_rects(self, rects: list[Rect]) -> list[Rect]:
        """`to_checked` over a list, dropping what the checked picture does not show."""
        return [m for m in (self.to_checked(r) for r in rects) if m is not None]

    def map_report(self, report: FrameReport) -> FrameReport:
        """A frame report whose regions were found through this window, with every region
        (per segment and per frame) on the checked picture."""
        segments = [
            replace(
                s,
                regions=self.map_rects(s.regions),
                frame_regions=[
                    replace(f, regions=self.map_rects(f.regions)) for f in s.frame_regions
                ],
            )
            for s in report.segments
        ]
        return replace(report, segments=segments)


_SCAN = (0.9, 0.95, 1.0, 1.05, 1.1)  # the match may have missed a crop's zoom by a step
_FIRST_STEP = 0.02
_FINEST = 0.001
_MOVES = ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1))  # dx dy scale
_DETAIL = 3 * FINE_SIZE  # pixels across the window a video's probe keeps each way


def coarse_hidden(fine: Mask) -> npt.NDArray[np.bool_]:
    """The coarse cells (flat, GRID * GRID) holding a hidden cell of a fine mask whose
    sides are multiples of GRID."""
    rows, cols = fine.shape
    out: npt.NDArray[np.bool_] = (
        fine.reshape(GRID, rows // GRID, GRID, cols // GRID).any(axis=(1, 3)).ravel()
    )
    return out


def video_window(
    geometry: Geometry | None, signed: VideoFingerprint, path: str | Path
) -> Window | None:
    """The window a checked video is compared through (None: as it is), refined on one
    group of its frames (`Window.refine`): the first `_PROBE_S` seconds are decoded, their
    frames found in the signed table by DCT hash (seen through the match's window), and
    the frames showing one whole signed group averaged, as the group's fine cells were."""
    import av
    from av.video.reformatter import VideoReformatter

    with av.open(str(path)) as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        window = Window.of(geometry, (stream.codec_context.width, stream.codec_context.height))
        if window is None:
            return None
        times: list[float] = []
        pictures: list[Gray] = []
        scaler = VideoReformatter()
        for frame in container.decode(stream):
            if frame.pts is None or frame.time_base is None:
                break
            t = float(frame.pts * frame.time_base)
            if times and t - times[0] > _PROBE_S:
                break
            times.append(t)
            pictures.append(window.gray(frame, scaler, _DETAIL))
    picture = _group_picture(window, signed, np.array(times), pictures)
    refined = window if picture is None else window.refine(*picture)
    return None if refined.fills else refined


def _group_picture(
    window: Window, signed: VideoFingerprint, times: npt.NDArray[np.float64], pictures: list[Gray]
) -> tuple[npt.NDArray[Any], Gray] | None:
    """(a signed group's fine cells, the mean of the checked pictures showing that
    group's frames), or None when no whole group was decoded and found.

    Each checked frame's nearest DCT hash in the signed table proposes a time offset. For
    each whole signed group, the offsets its frames propose are tried, and the one under
    which the checked frames shown during the group agree best with the signed frames' luma
    grids is kept (neighbouring frames share DCT hashes; a cut or a frame-rate change moves
    the offset, so it is chosen group by group); the group that agrees best wins."""
    if len(pictures) < GROUP or signed.frame_count < GROUP:
        return None
    features = [compute_features(window.sample(p)) for p in pictures]
    dct = np.array([f[0] for f in features], dtype=np.uint64)
    luma = np.frombuffer(b"".join(f[1] for f in features), dtype=np.uint8).reshape(len(dct), -1)
    ham = np.bitwise_count(np.bitwise_xor(dct[:, None], signed.dct[None, :]))
    nearest = ham.argmin(axis=1)
    found = ham.min(axis=1) <= _PROBE_BITS
    st = signed.timestamps()
    proposed = np.round(st[nearest] - times, 4)
    tol = 0.5 / float(signed.frame_rate or 30)
    best: tuple[float, npt.NDArray[np.bool_], int] | None = None
    for g in range(signed.frame_count // GROUP):
        first, last = g * GROUP, (g + 1) * GROUP - 1
        mine = found & (nearest >= first) & (nearest <= last)
        if mine.sum() < GROUP // 2:
            continue
        for offset in np.unique(proposed[mine]):
            lo, hi = st[first] - offset - tol, st[last] - offset + tol
            if lo < times[0] - tol or hi > times[-1] + tol:
                continue
            shown = (times >= lo) & (times <= hi)
            k = np.clip(np.searchsorted(st, times[shown] + offset - tol), 0, len(st) - 1)
            fit = float(np.abs(luma[shown].astype(np.int16) - signed.luma[k]).mean())
            if best is None or fit < best[0]:
                best = (fit, shown, g)
    if best is None:
        return None
    _, shown, g = best
    mean = np.mean(np.stack([p for p, s in zip(pictures, shown, strict=True) if s]), axis=0)
    return signed.fine[g], np.clip(np.rint(mean), 0, 255).astype(np.uint8)


_PROBE_S = 2.5  # a whole group of 32 frames, wherever the copy starts
_PROBE_BITS = 12  # a frame counts as found within this many of 64 DCT bits
