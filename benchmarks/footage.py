"""Realistic footage and face swaps for the localization calibration (benchmark only).

Made from real photographs that packages ship offline: the portraits in scikit-image
(`astronaut`) and Matplotlib (`grace_hopper.jpg`), and scikit-image's scene photos as
backgrounds. Needs the `bench` extra: `pip install -e ".[bench]"`.

* `film`: a virtual camera films a world (a background photo with a portrait placed so its
  face covers a chosen share of the frame): slow pan and zoom, hand-held drift and roll,
  brightness flicker and sensor noise, written as a CRF 16 H.264 "camera master".
* `FaceSwapper`: what face-swap pipelines do to every frame: detect the face (OpenCV's Haar
  cascade), align a donor face to it, match its colour, Poisson-blend it
  (`cv2.seamlessClone`) through a feathered elliptical mask; optionally the donor first
  goes through a 128x128 bottleneck, as one-click tools' models do. It records the
  rectangle it changed in every frame (the ground truth).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt
import skimage.data
from matplotlib import cbook
from PIL import Image as PILImage

Image = npt.NDArray[np.uint8]
Rect = tuple[int, int, int, int]

_CASCADE = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
BACKGROUNDS = ("coffee", "rocket", "chelsea", "hubble_deep_field")


def portraits() -> dict[str, Image]:
    hopper_path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with PILImage.open(hopper_path) as im:
        hopper = np.asarray(im.convert("RGB"))
    return {"astronaut": skimage.data.astronaut(), "hopper": hopper}


def detect_face(
    img: Image, min_size: int = 20, max_size: int = 0, near: Rect | None = None
) -> Rect | None:
    """The largest frontal face (Haar cascade), as (x, y, w, h); with `near`, only within
    a window of twice that box around it, as pipelines track a face from frame to frame."""
    ox = oy = 0
    if near is not None:
        x, y, w, h = near
        ox, oy = max(0, x - w), max(0, y - h)
        img = img[oy : y + 2 * h, ox : x + 2 * w]
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    limits = {"maxSize": (max_size, max_size)} if max_size else {}
    faces = _CASCADE.detectMultiScale(gray, 1.1, 4, minSize=(min_size, min_size), **limits)
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: int(f[2]) * int(f[3]))
    return int(x) + ox, int(y) + oy, int(w), int(h)


@dataclass
class World:
    """A still world image and where the face sits in it (world pixels)."""

    image: Image
    face: Rect


def make_world(
    portrait: Image, background: str, face_share: float, size: tuple[int, int], seed: int
) -> World:
    """Background photo covering 1.4x the frame, the portrait scaled so that its face box
    covers `face_share` of the frame area, placed off-centre like a speaker in a wide shot."""
    w, h = size
    ww, wh = int(w * 1.4), int(h * 1.4)
    bg = getattr(skimage.data, background)()
    if bg.ndim == 2:
        bg = np.stack([bg] * 3, axis=-1)
    scale = max(ww / bg.shape[1], wh / bg.shape[0])
    bg = cv2.resize(bg, (int(bg.shape[1] * scale) + 1, int(bg.shape[0] * scale) + 1),
                    interpolation=cv2.INTER_CUBIC)[:wh, :ww]  # fmt: skip
    face = detect_face(portrait, 40)
    assert face is not None, "the portrait's face must be detectable"
    side = (face_share * w * h) ** 0.5
    s = side / face[2]
    pw, ph = max(1, int(portrait.shape[1] * s)), max(1, int(portrait.shape[0] * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    person = cv2.resize(portrait, (pw, ph), interpolation=interp)
    rng = np.random.default_rng(seed)
    # face centre in the world: within the middle of the frame, a little off-centre
    fcx = ww / 2 + rng.uniform(-0.15, 0.15) * w
    fcy = wh / 2 + rng.uniform(-0.1, 0.05) * h
    ox = int(round(fcx - (face[0] + face[2] / 2) * s))
    oy = int(round(fcy - (face[1] + face[3] / 2) * s))
    world = bg.copy()
    # soft-edged paste so the portrait's frame is not a hard rectangle
    alpha = np.ones((ph, pw), np.float32)
    edge = max(2, min(pw, ph) // 12)
    ramp = np.minimum(np.arange(pw)[None, :], np.arange(pw)[::-1][None, :]) / edge
    rampy = np.minimum(np.arange(ph)[:, None], np.arange(ph)[::-1][:, None]) / edge
    alpha = np.clip(np.minimum(ramp, rampy), 0, 1).astype(np.float32)
    x0, y0 = max(0, ox), max(0, oy)
    x1, y1 = min(ww, ox + pw), min(wh, oy + ph)
    a = alpha[y0 - oy : y1 - oy, x0 - ox : x1 - ox, None]
    src = person[y0 - oy : y1 - oy, x0 - ox : x1 - ox].astype(np.float32)
    dst = world[y0:y1, x0:x1].astype(np.float32)
    world[y0:y1, x0:x1] = np.clip(a * src + (1 - a) * dst, 0, 255).astype(np.uint8)
    fx, fy = int(round(ox + face[0] * s)), int(round(oy + face[1] * s))
    return World(world, (fx, fy, int(round(side)), int(round(side))))


@dataclass(frozen=True)
class Camera:
    """Per-frame motion of a virtual camera over a world (all in output pixels)."""

    pan: tuple[float, float] = (0.6, 0.15)  # px per frame
    zoom: float = 0.0008  # relative scale change per frame
    drift: float = 3.0  # hand-held amplitude, px
    roll: float = 0.25  # hand-held roll amplitude, degrees
    flicker: float = 0.025  # brightness modulation amplitude
    noise: float = 2.5  # sensor noise sigma, 8-bit levels
    seed: int = 0


def film(world: World, size: tuple[int, int], frames: int, cam: Camera) -> Iterator[Image]:
    """The camera's frames: an affine view of the world plus flicker and sensor noise."""
    w, h = size
    wh, ww = world.image.shape[:2]
    rng = np.random.default_rng(cam.seed)
    phases = rng.uniform(0, 2 * np.pi, 8)
    for i in range(frames):
        t = i / 30.0
        jx = cam.drift * (np.sin(2.1 * t + phases[0]) + 0.5 * np.sin(5.3 * t + phases[1]))
        jy = cam.drift * (np.sin(1.7 * t + phases[2]) + 0.5 * np.sin(4.1 * t + phases[3]))
        cx = ww / 2 + cam.pan[0] * (i - frames / 2) + jx
        cy = wh / 2 + cam.pan[1] * (i - frames / 2) + jy
        zoom = 1.0 + cam.zoom * i
        angle = cam.roll * np.sin(1.3 * t + phases[4])
        # maps world -> output: rotate/scale about the camera centre, then centre the view
        m = cv2.getRotationMatrix2D((cx, cy), angle, zoom)
        m[0, 2] += w / 2 - cx
        m[1, 2] += h / 2 - cy
        img = cv2.warpAffine(world.image, m, (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        gain = 1.0 + cam.flicker * np.sin(2 * np.pi * t * 1.7 + phases[5]) + rng.normal(0, 0.004)
        noisy = img.astype(np.float32) * gain + rng.normal(0, cam.noise, img.shape)
        yield np.clip(noisy, 0, 255).astype(np.uint8)


@dataclass
class FaceSwapper:
    """Swap the largest detected face of each frame for `donor`'s face."""

    donor: Image
    face_side: int  # expected face size in the frames, px (bounds the detector's scales)
    bottleneck: int | None = None  # e.g. 128: the donor face passes through this size
    regions: dict[int, Rect] = field(default_factory=dict)  # frame -> changed rectangle

    def __post_init__(self) -> None:
        face = detect_face(self.donor, 40)
        assert face is not None
        x, y, w, h = face
        crop = self.donor[y : y + h, x : x + w]
        if self.bottleneck:
            crop = cv2.resize(crop, (self.bottleneck, self.bottleneck),
                              interpolation=cv2.INTER_AREA)  # fmt: skip
        self.face = crop
        self._last: Rect | None = None

    def __call__(self, i: int, img: Image) -> Image:
        lo, hi = int(self.face_side / 1.6), int(self.face_side * 1.6) + 1
        box = None
        if self._last is not None:
            box = detect_face(img, lo, hi, near=self._last)
        if box is None:
            box = detect_face(img, lo, hi)
        self._last = box
        if box is None:
            return img
        x, y, w, h = box
        H, W = img.shape[:2]
        if x < 2 or y < 2 or x + w > W - 2 or y + h > H - 2:
            return img  # seamlessClone needs a margin around the mask
        interp = cv2.INTER_AREA if w < self.face.shape[1] else cv2.INTER_CUBIC
        donor = cv2.resize(self.face, (w, h), interpolation=interp)
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.42), int(h * 0.48)), 0, 0, 360, 255, -1)
        target = img[y : y + h, x : x + w]
        donor = _match_colour(donor, target, mask > 0)
        # feather: fade the clone into the original near the ellipse's edge
        soft = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), max(1.0, w / 25))
        center = (x + w // 2, y + h // 2)
        # (seamlessClone overwrites its mask argument)
        blended = cv2.seamlessClone(donor, img, mask.copy(), center, cv2.NORMAL_CLONE)
        alpha = np.zeros((H, W), np.float32)
        alpha[y : y + h, x : x + w] = soft
        out = alpha[..., None] * blended + (1 - alpha[..., None]) * img
        result = np.clip(np.rint(out), 0, 255).astype(np.uint8)
        diff = np.abs(result.astype(np.int16) - img.astype(np.int16)).max(axis=-1) > 3
        ys, xs = np.nonzero(diff)
        if ys.size:
            self.regions[i] = (
                int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
                int(ys.max() - ys.min() + 1),
            )  # fmt: skip
        return result


def _match_colour(src: Image, dst: Image, mask: npt.NDArray[np.bool_]) -> Image:
    """Reinhard colour transfer in Lab over the masked pixels."""
    s = cv2.cvtColor(src, cv2.COLOR_RGB2LAB).astype(np.float32)
    d = cv2.cvtColor(dst, cv2.COLOR_RGB2LAB).astype(np.float32)
    sm, ss = s[mask].mean(axis=0), s[mask].std(axis=0) + 1e-3
    dm, ds = d[mask].mean(axis=0), d[mask].std(axis=0) + 1e-3
    out = (s - sm) / ss * ds + dm
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
