"""Speed, size and memory of frame fingerprinting (prints figures; not a test).

Generates (once, cached in $TMPDIR/frames-bench) a 1080p30 H.264 clip of 20 s with natural
motion, plus 10 s and 60 s clips remuxed from it, then prints, measured in one run:

* per-frame cost of the alternatives (exact hash: SHA-256 vs BLAKE3; downscale: per-frame
  ``frame.reformat()`` vs one reused ``VideoReformatter``, 64x64 vs 128x128; DCT + regional
  features; PDQ at full 1080p and on a 512x512 downscale, if ``pdqhash`` is installed);
* decode-only fps (threaded), fingerprinting fps, verification fps (fingerprint the checked
  file + align/classify), their ratios to decode-only, medians over RUNS runs;
* bytes per frame of the assertion JSON at 1080p (and 720p and 4K, 128-frame clips);
* peak RSS of fingerprint + compare for the 10 s and 60 s clips, each in a fresh subprocess.

Run: .venv/bin/python benchmarks/frames_speed.py   (about 3-4 minutes on 2 cores, first run)
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import blake3
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support import synth  # noqa: E402

from provenance.frames import assertion, compare  # noqa: E402
from provenance.frames.features import FINE_SIZE, compute_features, fine_cells  # noqa: E402
from provenance.frames.fingerprint import fingerprint_video  # noqa: E402
from provenance.frames.table import GROUP, GROUP_RECORD_SIZE, RECORD_SIZE  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "frames-bench"
FPS = 30
SECONDS = 20
RUNS = 3
SAMPLE_FRAMES = 40


def make_clips() -> tuple[Path, Path, Path]:
    CACHE.mkdir(exist_ok=True)
    base = CACHE / "clip20.mp4"
    if not base.exists():
        t = time.perf_counter()
        scene = synth.Scene(1920, 1080, seed=1)
        # closed 1 s GOPs so the 10 s cut and the 60 s concatenation are clean
        options = {
            "crf": "20",
            "preset": "veryfast",
            "x264-params": "keyint=30:min-keyint=30:scenecut=0",
        }
        tmp = base.with_suffix(".tmp.mp4")
        synth.write_video(tmp, scene.frames(FPS * SECONDS), fps=FPS, options=options)
        tmp.rename(base)
        print(f"generated {base} in {time.perf_counter() - t:.0f} s")
    clip10 = CACHE / "clip10.mp4"
    clip60 = CACHE / "clip60.mp4"
    if not clip10.exists():
        remux(base, clip10, repeats=1, max_frames=FPS * 10)
    if not clip60.exists():
        remux(base, clip60, repeats=3, max_frames=None)
    return base, clip10, clip60


def remux(src: Path, dst: Path, repeats: int, max_frames: int | None) -> None:
    """Concatenate/cut H.264 packets without re-encoding (each GOP is closed)."""
    with av.open(str(src)) as inp:
        packets = [p for p in inp.demux(inp.streams.video[0]) if p.size]
        span = max(p.pts for p in packets if p.pts is not None) + (packets[0].duration or 1)
        with av.open(str(dst), "w") as out:
            ost = out.add_stream_from_template(inp.streams.video[0])
            written = 0
            for r in range(repeats):
                for p in packets:
                    if max_frames is not None and written >= max_frames:
                        break
                    if p.pts is not None:
                        p.pts += r * span
                    if p.dts is not None:
                        p.dts += r * span
                    p.stream = ost
                    out.mux(p)
                    written += 1
                    if p.pts is not None:
                        p.pts -= r * span
                    if p.dts is not None:
                        p.dts -= r * span


def decode_only(path: Path) -> int:
    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            n += 1
    return n


def decode_with(path: Path, work: Callable[[av.VideoFrame], object], threaded: bool) -> int:
    """Decode with per-frame work inline or in one worker thread (bounded queue)."""
    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        if not threaded:
            for f in c.decode(s):
                work(f)
                n += 1
            return n
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending: list[concurrent.futures.Future[object]] = []
            for f in c.decode(s):
                pending.append(pool.submit(work, f))
                if len(pending) > 8:
                    pending.pop(0).result()
                n += 1
            for fut in pending:
                fut.result()
    return n


def planes_hash(factory: Callable[[], object]) -> Callable[[av.VideoFrame], object]:
    def work(frame: av.VideoFrame) -> object:
        h = factory()
        for p in frame.planes:
            h.update(memoryview(p))  # type: ignore[attr-defined]
        return h.digest()  # type: ignore[attr-defined]

    return work


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    t = time.perf_counter()
    n = fn()
    return time.perf_counter() - t, n


def median_fps(fn: Callable[[], int]) -> float:
    fps = []
    for _ in range(RUNS):
        dt, n = timed(fn)
        fps.append(n / dt)
    return statistics.median(fps)


def per_frame_costs(path: Path) -> None:
    frames: list[av.VideoFrame] = []
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            frames.append(f)
            if len(frames) == SAMPLE_FRAMES:
                break

    def cost(fn: Callable[[av.VideoFrame], object], frames: list[av.VideoFrame] = frames) -> float:
        fn(frames[0])  # warm-up (scaler init, imports)
        best = []
        for _ in range(3):
            t = time.perf_counter()
            for f in frames:
                fn(f)
            best.append((time.perf_counter() - t) / len(frames) * 1000)
        return statistics.median(best)

    reused64, reused128 = VideoReformatter(), VideoReformatter()

    def gray(r: VideoReformatter, size: int) -> Callable[[av.VideoFrame], object]:
        return lambda f: r.reformat(
            f, width=size, height=size, format="gray", interpolation=Interpolation.AREA, threads=1
        ).to_ndarray()

    def per_call(f: av.VideoFrame) -> object:
        return f.reformat(width=64, height=64, format="gray", interpolation="AREA").to_ndarray()

    reused256 = VideoReformatter()
    g256 = gray(reused256, FINE_SIZE)(frames[0])
    rows: list[tuple[str, float]] = [
        ("exact: SHA-256 over planes (inline)", cost(planes_hash(hashlib.sha256))),
        (
            "exact: BLAKE3 over planes (inline)",
            cost(planes_hash(lambda: blake3.blake3(max_threads=1))),
        ),
        (
            "exact: SHA-256 over to_ndarray()",
            cost(lambda f: hashlib.sha256(np.asarray(f.to_ndarray()).data).digest()),
        ),
        ("downscale 64x64 gray, frame.reformat() per frame", cost(per_call)),
        ("downscale 64x64 gray, reused VideoReformatter", cost(gray(reused64, 64))),
        ("downscale 128x128 gray, reused VideoReformatter", cost(gray(reused128, 128))),
        ("downscale 256x256 gray, reused VideoReformatter", cost(gray(reused256, FINE_SIZE))),
        (
            "DCT hash + 8x8 cells + 64x32 fine cells on 256x256",
            cost(lambda f: (compute_features(g256), fine_cells(g256))),  # type: ignore[arg-type]
        ),
    ]
    try:
        import pdqhash  # type: ignore[import-untyped, import-not-found, unused-ignore]

        r512 = VideoReformatter()
        rows.append(
            (
                "PDQ on full 1080p RGB (pdqhash)",
                cost(lambda f: pdqhash.compute(f.to_ndarray(format="rgb24")), frames[:8]),
            )
        )
        rows.append(
            (
                "PDQ on 512x512 RGB (reused reformatter)",
                cost(
                    lambda f: pdqhash.compute(
                        r512.reformat(
                            f, width=512, height=512, format="rgb24", threads=1
                        ).to_ndarray()
                    )
                ),
            )
        )
    except ImportError:
        rows.append(("PDQ: pdqhash not installed", float("nan")))
    print(f"Per-frame cost of alternatives, 1080p, one thread, median of 3 x {len(frames)} frames:")
    for name, ms in rows:
        print(f"  {name:52s} {ms:7.2f} ms")


def rss_child(path: str) -> None:
    import resource

    fp = fingerprint_video(path, keep_frame_fine=True)
    report = compare.compare_fingerprints(fp, fp)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hwm = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    result = {"frames": fp.frame_count, "rss_mib": rss, "hwm_mib": hwm}
    print(json.dumps(result | {"intact": report.summary["intact"]}))


def rss_of(path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--rss", str(path)], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    t0 = time.perf_counter()
    # clip generation runs in a child: ru_maxrss survives exec on Linux, so a bloated parent
    # would leak its own peak into the RSS children measured below
    subprocess.run([sys.executable, __file__, "--make"], check=True)
    base, clip10, clip60 = (CACHE / "clip20.mp4", CACHE / "clip10.mp4", CACHE / "clip60.mp4")

    r10, r60 = rss_of(clip10), rss_of(clip60)
    print("Peak RSS, fingerprint + compare, each in a fresh process (getrusage; VmHWM):")
    print(
        f"  10 s ({int(r10['frames'])} frames): {r10['rss_mib']:.0f} MiB; {r10['hwm_mib']:.0f} MiB"
    )
    print(
        f"  60 s ({int(r60['frames'])} frames): {r60['rss_mib']:.0f} MiB; {r60['hwm_mib']:.0f} MiB"
    )
    print(f"  growth {r60['rss_mib'] - r10['rss_mib']:+.0f} MiB (target within 50 MB)")

    per_frame_costs(base)

    signed = fingerprint_video(base)
    b3 = planes_hash(lambda: blake3.blake3(max_threads=1))
    modes: list[tuple[str, Callable[[], int]]] = [
        ("decode only (thread_type AUTO)", lambda: decode_only(base)),
        (
            "decode + SHA-256 in worker thread",
            lambda: decode_with(base, planes_hash(hashlib.sha256), True),
        ),
        ("decode + BLAKE3 in worker thread", lambda: decode_with(base, b3, True)),
        ("fingerprint_video (full)", lambda: fingerprint_video(base).frame_count),
        (
            "verification (fingerprint + compare)",
            lambda: compare.compare_video(signed, base).checked_frame_count,
        ),
    ]
    # rounds interleave the modes so load from other processes hits all of them alike;
    # ratios are taken within a round, then the median over rounds
    times: dict[str, list[float]] = {name: [] for name, _ in modes}
    frames = 0
    for _ in range(RUNS):
        for name, fn in modes:
            dt, frames = timed(fn)
            times[name].append(dt)
    print(
        f"Throughput on {base.name} (1080p30, {SECONDS} s, {frames} frames), median of {RUNS}"
        " interleaved rounds:"
    )
    dec = times[modes[0][0]]
    ratios: dict[str, float] = {}
    for name, _ in modes:
        fps = frames / statistics.median(times[name])
        ratios[name] = statistics.median(t / d for t, d in zip(times[name], dec, strict=True))
        print(f"  {name:40s}{fps:7.1f} fps   {ratios[name]:.2f}x decode-only time")
    cmp_times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        compare.compare_fingerprints(signed, signed)
        cmp_times.append(time.perf_counter() - t)
    n = signed.frame_count
    ver_fps = frames / statistics.median(times[modes[4][0]])
    print(
        f"  compare/align only ({n} frames): {statistics.median(cmp_times) * 1000:.1f} ms"
        f" = {n / statistics.median(cmp_times):,.0f} fps"
    )
    fp_ratio = ratios[modes[3][0]]
    print(
        f"  target: fingerprinting <= 1.30x decode-only: {'OK' if fp_ratio <= 1.30 else 'MISSED'}"
        f"; verification >= 60 fps (2x real time): {'OK' if ver_fps >= 60 else 'MISSED'}"
    )

    long_signed, long_checked = synth.long_fingerprint_pair()
    t = time.perf_counter()
    rep = compare.compare_fingerprints(long_signed, long_checked)
    dt = time.perf_counter() - t
    print(
        f"  compare/align only, synthetic 1 h @30 fps ({long_checked.frame_count} frames, no"
        f" exact anchors, 5 dropped + 1000 inserted): {dt:.2f} s,"
        f" missing={rep.summary['missing']} inserted={rep.summary['inserted']}"
    )

    data = assertion.encode(signed)
    size = len(json.dumps(data))
    print(
        f"Assertion, 1080p: {size} bytes JSON for {n} frames = {size / n:.1f} bytes/frame"
        f" (raw: {RECORD_SIZE} bytes a frame + {GROUP_RECORD_SIZE} a group of {GROUP};"
        " target <= 200 at 1080p)"
    )
    for label, (w, h) in (("720p", (1280, 720)), ("4K", (3840, 2160))):
        clip = CACHE / f"clip_{label}.mp4"
        if not clip.exists():
            frames_ = synth.Scene(w, h, seed=1).frames(4 * GROUP)  # whole groups
            synth.write_video(clip, frames_, fps=FPS, options={"crf": "20", "preset": "veryfast"})
        fp = fingerprint_video(clip)
        size = len(json.dumps(assertion.encode(fp)))
        n_ = fp.frame_count
        print(f"Assertion, {label}: {size / n_:.1f} bytes/frame ({n_} frames)")
    print(f"elapsed {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        rss_child(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "--make":
        make_clips()
    else:
        main()
