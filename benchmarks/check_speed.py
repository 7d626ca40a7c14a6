"""How fast is `provenance check`? One run prints:

- files/s with --jobs 1 and --jobs 2 (no cache), and the scaling ratio (target >= 1.7
  on 2 cores);
- the warm-cache re-run speed-up over a cold run with the same jobs (target >= 20x);
- the per-file overhead over the bare C2PA library, like for like: `check --jobs 1
  --no-cache` against a loop of `c2pa.Reader(...).get_validation_state()` over the same
  files in one process, opened as `verify` opens them, with the same C2PA context (the
  same trust anchors, or none, and the same settings) on both sides (target <= 1.2 in
  both cases; the issue-2 baseline, a Reader with c2pa's default context, is kept too).
  A policy that names signers (`allowed_signers`) makes the check read each signer's
  certificate (a second JSON pass): that row is shown against the same baseline, and
  `provenance.verify` (which always reads it) too. These rows run chunk by chunk (500
  files each), every row on a chunk in turn in a rotating order, so that the load of a
  shared machine falls on all of them alike; ratios are medians of the rounds' ratios;
- with --profile, where the check's time goes beyond the Reader: one `check --jobs 1
  --no-cache` under cProfile, summed into buckets (the Reader itself, each JSON pass,
  format detection, localization, policy, walking, reporting) and the top functions.

The corpus is a temporary git repository of small distinct images (64x48 JPEG, or
`--size WxH`, each from its own seed, so the content-addressed cache cannot share
entries): most signed, some unsigned, some tampered after signing. Timings call the
library in-process (the CLI adds a constant ~0.3 s of imports) and report medians.

    python benchmarks/check_speed.py [--files 2000] [--repeat 3] [--keep DIR] [--profile]
    python benchmarks/check_speed.py --size 4000x3000 --files 200   # phone-sized photos

Before and after a change: build the corpus once (`--keep DIR`), then run this script
with `--reuse DIR` alternately on each version of the package (PYTHONPATH=the other
checkout), round by round, and compare the medians.
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


def _make(args: tuple[int, str, str, tuple[int, int]]) -> str:
    """Make asset i: 'signed', 'unsigned' or 'tampered'."""
    i, kind, out, size = args
    assert _ident_dir is not None
    dst = Path(out)
    raw = dst.with_name(f".raw{i}.jpg")
    make_photo(raw, size=size, seed=10_000 + i)
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


def build_corpus(
    root: Path, n: int, workers: int, size: tuple[int, int]
) -> tuple[Path, list[Path], float]:
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
        jobs.append((i, kind, str(folder / f"img{i:05d}.jpg"), size))
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


def bare_reader_ctx(files: list[Path], anchors: Path | None) -> None:
    """Like for like: the context the check uses (its settings, and its trust anchors or
    none), one for all files; each file opened as a stream, as verify opens it."""
    ctx = _c2pa.context(trust_anchors_pem=anchors.read_text() if anchors else None)
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


def profile_check(run: Callable[[], None], n: int) -> None:
    """Where a check's time goes: cumulative time of the functions that make each bucket
    (buckets do not nest in one another), then the top functions by own time."""
    import cProfile
    import json
    import pstats

    from provenance import _fingerprints, _media, models
    from provenance.check import _policy, _walk

    buckets: dict[str, list[Callable[..., object]]] = {
        "C2PA Reader (parse + validate)": [c2pa.Reader.__init__],
        "Reader report, 1st JSON pass (json)": [c2pa.Reader.json],
        "Reader report, 2nd JSON pass (crjson)": [c2pa.Reader.crjson],
        "json.loads of those reports": [json.loads],
        "format detection (detect)": [_media.detect],
        "localize (fingerprints)": [_fingerprints.localize],
        "report to_dict": [models.VerificationReport.to_dict],
        "policy evaluate": [_policy.Policy.evaluate],
        "walk + classify": [_walk.candidates, _walk.classify],
    }
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    raw = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    print(f"\nPROFILE of check --jobs 1 --no-cache, trust anchors on ({n} files, "
          f"{total:.2f} s CPU under cProfile, {1e3 * total / n:.2f} ms a file)")  # fmt: skip
    for name, fns in buckets.items():
        codes = {
            (f.__code__.co_filename, f.__code__.co_firstlineno, f.__code__.co_name) for f in fns
        }
        cum = sum(v[3] for k, v in raw.items() if k in codes)
        print(f"  {name:40s}{cum:7.2f} s {100 * cum / total:5.1f}%  {1e3 * cum / n:6.3f} ms/file")
    print("  top functions by own time:")
    for (path, line, name), v in sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:15]:
        print(f"    {v[2]:6.2f} s own {v[3]:6.2f} s cum {v[1]:7d} calls  "
              f"{Path(path).name}:{line}({name})")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    ap.add_argument("--reuse", type=Path, help="measure on a corpus kept by an earlier --keep run")
    ap.add_argument("--profile", action="store_true", help="profile one check --jobs 1 run")
    ap.add_argument(
        "--size", default="64x48", help="the photos' size, WxH (4000x3000: a phone's 12 MP)"
    )
    args = ap.parse_args()

    kept = args.keep or args.reuse
    tmp = Path(tempfile.mkdtemp(prefix="check-bench-")) if kept is None else kept
    try:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"python {sys.version.split()[0]}, c2pa {c2pa.sdk_version()}, {cores} cores")
        if args.reuse is not None:  # the same files for another version of the code
            repo = tmp / "repo"
            files = sorted((repo / "assets").glob("*/*.jpg"))
            print(f"corpus: {len(files)} JPEGs kept in {tmp}")
        else:
            w, h = (int(v) for v in args.size.split("x"))
            repo, files, setup = build_corpus(tmp, args.files, max(2, cores or 1), (w, h))
            print(f"corpus: {len(files)} signed/unsigned/tampered {w}x{h} JPEGs in {setup:.1f} s")

        no_trust = tmp / "no-trust.toml"
        no_trust.write_text("# the default policy: no trust anchors\n")
        names = tmp / "names.toml"
        names.write_text(
            f'[trust]\nanchors = ["{repo / "certs" / "ca.pem"}"]\n'
            '[rules]\nallowed_signers = ["*"]\n'  # names signers: certificates are read
        )

        def check(
            jobs: int,
            cache: bool,
            policy: Path | None = None,
            chunk: tuple[Path, ...] = (),
            localize: bool = True,
        ) -> None:
            opts = CheckOptions(
                paths=chunk or (repo,), jobs=jobs, cache=cache, policy=policy, localize=localize
            )
            report = run_check(opts)
            want = sum(len(by_folder[d]) for d in chunk) if chunk else len(files)
            assert len(report.results) == want, len(report.results)

        by_folder: dict[Path, list[Path]] = {}
        for f in files:
            by_folder.setdefault(f.parent, []).append(f)
        # Rows run on chunks of two folders (500 files), so that a check's fixed costs
        # (policy, git) weigh on a chunk about as they do on a real repository's run.
        folders = sorted(by_folder)
        chunks = [tuple(folders[i : i + 2]) for i in range(0, len(folders), 2)]
        bare_reader(files[:50])  # warm the page cache and the library
        n = len(files)
        ca = repo / "certs" / "ca.pem"

        # The like-for-like comparison runs chunk by chunk (about a second a step), every
        # step on each chunk in turn, in a rotating order: load from elsewhere on the
        # shared machine then falls on all of them alike.
        Step = Callable[[tuple[Path, ...], list[Path]], object]
        paired_steps: dict[str, Step] = {
            "check --jobs 1 --no-cache": lambda d, fs: check(1, False, chunk=d),
            "  same, policy w/o trust": lambda d, fs: check(1, False, no_trust, d),
            "  same, policy names signers": lambda d, fs: check(1, False, names, d),
            "  same, localize off": lambda d, fs: check(1, False, chunk=d, localize=False),
            "bare c2pa.Reader": lambda d, fs: bare_reader(fs),
            "bare Reader + trust ctx": lambda d, fs: bare_reader_ctx(fs, ca),
            "bare Reader, ctx w/o trust": lambda d, fs: bare_reader_ctx(fs, None),
            "provenance.verify loop": lambda d, fs: verify_loop(fs, ca),
        }
        # Whole-corpus runs: worker scaling and the cache.
        j1_all, j2_all = "check --jobs 1, whole corpus", "check --jobs 2, whole corpus"
        whole: dict[str, Callable[[], object]] = {
            j1_all: lambda: check(1, False),
            j2_all: lambda: check(2, False),
        }
        runs: dict[str, list[tuple[float, float]]] = {
            k: [] for k in (*paired_steps, *whole, "cold, cache on, jobs 2", "warm cache, jobs 2")
        }
        load0 = os.getloadavg()[0]
        capacity = []
        for _ in range(args.repeat):
            capacity.append(parallel_capacity())
            totals = {k: [0.0, 0.0] for k in paired_steps}
            names_in_order = list(paired_steps)
            for i, chunk in enumerate(chunks):
                fs = [f for d in chunk for f in by_folder[d]]
                shift = i % len(names_in_order)
                for name in names_in_order[shift:] + names_in_order[:shift]:
                    w, c = measure(lambda step=paired_steps[name], d=chunk, fs=fs: step(d, fs))
                    totals[name][0] += w
                    totals[name][1] += c
            for name, (w, c) in totals.items():
                runs[name].append((w, c))
            for name, fn in whole.items():
                runs[name].append(measure(fn))
            shutil.rmtree(repo / CACHE_DIR, ignore_errors=True)
            runs["cold, cache on, jobs 2"].append(measure(lambda: check(2, True)))
            runs["warm cache, jobs 2"].append(measure(lambda: check(2, True)))
        load1 = os.getloadavg()[0]
        wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
        cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
        print(f"load average {load0:.1f} before, {load1:.1f} after ({cores} cores)")
        print(f"{'':30}{'files/s':>9}{'wall s':>9}{'CPU s':>9}   wall runs")
        for k, v in runs.items():
            walls = ", ".join(f"{w:.2f}" for w, _ in v)
            print(f"{k:30}{n / wall[k]:9.0f}{wall[k]:9.3f}{cpu[k]:9.2f}   {walls}")
        j1 = "check --jobs 1 --no-cache"
        print(f"scaling jobs 2 / jobs 1        : {wall[j1_all] / wall[j2_all]:5.2f}x  "
              "(target >= 1.7)")  # fmt: skip
        cap = statistics.median(capacity)
        print(
            f"  machine's parallel capacity  : {cap:5.2f}x  (2 processes of pure-Python work; "
            f"runs {', '.join(f'{c:.2f}' for c in capacity)})"
        )
        speedup = wall["cold, cache on, jobs 2"] / wall["warm cache, jobs 2"]
        print(f"warm-cache speed-up (same jobs): {speedup:5.1f}x  (target >= 20x)")
        print(f"  vs cold --jobs 1 --no-cache  : {wall[j1_all] / wall['warm cache, jobs 2']:5.1f}x")
        bare = "bare c2pa.Reader"
        tr, nt_bare, vl = (
            "bare Reader + trust ctx",
            "bare Reader, ctx w/o trust",
            "provenance.verify loop",
        )
        nt = "  same, policy w/o trust"
        nm = "  same, policy names signers"

        def paired(a: str, b: str) -> str:
            w = statistics.median(x[0] / y[0] for x, y in zip(runs[a], runs[b], strict=True))
            c = statistics.median(x[1] / y[1] for x, y in zip(runs[a], runs[b], strict=True))
            return f"{w:5.2f} wall, {c:5.2f} CPU"

        print("check jobs 1 / bare Reader, like for like (same context both sides; target <= 1.2):")
        print(f"  with trust anchors           : {paired(j1, tr)}")
        print(f"  without trust anchors        : {paired(nt, nt_bare)}")
        print(f"  anchors, policy names signers: {paired(nm, tr)}  (certificates read)")
        print(f"  anchors, localize off        : {paired('  same, localize off', tr)}  "
              "(tampered photos not decoded)")  # fmt: skip
        print(f"  provenance.verify loop       : {paired(vl, tr)}  (certificates read)")
        print(f"  (issue-2 baseline, a Reader with c2pa's default context: "
              f"{wall[j1] / wall[bare]:.2f} wall, {cpu[j1] / cpu[bare]:.2f} CPU; without "
              f"anchors {wall[nt] / wall[bare]:.2f} wall)")  # fmt: skip
        print("  of which (CPU ratios):")
        print(f"    trust chains (Reader+trust / Reader w/o): {cpu[tr] / cpu[nt_bare]:5.2f}")
        print(f"    provenance.verify (verify / Reader+trust): {cpu[vl] / cpu[tr]:5.2f}")
        print(f"    check's own work (check jobs 1 / verify) : {cpu[j1] / cpu[vl]:5.2f}")
        if args.profile:
            profile_check(lambda: check(1, False), n)
    finally:
        if kept is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
