"""The soft binding of a file, computed in its own decode pass.

Signing folds `fingerprint.BlockAccumulator` into the frame-fingerprint pass instead (one
decode); these are for files signed without it and for tests and benchmarks. The
frame-table hash of each frame is the frame fingerprint's own DCT hash, so the result
agrees with the `org.provenance.frames` / `org.provenance.regions` table of the file.
"""

from __future__ import annotations

from pathlib import Path

from ..frames import fingerprint_image
from ..frames.features import FINE_SIZE, compute_features
from .decode import image_analysis, video_frames, video_info
from .fingerprint import Block, BlockAccumulator, describe
from .softbinding import SoftBinding

__all__ = ["image_binding", "video_binding"]


def video_binding(path: Path | str) -> SoftBinding:
    """One block per whole second of the first video stream."""
    path = Path(path)
    acc = BlockAccumulator()
    for pts_us, gray in video_frames(path, size=FINE_SIZE):
        acc.add(pts_us, gray, compute_features(gray)[0])
    return SoftBinding(tuple(acc.finish(video_info(path).duration_ms)))


def image_binding(path: Path | str) -> SoftBinding:
    """One block for a still image."""
    gray, _ = image_analysis(Path(path))
    value = describe(gray.astype("float32"), fingerprint_image(path).dct)
    return SoftBinding((Block(None, None, value),))
