"""The soft binding of a file.

Signing folds `VideoBinding` into the frame-fingerprint pass (`frames.fingerprint_video`'s
`on_frame`: one decode); `video_binding` decodes on its own, for tests and benchmarks. The
frame-table hash of each frame is the frame fingerprint's own DCT hash, so the result
agrees with the `org.provenance.frames` / `org.provenance.regions` table of the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._still import Still
from ..frames import fingerprint_image
from .fingerprint import Block, BlockAccumulator, describe, still_gray
from .softbinding import SoftBinding

__all__ = ["VideoBinding", "image_binding", "video_binding"]


class VideoBinding:
    """A video's soft binding, built frame by frame from the frame fingerprints' pass."""

    def __init__(self) -> None:
        self._acc = BlockAccumulator()

    def add(self, pts_us: int, gray: npt.NDArray[np.uint8], dct: int) -> None:
        """One frame: presentation time (us), grayscale reduction, frame-table DCT hash."""
        self._acc.add(pts_us, gray, dct)

    def finish(self, duration_ms: int) -> SoftBinding:
        """The binding: one block per whole second."""
        return SoftBinding(tuple(self._acc.finish(duration_ms)))


def video_binding(path: Path | str) -> SoftBinding:
    """One block per whole second of the first video stream, in a decode of its own."""
    from ..frames.features import FINE_SIZE, compute_features
    from .decode import video_frames, video_info  # PyAV: only for a video decoded here

    path = Path(path)
    binding = VideoBinding()
    for pts_us, gray in video_frames(path, size=FINE_SIZE):
        binding.add(pts_us, gray, compute_features(gray)[0])
    return binding.finish(video_info(path).duration_ms)


def image_binding(image: Path | str | Still, dct: int | None = None) -> SoftBinding:
    """One block for a still image (a file, or as decoded for signing: `_still`); `dct`:
    its region fingerprint's hash, when known."""
    if isinstance(image, Still):
        gray = still_gray(image.gray)  # the grey picture the fingerprint reduced too
    else:
        from .decode import image_analysis

        gray, _ = image_analysis(Path(image))
    table = fingerprint_image(image).dct if dct is None else dct
    value = describe(gray.astype("float32"), table)
    return SoftBinding((Block(None, None, value),))
