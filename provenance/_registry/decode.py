"""Decoding media into 128x128 grayscale analysis images, for the soft binding.

Video goes through ONE reused `VideoReformatter` (AREA, one thread), exactly as the frame
fingerprints do: `frame.reformat()` would rebuild the scaler per frame. A lookup need not
decode the whole file: `video_stretch` seeks to a point and decodes a few seconds from the
key frame before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from av.video.reformatter import VideoReformatter
from PIL import Image, ImageOps

from ..errors import UnsupportedFormatError
from ..frames import sampling
from .fingerprint import SIZE, still_gray

__all__ = ["VideoInfo", "image_analysis", "video_frames", "video_info"]

Gray = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class VideoInfo:
    """A video's picture size and duration, from its headers."""

    width: int
    height: int
    duration_ms: int


def _open_video(path: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as e:
        raise UnsupportedFormatError(f"{path}: cannot decode as video ({e})") from None
    if not container.streams.video:
        container.close()
        raise UnsupportedFormatError(f"{path}: no video stream")
    return container


def _duration_ms(container: av.container.InputContainer) -> int:
    stream = container.streams.video[0]
    if stream.duration is not None and stream.time_base is not None:
        return int(stream.duration * stream.time_base * 1000)
    if container.duration is not None:
        return int(container.duration // 1000)
    return 0


def video_info(path: Path) -> VideoInfo:
    """Picture size and duration from the headers (nothing decoded)."""
    with _open_video(path) as container:
        ctx = container.streams.video[0].codec_context
        return VideoInfo(int(ctx.width), int(ctx.height), _duration_ms(container))


def video_frames(
    path: Path, *, start_ms: int = 0, max_ms: int | None = None, size: int = SIZE
) -> Iterator[tuple[int, Gray]]:
    """(presentation time in microseconds, analysis image) of each frame, in presentation
    order: all of them, or from the key frame at or before `start_ms` for `max_ms` of
    presentation time. `size`: the side of the square grayscale reduction."""
    with _open_video(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if start_ms > 0:
            container.seek(start_ms * 1000, backward=True, any_frame=False)
        reformatter = VideoReformatter()
        first: int | None = None
        index = 0
        rate = stream.average_rate or stream.guessed_rate
        for frame in container.decode(stream):
            pts_us = sampling.pts_us(frame, index, rate)
            index += 1
            first = pts_us if first is None else first
            if max_ms is not None and pts_us - first >= max_ms * 1000:
                break
            yield pts_us, sampling.gray(frame, reformatter, size, size)


def image_analysis(path: Path) -> tuple[Gray, tuple[int, int]]:
    """The analysis image of a still (EXIF orientation applied, as viewers show it) and
    the picture's size."""
    try:
        with Image.open(path) as opened:
            img = ImageOps.exif_transpose(opened)
            size = img.size
            gray = still_gray(img)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise UnsupportedFormatError(f"{path}: cannot decode as an image ({e})") from None
    return gray, size
