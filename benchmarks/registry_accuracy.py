"""Registry accuracy on real decoded clips and photos, and the end-to-end lookup time of a
60 s 1080p copy (prints figures; not a test).

Media (generated once into --workdir, default $TMPDIR/registry-accuracy):

- real photographs: scikit-image's bundled ones (`pip install scikit-image`, the `bench`
  extra). Half are *registered*; the others only ever appear as *unrelated* media;
- registered videos: a virtual camera (pan, zoom, hand-held drift, sensor noise, flicker)
  over each registered photograph, plus synthetic scenes (provenance._demo_media), 12 s of
  640x360 at 30 fps, and their transformed, stripped copies: re-encodes at CRF 18 and 35,
  0.5x scale, 25 fps, excerpts of 3-6 s (two per clip), letterbox and pillarbox bars, a
  caption band and a corner logo (10% of the frame each), crops of up to 5% a side, an
  edit (an object pasted over 10% of the frame for 40% of the clip), and a combination
  (excerpt, 0.5x, caption, CRF 30);
- registered photos, and copies: JPEG quality 95 and 50, 0.5x, PNG, WebP, a 5% crop, and
  edited copies re-saved as JPEG q75: an object pasted in the centre over 0.5% and 1% of
  the picture, over 3% somewhere else, and 1% in the centre then 0.5x or a 5% crop;
- unrelated media: virtual-camera clips over the unregistered photographs and synthetic
  scenes of other seeds, and photos cut from the unregistered photographs.

Registrations hold the soft binding of each original (`compute.video_binding`); the index
also holds `--bystanders` synthetic videos (benchmarks/registry_scale.py's model) unless
`--index PATH` names an existing registry (e.g. the 1M one registry_scale.py built).

Printed: recall per transformation (the right original ranked first), false matches
(unrelated media matching anything), the block distances behind the thresholds in
provenance/_registry/match.py, and the lookup time of a 60 s 1080p re-encoded copy beside
the time to decode it whole (the baseline; `lookup_file` decodes 4 s of it).

Photos are also looked up *before* regional blocks, side by side in the same run: a second
registry holds the same photos with the single-block binding (algorithm .1), queried with
the whole picture's probes alone, as before; recall, false matches and the median lookup
time of a photo (decode included) are printed for both (with --index, that second registry
holds the photos alone, without bystanders).

Run: .venv/bin/python benchmarks/registry_accuracy.py            (~40 min the first time)
     .venv/bin/python benchmarks/registry_accuracy.py --quick    (a third of the media)
     .venv/bin/python benchmarks/registry_accuracy.py --only photos   (photos alone, minutes)
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from provenance._demo_media import Scene, paste_object, write_video  # noqa: E402
from provenance._registry import lookup as lookup_module  # noqa: E402
from provenance._registry.compute import image_binding, video_binding  # noqa: E402
from provenance._registry.lookup import lookup_file  # noqa: E402
from provenance._registry.query import image_query  # noqa: E402
from provenance._registry.sqlite import SqliteRegistry  # noqa: E402
from provenance._registry.store import Registration, Registry  # noqa: E402
from provenance.models import LookupResult  # noqa: E402

W, H, FPS, SECONDS = 640, 360, 30, 12
PHOTOS = ["astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "motorcycle",
          "camera", "page", "horse", "retina", "immunohistochemistry",
          "moon", "text", "grass", "gravel", "brick", "coins", "cell", "microaneurysms",
          "logo", "clock", "colorwheel"]  # fmt: skip
Frame = np.ndarray


def photo(name: str) -> Image.Image:
    import skimage.data as data

    if name == "motorcycle":
        img = data.stereo_motorcycle()[0]
    elif name == "clock":
        img = np.asarray(Image.open(Path(data.__file__).parent / "clock_motion.png"))
    else:
        img = getattr(data, name)()
    if img.dtype != np.uint8:
        img = img.astype(np.float64)
        img = (255 * (img - img.min()) / (np.ptp(img) + 1e-9)).astype(np.uint8)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return Image.fromarray(img[..., :3])


def camera(name: str, seed: int, seconds: float = SECONDS, size: tuple[int, int] = (W, H)
           ) -> Iterator[Frame]:  # fmt: skip
    """A virtual camera over a photograph: slow pan and zoom, hand-held drift, sensor
    noise and brightness flicker."""
    w, h = size
    rng = np.random.default_rng(seed)
    src = photo(name)
    scale = max(w * 1.6 / src.width, h * 1.6 / src.height)
    big = src.resize((int(src.width * scale) + 2, int(src.height * scale) + 2), Image.BILINEAR)
    bw, bh = big.size
    n = int(FPS * seconds)
    p = rng.random(4) * 6.28
    speed = rng.uniform(0.3, 0.8, 3)
    for i in range(n):
        t = i / FPS / 12
        zoom = 1.0 + 0.25 * np.sin(2 * np.pi * t * speed[0] + p[0]) ** 2
        cw, ch = min(w * 1.25 / zoom, bw - 8), min(h * 1.25 / zoom, bh - 8)
        cx = bw / 2 + (bw - cw) / 2 * 0.9 * np.sin(2 * np.pi * t * speed[1] + p[1])
        cy = bh / 2 + (bh - ch) / 2 * 0.9 * np.sin(2 * np.pi * t * speed[2] + p[2])
        cx += 3 * np.sin(i * 0.9 + p[3])
        cy += 3 * np.cos(i * 1.3)
        cx = min(max(cx, cw / 2 + 1), bw - cw / 2 - 1)
        cy = min(max(cy, ch / 2 + 1), bh - ch / 2 - 1)
        box = (cx - cw / 2, cy - ch / 2, cx + cw / 2, cy + ch / 2)
        frame = np.asarray(big.resize((w, h), Image.BILINEAR, box=box), dtype=np.float32)
        frame = frame * (1 + 0.03 * np.sin(i * 0.37)) + rng.normal(0, 3, frame.shape)
        yield np.clip(frame, 0, 255).astype(np.uint8)


def decode(path: Path) -> list[tuple[float, Frame]]:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        return [(float(f.time or 0), f.to_ndarray(format="rgb24")) for f in c.decode(stream)]


def encode(dst: Path, frames: Iterator[Frame], fps: int = FPS, crf: int = 23) -> Path:
    tmp = dst.with_suffix(".partial.mp4")
    write_video(tmp, frames, fps=fps, options={"crf": str(crf), "preset": "veryfast"})
    tmp.rename(dst)
    return dst


def camera_clip(dst: Path, name: str, seed: int, seconds: float) -> Path:
    return encode(dst, camera(name, seed, seconds=seconds))


def scene_clip(dst: Path, seed: int, seconds: float) -> Path:
    return encode(dst, Scene(W, H, seed=seed).frames(int(FPS * seconds)))


def resize(img: Frame, w: int, h: int) -> Frame:
    return np.asarray(Image.fromarray(img).resize((w, h), Image.BILINEAR))


def even(img: Frame) -> Frame:
    return img[: img.shape[0] // 2 * 2, : img.shape[1] // 2 * 2]


def caption(img: Frame, i: int = 0) -> Frame:
    pic = Image.fromarray(img)
    d = ImageDraw.Draw(pic)
    h, w = img.shape[:2]
    d.rectangle((0, int(h * 0.9), w, h), fill=(20, 20, 60))
    d.text((10, int(h * 0.92)), f"BREAKING NEWS: something happened {i // 30}", fill="white")
    return np.asarray(pic)


def logo(img: Frame) -> Frame:
    pic = Image.fromarray(img)
    d = ImageDraw.Draw(pic)
    h, w = img.shape[:2]
    s = int((0.10 * w * h) ** 0.5)
    d.rectangle((w - s - 8, 8, w - 8, 8 + s), fill=(200, 30, 30))
    d.ellipse((w - s, 16, w - 16, s), fill=(250, 250, 250))
    return np.asarray(pic)


def crop(img: Frame, sides: np.ndarray) -> Frame:
    h, w = img.shape[:2]
    left, top, right, bottom = sides
    return even(img[int(h * top) : h - int(h * bottom), int(w * left) : w - int(w * right)])


def paste(img: Frame) -> Frame:
    """An object pasted over 10% of the frame, centred (where faces are)."""
    out = img.copy()
    h, w = img.shape[:2]
    s = int((0.10 * w * h) ** 0.5)
    y, x = h // 2 - s // 2, w // 2 - s // 2
    yy, xx = np.mgrid[0:s, 0:s]
    inside = (xx - s / 2) ** 2 + (yy - s / 2) ** 2 <= (s / 2) ** 2
    out[y : y + s, x : x + s][inside] = (225, 185, 150)
    return out


def video_copy(kind: str, src: Path, dst: Path, rng: np.random.Generator) -> Path:
    frames = decode(src)
    pics = [f for _, f in frames]
    if kind == "crf18":
        return encode(dst, iter(pics), crf=18)
    if kind == "crf35":
        return encode(dst, iter(pics), crf=35)
    if kind == "half":
        return encode(dst, (even(resize(f, W // 2, H // 2)) for f in pics), crf=28)
    if kind == "fps25":
        n = len(pics) * 25 // FPS
        return encode(dst, (pics[min(len(pics) - 1, round(k * FPS / 25))] for k in range(n)), 25)
    if kind.startswith("excerpt"):
        length = rng.uniform(3.0, 6.0)
        start = rng.uniform(0, SECONDS - length - 0.2)
        part = pics[round(start * FPS) : round((start + length) * FPS)]
        return encode(dst, iter(part), crf=28)
    if kind == "letterbox":  # 16:9 shown in 4:3

        def box(f: Frame) -> Frame:
            out = np.zeros((480, 640, 3), np.uint8)
            out[60:420] = f
            return out

        return encode(dst, (box(f) for f in pics))
    if kind == "pillarbox":  # 16:9 inside a 2.2:1 frame

        def pillar(f: Frame) -> Frame:
            out = np.zeros((360, 800, 3), np.uint8)
            out[:, 80:720] = f
            return out

        return encode(dst, (pillar(f) for f in pics))
    if kind == "caption":
        return encode(dst, (caption(f, i) for i, f in enumerate(pics)))
    if kind == "logo":
        return encode(dst, (logo(f) for f in pics))
    if kind == "crop":
        sides = rng.uniform(0, 0.05, 4)
        return encode(dst, (crop(f, sides) for f in pics), crf=23)
    if kind == "edited":
        a, b = int(len(pics) * 0.3), int(len(pics) * 0.7)
        return encode(dst, (paste(f) if a <= i < b else f for i, f in enumerate(pics)))
    if kind == "combo":
        length = rng.uniform(3.5, 6.0)
        start = rng.uniform(0, SECONDS - length - 0.2)
        part = pics[round(start * FPS) : round((start + length) * FPS)]
        return encode(dst, (caption(even(resize(f, W // 2, H // 2))) for f in part), crf=30)
    raise ValueError(kind)


VIDEO_COPIES = ["crf18", "crf35", "half", "fps25", "excerpt1", "excerpt2", "letterbox",
                "pillarbox", "caption", "logo", "crop", "edited", "combo"]  # fmt: skip
PHOTO_COPIES = ["q95", "q50", "half", "png", "webp", "crop", "edit0.5", "edit1", "edit3",
                "edit1_half", "edit1_crop"]  # fmt: skip


def paste_photo(pic: Image.Image, fraction: float, rng: np.random.Generator | None) -> Image.Image:
    """An object (a face) pasted over `fraction` of the picture: in its centre, or where
    `rng` says."""
    w, h = pic.size
    s = int((fraction * w * h) ** 0.5)
    x, y = (w // 2 - s // 2, h // 2 - s // 2) if rng is None else (
        int(rng.integers(0, w - s)), int(rng.integers(0, h - s)))  # fmt: skip
    return Image.fromarray(paste_object(np.asarray(pic), (x, y, s, s)))


def photo_copy(kind: str, src: Path, dst: Path, rng: np.random.Generator) -> Path:
    pic = Image.open(src).convert("RGB")
    if kind.startswith("edit"):
        fraction, _, then = kind.removeprefix("edit").partition("_")
        pic = paste_photo(pic, float(fraction) / 100, rng if fraction == "3" else None)
        if then == "half":
            pic = pic.resize((pic.width // 2, pic.height // 2), Image.BILINEAR)
        elif then == "crop":
            pic = Image.fromarray(crop(np.asarray(pic), rng.uniform(0, 0.05, 4)))
        pic.save(dst, quality=75)
    elif kind == "q95":
        pic.save(dst, quality=95)
    elif kind == "q50":
        pic.save(dst, quality=50)
    elif kind == "half":
        pic.resize((pic.width // 2, pic.height // 2), Image.BILINEAR).save(dst, quality=85)
    elif kind == "png":
        pic.save(dst)
    elif kind == "webp":
        pic.save(dst, quality=80)
    elif kind == "crop":
        Image.fromarray(crop(np.asarray(pic), rng.uniform(0, 0.05, 4))).save(dst, quality=90)
    return dst


PHOTO_SUFFIX = {"png": ".png", "webp": ".webp"}  # the others: ".jpg"


def build(work: Path, quick: bool, videos: bool = True) -> dict[str, list[tuple[str, Path, Path]]]:
    """Generate everything (cached; `videos=False`: the photos alone); returns
    {"videos"|"photos"|...: [(label, original, copy)]} and the unrelated lists."""
    work.mkdir(parents=True, exist_ok=True)
    names = PHOTOS[:: 3 if quick else 1]
    registered, unregistered = names[::2], names[1::2]
    jobs: list[tuple[Callable[..., Path], tuple[object, ...]]] = []
    originals: list[Path] = []
    for k, name in enumerate(registered if videos else []):
        p = work / f"cam_{name}.mp4"
        if not p.exists():
            encode(p, camera(name, k), crf=16)
        originals.append(p)
    for s in range(3 if quick else 8) if videos else ():
        p = work / f"scene_{s}.mp4"
        if not p.exists():
            encode(p, Scene(W, H, seed=100 + s).frames(FPS * SECONDS), crf=16)
        originals.append(p)
    copies = []
    for o_i, orig in enumerate(originals):
        for c_i, kind in enumerate(VIDEO_COPIES):
            dst = work / f"{orig.stem}.{kind}.mp4"
            copies.append((kind, orig, dst))
            if not dst.exists():
                jobs.append((video_copy, (kind, orig, dst, np.random.default_rng(o_i * 100 + c_i))))
    unrelated_videos = []
    for name in unregistered if videos else []:
        for seed in range(3 if quick else 10):
            p = work / f"other_{name}_{seed}.mp4"
            unrelated_videos.append(p)
            if not p.exists():
                jobs.append((camera_clip, (p, name, 1000 + seed, 6)))
    for s in range(10 if quick else 40) if videos else ():
        p = work / f"other_scene_{s}.mp4"
        unrelated_videos.append(p)
        if not p.exists():
            jobs.append((scene_clip, (p, 500 + s, 6)))
    photos, photo_copies, unrelated_photos = [], [], []
    for k, name in enumerate(registered):
        p = work / f"photo_{name}.png"
        if not p.exists():
            pic = photo(name)
            pic.thumbnail((1024, 1024))
            pic.save(p)
        photos.append(p)
        for c_i, kind in enumerate(PHOTO_COPIES):
            dst = work / f"photo_{name}.{kind}{PHOTO_SUFFIX.get(kind, '.jpg')}"
            photo_copies.append((kind, p, dst))
            if not dst.exists():
                photo_copy(kind, p, dst, np.random.default_rng(k * 10 + c_i))
    rng = np.random.default_rng(5)
    for name in unregistered:
        src = photo(name)
        for j in range(6 if quick else 20):
            p = work / f"other_photo_{name}_{j}.jpg"
            unrelated_photos.append(p)
            if not p.exists():
                f = rng.uniform(0.35, 0.8)
                cw, ch = int(src.width * f), int(src.height * f)
                x, y = (
                    int(rng.integers(0, src.width - cw + 1)),
                    int(rng.integers(0, src.height - ch + 1)),
                )
                src.crop((x, y, x + cw, y + ch)).save(p, quality=90)
    for s in range(10 if quick else 40):
        p = work / f"other_scene_photo_{s}.jpg"
        unrelated_photos.append(p)
        if not p.exists():
            Image.fromarray(Scene(800, 600, seed=900 + s).frame(s)).save(p, quality=90)
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        for f in concurrent.futures.as_completed([pool.submit(fn, *a) for fn, a in jobs]):
            f.result()
    return {
        "originals": [("", p, p) for p in originals],
        "videos": copies,
        "photos": [("", p, p) for p in photos],
        "photo_copies": photo_copies,
        "unrelated_videos": [("", p, p) for p in unrelated_videos],
        "unrelated_photos": [("", p, p) for p in unrelated_photos],
    }


def registration(path: Path, video: bool, *, regions: bool = True) -> Registration:
    binding = video_binding(path) if video else image_binding(path, regions=regions)
    return Registration(f"urn:c2pa:bench:{path.stem}", path.name.encode(), binding,
                        "video/mp4" if video else "image/png", title=path.stem)  # fmt: skip


def e2e_1080p(work: Path, reg: Registry) -> None:
    """A 60 s 1080p30 clip, registered, re-encoded at CRF 28: lookup time vs decode time."""
    orig = work / "hd_original.mp4"
    copy = work / "hd_copy.mp4"
    if not orig.exists():
        encode(orig, camera("astronaut", 7, seconds=60, size=(1920, 1080)), crf=18)
    if not copy.exists():
        encode(copy, (f for _, f in decode(orig)), crf=28)
    reg.register([registration(orig, True)])
    runs_lookup, runs_decode = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        with av.open(str(copy)) as c:
            c.streams.video[0].thread_type = "AUTO"
            for _f in c.decode(video=0):
                pass
        runs_decode.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = lookup_file(reg, copy)
        runs_lookup.append(time.perf_counter() - t0)
        assert result.found and result.matches[0].manifest_id == "urn:c2pa:bench:hd_original"
    lk, dc = statistics.median(runs_lookup), statistics.median(runs_decode)
    print(f"\n60 s 1080p30 copy (CRF 28), median of 3: lookup end to end {lk:.2f} s "
          f"(decoded {result.decoded_ms / 1000:.1f} s of it); decoding it whole {dc:.2f} s "
          f"(baseline); ratio {lk / dc:.2f}")  # fmt: skip


@contextlib.contextmanager
def single_block() -> Iterator[None]:
    """Lookups as before regional blocks: a photo's query holds its whole picture's probes
    alone."""
    lookup_module.image_query = functools.partial(image_query, regions=False)  # type: ignore[assignment]
    try:
        yield
    finally:
        lookup_module.image_query = image_query


def bystanders(db: Path, n: int) -> SqliteRegistry:
    """A new registry holding n synthetic videos (benchmarks/registry_scale.py's model)."""
    import registry_scale as scale

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    reg = SqliteRegistry(db, create=True)
    rng = np.random.default_rng(1)
    for start in range(0, n, 1000):
        batch = range(start, min(start + 1000, n))
        reg.register([scale.registration(i, scale.synthetic_cores(
            rng, int(rng.integers(30, 91))), rng) for i in batch])  # fmt: skip
    return reg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "registry-accuracy")  # fmt: skip
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bystanders", type=int, default=20_000)
    ap.add_argument("--index", default=None, help="an existing registry to add the media to")
    ap.add_argument("--skip-hd", action="store_true", help="skip the 60 s 1080p timing")
    ap.add_argument("--only", choices=("videos", "photos"), default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    media = build(args.workdir, args.quick, videos=args.only != "photos")
    print(f"media ready in {time.perf_counter() - t0:.0f} s ({os.cpu_count()} cores)", flush=True)

    if args.index:
        from provenance import open_registry

        reg = open_registry(args.index)
    else:
        reg = bystanders(args.workdir / "accuracy.db", args.bystanders)
    reg.register([registration(p, True) for _, p, _ in media["originals"]])
    reg.register([registration(p, False) for _, p, _ in media["photos"]])
    # the photos as signed before regional blocks, beside the same bystanders
    before = bystanders(args.workdir / "accuracy-before.db", 0 if args.index else args.bystanders)
    before.register([registration(p, False, regions=False) for _, p, _ in media["photos"]])
    print(f"registry: {reg.location} (before regional blocks: {before.location})", flush=True)

    recall: dict[str, list[bool]] = collections.defaultdict(list)
    recall_before: dict[str, list[bool]] = collections.defaultdict(list)
    sims: dict[str, list[int]] = collections.defaultdict(list)
    misses = []
    times = []
    photo_times: dict[str, list[float]] = collections.defaultdict(list)

    def timed(registry: Registry, path: Path, was: bool = False) -> tuple[LookupResult, float]:
        t = time.perf_counter()
        with single_block() if was else contextlib.nullcontext():
            result = lookup_file(registry, path)
        return result, time.perf_counter() - t

    groups = {"videos": ("videos",), "photos": ("photo_copies",)}.get(
        args.only or "", ("videos", "photo_copies")
    )
    for group in groups:
        for i, (kind, orig, copy) in enumerate(media[group]):
            label = kind if group == "videos" else f"photo {kind}"
            want = f"urn:c2pa:bench:{orig.stem}"
            if group == "photo_copies":  # before and after side by side, in turns
                runs = [(before, True), (reg, False)][:: 1 if i % 2 else -1]
                for registry, was in runs:
                    result, took = timed(registry, copy, was)
                    photo_times["copy, before" if was else "copy, after"].append(took)
                    if was:
                        ok = bool(result.matches) and result.matches[0].manifest_id == want
                        recall_before[label].append(ok)
                    else:
                        after, after_time = result, took
                result, took = after, after_time
            else:
                result, took = timed(reg, copy)
            times.append(took)
            ok = bool(result.matches) and result.matches[0].manifest_id == want
            recall[label].append(ok)
            if ok:
                sims[label].append(result.matches[0].similarity)
            else:
                misses.append((label, copy.name, [m.manifest_id for m in result.matches]))
    false: list[tuple[str, list[tuple[str, int]]]] = []
    false_before: list[tuple[str, list[tuple[str, int]]]] = []
    unrelated = {"videos": ("unrelated_videos",), "photos": ("unrelated_photos",)}.get(
        args.only or "", ("unrelated_videos", "unrelated_photos")
    )
    for group in unrelated:
        for i, (_, p, _) in enumerate(media[group]):
            if group == "unrelated_photos":
                for registry, was in [(before, True), (reg, False)][:: 1 if i % 2 else -1]:
                    result, took = timed(registry, p, was)
                    photo_times["unrelated, before" if was else "unrelated, after"].append(took)
                    found = [(m.manifest_id, m.similarity) for m in result.matches]
                    if found:
                        (false_before if was else false).append((p.name, found))
            elif (result := lookup_file(reg, p)).matches:
                false.append((p.name, [(m.manifest_id, m.similarity) for m in result.matches]))

    print(f"\n{'transformation':16} {'recall':>8} {'found':>7}  similarity p10/p50  "
          "recall before regional blocks")  # fmt: skip
    for label, oks in recall.items():
        s = sims[label] or [0]
        was = recall_before.get(label)
        then = f"{sum(was) / len(was):>8.1%} {sum(was):>3}/{len(was):<3}" if was else ""
        print(f"{label:16} {sum(oks) / len(oks):>8.1%} {sum(oks):>3}/{len(oks):<3}  "
              f"{np.percentile(s, 10):>6.0f}/{np.percentile(s, 50):<3.0f}      {then}")  # fmt: skip
    for what, oks in (
        ("video", [ok for k, v in recall.items() if not k.startswith("photo") for ok in v]),
        ("photo", [ok for k, v in recall.items() if k.startswith("photo") for ok in v]),
        ("photo (before)", [ok for v in recall_before.values() for ok in v]),
    ):
        if oks:
            print(f"all {what} copies {sum(oks) / len(oks):.1%} ({sum(oks)}/{len(oks)})")
    n_unrel = sum(len(media[g]) for g in unrelated)
    print(f"false matches: {len(false)} of {n_unrel} unrelated clips and photos")
    if "unrelated_photos" in unrelated:
        print(f"false matches before regional blocks: {len(false_before)} of "
              f"{len(media['unrelated_photos'])} unrelated photos")  # fmt: skip
    for f in false:
        print("  FALSE", f)
    for m in misses:
        print("  MISS", m)
    if times:
        print(f"lookup time per copy (decode included): median {statistics.median(times):.2f} s")
    for what in ("copy", "unrelated"):
        b, a = photo_times[f"{what}, before"], photo_times[f"{what}, after"]
        if a and b:
            mb, ma = statistics.median(b), statistics.median(a)
            print(f"photo lookup, {what} (decode included), median: {ma * 1000:.0f} ms; "
                  f"before regional blocks {mb * 1000:.0f} ms (baseline); "
                  f"ratio {ma / mb:.2f}")  # fmt: skip
    if not args.skip_hd and args.only != "photos":
        e2e_1080p(args.workdir, reg)


if __name__ == "__main__":
    main()
