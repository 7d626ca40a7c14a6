"""Image sequences: a folder of frames (`frames/frame-00001.png`, ...) signed as one unit.

C2PA binds a manifest to one asset's bytes, so the sequence's manifest is a sidecar
(`frames.c2pa` beside the folder) bound to one anchor frame, and a signed assertion of
ours (`org.provenance.sequence`) lists every file with its exact hash and regional
fingerprint. Verification checks the signature, then every file: changed (with regions),
added and missing files all make the folder `tampered`.

Both directions run the ordinary pipelines: signing plans the anchor frame into the
sidecar with one extra assertion; verifying reads the sidecar against the anchor frame,
and localizes by file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import c2pa

from . import _write
from ._manifest import assertion_data
from ._read import Asset, Source, Store, context, judge, open_asset, read_store, store_file
from ._rules import sequence_outcome
from ._vocab import SEQUENCE_LABEL, Progress
from .errors import InputError, ManifestError
from .identity import Creator, Identity
from .models import SignResult, SourceKind, VerificationReport
from .trust import Trust

__all__ = ["FORMAT", "is_sequence", "sidecar_for", "sign_sequence", "verify_sequence"]

FORMAT = "image-sequence"  # the `format` of a sequence's report and sign result


def sidecar_for(folder: Path) -> Path:
    """Where a folder's sequence manifest lives: `FOLDER.c2pa` beside it."""
    return folder.with_name(folder.name + ".c2pa")


def is_sequence(path: Path) -> bool:
    """Whether `path` is a folder signed as an image sequence."""
    return path.is_dir() and sidecar_for(path).is_file()


def _frame_files(folder: Path) -> list[Path]:
    from .frames.image import IMAGE_SUFFIXES  # NumPy loads only for sequences

    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def sign_sequence(
    folder: Path,
    output: Path | BinaryIO | None = None,
    *,
    identity: Identity,
    title: str | None = None,
    action: str | None = None,
    source_type: str | None = None,
    force: bool = False,
    creator: Creator | None = None,
    progress: Progress | None = None,
) -> SignResult:
    """Sign every image in `folder` as one unit, into a sidecar manifest store. A folder
    already signed keeps its history: its `FOLDER.c2pa` becomes the parent ingredient."""
    from . import frames

    files = _frame_files(folder)
    if not files:
        raise InputError(f"{folder}: no image files to sign")
    anchor = files[0]
    existing = sidecar_for(folder)
    plan = _write.plan(
        anchor,
        output if output is not None else existing,
        identity=identity,
        title=title or folder.name,
        action=action,
        source_type=source_type,
        sidecar=True,
        force=force,
        credentials=existing if existing.is_file() else None,
        creator=creator,
    )
    fp = frames.fingerprint_sequence(folder, progress=progress)
    data = {**fp.to_dict(), "anchor": anchor.name}
    manifest = _write.sign(plan, [{"label": SEQUENCE_LABEL, "data": data}])
    return plan.result(folder, FORMAT, manifest, len(fp.files))


def verify_sequence(
    folder: Path, *, trust: Trust, progress: Progress | None = None
) -> VerificationReport:
    """Verify a folder signed with `sign_sequence` against its `FOLDER.c2pa` sidecar."""
    sidecar = sidecar_for(folder)
    source = store_file(sidecar, SourceKind.SIDECAR)
    present = _frame_files(folder)
    if not present:
        raise InputError(f"{folder}: no image files left to check")
    ctx = context(trust)
    # The hard binding is to the anchor frame; if it is gone, read against any frame:
    # the signature and the per-file fingerprints still hold.
    names = {p.name: p for p in present}
    store, data = _read(open_asset(present[0]), source, ctx, sidecar)
    wanted = data.get("anchor")
    if present[0].name != wanted and wanted in names:
        store, data = _read(open_asset(names[str(wanted)]), source, ctx, sidecar)
    report = judge(str(folder), FORMAT, source, store, trust)
    if not report.verdict.manifest_intact:
        return report
    return _localize_files(report, folder, data, progress)


def _read(
    asset: Asset, source: Source, ctx: c2pa.Context, sidecar: Path
) -> tuple[Store, dict[str, Any]]:
    """The sequence's store read against one of its frames, and its file list."""
    store = read_store(asset, source, ctx)
    if not isinstance(store, Store):
        why = store.reason if store is not None else "no manifest"
        raise ManifestError(f"{sidecar}: unusable manifest store ({why})")
    data = assertion_data(store.active, SEQUENCE_LABEL)
    if data is None:
        raise ManifestError(f"{sidecar}: the manifest is not an image-sequence manifest")
    return store, data


def _localize_files(
    report: VerificationReport, folder: Path, data: dict[str, Any], progress: Progress | None
) -> VerificationReport:
    """Which frame files changed (with regions), were added or went missing."""
    from . import frames

    result = frames.compare_sequence(
        frames.SequenceFingerprint.from_dict(data), folder, progress=progress
    )
    verdict, message = sequence_outcome(
        report.verdict,
        report.message,
        unchanged=len(result.unchanged),
        changed=len(result.changed),
        added=len(result.added),
        missing=len(result.missing),
    )
    return replace(report, verdict=verdict, message=message, sequence=result)
