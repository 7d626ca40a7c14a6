"""Verify a file's content credentials and reduce them to one verdict."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import c2pa

from . import _c2pa
from ._version import __version__
from .errors import InputError, ManifestError, ProvenanceError, UnsupportedFormatError
from .formats import MediaType, check_regular_file, detect
from .models import (
    Action,
    Ingredient,
    SignerInfo,
    StatusEntry,
    TimestampInfo,
    Verdict,
    VerificationReport,
)
from .trust import TrustAnchors

__all__ = [
    "verify",
    "verify_many",
    "batch_exit_code",
    "batch_to_dict",
    "decide",
    "error_report",
    "find_sidecar",
    "HARD_BINDING_MISMATCH",
]

# The asset no longer matches what was signed, while the signature itself holds.
HARD_BINDING_MISMATCH = frozenset(
    {
        "assertion.dataHash.mismatch",
        "assertion.bmffHash.mismatch",
        "assertion.boxesHash.mismatch",
        "assertion.collectionHash.mismatch",
    }
)
_MAX_SIDECAR = 256 * 1024 * 1024  # a manifest store this large is hostile, not real

Progress = Callable[[int, int | None], None]


def _is_trust_only(code: str) -> bool:
    """Codes that say 'not trusted', which decide trusted vs valid but not validity."""
    return code.endswith(".untrusted")


def find_sidecar(path: Path) -> Path | None:
    """A manifest store kept beside the asset: `photo.jpg.c2pa`, then `photo.c2pa`."""
    for candidate in (path.with_name(path.name + ".c2pa"), path.with_suffix(".c2pa")):
        if candidate != path and candidate.is_file():
            return candidate
    return None


def _read_manifest_file(path: Path) -> bytes:
    st = check_regular_file(path)
    if st.st_size > _MAX_SIDECAR:
        raise ManifestError(f"{path}: manifest store too large ({st.st_size} bytes)")
    return path.read_bytes()


def error_report(path: Path | str, err: ProvenanceError) -> VerificationReport:
    """The report for a file that could not be checked at all."""
    return VerificationReport(path=str(path), verdict=Verdict.ERROR, message=str(err))


def verify(
    path: Path | str,
    *,
    trust: TrustAnchors | Iterable[Path | str] | None = None,
    reference: Path | str | None = None,
    localize: bool = True,
    progress: Progress | None = None,
) -> VerificationReport:
    """Verify `path` and return a report; raises `ProvenanceError` only when the file
    cannot be checked at all (missing, unreadable, unsupported).

    trust: trust anchors (a `TrustAnchors` or PEM bundle paths); without them no file
        is ever `trusted`.
    reference: a signed file or `.c2pa` manifest store whose manifest the checked file
        should be compared with, for when the manifest was stripped from it.
    localize: for video and images carrying our fingerprints, say which frames and
        regions changed.
    """
    path = Path(path)
    media = detect(path)
    anchors = (
        trust if isinstance(trust, TrustAnchors) or trust is None else TrustAnchors.load(trust)
    )
    ctx = _c2pa.context(trust_anchors_pem=anchors.pem if anchors else None)

    manifest_data: bytes | None = None
    source = "embedded"
    sidecar = find_sidecar(path)
    if sidecar is not None:
        manifest_data, source = _read_manifest_file(sidecar), "sidecar"

    base: dict[str, Any] = {
        "path": str(path),
        "format": media.mime,
        "trust_anchors_supplied": anchors is not None,
    }
    reader = _open_reader(path, media, manifest_data, ctx)
    if reader is None and reference is None:
        return VerificationReport(
            **base, verdict=Verdict.UNSIGNED, message="no content credentials found"
        )
    if isinstance(reader, str):
        return VerificationReport(
            **base,
            verdict=Verdict.INVALID,
            message=f"unreadable manifest: {reader}",
            manifest_source=source,
        )
    if reader is None:
        assert reference is not None
        return _verify_against_reference(
            path, media, Path(reference), ctx, base, localize, progress
        )
    with reader:
        report, manifest = _report_from_reader(
            reader, base, source, str(sidecar) if sidecar else None
        )
    if localize:
        report = _localize(report, path, media, manifest, progress)
    return report


def _open_reader(
    path: Path, media: MediaType, manifest_data: bytes | None, ctx: c2pa.Context
) -> c2pa.Reader | str | None:
    """A Reader, None when there is no manifest, or the library's complaint as text."""
    try:
        with open(path, "rb") as f:
            return c2pa.Reader(media.mime, f, manifest_data, context=ctx)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    except c2pa.C2paError as e:
        kind = _c2pa.error_kind(e)
        if kind == "ManifestNotFound":
            return None
        if kind == "NotSupported":
            raise UnsupportedFormatError(f"{path}: format not supported for C2PA") from None
        if kind == "Io":
            raise InputError(f"{path}: {_c2pa.error_text(e)}") from None
        text = _c2pa.error_text(e)
        if text.startswith("Remote:"):
            # Verification stays offline: a hostile file could point anywhere.
            raise ManifestError(
                f"{path}: the manifest is stored remotely and is not fetched; save it beside "
                f"the file as {path.name}.c2pa and verify again"
            ) from None
        return text


def _verify_against_reference(
    path: Path,
    media: MediaType,
    reference: Path,
    ctx: c2pa.Context,
    base: dict[str, Any],
    localize: bool,
    progress: Progress | None,
) -> VerificationReport:
    """The checked file has no manifest: take it from a reference that must itself verify."""
    ref_media = detect(reference)
    if ref_media.kind == "manifest":
        ref_report = None
        manifest_bytes = _read_manifest_file(reference)
        try:
            with (
                open(path, "rb") as f,
                c2pa.Reader(media.mime, f, manifest_bytes, context=ctx) as r,
            ):
                ref_report, manifest = _report_from_reader(r, base, "reference", str(reference))
        except c2pa.C2paError as e:
            raise ManifestError(
                f"{reference}: unusable manifest store ({_c2pa.error_text(e)})"
            ) from None
    else:
        ref_reader = _open_reader(reference, ref_media, None, ctx)
        if not isinstance(ref_reader, c2pa.Reader):
            raise ManifestError(f"{reference}: the reference has no readable manifest")
        with ref_reader:
            ref_report, manifest = _report_from_reader(
                ref_reader, {**base, "path": str(reference)}, "reference", None
            )
        if ref_report.verdict not in (Verdict.VALID, Verdict.TRUSTED):
            raise ManifestError(
                f"{reference}: the reference does not verify ({ref_report.verdict.value}: "
                f"{ref_report.message})"
            )
        # The checked file is not the signed asset, so its hard binding cannot match:
        # say so plainly and let frame localization tell what changed.
        ref_report = replace(
            ref_report,
            path=str(path),
            verdict=Verdict.TAMPERED,
            message="manifest stripped; compared with the reference's signed manifest",
            sidecar=str(reference),
        )
    if localize:
        ref_report = _localize(ref_report, path, media, manifest, progress)
    return ref_report


def _entries(items: Iterable[dict[str, Any]] | None, *, ingredient: bool) -> list[StatusEntry]:
    return [
        StatusEntry(
            code=str(i.get("code", "")),
            explanation=str(i.get("explanation", "")),
            url=str(i.get("url", "")),
            ingredient=ingredient,
        )
        for i in items or []
    ]


def decide(state: str | None, failures: Iterable[StatusEntry]) -> tuple[Verdict, str]:
    """Reduce the library's state and every failure (ingredients' too) to one verdict."""
    codes = {f.code for f in failures}
    blocking = {c for c in codes if not _is_trust_only(c)}
    active_blocking = {f.code for f in failures if not f.ingredient} - {
        c for c in codes if _is_trust_only(c)
    }
    if blocking:
        if active_blocking and active_blocking <= HARD_BINDING_MISMATCH:
            return Verdict.TAMPERED, "the asset was changed after it was signed"
        return Verdict.INVALID, "validation failed: " + ", ".join(sorted(blocking))
    if state == "Invalid":
        return Verdict.INVALID, "the C2PA library reports the manifest invalid"
    if state == "Trusted" and not codes:
        return Verdict.TRUSTED, "signature valid and signer trusted"
    if state in ("Valid", "Trusted"):
        return Verdict.VALID, "signature valid, signer not trusted"
    return Verdict.INVALID, f"unexpected validation state {state!r}"


def _report_from_reader(
    reader: c2pa.Reader, base: dict[str, Any], source: str, sidecar: str | None
) -> tuple[VerificationReport, dict[str, Any]]:
    """The report for what the reader found, and the active manifest it is about."""
    state = reader.get_validation_state()
    results = reader.get_validation_results() or {}
    active = results.get("activeManifest") or {}
    failures = _entries(active.get("failure"), ingredient=False)
    for delta in results.get("ingredientDeltas") or []:
        failures += _entries((delta.get("validationDeltas") or {}).get("failure"), ingredient=True)
    informational = _entries(active.get("informational"), ingredient=False)
    success_codes = {str(s.get("code")) for s in active.get("success") or []}
    verdict, message = decide(state, failures)

    try:
        manifest: dict[str, Any] = reader.get_active_manifest() or {}
    except (KeyError, ValueError, c2pa.C2paError):
        manifest = {}  # the store has no usable active manifest: the failures say why
    sig = manifest.get("signature_info") or {}
    cert = _certificate_info(reader, manifest.get("label"))
    signer = (
        SignerInfo(
            subject=_dn(cert.get("subject")) or str(sig.get("common_name", "")),
            issuer=_dn(cert.get("issuer")) or str(sig.get("issuer", "")),
            serial_number=cert.get("serialNumber") or sig.get("cert_serial_number"),
            not_before=(cert.get("validity") or {}).get("notBefore"),
            not_after=(cert.get("validity") or {}).get("notAfter"),
            algorithm=str(sig.get("alg", "")).lower() or None,
        )
        if sig or cert
        else None
    )
    stamped = "timeStamp.validated" in success_codes
    timestamp = TimestampInfo(
        time=sig.get("time"),
        source="timestamp" if sig.get("time") else "none",
        trusted=stamped and "timeStamp.trusted" in success_codes,
        validated=stamped,
    )
    report = VerificationReport(
        **base,
        verdict=verdict,
        message=message,
        manifest_source=source,
        sidecar=sidecar,
        manifest_label=manifest.get("label"),
        title=manifest.get("title"),
        claim_generator=_generator(manifest),
        signer=signer,
        timestamp=timestamp,
        actions=tuple(_actions(manifest)),
        ingredients=tuple(_ingredients(manifest)),
        failures=tuple(failures),
        informational=tuple(informational),
        validation_state=state,
    )
    return report, manifest


def _certificate_info(reader: c2pa.Reader, label: str | None) -> dict[str, Any]:
    try:
        doc = json.loads(reader.crjson())
    except (c2pa.C2paError, ValueError):
        return {}
    for m in doc.get("manifests") or []:
        if m.get("label") == label:
            info: dict[str, Any] = (m.get("signature") or {}).get("certificateInfo") or {}
            return info
    return {}


def _dn(name: dict[str, Any] | None) -> str:
    if not name:
        return ""
    return ", ".join(f"{k}={v}" for k, v in name.items())


def _generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info") or []
    if info:
        first = info[0]
        return " ".join(str(x) for x in (first.get("name"), first.get("version")) if x)
    gen = manifest.get("claim_generator")
    return str(gen) if gen else None


def _actions(manifest: dict[str, Any]) -> list[Action]:
    out: list[Action] = []
    for a in manifest.get("assertions") or []:
        if not str(a.get("label", "")).startswith("c2pa.actions"):
            continue
        for act in (a.get("data") or {}).get("actions") or []:
            agent = act.get("softwareAgent")
            if isinstance(agent, dict):
                agent = " ".join(str(x) for x in (agent.get("name"), agent.get("version")) if x)
            out.append(
                Action(
                    action=str(act.get("action", "")),
                    digital_source_type=act.get("digitalSourceType"),
                    software_agent=agent,
                    when=act.get("when"),
                )
            )
    return out


def _ingredients(manifest: dict[str, Any]) -> list[Ingredient]:
    out = []
    for ing in manifest.get("ingredients") or []:
        vr = ((ing.get("validation_results") or {}).get("activeManifest") or {}).get("failure")
        out.append(
            Ingredient(
                title=ing.get("title"),
                relationship=ing.get("relationship"),
                format=ing.get("format"),
                manifest=ing.get("active_manifest"),
                failures=tuple(sorted({str(f.get("code")) for f in vr or []})),
            )
        )
    return out


def _localize(
    report: VerificationReport,
    path: Path,
    media: MediaType,
    manifest: dict[str, Any],
    progress: Progress | None,
) -> VerificationReport:
    """Hook for frame and region localization (see provenance.frames)."""
    return report


def verify_many(
    paths: Iterable[Path | str],
    *,
    trust: TrustAnchors | Iterable[Path | str] | None = None,
    reference: Path | str | None = None,
    localize: bool = True,
    progress: Progress | None = None,
) -> list[VerificationReport]:
    """Verify several files; a file that cannot be checked gets an `error` report."""
    anchors = (
        trust if isinstance(trust, TrustAnchors) or trust is None else TrustAnchors.load(trust)
    )
    reports = []
    for p in paths:
        try:
            reports.append(
                verify(p, trust=anchors, reference=reference, localize=localize, progress=progress)
            )
        except ProvenanceError as e:
            reports.append(error_report(p, e))
    return reports


def batch_exit_code(reports: Iterable[VerificationReport]) -> int:
    """0 every file passed, 1 some file failed verification, 2 some file could not be checked."""
    reports = list(reports)
    if any(r.verdict is Verdict.ERROR for r in reports):
        return 2
    return 0 if all(r.passed for r in reports) else 1


def batch_to_dict(reports: Iterable[VerificationReport]) -> dict[str, Any]:
    """The document `verify --json` prints (schemas/verification-report.schema.json)."""
    items = [r.to_dict() for r in reports]
    return {
        "schema_version": 1,
        "generator": {
            "name": "provenance-toolkit",
            "version": __version__,
            "c2pa": _c2pa.SDK_VERSION,
        },
        "reports": items,
        "summary": {
            "files": len(items),
            "passed": sum(1 for r in items if r["passed"]),
            "verdicts": {
                v.value: sum(1 for r in items if r["verdict"] == v.value) for v in Verdict
            },
        },
    }
