"""What a lookup sends: the fingerprints of a checked file, as windows of its timeline.

A registry stores one value per whole second of the *signed* video. A stripped copy may be
an excerpt starting anywhere, so the query computes one-second windows starting every
`PHASE_MS` of its own timeline: one of them starts within 50 ms of each signed block.
Each window is described under one or more crop hypotheses (`fingerprint.HYPOTHESES`),
and carries the order in which its key bits are least certain, so the registry can probe
the keys a re-encode most likely flipped.

The query travels to an HTTP registry as the `value` of `/matches/byBinding` for our
algorithm: `encode()` below, base64 in the JSON body (documented in docs/registry.md).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import SoftBindingError
from .fingerprint import (
    BLOCK_MS,
    HYPOTHESES,
    KEY_BITS,
    REGIONS,
    Box,
    Hypothesis,
    Regions,
    content_box,
    core_rect,
    fine_grid,
    signature,
)

__all__ = ["PHASE_MS", "Probe", "Query", "image_query", "video_query"]

PHASE_MS = 100
"""Window starts are tried every 100 ms: at most 50 ms off a signed block (5% of it)."""
WEAK_BITS = 10
"""How many of a window's least certain key bits the registry may flip when probing."""
_MIN_FRAMES = 3  # a window needs a few frames to stand for its second
_HYPOTHESIS = {h: i for i, h in enumerate(HYPOTHESES)}  # its index (tuple.index: 12 ms)

Gray = npt.NDArray[np.uint8]
_MAGIC = b"PQ\x01"
# magic, kind, flips, width, height, content box, duration, probe count
_HEAD = struct.Struct("<3sBBHH4BII")
_PROBE = struct.Struct("<IBQ10s")  # start, hypothesis, core hash, weak key bits


@dataclass(frozen=True)
class Probe:
    """One window of the checked file under one crop hypothesis."""

    start_ms: int  # window start in the checked file's timeline; a still: BLOCK_MS x region
    hyp: int  # index into fingerprint.HYPOTHESES
    core: int
    weak: bytes  # key-bit indices, least certain first (WEAK_BITS of them)


@dataclass(frozen=True)
class Query:
    """The fingerprint of a checked file (or of a few stretches of it)."""

    kind: str  # "video" or "image"
    width: int  # checked picture size in pixels
    height: int
    box: Box  # content box of the checked picture, analysis pixels
    probes: tuple[Probe, ...]
    duration_ms: int = 0  # of the checked video (0: a still, or unknown)
    flips: int = 2  # how many of a window's weak key bits the registry may flip (0-2)

    def hypotheses(self) -> set[int]:
        """How many crop hypotheses the query's windows were computed under."""
        return {p.hyp for p in self.probes}

    def encode(self) -> bytes:
        """The binary query value (see the module docstring)."""
        head = _HEAD.pack(
            _MAGIC,
            0 if self.kind == "video" else 1,
            self.flips,
            min(self.width, 65535),
            min(self.height, 65535),
            *self.box,
            self.duration_ms,
            len(self.probes),
        )
        body = b"".join(
            _PROBE.pack(p.start_ms, p.hyp, p.core, p.weak.ljust(WEAK_BITS, b"\xff"))
            for p in self.probes
        )
        return head + body

    @classmethod
    def decode(cls, data: bytes, *, max_probes: int = 20_000) -> Query:
        """Parse a query value; raises `SoftBindingError` when malformed."""
        if len(data) < _HEAD.size:
            raise SoftBindingError("query value too short")
        magic, kind, flips, width, height, x0, y0, x1, y1, duration, n = _HEAD.unpack_from(data)
        if magic != _MAGIC or kind > 1 or flips > 2 or not 0 < n <= max_probes:
            raise SoftBindingError("not a query value of this algorithm, or too many probes")
        if len(data) != _HEAD.size + n * _PROBE.size or not (x0 < x1 and y0 < y1):
            raise SoftBindingError("query value has the wrong length or content box")
        probes = []
        for i in range(n):
            start, hyp, core, weak = _PROBE.unpack_from(data, _HEAD.size + i * _PROBE.size)
            if hyp >= len(HYPOTHESES):
                raise SoftBindingError("query value names an unknown crop hypothesis")
            weak = weak.rstrip(b"\xff")
            if any(b >= KEY_BITS for b in weak):
                raise SoftBindingError("query value names a key bit out of range")
            if kind == 1 and (start % BLOCK_MS or start // BLOCK_MS > len(REGIONS)):
                raise SoftBindingError("query value names a block a still does not have")
            probes.append(Probe(start, hyp, core, weak))
        kind_name = "video" if kind == 0 else "image"
        return cls(kind_name, width, height, (x0, y0, x1, y1), tuple(probes), duration, flips)


def _describe(
    mean: npt.NDArray[np.float32], start_ms: int, hyps: Sequence[int]
) -> tuple[Box, list[Probe]]:
    box = content_box(mean)
    probes = []
    for h in hyps:
        core, strength, _ = signature(mean, core_rect(box, HYPOTHESES[h]))
        weak = bytes(int(i) for i in np.argsort(strength[:KEY_BITS], kind="stable")[:WEAK_BITS])
        probes.append(Probe(start_ms, h, core, weak))
    return box, probes


def video_query(
    frames: Sequence[tuple[int, Gray]],
    size: tuple[int, int],
    hypotheses: Sequence[Hypothesis] = (HYPOTHESES[0],),
    *,
    duration_ms: int = 0,
    flips: int = 2,
    phase_ms: int = PHASE_MS,
) -> Query:
    """The query for decoded frames ((pts in microseconds, analysis image), in
    presentation order; one or more contiguous stretches)."""
    hyps = [_HYPOTHESIS[h] for h in hypotheses]
    if not frames:
        raise SoftBindingError("no frames to look up")
    times = np.array([t for t, _ in frames], dtype=np.int64) // 1000
    stack = np.stack([g for _, g in frames]).astype(np.float32)
    cum = np.concatenate([np.zeros((1, *stack.shape[1:]), np.float64), stack.cumsum(0)])
    # a stretch ends where the next frame is more than half a second later
    breaks = np.nonzero(np.diff(times) > BLOCK_MS // 2)[0] + 1
    probes: list[Probe] = []
    boxes: list[Box] = []
    for lo, hi in zip(np.r_[0, breaks], np.r_[breaks, len(times)], strict=True):
        t = times[lo:hi]
        step = float(np.median(np.diff(t))) if hi - lo > 1 else float(BLOCK_MS)
        start = int(t[0])
        while start + BLOCK_MS <= t[-1] + step + 1:
            i = lo + int(np.searchsorted(t, start))
            j = lo + int(np.searchsorted(t, start + BLOCK_MS))
            if j - i >= _MIN_FRAMES:
                mean = ((cum[j] - cum[i]) / (j - i)).astype(np.float32)
                box, ps = _describe(mean, start, hyps)
                boxes.append(box)
                probes.extend(ps)
            start += phase_ms
    if not probes:
        raise SoftBindingError("too short to look up: a lookup needs at least a second")
    box = _median_box(boxes)
    return Query("video", size[0], size[1], box, tuple(probes), duration_ms, flips)


def image_query(
    gray: Gray,
    size: tuple[int, int],
    hypotheses: Sequence[Hypothesis] = (HYPOTHESES[0],),
    *,
    flips: int = 2,
    regions: bool = True,
) -> Query:
    """The query for a still image's analysis image: its whole picture's probe (start 0)
    and, unless `regions` is False, one per regional window that is not flat, numbered
    as the signed blocks are (start `BLOCK_MS` times the region: 1-16), without weak
    bits."""
    hyps = [_HYPOTHESIS[h] for h in hypotheses]
    box, probes = _describe(gray.astype(np.float32), 0, hyps)
    if regions:
        found = Regions(fine_grid(gray), box, [HYPOTHESES[h] for h in hyps])
        for j, h in enumerate(hyps):
            for i in np.nonzero(~found.flat)[0]:  # asked as it is: half must align, not each
                probes.append(Probe(int(i + 1) * BLOCK_MS, h, int(found.bits[j, i]), b""))
    return Query("image", size[0], size[1], box, tuple(probes), flips=flips)


def _median_box(boxes: Sequence[Box]) -> Box:
    arr = np.array(boxes)
    x0, y0, x1, y1 = (int(v) for v in np.median(arr, axis=0))
    return (x0, y0, x1, y1)
