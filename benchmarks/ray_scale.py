"""`provenance check --engine ray` against the local process pool, on this machine.

One run prints:

- wall time of `check --no-cache` over N small assets and a few short videos, with the
  process pool (2 workers) and with a local Ray instance (2 CPUs), side by side; Ray's
  start-up (`ray.init`) apart, and its run both on fresh workers and on warm ones; the
  ratio Ray / pool (issue 14 target: <= 1.2);
- the driver's peak memory (VmHWM; Ray's own daemons and workers are other processes)
  for 1k and for all N assets: the engine alone (results consumed and dropped), `check`
  streamed as the CLI runs it (`stream_check`, the JSON report written as results
  arrive) and, as the baseline, `run_check` (the library call that holds the whole
  report) side by side; `--memory` measures only this (a few minutes on a kept corpus);
- per-asset costs for the scaling estimate in docs/scale.md: verify per small JPEG, per
  short video, and cache hashing per asset.

Every measurement runs in a fresh child process (`--child`), the timer inside the child
around the work only (no imports). Rounds are interleaved and the figures are medians.
The corpus is the one of `check_speed.py` (distinct 64x48 JPEGs: signed, unsigned,
tampered) plus signed 2 s 320x240 H.264 videos, in a temporary git repository.

    python benchmarks/ray_scale.py [--files 10000] [--videos 50] [--repeat 3] [--keep DIR]
                                   [--memory]

With the defaults it took 50 minutes on 2 cores at a load average of 20 (the corpus
about 6 of them); `--files 1200 --videos 6 --repeat 1` is a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _own_cpu() -> float:
    """CPU seconds of this process alone (all its threads)."""
    t = os.times()
    return t.user + t.system


def _tree_cpu() -> float:
    """CPU seconds (user+system) of this process and every process below it, live or
    reaped: the driver, the pool's workers, Ray's daemons and workers alike."""
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        ticks[int(entry)] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    todo = [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), []):
            total += ticks[pid] / os.sysconf("SC_CLK_TCK")
            todo.append(pid)
    return total


def child(mode: str, repo: Path, subset: str | None) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    import logging

    from provenance.check import (
        CheckOptions,
        Engine,
        ReportFormat,
        run_check,
        stream_check,
        write_check_report,
    )

    paths = tuple(repo / p for p in subset.split(",")) if subset else (repo,)
    out: dict[str, Any] = {}
    engine = Engine.RAY if mode.startswith("ray") else Engine.LOCAL
    if engine is Engine.RAY:
        import ray

        t = time.perf_counter()
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
        out["startup"] = time.perf_counter() - t
    opts = CheckOptions(paths=paths, cache=False, jobs=2, engine=engine)
    if mode.endswith("engine"):
        out["rss0"] = _vm_hwm_mib()
        out["wall"], out["assets"] = _engine_only(opts)
    elif mode.endswith("stream"):  # as the CLI runs it: the report written as it goes
        run = stream_check(opts)
        with tempfile.TemporaryDirectory() as tmp:
            write_check_report(run, ReportFormat.JSON, Path(tmp) / "report.json")
        out["assets"] = run.tally().assets
    elif mode.endswith("whole"):  # the whole report held (one run)
        out["assets"] = len(run_check(opts).results)
    else:
        t, c, d = time.perf_counter(), _tree_cpu(), _own_cpu()
        report = run_check(opts)
        out["wall"], out["cpu"] = time.perf_counter() - t, _tree_cpu() - c
        out["driver_cpu"] = _own_cpu() - d
        out["assets"] = len(report.results)
        if engine is Engine.RAY:  # again, on the now warm workers
            t, c = time.perf_counter(), _tree_cpu()
            run_check(opts)
            out["warm"], out["warm_cpu"] = time.perf_counter() - t, _tree_cpu() - c
    out["rss"] = _vm_hwm_mib()
    return out


def _engine_only(opts: Any) -> tuple[float, int]:
    """The engine over the assets, each result dropped once seen: what `imap` itself
    keeps in the driver."""
    from provenance._engine import imap
    from provenance.check._policy import discover_policy
    from provenance.check._run import _CheckTask, _trust_pems
    from provenance.check._walk import Asset, classify

    root = opts.paths[0] if len(opts.paths) == 1 else opts.paths[0].parent
    while not (root / ".git").exists():
        root = root.parent
    policy = discover_policy(root)
    task = _CheckTask(root, _trust_pems(policy.trust), policy.trust_hash, True, False)

    def assets() -> Any:  # a streamed listing, as an object-store listing would be
        for top in opts.paths:
            for folder, dirs, files in os.walk(top):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    item = classify(root, os.path.relpath(os.path.join(folder, name), root))
                    if isinstance(item, Asset):
                        yield item

    t = time.perf_counter()
    n = sum(1 for _ in imap(task, assets(), engine=opts.engine, jobs=2))
    return time.perf_counter() - t, n


def _run_child(mode: str, repo: Path, subset: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode, "--repo", str(repo)]
    if subset:
        cmd += ["--subset", subset]
    env = {**os.environ, "CI": "true"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _make_video(args: tuple[int, str, str]) -> None:
    from provenance import sign
    from provenance._demo_media import make_video
    from provenance.identity import Identity

    i, keys, out = args
    raw = Path(out).with_name(f".raw{i}.mp4")
    make_video(raw, seconds=2.0, seed=500 + i)
    ident = Identity.from_pem(Path(keys) / "signer.key", Path(keys) / "signer.pem")
    sign(raw, out, identity=ident, source_type="digitalCreation")
    raw.unlink()


def build(tmp: Path, files: int, videos: int) -> Path:
    sys.path.insert(0, str(HERE))
    from check_speed import build_corpus

    repo, _, setup = build_corpus(tmp, files, 2)
    t = time.perf_counter()
    (repo / "videos").mkdir()
    jobs = [
        (i, str(tmp / "keys"), str(repo / "videos" / f"clip{i:03d}.mp4")) for i in range(videos)
    ]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_make_video, jobs))
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for cmd in (["add", "-A"], ["commit", "-q", "-m", "videos"]):
        subprocess.run(["git", *cmd], cwd=repo, check=True, env=env)
    print(
        f"corpus: {files} JPEGs in {setup:.0f} s, {videos} videos in "
        f"{time.perf_counter() - t:.0f} s"
    )
    return repo


def unit_costs(repo: Path) -> dict[str, float]:
    """Serial per-asset costs (ms): verify a small JPEG, a 2 s video, and hash for the cache."""
    from provenance import verify
    from provenance.check._cache import file_digest
    from provenance.trust import Trust

    trust = Trust.load([repo / "certs" / "ca.pem"])
    jpegs = sorted((repo / "assets" / "00").glob("*.jpg"))[:200]
    clips = sorted((repo / "videos").glob("*.mp4"))[:10]

    def per(items: list[Path], fn: Any) -> float:
        t = time.perf_counter()
        for p in items:
            fn(p)
        return (time.perf_counter() - t) / max(1, len(items)) * 1000

    return {
        "verify_jpeg_ms": per(jpegs, lambda p: verify(p, trust=trust)),
        "verify_video_2s_ms": per(clips, lambda p: verify(p, trust=trust)),
        "hash_jpeg_ms": per(jpegs, file_digest),
        "jpeg_kib": statistics.mean(p.stat().st_size for p in jpegs) / 1024,
        "video_kib": statistics.mean(p.stat().st_size for p in clips) / 1024 if clips else 0,
    }


def _timing(repo: Path, args: argparse.Namespace) -> None:
    """Wall and CPU time of the two engines, interleaved rounds."""
    load0 = os.getloadavg()[0]
    runs: dict[str, list[dict[str, Any]]] = {"pool": [], "ray": []}
    for _ in range(args.repeat):
        for mode in runs:
            runs[mode].append(_run_child(mode, repo))
        print("  round:", {m: round(r[-1]["wall"], 2) for m, r in runs.items()}, flush=True)
    load1 = os.getloadavg()[0]
    n = runs["pool"][0]["assets"]
    assert all(r["assets"] == n for rs in runs.values() for r in rs)

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[mode])

    print(f"load average {load0:.1f} before, {load1:.1f} after")
    print(f"check --no-cache over {n} assets ({args.videos} videos), medians of {args.repeat}:")
    pool, ray_cold, ray_warm = med("pool", "wall"), med("ray", "wall"), med("ray", "warm")

    def walls(mode: str) -> str:
        return ", ".join(f"{r['wall']:.2f}" for r in runs[mode])

    cpu = {k: med(*k) for k in (("pool", "cpu"), ("ray", "cpu"), ("ray", "warm_cpu"))}
    print(f"{'':29}{'wall s':>8}{'assets/s':>10}{'CPU s':>8}   wall runs")
    rows = [
        ("process pool, 2 workers", pool, cpu["pool", "cpu"], walls("pool")),
        ("Ray 2 CPUs, fresh workers", ray_cold, cpu["ray", "cpu"], walls("ray")),
        ("Ray 2 CPUs, warm workers", ray_warm, cpu["ray", "warm_cpu"], ""),
    ]
    for name, wall, cpu_s, each in rows:
        print(f"  {name:27}{wall:8.2f}{n / wall:10.0f}{cpu_s:8.1f}   {each}")
    print(
        f"  Ray start-up (ray.init)    {med('ray', 'startup'):8.2f}  (apart; the workers' "
        "first imports are the fresh - warm difference)"
    )
    for mode in runs:
        per = med(mode, "driver_cpu") / n * 1000
        print(f"  driver CPU per asset, {mode:4} : {per:5.2f} ms  (walk, policy, report)")
    print(
        f"  ratio Ray / pool, wall     : {ray_cold / pool:5.2f}x fresh, "
        f"{ray_warm / pool:5.2f}x warm  (target <= 1.2)"
    )
    print(
        f"  ratio Ray / pool, CPU      : {cpu['ray', 'cpu'] / cpu['pool', 'cpu']:5.2f}x fresh, "
        f"{cpu['ray', 'warm_cpu'] / cpu['pool', 'cpu']:5.2f}x warm  (whole process trees)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--videos", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    ap.add_argument("--memory", action="store_true", help="only the driver's memory")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--repo", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--subset", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repo, args.subset)))
        return 0

    import c2pa
    import ray

    tmp = Path(tempfile.mkdtemp(prefix="ray-bench-")) if args.keep is None else args.keep
    try:
        print(
            f"python {sys.version.split()[0]}, c2pa {c2pa.sdk_version()}, ray {ray.__version__}, "
            f"{len(os.sched_getaffinity(0))} cores"
        )
        repo = tmp / "repo"
        if not (repo / ".git").exists():
            repo = build(tmp, args.files, args.videos)
        if not args.memory:
            _timing(repo, args)
        # Driver memory: 1k assets (4 folders of 250) against all of them.
        small = ",".join(f"assets/{i:02d}" for i in range(4))
        print("driver peak RSS (MiB), 1k assets -> all:")
        whats = {
            "engine": "engine only, results dropped",
            "stream": "check, streamed (the CLI)",
            "whole": "run_check, whole report held",
        }
        for mode in (f"{e}-{w}" for w in whats for e in ("pool", "ray")):
            a, b = _run_child(mode, repo, small), _run_child(mode, repo)
            what = whats[mode.split("-")[1]]
            per = (b["rss"] - a["rss"]) * 1024 / max(1, b["assets"] - a["assets"])
            print(
                f"  {mode:12} {a['assets']:6} -> {b['assets']:6}: {a['rss']:7.1f} -> "
                f"{b['rss']:7.1f}  ({per:5.2f} KiB per extra asset; {what})"
            )

        costs = unit_costs(repo)
        print("per-asset costs, one process (for docs/scale.md):")
        for k, v in costs.items():
            print(f"  {k:22}: {v:8.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
