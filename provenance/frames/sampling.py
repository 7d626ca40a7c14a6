"""How a decoded video frame becomes what the fingerprints measure: its presentation time
and a grey picture scaled down with swscale's AREA filter. Signing, checking, geometry
and registry lookups all sample frames this one way, so their values stay comparable."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from av.video.reformatter import Interpolation, VideoReformatter

__all__ = ["gray", "pts_us"]


def pts_us(frame: VideoFrame, index: int, rate: Fraction | None) -> int:
    """The frame's presentation time in microseconds; from its index and the stream's
    rate when the container gives none."""
    if frame.pts is not None and frame.time_base is not None:
        return int(round(frame.pts * frame.time_base * 1_000_000))
    return int(round(index / rate * 1_000_000)) if rate else index


def gray(
    frame: VideoFrame, scaler: VideoReformatter, width: int, height: int
) -> npt.NDArray[np.uint8]:
    """The frame in grey at `width` x `height` (AREA, one thread: the same bytes
    whatever else the machine runs)."""
    small = scaler.reformat(
        frame,
        width=width,
        height=height,
        format="gray",
        interpolation=Interpolation.AREA,
        threads=1,
    )
    return np.asarray(small.to_ndarray(), dtype=np.uint8)
