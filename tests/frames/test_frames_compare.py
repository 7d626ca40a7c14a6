from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import numpy.typing as npt
import pytest
from support import synth
from support.synth import ClipSet as Clips

from provenance.frames import (
    FrameReport,
    assertion,
    compare_fingerprints,
    compare_video,
    fingerprint_video,
)
from provenance.frames.features import FINE_COLS, FINE_ROWS
from provenance.frames.table import GROUP, VideoFingerprint

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "frames-report.schema.json").read_text()
)


def _check(clips: Clips, path: Path, signed: Path | None = None) -> dict[str, Any]:
    report = compare_fingerprints(
        clips.fingerprint(signed or clips.original), clips.fingerprint(path)
    )
    d = report.to_dict()
    jsonschema.validate(d, SCHEMA, cls=jsonschema.Draft202012Validator)
    return d


def _segments(d: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(s["status"], s["checked_range"], s["signed_range"]) for s in d["segments"]]


def test_identical_is_all_intact(clips: Clips) -> None:
    d = _check(clips, clips.original)
    assert _segments(d) == [("intact", [0, 89], [0, 89])]
    assert d["summary"] == {"intact": 90, "reencoded": 0, "edited": 0, "inserted": 0, "missing": 0}
    assert d["segments"][0]["start_time"] == 0.0
    assert abs(d["segments"][0]["end_time"] - 3.0) < 0.01


def test_region_edit(clips: Clips) -> None:
    rect = clips.EDIT_RECT

    def make(frames: list[np.ndarray]) -> list[np.ndarray]:
        return [
            synth.replace_rect(f, rect, clips.foreign.frame(i)) if 30 <= i <= 59 else f
            for i, f in enumerate(frames)
        ]

    d = _check(clips, clips.lossless("region_edit", make))
    assert _segments(d) == [
        ("intact", [0, 29], [0, 29]),
        ("edited", [30, 59], [30, 59]),
        ("intact", [60, 89], [60, 89]),
    ]
    edited = d["segments"][1]
    assert abs(edited["start_time"] - 1.0) < 0.01 and abs(edited["end_time"] - 2.0) < 0.01
    found = synth.union_rect(tuple(r) for r in edited["regions"])
    assert found is not None and synth.iou(found, rect) > 0.5


def test_blur_edit_located(clips: Clips) -> None:
    rect = (200, 120, 80, 60)

    def make(frames: list[np.ndarray]) -> list[np.ndarray]:
        return [synth.blur_rect(f, rect, 5) if 40 <= i <= 69 else f for i, f in enumerate(frames)]

    d = _check(clips, clips.lossless("blur_edit", make))
    edited = [s for s in d["segments"] if s["status"] == "edited"]
    assert [s["checked_range"] for s in edited] == [[40, 69]]
    found = synth.union_rect(tuple(r) for r in edited[0]["regions"])
    assert found is not None and synth.iou(found, rect) > 0.5


def test_dropped_frames(clips: Clips) -> None:
    d = _check(clips, clips.lossless("drop", lambda f: f[:10] + f[15:]))
    assert _segments(d) == [
        ("intact", [0, 9], [0, 9]),
        ("missing", None, [10, 14]),
        ("intact", [10, 84], [15, 89]),
    ]
    missing = d["segments"][1]
    # missing segments carry the signed timestamps
    assert abs(missing["start_time"] - 10 / 30) < 0.01
    assert abs(missing["end_time"] - 15 / 30) < 0.01


def test_inserted_frames(clips: Clips) -> None:
    foreign = list(clips.foreign.frames(20, start=200))
    d = _check(clips, clips.lossless("insert", lambda f: f[:50] + foreign + f[50:]))
    assert _segments(d) == [
        ("intact", [0, 49], [0, 49]),
        ("inserted", [50, 69], None),
        ("intact", [70, 109], [50, 89]),
    ]
    assert d["summary"]["inserted"] == 20 and d["checked_frame_count"] == 110


def test_trim(clips: Clips) -> None:
    d = _check(clips, clips.lossless("trim", lambda f: f[5:83]))
    assert _segments(d) == [
        ("missing", None, [0, 4]),
        ("intact", [0, 77], [5, 82]),
        ("missing", None, [83, 89]),
    ]


def test_duplicated_and_replaced_frames(clips: Clips) -> None:
    # frame 20 shown twice, frames 60-62 swapped for foreign ones
    foreign = list(clips.foreign.frames(3, start=500))
    d = _check(
        clips, clips.lossless("dup", lambda f: f[:21] + f[20:21] + f[21:60] + foreign + f[63:])
    )
    s = d["summary"]
    assert (s["inserted"], s["missing"], s["edited"]) == (4, 3, 0)
    assert ("missing", None, [60, 62]) in _segments(d)
    assert ("inserted", [61, 63], None) in _segments(d)


def test_reencode_is_reencoded_not_edited(clips: Clips) -> None:
    out = clips.root / "reencode_crf30.mp4"
    if not out.exists():
        synth.transcode(clips.lossy, out, crf=30)
    d = _check(clips, out, signed=clips.lossy)
    assert _segments(d) == [("reencoded", [0, 89], [0, 89])]
    assert d["summary"]["edited"] == 0


def test_rescaled_reencode_and_edit_coordinates(clips: Clips) -> None:
    # 0.75 scale: no edit -> reencoded; regions are reported in the checked video's pixels
    out = clips.root / "rescaled.mp4"
    if not out.exists():
        synth.transcode(clips.lossy, out, crf=23, scale=0.75)
    d = _check(clips, out, signed=clips.lossy)
    assert d["summary"]["reencoded"] == 90 and d["summary"]["edited"] == 0

    rect = clips.EDIT_RECT
    scaled = tuple(int(v * 0.75) for v in rect)
    edited_path = clips.root / "rescaled_edit.mp4"
    if not edited_path.exists():
        synth.transcode(
            clips.lossy,
            edited_path,
            crf=23,
            scale=0.75,
            edit=lambda i, img: (
                synth.replace_rect(img, scaled, synth.Scene(240, 180, seed=9).frame(i))  # type: ignore[arg-type]
                if 30 <= i <= 59
                else img
            ),
        )
    d = _check(clips, edited_path, signed=clips.lossy)
    edited = [s for s in d["segments"] if s["status"] == "edited"]
    assert [s["checked_range"] for s in edited] == [[30, 59]]
    found = synth.union_rect(tuple(r) for r in edited[0]["regions"])
    assert found is not None and synth.iou(found, scaled) > 0.5  # type: ignore[arg-type]


def test_compare_video_progress(clips: Clips) -> None:
    calls: list[tuple[int, int | None]] = []
    signed = clips.fingerprint(clips.original)
    report = compare_video(signed, clips.original, progress=lambda d, t: calls.append((d, t)))
    assert isinstance(report, FrameReport) and report.unchanged
    assert calls[-1] == (90, 90)


def test_empty_checked_video_all_missing(clips: Clips) -> None:
    fp = clips.fingerprint(clips.original)
    short = clips.fingerprint(clips.lossless("two", lambda f: f[40:42]))
    d = compare_fingerprints(fp, short).to_dict()
    assert _segments(d) == [
        ("missing", None, [0, 39]),
        ("intact", [0, 1], [40, 41]),
        ("missing", None, [42, 89]),
    ]


def test_verify_flow_through_assertion_json(clips: Clips) -> None:
    # signer embeds encode(fp) as JSON; verifier decodes it and compares with the file
    data = json.loads(json.dumps(assertion.encode(clips.fingerprint(clips.original))))
    signed = assertion.decode(data)
    rect = clips.EDIT_RECT
    path = clips.lossless(
        "verify_flow",
        lambda frames: [
            synth.paste_object(f, rect) if 45 <= i <= 52 else f for i, f in enumerate(frames)
        ],
    )
    d = compare_video(signed, path).to_dict()
    assert _segments(d) == [
        ("intact", [0, 44], [0, 44]),
        ("edited", [45, 52], [45, 52]),
        ("intact", [53, 89], [53, 89]),
    ]
    found = synth.union_rect(tuple(r) for r in d["segments"][1]["regions"])
    assert found is not None and synth.iou(found, rect) > 0.5


def test_retimed_frames_stay_intact(clips: Clips) -> None:
    # same pictures at 25 fps: timestamps change, content does not
    path = clips.root / "retimed.mkv"
    if not path.exists():
        synth.write_video(path, clips.frames, fps=25, codec="ffv1")
    d = _check(clips, path)
    assert _segments(d) == [("intact", [0, 89], [0, 89])]
    assert abs(d["segments"][0]["end_time"] - 90 / 25) < 0.01
    # slowed down, not converted: the frames keep neither their times nor a retimed note
    assert d["retimed"] is None


@pytest.mark.parametrize(("fps_in", "fps_out"), [(60, 30), (25, 30)])
def test_frame_rate_conversion_is_not_a_cut(tmp_path: Path, fps_in: int, fps_out: int) -> None:
    # 60 to 30 fps drops every other frame; 25 to 30 shows every fifth frame twice
    n = 2 * fps_in
    master = tmp_path / "master.mp4"
    options = {"crf": "16", "preset": "veryfast", "threads": "1"}
    synth.write_video(master, synth.Scene(320, 240, seed=4).frames(n), fps=fps_in, options=options)
    converted = tmp_path / "converted.mp4"
    shown = synth.retime(master, converted, fps_out)
    d = compare_video(fingerprint_video(master), converted).to_dict()
    jsonschema.validate(d, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert d["retimed"] == {
        "from_fps": float(fps_in),
        "to_fps": float(fps_out),
        "dropped": n - len(set(shown)),
        "duplicated": len(shown) - len(set(shown)),
    }
    assert (d["summary"]["missing"], d["summary"]["inserted"]) == (0, 0)
    assert d["summary"]["edited"] == 0
    assert _segments(d) == [("reencoded", [0, len(shown) - 1], [min(shown), max(shown)])]


def test_small_region_found_per_group_with_frame_regions(clips: Clips) -> None:
    # a 24x24 patch (0.75% of the frame), below the coarse grid's reach, on frames 40-79:
    # found on the fine grid, with per-frame rectangles in the report
    rect = (150, 100, 24, 24)

    def make(frames: list[np.ndarray]) -> list[np.ndarray]:
        return [synth.paste_object(f, rect) if 40 <= i <= 79 else f for i, f in enumerate(frames)]

    d = _check(clips, clips.lossless("small", make))
    assert ("edited", [40, 79], [40, 79]) in _segments(d)
    seg = next(s for s in d["segments"] if s["status"] == "edited")
    covered = [j for r in seg["frame_regions"] for j in range(r["frames"][0], r["frames"][1] + 1)]
    assert covered == list(range(40, 80))
    assert max(synth.iou(tuple(r), rect) for r in seg["regions"]) > 0.3


def _fine_edit_pair(
    pan: list[float], edit: list[float], rect: tuple[int, int, int, int]
) -> tuple[VideoFingerprint, VideoFingerprint]:
    """Signed and checked fingerprints (no decoding) of a re-encode whose fine cells in
    `rect` (row, col, rows, cols) are brightened by edit[i] on frame i; the camera pans
    across a brightness gradient by pan[i] cells. The coarse grids are those of the signed
    side (the edit is below their reach), so only the fine grid places it."""
    n = len(edit)
    rng = np.random.default_rng(5)
    cols = np.arange(FINE_COLS + 16, dtype=np.float64)
    scene = 40 + 2.0 * cols[None, :] + rng.normal(0, 2, (FINE_ROWS, cols.size))
    frames = np.stack([scene[:, round(p) : round(p) + FINE_COLS] for p in pan])
    checked = frames + rng.integers(-1, 2, frames.shape)  # codec noise
    r, c, h, w = rect
    checked[:, r : r + h, c : c + w] += np.asarray(edit)[:, None, None]

    def build(exact: npt.NDArray[np.uint8], fine: npt.NDArray[np.float64]) -> VideoFingerprint:
        groups = [fine[g : g + GROUP].mean(axis=0) for g in range(0, n, GROUP)]
        return VideoFingerprint(
            frame_count=n,
            frame_rate=Fraction(30),
            width=1280,
            height=720,
            duration=n / 30,
            pts_us=np.arange(n, dtype=np.int64) * 1_000_000 // 30,
            exact=exact,
            dct=rng.integers(0, 2**63, n, dtype=np.uint64),
            luma=np.full((n, 64), 128, dtype=np.uint8),
            detail=np.full((n, 64), 90, dtype=np.uint8),
            fine=np.clip(np.rint(groups), 0, 255).astype(np.uint8),
            frame_fine=np.clip(np.rint(fine), 0, 255).astype(np.uint8),
        )

    signed = build(rng.integers(0, 256, (n, 16), dtype=np.uint8), frames)
    other = build(rng.integers(0, 256, (n, 16), dtype=np.uint8), checked)
    other.dct, other.luma, other.detail = signed.dct, signed.luma, signed.detail
    return signed, other


def test_edit_inside_a_group_keeps_its_own_frames() -> None:
    # a small edit (6 fine cells, 0.3% of the frame) from frame 20 to the end of a 64-frame
    # clip. In group 0 the camera pans for its first 5 frames: they differ from the group's
    # mean along the edit's cells too, but gradually, not by the jump where the edit starts,
    # so they stay unedited. In group 1 the edit fades out (a dissolve) to the last frame:
    # its last frames follow the change less and less, but no frame-to-frame jump ends it
    # before the video does.
    pan = [3.0 * (5 - i) if i < 5 else 0.0 for i in range(64)]
    edit = [0.0] * 20 + [24.0] * 12 + list(np.linspace(24, 3, 32))
    signed, checked = _fine_edit_pair(pan, edit, (12, 30, 2, 3))
    d = compare_fingerprints(signed, checked).to_dict()
    jsonschema.validate(d, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert _segments(d) == [("reencoded", [0, 19], [0, 19]), ("edited", [20, 63], [20, 63])]
    x, y, w, h = d["segments"][1]["regions"][0]
    assert (x, y, w, h) == (600, 270, 60, 45), d["segments"][1]["regions"]


def test_faint_edit_over_a_few_fine_cells_is_found_by_their_blocks() -> None:
    # 2x3 fine cells (a face of 0.3% of the frame) brightened by 2 levels throughout:
    # each cell stays at 0.6 of its threshold, the 2x2 blocks inside the edit reach 1.2
    signed, checked = _fine_edit_pair([0.0] * 64, [2.0] * 64, (12, 30, 2, 3))
    d = compare_fingerprints(signed, checked).to_dict()
    assert _segments(d) == [("edited", [0, 63], [0, 63])]
    assert d["segments"][0]["regions"] == [[600, 270, 60, 45]]


def test_one_fine_cell_changed_in_consecutive_groups_is_found() -> None:
    # a face of 0.25% of the frame may change one fine cell only (1.4 times its threshold
    # here, its neighbours not at all): no neighbouring cell supports it, the same place in
    # the next group does
    signed, checked = _fine_edit_pair([0.0] * 64, [5.0] * 64, (12, 30, 1, 1))
    d = compare_fingerprints(signed, checked).to_dict()
    assert _segments(d) == [("edited", [0, 63], [0, 63])]
    assert d["segments"][0]["regions"] == [[600, 270, 20, 22]]


def test_one_fine_cell_changed_in_one_group_is_noise() -> None:
    # the same change in one group only stands alone in space and time: a codec peak
    signed, checked = _fine_edit_pair([0.0] * 64, [5.0] * 32 + [0.0] * 32, (12, 30, 1, 1))
    d = compare_fingerprints(signed, checked).to_dict()
    assert _segments(d) == [("reencoded", [0, 63], [0, 63])]


def test_rectangles_around_changed_cells() -> None:
    # 8-connected groups of cells over 1 (NaN and exactly 1 are unchanged), in row-major
    # order of their first cell; a weak border row or column is pulled in by the share of
    # the group's peak it misses (REFINE_FRACTION of it): 10 px cells on an 80 px picture.
    from provenance.frames.grid import cells_to_rects

    score = np.zeros((8, 8))
    score[1, 1], score[1, 2], score[2, 3] = 4.0, 2.0, 3.0  # one group (diagonal contact)
    score[5, 5], score[5, 6] = np.nan, 1.0
    score[6, 0] = 3.0
    assert cells_to_rects(score.ravel(), 80, 80) == [(10, 10, 29, 19), (0, 60, 10, 10)]
    assert cells_to_rects(np.zeros(64), 80, 80) == []
