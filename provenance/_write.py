"""The write pipeline: the steps every signing runs, for a file or a folder of frames.

    plan -> build the manifest -> write atomically

1. `plan`: validate everything before any expensive work: the input (a format that can
   carry credentials, and any credentials it already carries), the output (writable, not
   the input, not in the way, a regular file if it exists), the action and source type,
   the timestamp authority URL, the identity's certificate.
2. `build`: the manifest definition (claim generator, title, actions with the digital
   source type, author, our extra assertions, a thumbnail) and the parent ingredient.
3. `write`: the C2PA library signs, streaming the asset into a temporary file that is
   renamed into place (or, for a sidecar, writing only the manifest store; or copying
   the result to a stream such as standard output).

Signing never launders provenance: an input that already carries content credentials
(embedded or beside it) becomes the parent ingredient, with its manifest and with what
validating it found, and the new manifest records an edit (`c2pa.opened` by default),
never a creation. A creation must say how the asset was made (its digital source type).

`sign` runs them for a file (its extra assertions are the frame or region fingerprints),
`_sequence` for a folder of frames (one extra assertion listing every file). Another way
of writing (single-pass video signing, say) is another `write`, not a copy of the rest.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

import c2pa
from PIL import Image

from . import _c2pa, _cawg, _read, _streams
from ._atomic import atomic_output, check_output, output_error, probe_output
from ._limits import decodable, pillow_bomb_warnings_ignored
from ._media import MediaType, detect, open_regular
from ._rules import HARD_BINDING_MISMATCH, blocking
from ._version import __version__
from ._vocab import (
    ACTIONS,
    ACTIONS_LABEL,
    CLAIM_GENERATOR,
    CREATIVE_WORK_LABEL,
    SOURCE_TYPES,
    action_name,
    source_type_url,
)
from .errors import (
    CredentialError,
    SigningError,
    UnsupportedFormatError,
    UsageError,
)
from .identity import Creator, Identity
from .models import ParentIngredient, SignResult, SourceKind, Verdict, VerificationReport
from .trust import Trust

__all__ = [
    "MERKLE_FROM_BYTES",
    "THUMBNAIL_EDGE",
    "Parent",
    "Plan",
    "build",
    "plan",
    "sign",
    "thumbnail",
    "write",
]

THUMBNAIL_EDGE = 512
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
MERKLE_FROM_BYTES = 256 * 1024 * 1024
_MERKLE_CHUNK_KB = 4096
# The resource name a parent's separate manifest store is handed to the library under.
_PARENT_STORE = "parent-manifest.c2pa"


# -------------------------------------------------------------------------------- 1. plan


@dataclass(frozen=True)
class Parent:
    """The parent ingredient of an edit: the file, and its own credentials as read now."""

    path: Path
    media: MediaType
    report: VerificationReport | None  # its credentials judged without anchors; None: none
    store: bytes | None = field(default=None, repr=False)  # a store kept apart from the file
    results: dict[str, Any] = field(default_factory=dict)  # what validating that store found

    def record(self) -> ParentIngredient:
        """What the signing says about its parent."""
        r = self.report
        if r is None:
            return ParentIngredient(str(self.path), None, Verdict.UNSIGNED, "no credentials")
        codes = blocking(f.code for f in r.failures)
        return ParentIngredient(str(self.path), r.manifest_label, r.verdict, r.message, codes)


@dataclass(frozen=True)
class Plan:
    """One signing, validated: what is signed, into where, claiming what, by whom."""

    source: Path  # the file whose bytes the manifest binds (for a sequence: its anchor)
    media: MediaType
    output: Path | None  # None: written to `stream`
    stream: BinaryIO | None  # where the signed bytes go when there is no output path
    sidecar: bool  # write only the manifest store; leave the asset alone
    force: bool
    identity: Identity
    title: str
    author: str | None
    action: str  # full C2PA action name
    source_type: str | None  # IPTC digital source type URL
    parent: Parent | None  # the parent ingredient of an edit (None for a creation)
    tsa_url: str | None
    creator: Creator | None = None  # adds the creator's identity assertion (CAWG)
    extra_actions: tuple[dict[str, Any], ...] = ()  # recorded after the main action

    def result(
        self, input: Path, format: str, manifest: bytes, frames_signed: int | None
    ) -> SignResult:
        """What signing `input` by this plan wrote."""
        return SignResult(
            input=str(input),
            output=str(self.output) if self.output is not None else "-",
            format=format,
            manifest_bytes=len(manifest),
            sidecar=self.sidecar,
            frames_signed=frames_signed,
            action=self.action,
            source_type=self.source_type,
            parent=self.parent.record() if self.parent is not None else None,
            creator=_subject(self.creator.identity) if self.creator else None,
            creator_roles=self.creator.roles if self.creator else (),
        )


def _subject(identity: Identity) -> str:
    """A certificate's subject as the C2PA library spells it (`CN=..., O=...`)."""
    subject = identity.certificate.subject
    return ", ".join(f"{a.rfc4514_attribute_name}={a.value!s}" for a in subject)


def plan(
    source: Path,
    output: Path | BinaryIO | None,
    *,
    identity: Identity,
    title: str | None = None,
    author: str | None = None,
    action: str | None = None,
    source_type: str | None = None,
    parent: Path | None = None,
    tsa_url: str | None = None,
    sidecar: bool = False,
    force: bool = False,
    credentials: Path | None = None,
    creator: Creator | None = None,
) -> Plan:
    """Validate a signing request; raises `ProvenanceError` before any expensive work.

    action: None records `c2pa.opened` for an input that already carries credentials and
        `c2pa.created` for one that does not; `created` needs `source_type`.
    output: a path, or a binary stream (standard output) to copy the result to.
    credentials: the input's own manifest store when it is kept elsewhere than beside it
        (a folder of frames: `FOLDER.c2pa`)."""
    media = detect(source)
    if media.kind == "manifest" or media.mime not in _builder_formats():
        raise UnsupportedFormatError(f"{source}: {media.mime} cannot carry C2PA credentials")
    asked = _asked_action(action, parent)
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
    if creator is not None:
        _check_identity(creator.identity, "creator")
        if not _cawg.available():
            raise SigningError(_cawg.UNAVAILABLE)

    stream = None if output is None or isinstance(output, Path) else output
    dst = _destination(source, output if isinstance(output, Path) else None, sidecar, stream)
    if dst is not None:
        if dst.resolve() == source.resolve():
            raise UsageError("the output must differ from the input; the input is never modified")
        check_output(dst, force=force)

    own = _parent(_read.Asset(source, media), credentials)
    act = _action(source, asked, own, url, parent)
    edit_of = None
    if act != "c2pa.created":
        if parent is None or parent.resolve() == source.resolve():
            edit_of = own
        else:
            edit_of = _parent(_read.open_asset(parent), None)
    return Plan(
        source=source,
        media=media,
        output=dst,
        stream=stream,
        sidecar=sidecar,
        force=force,
        identity=identity,
        title=title or (source.name if sidecar or dst is None else dst.name),
        author=author,
        action=act,
        source_type=url,
        parent=edit_of,
        tsa_url=tsa_url,
        creator=creator,
    )


def _destination(
    source: Path, output: Path | None, sidecar: bool, stream: BinaryIO | None
) -> Path | None:
    if stream is not None:
        return None
    if sidecar:
        dst = output if output is not None else source.with_name(source.name + ".c2pa")
        return dst if dst.suffix == ".c2pa" else dst.with_name(dst.name + ".c2pa")
    if output is None:
        raise UsageError("give an output path (-o), or use --sidecar")
    return output


def _asked_action(action: str | None, parent: Path | None) -> str | None:
    """The action asked for (full name), checked before any work."""
    if action is None:
        return None
    act = action_name(action)
    if act is None:
        raise UsageError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    if act == "c2pa.watermarked":
        raise UsageError(
            "'watermarked' needs a soft binding (the watermark's link to the manifest), which "
            "the toolkit does not write yet; record the edit with another action"
        )
    if act == "c2pa.created" and parent is not None:
        raise UsageError("a parent ingredient needs an editing action, not 'created'")
    return act


def _action(
    source: Path, asked: str | None, own: Parent, source_type: str | None, parent: Path | None
) -> str:
    """The action the new manifest records: never a creation for an input that carries
    credentials, which would erase its history and restate how it was made."""
    signed = own.report is not None
    act = asked or ("c2pa.opened" if signed else "c2pa.created")
    if act == "c2pa.created":
        if signed:
            raise UsageError(
                f"{source} already carries content credentials; a new signature keeps them as "
                "its parent ingredient and records an edit: use --action opened or the edit "
                "made, not 'created'"
            )
        if source_type is None:
            raise UsageError(
                "say how a new asset was made: give its digital source type (--source-type), "
                f"one of {', '.join(SOURCE_TYPES)}"
            )
    elif signed and parent is not None and parent.resolve() != source.resolve():
        raise UsageError(
            f"{source} carries its own content credentials, which become its parent "
            "ingredient; --parent cannot name another file"
        )
    return act


def _parent(asset: _read.Asset, credentials: Path | None) -> Parent:
    """A file as a parent ingredient: its own credentials (`credentials`, else a sidecar
    beside it, else embedded) read and judged now, without trust anchors, so a signing
    can keep them and say what they showed."""
    if credentials is not None:
        source = _read.store_file(credentials, SourceKind.SIDECAR)
    else:
        source = _read.find_source(asset)
    store = _read.read_store(asset, source, _read.context(Trust()))
    name, mime = str(asset.path), asset.media.mime
    if store is None:
        return Parent(asset.path, asset.media, None)
    if isinstance(store, _read.Unreadable):
        # Not handed over: the library records what it can make of the file itself.
        unreadable = _read.unreadable_report(name, mime, source, store, Trust())
        return Parent(asset.path, asset.media, unreadable)
    report = _read.judge(name, mime, source, store, Trust())
    return Parent(asset.path, asset.media, report, source.store, store.results)


def _check_identity(identity: Identity, who: str = "signer") -> None:
    """The C2PA library refuses a certificate outside its validity period, but only after
    the work; say so first."""
    cert = identity.certificate
    now = dt.datetime.now(dt.UTC)
    if now < cert.not_valid_before_utc:
        raise CredentialError(
            f"the {who}'s certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
        )
    if now > cert.not_valid_after_utc:
        raise CredentialError(
            f"the {who}'s certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}"
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
            "digitalSourceType": p.source_type,
        }
        own.append({"label": ACTIONS_LABEL, "data": {"actions": [act, *p.extra_actions]}})
    if p.author:
        own.append(
            {
                "label": CREATIVE_WORK_LABEL,
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
    merkle = (
        {"merkle_tree_chunk_size_in_kb": _MERKLE_CHUNK_KB, "merkle_tree_max_proofs": 0}
        if p.source.stat().st_size >= MERKLE_FROM_BYTES
        else {}
    )
    ctx = _c2pa.context(
        builder={"thumbnail": {"enabled": False}},
        core={"backing_store_memory_threshold_in_mb": _BACKING_STORE_MB, **merkle},
    )
    try:
        builder = c2pa.Builder(definition, context=ctx)
        if thumb:
            builder.add_resource("thumbnail.jpg", io.BytesIO(thumb))
        if p.parent is not None:
            _add_parent(builder, p.parent)
            # The EDIT intent adds the c2pa.opened action that links the parent, as C2PA
            # requires; any other edit is recorded after it.
            if p.action != "c2pa.opened":
                action_def: dict[str, Any] = {"action": p.action}
                if p.source_type:
                    action_def["digitalSourceType"] = p.source_type
                builder.add_action(action_def)
            for extra in p.extra_actions:
                builder.add_action(extra)
        if p.sidecar:
            builder.set_no_embed()
    except c2pa.C2paError as e:
        raise SigningError(f"cannot prepare the manifest: {_c2pa.error_text(e)}") from None
    return builder


def _add_parent(builder: c2pa.Builder, parent: Parent) -> None:
    """Record `parent`, with its own manifest if it has one, as the parent ingredient.

    The library reads a manifest embedded in the file itself, and validates it. A store
    kept apart (a sidecar) is handed over as the ingredient's manifest data, with the
    validation results of reading it against the file, which the library records as it
    would its own: an invalid or tampered parent is kept, with what was wrong."""
    ingredient: dict[str, Any] = {"title": parent.path.name, "relationship": "parentOf"}
    if parent.store is not None and parent.results:
        builder.add_resource(_PARENT_STORE, io.BytesIO(parent.store))
        ingredient["manifest_data"] = {"format": "application/c2pa", "identifier": _PARENT_STORE}
        ingredient["validation_results"] = parent.results
    with open_regular(parent.path) as f:
        builder.add_ingredient(ingredient, parent.media.mime, f)
    builder.set_intent(c2pa.C2paBuilderIntent.EDIT)


# ------------------------------------------------------------------------------- 3. write


def write(p: Plan, builder: c2pa.Builder) -> bytes:
    """Sign, and write the signed asset (or the sidecar store) atomically, or copy it to
    the plan's stream; returns the manifest store's bytes."""
    with _signer(p) as signer:
        if p.output is None:
            return _write_stream(p, builder, signer)
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
    """The claim signer: our callback, wrapped with the creator's identity signer when
    the plan has a creator (both sign through our callbacks, so HSM keys work)."""
    if p.creator is not None:
        return _cawg.with_identity(p.identity, p.creator, tsa_url=p.tsa_url)
    try:
        return c2pa.Signer.from_callback(
            p.identity.sign,
            c2pa.C2paSigningAlg[p.identity.alg.upper()],
            p.identity.chain_pem,
            p.tsa_url,
        )
    except c2pa.C2paError as e:
        raise SigningError(f"cannot prepare the signer: {_c2pa.error_text(e)}") from None


def _write_stream(p: Plan, builder: c2pa.Builder, signer: c2pa.Signer) -> bytes:
    """Sign into a scratch file, then copy the signed asset (or the store) to the stream."""
    assert p.stream is not None
    with tempfile.TemporaryFile() as scratch:
        manifest = _sign_to(builder, signer, p, None if p.sidecar else scratch)
        if p.sidecar:
            _check_sidecar_binds(p, manifest)
        try:
            if p.sidecar:
                p.stream.write(manifest)
            else:
                scratch.seek(0)
                shutil.copyfileobj(scratch, p.stream, 1 << 20)
            p.stream.flush()
        except OSError as e:
            raise output_error(Path("<standard output>"), e) from None
    return manifest


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
            manifest = _streams.sign_fds(builder, signer, p.media.mime, f.fileno(), dest)
        else:
            manifest = bytes(builder.sign(signer, p.media.mime, f, dest))
        if p.creator is not None:
            _cawg.check_embedded(manifest)  # before any output appears
        return manifest

    written = p.output or Path(tempfile.gettempdir())
    with open_regular(p.source) as f:
        try:
            if out is not None:
                return run(f, out)
            # A sidecar leaves the asset alone; the library still writes a copy, which
            # goes to a scratch file that is deleted at once.
            with tempfile.TemporaryFile() as scratch:
                return run(f, scratch)
        except OSError as e:
            raise output_error(written, e) from None
        except c2pa.C2paError as e:
            if out is not None:
                # The library says only that writing failed; a full disk or a failing
                # device is the output's fault, never the input's, and is named.
                probe_output(out, written)
            raise _signing_error(p, e) from None


def _signing_error(p: Plan, err: c2pa.C2paError) -> SigningError:
    text = _c2pa.error_text(err)
    if p.tsa_url and ("http resolver" in text or "error sending request" in text):
        return SigningError(f"cannot reach the timestamp authority at {p.tsa_url}")
    return SigningError(f"{p.source}: signing failed: {text}")


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
