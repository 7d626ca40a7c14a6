"""Our own signed assertions (frame and region fingerprints) and the localization that
reads them back: the bridge between sign/verify and `provenance.frames`.

The fingerprints sit inside the signed claim, so they stay trustworthy after the file's
hard binding breaks: exactly when they are needed to say what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._limits import fingerprints_within_limit, pixels_within_limit
from .formats import MediaType
from .models import Verdict, VerificationReport

if TYPE_CHECKING:
    from .frames import FrameReport

__all__ = [
    "FRAMES_LABEL",
    "REGIONS_LABEL",
    "assertions_for",
    "localize",
    "write_visual_report",
]

log = logging.getLogger("provenance")

FRAMES_LABEL = "org.provenance.frames"
REGIONS_LABEL = "org.provenance.regions"

Progress = Callable[[int, int | None], None]


def assertions_for(
    path: Path, media: MediaType, progress: Progress | None
) -> tuple[list[dict[str, Any]], int | None]:
    """The fingerprint assertions for `path`, and how many video frames they cover."""
    from . import frames  # PyAV and NumPy load only when fingerprinting

    if not pixels_within_limit(path, media.kind):
        return [], None  # a decompression bomb: never decode it
    try:
        if media.kind == "video":
            fp = frames.fingerprint_video(path, progress=progress)
            return [frames.assertion.assertion(fp)], fp.frame_count
        if media.kind == "image" and media.mime != "image/svg+xml":
            data = frames.fingerprint_image(path).to_dict()
            return [{"label": REGIONS_LABEL, "data": data}], None
    except Exception as e:  # noqa: BLE001 - decoders raise anything on hostile input
        # Fingerprints add localization; the C2PA signature does not depend on them.
        log.warning("%s: signed without frame/region fingerprints (%s)", path, e)
    return [], None


def _assertion(manifest: dict[str, Any], label: str) -> dict[str, Any] | None:
    for a in manifest.get("assertions") or []:
        if a.get("label") == label and isinstance(a.get("data"), dict):
            data: dict[str, Any] = a["data"]
            return data
    return None


def localize(
    report: VerificationReport,
    path: Path,
    media: MediaType,
    manifest: dict[str, Any],
    progress: Progress | None,
) -> VerificationReport:
    """Add which frames and regions changed, when the signed manifest carries our
    fingerprints and the file no longer matches its hard binding.

    Only a `tampered` report qualifies: its claim signature and assertion hashes held,
    so the fingerprints are as signed. An intact file needs no decoding: its bytes, and
    so its frames, are the signed ones.
    """
    if report.verdict is not Verdict.TAMPERED:
        return report
    if not (pixels_within_limit(path, media.kind) and fingerprints_within_limit(manifest)):
        return report  # decoding this would cost more than a hostile file deserves
    from . import frames

    video = _assertion(manifest, FRAMES_LABEL)
    still = _assertion(manifest, REGIONS_LABEL)
    try:
        if video is not None and media.kind == "video":
            signed = frames.assertion.decode(video)
            result = frames.compare_video(signed, path, progress=progress)
            return replace(report, frames=result.to_dict(), message=_frames_message(result))
        if still is not None and media.kind == "image":
            fp = frames.ImageFingerprint.from_dict(still)
            regions = tuple(frames.compare_image(fp, path))
            what = (
                f"{len(regions)} changed region(s) located"
                if regions
                else "no visible change located (metadata or encoding changed)"
            )
            return replace(report, regions=regions, message=f"{report.message}; {what}")
    except frames.FramesDataError as e:
        # Signed as they are, so the C2PA verdict stands; only localization is lost.
        return replace(report, message=f"{report.message}; signed fingerprints unusable ({e})")
    except Exception as e:  # noqa: BLE001 - decoders raise anything on hostile input
        # The verdict stands; say in the report why no frames or regions are named.
        return replace(report, message=f"{report.message}; changes not localized ({e})")
    return report


def _frames_message(result: FrameReport) -> str:
    s = result.summary
    if result.unchanged:
        what = "no visual change: every frame intact or re-encoded"
    else:
        parts = [f"{s[k]} {k}" for k in ("edited", "inserted", "missing") if s[k]]
        what = "frames changed: " + ", ".join(parts)
    return f"the asset was changed after it was signed; {what}"


def write_visual_report(report: VerificationReport, out_dir: Path | str) -> list[Path]:
    """Pictures of what changed, for a person: for video a timeline strip per status and
    a thumbnail of each edited segment with its regions outlined; for a still, the image
    with its changed regions outlined. Returns the files written (none if nothing to show)."""
    from PIL import Image, ImageDraw

    from . import frames

    out = Path(out_dir)
    if report.frames is not None:
        result = frames.FrameReport.from_dict(report.frames)
        title = f"{Path(report.path).name}: {report.verdict.value}, {_frames_message(result)}"
        return frames.write_visual_report(result, report.path, out, title=title)
    if not report.regions:
        return []
    out.mkdir(parents=True, exist_ok=True)
    with Image.open(report.path) as im:
        picture = im.convert("RGB")
    draw = ImageDraw.Draw(picture)
    for x, y, w, h in report.regions:
        draw.rectangle(
            (x, y, x + w - 1, y + h - 1), outline=(230, 40, 40), width=max(2, picture.width // 200)
        )
    path = out / "regions.png"
    picture.save(path)
    return [path]
