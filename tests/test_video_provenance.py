"""Frame-level provenance end to end: sign a video, edit it the way face-swap pipelines
do (decode, change frames, re-encode), and verify which frames and regions changed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from mediautil import SCHEMAS, transplant_manifest
from support.synth import Scene, iou, read_frames, replace_rect, write_video
from typer.testing import CliRunner

from provenance import Identity, Verdict, sign, verify
from provenance.cli import app

W, H, N = 320, 240, 90
RECT = (80, 60, 80, 60)  # a face-sized 1/16 of the frame
Image = np.ndarray


@pytest.fixture(scope="module")
def scene_frames() -> list[Image]:
    return list(Scene(W, H, seed=3).frames(N))


@pytest.fixture(scope="module")
def signed_clip(
    tmp_path_factory: pytest.TempPathFactory, scene_frames: list[Image], identity: Identity
) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    raw = folder / "camera.mp4"
    write_video(raw, scene_frames, options={"crf": "16", "preset": "veryfast", "threads": "1"})
    out = folder / "signed.mp4"
    result = sign(raw, out, identity=identity, source_type="digitalCreation")
    assert result.frames_signed == N
    return out


def _reencode(src: Path, dst: Path, edit: Callable[[list[Image]], Iterator[Image]]) -> Path:
    frames = list(read_frames(src))
    write_video(dst, edit(frames), options={"crf": "20", "preset": "veryfast", "threads": "1"})
    return dst


def _segments(report: dict[str, object]) -> list[tuple[str, object, object]]:
    frames = report["frames"]
    assert isinstance(frames, dict)
    return [(s["status"], s["checked_range"], s["signed_range"]) for s in frames["segments"]]


def test_intact_file_needs_no_decoding(signed_clip: Path) -> None:
    report = verify(signed_clip)
    assert report.verdict is Verdict.VALID and report.frames is None


def test_face_swap_on_frames_30_to_59_with_embedded_manifest(
    signed_clip: Path, tmp_path: Path, scene_frames: list[Image]
) -> None:
    foreign = list(Scene(W, H, seed=9).frames(N))

    def swap(frames: list[Image]) -> Iterator[Image]:
        for i, f in enumerate(frames):
            yield replace_rect(f, RECT, foreign[i]) if 30 <= i <= 59 else f

    edited = _reencode(signed_clip, tmp_path / "swapped.mp4", swap)
    transplant_manifest(signed_clip, edited)
    report = verify(edited)
    assert report.verdict is Verdict.TAMPERED
    assert report.frames is not None
    assert report.frames.summary["edited"] == 30
    assert _segments(report.to_dict()) == [
        ("reencoded", [0, 29], [0, 29]),
        ("edited", [30, 59], [30, 59]),
        ("reencoded", [60, 89], [60, 89]),
    ]
    edited_seg = report.frames.segments[1]
    assert edited_seg.start_time == pytest.approx(1.0, abs=0.04)
    best = max(iou(r, RECT) for r in edited_seg.regions)
    assert best > 0.5, edited_seg.regions
    assert "frames changed: 30 edited" in report.message


def test_dropped_frames_with_stripped_manifest_and_reference(
    signed_clip: Path, tmp_path: Path
) -> None:
    edited = _reencode(
        signed_clip,
        tmp_path / "dropped.mp4",
        lambda fr: (f for i, f in enumerate(fr) if not 10 <= i <= 14),
    )
    report = verify(edited, reference=signed_clip)
    assert report.verdict is Verdict.TAMPERED and report.manifest_source == "reference"
    assert _segments(report.to_dict()) == [
        ("reencoded", [0, 9], [0, 9]),
        ("missing", None, [10, 14]),
        ("reencoded", [10, 84], [15, 89]),
    ]


def test_twenty_foreign_frames_inserted(signed_clip: Path, tmp_path: Path) -> None:
    foreign = list(Scene(W, H, seed=11).frames(20))
    edited = _reencode(
        signed_clip, tmp_path / "inserted.mp4", lambda fr: iter(fr[:45] + foreign + fr[45:])
    )
    report = verify(edited, reference=signed_clip)
    assert report.frames is not None and report.frames.summary["inserted"] == 20
    assert ("inserted", [45, 64], None) in _segments(report.to_dict())


def test_whole_file_reencode_is_not_an_edit(signed_clip: Path, tmp_path: Path) -> None:
    edited = _reencode(signed_clip, tmp_path / "reencoded.mp4", iter)
    transplant_manifest(signed_clip, edited)
    report = verify(edited)
    assert report.verdict is Verdict.TAMPERED
    assert report.frames is not None
    assert report.frames.summary == {
        "intact": 0,
        "reencoded": N,
        "edited": 0,
        "inserted": 0,
        "missing": 0,
    }
    assert "no visual change" in report.message


def test_trim(signed_clip: Path, tmp_path: Path) -> None:
    edited = _reencode(signed_clip, tmp_path / "trimmed.mp4", lambda fr: iter(fr[15:75]))
    report = verify(edited, reference=signed_clip)
    assert _segments(report.to_dict()) == [
        ("missing", None, [0, 14]),
        ("reencoded", [0, 59], [15, 74]),
        ("missing", None, [75, 89]),
    ]


def test_cli_json_schema_and_visual_report(signed_clip: Path, tmp_path: Path) -> None:
    foreign = list(Scene(W, H, seed=9).frames(N))
    edited = _reencode(
        signed_clip,
        tmp_path / "swapped.mp4",
        lambda fr: (
            replace_rect(f, RECT, foreign[i]) if 30 <= i <= 59 else f for i, f in enumerate(fr)
        ),
    )
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["verify", str(edited), "--reference", str(signed_clip), "--json", "--report", str(out)],
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, json.loads((SCHEMAS / "verification-report.schema.json").read_text()))
    frames = doc["reports"][0]["frames"]
    jsonschema.validate(frames, json.loads((SCHEMAS / "frames-report.schema.json").read_text()))
    written = sorted(p.name for p in out.rglob("*.png"))
    assert written == ["edited_30-59.png", "timeline.png"]

    human = CliRunner().invoke(
        app, ["verify", str(edited), "--reference", str(signed_clip)], terminal_width=160
    )
    assert "edited" in human.output and "00:01.000" in human.output


def test_reference_must_itself_verify(signed_clip: Path, tmp_path: Path) -> None:
    from provenance import ManifestError

    bad_ref = tmp_path / "bad-ref.mp4"
    bad_ref.write_bytes(signed_clip.read_bytes())
    data = bytearray(bad_ref.read_bytes())
    data[-3000] ^= 0x55
    bad_ref.write_bytes(bytes(data))
    edited = _reencode(signed_clip, tmp_path / "plain.mp4", iter)
    with pytest.raises(ManifestError, match="does not verify"):
        verify(edited, reference=bad_ref)


def test_tampered_photo_regions_are_located(identity: Identity, tmp_path: Path) -> None:
    from provenance import _demo_media as samples

    photo = samples.make_photo(tmp_path / "portrait.png", size=(640, 480))
    sign(photo, identity=identity, sidecar=True, source_type="digitalCreation")
    from PIL import Image as PILImage
    from PIL import ImageDraw

    with PILImage.open(photo) as im:
        im.load()
        edited = im.copy()
    ImageDraw.Draw(edited).ellipse((260, 160, 380, 320), fill=(90, 60, 50))  # a new "face"
    edited.save(photo)
    report = verify(photo)
    assert report.verdict is Verdict.TAMPERED and report.regions
    best = max(iou(r, (260, 160, 120, 160)) for r in report.regions)
    assert best > 0.5, report.regions
