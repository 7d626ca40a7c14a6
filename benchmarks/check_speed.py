"""How fast is `provenance check`? One run prints:

- files/s with --jobs 1 and --jobs 2 (no cache), and the scaling ratio (target >= 1.7
  on 2 cores);
- the warm-cache re-run speed-up over a cold run with the same jobs (target >= 20x);
- the per-file overhead over the bare C2PA library: `c2pa.Reader(path)
  .get_validation_state()` over the same files in one process vs `check --jobs 1
  --no-cache` (target <= 1.2).

The corpus is a temporary git repository of small distinct images (64x48 JPEG, each
from its own seed, so the content-addressed cache cannot share entries): most signed,
some unsigned, some tampered after signing. Timings call the library in-process (the
CLI adds a constant ~0.3 s of imports) and report medians.

    python benchmarks/check_speed.py [--files 2000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import c2pa

from provenance import _c2pa, generate_dev_identity, sign, verify
from provenance._demo_media import make_photo
from provenance.check import CheckOptions, run_check
from provenance.check._cache import CACHE_DIR
from provenance.trust import Trust

_ident_dir: Path | None = None


def _init(ident_dir: str) -> None:
    global _ident_dir
    _ident_dir = Path(ident_dir)


def _make(args: tuple[int, str, str]) -> str:
    """Make asset i: 'signed', 'unsigned' or 'tampered'."""
    i, kind, out = args
    assert _ident_dir is not None
    dst = Path(out)
    raw = dst.with_name(f".raw{i}.jpg")
    make_photo(raw, size=(64, 48), seed=10_000 + i)
    if kind == "unsigned":
        raw.rename(dst)
        return kind
    ident = _identity()
    sign(raw, dst, identity=ident, title=f"asset {i}", source_type="digitalCreation")
    raw.unlink()
    if kind == "tampered":
        data = bytearray(dst.read_bytes())
        data[-40] ^= 0x5A
        dst.write_bytes(bytes(data))
    return kind


_cached_ident = None


def _identity():  # type: ignore[no-untyped-def]
    global _cached_ident
    if _cached_ident is None:
        from provenance.identity import Identity

        assert _ident_dir is not None
        _cached_ident = Identity.from_pem(_ident_dir / "signer.key", _ident_dir / "signer.pem")
    return _cached_ident


def build_corpus(root: Path, n: int, workers: int) -> tuple[Path, list[Path], float]:
    keys = generate_dev_identity(root / "keys")
    repo = root / "repo"
    (repo / "certs").mkdir(parents=True)
    shutil.copy(keys.ca, repo / "certs" / "ca.pem")
    (repo / "provenance.toml").write_text('[trust]\nanchors = ["certs/ca.pem"]\n')
    jobs = []
    for i in range(n):
        kind = "unsigned" if i % 20 == 7 else "tampered" if i % 20 == 13 else "signed"
        folder = repo / "assets" / f"{i // 250:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        jobs.append((i, kind, str(folder / f"img{i:05d}.jpg")))
    t = time.perf_counter()
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(str(root / "keys"),)) as pool:
        list(pool.map(_make, jobs, chunksize=50))
    setup = time.perf_counter() - t
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for cmd in (
        ["init", "-q"],
        ["config", "user.email", "bench@example.com"],
        ["config", "user.name", "bench"],
        ["add", "-A"],
        ["commit", "-q", "-m", "corpus"],
    ):
        subprocess.run(["git", *cmd], cwd=repo, check=True, env=env)
    return repo, [Path(j[2]) for j in jobs], setup


def clock() -> tuple[float, float]:
    """(wall time, CPU time of this process and its reaped children)."""
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def measure(fn: Callable[[], object]) -> tuple[float, float]:
    w0, c0 = clock()
    fn()
    w1, c1 = clock()
    return w1 - w0, c1 - c0


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def parallel_capacity(workers: int = 2, n: int = 4_000_000) -> float:
    """How much faster `workers` processes finish pure-Python work than one: what the
    machine can give right now (other load on a shared machine lowers it)."""
    t = time.perf_counter()
    for _ in range(workers):
        _burn(n)
    serial = time.perf_counter() - t
    with ProcessPoolExecutor(workers) as pool:
        t = time.perf_counter()
        list(pool.map(_burn, [n] * workers))
        parallel = time.perf_counter() - t
    return serial / parallel


def bare_reader(files: list[Path]) -> None:
    for f in files:
        try:
            with c2pa.Reader(str(f)) as r:
                r.get_validation_state()
        except c2pa.C2paError:
            pass  # unsigned: no manifest


def bare_reader_trust(files: list[Path], anchors: Path) -> None:
    """The same, with the trust anchors the check uses (one context for all files)."""
    ctx = _c2pa.context(trust_anchors_pem=anchors.read_text())
    for f in files:
        try:
            with open(f, "rb") as stream, c2pa.Reader("image/jpeg", stream, context=ctx) as r:
                r.get_validation_state()
        except c2pa.C2paError:
            pass


def verify_loop(files: list[Path], anchors: Path) -> None:
    trust = Trust.load([anchors])
    for f in files:
        verify(f, trust=trust)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="check-bench-")) if args.keep is None else args.keep
    try:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"python {sys.version.split()[0]}, c2pa {c2pa.sdk_version()}, {cores} cores")
        repo, files, setup = build_corpus(tmp, args.files, max(2, cores or 1))
        print(f"corpus: {len(files)} signed/unsigned/tampered 64x48 JPEGs in {setup:.1f} s")

        no_trust = tmp / "no-trust.toml"
        no_trust.write_text("# the default policy: no trust anchors\n")

        def check(jobs: int, cache: bool, policy: Path | None = None) -> None:
            opts = CheckOptions(paths=(repo,), jobs=jobs, cache=cache, policy=policy)
            report = run_check(opts)
            assert len(report.results) == len(files), len(report.results)

        bare_reader(files[:50])  # warm the page cache and the library
        n = len(files)
        ca = repo / "certs" / "ca.pem"

        def cold_then_warm() -> None:
            shutil.rmtree(repo / CACHE_DIR, ignore_errors=True)
            runs["cold, cache on, jobs 2"].append(measure(lambda: check(2, True)))
            runs["warm cache, jobs 2"].append(measure(lambda: check(2, True)))

        steps: dict[str, Callable[[], object]] = {
            "check --jobs 1 --no-cache": lambda: check(1, False),
            "  same, policy w/o trust": lambda: check(1, False, no_trust),
            "check --jobs 2 --no-cache": lambda: check(2, False),
            "bare c2pa.Reader": lambda: bare_reader(files),
            "bare Reader + trust ctx": lambda: bare_reader_trust(files, ca),
            "provenance.verify loop": lambda: verify_loop(files, ca),
        }
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in steps}
        runs["cold, cache on, jobs 2"] = []
        runs["warm cache, jobs 2"] = []
        # Interleaved rounds, so that load from elsewhere on the machine hits every
        # measurement alike; medians of wall and CPU time.
        load0 = os.getloadavg()[0]
        capacity = []
        for _ in range(args.repeat):
            capacity.append(parallel_capacity())
            for name, fn in steps.items():
                runs[name].append(measure(fn))
            cold_then_warm()
        load1 = os.getloadavg()[0]
        wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
        cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
        print(f"load average {load0:.1f} before, {load1:.1f} after ({cores} cores)")
        print(f"{'':28}{'files/s':>9}{'wall s':>9}{'CPU s':>9}   wall runs")
        for k, v in runs.items():
            walls = ", ".join(f"{w:.2f}" for w, _ in v)
            print(f"{k:28}{n / wall[k]:9.0f}{wall[k]:9.3f}{cpu[k]:9.2f}   {walls}")
        j1, j2 = "check --jobs 1 --no-cache", "check --jobs 2 --no-cache"
        print(f"scaling jobs 2 / jobs 1        : {wall[j1] / wall[j2]:5.2f}x  (target >= 1.7)")
        cap = statistics.median(capacity)
        print(
            f"  machine's parallel capacity  : {cap:5.2f}x  (2 processes of pure-Python work; "
            f"runs {', '.join(f'{c:.2f}' for c in capacity)})"
        )
        speedup = wall["cold, cache on, jobs 2"] / wall["warm cache, jobs 2"]
        print(f"warm-cache speed-up (same jobs): {speedup:5.1f}x  (target >= 20x)")
        print(f"  vs cold --jobs 1 --no-cache  : {wall[j1] / wall['warm cache, jobs 2']:5.1f}x")
        bare = "bare c2pa.Reader"
        print(
            f"check jobs 1 / bare Reader     : {wall[j1] / wall[bare]:5.2f} wall, "
            f"{cpu[j1] / cpu[bare]:5.2f} CPU  (target <= 1.2)"
        )
        nt = "  same, policy w/o trust"
        print(
            f"  like for like, no trust    : {wall[nt] / wall[bare]:5.2f} wall, "
            f"{cpu[nt] / cpu[bare]:5.2f} CPU  (check without trust anchors / bare Reader)"
        )
        tr, vl = "bare Reader + trust ctx", "provenance.verify loop"
        print("  of which (CPU ratios):")
        print(f"    trust-chain validation (Reader+trust / bare): {cpu[tr] / cpu[bare]:5.2f}")
        print(f"    provenance.verify (verify / Reader+trust)   : {cpu[vl] / cpu[tr]:5.2f}")
        print(f"    check's own work (check jobs 1 / verify)    : {cpu[j1] / cpu[vl]:5.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
