"""Sign and verify speed and peak memory against hashing floors (issue 2, "Speed and memory").

Generates (into a temporary folder, or a --workdir cache) two MP4s of about 250 and 500 MB
(real H.264 from PyAV: lossless, intra-only 1080p noise frames, which grow fast) and a
24-megapixel JPEG with a noise texture, then times, side by side in one run:

* the floors: SHA-256 of the file with hashlib in 1 MiB chunks, and a read+hash+write copy
  (also with the fsync that our atomic output does);
* `provenance.sign` (fingerprints off: this measures the C2PA part), which signs MP4 in
  one pass (`provenance._single_pass`: the file copied once, its media data hashed as
  Merkle leaves on the way, the manifest patched in place), and the verification of its
  output by `provenance.verify` (localize off) and by a bare `c2pa.Reader`;
* `provenance.sign` on the library's own path (single pass disabled, as when the C2PA
  library's embeddable API is missing or a file's layout is refused), and its output
  verified;
* bare c2pa-python as the baseline: `Builder.sign` with plain Python file objects and
  default settings, and `Reader`;
* a table of variants of the bare library call, one change at a time, with the time to
  verify each variant's output;
* for the JPEG: `provenance.sign` with and without fingerprints against the library with
  and without its automatic thumbnail, and the command line (`provenance sign`, whole
  process) less its start-up (`provenance --help`).

Every operation runs in a fresh subprocess; its time is measured inside the child around
the operation only (no interpreter start-up or imports), and its peak memory is the
child's RSS high-water mark (VmHWM). Figures are medians of --runs runs, taken round-robin
so that the noise of a shared machine falls on every row alike; ratios are medians too.

Peak memory is also taken at a third, larger size (--large-mb, 1000 by default), one run,
for the rows that are meant to stay flat (the bare-library variants are skipped there).

Run:  .venv/bin/python benchmarks/sign_verify_speed.py [--quick] [--workdir DIR]
(about 6-8 minutes on 2 cores; --quick: 40/80/160 MB files and 2 runs, about a minute).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHUNK = 1 << 20
MB = 1_000_000
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
BACKING_MB = 64  # the value provenance.sign uses
MERKLE_KB = 4096  # the value provenance._write uses


# ----------------------------------------------------------------------------------------
# Media
# ----------------------------------------------------------------------------------------


def make_video(path: Path, target_mb: int) -> Path:
    """An MP4 of about `target_mb` MB: lossless (qp 0) intra-only 1080p H.264 of noise
    frames, about 3.8 MB a frame, encoded at about 25 frames/s with preset ultrafast."""
    if path.exists() and abs(path.stat().st_size - target_mb * MB) < 8 * MB:
        return path
    import av
    import numpy as np

    rng = np.random.default_rng(2)
    noise = [rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8) for _ in range(6)]
    frames = [av.VideoFrame.from_ndarray(f, format="rgb24") for f in noise]
    tmp = path.with_suffix(".partial.mp4")
    t0 = time.perf_counter()
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.time_base = Fraction(1, 30)
        stream.options = {"qp": "0", "preset": "ultrafast", "x264-params": "keyint=1"}
        i = written = 0
        while written < target_mb * MB - 2 * MB:
            frame = frames[i % len(frames)]
            frame.pts = i
            packets = stream.encode(frame)
            written += sum(p.size for p in packets)
            out.mux(packets)
            i += 1
        out.mux(stream.encode(None))
    tmp.replace(path)
    size = path.stat().st_size / MB
    print(f"  made {path.name}: {size:.0f} MB, {i} frames, {time.perf_counter() - t0:.1f} s")
    return path


def make_jpeg(path: Path, size: tuple[int, int] = (6000, 4000)) -> Path:
    """A 24-megapixel photo-like JPEG: gradients plus sensor-like noise, quality 92."""
    if path.exists():
        return path
    import numpy as np
    from PIL import Image

    w, h = size
    rng = np.random.default_rng(3)
    rows = []
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    for y0 in range(0, h, 500):  # in bands, to keep the float work small
        y = np.linspace(y0 / h, (y0 + 500) / h, 500, dtype=np.float32)[:, None]
        base = np.stack(
            [90 + 120 * y + 25 * np.sin(9 * x), 140 + 60 * y + 20 * np.cos(7 * x + 3 * y),
             220 - 90 * y + 0 * x], axis=-1,
        )  # fmt: skip
        base += rng.normal(0.0, 11.0, base.shape).astype(np.float32)
        rows.append(np.clip(base, 0, 255).astype(np.uint8))
    Image.fromarray(np.concatenate(rows), "RGB").save(path, "JPEG", quality=92)
    print(f"  made {path.name}: {path.stat().st_size / MB:.1f} MB, {w}x{h}")
    return path


# ----------------------------------------------------------------------------------------
# Child side: one operation per process
# ----------------------------------------------------------------------------------------


def _hwm_mib() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _manifest(title: str) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": "bench", "version": "1"}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [
                    {"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCapture"}
                ]},
            }
        ],
    }  # fmt: skip


@contextmanager
def _open_pair(src: str, dst: str, streams: str) -> Iterator[tuple[Any, Any]]:
    buffering = CHUNK if streams == "py1m" else -1
    with open(src, "rb", buffering=buffering) as f, open(dst, "w+b", buffering=buffering) as o:
        yield f, o


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one operation; return its wall and CPU seconds, peak RSS and a short result."""
    op, src = spec["op"], spec["src"]
    dst = spec.get("dst", "")
    prepared: Callable[[], Any]
    if op in ("sha256", "copy", "copy_fsync"):

        def prepared() -> Any:
            h = hashlib.sha256()
            with open(src, "rb", buffering=0) as f:
                if op == "sha256":
                    while b := f.read(CHUNK):
                        h.update(b)
                    return h.hexdigest()[:12]
                with open(dst, "wb") as o:
                    while b := f.read(CHUNK):
                        h.update(b)
                        o.write(b)
                    o.flush()
                    if op == "copy_fsync":
                        os.fsync(o.fileno())
            return h.hexdigest()[:12]

    elif op in ("sign", "verify"):
        import provenance
        from provenance import _single_pass
        from provenance.keygen import DevIdentity

        keys = Path(spec["keys"])
        identity = DevIdentity(keys / "signer.key", keys / "signer.pem", keys / "ca.pem").load()
        fingerprints = bool(spec.get("fingerprints"))
        if spec.get("library_path"):
            _single_pass.available = lambda: False  # type: ignore[assignment]
        # The package loads its parts on first use: load them before the clock starts.
        sign, verify = provenance.sign, provenance.verify
        if fingerprints:
            import provenance.frames.image  # noqa: F401 - a still loads this part
        if op == "verify" and not src.endswith(".jpg"):
            # verify reads a video's container tags with PyAV (does its own metadata give
            # the place away?); its import, 0.07-0.2 s once per process, is start-up
            import av  # noqa: F401

        def prepared() -> Any:
            # Timed from the first use: single pass's one-time self-check (~30 ms) included.
            if op == "sign":
                r = sign(
                    src,
                    dst,
                    identity=identity,
                    fingerprints=fingerprints,
                    force=True,
                    source_type="digitalCreation",
                )
                return r.manifest_bytes
            return verify(src, localize=False).verdict.value

    elif op in ("c2pa_sign", "c2pa_verify"):
        import c2pa

        from provenance import _streams
        from provenance.keygen import DevIdentity

        keys = Path(spec["keys"])
        identity = DevIdentity(keys / "signer.key", keys / "signer.pem", keys / "ca.pem").load()
        settings: dict[str, Any] = spec.get("settings", {})
        ctx = c2pa.Context.from_dict(settings) if settings else c2pa.Context()
        mime = spec["mime"]

        def prepared() -> Any:
            if op == "c2pa_verify":
                with open(src, "rb") as f, c2pa.Reader(mime, f, context=ctx) as r:
                    return r.get_validation_state()
            builder = c2pa.Builder(_manifest(Path(src).name), context=ctx)
            signer = c2pa.Signer.from_callback(
                identity.sign, c2pa.C2paSigningAlg[identity.alg.upper()], identity.chain_pem
            )
            with signer:
                if spec["streams"] == "fd":
                    with open(src, "rb") as f, open(dst, "w+b") as o:
                        return len(_streams.sign_fds(builder, signer, mime, f.fileno(), o))
                with _open_pair(src, dst, spec["streams"]) as (f, o):
                    return len(builder.sign(signer, mime, f, o))

    elif op == "idle":
        import c2pa  # noqa: F401

        import provenance.sign  # noqa: F401
        import provenance.verify  # noqa: F401

        def prepared() -> Any:
            return None

    else:
        raise SystemExit(f"unknown op {op}")

    c0 = time.process_time()
    t0 = time.perf_counter()
    result = prepared()
    seconds = time.perf_counter() - t0
    return {
        "s": seconds,
        "cpu": time.process_time() - c0,
        "hwm": _hwm_mib(),
        "result": result,
    }


# ----------------------------------------------------------------------------------------
# Parent side
# ----------------------------------------------------------------------------------------


@dataclass
class Samples:
    s: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    hwm: dict[str, float] = field(default_factory=dict)  # size label -> MiB (max of runs)
    results: set[str] = field(default_factory=set)

    def add(self, out: dict[str, Any], size: str, timed: bool) -> None:
        if timed:
            self.s.append(out["s"])
            self.cpu.append(out["cpu"])
        self.hwm[size] = max(self.hwm.get(size, 0.0), out["hwm"])
        self.results.add(str(out["result"]))

    @property
    def median(self) -> float:
        return statistics.median(self.s) if self.s else float("nan")


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    # Write back the previous runs' output first, so that no child pays for another's
    # dirty pages (the timed region is inside the child and excludes this).
    os.sync()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {spec['op']} failed:\n{proc.stderr}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


@dataclass(frozen=True)
class Variant:
    """One way of calling bare c2pa-python's Builder.sign."""

    name: str
    settings: dict[str, Any]
    streams: str  # "py": plain file objects, "py1m": 1 MiB buffers, "fd": provenance._streams


def variants() -> list[Variant]:
    bs = {"backing_store_memory_threshold_in_mb": BACKING_MB}
    merkle = {**bs, "merkle_tree_chunk_size_in_kb": MERKLE_KB}
    leaves = {**merkle, "merkle_tree_max_proofs": 0}
    return [
        Variant("c2pa defaults, Python file objects", {}, "py"),
        Variant(f"+ backing store {BACKING_MB} MB", {"core": bs}, "py"),
        Variant(
            "+ verify_after_sign off",
            {"core": bs, "verify": {"verify_after_sign": False}},
            "py",
        ),
        Variant("+ Python files with 1 MiB buffers", {"core": bs}, "py1m"),
        Variant("+ native fd streams (_streams)", {"core": bs}, "fd"),
        Variant(f"+ Merkle {MERKLE_KB} KiB, proof boxes, fd", {"core": merkle}, "fd"),
        Variant(f"+ Merkle {MERKLE_KB} KiB, leaves only, Python", {"core": leaves}, "py"),
        Variant(f"+ Merkle {MERKLE_KB} KiB, leaves only, fd", {"core": leaves}, "fd"),
    ]


VARIANTS_NOTE = """
VARIANTS of bare c2pa Builder.sign: each row adds to the one above, except that the Merkle
rows start again from the backing-store row. Merkle: mdat hashed in 4 MiB chunks; "proof
boxes" is the library's default (5 proof levels, in uuid boxes added to the file), "leaves
only" is merkle_tree_max_proofs 0 (all leaf hashes in the manifest, nothing added to the
file): what provenance.sign's library path does for an unfragmented file. sign vs
hash+copy; verify of that output vs SHA-256."""


def ratio(a: list[float], b: list[float]) -> float:
    """Median of per-round ratios (rounds were taken side by side)."""
    pairs = [x / y for x, y in zip(a, b, strict=False) if y > 0]
    return statistics.median(pairs) if pairs else float("nan")


def fmt_row(name: str, s: Samples, floor: Samples | None, sizes: list[str]) -> str:
    """Median wall and CPU seconds, each also as a multiple of the floor, and peak RSS."""
    wall = f"{s.median:8.3f}" if s.s else " " * 8
    cpu = f"{statistics.median(s.cpu):7.2f}" if s.cpu else " " * 7
    wall_x = cpu_x = " " * 8
    if floor is not None and s.s:
        wall_x, cpu_x = f"{ratio(s.s, floor.s):7.2f}x", f"{ratio(s.cpu, floor.cpu):7.2f}x"
    mem = "".join(f"{s.hwm.get(z, float('nan')):>11.0f}" for z in sizes)
    return f"  {name:46s}{wall}{wall_x}{cpu}{cpu_x}{mem}"


def header(sizes: list[str]) -> str:
    mem = "".join(f"{'MiB@' + z:>11s}" for z in sizes)
    return f"  {'':46s}{'wall s':>8s}{'xfloor':>8s}{'cpu s':>7s}{'xfloor':>8s}{mem}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workdir", type=Path, help="keep generated media here between runs")
    ap.add_argument("--quick", action="store_true", help="40/80/160 MB videos, 2 runs")
    ap.add_argument("--large-mb", type=int, help="third size, memory only (1000; 0: none)")
    ap.add_argument("--runs", type=int, help="timed runs per row (default 3; --quick 2)")
    ap.add_argument("--photo-only", action="store_true", help="only the JPEG rows")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    t_start = time.perf_counter()
    runs = args.runs or (2 if args.quick else 3)
    small_mb, big_mb = (40, 80) if args.quick else (250, 500)
    large_mb = args.large_mb if args.large_mb is not None else (160 if args.quick else 1000)
    owned = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="sign-speed-")) if owned else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.photo_only:
            bench_photo(work, runs, _keys(work), make_jpeg(work / "photo-24mp.jpg"))
        else:
            bench(work, runs, small_mb, big_mb, large_mb)
    finally:
        for p in work.glob("out-*"):
            p.unlink()
        if owned:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


def _keys(work: Path) -> Path:
    from provenance.keygen import generate_dev_identity

    keys = work / "keys"
    if not (keys / "signer.key").exists():
        generate_dev_identity(keys, org="Benchmark", force=True)
    return keys


def bench(work: Path, runs: int, small_mb: int, big_mb: int, large_mb: int) -> None:
    from provenance import _single_pass, _streams

    print(f"media in {work}")
    keys = _keys(work)
    small = make_video(work / f"video-{small_mb}.mp4", small_mb)
    big = make_video(work / f"video-{big_mb}.mp4", big_mb)
    large = make_video(work / f"video-{large_mb}.mp4", large_mb) if large_mb else None
    photo = make_jpeg(work / "photo-24mp.jpg")
    videos = [small, big] + ([large] if large else [])
    sizes = [f"{p.stat().st_size / MB:.0f}MB" for p in videos]
    print(f"native fd streams available: {_streams.available()}; single-pass signing "
          f"available: {_single_pass.available()}; runs per row: {runs}")  # fmt: skip
    base = {"keys": str(keys)}
    out_mp4 = str(work / "out-video.mp4")
    out_lib = str(work / "out-library-path.mp4")

    rows: dict[str, Samples] = {}

    def measure(name: str, spec: dict[str, Any], size: str, timed: bool) -> dict[str, Any]:
        out = run_child({**base, **spec})
        rows.setdefault(name, Samples()).add(out, size, timed)
        return out

    mp4 = "video/mp4"
    vs = variants()
    idle = run_child({**base, "op": "idle", "src": str(big)})
    rounds = [(big, sizes[1], True)] * runs + [(small, sizes[0], False)]
    if large is not None:
        rounds.append((large, sizes[2], False))
    for src, size, timed in rounds:
        s = str(src)
        measure("floor: SHA-256 (hashlib, 1 MiB)", {"op": "sha256", "src": s}, size, timed)
        measure("floor: read+hash+write copy", {"op": "copy", "src": s, "dst": out_mp4}, size,
                timed)  # fmt: skip
        measure("floor: copy + fsync", {"op": "copy_fsync", "src": s, "dst": out_mp4}, size,
                timed)  # fmt: skip
        measure("provenance.sign", {"op": "sign", "src": s, "dst": out_mp4}, size, timed)
        measure("provenance.verify", {"op": "verify", "src": out_mp4}, size, timed)
        measure("bare c2pa verify of provenance.sign's output",
                {"op": "c2pa_verify", "src": out_mp4, "mime": mp4}, size, timed)  # fmt: skip
        measure("provenance.sign, library path",
                {"op": "sign", "src": s, "dst": out_lib, "library_path": True}, size,
                timed)  # fmt: skip
        measure("library path: provenance.verify", {"op": "verify", "src": out_lib}, size, timed)
        Path(out_lib).unlink(missing_ok=True)
        for v in vs if src is not large else vs[:0]:
            spec = {"src": s, "dst": out_mp4, "mime": mp4, "settings": v.settings}
            measure(f"sign  {v.name}", {**spec, "op": "c2pa_sign", "streams": v.streams}, size,
                    timed)  # fmt: skip
            measure(f"verify {v.name}", {**spec, "op": "c2pa_verify", "src": out_mp4}, size,
                    timed)  # fmt: skip
        Path(out_mp4).unlink(missing_ok=True)

    sha, copy = rows["floor: SHA-256 (hashlib, 1 MiB)"], rows["floor: read+hash+write copy"]
    print(f"\nVIDEO ({sizes[1]} timed; peak RSS of a fresh process at each size; an idle "
          f"child that imported c2pa and provenance peaks at {idle['hwm']:.0f} MiB)")  # fmt: skip
    print(header(sizes))
    print(fmt_row("floor: SHA-256 (hashlib, 1 MiB)", sha, None, sizes))
    print(fmt_row("floor: read+hash+write copy", copy, sha, sizes))
    print(fmt_row("floor: copy + fsync", rows["floor: copy + fsync"], copy, sizes))
    fsync_floor, sign, lib = (
        rows["floor: copy + fsync"],
        rows["provenance.sign"],
        rows["provenance.sign, library path"],
    )
    print(fmt_row("provenance.sign (vs copy+fsync: target 1.5)", sign, fsync_floor, sizes))
    print(fmt_row("provenance.sign (vs hash+copy)", sign, copy, sizes))
    print(fmt_row("  provenance.verify it (vs SHA-256: 1.2)", rows["provenance.verify"], sha,
                  sizes))  # fmt: skip
    print(fmt_row("  bare c2pa verify it (vs SHA-256)",
                  rows["bare c2pa verify of provenance.sign's output"], sha, sizes))  # fmt: skip
    print(fmt_row("provenance.sign, library path (vs copy+fsync)", lib, fsync_floor, sizes))
    print(fmt_row("  provenance.verify it (vs SHA-256)", rows["library path: provenance.verify"],
                  sha, sizes))  # fmt: skip
    bare_sign, bare_verify = f"sign  {vs[0].name}", f"verify {vs[0].name}"
    print(fmt_row("bare c2pa sign   (vs hash+copy)", rows[bare_sign], copy, sizes))
    print(fmt_row("bare c2pa sign   (vs copy+fsync)", rows[bare_sign], fsync_floor, sizes))
    print(fmt_row("bare c2pa verify (vs SHA-256)", rows[bare_verify], sha, sizes))
    print(f"  provenance.sign / bare c2pa sign: {ratio(sign.s, rows[bare_sign].s):.2f}x wall, "
          f"{ratio(sign.cpu, rows[bare_sign].cpu):.2f}x CPU; / its library path: "
          f"{ratio(sign.s, lib.s):.2f}x wall; provenance.verify / bare c2pa verify: "
          f"{ratio(rows['provenance.verify'].s, rows[bare_verify].s):.2f}x")  # fmt: skip
    print(
        f"  verdicts: provenance.verify {sorted(rows['provenance.verify'].results)}, of the "
        f"library path's output {sorted(rows['library path: provenance.verify'].results)}"
    )

    print(VARIANTS_NOTE)
    print(header(sizes[:2]))
    for v in vs:
        print(fmt_row(f"sign  {v.name}"[:46], rows[f"sign  {v.name}"], copy, sizes[:2]))
        r = rows[f"verify {v.name}"]
        print(fmt_row(f"  verify it ({'/'.join(sorted(r.results))})", r, sha, sizes[:2]))

    bench_photo(work, runs, keys, photo)


def bench_photo(work: Path, runs: int, keys: Path, photo: Path) -> None:
    """The 24-megapixel JPEG: provenance.sign with and without fingerprints against bare
    c2pa-python with and without its thumbnail, in-process; and the command line."""
    base = {"keys": str(keys)}
    jrows: dict[str, Samples] = {}
    out_jpg = str(work / "out-photo.jpg")
    jpeg = "image/jpeg"
    p = str(photo)
    jsize = f"{photo.stat().st_size / MB:.0f}MB"
    no_thumb = {"builder": {"thumbnail": {"enabled": False}}}
    bare_spec = {"op": "c2pa_sign", "src": p, "dst": out_jpg, "mime": jpeg, "streams": "py",
                 "settings": no_thumb}  # fmt: skip
    jspecs: list[tuple[str, dict[str, Any]]] = [
        ("floor: SHA-256", {"op": "sha256", "src": p}),
        ("floor: read+hash+write copy", {"op": "copy", "src": p, "dst": out_jpg}),
        ("provenance.sign, fingerprints off", {"op": "sign", "src": p, "dst": out_jpg}),
        ("provenance.sign, fingerprints on", {"op": "sign", "src": p, "dst": out_jpg,
                                              "fingerprints": True}),
        ("provenance.verify", {"op": "verify", "src": out_jpg}),
        ("bare c2pa, automatic thumbnail", {"op": "c2pa_sign", "src": p, "dst": out_jpg,
                                             "mime": jpeg, "streams": "py"}),
        ("bare c2pa, no thumbnail", bare_spec),
    ]  # fmt: skip
    cli = str(Path(sys.executable).with_name("provenance"))
    cli_sign = [cli, "sign", p, "-o", out_jpg, "--force", "--key", str(keys / "signer.key"),
                "--cert", str(keys / "signer.pem"), "--source-type", "digitalCreation"]  # fmt: skip
    processes = (
        ("CLI provenance --help", [cli, "--help"]),
        ("CLI provenance sign --help", [cli, "sign", "--help"]),
        ("CLI sign", cli_sign),
        # The like-for-like process: a script that imports c2pa, loads the key and signs.
        ("bare c2pa script", [sys.executable, __file__, "--child",
                              json.dumps({**base, **bare_spec})]),
    )  # fmt: skip
    for _ in range(runs):
        for name, spec in jspecs:
            out = run_child({**base, **spec})
            jrows.setdefault(name, Samples()).add(out, jsize, True)
        for name, cmd in processes:
            os.sync()
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            jrows.setdefault(name, Samples()).s.append(time.perf_counter() - t0)
    Path(out_jpg).unlink(missing_ok=True)
    jsha, jcopy = jrows["floor: SHA-256"], jrows["floor: read+hash+write copy"]
    print(f"\nJPEG 6000x4000 ({jsize}), {runs} rounds")
    print(header([jsize]))
    print(fmt_row("floor: SHA-256", jsha, None, [jsize]))
    print(fmt_row("floor: read+hash+write copy", jcopy, jsha, [jsize]))
    bare = jrows["bare c2pa, no thumbnail"]
    print("  the next three as multiples of bare c2pa without thumbnail:")
    for name in ("provenance.sign, fingerprints off", "provenance.sign, fingerprints on",
                 "bare c2pa, automatic thumbnail"):  # fmt: skip
        print(fmt_row(name, jrows[name], bare, [jsize]))
    print(fmt_row("bare c2pa, no thumbnail (x copy)", bare, jcopy, [jsize]))
    print(fmt_row("provenance.verify", jrows["provenance.verify"], jsha, [jsize]))
    full = jrows["provenance.sign, fingerprints on"]
    print(f"  provenance.sign, fingerprints and thumbnail / bare c2pa without thumbnail: "
          f"{ratio(full.s, bare.s):.2f}x wall, {ratio(full.cpu, bare.cpu):.2f}x CPU "
          f"(issue 16 target: 2x)")  # fmt: skip
    med = {name: jrows[name].median for name, _ in processes}
    print("  command line, whole processes (wall s): " + ", ".join(
        f"{name.removeprefix('CLI ')} {med[name]:.3f}" for name, _ in processes))  # fmt: skip
    for start in ("CLI provenance --help", "CLI provenance sign --help"):
        net = [a - b for a, b in zip(jrows["CLI sign"].s, jrows[start].s, strict=True)]
        print(f"  CLI sign less {start.removeprefix('CLI ')}: {statistics.median(net):.3f} s "
              f"= {ratio(net, bare.s):.2f}x bare c2pa without thumbnail (issue 16 target: 2x)")
    print(f"  CLI sign / bare c2pa script, whole processes: "
          f"{ratio(jrows['CLI sign'].s, jrows['bare c2pa script'].s):.2f}x")

if __name__ == "__main__":
    main()
