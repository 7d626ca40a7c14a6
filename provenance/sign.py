"""Attach C2PA content credentials to a photo, video or audio file, or to a folder of
frames signed as one unit."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from . import _fingerprints, _sequence, _write
from ._vocab import Progress
from .identity import Identity
from .models import SignResult

__all__ = ["sign"]


def sign(
    input: Path | str,
    output: Path | str | BinaryIO | None = None,
    *,
    identity: Identity,
    title: str | None = None,
    author: str | None = None,
    action: str | None = None,
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
    all; an existing output is replaced only with `force`, and only if it is a regular
    file. `output` may also be a binary stream (such as `sys.stdout.buffer`), which gets
    the signed bytes once signing succeeded. A folder is signed as an image sequence,
    into `FOLDER.c2pa` beside it.

    Signing never erases history. An input that already carries content credentials
    (embedded, or a sidecar beside it) becomes the parent ingredient with its manifest,
    even when they do not validate (the result's `parent` says what they showed), and
    the new manifest records an edit, never a creation.

    action: "created" records a new asset, and then `source_type` (its IPTC digital
        source type: how it was made) is required; any other action (opened, edited,
        cropped, ...) records an edit of the parent (`parent`, else the input itself).
        None: "opened" for an input that carries credentials, else "created".
    fingerprints: sign frame fingerprints into video and a regional fingerprint into
        images, so `verify` can say which frames and regions changed.
    """
    src = Path(input)
    out = Path(output) if isinstance(output, str | Path) else output
    if src.is_dir():
        return _sequence.sign_sequence(
            src,
            out,
            identity=identity,
            title=title,
            action=action,
            source_type=source_type,
            force=force,
            progress=progress,
        )
    plan = _write.plan(
        src,
        out,
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
    return plan.result(src, plan.media.mime, _write.sign(plan, extra), frames_signed)
