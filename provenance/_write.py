"""The write pipeline: the steps every signing runs, for a file or a folder of frames.

    plan -> build the manifest -> write atomically

1. `plan`: validate everything before any expensive work: the input (a format that can
   carry credentials), the output path (writable, not the input, not in the way), the
   action and source type, the timestamp authority URL, the identity's certificate.
2. `build`: the manifest definition (claim generator, title, actions with the digital
   source type, author, our extra assertions, a thumbnail) and the parent ingredient.
3. `write`: the C2PA library signs, streaming the asset into a temporary file that is
   renamed into place (or, for a sidecar, writing only the manifest store). An MP4, MOV
   or M4A is copied once instead, its media data hashed on the way (`_single_pass`).

`sign` runs them for a file (its extra assertions are the frame or region fingerprints),
`_sequence` for a folder of frames (one extra assertion listing every file). Another way
of writing (single-pass video signing) is another `write`, not a copy of the rest.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import c2pa
from PIL import Image

from . import _bmff, _c2pa, _single_pass, _streams
from ._atomic import atomic_output, check_output
from ._limits import decodable, pillow_bomb_warnings_ignored
from ._media import MediaType, detect, open_regular
from ._rules import HARD_BINDING_MISMATCH
from ._version import __version__
from ._vocab import (
    ACTIONS,
    ACTIONS_LABEL,
    CLAIM_GENERATOR,
    SOURCE_TYPES,
    action_name,
    source_type_url,
)
from .errors import (
    CredentialError,
    InputError,
    SigningError,
    UnsupportedFormatError,
    UsageError,
)
from .identity import Identity

__all__ = [
    "THUMBNAIL_EDGE",
    "Plan",
    "build",
    "plan",
    "sign",
    "thumbnail",
    "write",
]

_log = logging.getLogger("provenance")

THUMBNAIL_EDGE = 512
# The library keeps two working copies of the asset while signing; past this size they
# spill to temporary files (in $TMPDIR) instead of memory.
_BACKING_STORE_MB = 64
# When the library signs BMFF media (MP4, MOV, ...) itself, a file with one mdat gets a
# BMFF hash with a Merkle map: mdat hashed in 4 MiB chunks, all leaf hashes kept in the
# manifest (max proofs 0: no Merkle uuid boxes added to the file). With the plain hash
# c2pa-rs reads each mdat into memory, 256 MiB at a time, and signing and verifying peak
# at about min(file size, 512 MiB); with the map both stay flat (benchmarks/README.md).
# A fragmented file keeps the plain hash: c2pa-rs 0.91 writes a Merkle map for it that
# it then rejects, and its mdats are one fragment each, so memory stays flat anyway.
# Single-pass signing, the usual path, always writes a Merkle map of its own.
_MERKLE = {"merkle_tree_chunk_size_in_kb": 4096, "merkle_tree_max_proofs": 0}


# -------------------------------------------------------------------------------- 1. plan


@dataclass(frozen=True)
class Plan:
    """One signing, validated: what is signed, into where, claiming what, by whom."""

    source: Path  # the file whose bytes the manifest binds (for a sequence: its anchor)
    media: MediaType
    output: Path
    sidecar: bool  # write only the manifest store; leave the asset alone
    force: bool
    identity: Identity
    title: str
    author: str | None
    action: str  # full C2PA action name
    source_type: str | None  # IPTC digital source type URL
    parent: Path | None  # the original an edit was made from (None: the input itself)
    tsa_url: str | None


def plan(
    source: Path,
    output: Path | None,
    *,
    identity: Identity,
    title: str | None = None,
    author: str | None = None,
    action: str = "created",
    source_type: str | None = None,
    parent: Path | None = None,
    tsa_url: str | None = None,
    sidecar: bool = False,
    force: bool = False,
) -> Plan:
    """Validate a signing request; raises `ProvenanceError` before any expensive work."""
    media = detect(source)
    if media.kind == "manifest" or media.mime not in _builder_formats():
        raise UnsupportedFormatError(f"{source}: {media.mime} cannot carry C2PA credentials")
    act = action_name(action)
    if act is None:
        raise UsageError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    if act == "c2pa.created" and parent is not None:
        raise UsageError("a parent ingredient needs an editing action, not 'created'")
    url = None
    if source_type is not None:
        url = source_type_url(source_type)
        if url is None:
            raise UsageError(
                f"unknown digital source type {source_type!r}; "
                f"choose one of {', '.join(SOURCE_TYPES)}"
            )
    if tsa_url is not None and not tsa_url.startswith(("http://", "https://")):
        raise UsageError(f"timestamp authority URL must be http(s): {tsa_url!r}")
    _check_identity(identity)

    if sidecar:
        dst = output if output is not None else source.with_name(source.name + ".c2pa")
        if dst.suffix != ".c2pa":
            dst = dst.with_name(dst.name + ".c2pa")
    elif output is None:
        raise UsageError("give an output path (-o), or use --sidecar")
    else:
        dst = output
    if dst.resolve() == source.resolve():
        raise UsageError("the output must differ from the input; the input is never modified")
    check_output(dst, force=force)
    return Plan(
        source=source,
        media=media,
        output=dst,
        sidecar=sidecar,
        force=force,
        identity=identity,
        title=title or (source.name if sidecar else dst.name),
        author=author,
        action=act,
        source_type=url,
        parent=parent,
        tsa_url=tsa_url,
    )


def _check_identity(identity: Identity) -> None:
    """The C2PA library refuses a certificate outside its validity period, but only after
    the work; say so first."""
    cert = identity.certificate
    now = dt.datetime.now(dt.UTC)
    if now < cert.not_valid_before_utc:
        raise CredentialError(
            f"the signer's certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
        )
    if now > cert.not_valid_after_utc:
        raise CredentialError(
            f"the signer's certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}"
        )


def _builder_formats() -> frozenset[str]:
    return frozenset(c2pa.Builder.get_supported_mime_types())


# ------------------------------------------------------------------------------- 2. build


def _definition(p: Plan, assertions: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest definition the C2PA library builds the claim from."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    own: list[dict[str, Any]] = []
    if p.action == "c2pa.created":
        act: dict[str, Any] = {
            "action": p.action,
            "when": now,
            "softwareAgent": {"name": CLAIM_GENERATOR, "version": __version__},
            "digitalSourceType": p.source_type or source_type_url("digitalCapture"),
        }
        own.append({"label": ACTIONS_LABEL, "data": {"actions": [act]}})
    if p.author:
        own.append(
            {
                "label": "stds.schema-org.CreativeWork",
                "data": {
                    "@context": "https://schema.org",
                    "@type": "CreativeWork",
                    "author": [{"@type": "Person", "name": p.author}],
                },
            }
        )
    return {
        "claim_generator_info": [{"name": CLAIM_GENERATOR, "version": __version__}],
        "title": p.title,
        "assertions": own + assertions,
    }


def thumbnail(path: Path) -> bytes | None:
    """A small JPEG preview, made cheaply: JPEG draft mode decodes at 1/2..1/8 scale.
    Skipped for images too large to decode safely (decompression bombs)."""
    try:
        with pillow_bomb_warnings_ignored(), Image.open(path) as im:
            im.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))
            if not decodable(im.size):
                return None
            im.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "JPEG", quality=80)
            return buf.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # a preview is a nicety; the C2PA library judges the file itself


def build(p: Plan, assertions: list[dict[str, Any]]) -> c2pa.Builder:
    """The C2PA builder for the plan, with our `assertions` added to the claim."""
    definition = _definition(p, assertions)
    thumb = thumbnail(p.source) if p.media.kind == "image" else None
    if thumb:
        definition["thumbnail"] = {"format": "image/jpeg", "identifier": "thumbnail.jpg"}
    ctx = _c2pa.context(
        builder={"thumbnail": {"enabled": False}},
        core={
            "backing_store_memory_threshold_in_mb": _BACKING_STORE_MB,
            **(_MERKLE if _one_mdat(p) else {}),
        },
    )
    try:
        builder = c2pa.Builder(definition, context=ctx)
        if thumb:
            builder.add_resource("thumbnail.jpg", io.BytesIO(thumb))
        if p.action != "c2pa.created":
            _add_parent(builder, p.parent or p.source)
            action_def: dict[str, Any] = {"action": p.action}
            if p.source_type:
                action_def["digitalSourceType"] = p.source_type
            builder.add_action(action_def)
        if p.sidecar:
            builder.set_no_embed()
    except c2pa.C2paError as e:
        raise SigningError(f"cannot prepare the manifest: {_c2pa.error_text(e)}") from None
    return builder


def _one_mdat(p: Plan) -> bool:
    """Whether the asset is an unfragmented ISO BMFF file with exactly one mdat box."""
    if p.media.mime not in _single_pass.BMFF_MIMES:
        return False
    try:
        with open_regular(p.source) as f:
            kinds = [b.kind for b in _bmff.top_level(f)]
    except (OSError, _bmff.LayoutError):
        return False  # the library will say what is wrong with it
    return kinds.count(b"mdat") == 1 and b"moof" not in kinds


def _add_parent(builder: c2pa.Builder, parent: Path) -> None:
    """Record `parent` (with its own manifest, if it has one) as the parent ingredient."""
    pmedia = detect(parent)
    with open_regular(parent) as f:
        builder.add_ingredient({"title": parent.name, "relationship": "parentOf"}, pmedia.mime, f)
    # EDIT links the parent to an automatic c2pa.opened action, as C2PA requires.
    builder.set_intent(c2pa.C2paBuilderIntent.EDIT)


# ------------------------------------------------------------------------------- 3. write


def write(p: Plan, builder: c2pa.Builder) -> bytes:
    """Sign, and write the signed asset (or the sidecar store) atomically; returns the
    manifest store's bytes. An MP4, MOV or M4A is signed in one pass where it can be;
    otherwise (or when that is refused) by the library, with `builder`."""
    if not p.sidecar and _single_pass.applies(p.media.mime):
        try:
            return _write_single_pass(p, builder)
        except _single_pass.NotApplicable as e:
            _log.debug("%s: signed by the C2PA library itself: %s", p.source, e)
    with _signer(p) as signer:
        if p.sidecar:
            manifest = _sign_to(builder, signer, p, None)
            _check_sidecar_binds(p, manifest)
            with atomic_output(p.output, force=p.force) as out:
                out.write(manifest)
        else:
            with atomic_output(p.output, force=p.force) as out:
                manifest = _sign_to(builder, signer, p, out)
    return manifest


def _signer(p: Plan) -> c2pa.Signer:
    try:
        return c2pa.Signer.from_callback(
            p.identity.sign,
            c2pa.C2paSigningAlg[p.identity.alg.upper()],
            p.identity.chain_pem,
            p.tsa_url,
        )
    except c2pa.C2paError as e:
        raise SigningError(f"cannot prepare the signer: {_c2pa.error_text(e)}") from None


def _write_single_pass(p: Plan, builder: c2pa.Builder) -> bytes:
    """Copy the asset into place once, hashing it on the way (`_single_pass`). The signer
    must sit in the builder's context there, so a copy of `builder` (through an archive of
    its definition, ingredients and resources) signs, and `builder` itself stays unused
    for the library's own path, should this one raise `NotApplicable` (before the output
    appears)."""
    archive = io.BytesIO()
    try:
        builder.to_archive(archive)
        archive.seek(0)
        context = _c2pa.signing_context(_signer(p), builder={"thumbnail": {"enabled": False}})
        one_pass = c2pa.Builder({}, context=context).with_archive(archive)
    except c2pa.C2paError as e:
        raise SigningError(f"cannot prepare the manifest: {_c2pa.error_text(e)}") from None
    try:
        with open_regular(p.source) as f, atomic_output(p.output, force=p.force) as out:
            return _single_pass.sign_bmff(one_pass, p.media.mime, f, out)
    except OSError as e:
        raise InputError(f"{p.source}: cannot read ({e.strerror})") from None
    except c2pa.C2paError as e:
        raise SigningError(f"{p.source}: signing failed: {_c2pa.error_text(e)}") from None


def sign(p: Plan, assertions: list[dict[str, Any]]) -> bytes:
    """Build the manifest and write it: the last two steps in one."""
    return write(p, build(p, assertions))


def _sign_to(
    builder: c2pa.Builder, signer: c2pa.Signer, p: Plan, out: IO[bytes] | None
) -> bytes:
    def run(f: IO[bytes], dest: IO[bytes]) -> bytes:
        # Descriptor streams let the library read and write the files itself instead of
        # calling back into Python for every 8 KiB (see provenance/_streams.py).
        if _streams.available():
            return _streams.sign_fds(builder, signer, p.media.mime, f.fileno(), dest)
        return bytes(builder.sign(signer, p.media.mime, f, dest))

    try:
        with open_regular(p.source) as f:
            if out is not None:
                return run(f, out)
            # A sidecar leaves the asset alone; the library still writes a copy, which
            # goes to a scratch file that is deleted at once.
            with tempfile.TemporaryFile() as scratch:
                return run(f, scratch)
    except OSError as e:
        raise InputError(f"{p.source}: cannot read ({e.strerror})") from None
    except c2pa.C2paError as e:
        raise SigningError(f"{p.source}: signing failed: {_c2pa.error_text(e)}") from None


def _check_sidecar_binds(p: Plan, manifest: bytes) -> None:
    """For some formats (MP3, FLAC) the C2PA library hashes a rewritten copy of the
    asset even when told not to embed, so the sidecar would never match the untouched
    file. Refuse rather than hand out a manifest that can only fail."""
    with (
        open_regular(p.source) as f,
        c2pa.Reader(p.media.mime, f, manifest, context=_c2pa.context()) as r,
    ):
        failures = (r.get_validation_results() or {}).get("activeManifest", {}).get("failure")
    if any(str(x.get("code", "")) in HARD_BINDING_MISMATCH for x in failures or []):
        raise UnsupportedFormatError(
            f"{p.source}: the C2PA library cannot keep a sidecar manifest for "
            f"{p.media.mime} files unchanged; sign it with the manifest embedded instead"
        )
