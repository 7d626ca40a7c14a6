from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from support import synth
from support.synth import ClipSet as Clips

from provenance.frames import compare_fingerprints
from provenance.frames.visual import (
    AXIS_HEIGHT,
    COLORS,
    LABEL_WIDTH,
    OUTLINES,
    ROW_HEIGHT,
    STRIP_FRAMES,
    TITLE_HEIGHT,
    write_visual_report,
)


def test_visual_report(clips: Clips, tmp_path: Path) -> None:
    rect = clips.EDIT_RECT
    path = clips.lossless(
        "visual_edit",
        lambda frames: [
            synth.replace_rect(f, rect, clips.foreign.frame(i)) if 30 <= i <= 59 else f
            for i, f in enumerate(frames)
        ][:80],
    )
    report = compare_fingerprints(clips.fingerprint(clips.original), clips.fingerprint(path))
    paths = write_visual_report(report, path, tmp_path / "out", title="visual_edit.mkv: tampered")
    assert [p.name for p in paths] == ["timeline.png", "edited_30-59.png"]

    timeline = np.asarray(Image.open(paths[0]).convert("RGB"))
    rows = timeline[TITLE_HEIGHT : TITLE_HEIGHT + 5 * ROW_HEIGHT, LABEL_WIDTH:]
    for status in ("intact", "edited", "missing"):
        assert (rows == COLORS[status]).all(axis=-1).any(), status
    assert not (rows == COLORS["inserted"]).all(axis=-1).any()
    # title, axis ticks and legend are drawn (dark text) above and below the strips
    assert (timeline[:TITLE_HEIGHT] < 100).all(axis=-1).any()
    axis = timeline[TITLE_HEIGHT + 5 * ROW_HEIGHT : TITLE_HEIGHT + 5 * ROW_HEIGHT + AXIS_HEIGHT]
    assert (axis < 100).all(axis=-1).sum() > 200
    legend = timeline[TITLE_HEIGHT + 5 * ROW_HEIGHT + AXIS_HEIGHT :]
    for status, color in COLORS.items():
        assert (legend == color).all(axis=-1).any(), status

    strip = np.asarray(Image.open(paths[1]).convert("RGB"))
    assert strip.shape[:2] == (clips.H, STRIP_FRAMES * clips.W + 4 * (STRIP_FRAMES - 1))
    first = strip[:, : clips.W]
    outline = np.zeros(first.shape[:2], dtype=bool)
    for color in OUTLINES:
        outline |= (first == color).all(axis=-1)
    ys, xs = np.nonzero(outline)
    # the outline sits on the edited rectangle
    assert outline.sum() > 100
    x, y, w, h = rect
    assert abs(xs.min() - x) <= 12 and abs(xs.max() - (x + w)) <= 12
    assert abs(ys.min() - y) <= 12 and abs(ys.max() - (y + h)) <= 12


def test_outline_contrasts_with_what_is_under_it(tmp_path: Path, clips: Clips) -> None:
    from provenance.frames.visual import outlined

    for fill in ((255, 255, 255), (0, 0, 0), (255, 40, 40)):
        picture = Image.new("RGB", (200, 100), fill)
        out = np.asarray(outlined(picture, [(50, 20, 100, 60)]))
        color = out[20, 100]
        assert np.abs(color.astype(int) - fill).sum() > 300, (fill, color)


def test_visual_report_without_edits(clips: Clips, tmp_path: Path) -> None:
    fp = clips.fingerprint(clips.original)
    paths = write_visual_report(compare_fingerprints(fp, fp), clips.original, tmp_path)
    assert [p.name for p in paths] == ["timeline.png"]


def test_frames_at_seeks_to_the_very_frames_a_full_decode_gives(
    clips: Clips, tmp_path: Path
) -> None:
    """Pictures are found by seeking from the segment's first frame, not by decoding
    from the start: the frames must be the same, key frames or not (a key frame every 8)."""
    from provenance.frames.visual import frames_at, snapshots
    from provenance.models import FrameReport, Segment

    clip = tmp_path / "gop8.mp4"
    frames = list(clips.scene.frames(90))
    synth.write_video(clip, frames, options={"crf": "18", "g": "8", "bf": "2"})
    decoded = list(synth.read_frames(clip))
    segments = [Segment("reencoded", (0, 29), (0, 29), 0.0, 1.0),
                Segment("edited", (30, 59), (30, 59), 1.0, 2.0, [(10, 10, 40, 30)]),
                Segment("reencoded", (60, 89), (60, 89), 2.0, 3.0)]  # fmt: skip
    report = FrameReport(90, 90, {"reencoded": 60, "edited": 30}, segments)
    picks = [0, 13, 30, 44, 59, 61, 89]
    found = frames_at(clip, picks, report)
    assert sorted(found) == picks
    for j in picks:
        assert np.array_equal(np.asarray(found[j]), decoded[j]), j
    ((k, j, regions, picture),) = snapshots(report, clip, width=960, limit=4)
    assert (k, j, regions) == (1, 44, [(10, 10, 40, 30)])
    assert np.asarray(picture).shape == decoded[44].shape
    # a segment whose start is not where the report puts it gives no picture, not a guess
    moved = FrameReport(90, 90, report.summary, [Segment("edited", (30, 59), (30, 59), 1.01, 2.0)])
    assert frames_at(clip, [44], moved) == {}
