"""Our own signed assertions (frame and region fingerprints): written by the sign
pipeline, read back by the localization step of the read pipeline, drawn for people.
The bridge between sign/verify and `provenance.frames`, which loads (with NumPy and
PyAV) only when pixels are about to be decoded.

The fingerprints sit inside the signed claim, so they stay trustworthy after the file's
hard binding breaks: exactly when they are needed to say what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ._atomic import output_error
from ._limits import fingerprints_within_limit, pixels_within_limit
from ._manifest import assertion_data
from ._media import MediaType
from ._read import Asset
from ._rules import soft_binding_outcome
from ._still import Still
from ._vocab import FRAMES_LABEL, REGIONS_LABEL, SOFT_BINDING_LABEL, Progress
from .errors import SoftBindingError
from .models import FrameReport, Geometry, SourceKind, Verdict, VerificationReport

__all__ = [
    "Snapshot",
    "assertions_for",
    "load_parts",
    "localize",
    "snapshots",
    "write_visual_report",
]

_log = logging.getLogger("provenance")


def load_parts(media: MediaType) -> None:
    """Import what fingerprinting `media` needs (NumPy above all), so that the import
    overlaps the decode of a prefetched picture (`_still.prefetch`)."""
    if media.kind == "image" and media.mime != "image/svg+xml":
        from ._registry import compute  # noqa: F401
        from .frames import image  # noqa: F401


def assertions_for(
    path: Path, media: MediaType, progress: Progress | None, still: Still | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """The fingerprint assertions for `path`, and how many video frames they cover.
    `still`: the image as already decoded for its thumbnail, if it was."""
    if not pixels_within_limit(path, media.kind):
        return [], None  # a decompression bomb: never decode it
    try:
        if media.kind == "video":
            from . import frames  # PyAV and NumPy load only when fingerprinting video
            from ._registry import compute

            blocks = compute.VideoBinding()
            fp = frames.fingerprint_video(path, progress=progress, on_frame=blocks.add)
            binding = blocks.finish(round(fp.duration * 1000))
            return [frames.assertion.assertion(fp), binding.assertion()], fp.frame_count
        if media.kind == "image" and media.mime != "image/svg+xml":
            from ._registry import compute
            from .frames import image  # NumPy, never PyAV, for a still

            fingerprint = image.fingerprint_image(still or path)
            binding = compute.image_binding(still or path, fingerprint)
            data = fingerprint.to_dict()
            return [{"label": REGIONS_LABEL, "data": data}, binding.assertion()], None
    except Exception as e:  # noqa: BLE001 - decoders raise anything on hostile input
        # Fingerprints add localization; the C2PA signature does not depend on them.
        _log.warning("%s: signed without frame/region fingerprints (%s)", path, e)
    return [], None


def check_soft_binding(report: VerificationReport, manifest: dict[str, Any]) -> VerificationReport:
    """A manifest that carries our soft binding must agree with the frame or region table
    signed beside it (a registry finds originals by it); one that does not is invalid.
    Only a manifest that holds is checked: an invalid one says enough already."""
    data = assertion_data(manifest, SOFT_BINDING_LABEL)
    if data is None or not (report.verdict.verified or report.verdict is Verdict.TAMPERED):
        return report
    if not fingerprints_within_limit(manifest):
        return report  # a table this large is not decoded (localize says the same)
    from ._registry.manifest import binding_of
    from ._registry.softbinding import ALGS

    if data.get("alg") not in ALGS:
        return report  # another algorithm (a watermark): not ours to check
    try:
        binding_of(manifest)
    except SoftBindingError as e:
        verdict, message = soft_binding_outcome(str(e))
        return replace(report, verdict=verdict, message=message)
    return report


def localize(
    report: VerificationReport,
    asset: Asset,
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
    path, media = asset.path, asset.media
    if not (pixels_within_limit(path, media.kind) and fingerprints_within_limit(manifest)):
        return report  # decoding this would cost more than a hostile file deserves
    from . import frames

    video = assertion_data(manifest, FRAMES_LABEL)
    still = assertion_data(manifest, REGIONS_LABEL)
    try:
        if video is not None and media.kind == "video":
            signed = frames.assertion.decode(video)
            geometry = _geometry(report, path, manifest)
            result = frames.compare_video(signed, path, progress=progress, geometry=geometry)
            # a registry's find keeps its words: that the original was found is the news
            lead = report.message if report.manifest_source is SourceKind.REGISTRY else None
            return replace(report, frames=result, message=_frames_message(result, lead))
        if still is not None and media.kind == "image":
            fp = frames.ImageFingerprint.from_dict(still)
            geometry = _geometry(report, path, manifest)
            regions = tuple(frames.compare_image(fp, path, geometry=geometry))
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


def _geometry(report: VerificationReport, path: Path, manifest: dict[str, Any]) -> Geometry | None:
    """Where the signed picture lies in a stripped copy (rescaled, cropped, with bars), so
    that its regions land on the copy's pixels: as the registry match found it, or found
    the same way against a reference's soft binding. None for a file judged by its own
    manifest, or one signed without our soft binding."""
    if report.lookup is not None and report.lookup.best is not None:
        return report.lookup.best.geometry
    data = assertion_data(manifest, SOFT_BINDING_LABEL)
    if report.manifest_source is not SourceKind.REFERENCE or data is None:
        return None
    from ._registry.lookup import geometry_of
    from ._registry.softbinding import ALG, SoftBinding

    if data.get("alg") != ALG:
        return None
    return geometry_of(SoftBinding.from_assertion_data(data), path)


def _frames_message(result: FrameReport, lead: str | None = None) -> str:
    s = result.summary
    if result.unchanged:
        what = "no visual change: every frame intact or re-encoded"
    else:
        parts = [f"{s[k]} {k}" for k in ("edited", "inserted", "missing") if s[k]]
        what = "frames changed: " + ", ".join(parts)
    return f"{lead or 'the asset was changed after it was signed'}; {what}"


def write_visual_report(reports: Iterable[VerificationReport], out_dir: Path | str) -> list[Path]:
    """Pictures of what changed, for a person, one folder per report that has something
    to show (`NNN-name/`, numbered in report order): for video a timeline strip per
    status and a thumbnail of each edited segment with its regions outlined; for a still,
    the image with its changed regions outlined; for a folder of frames, each changed file
    with its regions outlined and each added file framed. Returns the files written.
    Raises `OutputError` (naming the folder) when they cannot be written."""
    written: list[Path] = []
    for i, report in enumerate(reports):
        out = Path(out_dir) / f"{i:03d}-{Path(report.path).stem or 'report'}"
        try:
            written += _pictures(report, out)
        except OSError as e:
            raise output_error(Path(out_dir), e) from None
    return written


_CHANGED = (230, 40, 40)
_ADDED = (240, 160, 20)


def _pictures(report: VerificationReport, out: Path) -> list[Path]:
    if report.frames is not None:
        from . import frames

        what = _frames_message(report.frames)
        title = f"{Path(report.path).name}: {report.verdict.value}, {what}"
        return frames.write_visual_report(report.frames, report.path, out, title=title)
    if report.sequence is not None:
        folder, seq = Path(report.path), report.sequence
        changed = [_outline(folder / c.name, c.regions, _CHANGED, out) for c in seq.changed]
        return changed + [_outline(folder / name, None, _ADDED, out) for name in seq.added]
    if not report.regions:
        return []
    return [_outline(Path(report.path), list(report.regions), _CHANGED, out, "regions.png")]


def _outline(
    src: Path,
    regions: list[tuple[int, int, int, int]] | None,
    colour: tuple[int, int, int],
    out: Path,
    name: str | None = None,
) -> Path:
    """`src` with `regions` outlined (None: the whole picture framed), saved in `out` as
    `name` (default: `src`'s name as PNG)."""
    out.mkdir(parents=True, exist_ok=True)
    dst = out / (name or f"{src.stem}.png")
    _outlined_still(src, regions, colour).save(dst)
    return dst


def _outlined_still(
    src: Path, regions: list[tuple[int, int, int, int]] | None, colour: tuple[int, int, int]
) -> Any:
    from PIL import Image, ImageDraw

    with Image.open(src) as im:
        picture = im.convert("RGB")
    draw = ImageDraw.Draw(picture)
    width = max(2, picture.width // 200)
    for x, y, w, h in regions if regions is not None else [(0, 0, *picture.size)]:
        draw.rectangle((x, y, x + w - 1, y + h - 1), outline=colour, width=width)
    return picture


@dataclass(frozen=True)
class Snapshot:
    """A picture of the checked file with its changed regions outlined, for a viewer,
    drawn as `write_visual_report` draws them."""

    picture: Any  # a Pillow image (Pillow loads only to draw)
    regions: tuple[tuple[int, int, int, int], ...]  # in the file's own pixels
    segment: int | None = None  # for video: the index of its segment in `report.frames`
    frame: int | None = None  # for video: the checked frame shown


def snapshots(
    report: VerificationReport, path: Path, *, width: int = 960, limit: int = 24
) -> list[Snapshot]:
    """What changed, as pictures at most `width` pixels wide: for a tampered video one
    frame of each edited or inserted segment (at most `limit`), for a still the picture
    with its changed regions. `path` is the checked file (the report may name it
    otherwise)."""
    if report.frames is not None:
        from . import frames

        return [
            Snapshot(picture, tuple(regions), k, j)
            for k, j, regions, picture in frames.visual.snapshots(
                report.frames, path, width=width, limit=limit
            )
        ]
    if not report.regions:
        return []
    picture = _outlined_still(path, list(report.regions), _CHANGED)
    picture.thumbnail((width, width * 4))
    return [Snapshot(picture, report.regions)]
