"""Generated sample media for `provenance demo`: a photo-like still, a short video with
natural-looking motion, and the face-sized paste the demo's "face swap" uses.

Everything is synthesized (no bundled binaries). Internal: the test suite and the
benchmarks build on it (tests/support/synth.py) but it is not public API.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter

__all__ = [
    "Scene",
    "make_photo",
    "make_video",
    "paste_object",
    "read_frames",
    "write_video",
]

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
        """Frame `i` (RGB, height x width x 3)."""
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
        """Frames `start` .. `start + n - 1`, one at a time."""
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
    """Encode RGB frames; returns the number written. ffv1 in .mkv gives lossless clips.

    libx264 encodes are repeatable: the same frames give the same bytes in every run. Its
    macroblock-tree rate control does not (measured with PyAV's x264: 1 run in 7 of the
    same 30 frames came out different, from the first frame on, even on one thread), so it
    is turned off unless `options` set it."""
    if codec == "libx264":
        options = dict(options or {})
        options.setdefault("threads", "1")
        params = options.get("x264-params", "")
        if "mbtree" not in params:
            options["x264-params"] = f"{params}:mbtree=0" if params else "mbtree=0"
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


def make_photo(path: Path | str, *, size: tuple[int, int] = (640, 480), seed: int = 7) -> Path:
    """A photo-like still: smooth gradient sky, textured ground, and an oval 'face'."""
    path = Path(path)
    w, h = size
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None]
    x = np.linspace(0, 1, w)[None, :]
    r = 90 + 120 * y + 20 * np.sin(6 * x)
    g = 140 + 60 * y + 15 * np.cos(5 * x + 3 * y)
    b = 220 - 90 * y
    img = np.stack([r + 0 * x, g + 0 * x, b + 0 * x], axis=-1)
    img += rng.normal(0, 6, img.shape)
    im = PILImage.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    cx, cy = w // 2, h // 2
    d.ellipse([cx - w // 10, cy - h // 6, cx + w // 10, cy + h // 6], fill=(224, 172, 140))
    d.ellipse([cx - w // 25, cy - h // 20, cx - w // 50, cy - h // 40], fill=(40, 30, 30))
    d.ellipse([cx + w // 50, cy - h // 20, cx + w // 25, cy - h // 40], fill=(40, 30, 30))
    im = im.filter(ImageFilter.GaussianBlur(0.6))
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".tif": "TIFF",
           ".tiff": "TIFF", ".gif": "GIF"}.get(path.suffix.lower(), "PNG")  # fmt: skip
    im.save(path, fmt, **({"quality": 92} if fmt in ("JPEG", "WEBP") else {}))
    return path


def make_video(
    path: Path | str,
    *,
    seconds: float = 2.0,
    fps: int = 30,
    size: tuple[int, int] = (320, 240),
    crf: int = 20,
    seed: int = 1,
) -> Path:
    """An H.264 MP4 (or MOV, by suffix) clip with natural-looking motion."""
    path = Path(path)
    frames = Scene(size[0], size[1], seed=seed).frames(int(round(seconds * fps)))
    write_video(path, frames, fps=fps, options={"crf": str(crf), "preset": "veryfast"})
    return path
