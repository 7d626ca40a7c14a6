"""`provenance check --engine ray` on a local Ray instance (2 CPUs, one for the session):
the same report as the local engine across every format and policy outcome, a hostile
file as its own row, a killed worker's tasks retried, and the cache shared between the
engines. Without Ray these skip (and fail where CI sets PROVENANCE_REQUIRE_RAY=1)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from mediautil import MEDIA, flip_media_byte
from typer.testing import CliRunner

from provenance import Identity, sign
from provenance._demo_media import make_photo
from provenance.check import CheckOptions, Engine, run_check
from provenance.cli import app

pytestmark = pytest.mark.slow

runner = CliRunner()


def run(repo: Path, *args: str) -> tuple[int, str]:
    """`provenance check --format json ARGS` inside `repo`: (exit code, stdout)."""
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        r = runner.invoke(app, ["check", "--format", "json", *args], env={"CI": "true"})
    finally:
        os.chdir(cwd)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout


@pytest.fixture(scope="module")
def archive_media(
    tmp_path_factory: pytest.TempPathFactory, media_dir: Path, identity: Identity
) -> Path:
    """Every format signed once (by a signer the check policy does not trust), edited
    copies of the videos, and a folder of frames signed as one image sequence."""
    d = tmp_path_factory.mktemp("archive")
    for ext in MEDIA:
        made = "digitalCreation"
        sign(media_dir / f"sample.{ext}", d / f"signed.{ext}", identity=identity, source_type=made)
    for ext in ("mp4", "mov"):  # edited after signing: verifying decodes every frame
        shutil.copy(d / f"signed.{ext}", d / f"tampered.{ext}")
        flip_media_byte(d / f"tampered.{ext}", media_dir / f"sample.{ext}")
    frames = d / "frames"
    frames.mkdir()
    for i in range(3):
        make_photo(frames / f"f{i}.png", size=(32, 24), seed=300 + i)
    sign(frames, identity=identity, source_type="digitalCreation")
    assert (d / "frames.c2pa").is_file()
    return d


@pytest.fixture
def archive(repo: Path, archive_media: Path, run_git: Any) -> Path:
    """The check repository (every policy outcome) plus every format, a sequence and
    several copies of the videos (heavier tasks), committed."""
    shutil.copytree(archive_media, repo / "archive")
    for i in range(4):
        for ext in ("mp4", "mov"):
            shutil.copy(archive_media / f"signed.{ext}", repo / "archive" / f"copy{i}.{ext}")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "archive")
    return repo


def test_ray_gives_the_local_report_hostile_file_included(
    archive: Path, expected: dict[str, tuple[str, str, list[str]]], ray_instance: Any
) -> None:
    # A signed JPEG extended to 2 GiB (sparse): too large to check safely.
    hostile = archive / "archive" / "sparse.jpg"
    shutil.copy(archive / "photos" / "signed.jpg", hostile)
    os.truncate(hostile, 2 << 30)
    local = run(archive, "--no-cache")
    ray = run(archive, "--no-cache", "--engine", "ray")
    assert ray == local  # same JSON, same order, same exit code
    code, out = ray
    assert code == 2
    results = {r["path"]: r for r in json.loads(out)["results"]}
    assert list(results) == sorted(results)
    sparse = results["archive/sparse.jpg"]
    assert [v["rule"] for v in sparse["violations"]] == ["unreadable"]
    assert "too large to check safely" in sparse["report"]["message"]
    for path, (status, verdict, rules) in expected.items():
        r = results[path]
        assert (r["status"], r["verdict"], [v["rule"] for v in r["violations"]]) == (
            status,
            verdict,
            rules,
        ), path
    for ext in MEDIA:  # every format verified; its signer is not one the policy trusts
        r = results[f"archive/signed.{ext}"]
        assert (r["verdict"], [v["rule"] for v in r["violations"]]) == (
            "valid",
            ["untrusted-signer"],
        ), ext
    assert results["archive/frames"]["report"]["sequence"] is not None
    for ext in ("mp4", "mov"):
        r = results[f"archive/tampered.{ext}"]
        assert r["verdict"] == "tampered" and r["report"]["frames"] is not None, ext


def _ours(root_pid: int) -> set[int]:
    """Every process descending from `root_pid` (Ray's raylet and its workers are ours)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [root_pid]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            out.add(child)
            todo.append(child)
    return out


def _kill_a_busy_worker(killed: list[int], stop: threading.Event) -> None:
    """SIGKILL the first of our Ray workers seen running a batch."""
    while not stop.is_set():
        for pid in _ours(os.getpid()):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"ray::_run_batch"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
        time.sleep(0.002)


def test_a_killed_worker_costs_only_a_retry(archive: Path, ray_instance: Any) -> None:
    local = run_check(CheckOptions(paths=(archive,), cache=False))
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_a_busy_worker, args=(killed, stop))
    killer.start()
    try:
        ray = run_check(CheckOptions(paths=(archive,), cache=False, engine=Engine.RAY))
    finally:
        stop.set()
        killer.join()
    assert killed, "no Ray worker was seen running a batch"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)  # it really died
    assert ray.to_dict() == local.to_dict()
    assert not any("worker died" in r.report.message for r in ray.results)


def test_ray_and_local_share_the_cache(archive: Path, ray_instance: Any) -> None:
    local = run_check(CheckOptions(paths=(archive,)))
    entries = sorted((archive / ".provenance-cache").rglob("*.json"))
    assert entries and local.cache_hits < len(local.results)
    ray = run_check(CheckOptions(paths=(archive,), engine=Engine.RAY))
    # Nothing verified twice: every asset came from the local run's entries.
    assert (ray.cache_hits, ray.cache_misses) == (len(ray.results), 0)
    assert ray.to_dict() == local.to_dict()
    assert sorted((archive / ".provenance-cache").rglob("*.json")) == entries
