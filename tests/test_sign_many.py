"""Batch signing (`provenance.sign_many`, `provenance sign A B ... --out-dir DIR`): every
input signed as alone, in worker processes (or threads where forking is unsafe); a
failing input fails its own row and never stops the others; names never clash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from mediautil import SCHEMAS, sha256
from typer.testing import CliRunner

from provenance import (
    DevIdentity,
    ExitCode,
    Identity,
    SignBatch,
    Verdict,
    _pool,
    _sign_many,
    sign,
    sign_many,
    verify,
)
from provenance import _demo_media as samples
from provenance.cli import app

runner = CliRunner()
MADE = "digitalCreation"  # how the generated samples were made


def valid(batch: SignBatch) -> dict[str, object]:
    doc = batch.to_dict()
    jsonschema.validate(doc, json.loads((SCHEMAS / "sign-batch.schema.json").read_text()))
    return doc


def leftovers(folder: Path) -> list[str]:
    """Temporary files an interrupted atomic write would leave."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "card"
    folder.mkdir()
    return [samples.make_photo(folder / f"IMG_{i:04d}.JPG", seed=i) for i in range(5)]


@pytest.mark.parametrize("workers", ["threads", "sequential"])
def test_signs_every_input_into_the_folder_in_input_order(
    workers: str,
    photos: list[Path],
    media: Callable[[str], Path],
    dev: DevIdentity,
    identity: Identity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pytest's process runs other threads (NumPy's), so the pool is made of threads here;
    # the forked pool is tested through the command line below.
    assert not _pool.can_fork()
    inputs = [*photos, media("mp4"), media("wav")]
    before = [sha256(p) for p in inputs]
    seen: list[tuple[int, int | None]] = []
    out = tmp_path / "signed"  # made by sign_many
    batch = sign_many(
        inputs,
        out,
        identity=identity,
        source_type=MADE,
        author="A. Reporter",
        jobs=2 if workers == "threads" else 1,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert batch.exit_code is ExitCode.OK and batch.summary() == {
        "inputs": 7,
        "signed": 7,
        "failed": 0,
    }
    assert [r.input for r in batch.rows] == [str(p) for p in inputs]
    assert [sha256(p) for p in inputs] == before
    for src, row in zip(inputs, batch.rows, strict=True):
        assert row.ok and row.result is not None and row.result.output == str(out / src.name)
        assert verify(out / src.name, trust=[dev.ca]).verdict is Verdict.TRUSTED
    assert batch.rows[5].result is not None and batch.rows[5].result.frames_signed
    assert seen[0] == (0, 7) and seen[-1] == (7, 7)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert valid(batch)["exit_code"] == 0 and not leftovers(out)


def test_a_failing_input_fails_its_own_row_only(
    photos: list[Path], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    broken = photos[0].with_name("broken.jpg")
    broken.write_bytes(photos[0].read_bytes()[:300])  # a JPEG cut short
    text = photos[0].with_name("notes.txt")
    text.write_text("not media")
    missing = photos[0].with_name("gone.jpg")
    inputs = [broken, photos[1], text, missing, photos[2], photos[0].parent]
    out = tmp_path / "out"
    batch = sign_many(inputs, out, identity=identity, source_type=MADE, jobs=2)
    assert [r.ok for r in batch.rows] == [False, True, False, False, True, False]
    assert batch.exit_code is ExitCode.ERROR
    for row in batch.rows:
        assert row.ok or (row.exit_code is ExitCode.ERROR and row.error and "\n" not in row.error)
    assert "folder" in (batch.rows[5].error or "")
    assert sorted(p.name for p in out.iterdir()) == [photos[1].name, photos[2].name]
    assert verify(out / photos[1].name, trust=[dev.ca]).verdict is Verdict.TRUSTED
    valid(batch)


def test_a_bug_in_one_input_is_its_row_and_exit_3(
    photos: list[Path], identity: Identity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _sign_many.sign

    def buggy(src: Path, *args: object, **kwargs: object) -> object:
        if src == photos[1]:
            raise KeyError("oops")
        return real(src, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_sign_many, "sign", buggy)
    batch = sign_many(
        photos, tmp_path / "out", identity=identity, source_type=MADE, jobs=2, fingerprints=False
    )
    assert [r.exit_code for r in batch.rows] == [0, 3, 0, 0, 0]
    assert batch.rows[1].error == f"{photos[1]}: internal error: KeyError: 'oops'"
    assert batch.exit_code is ExitCode.INTERNAL and valid(batch)["exit_code"] == 3


def test_names_that_would_clash_in_the_folder_are_refused_with_the_reason(
    photos: list[Path], identity: Identity, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    same = samples.make_photo(other / photos[0].name, seed=40)  # same name, other folder
    case = samples.make_photo(other / photos[1].name.lower(), seed=41)  # differs in case
    inputs = [photos[0], same, photos[1], case, photos[2], photos[2], photos[3]]
    out = tmp_path / "out"
    batch = sign_many(inputs, out, identity=identity, source_type=MADE, fingerprints=False)
    assert [r.ok for r in batch.rows] == [False] * 6 + [True]
    errors = [r.error or "" for r in batch.rows]
    assert f"{same} would be written to {out / photos[0].name} too" in errors[0]
    assert f"{photos[0]} would be written to {out / photos[0].name} too" in errors[1]
    assert "differ only in case" in errors[2] and str(case) in errors[2]
    assert "given 2 times" in errors[4] == errors[5]
    assert [p.name for p in out.iterdir()] == [photos[3].name]


def test_existing_outputs_are_kept_unless_forced(
    photos: list[Path], identity: Identity, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / photos[0].name).write_bytes(b"keep me")
    batch = sign_many(photos[:2], out, identity=identity, source_type=MADE, fingerprints=False)
    assert [r.ok for r in batch.rows] == [False, True]
    assert "already exists" in (batch.rows[0].error or "")
    assert (out / photos[0].name).read_bytes() == b"keep me"
    forced = sign_many(
        photos[:2], out, identity=identity, source_type=MADE, fingerprints=False, force=True
    )
    assert forced.exit_code is ExitCode.OK and (out / photos[0].name).read_bytes() != b"keep me"


def test_sidecars_go_into_the_folder(
    photos: list[Path], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    batch = sign_many(
        photos[:2], out, identity=identity, source_type=MADE, sidecar=True, fingerprints=False
    )
    assert [r.result.output if r.result else None for r in batch.rows] == [
        str(out / f"{p.name}.c2pa") for p in photos[:2]
    ]
    report = verify(photos[0], trust=[dev.ca], reference=out / f"{photos[0].name}.c2pa")
    assert report.verdict is Verdict.TRUSTED


def test_a_signed_input_keeps_its_history_as_when_signed_alone(
    photos: list[Path], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    """A row carries what the new manifest records; an input that already carries
    credentials becomes its parent ingredient, and asking to record it as created fails
    its row only."""
    signed = tmp_path / "signed" / photos[0].name
    signed.parent.mkdir()
    sign(photos[0], signed, identity=identity, source_type=MADE, fingerprints=False)
    inputs = [signed, photos[1]]
    batch = sign_many(inputs, tmp_path / "out", identity=identity, source_type=MADE)
    doc = valid(batch)
    opened, created = doc["rows"]
    assert (opened["action"], opened["source_type"]) == ("c2pa.opened", None)
    assert opened["parent"]["path"] == str(signed) and opened["parent"]["verdict"] == "valid"
    assert created["action"] == "c2pa.created" and created["parent"] is None
    assert created["source_type"].endswith("/digitalCreation")
    report = verify(tmp_path / "out" / signed.name, trust=[dev.ca], localize=False)
    assert report.verdict is Verdict.TRUSTED
    (ingredient,) = report.ingredients
    assert ingredient.relationship == "parentOf" and ingredient.manifest

    keys = ["--key", str(dev.key), "--cert", str(dev.cert), "--source-type", MADE]
    args = ["sign", *map(str, inputs), "--out-dir", str(tmp_path / "cli"), *keys]
    cli = runner.invoke(app, [*args, "--no-fingerprints"])
    assert cli.exit_code == 0, cli.output
    (warning,) = cli.stderr.splitlines()
    assert warning.startswith(f"warning: {signed} is recorded as opened, which carries no")

    again = sign_many(
        inputs, tmp_path / "again", identity=identity, action="created", source_type=MADE
    )
    assert [r.ok for r in again.rows] == [False, True]
    assert "already carries content credentials" in (again.rows[0].error or "")
    assert valid(again)["rows"][0]["parent"] is None


def test_what_stops_every_input_is_raised(
    photos: list[Path], identity: Identity, tmp_path: Path
) -> None:
    from provenance import OutputError, UsageError

    with pytest.raises(UsageError, match="no files"):
        sign_many([], tmp_path, identity=identity)
    with pytest.raises(UsageError, match="jobs"):
        sign_many(photos, tmp_path, identity=identity, jobs=0)
    with pytest.raises(OutputError, match="is not a folder"):
        sign_many(photos, photos[0], identity=identity)


# ----------------------------------------------------------------------- command line


def test_cli_batch_forks_workers_and_prints_one_summary(
    photos: list[Path], dev: DevIdentity, tmp_path: Path
) -> None:
    """In a fresh process (one thread) the workers are forked processes: each records
    its process id in a file as it signs."""
    pids = tmp_path / "pids"
    out = tmp_path / "out"
    script = (
        "import os, sys\n"
        "from provenance import _sign_many\n"
        "real = _sign_many._Batch.sign\n"
        "def spy(self, i):\n"
        f"    with open({str(pids)!r}, 'a') as f: f.write(f'{{os.getpid()}}\\n')\n"
        "    return real(self, i)\n"
        "_sign_many._Batch.sign = spy\n"
        "from provenance.cli import main\n"
        "print(os.getpid(), file=sys.stderr)\n"
        "sys.argv[0] = 'provenance'\n"
        "main()\n"
    )
    args = [str(p) for p in photos] + ["--out-dir", str(out), "--jobs", "2"]
    keys = ["--key", str(dev.key), "--cert", str(dev.cert), "--source-type", MADE]
    proc = subprocess.run(
        [sys.executable, "-c", script, "sign", *args, *keys, "--no-fingerprints"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"signed 5 of 5 files into {out}"
    parent = int(proc.stderr.split()[0])
    workers = {int(p) for p in pids.read_text().split()}
    assert workers and parent not in workers and len(workers) <= 2
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in photos)


def test_cli_batch_json_has_a_row_per_input_and_exit_2(
    photos: list[Path], dev: DevIdentity, tmp_path: Path
) -> None:
    text = photos[0].with_name("notes.txt")
    text.write_text("not media")
    keys = ["--key", str(dev.key), "--cert", str(dev.cert), "--source-type", MADE]
    out = tmp_path / "out"
    args = ["sign", str(photos[0]), str(text), str(photos[1]), "--out-dir", str(out), *keys]
    result = runner.invoke(app, [*args, "--json", "--no-fingerprints"])
    assert result.exit_code == ExitCode.ERROR, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, json.loads((SCHEMAS / "sign-batch.schema.json").read_text()))
    assert [r["ok"] for r in doc["rows"]] == [True, False, True]
    assert doc["summary"] == {"inputs": 3, "signed": 2, "failed": 1}

    again = runner.invoke(app, [*args, "--no-fingerprints"])
    assert again.exit_code == ExitCode.ERROR
    lines = again.output.strip().splitlines()
    assert lines[-1] == f"signed 0 of 3 files into {out}; 3 failed"
    assert sum("already exists" in line for line in lines) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "x.jpg"], "--output names one file"),
        (["--title", "T"], "--title names one file"),
        (["--parent", "p.jpg"], "--parent names one file"),
    ],
)
def test_cli_batch_refuses_single_file_options(
    extra: list[str], message: str, photos: list[Path], dev: DevIdentity, tmp_path: Path
) -> None:
    keys = ["--key", str(dev.key), "--cert", str(dev.cert), "--source-type", MADE]
    args = ["sign", *map(str, photos[:2]), "--out-dir", str(tmp_path / "out"), *keys, *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.ERROR
    assert result.output.strip() == f"error: {message}; it cannot be used with --out-dir"


def test_cli_several_inputs_need_out_dir(photos: list[Path], dev: DevIdentity) -> None:
    keys = ["--key", str(dev.key), "--cert", str(dev.cert), "--source-type", MADE]
    result = runner.invoke(app, ["sign", *map(str, photos[:2]), "-o", "x.jpg", *keys])
    assert result.exit_code == ExitCode.ERROR
    assert "sign several with --out-dir DIR" in result.output
    result = runner.invoke(app, ["sign", str(photos[0]), "-o", "x.jpg", "--jobs", "2", *keys])
    assert result.exit_code == ExitCode.ERROR and "--jobs applies" in result.output
    assert not os.path.exists("x.jpg")
