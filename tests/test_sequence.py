"""A folder of frames signed as one unit: changed, added and missing frame files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from provenance import DevIdentity, Identity, InputError, Verdict, sign, verify
from provenance.cli import app
from provenance.frames.synth import Scene, iou


@pytest.fixture
def frames_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, arr in enumerate(Scene(160, 120, seed=5).frames(8)):
        Image.fromarray(arr).save(folder / f"frame-{i:05d}.png")
    return folder


def test_sequence_signed_and_intact(frames_dir: Path, identity: Identity, dev: DevIdentity) -> None:
    result = sign(frames_dir, identity=identity)
    assert result.output == str(frames_dir.with_name("frames.c2pa"))
    assert result.frames_signed == 8
    report = verify(frames_dir, trust=[dev.ca])
    assert report.verdict is Verdict.TRUSTED
    assert report.sequence is not None and len(report.sequence.unchanged) == 8


def test_sequence_changed_added_missing(frames_dir: Path, identity: Identity) -> None:
    sign(frames_dir, identity=identity)
    with Image.open(frames_dir / "frame-00003.png") as im:
        im.load()
        edited = im.copy()
    ImageDraw.Draw(edited).rectangle((40, 30, 79, 59), fill=(250, 250, 20))
    edited.save(frames_dir / "frame-00003.png")
    (frames_dir / "frame-00006.png").unlink()
    shutil.copyfile(frames_dir / "frame-00001.png", frames_dir / "frame-00099.png")

    report = verify(frames_dir)
    assert report.verdict is Verdict.TAMPERED
    seq = report.sequence
    assert seq is not None
    assert [c.name for c in seq.changed] == ["frame-00003.png"]
    assert max(iou(r, (40, 30, 40, 30)) for r in seq.changed[0].regions) > 0.5
    assert seq.added == ["frame-00099.png"] and seq.missing == ["frame-00006.png"]
    assert "1 changed, 1 added, 1 missing" in report.message

    result = CliRunner().invoke(app, ["verify", str(frames_dir), "--json"])
    assert result.exit_code == 1 and '"frame-00099.png"' in result.stdout


def test_anchor_frame_removed_still_checks(frames_dir: Path, identity: Identity) -> None:
    sign(frames_dir, identity=identity)
    (frames_dir / "frame-00000.png").unlink()
    report = verify(frames_dir)
    assert report.verdict is Verdict.TAMPERED
    assert report.sequence is not None and report.sequence.missing == ["frame-00000.png"]


def test_plain_folder_is_an_input_error(tmp_path: Path, identity: Identity) -> None:
    with pytest.raises(InputError):
        verify(tmp_path)
    with pytest.raises(InputError, match="no image files"):
        sign(tmp_path, identity=identity)
