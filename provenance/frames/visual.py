"""Visual report for a FrameReport: a status timeline PNG and outlined edit thumbnails."""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image, ImageDraw

from provenance.frames.compare import STATUSES
from provenance.models import FrameReport, Segment

COLORS: dict[str, tuple[int, int, int]] = {
    "intact": (46, 160, 67),
    "reencoded": (120, 190, 230),
    "edited": (220, 50, 47),
    "inserted": (240, 160, 20),
    "missing": (90, 90, 90),
}
TIMELINE_WIDTH = 1200
ROW_HEIGHT = 22
LABEL_WIDTH = 90
THUMB_WIDTH = 480


def _timeline(report: FrameReport, path: Path) -> Path:
    """One strip per status; x is the position in the aligned sequence (checked order with
    missing frames slotted in where they were), so missing spans stay visible."""
    steps = [(seg, _length(seg)) for seg in report.segments]
    total = max(1, sum(n for _, n in steps))
    height = ROW_HEIGHT * len(STATUSES) + 24
    img = Image.new("RGB", (LABEL_WIDTH + TIMELINE_WIDTH + 10, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for row, status in enumerate(STATUSES):
        y = 4 + row * ROW_HEIGHT
        draw.text((4, y + 4), status, fill=(0, 0, 0))
        draw.rectangle(
            (LABEL_WIDTH, y + 2, LABEL_WIDTH + TIMELINE_WIDTH, y + ROW_HEIGHT - 2),
            fill=(240, 240, 240),
        )
    pos = 0
    for seg, n in steps:
        row = STATUSES.index(seg.status)
        y = 4 + row * ROW_HEIGHT
        x0 = LABEL_WIDTH + pos * TIMELINE_WIDTH // total
        x1 = LABEL_WIDTH + (pos + n) * TIMELINE_WIDTH // total
        # at least one pixel wide so a single dropped frame is still visible
        draw.rectangle((x0, y + 2, max(x0, x1 - 1), y + ROW_HEIGHT - 2), fill=COLORS[seg.status])
        pos += n
    summary = ", ".join(f"{k}={v}" for k, v in report.summary.items())
    draw.text((LABEL_WIDTH, height - 18), summary, fill=(0, 0, 0))
    img.save(path)
    return path


def _length(seg: Segment) -> int:
    r = seg.checked_range or seg.signed_range
    assert r is not None
    return r[1] - r[0] + 1


def write_visual_report(
    report: FrameReport, checked_path: str | Path, out_dir: str | Path
) -> list[Path]:
    """Write timeline.png and edited_<first>-<last>.png thumbnails; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [_timeline(report, out / "timeline.png")]
    wanted: dict[int, Segment] = {}
    for seg in report.segments:
        if seg.status == "edited" and seg.checked_range is not None:
            first, last = seg.checked_range
            wanted[(first + last) // 2] = seg
    if not wanted:
        return paths
    # one streaming decode pass picks up every middle frame
    with av.open(str(checked_path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        remaining = set(wanted)
        for index, frame in enumerate(container.decode(stream)):
            if index in remaining:
                seg = wanted[index]
                rgb = frame.to_ndarray(format="rgb24")
                paths.append(_thumbnail(Image.fromarray(rgb), seg, out))
                remaining.discard(index)
                if not remaining:
                    break
    return paths


def _thumbnail(picture: Image.Image, seg: Segment, out: Path) -> Path:
    assert seg.checked_range is not None
    scale = min(1.0, THUMB_WIDTH / picture.width)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    thumb = picture.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(thumb)
    line = max(2, size[0] // 160)
    for x, y, w, h in seg.regions:
        box = (x * scale, y * scale, (x + w) * scale - 1, (y + h) * scale - 1)
        draw.rectangle(box, outline=COLORS["edited"], width=line)
    first, last = seg.checked_range
    path = out / f"edited_{first}-{last}.png"
    thumb.save(path)
    return path


__all__ = ["COLORS", "write_visual_report"]
