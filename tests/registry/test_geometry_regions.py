"""Regions on the checked file's pixels where a stripped copy's geometry changed.

A signed clip and a signed photo get an object pasted in (known frames, known place),
and are stripped by re-encoding as copies rescaled to 0.5x, given bars (letterbox for the
clip, pillarbox for the photo) and cropped by 5% a side. `verify --lookup` (SQLite) and
`verify --reference` must report the exact frame ranges and rectangles that cover the
pasted object where it lies *in the copy*: each run of frames' rectangles, bounded
together, overlaps it with IoU >= 0.5 (measured: 0.85-0.93 for the clip's runs, 0.97-0.99
for the photo; docs/registry.md), and none lies apart from it. Without the mapping through
the match's geometry, the bars and the crop move every cell: the clip came out edited,
inserted and missing throughout, the photo with three regions for its one object, and
those cases fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mediautil import schema_validator
from PIL import Image
from support.registrations import sign_with_binding
from support.synth import iou, transcode, union_rect
from typer.testing import CliRunner

import provenance
from provenance import DevIdentity, Identity, Verdict
from provenance._demo_media import Scene, paste_object, read_frames, write_video
from provenance.cli import app

W, H, FPS, FRAMES = 320, 180, 30, 180
EDITED = (64, 127)  # frames with the object pasted in (two whole groups of 32)
OBJECT = (150, 50, 64, 64)  # where, in the signed clip's pixels
PHOTO_OBJECT = (440, 60, 96, 80)  # in the signed photo's 640x480 pixels
Rect = tuple[int, int, int, int]
Frame = np.ndarray[Any, np.dtype[np.uint8]]


@dataclass(frozen=True)
class Copy:
    path: Path
    truth: Rect  # the pasted object in the copy's pixels


def _half(img: Frame) -> tuple[Frame, Callable[[Rect], Rect]]:
    h, w = img.shape[:2]
    out = np.asarray(Image.fromarray(img).resize((w // 2, h // 2), Image.Resampling.BILINEAR))
    return out, lambda r: (r[0] // 2, r[1] // 2, r[2] // 2, r[3] // 2)


def _bars(img: Frame) -> tuple[Frame, Callable[[Rect], Rect]]:
    """16:9 into 4:3 (bars above and below), or 4:3 into 16:9 (bars left and right)."""
    h, w = img.shape[:2]
    if w * 9 >= h * 16:
        out = np.zeros((w * 3 // 4 // 2 * 2, w, 3), np.uint8)
        top, left = (out.shape[0] - h) // 2, 0
    else:
        out = np.zeros((h, h * 16 // 9 // 2 * 2, 3), np.uint8)
        top, left = 0, (out.shape[1] - w) // 2
    out[top : top + h, left : left + w] = img
    return out, lambda r: (r[0] + left, r[1] + top, r[2], r[3])


def _crop(img: Frame) -> tuple[Frame, Callable[[Rect], Rect]]:
    """5% off each side."""
    h, w = img.shape[:2]
    left, top = int(w * 0.05), int(h * 0.05)
    out = img[top : h - top, left : w - left]
    out = out[: out.shape[0] // 2 * 2, : out.shape[1] // 2 * 2]
    return np.ascontiguousarray(out), lambda r: (r[0] - left, r[1] - top, r[2], r[3])


TRANSFORMS = {"half": _half, "bars": _bars, "crop": _crop}


@dataclass(frozen=True)
class Media:
    clip: Path  # signed
    photo: Path  # signed
    registry: str
    clips: dict[str, Copy]
    photos: dict[str, Copy]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory, identity: Identity) -> Media:
    root = tmp_path_factory.mktemp("geometry")
    original = root / "clip.mp4"
    options = {"crf": "16", "preset": "veryfast", "threads": "1"}
    write_video(original, Scene(W, H, seed=3).frames(FRAMES), fps=FPS, options=options)
    clip = root / "clip.signed.mp4"
    sign_with_binding(original, clip, identity)
    Image.fromarray(Scene(640, 480, seed=5).frame(40)).save(root / "photo.png")
    photo = root / "photo.signed.png"
    sign_with_binding(root / "photo.png", photo, identity)
    registry = str(root / "registry.db")
    provenance.register([clip, photo], registry=registry)

    signed_frames = list(read_frames(clip))
    clips = {}
    for name, transform in TRANSFORMS.items():
        truth = transform(signed_frames[0])[1](OBJECT)

        def edit(i: int, img: Frame, transform: Any = transform) -> Frame:
            pasted = paste_object(img, OBJECT) if EDITED[0] <= i <= EDITED[1] else img
            return transform(pasted)[0]

        path = root / f"clip.{name}.mp4"
        transcode(signed_frames, path, crf=23, edit=edit)
        clips[name] = Copy(path, truth)

    picture = paste_object(np.asarray(Image.open(photo).convert("RGB")), PHOTO_OBJECT)
    photos = {}
    for name, transform in TRANSFORMS.items():
        out, move = transform(picture)
        path = root / f"photo.{name}.jpg"
        Image.fromarray(out).save(path, quality=90)
        photos[name] = Copy(path, move(PHOTO_OBJECT))
    return Media(clip, photo, registry, clips, photos)


def _against(media: Media, how: str, signed: Path) -> dict[str, Any]:
    return {"lookup": media.registry} if how == "lookup" else {"reference": signed}


@pytest.mark.parametrize("how", ["lookup", "reference"])
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_clip_regions_land_on_the_copy(media: Media, name: str, how: str) -> None:
    copy = media.clips[name]
    report = provenance.verify(copy.path, **_against(media, how, media.clip))
    assert report.verdict is Verdict.TAMPERED, report.message
    assert report.frames is not None
    assert report.frames.summary == {
        "intact": 0, "reencoded": FRAMES - 64, "edited": 64, "inserted": 0, "missing": 0
    }  # fmt: skip
    (edited,) = [s for s in report.frames.segments if s.status == "edited"]
    assert edited.checked_range == EDITED and edited.signed_range == EDITED
    assert iou(union_rect(edited.regions) or (0, 0, 0, 0), copy.truth) >= 0.5
    runs = edited.frame_regions
    assert (runs[0].first, runs[-1].last) == EDITED
    for run in runs:
        bound = union_rect(run.regions)
        assert bound is not None and iou(bound, copy.truth) >= 0.5, (run, copy.truth)


@pytest.mark.parametrize("how", ["lookup", "reference"])
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_photo_regions_land_on_the_copy(media: Media, name: str, how: str) -> None:
    copy = media.photos[name]
    report = provenance.verify(copy.path, **_against(media, how, media.photo))
    assert report.verdict is Verdict.TAMPERED, report.message
    (region,) = report.regions
    assert iou(region, copy.truth) >= 0.5, (region, copy.truth)


def test_json_regions_are_in_the_copys_pixels(media: Media, dev: DevIdentity) -> None:
    """The JSON report (verification-report schema) carries the mapped rectangles."""
    copy = media.clips["bars"]
    result = CliRunner().invoke(
        app, ["verify", str(copy.path), "--lookup", media.registry, "--trust", str(dev.ca),
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    schema_validator("verification-report.schema.json").validate(doc)
    (report,) = doc["reports"]
    (edited,) = [s for s in report["frames"]["segments"] if s["status"] == "edited"]
    assert iou(tuple(edited["regions"][0]), copy.truth) >= 0.5  # type: ignore[arg-type]
