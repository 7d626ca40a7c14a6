"""Regional fingerprints for still images and image sequences (Pillow).

Stills use the same features as video frames (``features.compute_features`` on a 128x128
grayscale reduction), so the video thresholds apply; a single picture has no temporal
support, so only the spatial-support rule filters codec noise.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import blake3
import numpy as np
import numpy.typing as npt
from PIL import Image

from provenance._still import Still, decode
from provenance._vocab import Progress as ProgressCallback
from provenance.frames import grid
from provenance.frames.errors import FramesDataError
from provenance.frames.features import CELLS, FINE_SIZE, GRID, compute_features
from provenance.models import ChangedFile, Geometry, SequenceReport

if TYPE_CHECKING:
    from provenance.frames.geometry import Window

Rect = tuple[int, int, int, int]
FINE_BYTES = 64 * 64  # STILL_FINE squared

IMAGE_SENSITIVITY = 2.5
"""Stills are scored at 2.5x the video sensitivity (cell luma > 3.2, detail > 8): a still has
no motion or inter-frame coding, so JPEG re-saves (q95-q50) and 0.75/0.5 rescales peaked at
0.3 of the video threshold while 1/16-area edits scored >= 1.0 (benchmarks/
frames_calibration.py, stills section); 2.5 keeps re-saves below 0.75."""
STILL_DOWNSCALED = 3.3
"""Stills use the video's fine thresholds, times this for a copy downscaled by more than
20%: one picture has no frames to average the ringing of a resampling filter over (unedited
0.5x Lanczos copies peaked at 3.1 times the threshold, JPEG re-saves at full size at 0.34
times; benchmarks/frames_calibration.py, stills)."""
STILL_MOVED = 0.25
"""A coarse texture change counts only where some fine cell inside moved by a quarter of its
threshold: identical pixels score 0."""
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
REGIONS_VERSION = 2
SEQUENCE_VERSION = 2
STILL_FINE = 64
"""Stills keep a 64x64 fine grid (4x4 pixels of the 256x256 analysis image): one picture
costs 4 KB before compression, and a face of 0.25% of the picture covers ten cells."""


@dataclass
class ImageFingerprint:
    """Exact and regional fingerprint of one still image."""

    width: int
    height: int
    exact: str  # hex BLAKE3-128 of mode, size and pixels as decoded (provenance._still)
    dct: int
    luma: bytes  # 64 cell means, row-major 8x8
    detail: bytes  # 64 cell detail bytes
    fine: bytes  # 64x64 fine cell means, row-major

    def to_dict(self) -> dict[str, Any]:
        """The ``org.provenance.regions`` assertion data (also one entry of a sequence)."""
        return {
            "version": REGIONS_VERSION,
            "width": self.width,
            "height": self.height,
            "exact": self.exact,
            "dct": f"{self.dct:016x}",
            "luma": base64.b64encode(self.luma).decode("ascii"),
            "detail": base64.b64encode(self.detail).decode("ascii"),
            "fine_grid": f"{STILL_FINE}x{STILL_FINE}",
            "fine": base64.b64encode(zlib.compress(self.fine, 9)).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageFingerprint:
        """Read back `to_dict()` output; raises FramesDataError when it is not one."""
        if not isinstance(data, dict) or data.get("version") != REGIONS_VERSION:
            raise FramesDataError("image fingerprint: unsupported or missing version")
        if data.get("fine_grid") != f"{STILL_FINE}x{STILL_FINE}":
            raise FramesDataError("image fingerprint: unsupported fine grid")
        try:
            width, height = data["width"], data["height"]
            if (
                not (isinstance(width, int) and isinstance(height, int))
                or width <= 0
                or height <= 0
            ):
                raise FramesDataError("image fingerprint: bad width/height")
            exact = str(data["exact"])
            bytes.fromhex(exact)
            dct = int(str(data["dct"]), 16)
            luma = base64.b64decode(data["luma"], validate=True)
            detail = base64.b64decode(data["detail"], validate=True)
            inflater = zlib.decompressobj()
            packed = base64.b64decode(data["fine"], validate=True)
            fine = inflater.decompress(packed, FINE_BYTES + 1)
        except (KeyError, TypeError, ValueError, binascii.Error, zlib.error) as exc:
            if isinstance(exc, FramesDataError):
                raise
            raise FramesDataError(f"image fingerprint: malformed data ({exc})") from exc
        if len(luma) != CELLS or len(detail) != CELLS or not 0 <= dct < 2**64:
            raise FramesDataError("image fingerprint: wrong luma/detail/dct size")
        if len(fine) != FINE_BYTES or not inflater.eof or inflater.unused_data:
            raise FramesDataError("image fingerprint: wrong fine grid size")
        return cls(width, height, exact, dct, luma, detail, fine)


def fingerprint_image(image: str | Path | Still) -> ImageFingerprint:
    """Fingerprint a still image: a file, or one already decoded (`provenance._still`:
    at reduced scale for a large JPEG, oriented as viewers show it, so that rectangles
    match what they show). `exact` hashes the pixels as decoded."""
    still = image if isinstance(image, Still) else decode(image)
    gray = still.gray.resize((FINE_SIZE, FINE_SIZE), Image.Resampling.BOX)
    pixels = np.asarray(gray, dtype=np.uint8)
    dct, luma, detail = compute_features(pixels)
    return ImageFingerprint(
        still.width, still.height, _exact(still), dct, luma, detail, _still_fine(pixels)
    )


_BAND = 256  # rows hashed at a time


def _exact(still: Still) -> str:
    img = still.image
    h = blake3.blake3(f"{img.mode}:{img.width}x{img.height}:".encode())
    # band by band: the bytes of one tobytes(), which for a large picture costs twice as
    # much (a 12 MP photo: 52-68 ms against 26; it copies the whole picture twice)
    for y in range(0, img.height, _BAND):
        h.update(img.crop((0, y, img.width, min(img.height, y + _BAND))).tobytes())
    return h.hexdigest(length=16)


def _still_fine(gray: npt.NDArray[np.uint8]) -> bytes:
    k = FINE_SIZE // STILL_FINE
    means = gray.reshape(STILL_FINE, k, STILL_FINE, k).mean(axis=(1, 3))
    return bytes(np.clip(np.rint(means), 0, 255).astype(np.uint8).tobytes())


def _changed_regions(signed: ImageFingerprint, checked: ImageFingerprint) -> list[Rect]:
    """Changed rectangles: fine cells whose luminance moved (small regions, such as a face
    of 0.25% of the picture), and coarse cells whose texture changed (a blur keeps the
    means) where some fine cell inside moved too: pixels that did not change never get a
    region, whatever the rest of the picture does to the coarse fits."""
    if signed.exact == checked.exact:
        return []
    size = (STILL_FINE, STILL_FINE)
    s_fine = np.frombuffer(signed.fine, dtype=np.uint8).reshape(size)
    c_fine = np.frombuffer(checked.fine, dtype=np.uint8).reshape(size).astype(np.float64)
    fine = grid.fine_scores(s_fine, c_fine)
    if checked.width * checked.height < 0.8 * signed.width * signed.height:
        fine /= STILL_DOWNSCALED  # resampling filters ring at edges
    fine_rects = grid.cells_to_rects(
        grid.spatial_support(fine, STILL_FINE, STILL_FINE), checked.width, checked.height,
        STILL_FINE, STILL_FINE,
    )  # fmt: skip

    def arr(b: bytes) -> np.ndarray[Any, np.dtype[np.uint8]]:
        return np.frombuffer(b, dtype=np.uint8)[None, :]

    score, global_change = grid.cell_scores(
        arr(signed.luma), arr(signed.detail), arr(checked.luma), arr(checked.detail)
    )
    score = grid.spatial_support(score * IMAGE_SENSITIVITY)[0]
    # coarse cell (r, c) covers fine cells [r*8, r*8+8) x [c*8, c*8+8)
    k = STILL_FINE // GRID
    moved = (fine >= STILL_MOVED).reshape(GRID, k, GRID, k).any(axis=(1, 3)).ravel()
    coarse_rects = grid.cells_to_rects(np.where(moved, score, 0.0), checked.width, checked.height)
    rects = fine_rects + [
        r for r in coarse_rects if not any(grid.overlap(r, f) for f in fine_rects)
    ]
    ham = bin(signed.dct ^ checked.dct).count("1")
    if not rects and moved.any() and (ham > grid.DCT_HAMMING_THRESHOLD or bool(global_change[0])):
        return [(0, 0, checked.width, checked.height)]
    return rects


def compare_image(
    signed: ImageFingerprint, checked_path: str | Path, *, geometry: Geometry | None = None
) -> list[Rect]:
    """Changed regions [x, y, w, h] (checked image pixels); empty if visually unchanged.
    `geometry`: where the signed picture lies in the checked one (a registry match's), for
    a copy with bars or cropped: compared through it (frames.geometry)."""
    still = decode(checked_path)
    if geometry is None:
        return _changed_regions(signed, fingerprint_image(still))
    from provenance.frames.geometry import Window  # signing a still never needs it

    window = Window.of(geometry, (still.width, still.height))
    if window is not None:
        fine = np.frombuffer(signed.fine, dtype=np.uint8).reshape(STILL_FINE, STILL_FINE)
        window = window.refine(fine, np.asarray(still.gray, dtype=np.uint8))
    if window is None or window.fills:
        return _changed_regions(signed, fingerprint_image(still))
    return window.map_rects(_changed_regions(signed, _through(still, window, signed)))


def _through(still: Still, window: Window, signed: ImageFingerprint) -> ImageFingerprint:
    """The checked still's fingerprint over the signed picture's window, with the signed
    values in the cells the checked picture does not show (compared as unchanged)."""
    from provenance.frames.geometry import coarse_hidden

    gray = window.sample(np.asarray(still.gray, dtype=np.uint8))
    dct, luma, detail = compute_features(gray)
    hidden = window.hidden(STILL_FINE, STILL_FINE).ravel()
    coarse = coarse_hidden(hidden.reshape(STILL_FINE, STILL_FINE))

    def shown(own: bytes, theirs: bytes, mask: npt.NDArray[np.bool_]) -> bytes:
        a, b = (np.frombuffer(v, dtype=np.uint8) for v in (own, theirs))
        return np.where(mask, b, a).astype(np.uint8).tobytes()

    return ImageFingerprint(
        *window.pixels,
        _exact(still),
        dct,
        shown(luma, signed.luma, coarse),
        shown(detail, signed.detail, coarse),
        shown(_still_fine(gray), signed.fine, hidden),
    )


# --- sequences ---------------------------------------------------------------------------------


@dataclass
class SequenceFingerprint:
    """Fingerprints of every image file in a folder, by file name."""

    files: dict[str, ImageFingerprint]

    def to_dict(self) -> dict[str, Any]:
        """The fingerprints of the ``org.provenance.sequence`` assertion: every file's, by name."""
        return {
            "version": SEQUENCE_VERSION,
            "files": [{"name": n, **fp.to_dict()} for n, fp in sorted(self.files.items())],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SequenceFingerprint:
        """Read back `to_dict()` output; raises FramesDataError when it is not one."""
        if not isinstance(data, dict) or data.get("version") != SEQUENCE_VERSION:
            raise FramesDataError("sequence fingerprint: unsupported or missing version")
        entries = data.get("files")
        if not isinstance(entries, list):
            raise FramesDataError("sequence fingerprint: 'files' must be a list")
        files: dict[str, ImageFingerprint] = {}
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise FramesDataError("sequence fingerprint: entry without a name")
            if entry["name"] in files:
                raise FramesDataError(f"sequence fingerprint: duplicate name {entry['name']!r}")
            files[entry["name"]] = ImageFingerprint.from_dict(entry)
        return cls(files)


def _image_files(folder: str | Path) -> list[Path]:
    return sorted(
        p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def fingerprint_sequence(
    folder: str | Path, progress: ProgressCallback | None = None
) -> SequenceFingerprint:
    """Fingerprint every image file (by suffix) directly inside folder, in name order."""
    paths = _image_files(folder)
    files: dict[str, ImageFingerprint] = {}
    for k, p in enumerate(paths, 1):
        files[p.name] = fingerprint_image(p)
        if progress is not None:
            progress(k, len(paths))
    return SequenceFingerprint(files)


def compare_sequence(
    signed: SequenceFingerprint, folder: str | Path, progress: ProgressCallback | None = None
) -> SequenceReport:
    """Check a folder against a sequence fingerprint: changed (with regions), added, missing."""
    paths = _image_files(folder)
    report = SequenceReport()
    present = {p.name for p in paths}
    for k, p in enumerate(paths, 1):
        fp_signed = signed.files.get(p.name)
        if fp_signed is None:
            report.added.append(p.name)
        else:
            regions = _changed_regions(fp_signed, fingerprint_image(p))
            if regions:
                report.changed.append(ChangedFile(p.name, regions))
            else:
                report.unchanged.append(p.name)
        if progress is not None:
            progress(k, len(paths))
    report.missing = sorted(n for n in signed.files if n not in present)
    return report


__all__ = [
    "ChangedFile",
    "ImageFingerprint",
    "SequenceFingerprint",
    "SequenceReport",
    "compare_image",
    "compare_sequence",
    "fingerprint_image",
    "fingerprint_sequence",
]
