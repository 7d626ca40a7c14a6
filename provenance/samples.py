"""Generated sample media, for the demo, the tests and the benchmarks.

Everything is synthesized (no bundled binaries): a photo-like image with texture and
a face-sized feature, a short video with natural-looking motion (the scenes of
`provenance.frames.synth`, also used to calibrate the frame thresholds), and a tone.
"""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

__all__ = ["make_photo", "make_video", "make_audio"]


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
    from .frames.synth import Scene, write_video

    path = Path(path)
    frames = Scene(size[0], size[1], seed=seed).frames(int(round(seconds * fps)))
    write_video(path, frames, fps=fps, options={"crf": str(crf), "preset": "veryfast"})
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
