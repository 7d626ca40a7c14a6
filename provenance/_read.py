"""The read pipeline: the steps every verification runs, whatever its entry point.

    open safely -> find the manifest store -> read it (the C2PA library validates)
    -> decide -> localize -> report

1. `open_asset`: a regular file whose content type is known (never a FIFO or device).
2. A `Source` says where the manifest store comes from: embedded in the asset, a sidecar
   beside it (`find_source`), a reference file or `.c2pa` store (`store_file`), or the
   sidecar of a folder of frames. A store recovered from elsewhere (a registry) is one
   more source: its bytes, read against the asset like any other.
3. `read_store`: the C2PA library reads and validates the store against the asset's
   bytes; we keep a `Store` snapshot of what it found.
4. `judge`: the rules (`_rules`) reduce the validation to a verdict and a trust decision,
   and the manifest's parts fill a `VerificationReport`.
5. Localization (`_fingerprints.localize`, `_sequence`) adds which frames, regions or
   files changed.

`verify`, `history`, `_sequence` and `check` call these steps; none reads a manifest
another way.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import c2pa
import cbor2

from . import _c2pa, _manifest
from ._c2pa import ErrorKind
from ._media import MediaType, check_regular_file, detect, open_regular
from ._rules import (
    HARD_BINDING_MISMATCH,
    claim_signer_trusted,
    decide,
    decide_trust,
    detached_state,
    validity_ruling,
)
from .errors import InputError, ManifestError, ProvenanceError, UnsupportedFormatError
from .models import SourceKind, TrustDecision, ValidityCheck, Verdict, VerificationReport
from .trust import Trust

__all__ = [
    "EMBEDDED",
    "MAX_STORE_BYTES",
    "Asset",
    "Source",
    "Store",
    "Unreadable",
    "context",
    "error_report",
    "find_sidecar",
    "find_source",
    "judge",
    "open_asset",
    "read_detached",
    "read_store",
    "read_store_file",
    "store_bytes",
    "remote_manifest_error",
    "store_file",
    "unreadable_report",
    "unsigned_report",
]

MAX_STORE_BYTES = 256 * 1024 * 1024  # a manifest store this large is hostile, not real
_EXPIRED = "signingCredential.expired"


# ------------------------------------------------------------------------ 1. open safely


@dataclass(frozen=True)
class Asset:
    """A file opened safely: a readable regular file whose content type is known."""

    path: Path
    media: MediaType


def open_asset(path: Path) -> Asset:
    """Recognize `path` from its content; raises `InputError` for anything else."""
    return Asset(path, detect(path))


# ------------------------------------------------------------------------------ 2. source


@dataclass(frozen=True)
class Source:
    """Where a manifest store comes from."""

    kind: SourceKind
    store: bytes | None = field(default=None, repr=False)  # None: embedded in the asset
    location: str | None = None  # the file the store was read from


EMBEDDED = Source(SourceKind.EMBEDDED)


def find_sidecar(path: Path | str) -> Path | None:
    """A manifest store kept beside the asset: `photo.jpg.c2pa`, then `photo.c2pa`.

    Only a regular file in the asset's own folder counts. A symlink is ignored wherever it
    points (outside the folder, at a device): a hostile folder must not make us read, and
    vouch with, a manifest from elsewhere. Pass such a store explicitly with --reference."""
    # On strings: `check` calls this once per file, so it must be cheap.
    name = os.fspath(path)
    for candidate in (name + ".c2pa", os.path.splitext(name)[0] + ".c2pa"):
        if candidate != name and os.path.isfile(candidate) and not os.path.islink(candidate):
            return Path(candidate)
    return None


def read_store_file(path: Path) -> bytes:
    """The bytes of a manifest store file, read safely: a regular file (opened without
    blocking, so a FIFO swapped in cannot hang us) of a sane size."""
    st = check_regular_file(path)
    if st.st_size > MAX_STORE_BYTES:
        raise ManifestError(f"{path}: manifest store too large ({st.st_size} bytes)")
    try:
        with open_regular(path) as f:
            return f.read(MAX_STORE_BYTES + 1)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None


def store_file(path: Path, kind: SourceKind) -> Source:
    """A source whose store is the manifest store file at `path`."""
    return Source(kind, read_store_file(path), str(path))


def find_source(asset: Asset) -> Source:
    """The asset's own manifest: a sidecar beside it when there is one, else embedded."""
    sidecar = find_sidecar(asset.path)
    return EMBEDDED if sidecar is None else store_file(sidecar, SourceKind.SIDECAR)


# -------------------------------------------------------------------------------- 3. read


@dataclass(frozen=True)
class Store:
    """A manifest store as the C2PA library read and validated it, taken while the reader
    was open."""

    state: str | None  # the library's validation state: Trusted, Valid or Invalid
    results: dict[str, Any]  # its validation results (active manifest and ingredient deltas)
    active_label: str | None
    manifests: dict[str, dict[str, Any]]  # every manifest of the store, by label
    # Each manifest's signature details (signer certificate, timestamp and its authority)
    # and its own validation now, with this read's trust settings (crJSON), by label.
    signatures: dict[str, dict[str, Any]]
    manifest_results: dict[str, dict[str, Any]]
    # Each X.509 creator identity's certificate (DER), by manifest and assertion label.
    identity_certificates: dict[str, dict[str, bytes]] = field(default_factory=dict)

    @property
    def active(self) -> dict[str, Any]:
        """The active manifest (empty when the store has no usable one)."""
        return self.manifests.get(self.active_label or "") or {}

    def certificate(self, label: str | None) -> dict[str, Any]:
        """The signer certificate details of the manifest with this label."""
        info: dict[str, Any] = (self.signatures.get(label or "") or {}).get(
            "certificateInfo"
        ) or {}
        return info


@dataclass(frozen=True)
class Unreadable:
    """A manifest store the library could not read at all, and its complaint."""

    reason: str


def context(trust: Trust) -> c2pa.Context:
    """The C2PA context that validates with these trust settings."""
    return _c2pa.context(
        trust_anchors_pem=trust.anchors_pem,
        allowed_pem=trust.allowed_pem,
        identity_anchors_pem=trust.identity_anchors_pem,
    )


def read_store(
    asset: Asset,
    source: Source,
    ctx: c2pa.Context,
    *,
    fragment: Path | None = None,
    certificates: bool = True,
) -> Store | Unreadable | None:
    """Read and validate the source's manifest store against the asset's bytes (and, for
    an init segment of fragmented media, against one of its `fragment` files). None when
    there is no manifest; raises `ProvenanceError` when the asset itself cannot be read.
    `certificates`: also read each signature's details (signer certificate, timestamp
    authority, each manifest's own validation): a second pass over the store, in the
    library's crJSON form, which is read regardless when a signer's certificate was
    found expired, so that the report can give its dates."""
    try:
        with open_regular(asset.path) as f, c2pa.Reader(
            asset.media.mime, f, source.store, context=ctx
        ) as reader:
            if fragment is not None:
                with open_regular(asset.path) as init, open_regular(fragment) as frag:
                    reader.with_fragment(asset.media.mime, init, frag)
                    return _snapshot(reader, certificates=certificates)
            return _snapshot(reader, certificates=certificates)
    except OSError as e:
        raise InputError(f"{asset.path}: cannot read ({e.strerror})") from None
    except c2pa.C2paError as e:
        kind = _c2pa.classify(e)
        if kind is ErrorKind.NO_MANIFEST:
            return None
        if kind is ErrorKind.UNSUPPORTED:
            raise UnsupportedFormatError(f"{asset.path}: format not supported for C2PA") from None
        if kind is ErrorKind.IO:
            raise InputError(f"{asset.path}: {_c2pa.error_text(e)}") from None
        if kind is ErrorKind.REMOTE:
            raise remote_manifest_error(asset.path, e) from None
        return Unreadable(_c2pa.error_text(e))


def store_bytes(asset: Asset, source: Source) -> bytes | None:
    """The manifest store of an asset as bytes (a registry keeps stores, not assets): a
    sidecar's or reference's as read; an embedded one as the C2PA library takes it out,
    through an ingredient (the library has no other way to hand an embedded store over).
    None when the asset carries none."""
    if source.store is not None:
        return source.store
    ctx = _c2pa.context(builder={"thumbnail": {"enabled": False}})
    try:
        builder = c2pa.Builder({"claim_generator_info": [{"name": "provenance"}]}, context=ctx)
        with builder, open_regular(asset.path) as f:
            ingredient = {"title": asset.path.name, "relationship": "parentOf"}
            builder.add_ingredient_from_stream(ingredient, asset.media.mime, f)
            archive = io.BytesIO()
            builder.to_archive(archive)
        archive.seek(0)
        with c2pa.Reader("application/c2pa", archive, context=ctx) as reader:
            data = json.loads(reader.json())
            active = (data.get("manifests") or {}).get(data.get("active_manifest")) or {}
            found = ((active.get("ingredients") or [{}])[0].get("manifest_data") or {})
            identifier = found.get("identifier")
            if not isinstance(identifier, str):
                return None
            out = io.BytesIO()
            reader.resource_to_stream(identifier, out)
            return out.getvalue()
    except OSError as e:
        raise InputError(f"{asset.path}: cannot read ({e.strerror})") from None
    except (c2pa.C2paError, ValueError, AttributeError, IndexError) as e:
        if isinstance(e, c2pa.C2paError) and _c2pa.classify(e) is ErrorKind.NO_MANIFEST:
            return None
        raise ManifestError(f"{asset.path}: cannot take the manifest store out ({e})") from None


def read_detached(source: Source, ctx: c2pa.Context) -> Store | Unreadable:
    """Read and validate a manifest store apart from its asset (a registry keeps no
    assets): everything is checked but the hard binding, which no asset can match. The
    binding's mismatch is taken out of the results and the state, so the claim is judged on
    its own; what the asset in hand says is then up to the fingerprints."""
    try:
        with c2pa.Reader("application/c2pa", io.BytesIO(b""), source.store, context=ctx) as r:
            store = _snapshot(r, certificates=True)  # allow-lists name signers
    except c2pa.C2paError as e:
        return Unreadable(_c2pa.error_text(e))
    active = store.results.get("activeManifest") or {}
    failures = [
        f for f in active.get("failure") or [] if str(f.get("code")) not in HARD_BINDING_MISMATCH
    ]
    success = {str(x.get("code")) for x in active.get("success") or []}
    results = {**store.results, "activeManifest": {**active, "failure": failures}}
    others = {str(f.get("code")) for f in failures}
    for delta in store.results.get("ingredientDeltas") or []:
        found = (delta.get("validationDeltas") or {}).get("failure") or []
        others |= {str(f.get("code")) for f in found}
    state = detached_state(store.state, others, success)
    return replace(store, state=state, results=results)


def remote_manifest_error(path: Path, err: c2pa.C2paError) -> ManifestError:
    """The error for an asset whose manifest is stored remotely: never fetched (a hostile
    file could point anywhere, and verification stays offline), but its address is given,
    so the user can fetch it and keep it as a sidecar."""
    found = re.search(r"\b(?:url|URL)\s+(\S+)", str(err))
    where = f" at {found.group(1).rstrip('),.')}" if found else ""
    return ManifestError(
        f"{path}: the manifest is stored remotely{where} and is not fetched; download it, "
        f"save it beside the file as {path.name}.c2pa and try again"
    )


def _snapshot(reader: c2pa.Reader, *, certificates: bool) -> Store:
    try:
        data = json.loads(reader.json())
    except (ValueError, c2pa.C2paError):
        data = {}  # no usable store: the validation state says so
    results = data.get("validation_results") or {}
    crjson: dict[str, Any] = {}
    if certificates or _expired(results):
        try:
            crjson = json.loads(reader.crjson())
        except (ValueError, c2pa.C2paError):
            pass
    described = [m for m in crjson.get("manifests") or [] if isinstance(m, dict)]
    manifests = data.get("manifests")
    manifests = manifests if isinstance(manifests, dict) else {}
    return Store(
        state=data.get("validation_state"),
        results=results,
        active_label=data.get("active_manifest"),
        manifests=manifests,
        signatures={str(m.get("label")): m.get("signature") or {} for m in described},
        manifest_results={str(m.get("label")): m.get("validationResults") or {} for m in described},
        identity_certificates=_identity_certificates(reader, manifests),
    )


def _expired(results: dict[str, Any]) -> bool:
    """Whether the library found the active manifest's signer certificate expired (or not
    yet valid), which the report words with the certificate's dates."""
    active = results.get("activeManifest") or {}
    return any(str(x.get("code")) == _EXPIRED for x in active.get("failure") or [])


_COSE_X5CHAIN = 33  # the COSE header that carries the signer's certificate chain


def _identity_certificates(
    reader: c2pa.Reader, manifests: dict[str, Any]
) -> dict[str, dict[str, bytes]]:
    """The signer certificate of each X.509 creator identity, for its fingerprint: only
    the raw COSE signature holds it, and only the detailed report gives that (asked for
    only when some manifest has an identity)."""
    if not any(_manifest.identity_labels(m) for m in manifests.values() if isinstance(m, dict)):
        return {}
    try:
        detailed = json.loads(reader.detailed_json()).get("manifests") or {}
    except (ValueError, AttributeError, c2pa.C2paError):
        return {}
    found: dict[str, dict[str, bytes]] = {}
    for label, manifest in manifests.items():
        store = ((detailed.get(label) or {}) if isinstance(detailed, dict) else {}).get(
            "assertion_store"
        ) or {}
        for name in _manifest.identity_labels(manifest) if isinstance(manifest, dict) else ():
            der = _cose_leaf((store.get(name) or {}).get("signature"))
            if der is not None:
                found.setdefault(label, {})[name] = der
    return found


def _cose_leaf(signature: Any) -> bytes | None:
    """The signer certificate (DER) from a base64 COSE_Sign1 signature's x5chain header."""
    try:
        if not isinstance(signature, str):
            return None
        cose = cbor2.loads(base64.b64decode(signature, validate=True))
        items = cose.value if isinstance(cose, cbor2.CBORTag) else cose
        protected = cbor2.loads(items[0]) if items[0] else {}
        unprotected = items[1] if isinstance(items[1], dict) else {}
        chain = protected.get(_COSE_X5CHAIN) or unprotected.get(_COSE_X5CHAIN)
        leaf = chain[0] if isinstance(chain, list) else chain
        return leaf if isinstance(leaf, bytes) else None
    except (binascii.Error, cbor2.CBORDecodeError, ValueError, TypeError, IndexError, KeyError):
        return None  # the library has judged the signature; only the fingerprint is lost


# --------------------------------------------------------------------------- 4. decide


def judge(
    path: str,
    format: str | None,
    source: Source,
    store: Store,
    trust: Trust,
    *,
    now: dt.datetime | None = None,
) -> VerificationReport:
    """The report on what the store says about the asset at `path`: every failure (the
    ingredients' too), the verdict and trust decision the rules give, the clock the
    signer's certificate was judged by (`now` stands for the current time), and the
    manifest's signer, time, authors, actions and ingredients."""
    active = store.results.get("activeManifest") or {}
    failures = _manifest.status_entries(active.get("failure"), ingredient=False)
    for delta in store.results.get("ingredientDeltas") or []:
        found = (delta.get("validationDeltas") or {}).get("failure")
        failures += _manifest.status_entries(found, ingredient=True)
    informational = _manifest.status_entries(active.get("informational"), ingredient=False)
    success = {
        str(x.get("code")): str(x.get("explanation", "")) for x in active.get("success") or []
    }

    manifest = store.active
    signer = _manifest.signer(manifest, store.certificate(store.active_label))
    stamp = _manifest.timestamp(
        manifest,
        store.signatures.get(store.active_label or "") or {},
        success,
        anchors_supplied=trust.supplied,
    )
    codes = {f.code for f in failures if not f.ingredient}
    validity = None
    if signer is not None:
        ruling = validity_ruling(
            not_before=signer.not_before,
            not_after=signer.not_after,
            expired="signingCredential.expired" in codes,
            timestamp_time=stamp.time,
            timestamp_accepted="timeStamp.trusted" in success,
            timestamp_trusted=stamp.trusted,
            now=now or dt.datetime.now(dt.UTC),
        )
        validity = ValidityCheck(ruling.clock, ruling.at, ruling.valid, ruling.explanation)
    details = {"signingCredential.expired": validity.explanation} if validity else {}
    signer_trusted = claim_signer_trusted(
        success.get("signingCredential.trusted"), identity_anchors=bool(trust.identity_anchors)
    )
    verdict, message = decide(store.state, failures, details, signer_trusted=signer_trusted)
    trusted = decide_trust(
        verdict,
        message,
        trust,
        signer,
        (f.code for f in failures),
        expired_why=details.get("signingCredential.expired"),
    )
    return VerificationReport(
        path=path,
        verdict=trusted.verdict,
        message=trusted.message,
        format=format,
        manifest_source=source.kind,
        sidecar=source.location,
        manifest_label=manifest.get("label"),
        title=manifest.get("title"),
        claim_generator=_manifest.generator(manifest),
        authors=_manifest.authors(manifest),
        identities=_manifest.identities(
            manifest,
            active,
            store.identity_certificates.get(store.active_label or "") or {},
            anchors_supplied=bool(trust.identity_anchors),
        ),
        capture=_manifest.capture(manifest),
        signer=signer,
        timestamp=stamp,
        validity=validity,
        trust_anchors_supplied=trust.supplied,
        trust=TrustDecision(
            trusted.status, trusted.reason, trusted.rule, trusted.anchor, trusted.allowed_signer
        ),
        actions=tuple(_manifest.actions(manifest)),
        ingredients=tuple(_manifest.ingredients(manifest)),
        failures=tuple(failures),
        informational=tuple(informational),
        validation_state=store.state,
    )


def unsigned_report(path: str, format: str | None, trust: Trust) -> VerificationReport:
    """The report on a file without content credentials."""
    return VerificationReport(
        path=path,
        verdict=Verdict.UNSIGNED,
        message="no content credentials found",
        format=format,
        trust_anchors_supplied=trust.supplied,
    )


def unreadable_report(
    path: str, format: str | None, source: Source, store: Unreadable, trust: Trust
) -> VerificationReport:
    """The report on a file whose manifest store the library could not read."""
    return VerificationReport(
        path=path,
        verdict=Verdict.INVALID,
        message=f"unreadable manifest: {store.reason}",
        format=format,
        manifest_source=source.kind,
        trust_anchors_supplied=trust.supplied,
    )


def error_report(path: Path | str, err: ProvenanceError | str) -> VerificationReport:
    """The report on a file that could not be checked at all, and why."""
    return VerificationReport(path=str(path), verdict=Verdict.ERROR, message=str(err))
