"""Fragmented MP4 (DASH, CMAF): each media segment checked against its init segment.

A fragmented stream is signed once, in its init segment; every media segment (`.m4s`) is
bound to that manifest by its own hash. The C2PA library validates one fragment at a
time (`Reader.with_fragment`), so each gets its own verdict, and its time range (read
from the fragment's own timing, init segment and fragment together) tells a viewer
which part of the stream fails. The stream passes only if every fragment does.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ._media import check_regular_file, open_regular
from ._read import Asset, Source, Store, context, judge, read_store, unreadable_report
from ._rules import fragments_outcome
from .errors import InputError, ManifestError
from .models import FragmentReport, VerificationReport
from .trust import Trust

__all__ = ["MAX_FRAGMENT_BYTES", "time_range", "verify_fragments"]

# A media segment holds seconds of video; one this large is not one, and is not read
# into memory to time it.
MAX_FRAGMENT_BYTES = 512 * 1024 * 1024


def verify_fragments(
    asset: Asset, source: Source, fragments: Sequence[Path], trust: Trust
) -> VerificationReport:
    """The init segment `asset` checked with each of its media segments, in order."""
    if asset.media.kind != "video":
        raise InputError(f"{asset.path}: --fragments needs the init segment of a fragmented MP4")
    ctx = context(trust)
    first: VerificationReport | None = None
    parts: list[FragmentReport] = []
    for fragment in fragments:
        check_regular_file(fragment)
        store = read_store(asset, source, ctx, fragment=fragment)
        if store is None:
            raise ManifestError(f"{asset.path}: no manifest in the init segment")
        name, mime = str(asset.path), asset.media.mime
        report = (
            judge(name, mime, source, store, trust)
            if isinstance(store, Store)
            else unreadable_report(name, mime, source, store, trust)
        )
        first = first or report
        start, end = time_range(asset.path, fragment)
        parts.append(
            FragmentReport(
                path=str(fragment),
                verdict=report.verdict,
                message=report.message,
                start_time=start,
                end_time=end,
                failures=tuple(sorted({f.code for f in report.failures})),
            )
        )
    assert first is not None, "no fragments given"
    verdict, message = fragments_outcome(
        first.verdict, first.message, ((Path(f.path).name, f.verdict) for f in parts)
    )
    return replace(first, verdict=verdict, message=message, fragments=tuple(parts))


def time_range(init: Path, fragment: Path) -> tuple[float | None, float | None]:
    """The fragment's first and last presentation times in seconds (its decode times
    from `tfdt` and sample durations), or (None, None) when they cannot be read."""
    import av  # PyAV loads only to time fragments

    try:
        if check_regular_file(fragment).st_size > MAX_FRAGMENT_BYTES:
            return None, None
        with open_regular(init) as a, open_regular(fragment) as b:
            data = a.read() + b.read()
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = next(iter(container.streams.video or container.streams), None)
            if stream is None or stream.time_base is None:
                return None, None
            times = [(p.pts, p.duration or 0) for p in container.demux(stream) if p.pts is not None]
    except (av.FFmpegError, OSError, InputError, ValueError):
        return None, None
    if not times:
        return None, None
    base = float(stream.time_base)
    start = min(t for t, _ in times) * base
    end = max(t + d for t, d in times) * base
    return round(start, 6), round(end, 6)
