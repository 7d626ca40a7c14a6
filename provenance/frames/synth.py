"""Synthetic clips with natural-looking motion, for tests and benchmarks (PyAV only).

Not used by sign/verify; kept in the package so tests and benchmarks share one generator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from provenance.frames.fingerprint import VideoFingerprint

Image = npt.NDArray[np.uint8]
Rect = tuple[int, int, int, int]


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> npt.NDArray[np.float32]:
    """Value noise: random values on a coarse lattice, bilinearly upsampled (cloud texture)."""
    gh, gw = h // cell + 2, w // cell + 2
    lattice = rng.random((gh, gw), dtype=np.float32)
    ys = np.arange(h, dtype=np.float32) / cell
    xs = np.arange(w, dtype=np.float32) / cell
    y0 = ys.astype(np.int64)
    x0 = xs.astype(np.int64)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    a = lattice[y0][:, x0]
    b = lattice[y0][:, x0 + 1]
    c = lattice[y0 + 1][:, x0]
    d = lattice[y0 + 1][:, x0 + 1]
    out = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    return np.asarray(out, dtype=np.float32)


class Scene:
    """A deterministic moving scene: drifting textured background, moving shapes, grain."""

    def __init__(self, width: int, height: int, seed: int = 0) -> None:
        self.width, self.height = width, height
        rng = np.random.default_rng(seed)
        big_h, big_w = height * 2, width * 2
        tex = (
            0.55 * _smooth_noise(rng, big_h, big_w, max(8, width // 10))
            + 0.3 * _smooth_noise(rng, big_h, big_w, max(3, width // 60))
            + 0.15 * rng.random((big_h, big_w), dtype=np.float32)
        )
        self.texture = (tex * 200 + 20).astype(np.uint8)
        self.tint = rng.integers(60, 200, 3)
        self.grain = rng.integers(-6, 7, (8, height, width), dtype=np.int16)
        self.phase = rng.random(6) * 6.28

    def frame(self, i: int) -> Image:
        w, h = self.width, self.height
        p = self.phase
        # background drifts along a slow Lissajous path
        ox = int((w / 2) * (1 + np.sin(i / 47 + p[0])))
        oy = int((h / 2) * (1 + np.sin(i / 61 + p[1])))
        bg = self.texture[oy : oy + h, ox : ox + w].astype(np.int16)
        img = np.empty((h, w, 3), dtype=np.int16)
        for ch in range(3):
            img[..., ch] = bg * int(self.tint[ch]) // 160
        # two moving shapes with their own texture, so the codec sees real motion
        for k, (rw, rh) in enumerate(((w // 6, h // 5), (w // 8, w // 8))):
            cx = int(w / 2 + (w / 3) * np.sin(i / (17 + 9 * k) + p[2 + k]))
            cy = int(h / 2 + (h / 3) * np.cos(i / (23 + 7 * k) + p[4 + k]))
            x0, y0 = max(0, cx - rw // 2), max(0, cy - rh // 2)
            x1, y1 = min(w, cx + rw // 2), min(h, cy + rh // 2)
            if x1 > x0 and y1 > y0:
                patch = self.texture[y0:y1, (x0 + 3 * i) % w : (x0 + 3 * i) % w + (x1 - x0)]
                patch = patch[:, : x1 - x0]
                color = np.array([230, 80, 40]) if k == 0 else np.array([40, 90, 220])
                img[y0 : y0 + patch.shape[0], x0 : x0 + patch.shape[1]] = (
                    color[None, None, :] * (patch[..., None].astype(np.int16) + 60) // 255
                )
        img += self.grain[i % 8][..., None]
        return np.clip(img, 0, 255).astype(np.uint8)

    def frames(self, n: int, start: int = 0) -> Iterator[Image]:
        for i in range(start, start + n):
            yield self.frame(i)


def write_video(
    path: str | Path,
    frames: Iterable[Image],
    fps: int = 30,
    codec: str = "libx264",
    options: dict[str, str] | None = None,
    pix_fmt: str = "yuv420p",
) -> int:
    """Encode RGB frames; returns the number written. ffv1 in .mkv gives lossless clips."""
    count = 0
    with av.open(str(path), "w") as out:
        stream: av.video.stream.VideoStream | None = None
        for img in frames:
            if stream is None:
                added = out.add_stream(codec, rate=Fraction(fps), options=options or {})
                assert isinstance(added, av.video.stream.VideoStream)
                stream = added
                stream.height, stream.width = img.shape[0], img.shape[1]
                stream.pix_fmt = pix_fmt
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = count
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
            count += 1
        if stream is not None:
            for packet in stream.encode():
                out.mux(packet)
    return count


def read_frames(path: str | Path, scale: float = 1.0) -> Iterator[Image]:
    """Decode to RGB (optionally rescaled), frame by frame."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if scale != 1.0:
                w = int(frame.width * scale) // 2 * 2
                h = int(frame.height * scale) // 2 * 2
                frame = frame.reformat(width=w, height=h)
            yield np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)


def transcode(
    src: str | Path,
    dst: str | Path,
    crf: int = 23,
    scale: float = 1.0,
    edit: Callable[[int, Image], Image] | None = None,
    codec: str = "libx264",
) -> int:
    """Re-encode src (libx264 at a CRF by default), optionally editing frame i in RGB."""
    # threads=1: x264 output then depends only on the input, so figures are reproducible
    options = {"crf": str(crf), "preset": "veryfast", "threads": "1"} if codec == "libx264" else {}

    def gen() -> Iterator[Image]:
        for i, img in enumerate(read_frames(src, scale)):
            yield edit(i, img) if edit is not None else img

    return write_video(dst, gen(), codec=codec, options=options)


def replace_rect(img: Image, rect: Rect, source: Image) -> Image:
    """Replace a rectangle with the same rectangle of another picture (a face swap stand-in)."""
    x, y, w, h = rect
    out = img.copy()
    out[y : y + h, x : x + w] = source[y : y + h, x : x + w]
    return out


def paste_object(img: Image, rect: Rect, shade: tuple[int, int, int] = (225, 185, 150)) -> Image:
    """Paste a shaded, textured ellipse filling rect (an inserted object / swapped face)."""
    x, y, w, h = rect
    out = img.copy()
    yy, xx = np.mgrid[0:h, 0:w]
    inside = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2 <= 1.0
    light = 0.75 + 0.25 * np.cos(xx / max(1, w) * 3.0)[..., None]
    patch = np.clip(np.array(shade)[None, None, :] * light, 0, 255).astype(np.uint8)
    region = out[y : y + h, x : x + w]
    region[inside] = patch[inside]
    return out


def blur_rect(img: Image, rect: Rect, radius: int = 6) -> Image:
    """Box-blur a rectangle (separable, via cumulative sums)."""
    x, y, w, h = rect
    out = img.copy()
    region = img[y : y + h, x : x + w].astype(np.float64)
    for axis in (0, 1):
        pad = [(0, 0)] * 3
        pad[axis] = (radius + 1, radius)
        c = np.cumsum(np.pad(region, pad, mode="edge"), axis=axis)
        k = 2 * radius + 1
        region = (
            np.take(c, np.arange(k, k + region.shape[axis]), axis=axis)
            - np.take(c, np.arange(0, region.shape[axis]), axis=axis)
        ) / k
    out[y : y + h, x : x + w] = np.clip(region, 0, 255).astype(np.uint8)
    return out


def iou(a: Rect, b: Rect) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union else 0.0


def union_rect(rects: Iterable[Rect]) -> Rect | None:
    rs = list(rects)
    if not rs:
        return None
    x0 = min(r[0] for r in rs)
    y0 = min(r[1] for r in rs)
    x1 = max(r[0] + r[2] for r in rs)
    y1 = max(r[1] + r[3] for r in rs)
    return (x0, y0, x1 - x0, y1 - y0)


class ClipSet:
    """Lazily generated test clips in one folder (shared by the test suite).

    Lossless ffv1/mkv clips keep frames bit-exact (unchanged frames stay ``intact``);
    ``lossy`` is libx264 CRF 18 for re-encode tests.
    """

    W, H, N = 320, 240, 90
    EDIT_RECT: Rect = (80, 60, 80, 60)  # 1/16 of the frame, on cell boundaries (40x30 cells)

    def __init__(self, root: Path) -> None:
        self.root = root
        self.scene = Scene(self.W, self.H, seed=0)
        self.foreign = Scene(self.W, self.H, seed=7)
        self.frames = list(self.scene.frames(self.N))
        self._fp: dict[str, VideoFingerprint] = {}

    def lossless(self, name: str, make: Callable[[list[Image]], list[Image]]) -> Path:
        path = self.root / f"{name}.mkv"
        if not path.exists():
            write_video(path, make(self.frames), codec="ffv1")
        return path

    @property
    def original(self) -> Path:
        return self.lossless("original", lambda f: f)

    @property
    def lossy(self) -> Path:
        path = self.root / "lossy.mp4"
        if not path.exists():
            write_video(path, self.frames, options={"crf": "18", "threads": "1"})
        return path

    def fingerprint(self, path: Path) -> VideoFingerprint:
        from provenance.frames.fingerprint import fingerprint_video

        key = str(path)
        if key not in self._fp:
            self._fp[key] = fingerprint_video(path)
        return self._fp[key]


def long_fingerprint_pair(
    frames: int = 108_000,
    dropped: tuple[int, int] = (1000, 1005),
    inserted_at: int = 50_000,
    inserted: int = 1000,
    dct_noise: float = 1.0,
    seed: int = 0,
) -> tuple[VideoFingerprint, VideoFingerprint]:
    """Synthetic signed/checked fingerprints of an hour-long video (no decoding), for the
    alignment at scale: the checked side is a re-encode (no exact hash matches; a fraction
    dct_noise of frames with one DCT bit flipped, luma +-1) with frames dropped[0]..dropped[1]-1
    removed and `inserted` foreign frames at checked index inserted_at."""
    from provenance.frames.fingerprint import VideoFingerprint

    rng = np.random.default_rng(seed)

    def columns(n: int, r: np.random.Generator) -> dict[str, npt.NDArray[np.generic]]:
        walk = np.cumsum(r.integers(-2, 3, (n, 64)), axis=0)
        return {
            "exact": r.integers(0, 256, (n, 16), dtype=np.uint8),
            "dct": r.integers(0, 2**63, n, dtype=np.uint64),
            "luma": (walk % 200 + 20).astype(np.uint8),
            "detail": (90 + np.cumsum(r.integers(-1, 2, (n, 64)), axis=0) % 30).astype(np.uint8),
        }

    def build(cols: dict[str, npt.NDArray[np.generic]]) -> VideoFingerprint:
        n = len(cols["dct"])
        return VideoFingerprint(
            frame_count=n,
            frame_rate=Fraction(30),
            width=1920,
            height=1080,
            duration=n / 30,
            pts_us=(np.arange(n, dtype=np.int64) * 1_000_000) // 30,
            exact=cols["exact"].astype(np.uint8),
            dct=cols["dct"].astype(np.uint64),
            luma=cols["luma"].astype(np.uint8),
            detail=cols["detail"].astype(np.uint8),
        )

    signed = columns(frames, rng)
    keep = np.r_[0 : dropped[0], dropped[1] : frames]
    checked = {k: v[keep].copy() for k, v in signed.items()}
    m = keep.size
    checked["exact"] = rng.integers(0, 256, (m, 16), dtype=np.uint8)
    flip = rng.random(m) < dct_noise
    bit = np.left_shift(np.uint64(1), rng.integers(0, 64, m).astype(np.uint64))
    checked["dct"] = np.where(flip, checked["dct"].astype(np.uint64) ^ bit, checked["dct"])
    noise = rng.integers(-1, 2, (m, 64))
    checked["luma"] = np.clip(checked["luma"].astype(np.int16) + noise, 0, 255).astype(np.uint8)
    foreign = columns(inserted, np.random.default_rng(seed + 1))
    for k in checked:
        checked[k] = np.concatenate(
            [checked[k][:inserted_at], foreign[k], checked[k][inserted_at:]]
        )
    return build(signed), build(checked)
