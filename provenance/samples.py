"""Generated sample media, for the demo, the tests and the benchmarks.

Everything is synthesized (no bundled binaries): a photo-like image with texture and
a face-sized feature, a short video with natural-looking motion, and a tone as audio.
"""

from __future__ import annotations

import math
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

__all__ = ["make_photo", "make_video", "make_audio", "video_frame"]


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
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
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


def video_frame(i: int, width: int, height: int, *, fps: int = 30) -> np.ndarray:
    """Frame `i` of the synthetic clip as an RGB array: a slowly panning textured
    background with two shapes moving on smooth paths."""
    t = i / fps
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    pan = 40 * t
    base = (
        110
        + 50 * np.sin((xx + pan) / 37.0) * np.cos(yy / 53.0)
        + 30 * np.sin((xx + yy + 2 * pan) / 91.0)
    )
    frame = np.stack([base, base * 0.9 + 20, 200 - base * 0.5], axis=-1)
    for k, (rad, col) in enumerate(((0.12, (230, 80, 60)), (0.08, (60, 200, 90)))):
        cx = width * (0.5 + 0.3 * math.sin(0.7 * t + k * 2.1))
        cy = height * (0.5 + 0.25 * math.cos(0.5 * t + k * 1.3))
        rr = rad * min(width, height)
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 < rr**2
        frame[mask] = col
    out: np.ndarray = np.clip(frame, 0, 255).astype(np.uint8)
    return out


def make_video(
    path: Path | str,
    *,
    seconds: float = 2.0,
    fps: int = 30,
    size: tuple[int, int] = (320, 240),
    codec: str = "libx264",
    crf: int = 20,
) -> Path:
    """An H.264 MP4 (or MOV, by suffix) clip with natural-looking motion."""
    path = Path(path)
    w, h = size
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = Fraction(1, fps)
        if codec == "libx264":
            stream.options = {"crf": str(crf), "preset": "veryfast"}
        for i in range(int(round(seconds * fps))):
            frame = av.VideoFrame.from_ndarray(video_frame(i, w, h, fps=fps), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def make_audio(path: Path | str, *, seconds: float = 1.0, rate: int = 16000) -> Path:
    """A WAV (or MP3, by suffix) file with a gliding tone."""
    path = Path(path)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    tone = 0.3 * np.sin(2 * np.pi * (440 + 220 * t) * t)
    pcm = (tone * 32767).astype("<i2")
    if path.suffix.lower() == ".wav":
        with wave.open(str(path), "wb") as wf:
            wf.setnchannels(1)
            wf.setsampwidth(2)
            wf.setframerate(rate)
            wf.writeframes(pcm.tobytes())
        return path
    with av.open(str(path), "w") as out:
        codec = {".mp3": "libmp3lame", ".m4a": "aac", ".flac": "flac"}[path.suffix.lower()]
        astream = out.add_stream(codec, rate=rate)
        assert isinstance(astream, av.AudioStream)
        astream.layout = "mono"
        step = 1152
        for start in range(0, n, step):
            chunk = pcm[start : start + step].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            out.mux(astream.encode(frame))
        out.mux(astream.encode(None))
    return path
