"""Time to a verdict through the web verifier, against `provenance verify` on the same file.

    .venv/bin/python benchmarks/web_speed.py                # 1080p 60 s clip, 3 rounds
    .venv/bin/python benchmarks/web_speed.py --seconds 10   # a quick look
    .venv/bin/python benchmarks/web_speed.py --workdir /tmp/ws   # keep the clips

Makes a 1080p30 H.264 clip (a moving scene drawn at 480x270 and scaled up 4x, so that
making it is quick; the codec still sees 1080p frames with grain) and a copy with a
rectangle swapped in over a tenth of its frames, re-encoded, with the signed manifest put
back (tampered). Signs the clip with a development identity. Then, round-robin:

- `provenance verify FILE --trust CA --json`, a fresh process, as a person runs it;
- the same with `--report DIR`, which also draws the pictures of what changed;
- `provenance.verify()` in a warm process: the library's own time (the floor);
- `POST /api/verify` to `provenance serve` (a separate process, warmed once): the upload
  over loopback included, as a script would call it;
- `POST /api/view`: what the page asks, with the history tree and the pictures.

It also times loading the page (`/`, its script, its style sheet and `/api/info`) on a
warm server. Prints medians and the ratio of each to the CLI.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from mediautil import transplant_manifest  # noqa: E402
from support.synth import Scene, write_video  # noqa: E402

import provenance  # noqa: E402

CLI = [sys.executable, "-m", "provenance"]


def make_clips(work: Path, seconds: int) -> tuple[Path, Path, Path]:
    """The signed clip, its tampered copy, and the trust anchor."""
    signed, tampered = work / "signed.mp4", work / "tampered.mp4"
    dev = provenance.generate_dev_identity(work / "keys", org="Bench", force=True)
    if signed.exists() and tampered.exists():
        return signed, tampered, dev.ca
    n = seconds * 30
    edited = range(n // 2, n // 2 + n // 10)
    scene, donor = Scene(480, 270, seed=5), Scene(480, 270, seed=9)

    def frames(swap: bool) -> Iterator[npt.NDArray[np.uint8]]:  # one at a time: 6 MB each
        for i in range(n):
            small = scene.frame(i)
            if swap and i in edited:
                small = small.copy()
                small[75:150, 200:300] = donor.frame(i)[75:150, 200:300]
            yield np.repeat(np.repeat(small, 4, axis=0), 4, axis=1)

    opts = {"crf": "20", "preset": "ultrafast"}  # quick to make; decoding is what is timed
    write_video(work / "camera.mp4", frames(False), options=opts)
    write_video(tampered, frames(True), options=opts)
    provenance.sign(work / "camera.mp4", signed, identity=dev.load(),
                    source_type="digitalCapture", force=True)  # fmt: skip
    transplant_manifest(signed, tampered)
    return signed, tampered, dev.ca


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="web-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    signed, tampered, ca = make_clips(work, args.seconds)
    print(f"clips ready in {time.perf_counter() - t:.0f} s: "
          f"{signed.stat().st_size / 1e6:.0f} MB signed, {tampered.stat().st_size / 1e6:.0f} MB "
          f"tampered ({args.seconds} s, 1080p30)")  # fmt: skip

    server = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--trust", str(ca)], stderr=subprocess.PIPE, text=True
    )
    assert server.stderr is not None
    url = server.stderr.readline().split(" at ", 1)[1].split()[0]
    client = httpx.Client(timeout=600)
    trust = provenance.Trust.load([ca])

    def post(path: str, file: Path) -> Callable[[], object]:
        def call() -> object:
            with file.open("rb") as f:
                r = client.post(url + path, files={"file": (file.name, f)})
            r.raise_for_status()
            return r

        return call

    def page() -> None:
        for path in ("", "static/app.js", "static/app.css", "api/info"):
            client.get(url + path).raise_for_status()

    try:
        post("api/verify", signed)()  # warm the server (imports, first read)
        rows: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.runs):
            for name, file in (("signed", signed), ("tampered", tampered)):
                cmd = [*CLI, "verify", str(file), "--trust", str(ca), "--json"]
                variants: dict[str, Callable[[], object]] = {
                    "provenance verify (CLI process)": lambda cmd=cmd: subprocess.run(
                        cmd, capture_output=True, check=False
                    ),
                    "provenance verify --report DIR (CLI)": lambda cmd=cmd: subprocess.run(
                        [*cmd, "--report", str(work / "report")], capture_output=True, check=False
                    ),
                    "provenance.verify() (library, warm)": lambda file=file: provenance.verify(
                        file, trust=trust
                    ),
                    "POST /api/verify (upload included)": post("api/verify", file),
                    "POST /api/view (+ history, pictures)": post("api/view", file),
                }
                for label, fn in variants.items():
                    rows.setdefault(name, {}).setdefault(label, []).append(timed(fn))
            rows.setdefault("page", {}).setdefault("GET / + script + style + info", []).append(
                timed(page)
            )
    finally:
        server.terminate()
        server.wait(30)

    print(f"\nmedians of {args.runs} rounds (wall s), ratio to the CLI on the same file")
    for name, variants_times in rows.items():
        base = statistics.median(next(iter(variants_times.values())))
        print(f"\n{name}")
        for label, times in variants_times.items():
            m = statistics.median(times)
            print(f"  {label:<40} {m:8.3f} s   {m / base:5.2f}x")


if __name__ == "__main__":
    main()
