from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from support import synth

from provenance.frames import FramesDataError
from provenance.frames.image import (
    ImageFingerprint,
    SequenceFingerprint,
    compare_image,
    compare_sequence,
    fingerprint_image,
    fingerprint_sequence,
)

W, H = 640, 480
RECT = (160, 120, 160, 120)  # 1/16 of the frame


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return synth.Scene(W, H, seed=3).frame(5)


@pytest.fixture(scope="module")
def other() -> np.ndarray:
    return synth.Scene(W, H, seed=9).frame(5)


def _save(img: np.ndarray, path: Path, **kw: Any) -> Path:
    Image.fromarray(img).save(path, **kw)
    return path


def test_unchanged_and_resaved(tmp_path: Path, picture: np.ndarray) -> None:
    signed = fingerprint_image(_save(picture, tmp_path / "a.png"))
    assert compare_image(signed, tmp_path / "a.png") == []
    assert compare_image(signed, _save(picture, tmp_path / "a.jpg", quality=75)) == []
    small = np.asarray(Image.fromarray(picture).resize((480, 360)))
    assert compare_image(signed, _save(small, tmp_path / "small.jpg", quality=85)) == []


@pytest.mark.parametrize("fmt", ["png", "jpg"])
def test_replaced_rectangle_located(
    tmp_path: Path, picture: np.ndarray, other: np.ndarray, fmt: str
) -> None:
    signed = fingerprint_image(_save(picture, tmp_path / "a.png"))
    edited = synth.paste_object(synth.replace_rect(picture, RECT, other), RECT)
    rects = compare_image(signed, _save(edited, tmp_path / f"b.{fmt}", quality=90))
    found = synth.union_rect(rects)
    assert found is not None and synth.iou(found, RECT) > 0.5, rects


def test_blurred_rectangle_located(tmp_path: Path, picture: np.ndarray) -> None:
    rect = (330, 250, 160, 120)
    signed = fingerprint_image(_save(picture, tmp_path / "a.png"))
    rects = compare_image(signed, _save(synth.blur_rect(picture, rect, 6), tmp_path / "c.png"))
    found = synth.union_rect(rects)
    assert found is not None and synth.iou(found, rect) > 0.5, rects


def test_image_fingerprint_dict_round_trip(tmp_path: Path, picture: np.ndarray) -> None:
    fp = fingerprint_image(_save(picture, tmp_path / "a.png"))
    assert ImageFingerprint.from_dict(json.loads(json.dumps(fp.to_dict()))) == fp
    bad = fp.to_dict()
    bad["luma"] = "AAAA"
    with pytest.raises(FramesDataError):
        ImageFingerprint.from_dict(bad)
    with pytest.raises(FramesDataError):
        ImageFingerprint.from_dict({"width": 1})


def test_sequence(tmp_path: Path) -> None:
    scene, other = synth.Scene(320, 240, seed=4), synth.Scene(320, 240, seed=8)
    signed_dir = tmp_path / "signed"
    signed_dir.mkdir()
    for i in range(6):
        _save(scene.frame(i * 5), signed_dir / f"frame_{i:03d}.png")
    (signed_dir / "notes.txt").write_text("not an image")
    calls: list[tuple[int, int | None]] = []
    signed = fingerprint_sequence(signed_dir, progress=lambda d, t: calls.append((d, t)))
    assert sorted(signed.files) == [f"frame_{i:03d}.png" for i in range(6)]
    assert calls[-1] == (6, 6)
    signed = SequenceFingerprint.from_dict(json.loads(json.dumps(signed.to_dict())))

    checked = tmp_path / "checked"
    shutil.copytree(signed_dir, checked)
    rect = (80, 60, 80, 60)
    img = np.asarray(Image.open(checked / "frame_002.png").convert("RGB"))
    _save(synth.paste_object(img, rect), checked / "frame_002.png")
    (checked / "frame_004.png").unlink()
    _save(other.frame(50), checked / "frame_006.png")

    report = compare_sequence(signed, checked)
    assert not report.ok
    assert [c.name for c in report.changed] == ["frame_002.png"]
    found = synth.union_rect(report.changed[0].regions)
    assert found is not None and synth.iou(found, rect) > 0.5
    assert report.added == ["frame_006.png"]
    assert report.missing == ["frame_004.png"]
    assert report.unchanged == ["frame_000.png", "frame_001.png", "frame_003.png", "frame_005.png"]
    d = json.loads(json.dumps(report.to_dict()))
    assert d["changed"][0]["name"] == "frame_002.png" and d["missing"] == ["frame_004.png"]


def test_sequence_from_dict_rejects_garbage() -> None:
    for bad in ({}, {"version": 1}, {"version": 1, "files": [{"width": 1}]}, {"version": 9}):
        with pytest.raises(FramesDataError):
            SequenceFingerprint.from_dict(bad)


def test_small_face_in_a_photo_is_located(tmp_path: Path, picture: np.ndarray) -> None:
    # 0.5% of the picture, a quarter of one coarse cell: found on the fine grid, through a
    # JPEG re-save
    rect = (402, 190, 39, 39)
    signed = fingerprint_image(_save(picture, tmp_path / "a.png"))
    edited = synth.paste_object(picture, rect, shade=(90, 60, 50))
    rects = compare_image(signed, _save(edited, tmp_path / "face.jpg", quality=80))
    assert rects and max(synth.iou(r, rect) for r in rects) > 0.3, rects
    assert compare_image(signed, _save(picture, tmp_path / "same.jpg", quality=80)) == []


def test_regions_version_and_fine_grid_are_checked(tmp_path: Path, picture: np.ndarray) -> None:
    data = fingerprint_image(_save(picture, tmp_path / "a.png")).to_dict()
    assert data["version"] == 2 and data["fine_grid"] == "64x64"
    for bad in (
        dict(data, version=1),
        dict(data, fine_grid="8x8"),
        dict(data, fine="AAAA"),
        {k: v for k, v in data.items() if k != "fine"},
    ):
        with pytest.raises(FramesDataError):
            ImageFingerprint.from_dict(bad)


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"])
def test_exact_hash_is_of_the_whole_pictures_bytes(mode: str) -> None:
    """`exact` is BLAKE3 of the mode, the size and Pillow's raw bytes of the whole picture,
    however it is read (signed files carry it: it must not change)."""
    import blake3

    from provenance._still import Still
    from provenance.frames import image

    rows = 2 * image._BAND + 37  # three bands, the last one short
    rgb = Image.fromarray(np.random.default_rng(5).integers(0, 256, (rows, 13, 3), np.uint8))
    img = rgb.convert(mode)
    want = blake3.blake3(f"{mode}:13x{rows}:".encode() + img.tobytes()).hexdigest(length=16)
    assert image._exact(Still(img, 13, rows)) == want
