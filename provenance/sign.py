"""Attach C2PA content credentials to a photo, video or audio file, or to a folder of
frames signed as one unit."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from . import _fingerprints, _sequence, _still, _write
from ._capture_plan import plan_capture, redactions
from ._vocab import CAPTURE_SOURCE_TYPES, Progress, short_source_type
from .errors import UsageError
from .identity import Creator, Identity
from .models import Redaction, SignResult

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
    creator: Creator | None = None,
    capture: bool | None = None,
    redact: Iterable[Redaction | str] = (),
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
        "opened" (re-signing without an edit) records no source type: `source_type` is
        then left out, and the result's `source_type` is None.
    fingerprints: sign frame fingerprints into video and a regional fingerprint into
        images, so `verify` can say which frames and regions changed.
    creator: a named actor (`Creator`: an identity and its roles) whose CAWG identity
        assertion joins the manifest, signed with their own key; `identity` still signs
        the claim.
    capture: record the input's capture metadata (camera, lens, capture time, exposure,
        position) in a `c2pa.metadata` assertion. None: only for a created asset whose
        source type is digitalCapture or computationalCapture.
    redact: capture-metadata groups ("location", "device", "time") to withhold: left out
        of the manifest, which records that they were withheld, and stripped from the
        output's own metadata (EXIF, XMP, IPTC, container tags) before it is signed.
        JPEG, PNG and MP4/MOV files can be stripped; other formats that carry such
        metadata are refused. A sidecar leaves the file as it is, so it cannot redact.
    """
    src = Path(input)
    out = Path(output) if isinstance(output, str | Path) else output
    groups = redactions(redact)
    if src.is_dir():
        if capture or groups:
            raise UsageError("capture metadata and redaction apply to single files, not folders")
        return _sequence.sign_sequence(
            src,
            out,
            identity=identity,
            title=title,
            action=action,
            source_type=source_type,
            force=force,
            creator=creator,
            progress=progress,
        )
    # A photo decodes on another core while the signing is planned (`_still.prefetch`).
    with _still.prefetched(src):
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
            creator=creator,
        )
        if capture is None:
            capture = (
                plan.action == "c2pa.created"
                and plan.source_type is not None
                and (short_source_type(plan.source_type) in CAPTURE_SOURCE_TYPES)
            )
        with tempfile.TemporaryDirectory(prefix="provenance-sign-") as work:
            # What is signed is a copy without the withheld metadata (the input when there
            # was nothing to strip): the signature covers the stripped bytes.
            cap = plan_capture(src, plan.media, record=capture, redact=groups, workdir=Path(work))
            if cap.source != src and sidecar:
                raise UsageError(
                    f"{src}: a sidecar leaves the file as it is, so its "
                    f"{', '.join(r.value for r in cap.redacted)} metadata cannot be stripped; "
                    "sign into a new file (-o) to redact"
                )
            plan = replace(plan, source=cap.source, extra_actions=cap.actions)
            extra, frames_signed, thumbnail = _pictures(plan, fingerprints, progress)
            manifest = _write.sign(plan, [*cap.assertions, *extra], thumbnail)
        result = plan.result(src, plan.media.mime, manifest, frames_signed)
        return replace(result, capture=cap.facts, redacted=cap.redacted)


def _pictures(
    plan: _write.Plan, fingerprints: bool, progress: Progress | None
) -> tuple[list[dict[str, Any]], int | None, bytes | None]:
    """The fingerprint assertions, how many frames they cover, and the thumbnail. A
    still is decoded once, at reduced scale, for both (and freed before signing); the
    thumbnail is encoded on another core while the fingerprints are computed."""
    if fingerprints:
        _fingerprints.load_parts(plan.media)  # while a prefetched still decodes
    still = _still.load(plan.source) if plan.media.kind == "image" else None
    thumbnail = _still.worker().submit(_still.thumbnail, still) if still is not None else None
    extra, frames_signed = (
        _fingerprints.assertions_for(plan.source, plan.media, progress, still)
        if fingerprints
        else ([], None)
    )
    return extra, frames_signed, thumbnail.result() if thumbnail is not None else None
