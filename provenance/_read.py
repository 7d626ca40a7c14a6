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

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import c2pa

from . import _c2pa, _manifest
from ._c2pa import ErrorKind
from ._media import MediaType, check_regular_file, detect, open_regular
from ._rules import decide, decide_trust
from .errors import InputError, ManifestError, ProvenanceError, UnsupportedFormatError
from .models import SourceKind, TrustDecision, Verdict, VerificationReport
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
    "read_store",
    "read_store_file",
    "store_file",
    "unreadable_report",
    "unsigned_report",
]

MAX_STORE_BYTES = 256 * 1024 * 1024  # a manifest store this large is hostile, not real


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
    certificates: dict[str, dict[str, Any]]  # each manifest's signer certificate, if read

    @property
    def active(self) -> dict[str, Any]:
        """The active manifest (empty when the store has no usable one)."""
        return self.manifests.get(self.active_label or "") or {}


@dataclass(frozen=True)
class Unreadable:
    """A manifest store the library could not read at all, and its complaint."""

    reason: str


def context(trust: Trust) -> c2pa.Context:
    """The C2PA context that validates with these trust settings."""
    return _c2pa.context(trust_anchors_pem=trust.anchors_pem, allowed_pem=trust.allowed_pem)


def read_store(
    asset: Asset, source: Source, ctx: c2pa.Context, *, certificates: bool = True
) -> Store | Unreadable | None:
    """Read and validate the source's manifest store against the asset's bytes. None when
    there is no manifest; raises `ProvenanceError` when the asset itself cannot be read.
    `certificates`: also read each signer's certificate details (a second pass over the
    store, in the library's crJSON form)."""
    try:
        with (
            open_regular(asset.path) as f,
            c2pa.Reader(asset.media.mime, f, source.store, context=ctx) as reader,
        ):
            return _snapshot(reader, read_certificates=certificates)
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
            # Verification stays offline: a hostile file could point anywhere.
            raise ManifestError(
                f"{asset.path}: the manifest is stored remotely and is not fetched; save it "
                f"beside the file as {asset.path.name}.c2pa and verify again"
            ) from None
        return Unreadable(_c2pa.error_text(e))


def _snapshot(reader: c2pa.Reader, *, read_certificates: bool) -> Store:
    try:
        data = json.loads(reader.json())
    except (ValueError, c2pa.C2paError):
        data = {}  # no usable store: the validation state says so
    crjson = {}
    if read_certificates:
        try:
            crjson = json.loads(reader.crjson())
        except (ValueError, c2pa.C2paError):
            pass
    certificates = {
        str(m.get("label")): (m.get("signature") or {}).get("certificateInfo") or {}
        for m in crjson.get("manifests") or []
        if isinstance(m, dict)
    }
    manifests = data.get("manifests")
    return Store(
        state=data.get("validation_state"),
        results=data.get("validation_results") or {},
        active_label=data.get("active_manifest"),
        manifests=manifests if isinstance(manifests, dict) else {},
        certificates=certificates,
    )


# --------------------------------------------------------------------------- 4. decide


def judge(
    path: str, format: str | None, source: Source, store: Store, trust: Trust
) -> VerificationReport:
    """The report on what the store says about the asset at `path`: every failure (the
    ingredients' too), the verdict and trust decision the rules give, and the manifest's
    signer, time, actions and ingredients."""
    active = store.results.get("activeManifest") or {}
    failures = _manifest.status_entries(active.get("failure"), ingredient=False)
    for delta in store.results.get("ingredientDeltas") or []:
        found = (delta.get("validationDeltas") or {}).get("failure")
        failures += _manifest.status_entries(found, ingredient=True)
    informational = _manifest.status_entries(active.get("informational"), ingredient=False)
    success = {str(s.get("code")) for s in active.get("success") or []}

    manifest = store.active
    signer = _manifest.signer(manifest, store.certificates.get(store.active_label or "") or {})
    verdict, message = decide(store.state, failures)
    ruling = decide_trust(verdict, message, trust, signer, (f.code for f in failures))
    return VerificationReport(
        path=path,
        verdict=ruling.verdict,
        message=ruling.message,
        format=format,
        manifest_source=source.kind,
        sidecar=source.location,
        manifest_label=manifest.get("label"),
        title=manifest.get("title"),
        claim_generator=_manifest.generator(manifest),
        signer=signer,
        timestamp=_manifest.timestamp(manifest, success),
        trust_anchors_supplied=trust.supplied,
        trust=TrustDecision(
            ruling.status, ruling.reason, ruling.rule, ruling.anchor, ruling.allowed_signer
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
