"""Attach C2PA content credentials to a photo, video or audio file, or to a folder of
frames signed as one unit."""

from __future__ import annotations

from pathlib import Path

from . import _fingerprints, _sequence, _write
from ._vocab import Progress
from .identity import Identity
from .models import SignResult

__all__ = ["sign"]


def sign(
    input: Path | str,
    output: Path | str | None = None,
    *,
    identity: Identity,
    title: str | None = None,
    author: str | None = None,
    action: str = "created",
    source_type: str | None = None,
    parent: Path | str | None = None,
    tsa_url: str | None = None,
    sidecar: bool = False,
    force: bool = False,
    fingerprints: bool = True,
    progress: Progress | None = None,
) -> SignResult:
    """Sign `input` into `output` (or, with `sidecar`, into a `.c2pa` manifest store).

    The input is never modified. The output appears atomically, complete or not at
    all; an existing output is replaced only with `force`. A folder is signed as an image
    sequence, into `FOLDER.c2pa` beside it.

    action: "created" (default) records a new asset with its digital source type; any
        other action (edited, cropped, ...) records the parent (`parent`, else the input
        itself, with its own manifest if it has one) as the parent ingredient.
    fingerprints: sign frame fingerprints into video and a regional fingerprint into
        images, so `verify` can say which frames and regions changed.
    """
    src = Path(input)
    if src.is_dir():
        return _sequence.sign_sequence(
            src,
            Path(output) if output is not None else None,
            identity=identity,
            title=title,
            source_type=source_type,
            force=force,
            progress=progress,
        )
    plan = _write.plan(
        src,
        Path(output) if output is not None else None,
        identity=identity,
        title=title,
        author=author,
        action=action,
        source_type=source_type,
        parent=Path(parent) if parent is not None else None,
        tsa_url=tsa_url,
        sidecar=sidecar,
        force=force,
    )
    extra, frames_signed = (
        _fingerprints.assertions_for(src, plan.media, progress) if fingerprints else ([], None)
    )
    manifest = _write.sign(plan, extra)
    return SignResult(
        input=str(src),
        output=str(plan.output),
        format=plan.media.mime,
        manifest_bytes=len(manifest),
        sidecar=sidecar,
        frames_signed=frames_signed,
    )
