from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from support import synth
from support.synth import ClipSet as Clips

from provenance.frames import compare_fingerprints
from provenance.frames.visual import COLORS, write_visual_report


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
    paths = write_visual_report(report, path, tmp_path / "out")
    assert [p.name for p in paths] == ["timeline.png", "edited_30-59.png"]

    timeline = np.asarray(Image.open(paths[0]).convert("RGB"))
    for status in ("intact", "edited", "missing"):
        assert (timeline == COLORS[status]).all(axis=-1).any(), status
    assert not (timeline == COLORS["inserted"]).all(axis=-1).any()

    thumb = np.asarray(Image.open(paths[1]).convert("RGB"))
    assert thumb.shape[:2] == (clips.H, clips.W)
    red = (thumb == COLORS["edited"]).all(axis=-1)
    ys, xs = np.nonzero(red)
    # the outline sits on the edited rectangle
    assert red.sum() > 100
    x, y, w, h = rect
    assert abs(xs.min() - x) <= 12 and abs(xs.max() - (x + w)) <= 12
    assert abs(ys.min() - y) <= 12 and abs(ys.max() - (y + h)) <= 12


def test_visual_report_without_edits(clips: Clips, tmp_path: Path) -> None:
    fp = clips.fingerprint(clips.original)
    paths = write_visual_report(compare_fingerprints(fp, fp), clips.original, tmp_path)
    assert [p.name for p in paths] == ["timeline.png"]
