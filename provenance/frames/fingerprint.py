"""Per-frame fingerprints of a video, computed in one streaming decode pass.

For every decoded frame we keep:

* the presentation timestamp in microseconds;
* an exact content hash: BLAKE3 over the visible bytes of the decoded planes, truncated to
  16 bytes (0.57 ms vs 2.59 ms for SHA-256 per 1080p frame, benchmarks/frames_speed.py; it
  runs in a worker thread because the decoder already uses both cores and blake3 releases
  the GIL);
* a 64-bit DCT hash of a 32x32 grayscale reduction (robust to re-encoding and rescaling);
* an 8x8 grid of regional signatures: mean luminance and a log-scaled gradient energy
  ("detail") per cell, so that both replaced and blurred regions are visible;

and for every group of ``table.GROUP`` frames the fine 64x32 grid of mean luminance,
averaged over the group (the table layout is in ``table``).

The grayscale analysis image comes from ONE reused ``VideoReformatter``: ``frame.reformat()``
rebuilds the swscale context per call, which costs more than the rest of the fingerprint.
"""

from __future__ import annotations

import collections
import concurrent.futures
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import blake3
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

from provenance._vocab import Progress as ProgressCallback
from provenance.frames import sampling
from provenance.frames.errors import FramesDataError
from provenance.frames.features import (
    CELLS,
    FINE_COLS,
    FINE_ROWS,
    FINE_SIZE,
    compute_features,
    fine_cells,
)
from provenance.frames.geometry import Window
from provenance.frames.table import EXACT_HASH_BYTES, GROUP, VideoFingerprint

FrameCallback = Callable[[int, npt.NDArray[np.uint8], int], None]
"""Called with each frame's presentation time (us), grayscale reduction and DCT hash."""

_PROGRESS_EVERY = 8
# frames in flight to the hashing thread; bounds memory independent of duration
_MAX_PENDING = 8


def _hash_planes(frame: VideoFrame) -> bytes:
    h = blake3.blake3(max_threads=1)
    for plane in frame.planes:
        buf = memoryview(plane)
        visible = _visible_row_bytes(frame, plane.width)
        if plane.line_size == visible:
            h.update(buf[: visible * plane.height])
        else:
            # line padding is uninitialised memory, so only the visible part is hashed
            rows = np.frombuffer(buf, dtype=np.uint8, count=plane.line_size * plane.height)
            h.update(
                np.ascontiguousarray(rows.reshape(plane.height, plane.line_size)[:, :visible]).data
            )
    return h.digest(length=EXACT_HASH_BYTES)


def _visible_row_bytes(frame: VideoFrame, plane_width: int) -> int:
    fmt = frame.format
    if fmt.is_planar:
        # one component per plane: 1 byte per sample up to 8 bits, 2 bytes above
        bits = max(c.bits for c in fmt.components)
        return plane_width * ((bits + 7) // 8)
    return int(plane_width * fmt.bits_per_pixel // 8)


class _Accumulator:
    """Growable per-frame columns kept as bytearrays (a few hundred bytes per frame)."""

    def __init__(self, keep_frame_fine: bool) -> None:
        self.frame_fine: bytearray | None = bytearray() if keep_frame_fine else None
        self.pts = bytearray()
        self.exact = bytearray()
        self.dct = bytearray()
        self.luma = bytearray()
        self.detail = bytearray()
        self.fine = bytearray()
        self._group_sum = np.zeros((FINE_ROWS, FINE_COLS), dtype=np.float64)
        self.count = 0

    def add_features(self, pts_us: int, gray: npt.NDArray[np.uint8]) -> int:
        """Add one frame; returns its DCT hash."""
        dct, luma, detail = compute_features(gray)
        self.pts += int(pts_us).to_bytes(8, "little", signed=True)
        self.dct += dct.to_bytes(8, "little")
        self.luma += luma
        self.detail += detail
        fine = fine_cells(gray)
        self._group_sum += fine
        if self.frame_fine is not None:
            self.frame_fine += np.clip(np.rint(fine), 0, 255).astype(np.uint8).tobytes()
        self.count += 1
        if self.count % GROUP == 0:
            self._close_group(GROUP)
        return dct

    def _close_group(self, frames: int) -> None:
        mean = np.clip(np.rint(self._group_sum / frames), 0, 255).astype(np.uint8)
        self.fine += mean.tobytes()
        self._group_sum[:] = 0.0

    def finish(self) -> None:
        if self.count % GROUP:
            self._close_group(self.count % GROUP)


def fingerprint_video(
    path: str | Path,
    progress: ProgressCallback | None = None,
    *,
    keep_frame_fine: bool = False,
    on_frame: FrameCallback | None = None,
    window: Window | None = None,
) -> VideoFingerprint:
    """Decode every frame of the first video stream and fingerprint it (streaming).

    keep_frame_fine: also keep every frame's fine grid (2 KB a frame, in memory), which the
    comparison needs on the checked side.
    on_frame: called with each frame's presentation time (us), FINE_SIZE grayscale
    reduction and DCT hash, so that more is computed from the same decode (the soft binding).
    window: fingerprint the signed frame's part of each frame (a copy with bars or
    cropped, `frames.geometry`): the fingerprint then measures the window's `pixels` and
    marks the cells the picture does not show as `hidden`.
    """
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise FramesDataError(f"{path}: no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or Fraction(0)
        rate = Fraction(rate)
        total: int | None = stream.frames or None
        reformatter = VideoReformatter()
        acc = _Accumulator(keep_frame_fine)
        pending: collections.deque[concurrent.futures.Future[bytes]] = collections.deque()
        width = stream.codec_context.width
        height = stream.codec_context.height
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            for frame in container.decode(stream):
                pending.append(pool.submit(_hash_planes, frame))
                if len(pending) > _MAX_PENDING:
                    acc.exact += pending.popleft().result()
                width, height = frame.width, frame.height
                if window is None:
                    gray = sampling.gray(frame, reformatter, FINE_SIZE, FINE_SIZE)
                else:
                    gray = window.frame_sample(frame, reformatter)
                pts_us = sampling.pts_us(frame, acc.count, rate)
                dct = acc.add_features(pts_us, gray)
                if on_frame is not None:
                    on_frame(pts_us, gray, dct)
                if progress is not None and acc.count % _PROGRESS_EVERY == 0:
                    progress(acc.count, total)
            while pending:
                acc.exact += pending.popleft().result()
        acc.finish()
        if progress is not None:
            progress(acc.count, acc.count)
        duration = _duration(stream, container, acc, rate)
    if window is None:
        return _build(acc, rate, width, height, duration)
    fp = _build(acc, rate, *window.pixels, duration)
    fp.hidden = window.hidden(FINE_ROWS, FINE_COLS)
    return fp


def _duration(
    stream: av.video.stream.VideoStream,
    container: av.container.InputContainer,
    acc: _Accumulator,
    rate: Fraction,
) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    if acc.count and rate:
        last = int.from_bytes(acc.pts[-8:], "little", signed=True)
        return last / 1e6 + float(1 / rate)
    return 0.0


def _build(
    acc: _Accumulator, rate: Fraction, width: int, height: int, duration: float
) -> VideoFingerprint:
    n = acc.count
    return VideoFingerprint(
        frame_count=n,
        frame_rate=rate,
        width=width,
        height=height,
        duration=duration,
        pts_us=np.frombuffer(bytes(acc.pts), dtype="<i8").astype(np.int64),
        exact=np.frombuffer(bytes(acc.exact), dtype=np.uint8).reshape(n, EXACT_HASH_BYTES),
        dct=np.frombuffer(bytes(acc.dct), dtype="<u8").astype(np.uint64),
        luma=np.frombuffer(bytes(acc.luma), dtype=np.uint8).reshape(n, CELLS),
        detail=np.frombuffer(bytes(acc.detail), dtype=np.uint8).reshape(n, CELLS),
        fine=np.frombuffer(bytes(acc.fine), dtype=np.uint8).reshape(-1, FINE_ROWS, FINE_COLS),
        frame_fine=(
            None
            if acc.frame_fine is None
            else np.frombuffer(bytes(acc.frame_fine), dtype=np.uint8).reshape(
                n, FINE_ROWS, FINE_COLS
            )
        ),
    )


__all__ = ["FrameCallback", "ProgressCallback", "VideoFingerprint", "fingerprint_video"]
