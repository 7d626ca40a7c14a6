"""Regional fingerprints for still images and image sequences (Pillow).

Stills use the same features as video frames (``features.compute_features`` on a 128x128
grayscale reduction), so the video thresholds apply; a single picture has no temporal
support, so only the spatial-support rule filters codec noise.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import blake3
import numpy as np
from PIL import Image, ImageOps

from provenance._vocab import Progress as ProgressCallback
from provenance.frames import compare
from provenance.frames.errors import FramesDataError
from provenance.frames.features import ANALYSIS_SIZE, CELLS, compute_features
from provenance.models import ChangedFile, SequenceReport

Rect = tuple[int, int, int, int]

IMAGE_SENSITIVITY = 2.5
"""Stills are scored at 2.5x the video sensitivity (cell luma > 3.2, detail > 8): a still has
no motion or inter-frame coding, so JPEG re-saves (q95-q50) and 0.75/0.5 rescales peaked at
0.3 of the video threshold while 1/16-area edits scored >= 1.0 (benchmarks/
frames_calibration.py, stills section); 2.5 keeps re-saves below 0.75."""
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
SEQUENCE_VERSION = 1


@dataclass
class ImageFingerprint:
    """Exact and regional fingerprint of one still image."""

    width: int
    height: int
    exact: str  # hex BLAKE3-128 of mode, size and decoded pixels
    dct: int
    luma: bytes  # 64 cell means, row-major 8x8
    detail: bytes  # 64 cell detail bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "exact": self.exact,
            "dct": f"{self.dct:016x}",
            "luma": base64.b64encode(self.luma).decode("ascii"),
            "detail": base64.b64encode(self.detail).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageFingerprint:
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
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            if isinstance(exc, FramesDataError):
                raise
            raise FramesDataError(f"image fingerprint: malformed data ({exc})") from exc
        if len(luma) != CELLS or len(detail) != CELLS or not 0 <= dct < 2**64:
            raise FramesDataError("image fingerprint: wrong luma/detail/dct size")
        return cls(width, height, exact, dct, luma, detail)


def _open(path: str | Path) -> Image.Image:
    img = Image.open(path)
    # honour EXIF orientation so rectangles match what viewers show
    return ImageOps.exif_transpose(img)


def fingerprint_image(path: str | Path) -> ImageFingerprint:
    """Fingerprint a still image file."""
    img = _open(path)
    img.load()
    h = blake3.blake3(f"{img.mode}:{img.width}x{img.height}:".encode())
    h.update(img.tobytes())
    gray = img.convert("L").resize((ANALYSIS_SIZE, ANALYSIS_SIZE), Image.Resampling.BOX)
    dct, luma, detail = compute_features(np.asarray(gray, dtype=np.uint8))
    return ImageFingerprint(img.width, img.height, h.hexdigest(length=16), dct, luma, detail)


def _changed_regions(signed: ImageFingerprint, checked: ImageFingerprint) -> list[Rect]:
    if signed.exact == checked.exact:
        return []

    def arr(b: bytes) -> np.ndarray[Any, np.dtype[np.uint8]]:
        return np.frombuffer(b, dtype=np.uint8)[None, :]

    score, global_change = compare.cell_scores(
        arr(signed.luma), arr(signed.detail), arr(checked.luma), arr(checked.detail)
    )
    score = compare._spatial_support(score * IMAGE_SENSITIVITY)[0]
    rects = compare._cells_to_rects(score, checked.width, checked.height)
    ham = bin(signed.dct ^ checked.dct).count("1")
    if not rects and (ham > compare.DCT_HAMMING_THRESHOLD or bool(global_change[0])):
        return [(0, 0, checked.width, checked.height)]
    return rects


def compare_image(signed: ImageFingerprint, checked_path: str | Path) -> list[Rect]:
    """Changed regions [x, y, w, h] (checked image pixels); empty if visually unchanged."""
    return _changed_regions(signed, fingerprint_image(checked_path))


# --- sequences ---------------------------------------------------------------------------------


@dataclass
class SequenceFingerprint:
    """Fingerprints of every image file in a folder, by file name."""

    files: dict[str, ImageFingerprint]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SEQUENCE_VERSION,
            "files": [{"name": n, **fp.to_dict()} for n, fp in sorted(self.files.items())],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SequenceFingerprint:
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
