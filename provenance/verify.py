"""Verify content credentials and reduce them to one verdict per file."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import c2pa

from . import _c2pa, _fingerprints, _fragments, _sequence, _strip
from ._fingerprints import write_visual_report
from ._media import check_regular_file
from ._read import (
    EMBEDDED,
    Asset,
    Source,
    Store,
    context,
    error_report,
    find_source,
    judge,
    open_asset,
    read_detached,
    read_store,
    store_file,
    unreadable_report,
    unsigned_report,
)
from ._registry.location import is_location, opened
from ._rules import found_outcome, not_found_message, stripped_outcome
from ._vocab import Progress
from .errors import ManifestError, ProvenanceError, RegistryError, UsageError
from .models import SourceKind, VerificationBatch, VerificationReport
from .trust import Trust

if TYPE_CHECKING:
    from ._registry.store import Registry

    RegistryArg = str | Path | Registry | bool | None

__all__ = ["verify", "verify_many", "write_visual_report"]


def verify(
    path: Path | str,
    *,
    trust: Trust | Iterable[Path | str] | None = None,
    reference: Path | str | None = None,
    lookup: RegistryArg = None,
    fragments: Sequence[Path | str] | None = None,
    localize: bool = True,
    progress: Progress | None = None,
    signer_certificate: bool = True,
) -> VerificationReport:
    """Verify `path` and return a report; raises `ProvenanceError` only when the file
    cannot be checked at all (missing, unreadable, unsupported). A folder signed as an
    image sequence (with `FOLDER.c2pa` beside it) is verified file by file.

    trust: a `Trust`, or trust-anchor file paths; without anchors no file is ever
        `trusted`.
    reference: a signed file or `.c2pa` manifest store whose manifest the checked file
        should be compared with, for when the manifest was stripped from it (a file that
        carries its own manifest is judged by it, and the report says the reference was
        not used).
    lookup: a manifest registry (a SQLite path, postgresql:// or http(s):// URL, an open
        registry, or True for $PROVENANCE_REGISTRY) to find the signed original of a file
        without credentials in: its manifest is validated and the file compared with its
        fingerprints as with `reference` (`report.lookup` says what was found; no match
        leaves the file `unsigned`). A file with its own manifest is judged by it.
    fragments: for the init segment of a fragmented MP4, its media segments: each is
        checked against it (`report.fragments`), and the stream passes only if all do.
        Without them an init segment is `error`: its media was not checked.
    localize: for video and images carrying our fingerprints, say which frames and
        regions changed.
    signer_certificate: read the signer's certificate for the report (its full subject
        and issuer names, its validity dates) and the timestamp authority's name: a second
        pass over the manifest store. Without it the signer is named by the common name
        and the issuer's organisation that the library's summary gives
        (`SignerInfo.certificate` is False), which spares that pass over many small
        files; an allow-list in `trust`, or a certificate found expired, reads it
        regardless.
    """
    path = Path(path)
    trust = Trust.coerce(trust)
    if reference is not None and lookup not in (None, False):
        raise UsageError("give --reference or --lookup, not both")
    if reference is not None:
        check_regular_file(Path(reference))  # a misspelt reference is said at once
    if _sequence.is_sequence(path):
        return _sequence.verify_sequence(path, trust=trust, progress=progress)
    asset = open_asset(path)
    source = find_source(asset)
    if fragments is not None:
        if not fragments:
            raise UsageError(f"{path}: no fragments given")
        return _fragments.verify_fragments(asset, source, [Path(f) for f in fragments], trust)
    ctx = context(trust)
    store = read_store(asset, source, ctx, certificates=signer_certificate or bool(trust.allowed))
    if store is None and reference is not None:
        report, store = _against_reference(asset, Path(reference), trust, ctx)
    elif store is None and lookup not in (None, False):
        where = None if isinstance(lookup, bool) else lookup  # True: $PROVENANCE_REGISTRY
        report, found = _from_registry(asset, where, trust, ctx)
        if found is None:
            return _with_metadata_location(report, asset)
        store = found
    elif store is None:
        return _with_metadata_location(unsigned_report(str(path), asset.media.mime, trust), asset)
    elif not isinstance(store, Store):
        return unreadable_report(str(path), asset.media.mime, source, store, trust)
    else:
        report = judge(str(path), asset.media.mime, source, store, trust)
        used = "--reference" if reference is not None else "--lookup" if lookup else None
        if used:
            note = f"; {used} not used: the file carries its own manifest"
            report = replace(report, message=report.message + note)
    report = _fingerprints.check_soft_binding(report, store.active)
    if localize:
        report = _fingerprints.localize(report, asset, store.active, progress)
    return _with_metadata_location(report, asset)


def _with_metadata_location(report: VerificationReport, asset: Asset) -> VerificationReport:
    """Whether the file's own metadata still tells where it was made: a manifest that
    withholds the position protects nothing if the EXIF beside it gives it away."""
    if not _strip.shows_location(asset.path, asset.media):
        return report
    return replace(report, metadata_location=True)


def _against_reference(
    asset: Asset, reference: Path, trust: Trust, ctx: c2pa.Context
) -> tuple[VerificationReport, Store]:
    """The checked file has no manifest: take it from a reference that must itself verify."""
    ref = open_asset(reference)
    if ref.media.kind == "manifest":  # a .c2pa store: read it against the checked file
        source = store_file(reference, SourceKind.REFERENCE)
        store = read_store(asset, source, ctx)
        if not isinstance(store, Store):
            why = store.reason if store is not None else "no manifest in it"
            raise ManifestError(f"{reference}: unusable manifest store ({why})")
        return judge(str(asset.path), asset.media.mime, source, store, trust), store
    store = read_store(ref, EMBEDDED, ctx)
    if not isinstance(store, Store):
        raise ManifestError(f"{reference}: the reference has no readable manifest")
    source = Source(SourceKind.REFERENCE, location=str(reference))
    report = judge(str(asset.path), asset.media.mime, source, store, trust)
    if not report.verdict.verified:
        raise ManifestError(
            f"{reference}: the reference does not verify ({report.verdict.value}: "
            f"{report.message})"
        )
    verdict, message = stripped_outcome()
    return replace(report, verdict=verdict, message=message), store


def _from_registry(
    asset: Asset, where: str | Path | Registry | None, trust: Trust, ctx: c2pa.Context
) -> tuple[VerificationReport, Store | None]:
    """The checked file has no manifest: find its signed original in a registry, and judge
    the original's manifest apart from any asset. No match: unsigned, and said so."""
    from ._registry.lookup import lookup_file  # NumPy and PyAV: only for a lookup

    if asset.media.kind not in ("image", "video") or asset.media.mime == "image/svg+xml":
        report = unsigned_report(str(asset.path), asset.media.mime, trust)
        why = f"{report.message}; only photos and video can be looked up in a registry"
        return replace(report, message=why), None
    with opened(where, create=False) as registry:
        found = lookup_file(registry, asset.path)
        best = found.best
        data = registry.manifest_store(best.manifest_id) if best is not None else None
    if best is None:
        report = unsigned_report(str(asset.path), asset.media.mime, trust)
        return replace(report, message=not_found_message(found.registry), lookup=found), None
    if data is None:
        raise RegistryError(f"{found.registry}: manifest {best.manifest_id} is not there")
    source = Source(SourceKind.REGISTRY, data, location=found.registry)
    store = read_detached(source, ctx)
    if not isinstance(store, Store):
        raise ManifestError(f"{found.registry}: manifest {best.manifest_id}: {store.reason}")
    report = judge(str(asset.path), asset.media.mime, source, store, trust)
    found = replace(found, matches=(replace(best, verdict=report.verdict), *found.matches[1:]))
    report = replace(report, lookup=found)
    if report.verdict.verified:
        verdict, message = found_outcome(best.similarity)
        report = replace(report, verdict=verdict, message=message)
    return report, store


def verify_many(
    paths: Iterable[Path | str],
    *,
    trust: Trust | Iterable[Path | str] | None = None,
    reference: Path | str | None = None,
    lookup: RegistryArg = None,
    fragments: Sequence[Path | str] | None = None,
    localize: bool = True,
    progress: Progress | None = None,
) -> VerificationBatch:
    """Verify several files; a file that cannot be checked gets an `error` report. A
    `lookup` registry is opened once for all of them."""
    trust = Trust.coerce(trust)
    if lookup is not None and lookup is not False and is_location(lookup):
        where = None if isinstance(lookup, bool) else lookup
        with opened(where, create=False) as registry:
            return verify_many(
                paths,
                trust=trust,
                reference=reference,
                lookup=registry,
                fragments=fragments,
                localize=localize,
                progress=progress,
            )
    reports = []
    for p in paths:
        try:
            reports.append(
                verify(
                    p,
                    trust=trust,
                    reference=reference,
                    lookup=lookup,
                    fragments=fragments,
                    localize=localize,
                    progress=progress,
                )
            )
        except ProvenanceError as e:
            reports.append(error_report(p, e))
    return VerificationBatch(tuple(reports), _c2pa.generator())
