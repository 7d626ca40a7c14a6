"""What "who made it and how" costs (issue 15): signing with a creator identity, recording
and redacting capture metadata, and the location check every `verify` now runs.

Generates a camera-like 12-megapixel JPEG (EXIF with GPS, MakerNote, lens, exposure) and
a 20 s 720p H.264 MP4 whose container carries capture tags as phones write them, then
times, side by side and round-robin in one run (medians of --runs rounds):

* sign, fingerprints off (the C2PA part only): plain (the baseline), with a creator
  identity (the CAWG identity assertion, a second signature), with capture metadata
  recorded, and with the location redacted (the file's metadata stripped into a copy,
  which is what gets signed; for MP4 a stream-copy remux);
* verify (localize off) of the signed files, and the check of the file's own metadata
  for a location (`_strip.shows_location`) alone: its share of verify.

Run:  .venv/bin/python benchmarks/who_made_it_speed.py [--runs N]   (about a minute)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import av  # noqa: E402
import numpy as np  # noqa: E402
from captureutil import VIDEO_TAGS, photo_exif  # noqa: E402
from PIL import Image  # noqa: E402

import provenance  # noqa: E402
from provenance import _strip  # noqa: E402
from provenance._media import detect  # noqa: E402


def make_photo(path: Path) -> Path:
    rng = np.random.default_rng(1)
    small = rng.integers(0, 255, (375, 500, 3), dtype=np.uint8)
    Image.fromarray(small).resize((4000, 3000)).save(
        path, "JPEG", quality=90, exif=photo_exif().tobytes()
    )
    return path


def make_video(path: Path, seconds: int = 20) -> Path:
    with av.open(str(path), "w", format="mp4") as c:
        c.metadata.update(VIDEO_TAGS)
        v = c.add_stream("libx264", rate=30)
        v.width, v.height, v.pix_fmt = 1280, 720, "yuv420p"
        rng = np.random.default_rng(2)
        base = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        for i in range(seconds * 30):
            frame = av.VideoFrame.from_ndarray(np.roll(base, i * 4, axis=1), format="rgb24")
            frame.pts = i
            for p in v.encode(frame):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
    return path


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dev = provenance.generate_dev_identity(work / "keys")
        jane = provenance.generate_dev_creator(work / "jane", name="Jane Doe")
        signer, creator = dev.load(), provenance.Creator(jane.load())
        inputs = {"jpeg": make_photo(work / "photo.jpg"), "mp4": make_video(work / "clip.mp4")}
        variants: dict[str, dict[str, object]] = {
            "plain": {"capture": False},
            "creator": {"capture": False, "creator": creator},
            "capture": {"capture": True},
            "redact location": {"capture": True, "redact": ["location"]},
        }
        times: dict[tuple[str, str], list[float]] = {}
        signed: dict[str, Path] = {}
        for _ in range(args.runs):
            for fmt, src in inputs.items():
                for name, extra in variants.items():
                    out = work / f"{fmt}-{name.replace(' ', '-')}{src.suffix}"
                    t = time.perf_counter()
                    provenance.sign(
                        src, out, identity=signer, source_type="digitalCapture",
                        fingerprints=False, force=True, **extra,  # type: ignore[arg-type]
                    )  # fmt: skip
                    times.setdefault((fmt, f"sign {name}"), []).append(time.perf_counter() - t)
                    signed[f"{fmt} {name}"] = out
                out = signed[f"{fmt} creator"]
                checks: dict[str, Callable[[], object]] = {
                    "verify": lambda out=out: provenance.verify(out, localize=False),
                    "location check": lambda out=out: _strip.shows_location(out, detect(out)),
                }
                for name, run in checks.items():
                    t = time.perf_counter()
                    run()
                    times.setdefault((fmt, name), []).append(time.perf_counter() - t)
        print(f"medians of {args.runs} rounds (ms); ratios against the plain signing / verify")
        for fmt, src in inputs.items():
            size = src.stat().st_size / 1e6
            print(f"\n{fmt} ({size:.1f} MB)")
            base = median_ms(times[fmt, "sign plain"])
            for name in variants:
                ms = median_ms(times[fmt, f"sign {name}"])
                print(f"  sign {name:<16} {ms:8.1f}   x{ms / base:.2f}")
            verify = median_ms(times[fmt, "verify"])
            check = median_ms(times[fmt, "location check"])
            print(f"  verify                {verify:8.1f}")
            print(f"  location check        {check:8.1f}   {check / verify:.1%} of verify")


if __name__ == "__main__":
    main()
