"""Calibrate the frame classification thresholds (prints figures; not a test).

For synthetic clips with natural motion it builds a lossy master (libx264 CRF 16, the
"signed" file), then
* pure re-encodes of the master at CRF 18, 23, 28, 35 and at 0.75 scale (CRF 23), and
* edited copies: a rectangle of 1/16 or 1/9 of the frame replaced by other content or
  box-blurred over frames 30-69, re-encoded at CRF 23 (decode - edit - re-encode, like a
  face swap),
and prints the raw per-frame statistics (cell luma difference, relative cell detail
difference, DCT Hamming distance) for both populations, plus the outcome with the current
thresholds in provenance/frames/compare.py: frames wrongly flagged edited on re-encodes,
edited frames detected, and mean region IoU with the true rectangle.

Run: .venv/bin/python benchmarks/frames_calibration.py  (about 1-2 minutes on 2 cores)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provenance.frames import compare, synth  # noqa: E402
from provenance.frames.fingerprint import VideoFingerprint, fingerprint_video  # noqa: E402

FRAMES = 120
EDIT_RANGE = range(30, 70)
SIZES = [(320, 240, 0), (640, 360, 3), (480, 272, 5)]
CRFS = [18, 23, 28, 35]


def raw_stats(s: VideoFingerprint, c: VideoFingerprint, frames: list[int]) -> dict[str, np.ndarray]:
    """Per-frame maxima of the quantities the thresholds apply to (identity alignment)."""
    i = np.array(frames)
    dl = np.abs(s.luma[i].astype(int) - c.luma[i].astype(int))
    dd = c.detail[i].astype(int) - s.detail[i].astype(int)
    med = np.median(dd, axis=1, keepdims=True)
    dev = np.abs(compare._detail_residual(s.detail[i].astype(float), dd.astype(float)))

    def temporal(x: np.ndarray) -> np.ndarray:
        # the classifier's 3-frame temporal median, per cell
        p = np.concatenate([x[:1], x, x[-1:]])
        return np.asarray(np.median(np.stack([p[:-2], p[1:-1], p[2:]]), axis=0))

    return {
        "luma": dl.max(axis=1),
        "luma3": temporal(dl).max(axis=1),
        "detail": dev.max(axis=1),
        "detail3": temporal(dev).max(axis=1),
        "global": np.abs(med[:, 0]),
        "dct": np.bitwise_count(s.dct[i] ^ c.dct[i]).astype(int),
    }


def fmt(v: np.ndarray) -> str:
    return f"p50={np.median(v):5.1f} p99={np.percentile(v, 99):5.1f} max={v.max():5.1f}"


Case = tuple[str, str, VideoFingerprint, VideoFingerprint, "tuple[int, int, int, int] | None"]


def build_cases(tmp: Path) -> list[Case]:
    """(kind, name, signed, checked, true rect) for every variant; fingerprints computed once."""
    cases: list[Case] = []
    for w, h, seed in SIZES:
        scene = synth.Scene(w, h, seed)
        other = synth.Scene(w, h, seed + 100)
        master = tmp / f"master_{w}.mp4"
        synth.write_video(
            master,
            scene.frames(FRAMES),
            options={"crf": "16", "preset": "veryfast", "threads": "1"},
        )
        signed = fingerprint_video(master)
        for crf, scale in [*((c, 1.0) for c in CRFS), (23, 0.75), (35, 0.75)]:
            out = tmp / f"re_{w}_{crf}_{scale}.mp4"
            synth.transcode(master, out, crf=crf, scale=scale)
            name = f"{w}x{h} crf{crf}" + (f" x{scale}" if scale != 1.0 else "")
            cases.append(("reencode", name, signed, fingerprint_video(out), None))
        # edits at positions that do not line up with the 8x8 grid
        for frac, kind, pos in [
            (1 / 16, "replace", (0.13, 0.21)),
            (1 / 16, "replace", (0.55, 0.48)),
            (1 / 16, "blur", (0.30, 0.60)),
            (1 / 16, "blur", (0.62, 0.10)),
            (1 / 9, "replace", (0.40, 0.30)),
            (1 / 9, "blur", (0.05, 0.55)),
        ]:
            rw, rh = int(w * frac**0.5), int(h * frac**0.5)
            rect = (int(w * pos[0]), int(h * pos[1]), rw, rh)

            def edit(
                i: int,
                img: np.ndarray,
                rect: tuple[int, int, int, int] = rect,
                kind: str = kind,
                w: int = w,
                other: synth.Scene = other,
            ) -> np.ndarray:
                if i not in EDIT_RANGE:
                    return img
                if kind == "blur":
                    return synth.blur_rect(img, rect, radius=max(4, w // 80))
                return synth.replace_rect(img, rect, other.frame(i))

            out = tmp / f"edit_{w}_{kind}_{pos[0]}.mp4"
            synth.transcode(master, out, crf=23, edit=edit)
            name = f"{w}x{h} {kind:7s} {frac:.3f} at {rect}"
            cases.append(("edit", name, signed, fingerprint_video(out), rect))
    return cases


def evaluate(cases: list[Case], verbose: bool) -> dict[str, float]:
    """Classify every case with the thresholds currently set in the compare module."""
    false_edited = reenc_frames = misaligned = detected = edited_total = 0
    clean_flagged = clean_total = 0
    ious: list[float] = []
    seg_ious: list[float] = []
    for _kind, name, signed, checked, rect in cases:
        rep = compare.compare_fingerprints(signed, checked)
        if rect is None:
            reenc_frames += checked.frame_count
            false_edited += rep.summary["edited"]
            misaligned += rep.summary["inserted"] + rep.summary["missing"]
            if verbose:
                print(
                    f"  {name:40s} edited={rep.summary['edited']}"
                    f" inserted/missing={rep.summary['inserted'] + rep.summary['missing']}"
                )
            continue
        pairs = compare._tidy_gaps(compare.align(signed, checked))
        status, scores = compare._classify(signed, checked, pairs)
        hits = 0
        case_ious: list[float] = []
        for k, (_, cj) in enumerate(pairs):
            if cj in EDIT_RANGE:
                edited_total += 1
                if status[k] == 2:
                    hits += 1
                    u = synth.union_rect(compare._cells_to_rects(scores[k], *_size(checked)))
                    case_ious.append(synth.iou(u, rect) if u else 0.0)
            elif cj >= 0:
                clean_total += 1
                clean_flagged += int(status[k] == 2)
        detected += hits
        ious += case_ious
        seg_rects = [r for seg in rep.segments if seg.status == "edited" for r in seg.regions]
        u = synth.union_rect(seg_rects)
        seg_ious.append(synth.iou(u, rect) if u else 0.0)
        if verbose:
            print(
                f"  {name:40s} detected {hits}/{len(EDIT_RANGE)}"
                f" frame IoU {np.mean(case_ious) if case_ious else 0:.2f}"
                f" segment IoU {seg_ious[-1]:.2f}"
            )
    return {
        "false_edited": false_edited,
        "reenc_frames": reenc_frames,
        "misaligned": misaligned,
        "detected": detected,
        "edited_total": edited_total,
        "frame_iou": float(np.mean(ious)) if ious else 0.0,
        "frame_iou_min": float(np.min(ious)) if ious else 0.0,
        "segment_iou": float(np.mean(seg_ious)) if seg_ious else 0.0,
        "clean_flagged": clean_flagged,
        "clean_total": clean_total,
    }


def _size(fp: VideoFingerprint) -> tuple[int, int]:
    return fp.width, fp.height


def calibrate_stills(tmp: Path) -> None:
    """Stills: peak cell score (video thresholds, spatial support, no temporal filter) for
    JPEG re-saves / rescales vs. 1/16-area edits; IMAGE_SENSITIVITY is set from this."""
    from PIL import Image

    from provenance.frames import image as still

    resave: list[float] = []
    edits: list[float] = []
    ious: list[float] = []
    found = total = false = 0
    for seed, (w, h) in enumerate([(640, 480), (1024, 768), (800, 450), (320, 240)]):
        scene, other = synth.Scene(w, h, seed + 20), synth.Scene(w, h, seed + 40)
        for k in range(3):
            img = scene.frame(7 + 13 * k)
            src = tmp / f"still_{seed}_{k}.png"
            Image.fromarray(img).save(src)
            signed = still.fingerprint_image(src)

            def peak(path: Path, signed: still.ImageFingerprint = signed) -> float:
                c = still.fingerprint_image(path)

                def arr(b: bytes) -> np.ndarray:
                    return np.frombuffer(b, dtype=np.uint8)[None, :]

                sc, _ = compare.cell_scores(
                    arr(signed.luma), arr(signed.detail), arr(c.luma), arr(c.detail)
                )
                return float(compare._spatial_support(sc).max())

            for q in (95, 85, 75, 60, 50):
                out = tmp / f"still_{seed}_{k}_q{q}.jpg"
                Image.fromarray(img).save(out, quality=q)
                resave.append(peak(out))
                false += bool(still.compare_image(signed, out))
            for scale in (0.75, 0.5):
                out = tmp / f"still_{seed}_{k}_s{scale}.jpg"
                Image.fromarray(img).resize((int(w * scale), int(h * scale))).save(out, quality=85)
                resave.append(peak(out))
                false += bool(still.compare_image(signed, out))
            rw, rh = w // 4, h // 4
            for kind, pos in (("replace", (0.1 + 0.2 * k, 0.3)), ("blur", (0.5, 0.1 + 0.25 * k))):
                rect = (int(w * pos[0]), int(h * pos[1]), rw, rh)
                edited = (
                    synth.replace_rect(img, rect, other.frame(3))
                    if kind == "replace"
                    else synth.blur_rect(img, rect, radius=max(4, w // 80))
                )
                out = tmp / f"still_{seed}_{k}_{kind}.jpg"
                Image.fromarray(edited).save(out, quality=90)
                edits.append(peak(out))
                rects = still.compare_image(signed, out)
                total += 1
                found += bool(rects)
                u = synth.union_rect(rects)
                ious.append(synth.iou(u, rect) if u else 0.0)
    print("Stills (peak cell score before IMAGE_SENSITIVITY; 1.0 = video threshold):")
    print(f"  JPEG q95-q50 re-saves and 0.75/0.5 rescales: {fmt(np.array(resave))}")
    print(
        f"  1/16-area replace/blur edits:               {fmt(np.array(edits))} min={min(edits):.2f}"
    )
    print(
        f"  with IMAGE_SENSITIVITY={still.IMAGE_SENSITIVITY}: re-saves flagged {false}/"
        f"{len(resave)}, edits located {found}/{total}, mean IoU {np.mean(ious):.3f}"
    )


def main() -> None:
    t_start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="frames-cal-"))
    cases = build_cases(tmp)
    print(f"built {len(cases)} cases in {time.perf_counter() - t_start:.1f} s")

    def cat(kind: str, key: str) -> np.ndarray:
        return np.concatenate(
            [
                raw_stats(s, c, list(range(FRAMES)) if r is None else list(EDIT_RANGE))[key]
                for k, _, s, c, r in cases
                if k == kind
            ]
        )

    print("Per-frame statistics (max over cells; detail relative to the frame-wide trend;")
    print("'3' = after the 3-frame temporal median the classifier applies):")
    for key in ("luma", "luma3", "detail", "detail3", "global", "dct"):
        print(f"  re-encodes  {key:7s} {fmt(cat('reencode', key))}")
        print(f"  edits       {key:7s} {fmt(cat('edit', key))}")

    print("Per case with the current thresholds:")
    m = evaluate(cases, verbose=True)
    print(
        "Outcome with current thresholds "
        f"(luma>{compare.CELL_LUMA_THRESHOLD}, detail>{compare.CELL_DETAIL_THRESHOLD}, "
        f"global>{compare.GLOBAL_DETAIL_THRESHOLD}, dct>{compare.DCT_HAMMING_THRESHOLD}):"
    )
    print(
        f"  re-encodes: {m['false_edited']}/{m['reenc_frames']} frames wrongly edited"
        f" (target 0), {m['misaligned']} wrongly inserted/missing"
    )
    print(
        f"  edits: {m['detected']}/{m['edited_total']} edited frames detected "
        f"({100 * m['detected'] / max(1, m['edited_total']):.1f}%, target 100%)"
    )
    print(
        f"  mean region IoU with the true rectangle: per frame {m['frame_iou']:.3f}"
        f" (min {m['frame_iou_min']:.3f}), per edited segment {m['segment_iou']:.3f}"
        " (target > 0.5)"
    )
    print(
        f"  unedited frames of edited clips flagged edited: {m['clean_flagged']}/{m['clean_total']}"
    )

    print("Threshold sweep (false edited on re-encodes / edited frames detected / segment IoU):")
    saved = compare.CELL_LUMA_THRESHOLD, compare.CELL_DETAIL_THRESHOLD
    for luma_t in (8, 10, 12):
        row = []
        for detail_t in (18, 20, 21, 22, 26):
            compare.CELL_LUMA_THRESHOLD, compare.CELL_DETAIL_THRESHOLD = luma_t, detail_t
            r = evaluate(cases, verbose=False)
            row.append(
                f"d>{detail_t}: {r['false_edited']:3d} / "
                f"{100 * r['detected'] / max(1, r['edited_total']):5.1f}% / "
                f"{r['segment_iou']:.2f}"
            )
        print(f"  luma>{luma_t:2d}  " + "   ".join(row))
    compare.CELL_LUMA_THRESHOLD, compare.CELL_DETAIL_THRESHOLD = saved
    calibrate_stills(tmp)
    print(f"elapsed {time.perf_counter() - t_start:.1f} s")


if __name__ == "__main__":
    main()
