"""Concurrency: ten `provenance sign` processes in one folder, and ten `provenance check`
processes sharing one report cache.

- Distinct outputs: all succeed, all verify, no temporary files left.
- One output path, no --force: exactly one process wins; the others exit 2 with
  'already exists' (caught early by the existence check, or at the final link(), which
  refuses to replace); the file that exists is complete and verifies.
- `check` with its cache: identical reports from every process, a cache whose every entry
  parses and carries its own key, and the same report again from the warm cache.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from attacks import Workbench, flip_in_media, sha256

from provenance import Verdict, verify

N = 10


def _spawn(args: list[str], cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "provenance", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def _sign_args(wb: Workbench, src: Path, dst: Path) -> list[str]:
    return ["sign", str(src), "-o", str(dst), "--key", str(wb.dev_a.key),
            "--cert", str(wb.dev_a.cert), "--source-type", "digitalCreation"]  # fmt: skip


def _wait_all(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append((p.returncode, out, err))
    return results


def test_concurrent_sign_distinct_outputs(workbench: Workbench, tmp_path: Path) -> None:
    src = tmp_path / "photo.png"
    src.write_bytes(workbench.original("png").read_bytes())
    before = sha256(src)
    procs = [_spawn(_sign_args(workbench, src, tmp_path / f"out-{i}.png")) for i in range(N)]
    results = _wait_all(procs)
    assert [r[0] for r in results] == [0] * N, [r[2] for r in results]
    assert sha256(src) == before
    for i in range(N):
        assert verify(tmp_path / f"out-{i}.png").verdict is Verdict.VALID
    assert not list(tmp_path.glob(".*.partial"))


def test_concurrent_sign_same_output(workbench: Workbench, tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(workbench.original("jpg").read_bytes())
    dst = tmp_path / "signed.jpg"
    procs = [_spawn(_sign_args(workbench, src, dst)) for _ in range(N)]
    results = _wait_all(procs)
    codes = sorted(r[0] for r in results)
    assert codes == [0] + [2] * (N - 1), [(r[0], r[2]) for r in results]
    for code, out, err in results:
        if code == 2:
            assert "already exists" in err and "Traceback" not in err + out
    assert verify(dst).verdict is Verdict.VALID
    assert not list(tmp_path.glob(".*.partial"))


def _check_folder(wb: Workbench, root: Path) -> Path:
    folder = root / "assets"
    folder.mkdir()
    for ext in ("jpg", "png", "mp4"):
        signed = wb.signed(ext)
        (folder / f"signed.{ext}").write_bytes(signed.read_bytes())
        (folder / f"unsigned.{ext}").write_bytes(wb.original(ext).read_bytes())
        tampered = folder / f"tampered.{ext}"
        tampered.write_bytes(flip_in_media(signed.read_bytes(), wb.original(ext).read_bytes()))
    (folder / "notes.txt").write_text("not media\n")
    return folder


def test_concurrent_check_shared_cache(workbench: Workbench, tmp_path: Path) -> None:
    folder = _check_folder(workbench, tmp_path)
    args = ["check", str(folder), "--format", "json", "--jobs", "1"]
    results = _wait_all([_spawn(args, cwd=tmp_path) for _ in range(N)])
    codes = {r[0] for r in results}
    # unsigned and tampered files break the default policy: every run exits 1
    assert codes == {1}, [(r[0], r[2][-300:]) for r in results]
    docs = [json.loads(r[1]) for r in results]
    assert all(d == docs[0] for d in docs), "concurrent runs disagree"
    verdicts = {r["path"]: r["verdict"] for r in docs[0]["results"]}
    assert verdicts["signed.jpg"] == "valid" and verdicts["tampered.png"] == "tampered"
    assert verdicts["unsigned.mp4"] == "unsigned"

    entries = [p for p in (folder / ".provenance-cache").rglob("*.json")]
    assert entries, "the cache was not used"
    for entry in entries:
        doc = json.loads(entry.read_bytes())  # complete JSON: no torn writes
        assert entry.stem == doc["key"] and "verdict" in doc["report"]
    assert not [p for p in (folder / ".provenance-cache").rglob(".tmp-*")]

    # Warm cache: same report. A damaged entry is recomputed, not trusted.
    entries[0].write_bytes(entries[0].read_bytes()[:20])
    ((code, out, err),) = _wait_all([_spawn(args, cwd=tmp_path)])
    assert code == 1 and json.loads(out) == docs[0], err[-300:]
