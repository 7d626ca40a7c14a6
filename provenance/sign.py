"""Attach C2PA content credentials to a photo, video or audio file."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import c2pa
from PIL import Image

from . import _c2pa, _streams
from ._atomic import atomic_output, check_output
from ._manifest import HARD_BINDING_MISMATCH
from ._version import __version__
from .errors import InputError, SigningError, UnsupportedFormatError, UsageError
from .fingerprints import assertions_for
from .formats import MediaType, detect, open_regular
from .identity import Identity
from .models import SignResult

__all__ = ["sign", "ACTIONS", "SOURCE_TYPES", "CLAIM_GENERATOR"]

CLAIM_GENERATOR = "provenance-toolkit"

# c2pa action names accepted by --action (the "c2pa." prefix is optional).
ACTIONS = (
    "created", "edited", "opened", "placed", "cropped", "color_adjustments", "resized",
    "filtered", "drawing", "orientation", "transcoded", "converted", "repackaged",
    "published", "redacted", "removed", "translated", "watermarked", "unknown",
)  # fmt: skip
# IPTC digital source type vocabulary (https://cv.iptc.org/newscodes/digitalsourcetype/).
SOURCE_TYPES = (
    "digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print",
    "humanEdits", "algorithmicallyEnhanced", "digitalCreation", "dataDrivenMedia",
    "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia",
    "screenCapture", "virtualRecording", "composite", "compositeCapture", "compositeSynthetic",
)  # fmt: skip
_IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
_THUMBNAIL_EDGE = 512
# The library keeps two working copies of the asset while signing; past this size they
# spill to temporary files (in $TMPDIR) instead of memory.
_BACKING_STORE_MB = 64
# From this size on, BMFF media (MP4, MOV, ...) get the C2PA BMFF hash with a Merkle map:
# mdat hashed in 4 MiB chunks, all leaf hashes kept in the manifest (max proofs 0, so no
# Merkle uuid boxes are added to the file; 32 bytes of manifest per chunk). With the plain
# BMFF hash c2pa-rs reads mdat into memory 256 MiB at a time, so signing and verifying peak
# at about min(file size, 512 MiB) plus the rest; with the Merkle map both stay near 55 MiB
# at any size, and run faster (benchmarks/README.md). Smaller files keep the plain hash,
# which more validators accept (c2pa-ts 0.9.4 rejects Merkle-mapped MP4s).
_MERKLE_FROM_BYTES = 256 * 1024 * 1024
_MERKLE_CHUNK_KB = 4096

Progress = Callable[[int, int | None], None]


def _action_name(action: str) -> str:
    name = action.removeprefix("c2pa.")
    if name not in ACTIONS:
        raise UsageError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    return f"c2pa.{name}"


def _source_type_url(source_type: str) -> str:
    name = source_type.removeprefix(_IPTC)
    if name not in SOURCE_TYPES:
        raise UsageError(
            f"unknown digital source type {source_type!r}; choose one of {', '.join(SOURCE_TYPES)}"
        )
    return _IPTC + name


def _thumbnail(path: Path) -> bytes | None:
    """A small JPEG preview, made cheaply: JPEG draft mode decodes at 1/2..1/8 scale.
    Skipped for images too large to decode safely (decompression bombs)."""
    from ._limits import decodable, pillow_bomb_warnings_ignored

    try:
        with pillow_bomb_warnings_ignored(), Image.open(path) as im:
            im.draft("RGB", (_THUMBNAIL_EDGE, _THUMBNAIL_EDGE))
            if not decodable(im.size):
                return None
            im.thumbnail((_THUMBNAIL_EDGE, _THUMBNAIL_EDGE))
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "JPEG", quality=80)
            return buf.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # a preview is a nicety; the C2PA library judges the file itself


def _manifest(
    *,
    title: str,
    author: str | None,
    action: str,
    source_type: str | None,
    extra_assertions: list[dict[str, Any]],
) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    assertions: list[dict[str, Any]] = []
    if action == "c2pa.created":
        act: dict[str, Any] = {
            "action": action,
            "when": now,
            "softwareAgent": {"name": CLAIM_GENERATOR, "version": __version__},
            "digitalSourceType": _source_type_url(source_type or "digitalCapture"),
        }
        assertions.append({"label": "c2pa.actions", "data": {"actions": [act]}})
    if author:
        assertions.append(
            {
                "label": "stds.schema-org.CreativeWork",
                "data": {
                    "@context": "https://schema.org",
                    "@type": "CreativeWork",
                    "author": [{"@type": "Person", "name": author}],
                },
            }
        )
    return {
        "claim_generator_info": [{"name": CLAIM_GENERATOR, "version": __version__}],
        "title": title,
        "assertions": assertions + extra_assertions,
    }


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
    all; an existing output is replaced only with `force`.

    action: "created" (default) records a new asset with its digital source type; any
        other action (edited, cropped, ...) records the parent (`parent`, else the input
        itself, with its own manifest if it has one) as the parent ingredient.
    """
    src = Path(input)
    if src.is_dir():
        from .sequence import sign_sequence

        return sign_sequence(
            src,
            output,
            identity=identity,
            title=title,
            source_type=source_type,
            force=force,
            progress=progress,
        )
    media = detect(src)
    if media.kind == "manifest" or media.mime not in _builder_formats():
        raise UnsupportedFormatError(f"{src}: {media.mime} cannot carry C2PA credentials")
    act = _action_name(action)
    if act == "c2pa.created" and parent is not None:
        raise UsageError("a parent ingredient needs an editing action, not 'created'")
    if tsa_url is not None and not tsa_url.startswith(("http://", "https://")):
        raise UsageError(f"timestamp authority URL must be http(s): {tsa_url!r}")

    if sidecar:
        dst = Path(output) if output is not None else src.with_name(src.name + ".c2pa")
        if dst.suffix != ".c2pa":
            dst = dst.with_name(dst.name + ".c2pa")
    else:
        if output is None:
            raise UsageError("give an output path (-o), or use --sidecar")
        dst = Path(output)
    if dst.resolve() == src.resolve():
        raise UsageError("the output must differ from the input; the input is never modified")
    check_output(dst, force=force)

    extra, frames_signed = assertions_for(src, media, progress) if fingerprints else ([], None)
    definition = _manifest(
        title=title or (src.name if sidecar else dst.name),
        author=author,
        action=act,
        source_type=source_type,
        extra_assertions=extra,
    )
    thumb = _thumbnail(src) if media.kind == "image" else None
    if thumb:
        definition["thumbnail"] = {"format": "image/jpeg", "identifier": "thumbnail.jpg"}

    ctx = _c2pa.context(
        builder={"thumbnail": {"enabled": False}},
        core={
            "backing_store_memory_threshold_in_mb": _BACKING_STORE_MB,
            **(
                {"merkle_tree_chunk_size_in_kb": _MERKLE_CHUNK_KB, "merkle_tree_max_proofs": 0}
                if src.stat().st_size >= _MERKLE_FROM_BYTES
                else {}
            ),
        },
    )
    try:
        builder = c2pa.Builder(definition, context=ctx)
        if thumb:
            builder.add_resource("thumbnail.jpg", io.BytesIO(thumb))
        if act != "c2pa.created":
            _add_parent(builder, Path(parent) if parent is not None else src)
            action_def: dict[str, Any] = {"action": act}
            if source_type:
                action_def["digitalSourceType"] = _source_type_url(source_type)
            builder.add_action(action_def)
        if sidecar:
            builder.set_no_embed()
        signer = _signer(identity, tsa_url)
    except c2pa.C2paError as e:
        raise SigningError(f"cannot prepare the manifest: {_c2pa.error_text(e)}") from None

    with signer:
        if sidecar:
            manifest = _sign_to(builder, signer, media, src, None)
            _check_sidecar_binds(src, media, manifest)
            with atomic_output(dst, force=force) as out:
                out.write(manifest)
        else:
            with atomic_output(dst, force=force) as out:
                manifest = _sign_to(builder, signer, media, src, out)
    return SignResult(
        input=str(src),
        output=str(dst),
        format=media.mime,
        manifest_bytes=len(manifest),
        sidecar=sidecar,
        frames_signed=frames_signed,
    )


def _signer(identity: Identity, tsa_url: str | None) -> c2pa.Signer:
    alg = c2pa.C2paSigningAlg[identity.alg.upper()]
    return c2pa.Signer.from_callback(identity.sign, alg, identity.chain_pem, tsa_url)


def _builder_formats() -> frozenset[str]:
    return frozenset(c2pa.Builder.get_supported_mime_types())


def _add_parent(builder: c2pa.Builder, parent: Path) -> None:
    """Record `parent` (with its own manifest, if it has one) as the parent ingredient."""
    pmedia = detect(parent)
    with open(parent, "rb") as f:
        builder.add_ingredient({"title": parent.name, "relationship": "parentOf"}, pmedia.mime, f)
    # EDIT links the parent to an automatic c2pa.opened action, as C2PA requires.
    builder.set_intent(c2pa.C2paBuilderIntent.EDIT)


def _check_sidecar_binds(src: Path, media: MediaType, manifest: bytes) -> None:
    """For some formats (MP3, FLAC) the C2PA library hashes a rewritten copy of the
    asset even when told not to embed, so the sidecar would never match the untouched
    file. Refuse rather than hand out a manifest that can only fail."""
    with open(src, "rb") as f, c2pa.Reader(media.mime, f, manifest, context=_c2pa.context()) as r:
        failures = (r.get_validation_results() or {}).get("activeManifest", {}).get("failure")
    if any(str(x.get("code", "")) in HARD_BINDING_MISMATCH for x in failures or []):
        raise UnsupportedFormatError(
            f"{src}: the C2PA library cannot keep a sidecar manifest for {media.mime} files "
            "unchanged; sign it with the manifest embedded instead"
        )


def _sign_to(
    builder: c2pa.Builder,
    signer: c2pa.Signer,
    media: MediaType,
    src: Path,
    out: Any,
) -> bytes:
    def run(f: Any, dest: Any) -> bytes:
        # Descriptor streams let the library read and write the files itself instead of
        # calling back into Python for every 8 KiB (see provenance/_streams.py).
        if _streams.available():
            return _streams.sign_fds(builder, signer, media.mime, f.fileno(), dest)
        return bytes(builder.sign(signer, media.mime, f, dest))

    try:
        with open_regular(src) as f:
            if out is not None:
                return run(f, out)
            # A sidecar leaves the asset alone; the library still writes a copy, which
            # goes to a scratch file that is deleted at once.
            with tempfile.TemporaryFile() as scratch:
                return run(f, scratch)
    except OSError as e:
        raise InputError(f"{src}: cannot read ({e.strerror})") from None
    except c2pa.C2paError as e:
        raise SigningError(f"{src}: signing failed: {_c2pa.error_text(e)}") from None
