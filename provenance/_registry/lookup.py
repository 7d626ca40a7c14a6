"""Find the signed original of a file in a registry: decode a little, query, stop early.

A photo is one query. A video is looked up stretch by stretch: the whole of it when it
is short (`WHOLE_MS`), else `STRETCH_MS` of frames from a few points (10%, 50%, 80% of
its duration; each stretch starts at the key frame before the point, so nothing decoded
is wasted), and the lookup stops at the first stretch that matches. Each stretch is
queried first as it is (re-encodes, rescales, bars, overlays), then under every crop
hypothesis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .._limits import pixels_within_limit
from .._media import detect
from ..errors import SoftBindingError, UnsupportedFormatError
from ..models import Geometry, LookupResult, Match
from .decode import image_analysis, video_frames, video_info
from .fingerprint import COARSE, HYPOTHESES, IDENTITY, Hypothesis
from .match import BlockTable, Candidate, rank, scan_votes
from .query import Query, image_query, video_query
from .softbinding import SoftBinding
from .store import Registry

__all__ = ["Deadline", "geometry_of", "lookup_file"]

WHOLE_MS = 12_000
"""A video up to 12 s is decoded whole."""
STRETCH_MS = 4_000
"""Longer ones 4 s at a time: 31 one-second windows, at least 3 whole signed blocks."""
STRETCH_AT = (0.1, 0.5, 0.8)


class Deadline:
    """A time limit checked between steps (the server's per-request limit)."""

    def __init__(self, seconds: float | None) -> None:
        self.at = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        """Raise `TimeoutError` once the time is up."""
        if self.at is not None and time.monotonic() > self.at:
            raise TimeoutError("the lookup ran out of time")


# (hypotheses, weak bits flipped): the picture as it is, then the crop hypotheses. The
# first round of a video flips one bit: its many windows make up for it (no recall lost
# on benchmarks/registry_accuracy.py, a fifth of the keys).
VIDEO_ROUNDS: tuple[tuple[tuple[Hypothesis, ...], int], ...] = (((IDENTITY,), 1), (COARSE, 2))
IMAGE_ROUNDS: tuple[tuple[tuple[Hypothesis, ...], int], ...] = (((IDENTITY,), 2), (HYPOTHESES, 2))


Search = Callable[[Query, int], list[Match]]


def lookup_file(
    registry: Registry,
    path: Path | str,
    *,
    max_results: int = 10,
    time_limit: float | None = None,
) -> LookupResult:
    """Look a photo or video up in `registry`; raises `UnsupportedFormatError` for anything
    else (audio, documents), `TimeoutError` past `time_limit` seconds."""

    def search(query: Query, n: int) -> list[Match]:
        return registry.search(query, max_results=n)

    kind, matches, decoded = _find(search, Path(path), max_results, Deadline(time_limit))
    return LookupResult(registry.location, str(path), kind, tuple(matches), decoded)


def geometry_of(binding: SoftBinding, path: Path | str) -> Geometry | None:
    """Where the picture signed with `binding` (a reference's soft binding) lies in the
    file at `path`, found as a lookup finds it in a registry of that one manifest; None
    when the file does not match it."""
    table = BlockTable.of(binding)
    candidate = Candidate(0, "", binding.kind, None, None, 0, table)

    def search(query: Query, n: int) -> list[Match]:
        return rank(query, [candidate], scan_votes(query, [candidate]), n)

    _, matches, _ = _find(search, Path(path), 1, Deadline(None))
    return matches[0].geometry if matches else None


def _find(
    search: Search, path: Path, max_results: int, deadline: Deadline
) -> tuple[str, list[Match], int]:
    """(kind, matches, milliseconds of video decoded) of a lookup (see the module)."""
    media = detect(path)
    if media.kind not in ("image", "video") or media.mime == "image/svg+xml":
        raise UnsupportedFormatError(f"{path}: {media.mime} cannot be looked up (photos and video)")
    if not pixels_within_limit(path, media.kind):
        raise UnsupportedFormatError(f"{path}: too large to analyse safely")
    matches: list[Match] = []
    if media.kind == "image":
        gray, size = image_analysis(path)
        for hyps, flips in IMAGE_ROUNDS:
            deadline.check()
            matches = search(image_query(gray, size, hyps, flips=flips), max_results)
            if matches:
                break
        return "image", matches, 0

    info = video_info(path)
    if info.duration_ms <= WHOLE_MS:
        plan: list[tuple[int, int | None]] = [(0, None)]
    else:
        plan = [(int(info.duration_ms * f), STRETCH_MS) for f in STRETCH_AT]
    decoded = 0
    for start, length in plan:
        frames = []
        for item in video_frames(path, start_ms=start, max_ms=length):
            frames.append(item)
            if len(frames) % 32 == 0:
                deadline.check()
        if len(frames) < 2:
            continue
        decoded += (frames[-1][0] - frames[0][0]) // 1000
        for hyps, flips in VIDEO_ROUNDS:
            deadline.check()
            try:
                query = video_query(
                    frames,
                    (info.width, info.height),
                    hyps,
                    duration_ms=info.duration_ms,
                    flips=flips,
                )
            except SoftBindingError:  # under a second of frames here
                break
            matches = search(query, max_results)
            if matches:
                return "video", matches, decoded
    return "video", matches, decoded
