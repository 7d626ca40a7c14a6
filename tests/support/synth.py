"""Synthetic clips and edits for the tests and benchmarks (PyAV only).

The scenes, the encoder and the decoder are the demo's (`provenance._demo_media`); what is
here only tests and benchmarks use: re-encodes, re-timing, edits, rectangle geometry and
the fingerprint pairs that exercise the alignment at scale.
"""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from provenance._demo_media import Scene, paste_object, read_frames, write_video
from provenance.frames.fingerprint import fingerprint_video
from provenance.frames.table import VideoFingerprint, group_count

__all__ = [
    "ClipSet",
    "Scene",
    "blur_rect",
    "iou",
    "make_audio",
    "long_fingerprint_pair",
    "paste_object",
    "read_frames",
    "replace_rect",
    "retime",
    "transcode",
    "union_rect",
    "write_video",
]

Image = npt.NDArray[np.uint8]
Rect = tuple[int, int, int, int]


def transcode(
    src: str | Path | list[Image],
    dst: str | Path,
    crf: int = 23,
    scale: float = 1.0,
    edit: Callable[[int, Image], Image] | None = None,
    codec: str = "libx264",
) -> int:
    """Re-encode src (a file, or decoded RGB frames) with libx264 at a CRF by default,
    optionally editing frame i in RGB."""
    # threads=1: x264 output then depends only on the input, so figures are reproducible
    options = {"crf": str(crf), "preset": "veryfast", "threads": "1"} if codec == "libx264" else {}

    def gen() -> Iterator[Image]:
        source = read_frames(src, scale) if isinstance(src, str | Path) else src
        for i, img in enumerate(source):
            img = _scaled(img, scale) if not isinstance(src, str | Path) else img
            yield edit(i, img) if edit is not None else img

    return write_video(dst, gen(), codec=codec, options=options)


def replace_rect(img: Image, rect: Rect, source: Image) -> Image:
    """Replace a rectangle with the same rectangle of another picture (a face swap stand-in)."""
    x, y, w, h = rect
    out = img.copy()
    out[y : y + h, x : x + w] = source[y : y + h, x : x + w]
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


def retime(
    src: str | Path, dst: str | Path, fps: int, crf: int = 23, scale: float = 1.0
) -> list[int]:
    """Re-encode src at a new constant frame rate, as ``ffmpeg -i src -r fps dst`` does:
    output slot k shows the source frame whose presentation time is nearest to k/fps
    (frames are dropped or shown twice; the picture content is not resampled). Returns
    the source frame index of every output frame."""
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames: list[tuple[float, Image]] = []
        for frame in container.decode(stream):
            t = float(frame.pts * frame.time_base) if frame.pts is not None else len(frames)
            frames.append((t, np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)))
    if not frames:
        return []
    start = frames[0][0]
    times = np.array([t - start for t, _ in frames])
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    end = times[-1] + step
    slots = np.arange(int(np.floor(end * fps + 1e-6))) / fps
    # nearest source frame, ties to the earlier one
    idx = np.clip(np.searchsorted(times, slots - step / 2, side="left"), 0, len(frames) - 1)
    options = {"crf": str(crf), "preset": "veryfast", "threads": "1"}
    pictures = (_scaled(frames[int(i)][1], scale) for i in idx)
    write_video(dst, pictures, fps=fps, options=options)
    return [int(i) for i in idx]


def _scaled(img: Image, scale: float) -> Image:
    if scale == 1.0:
        return img
    frame = av.VideoFrame.from_ndarray(img, format="rgb24")
    w = int(frame.width * scale) // 2 * 2
    h = int(frame.height * scale) // 2 * 2
    return np.asarray(frame.reformat(width=w, height=h).to_ndarray(format="rgb24"), np.uint8)


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
        key = str(path)
        if key not in self._fp:
            self._fp[key] = fingerprint_video(path, keep_frame_fine=True)
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
            fine=np.full((group_count(n), 32, 64), 128, dtype=np.uint8),
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
