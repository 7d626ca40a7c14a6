"""A folder of frames signed as one unit: changed, added and missing frame files."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from support.synth import Scene, iou
from typer.testing import CliRunner

from provenance import DevIdentity, Identity, InputError, Verdict, sign, verify
from provenance.cli import app


@pytest.fixture
def frames_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, arr in enumerate(Scene(160, 120, seed=5).frames(8)):
        Image.fromarray(arr).save(folder / f"frame-{i:05d}.png")
    return folder


def test_sequence_signed_and_intact(frames_dir: Path, identity: Identity, dev: DevIdentity) -> None:
    result = sign(frames_dir, identity=identity, source_type="digitalCreation")
    assert result.output == str(frames_dir.with_name("frames.c2pa"))
    assert result.frames_signed == 8
    report = verify(frames_dir, trust=[dev.ca])
    assert report.verdict is Verdict.TRUSTED
    assert report.sequence is not None and len(report.sequence.unchanged) == 8


def test_sequence_changed_added_missing(frames_dir: Path, identity: Identity) -> None:
    sign(frames_dir, identity=identity, source_type="digitalCreation")
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
    sign(frames_dir, identity=identity, source_type="digitalCreation")
    (frames_dir / "frame-00000.png").unlink()
    report = verify(frames_dir)
    assert report.verdict is Verdict.TAMPERED
    assert report.sequence is not None and report.sequence.missing == ["frame-00000.png"]


def test_plain_folder_is_an_input_error(tmp_path: Path, identity: Identity) -> None:
    with pytest.raises(InputError):
        verify(tmp_path)
    with pytest.raises(InputError, match="no image files"):
        sign(tmp_path, identity=identity, source_type="digitalCreation")


def _edit_frame(folder: Path, name: str) -> None:
    with Image.open(folder / name) as im:
        im.load()
        edited = im.copy()
    ImageDraw.Draw(edited).rectangle((40, 30, 79, 59), fill=(250, 250, 20))
    edited.save(folder / name)


def test_verify_names_changed_added_and_missing_files_and_draws_them(
    frames_dir: Path, identity: Identity, tmp_path: Path
) -> None:
    """Point 11: the text output names the files (not only the JSON), and --report draws
    the changed and added ones."""
    sign(frames_dir, identity=identity, source_type="digitalCreation")
    _edit_frame(frames_dir, "frame-00003.png")
    (frames_dir / "frame-00006.png").unlink()
    shutil.copyfile(frames_dir / "frame-00001.png", frames_dir / "frame-00099.png")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["verify", str(frames_dir), "--report", str(out)])
    assert result.exit_code == 1
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["changed", "frame-00003.png", "regions"] == lines[-3][:3]
    assert ["added", "frame-00099.png"] in lines and ["missing", "frame-00006.png"] in lines
    drawn = sorted(p.name for p in out.rglob("*.png"))
    assert drawn == ["frame-00003.png", "frame-00099.png"]
    with Image.open(next(out.rglob("frame-00003.png"))) as im:
        assert im.getpixel((40, 30)) == (230, 40, 40) or im.getpixel((41, 31)) == (230, 40, 40)


def test_check_uses_the_folder_manifest_for_its_frames(
    frames_dir: Path, identity: Identity
) -> None:
    """Point 11: after `sign frames/`, `check` verifies the folder's frames against
    FOLDER.c2pa as one asset (they used to fail `require-manifest` one by one)."""
    from provenance import CheckOptions, run_check

    sign(frames_dir, identity=identity, source_type="digitalCreation")
    options = CheckOptions(paths=(frames_dir.parent,), cache=False, jobs=1)
    report = run_check(options)
    assert [(r.path, r.status.value, r.verdict.value) for r in report.results] == [
        ("frames", "pass", "valid")
    ]
    _edit_frame(frames_dir, "frame-00002.png")
    again = run_check(replace(options, cache=True))
    (result,) = again.results
    assert result.status.value == "fail" and [v.rule for v in result.violations] == ["tampered"]
    assert result.report.sequence is not None
    assert [c.name for c in result.report.sequence.changed] == ["frame-00002.png"]
    # The cache keys the folder by its frames: the cached report is the fresh one.
    assert run_check(replace(options, cache=True)).results == again.results
