"""provenance._fragments: fragmented MP4 (DASH/CMAF) checked segment by segment.

The public corpus has a real fragmented stream signed by c2pa-rs: `dashinit.mp4` (the init
segment, which carries the manifest) and `dash1.m4s` (a media segment)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from mediautil import SCHEMAS
from typer.testing import CliRunner

from provenance import UsageError, Verdict, verify
from provenance.cli import app

runner = CliRunner()


@pytest.fixture
def stream(corpus: Path, tmp_path: Path) -> Path:
    """The init segment, a good segment and a tampered copy of it, side by side."""
    for name in ("dashinit.mp4", "dash1.m4s"):
        shutil.copyfile(corpus / "c2pa-rs" / name, tmp_path / name)
    shutil.copyfile(tmp_path / "dash1.m4s", tmp_path / "seg-1.m4s")
    data = bytearray((tmp_path / "dash1.m4s").read_bytes())
    data[-100] ^= 0x55  # inside the fragment's media data
    (tmp_path / "seg-2.m4s").write_bytes(bytes(data))
    return tmp_path


def test_an_init_segment_alone_says_its_fragments_are_missing(stream: Path) -> None:
    """Point 8: not `tampered` because the fragments are absent."""
    report = verify(stream / "dashinit.mp4")
    assert report.verdict is Verdict.ERROR
    assert report.message.startswith("init segment: fragments not supplied")
    assert report.signer is not None  # what could be read is still reported
    result = runner.invoke(app, ["verify", str(stream / "dashinit.mp4")])
    assert result.exit_code == 2 and "fragments not supplied" in result.output


def test_each_fragment_gets_its_verdict_and_time_range(stream: Path) -> None:
    report = verify(stream / "dashinit.mp4", fragments=[stream / "seg-1.m4s", stream / "seg-2.m4s"])
    assert report.verdict is Verdict.TAMPERED
    assert report.message == "1 of 2 fragments fail: seg-2.m4s (tampered)"
    good, bad = report.fragments
    assert (good.verdict, bad.verdict) == (Verdict.VALID, Verdict.TAMPERED)
    assert "assertion.bmffHash.mismatch" in bad.failures
    assert good.start_time is not None and good.end_time is not None
    assert 0 <= good.start_time < good.end_time
    assert verify(stream / "dashinit.mp4", fragments=[stream / "seg-1.m4s"]).verdict is (
        Verdict.VALID
    )


def test_cli_takes_a_glob_and_reports_each_fragment(
    stream: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(stream)
    args = ["verify", "dashinit.mp4", "--fragments", "seg-*.m4s"]
    text = runner.invoke(app, args, terminal_width=200)
    assert text.exit_code == 1, text.output
    rows = [line.split() for line in text.stdout.splitlines() if line.strip().startswith("seg-")]
    assert [(r[0], r[1]) for r in rows] == [("seg-1.m4s", "valid"), ("seg-2.m4s", "tampered")]
    assert all(r[2].count(":") == 1 and r[3].count(":") == 1 for r in rows)  # from, to

    doc = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    jsonschema.validate(doc, json.loads((SCHEMAS / "verification-report.schema.json").read_text()))
    fragments = doc["reports"][0]["fragments"]
    assert [(f["path"], f["verdict"]) for f in fragments] == [
        ("seg-1.m4s", "valid"),
        ("seg-2.m4s", "tampered"),
    ]
    none = runner.invoke(app, ["verify", "dashinit.mp4", "--fragments", "nothing-*.m4s"])
    assert none.exit_code == 2 and "no file matches" in none.output


def test_fragments_need_an_init_segment(stream: Path) -> None:
    with pytest.raises(UsageError, match="no fragments given"):
        verify(stream / "dashinit.mp4", fragments=[])
