"""`check` streams: the listing in path order without a global sort (plain walk and
git alike, a signed image sequence at its folder's place), and reports written as the
results arrive that equal the report held whole."""

from __future__ import annotations

import gc
import json
import os
import weakref
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provenance._demo_media import make_photo
from provenance.check import (
    CheckOptions,
    ReportFormat,
    render_check_report,
    run_check,
    stream_check,
)
from provenance.check._run import _assets
from provenance.check._walk import Skipped, candidates, order
from provenance.cli import app

runner = CliRunner()

# Names whose order is easy to get wrong: a folder sorts among full paths as its name
# plus "/", so `a-b` < `a/x` < `a0`; "é" is two bytes in UTF-8; a name that is not
# UTF-8 sorts by its bytes, as git lists it.
TRICKY = (
    "a-b.txt",
    "a.txt",
    "a/b.txt",
    "a/b/c.txt",
    "a/b-c.txt",
    "a b.txt",
    "a0.txt",
    "ab/x.txt",
    "Z.txt",
    "é.txt",
    "e/f.txt",
    "e.txt",
    os.fsdecode(b"\xff.txt"),
)


def _tree(root: Path, rels: tuple[str, ...]) -> None:
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")


def test_walk_lists_in_path_order_without_sorting(tmp_path: Path, run_git: Any) -> None:
    _tree(tmp_path, TRICKY)
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)  # not followed
    want = sorted(TRICKY, key=order)
    utf8 = [r for r in want if r.isprintable()]
    assert utf8 == sorted(utf8)  # UTF-8 names: bytes and text sort alike, as before
    assert list(candidates(tmp_path, [tmp_path], git=False)) == want
    assert list(candidates(tmp_path, [tmp_path / "a", tmp_path / "a/b"], git=False)) == [
        "a/b-c.txt",
        "a/b.txt",
        "a/b/c.txt",
    ]
    # git: tracked and untracked files are two listings, merged in the same order.
    run_git(tmp_path, "init", "-q")
    run_git(tmp_path, "add", *TRICKY[::2])
    run_git(tmp_path, "-c", "user.name=T", "-c", "user.email=t@e.org", "commit", "-qm", "half")
    assert list(candidates(tmp_path, [], git=True)) == sorted([*TRICKY, "link"], key=order)


def _png(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    make_photo(path, size=(16, 12), seed=seed)


def test_a_signed_sequence_takes_its_folders_place(tmp_path: Path) -> None:
    # seq-2/ lists before seq/ ("-" < "/") but its asset, "seq-2", sorts after "seq";
    # seq-b.png and seq.png list before seq/ too, and sort after "seq".
    for i, rel in enumerate(
        (
            "seq-2/f0.png",
            "seq-b.png",
            "seq.png",
            "seq/f0.png",
            "seq/f1.png",
            "seq/sub/x.png",
            "seq0.png",
        )  # fmt: skip
    ):
        _png(tmp_path / rel, seed=i)
    for store in ("seq.c2pa", "seq-2.c2pa"):
        (tmp_path / store).write_bytes(b"manifest store")
    skipped: list[Skipped] = []
    listing = list(candidates(tmp_path, [tmp_path], git=False))
    assert listing.index("seq-2/f0.png") < listing.index("seq/f0.png")
    got = [a.path for a in _assets(tmp_path, listing, skipped)]
    assert got == ["seq", "seq-2", "seq-b.png", "seq.png", "seq/sub/x.png", "seq0.png"]
    assert [s.path for s in skipped] == ["seq-2.c2pa", "seq.c2pa"]


def _cli(repo: Path, *args: str) -> tuple[int, str]:
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        r = runner.invoke(app, ["check", "--no-cache", *args], env={"CI": "true"})
    finally:
        os.chdir(cwd)
    return r.exit_code, r.stdout


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_streamed_report_equals_the_whole_report(repo: Path, fmt: ReportFormat) -> None:
    whole = run_check(CheckOptions(paths=(repo,), cache=False))
    if fmt is not ReportFormat.TEXT:  # text on a terminal takes its width
        code, out = _cli(repo, "--format", fmt.value)
        assert code == int(whole.exit_code) != 0
        assert out == render_check_report(whole, fmt)
    code, _ = _cli(repo, "--format", fmt.value, "-o", str(repo / "out"))
    assert code == int(whole.exit_code) != 0
    assert (repo / "out").read_text() == render_check_report(whole, fmt)
    if fmt is ReportFormat.JSON:  # against the document built whole, not streamed
        assert out == json.dumps(whole.to_dict(), indent=2) + "\n"
        assert len(json.loads(out)["results"]) == len(whole.results) > 1


def test_streamed_report_of_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no media")
    whole = run_check(CheckOptions(paths=(tmp_path,), cache=False))
    assert whole.empty and not whole.results
    for fmt in (ReportFormat.JSON, ReportFormat.JUNIT, ReportFormat.SARIF, ReportFormat.GITHUB):
        assert _cli(tmp_path, "--format", fmt.value)[1] == render_check_report(whole, fmt)
    doc = json.loads(_cli(tmp_path, "--format", "json")[1])
    assert doc["results"] == [] and doc["skipped"] == [
        {"path": "notes.txt", "reason": "not a supported media format"}
    ]


def test_a_streamed_run_keeps_no_result(repo: Path) -> None:
    run = stream_check(CheckOptions(paths=(repo,), cache=False))
    seen = [weakref.ref(r) for r in run.rows()]
    gc.collect()
    assert len(seen) > 1 and all(r() is None for r in seen)  # none held by the run
    whole = run_check(CheckOptions(paths=(repo,), cache=False))
    assert run.summary() == whole.summary() and run.exit_code == whole.exit_code
    assert run.skipped == list(whole.skipped)
    with pytest.raises(RuntimeError, match="read once"):
        next(run.rows())
