"""Calibrate frame and region localization on realistic face swaps (prints figures; not a test).

Builds its own footage from real photographs shipped offline by scikit-image and Matplotlib
(benchmarks/footage.py; needs the bench extra: `pip install -e ".[bench]"`):

* a virtual camera films a portrait placed in a photo background, so that the face covers
  6%, 2%, 1%, 0.5% or 0.25% of a 1280x720 frame (pan, zoom, hand-held drift and roll,
  brightness flicker, sensor noise), encoded as a CRF 16 camera master: the signed file;
* a face swap as deepfake pipelines do it (Haar-cascade detection, donor face aligned to the
  detected box, colour match, Poisson blend through a feathered ellipse), from frame
  SWAP_FROM on; the astronaut's donor goes through a 128x128 bottleneck, Grace Hopper's is
  used at full resolution;
* each swapped clip encoded at CRF 18/23/28/35, at 0.75x (CRF 23/28), 0.5x (CRF 23) and
  converted to 25 fps; every control (the master with no swap) through the same and more
  (CRF 35 at 0.75x and 0.5x).

It prints, per face size and re-encode, the share of swapped frames reported `edited`, the
mean per-frame IoU of the reported rectangles with the swapped area, unswapped frames of
swapped clips flagged (the edit's boundary), and every false `edited`/`inserted`/`missing`
frame on the controls; the raw fine-grid statistics the thresholds rest on; and the same
faces pasted into photos for the still-image localization (JPEG quality 95-60, 0.5x).

Run: .venv/bin/python benchmarks/frames_calibration.py            (full: about 20-30 min)
     .venv/bin/python benchmarks/frames_calibration.py --quick    (about 3 min)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import footage  # noqa: E402
from support import synth  # noqa: E402

from provenance.frames import (  # noqa: E402
    FrameReport,
    assertion,
    compare_fingerprints,
    compare_image,
    fingerprint_image,
    fingerprint_video,
    grid,
)
from provenance.frames.table import GROUP, VideoFingerprint  # noqa: E402

SIZE = (1280, 720)
SHARES = (0.06, 0.02, 0.01, 0.005, 0.0025)
SWAP_FROM = 20
Rect = tuple[int, int, int, int]


@dataclass(frozen=True)
class Variant:
    name: str
    crf: int
    scale: float = 1.0
    fps: int | None = None  # frame-rate conversion

    def make(self, frames: list[np.ndarray], dst: Path) -> list[int]:
        """Encode (or reuse dst from an earlier run in the same workdir); returns the source
        frame shown by every output frame."""
        shown = dst.with_suffix(".json")
        if dst.exists() and shown.exists():
            return list(json.loads(shown.read_text()))
        result = self._make(frames, dst)
        shown.write_text(json.dumps(result))
        return result

    def _make(self, frames: list[np.ndarray], dst: Path) -> list[int]:
        if self.fps is not None:
            lossless = dst.with_suffix(".mkv")
            synth.write_video(lossless, frames, codec="ffv1")
            return synth.retime(lossless, dst, self.fps, crf=self.crf, scale=self.scale)
        synth.transcode(frames, dst, crf=self.crf, scale=self.scale)
        return list(range(len(frames)))


EDITS = [
    Variant("crf18", 18),
    Variant("crf23", 23),
    Variant("crf28", 28),
    Variant("crf35", 35),
    Variant("crf23 0.75x", 23, 0.75),
    Variant("crf28 0.75x", 28, 0.75),
    Variant("crf23 0.5x", 23, 0.5),
    Variant("crf23 25fps", 23, fps=25),
]
CONTROLS = [*EDITS, Variant("crf35 0.75x", 35, 0.75), Variant("crf35 0.5x", 35, 0.5)]
QUICK_EDITS = [Variant("crf28 0.75x", 28, 0.75), Variant("crf23 25fps", 23, fps=25)]
QUICK_CONTROLS = [*QUICK_EDITS, Variant("crf35 0.5x", 35, 0.5)]
TARGET = {"crf18", "crf23", "crf28", "crf23 0.75x", "crf28 0.75x"}  # CRF <= 28, >= 0.75x


@dataclass
class Outcome:
    swapped: int = 0
    found: int = 0
    ious: list[float] | None = None
    boundary_flagged: int = 0
    false_edited: int = 0
    false_gaps: int = 0
    frames: int = 0


def per_frame_regions(report: FrameReport) -> dict[int, list[Rect]]:
    out: dict[int, list[Rect]] = {}
    for seg in report.segments:
        for run in seg.frame_regions:
            for j in range(run.first, run.last + 1):
                out[j] = list(run.regions)
    return out


def edited_frames(report: FrameReport) -> set[int]:
    out: set[int] = set()
    for seg in report.segments:
        if seg.status == "edited" and seg.checked_range is not None:
            out.update(range(seg.checked_range[0], seg.checked_range[1] + 1))
    return out


def score(report: FrameReport, truth: dict[int, Rect], shown: list[int], scale: float) -> Outcome:
    edited = edited_frames(report)
    regions = per_frame_regions(report)
    out = Outcome(ious=[], frames=len(shown))
    for j, src in enumerate(shown):
        rect = truth.get(src)
        if rect is None:
            out.boundary_flagged += j in edited
            continue
        out.swapped += 1
        if j in edited:
            out.found += 1
            r = tuple(int(round(v * scale)) for v in rect)
            best = max((synth.iou(q, r) for q in regions.get(j, [])), default=0.0)  # type: ignore[arg-type]
            assert out.ious is not None
            out.ious.append(best)
    return out


def fine_stats(signed: VideoFingerprint, checked: VideoFingerprint) -> float:
    """Largest fine-cell score over the groups of an identity-aligned pair (controls)."""
    worst = 0.0
    n = min(signed.frame_count, checked.frame_count)
    assert checked.frame_fine is not None
    for g in range(n // GROUP):
        mean = checked.frame_fine[g * GROUP : (g + 1) * GROUP].mean(axis=0)
        worst = max(worst, float(grid.fine_scores(signed.fine[g], mean, pooled=True).max()))
    return worst


@dataclass
class CaseResult:
    tag: str
    size: float  # assertion bytes per frame of the master
    edits: list[tuple[str, Outcome]]  # (variant, outcome)
    controls: list[tuple[str, Outcome, float]]  # (name, outcome, largest fine score)


def run_case(
    work: Path, k: int, subject: str, donor: str, share: float, frames: int, quick: bool,
    with_controls: bool = True, with_edits: bool = True,
) -> CaseResult:  # fmt: skip
    """One subject at one face size: master, controls, swap, swapped copies."""
    portraits = footage.portraits()
    edits, controls = (QUICK_EDITS, QUICK_CONTROLS) if quick else (EDITS, CONTROLS)
    controls = controls if with_controls else []
    edits = edits if with_edits else []
    # the astronaut gets a donor through the 128x128 bottleneck, Grace Hopper a full one
    bottleneck = {"astronaut": 128, "hopper": None}[subject]
    tag = f"{subject}_{share}"
    world = footage.make_world(
        portraits[subject], footage.BACKGROUNDS[k % 4], share, SIZE, seed=k + 1
    )
    cam = footage.Camera(seed=k + 1)
    master = work / f"{tag}_master.mp4"
    options = {"crf": "16", "preset": "veryfast", "threads": "1"}
    synth.write_video(master, footage.film(world, SIZE, frames, cam), options=options)
    signed = fingerprint_video(master)
    result = CaseResult(tag, len(json.dumps(assertion.encode(signed))) / signed.frame_count, [], [])
    decoded = list(synth.read_frames(master))
    for v in controls:
        out = work / f"{tag}_ctl_{v.name.replace(' ', '_')}.mp4"
        shown = v.make(decoded, out)
        checked = fingerprint_video(out, keep_frame_fine=True)
        rep = compare_fingerprints(signed, checked)
        o = Outcome(frames=len(shown))
        o.false_edited = rep.summary["edited"]
        o.false_gaps = rep.summary["inserted"] + rep.summary["missing"]
        worst = fine_stats(signed, checked) if v.fps is None else float("nan")
        result.controls.append((f"{subject} {share:.2%} {v.name}", o, worst))
    if not edits:
        return result
    side = int(round((share * SIZE[0] * SIZE[1]) ** 0.5))
    swapper = footage.FaceSwapper(portraits[donor], side, bottleneck=bottleneck)
    swapped = [swapper(i, f) if i >= SWAP_FROM else f for i, f in enumerate(decoded)]
    truth = dict(swapper.regions)
    for v in edits:
        out = work / f"{tag}_swap{bottleneck}_{v.name.replace(' ', '_')}.mp4"
        shown = v.make(swapped, out)
        checked = fingerprint_video(out, keep_frame_fine=True)
        rep = compare_fingerprints(signed, checked)
        o = score(rep, truth, shown, v.scale)
        o.false_gaps = rep.summary["inserted"] + rep.summary["missing"]
        result.edits.append((v.name, o))
    return result


def print_edits(
    table: dict[tuple[float, str], list[Outcome]], shares: tuple[float, ...], names: list[str]
) -> None:
    print("\nFace swaps: swapped frames found edited (per-frame IoU mean; unswapped frames")
    print("of the clip flagged; frames wrongly inserted/missing), both subjects:")
    print(f"  {'face':>6s}  " + "  ".join(f"{n:>22s}" for n in names))
    for share in shares:
        cells = []
        for n in names:
            os_ = table[(share, n)]
            sw, fd = sum(o.swapped for o in os_), sum(o.found for o in os_)
            ious = [x for o in os_ for x in o.ious or []]
            b = sum(o.boundary_flagged for o in os_)
            gaps = sum(o.false_gaps for o in os_)
            iou = statistics.mean(ious) if ious else 0.0
            cells.append(f"{100 * fd / max(1, sw):5.1f}% ({iou:.2f}; {b},{gaps})")
        print(f"  {share:6.2%}  " + "  ".join(f"{c:>22s}" for c in cells))
    for share in shares:
        os_ = [o for n in TARGET & set(names) for o in table[(share, n)]]
        sw, fd = sum(o.swapped for o in os_), sum(o.found for o in os_)
        ious = [x for o in os_ for x in o.ious or []]
        print(
            f"  target set (CRF <= 28, >= 0.75x) at {share:.2%}: {fd}/{sw} found"
            f" = {100 * fd / max(1, sw):.1f}%,"
            f" per-frame IoU mean {np.mean(ious) if ious else 0:.2f}"
            f" (min {np.min(ious) if ious else 0:.2f})"
        )


def run_video(
    work: Path, quick: bool, frames: int, jobs: int, shares: tuple[float, ...],
    controls: bool, edits_: bool,
) -> None:  # fmt: skip
    pairs = [("astronaut", "hopper"), ("hopper", "astronaut")][: 1 if quick else 2]
    edits = (QUICK_EDITS if quick else EDITS) if edits_ else []
    table: dict[tuple[float, str], list[Outcome]] = defaultdict(list)
    control_rows: list[tuple[str, Outcome, float]] = []
    sizes: list[float] = []
    t0 = time.perf_counter()
    cases = [
        (work, k, subject, donor, share, frames, quick, controls, edits_)
        for k, (subject, donor) in enumerate(pairs)
        for share in shares
    ]
    with ProcessPoolExecutor(jobs) as pool:
        futures = {pool.submit(run_case, *case): case for case in cases}
        for future in as_completed(futures):
            share = futures[future][4]
            r = future.result()
            sizes.append(r.size)
            control_rows += r.controls
            for name, o in r.edits:
                table[(share, name)].append(o)
            print(f"  {r.tag}: done ({time.perf_counter() - t0:.0f} s)", flush=True)
    control_rows.sort(key=lambda row: row[0])

    print(
        f"\nAssertion size on the {len(sizes)} camera masters ({SIZE[0]}x{SIZE[1]}, {frames}"
        f" frames): {statistics.mean(sizes):.1f} bytes/frame (max {max(sizes):.1f})"
    )
    if edits:
        print_edits(table, shares, [v.name for v in edits])
    else:
        print("\nFace swaps: not run (--controls-only)")
    if not control_rows:
        print("\nControls: not run (--edits-only)")
        return
    total = sum(o.frames for _, o, _ in control_rows)
    fe = sum(o.false_edited for _, o, _ in control_rows)
    fg = sum(o.false_gaps for _, o, _ in control_rows)
    print(f"\nControls (no swap): {len(control_rows)} clips, {total} frames:"
          f" {fe} false edited, {fg} false inserted/missing (target 0)")  # fmt: skip
    for name, o, _ in control_rows:
        if o.false_edited or o.false_gaps:
            print(f"  {name}: edited {o.false_edited}, inserted/missing {o.false_gaps}")
    worst = [w for _, _, w in control_rows if not np.isnan(w)]
    print(
        f"  largest fine-cell score on controls (1.0 = threshold; FINE_THRESHOLD="
        f"{grid.FINE_THRESHOLD}, FINE_NOISE_FACTOR={grid.FINE_NOISE_FACTOR}): "
        f"{max(worst):.2f}; median over clips {statistics.median(worst):.2f}"
    )


def run_stills(work: Path, quick: bool) -> None:
    """The same faces pasted into photos (no camera): JPEG re-saves and a 0.5x resize."""
    portraits = footage.portraits()
    found: dict[tuple[float, str], list[float]] = defaultdict(list)
    false = total = 0
    shares = (0.02, 0.0025) if quick else SHARES
    saves: list[tuple[str, Callable[[PILImage.Image, Path], float]]] = []

    def jpeg(q: int) -> Callable[[PILImage.Image, Path], float]:
        def save(im: PILImage.Image, path: Path) -> float:
            im.save(path, quality=q)
            return 1.0

        return save

    def half(im: PILImage.Image, path: Path) -> float:
        im.resize((im.width // 2, im.height // 2), PILImage.Resampling.LANCZOS).save(
            path, quality=85
        )
        return 0.5

    saves = [(f"q{q}", jpeg(q)) for q in (95, 85, 75, 60)] + [("0.5x q85", half)]
    for k, (subject, donor) in enumerate([("astronaut", "hopper"), ("hopper", "astronaut")]):
        for share in shares:
            world = footage.make_world(
                portraits[subject], footage.BACKGROUNDS[(k + 2) % 4], share, SIZE, seed=k + 7
            )
            photo = next(footage.film(world, SIZE, 1, footage.Camera(seed=k + 7)))
            original = work / f"still_{subject}_{share}.png"
            PILImage.fromarray(photo).save(original)
            signed = fingerprint_image(original)
            side = int(round((share * SIZE[0] * SIZE[1]) ** 0.5))
            swapper = footage.FaceSwapper(portraits[donor], side, bottleneck=128)
            edited = swapper(0, photo)
            truth = swapper.regions.get(0)
            for name, save in saves:
                path = work / f"still_{subject}_{share}_{name.replace(' ', '_')}.jpg"
                scale = save(PILImage.fromarray(photo), path)
                total += 1
                false += bool(compare_image(signed, path))
                if truth is None:
                    continue
                path = work / f"still_{subject}_{share}_{name.replace(' ', '_')}_swap.jpg"
                scale = save(PILImage.fromarray(edited), path)
                rects = compare_image(signed, path)
                r = tuple(int(round(v * scale)) for v in truth)
                best = max((synth.iou(q, r) for q in rects), default=-1.0)  # type: ignore[arg-type]
                found[(share, name)].append(best)
    print("\nStills: swapped faces located (mean IoU of the best rectangle), per re-save:")
    print(f"  {'face':>6s}  " + "  ".join(f"{n:>14s}" for n, _ in saves))
    for share in shares:
        cells = []
        for n, _ in saves:
            v = found[(share, n)]
            hit = [x for x in v if x >= 0]
            cells.append(f"{len(hit)}/{len(v)} ({np.mean(hit) if hit else 0:.2f})")
        print(f"  {share:6.2%}  " + "  ".join(f"{c:>14s}" for c in cells))
    print(f"  unedited re-saves with any region: {false}/{total} (target 0)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one subject, two face sizes")
    ap.add_argument("--frames", type=int, default=0, help="frames per clip (default 150, 90 quick)")
    ap.add_argument("--workdir", type=Path, help="keep the media here")
    ap.add_argument("--stills-only", action="store_true")
    ap.add_argument("--jobs", type=int, default=2, help="cases run in parallel (default 2)")
    ap.add_argument("--shares", help="face sizes to run, e.g. 0.06,0.02 (default: all)")
    only = ap.add_mutually_exclusive_group()
    only.add_argument(
        "--edits-only", action="store_true", help="skip the controls (no false-flag figures)"
    )
    only.add_argument(
        "--controls-only", action="store_true", help="only the controls (no swapped copies)"
    )
    args = ap.parse_args()
    shares = (0.02, 0.0025) if args.quick else SHARES
    if args.shares:
        shares = tuple(float(x) for x in args.shares.split(","))
    t0 = time.perf_counter()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="frames-cal-"))
    work.mkdir(parents=True, exist_ok=True)
    frames = args.frames or (90 if args.quick else 150)
    if not args.stills_only:
        run_video(
            work, args.quick, frames, args.jobs, shares,
            not args.edits_only, not args.controls_only,
        )  # fmt: skip
    run_stills(work, args.quick)
    print(f"elapsed {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
