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
from ..frames import ImageFingerprint, fingerprint_image
from .fingerprint import (
    FINE,
    Block,
    BlockAccumulator,
    BlockValue,
    Regions,
    describe,
    still_gray,
)
from .softbinding import ALG_V1, SoftBinding

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


def image_binding(
    image: Path | str | Still,
    fingerprint: ImageFingerprint | None = None,
    *,
    regions: bool = True,
) -> SoftBinding:
    """A still image's binding (a file, or as decoded for signing: `_still`): the whole
    picture's block, then one per regional window, computed from `fingerprint` (its
    region table, computed here when not given). `regions=False`: the whole picture's
    block alone (algorithm `ALG_V1`, as signed before regional blocks)."""
    if isinstance(image, Still):
        gray = still_gray(image.gray)  # the grey picture the fingerprint reduced too
    else:
        from .decode import image_analysis

        gray, _ = image_analysis(Path(image))
    fp = fingerprint_image(image) if fingerprint is None else fingerprint
    whole = describe(gray.astype("float32"), fp.dct)
    blocks = [Block(None, None, whole)]
    if not regions:
        return SoftBinding(tuple(blocks), ALG_V1)
    fine = np.frombuffer(fp.fine, dtype=np.uint8).reshape(FINE, FINE).astype(np.float32)
    windows = Regions(fine, whole.box)
    for i, (bits, flat) in enumerate(zip(windows.bits[0], windows.flat, strict=True), start=1):
        value = BlockValue(int(bits), int(bits), whole.box, bool(flat))
        blocks.append(Block(None, None, value, region=i))
    return SoftBinding(tuple(blocks))
