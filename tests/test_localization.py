"""Localization as it meets real footage, end to end (sign, edit, verify with --reference):
small faces, the first and last frames of an edit, harmless frame-rate conversions, and a
photo whose scan data was corrupted. Frame ranges are exact."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from mediautil import SCHEMAS
from PIL import Image as PILImage
from support import synth
from typer.testing import CliRunner

from provenance import Identity, Verdict, sign, verify
from provenance.cli import app

W, H, N = 640, 360, 150
Rect = tuple[int, int, int, int]
BOX = (220, 100, 200, 150)  # 200x150: about 13% of the frame
Image = np.ndarray
# keyframes every 30 frames in the edited copies, to start and end edits on and off them
KEYINT = {"x264-params": "keyint=30:min-keyint=30:scenecut=0"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frames() -> list[Image]:
    return list(synth.Scene(W, H, seed=3).frames(N))


@pytest.fixture(scope="module")
def signed(
    tmp_path_factory: pytest.TempPathFactory, frames: list[Image], identity: Identity
) -> Path:
    folder = tmp_path_factory.mktemp("localization")
    raw = folder / "camera.mp4"
    synth.write_video(raw, frames, options={"crf": "16", "preset": "veryfast", "threads": "1"})
    out = folder / "clip.signed.mp4"
    sign(raw, out, identity=identity, source_type="digitalCreation")
    return out


def _edited(
    signed: Path, dst: Path, edit: Callable[[int, Image], Image], keyint: bool = True
) -> Path:
    """Decode, edit, re-encode (CRF 23): what an editing or face-swap tool does; the
    manifest is gone, so verification uses --reference."""
    options = {"crf": "23", "preset": "veryfast", "threads": "1", **(KEYINT if keyint else {})}
    pictures = (edit(i, img) for i, img in enumerate(synth.read_frames(signed)))
    synth.write_video(dst, pictures, options=options)
    return dst


def _segments(frames_report: dict[str, object]) -> list[tuple[str, object, object]]:
    segments = frames_report["segments"]
    assert isinstance(segments, list)
    return [(s["status"], s["checked_range"], s["signed_range"]) for s in segments]


def _check(path: Path, signed: Path) -> dict[str, object]:
    report = verify(path, reference=signed)
    assert report.verdict is Verdict.TAMPERED and report.frames is not None
    frames = report.frames.to_dict()  # the JSON, as `verify --json` prints it
    jsonschema.validate(frames, json.loads((SCHEMAS / "frames-report.schema.json").read_text()))
    return frames


def _box(first: int, last: int) -> Callable[[int, Image], Image]:
    def edit(i: int, img: Image) -> Image:
        if first <= i <= last:
            x, y, w, h = BOX
            img = img.copy()
            img[y : y + h, x : x + w] = (200, 40, 40)
        return img

    return edit


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (60, 89),  # the reported case: starts on a keyframe, ends on the frame before one
        (45, 74),  # starts and ends off keyframes
        (0, 29),  # starts on frame 0
        (120, 149),  # ends on the last frame
    ],
)
def test_edit_is_never_a_cut(signed: Path, tmp_path: Path, first: int, last: int) -> None:
    path = _edited(signed, tmp_path / "box.mp4", _box(first, last))
    frames = _check(path, signed)
    expected = [("edited", [first, last], [first, last])]
    if first > 0:
        expected.insert(0, ("reencoded", [0, first - 1], [0, first - 1]))
    if last < N - 1:
        expected.append(("reencoded", [last + 1, N - 1], [last + 1, N - 1]))
    assert _segments(frames) == expected
    edited = next(s for s in frames["segments"] if s["status"] == "edited")  # type: ignore[attr-defined]
    found = synth.union_rect(tuple(r) for r in edited["regions"])
    assert found is not None and synth.iou(found, BOX) > 0.7, edited["regions"]


def _moving_face(
    share: float, first: int, last: int
) -> tuple[Callable[[int, Image], Image], dict[int, Rect]]:
    side = int(round((share * W * H) ** 0.5))
    truth: dict[int, Rect] = {}

    def edit(i: int, img: Image) -> Image:
        if not first <= i <= last:
            return img
        rect = (200 + i, 120, side, side)  # walks right at 30 px/s
        truth[i] = rect
        return synth.paste_object(img, rect)

    return edit, truth


def test_small_face_found_frame_by_frame(signed: Path, tmp_path: Path) -> None:
    # a face of 1% of the frame: smaller than one coarse cell, found on exactly its frames,
    # with rectangles that follow it
    edit, truth = _moving_face(0.01, 40, 119)
    path = _edited(signed, tmp_path / "face.mp4", edit, keyint=False)
    frames = _check(path, signed)
    assert _segments(frames) == [
        ("reencoded", [0, 39], [0, 39]),
        ("edited", [40, 119], [40, 119]),
        ("reencoded", [120, 149], [120, 149]),
    ]
    runs = frames["segments"][1]["frame_regions"]  # type: ignore[index]
    assert len(runs) >= 2  # the face moves 80 px: its rectangle moves with it
    per_frame = {j: r["regions"] for r in runs for j in range(r["frames"][0], r["frames"][1] + 1)}
    assert sorted(per_frame) == list(range(40, 120))
    hits = [max(synth.iou(tuple(q), truth[j]) for q in per_frame[j]) for j in range(40, 120)]
    assert min(hits) > 0.2 and np.mean(hits) > 0.4, hits


def test_quarter_percent_face_is_found(signed: Path, tmp_path: Path) -> None:
    # 0.25% of the frame (a 24 px face here): found on nearly all its frames, never far
    # outside them
    edit, _ = _moving_face(0.0025, 32, 127)
    frames = _check(_edited(signed, tmp_path / "tiny.mp4", edit, keyint=False), signed)
    edited = [s for s in frames["segments"] if s["status"] == "edited"]  # type: ignore[attr-defined]
    found = {j for s in edited for j in range(s["checked_range"][0], s["checked_range"][1] + 1)}
    assert len(found & set(range(32, 128))) >= 0.9 * 96
    assert found <= set(range(32 - 4, 128 + 4))
    assert frames["summary"]["missing"] == frames["summary"]["inserted"] == 0  # type: ignore[index]


def test_frame_rate_change_is_reported_once(signed: Path, tmp_path: Path) -> None:
    # ffmpeg -i clip.signed.mp4 -r 25 r25.mp4: drops every sixth frame, edits nothing
    path = tmp_path / "r25.mp4"
    synth.retime(signed, path, 25)
    frames = _check(path, signed)
    assert frames["retimed"] == {"from_fps": 30.0, "to_fps": 25.0, "dropped": 25, "duplicated": 0}
    assert frames["summary"] == {
        "intact": 0,
        "reencoded": 125,
        "edited": 0,
        "inserted": 0,
        "missing": 0,
    }
    assert _segments(frames) == [("reencoded", [0, 124], [0, 149])]
    human = CliRunner().invoke(
        app, ["verify", str(path), "--reference", str(signed)], terminal_width=160
    )
    assert human.output.count("frame rate changed 30 to 25 fps") == 1, human.output
    assert "missing" not in human.output.split("frames", 1)[1].splitlines()[0]


def test_cut_in_a_retimed_copy_is_still_missing(signed: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mkv"
    kept = (f for i, f in enumerate(synth.read_frames(signed)) if not 60 <= i <= 74)
    synth.write_video(cut, kept, codec="ffv1")
    path = tmp_path / "cut25.mp4"
    synth.retime(cut, path, 25)
    frames = _check(path, signed)
    assert frames["retimed"] is not None
    assert ("missing", None, [60, 74]) in _segments(frames)
    assert frames["summary"]["missing"] == 15  # type: ignore[index]
    assert frames["summary"]["edited"] == frames["summary"]["inserted"] == 0  # type: ignore[index]


def test_corrupted_jpeg_scan_regions_cover_changed_pixels(
    identity: Identity, tmp_path: Path
) -> None:
    # a photo whose JPEG scan data is damaged on rows 400-599, the manifest kept: regions
    # cover the damaged rows, and none lies over pixels identical to the original
    picture = synth.Scene(800, 1000, seed=5).frame(3)
    photo = tmp_path / "photo.jpg"
    PILImage.fromarray(picture).save(photo, quality=90, restart_marker_rows=1)
    signed_photo = tmp_path / "photo.signed.jpg"
    sign(photo, signed_photo, identity=identity, source_type="digitalCreation")
    with PILImage.open(signed_photo) as im:
        before = np.asarray(im.convert("RGB"), dtype=np.int16)
    data = bytearray(signed_photo.read_bytes())
    # restart markers FFD0-FFD7 after the last start of scan separate the 16-pixel MCU rows
    sos = data.rfind(b"\xff\xda")
    markers = [
        k for k in range(sos, len(data) - 1) if data[k] == 0xFF and 0xD0 <= data[k + 1] <= 0xD7
    ]
    for row in range(400 // 16, 600 // 16):  # interval `row` follows marker row - 1
        start, end = markers[row - 1] + 2, markers[row]
        for k in range(start + 4, end - 4, 40):
            # leave byte stuffing (FF 00) alone and never make a new FF: the decoder must
            # still find every marker, as it does with bit errors in transit
            if data[k] != 0xFF and data[k - 1] != 0xFF and data[k] ^ 0x10 != 0xFF:
                data[k] ^= 0x10
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(bytes(data))
    with PILImage.open(damaged) as im:
        after = np.asarray(im.convert("RGB"), dtype=np.int16)
    changed = np.abs(after - before).max(axis=-1) > 0
    rows = np.flatnonzero(changed.any(axis=1))
    assert rows.min() >= 400 - 16 and rows.max() < 600 + 16

    report = verify(damaged)
    assert report.verdict is Verdict.TAMPERED and report.regions
    covered = np.zeros_like(changed)
    for x, y, w, h in report.regions:
        inside = changed[y : y + h, x : x + w]
        assert inside.any(), (report.regions, "a region over identical pixels")
        assert inside.mean() > 0.5, (report.regions, "a region mostly over unchanged pixels")
        covered[y : y + h, x : x + w] = True
    assert (covered & changed).sum() > 0.8 * changed.sum()
