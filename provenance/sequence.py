"""Image sequences: a folder of frames (as face-swap pipelines and
`ffmpeg -i in.mp4 frames-%05d.png` produce) signed as one unit.

The manifest is a sidecar, `FOLDER.c2pa`, beside the folder. C2PA binds a manifest to one
asset, so its hard binding covers the first frame, and a signed assertion of ours
(`org.provenance.sequence`) lists every file with its exact hash and regional
fingerprint. Verification checks the signature, then every file: changed (with regions),
added and missing files all make the folder `tampered`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import c2pa

from . import _c2pa
from ._atomic import atomic_output, check_output
from .errors import InputError, ManifestError, SigningError
from .formats import detect
from .identity import Identity
from .models import SignResult, Verdict, VerificationReport
from .trust import Trust

__all__ = ["SEQUENCE_LABEL", "sequence_sidecar", "sign_sequence", "verify_sequence"]

SEQUENCE_LABEL = "org.provenance.sequence"
Progress = Callable[[int, int | None], None]


def sequence_sidecar(folder: Path) -> Path:
    return folder.with_name(folder.name + ".c2pa")


def _frames(folder: Path) -> list[Path]:
    from .frames.image import IMAGE_SUFFIXES

    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    return files


def sign_sequence(
    folder: Path | str,
    output: Path | str | None = None,
    *,
    identity: Identity,
    title: str | None = None,
    source_type: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> SignResult:
    """Sign every image in `folder` as one unit, into a sidecar manifest store."""
    from . import frames
    from .sign import _manifest, _signer

    folder = Path(folder)
    files = _frames(folder)
    if not files:
        raise InputError(f"{folder}: no image files to sign")
    dst = Path(output) if output is not None else sequence_sidecar(folder)
    check_output(dst, force=force)
    anchor = files[0]
    media = detect(anchor)
    fp = frames.fingerprint_sequence(folder, progress=progress)
    definition = _manifest(
        title=title or folder.name,
        author=None,
        action="c2pa.created",
        source_type=source_type,
        extra_assertions=[
            {"label": SEQUENCE_LABEL, "data": {**fp.to_dict(), "anchor": anchor.name}}
        ],
    )
    try:
        builder = c2pa.Builder(definition, context=_c2pa.context())
        builder.set_no_embed()
        with _signer(identity, None) as signer, open(anchor, "rb") as f:
            manifest = bytes(builder.sign(signer, media.mime, f, io.BytesIO()))
    except c2pa.C2paError as e:
        raise SigningError(f"{folder}: signing failed: {_c2pa.error_text(e)}") from None
    with atomic_output(dst, force=force) as out:
        out.write(manifest)
    return SignResult(
        input=str(folder),
        output=str(dst),
        format="image-sequence",
        manifest_bytes=len(manifest),
        sidecar=True,
        frames_signed=len(fp.files),
    )


def verify_sequence(
    folder: Path | str,
    *,
    trust: Trust | Iterable[Path | str] | None = None,
    progress: Progress | None = None,
) -> VerificationReport:
    """Verify a folder signed with `sign_sequence` against its `FOLDER.c2pa` sidecar."""
    from . import frames
    from .verify import _read_manifest_file, _report_from_reader

    folder = Path(folder)
    trust = Trust.coerce(trust)
    sidecar = sequence_sidecar(folder)
    base: dict[str, Any] = {
        "path": str(folder),
        "format": "image-sequence",
        "trust_anchors_supplied": trust.supplied,
    }
    if not sidecar.is_file():
        return VerificationReport(
            **base,
            verdict=Verdict.UNSIGNED,
            message=f"no sequence manifest ({sidecar.name}) beside the folder",
        )
    manifest_bytes = _read_manifest_file(sidecar)
    present = _frames(folder)
    if not present:
        raise InputError(f"{folder}: no image files left to check")
    ctx = _c2pa.context(trust_anchors_pem=trust.anchors_pem, allowed_pem=trust.allowed_pem)
    # The hard binding is to the anchor frame; if it is gone, read against any frame:
    # the signature and the per-file fingerprints still hold.
    names = {p.name: p for p in present}
    try:
        anchor = present[0]
        for _ in range(2):
            with (
                open(anchor, "rb") as f,
                c2pa.Reader(detect(anchor).mime, f, manifest_bytes, context=ctx) as r,
            ):
                report, manifest = _report_from_reader(r, base, "sidecar", str(sidecar), trust)
            data = _sequence_data(manifest)
            if anchor.name == data.get("anchor") or data.get("anchor") not in names:
                break
            anchor = names[str(data["anchor"])]
    except c2pa.C2paError as e:
        raise ManifestError(f"{sidecar}: unusable manifest store ({_c2pa.error_text(e)})") from None
    if report.verdict not in (Verdict.VALID, Verdict.TRUSTED, Verdict.TAMPERED):
        return report
    result = frames.compare_sequence(
        frames.SequenceFingerprint.from_dict(data), folder, progress=progress
    )
    if result.ok:
        what = f"all {len(result.unchanged)} frame files match the signed sequence"
        return replace(report, sequence=result.to_dict(), message=f"{report.message}; {what}")
    parts = [
        f"{len(v)} {k}"
        for k, v in (
            ("changed", result.changed),
            ("added", result.added),
            ("missing", result.missing),
        )
        if v
    ]
    return replace(
        report,
        verdict=Verdict.TAMPERED,
        sequence=result.to_dict(),
        message="frame files changed since signing: " + ", ".join(parts),
    )


def _sequence_data(manifest: dict[str, Any]) -> dict[str, Any]:
    for a in manifest.get("assertions") or []:
        if a.get("label") == SEQUENCE_LABEL and isinstance(a.get("data"), dict):
            data: dict[str, Any] = a["data"]
            return data
    raise ManifestError("the manifest is not an image-sequence manifest")
