"""The signed frame table of a video: what ``fingerprint`` computes, what the assertion
carries and what ``compare`` reads, with its logical byte layout (what the digest pins).

Two tables:

* per frame (row i = decoded frame i, presentation order): presentation time, an exact
  hash of the decoded picture, a 64-bit DCT hash and the coarse 8x8 luma and detail grids;
* per group of ``GROUP`` consecutive frames (group g = frames g*GROUP .. g*GROUP+GROUP-1,
  the last group possibly shorter): the fine 64x32 grid of mean luminance, averaged over
  the group's frames. Averaging over time is what makes a 0.25% face visible through
  re-encoding noise, and it costs 1/GROUP of a per-frame grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import blake3
import numpy as np
import numpy.typing as npt

from provenance.frames.errors import FramesDataError
from provenance.frames.features import CELLS, FINE_CELLS, FINE_COLS, FINE_ROWS

EXACT_HASH_BYTES = 16
HASH_ALGORITHM = "blake3-128"
GROUP = 32
"""Frames per fine-grid group (about one second at 30 fps)."""

RECORD_DTYPE = np.dtype(
    [
        ("pts_us", "<i8"),
        ("exact", "u1", (EXACT_HASH_BYTES,)),
        ("dct", "<u8"),
        ("luma", "u1", (CELLS,)),
        ("detail", "u1", (CELLS,)),
    ]
)
RECORD_SIZE = RECORD_DTYPE.itemsize  # 160
GROUP_RECORD_SIZE = FINE_CELLS  # 2048: one byte of mean luminance per fine cell


def group_count(frames: int) -> int:
    """How many fine-grid groups `frames` frames make (the last one may be shorter)."""
    return -(-frames // GROUP)


@dataclass
class VideoFingerprint:
    """Stream facts plus the per-frame and per-group arrays."""

    frame_count: int
    frame_rate: Fraction
    width: int
    height: int
    duration: float
    pts_us: npt.NDArray[np.int64]  # (N,)
    exact: npt.NDArray[np.uint8]  # (N, 16)
    dct: npt.NDArray[np.uint64]  # (N,)
    luma: npt.NDArray[np.uint8]  # (N, 64)
    detail: npt.NDArray[np.uint8]  # (N, 64)
    fine: npt.NDArray[np.uint8]  # (ceil(N / GROUP), 32, 64)
    # the checked side also keeps every frame's fine grid (N, 32, 64), to average it over
    # whichever frames align with a signed group; not part of the signed table
    frame_fine: npt.NDArray[np.uint8] | None = None
    # the checked side of a copy compared through the signed frame (frames.geometry): the
    # fine cells (32, 64) its picture does not show, compared as unchanged
    hidden: npt.NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        n = self.frame_count
        if (
            self.pts_us.shape != (n,)
            or self.exact.shape != (n, EXACT_HASH_BYTES)
            or self.dct.shape != (n,)
            or self.luma.shape != (n, CELLS)
            or self.detail.shape != (n, CELLS)
            or self.fine.shape != (group_count(n), FINE_ROWS, FINE_COLS)
            or (self.frame_fine is not None and self.frame_fine.shape != (n, FINE_ROWS, FINE_COLS))
        ):
            raise FramesDataError(f"per-frame arrays do not match frame_count={n}")

    @property
    def digest(self) -> str:
        """BLAKE3 over the packed tables: one value that pins the whole frame list."""
        return blake3.blake3(pack_tables(self)).hexdigest()

    def timestamps(self) -> npt.NDArray[np.float64]:
        """Presentation times in seconds, per frame."""
        return self.pts_us.astype(np.float64) / 1e6

    def to_dict(self) -> dict[str, Any]:
        """Stream facts only; the tables are serialised by ``assertion.encode``."""
        return {
            "frame_count": self.frame_count,
            "frame_rate": [self.frame_rate.numerator, self.frame_rate.denominator],
            "width": self.width,
            "height": self.height,
            "duration": self.duration,
            "digest": self.digest,
        }


def pack_tables(fp: VideoFingerprint) -> bytes:
    """The logical tables: N fixed-size frame records, then ceil(N/GROUP) group records."""
    rec = np.empty(fp.frame_count, dtype=RECORD_DTYPE)
    rec["pts_us"] = fp.pts_us
    rec["exact"] = fp.exact
    rec["dct"] = fp.dct
    rec["luma"] = fp.luma
    rec["detail"] = fp.detail
    return rec.tobytes() + np.ascontiguousarray(fp.fine, dtype=np.uint8).tobytes()


__all__ = [
    "EXACT_HASH_BYTES",
    "GROUP",
    "GROUP_RECORD_SIZE",
    "HASH_ALGORITHM",
    "RECORD_SIZE",
    "VideoFingerprint",
    "group_count",
    "pack_tables",
]
