"""Visual report for a FrameReport: a status timeline PNG and outlined frames of each edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from provenance.frames.compare import STATUSES
from provenance.frames.grid import Rect
from provenance.models import FrameReport, Segment

COLORS: dict[str, tuple[int, int, int]] = {
    "intact": (46, 160, 67),
    "reencoded": (120, 190, 230),
    "edited": (220, 50, 47),
    "inserted": (240, 160, 20),
    "missing": (90, 90, 90),
}
OUTLINES: tuple[tuple[int, int, int], ...] = (
    (255, 40, 40),
    (255, 230, 0),
    (0, 230, 255),
    (255, 0, 255),
    (255, 255, 255),
    (0, 0, 0),
)
"""Outline colours; each rectangle gets the one farthest from the pixels under it."""
TIMELINE_WIDTH = 1200
ROW_HEIGHT = 22
LABEL_WIDTH = 90
TITLE_HEIGHT = 28
AXIS_HEIGHT = 34
LEGEND_HEIGHT = 26
THUMB_WIDTH = 480
STRIP_FRAMES = 4  # frames shown per edited segment, spread over it
_INK = (0, 0, 0)
_GRID = (200, 200, 200)


def _timecode(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m):02d}:{s:06.3f}"


def _timeline(report: FrameReport, path: Path, title: str) -> Path:
    """One strip per status; x is the position in the aligned sequence (checked order with
    missing frames slotted in where they were), so missing spans stay visible. The axis
    below gives the checked video's time and frame number."""
    steps = [(seg, _length(seg)) for seg in report.segments]
    total = max(1, sum(n for _, n in steps))
    top = TITLE_HEIGHT
    rows_bottom = top + ROW_HEIGHT * len(STATUSES)
    height = rows_bottom + AXIS_HEIGHT + LEGEND_HEIGHT
    img = Image.new("RGB", (LABEL_WIDTH + TIMELINE_WIDTH + 80, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.text((4, 8), title, fill=_INK)
    for row, status in enumerate(STATUSES):
        y = top + row * ROW_HEIGHT
        draw.text((4, y + 5), status, fill=_INK)
        draw.rectangle(
            (LABEL_WIDTH, y + 2, LABEL_WIDTH + TIMELINE_WIDTH, y + ROW_HEIGHT - 2),
            fill=(240, 240, 240),
        )

    def x_of(pos: float) -> int:
        return LABEL_WIDTH + int(pos * TIMELINE_WIDTH / total)

    pos = 0
    anchors: list[tuple[float, float, int]] = []  # (time, position, checked frame) per frame run
    for seg, n in steps:
        row = STATUSES.index(seg.status)
        y = top + row * ROW_HEIGHT
        x0, x1 = x_of(pos), x_of(pos + n)
        # at least one pixel wide so a single dropped frame is still visible
        draw.rectangle((x0, y + 2, max(x0, x1 - 1), y + ROW_HEIGHT - 2), fill=COLORS[seg.status])
        if seg.checked_range is not None:
            anchors.append((seg.start_time, pos, seg.checked_range[0]))
            anchors.append((seg.end_time, pos + n, seg.checked_range[1] + 1))
        pos += n
    _axis(draw, anchors, x_of, rows_bottom)
    x = LABEL_WIDTH
    ly = rows_bottom + AXIS_HEIGHT + 6
    for status in STATUSES:
        draw.rectangle((x, ly, x + 14, ly + 12), fill=COLORS[status], outline=_INK)
        label = f"{status} {report.summary.get(status, 0)}"
        draw.text((x + 20, ly), label, fill=_INK)
        x += 30 + int(draw.textlength(label))
    if report.retimed is not None:
        note = f"frame rate changed {report.retimed.from_fps:g} to {report.retimed.to_fps:g} fps"
        draw.text((x + 10, ly), note, fill=_INK)
    img.save(path)
    return path


def _axis(
    draw: ImageDraw.ImageDraw,
    anchors: list[tuple[float, float, int]],
    x_of: Callable[[float], int],
    y: int,
) -> None:
    """Ticks at round times, each labelled with its timecode and checked frame number."""
    draw.line((LABEL_WIDTH, y + 2, LABEL_WIDTH + TIMELINE_WIDTH, y + 2), fill=_INK)
    if not anchors:
        return
    t0, t1 = anchors[0][0], anchors[-1][0]
    span = max(t1 - t0, 1e-3)
    step = next((s for s in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600) if span / s <= 8), 1200)
    times = np.array([a[0] for a in anchors])
    positions = np.array([a[1] for a in anchors])
    frames = np.array([a[2] for a in anchors], dtype=np.float64)
    tick = np.ceil(t0 / step) * step
    while tick <= t1 + 1e-9:
        # the checked timeline is monotonic: interpolate position and frame number
        p = float(np.interp(tick, times, positions))
        frame = min(int(np.floor(np.interp(tick, times, frames))), int(frames.max()) - 1)
        x = x_of(p)
        draw.line((x, y - ROW_HEIGHT * len(STATUSES) + 2, x, y), fill=_GRID)
        draw.line((x, y + 2, x, y + 7), fill=_INK)
        draw.text((x + 2, y + 8), _timecode(float(tick)), fill=_INK)
        draw.text((x + 2, y + 20), f"#{frame}", fill=_INK)
        tick += step


def _length(seg: Segment) -> int:
    r = seg.checked_range or seg.signed_range
    assert r is not None
    return r[1] - r[0] + 1


def write_visual_report(
    report: FrameReport, checked_path: str | Path, out_dir: str | Path, *, title: str = ""
) -> list[Path]:
    """Write timeline.png and, for each edited segment, edited_<first>-<last>.png: up to
    STRIP_FRAMES frames spread over the segment, side by side, each with its own changed
    regions outlined. Returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [_timeline(report, out / "timeline.png", title or Path(checked_path).name)]
    strips: list[tuple[Segment, list[int]]] = []
    for seg in report.segments:
        if seg.status != "edited" or seg.checked_range is None:
            continue
        first, last = seg.checked_range
        picks = sorted(set(np.linspace(first, last, STRIP_FRAMES).round().astype(int).tolist()))
        strips.append((seg, picks))
    if not strips:
        return paths
    decoded = frames_at(checked_path, [j for _, picks in strips for j in picks], report)
    for seg, picks in strips:
        shown = [outlined(decoded[j], regions_at(seg, j)) for j in picks if j in decoded]
        if not shown:
            continue
        assert seg.checked_range is not None
        first, last = seg.checked_range
        strip = Image.new("RGB", (sum(p.width for p in shown) + 4 * (len(shown) - 1),
                                  shown[0].height), (255, 255, 255))  # fmt: skip
        x = 0
        for p in shown:
            strip.paste(p, (x, 0))
            x += p.width + 4
        path = out / f"edited_{first}-{last}.png"
        strip.save(path)
        paths.append(path)
    return paths


def snapshots(
    report: FrameReport, checked_path: str | Path, *, width: int, limit: int
) -> list[tuple[int, int, list[Rect], Image.Image]]:
    """For a viewer: one frame of each edited or inserted segment (the middle one, at
    most `_SNAPSHOT_REACH` frames into it), with its changed regions outlined, scaled to at
    most `width` pixels; at most `limit` of them, edited segments first. Each is
    (segment index, checked frame, its regions, picture)."""
    chosen: list[tuple[int, int]] = []
    for status in ("edited", "inserted"):
        for k, seg in enumerate(report.segments):
            if seg.status == status and seg.checked_range is not None and len(chosen) < limit:
                first, last = seg.checked_range
                chosen.append((k, first + min((last - first) // 2, _SNAPSHOT_REACH)))
    decoded = frames_at(checked_path, [j for _, j in chosen], report)
    out = []
    for k, j in sorted(chosen):
        if j in decoded:
            regions = regions_at(report.segments[k], j)
            out.append((k, j, regions, outlined(decoded[j], regions, width=width)))
    return out


_SNAPSHOT_REACH = 30  # frames decoded past a segment's first, at most, for its snapshot


def frames_at(
    checked_path: str | Path, picks: list[int], report: FrameReport
) -> dict[int, Image.Image]:
    """The checked frames `picks`, decoded by seeking rather than from the start: each is
    counted from the first frame of the segment holding it, whose presentation time the
    report knows, so only the stretch from the key frame before that is decoded. A frame
    whose segment start is not found where the report put it is left out, never guessed."""
    anchors = sorted(
        (seg.checked_range[0], seg.start_time)
        for seg in report.segments
        if seg.checked_range is not None
    )
    runs: dict[tuple[int, float], list[int]] = {}
    for j in sorted(set(picks)):
        anchor = max((a for a in anchors if a[0] <= j), default=None)
        if anchor is not None:
            runs.setdefault(anchor, []).append(j)
    pictures: dict[int, Image.Image] = {}
    if not runs:
        return pictures
    with av.open(str(checked_path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for (first, start), wanted in sorted(runs.items()):
            pictures.update(_decode_run(container, stream, first, start, wanted))
    return pictures


def _decode_run(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    first: int,
    start: float,
    wanted: list[int],
) -> dict[int, Image.Image]:
    target = round(start * 1_000_000)  # microseconds, as the fingerprints count them
    if stream.time_base is not None:
        container.seek(int(start / stream.time_base), stream=stream, backward=True)
    found: dict[int, Image.Image] = {}
    index: int | None = None
    for frame in container.decode(stream):
        if frame.pts is None or frame.time_base is None:
            break
        us = round(frame.pts * frame.time_base * 1_000_000)
        if index is None:
            if us < target:
                continue
            if us != target:
                break
            index = first
        else:
            index += 1
        if index in wanted:
            found[index] = Image.fromarray(frame.to_ndarray(format="rgb24"))
        if index >= wanted[-1]:
            break
    return found


def regions_at(seg: Segment, frame: int) -> list[Rect]:
    """The changed regions of checked frame `frame` of the segment."""
    for run in seg.frame_regions:
        if run.first <= frame <= run.last:
            return run.regions
    return seg.regions


def outlined(picture: Image.Image, regions: list[Rect], *, width: int = THUMB_WIDTH) -> Image.Image:
    """`picture` scaled to at most `width` pixels wide, its `regions` (in the picture's own
    pixels) outlined, each in the colour that stands out most from the pixels under it."""
    scale = min(1.0, width / picture.width)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    thumb = picture.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    pixels = np.asarray(thumb, dtype=np.float64)
    draw = ImageDraw.Draw(thumb)
    line = max(2, size[0] // 160)
    for x, y, w, h in regions:
        box = (x * scale, y * scale, (x + w) * scale - 1, (y + h) * scale - 1)
        draw.rectangle(box, outline=_contrasting(pixels, box, line), width=line)
    return thumb


def _contrasting(
    pixels: npt.NDArray[np.float64], box: tuple[float, float, float, float], line: int
) -> tuple[int, int, int]:
    """The outline colour farthest from the mean colour of the pixels it would cover."""
    h, w = pixels.shape[:2]
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, int(box[2]) + 1), min(h, int(box[3]) + 1)
    if x1 <= x0 or y1 <= y0:
        return OUTLINES[0]
    mask = np.zeros((h, w), dtype=bool)
    mask[y0:y1, x0:x1] = True
    mask[y0 + line : max(y0 + line, y1 - line), x0 + line : max(x0 + line, x1 - line)] = False
    under = pixels[mask].mean(axis=0)
    return max(OUTLINES, key=lambda c: float(np.sum((np.array(c) - under) ** 2)))


__all__ = [
    "COLORS",
    "OUTLINES",
    "frames_at",
    "outlined",
    "regions_at",
    "snapshots",
    "write_visual_report",
]
