"""Verify a file's content credentials and reduce them to one verdict."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import c2pa

from . import _c2pa, fingerprints
from ._manifest import (
    HARD_BINDING_MISMATCH,
    actions,
    certificate_info,
    dn,
    generator,
    ingredients,
    is_trust_only,
)
from .errors import InputError, ManifestError, ProvenanceError, UnsupportedFormatError
from .formats import MediaType, check_regular_file, detect, open_regular
from .models import (
    SignerInfo,
    StatusEntry,
    TimestampInfo,
    TrustDecision,
    Verdict,
    VerificationReport,
)
from .trust import Trust

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

_MAX_SIDECAR = 256 * 1024 * 1024  # a manifest store this large is hostile, not real

Progress = Callable[[int, int | None], None]


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
    trust: Trust | Iterable[Path | str] | None = None,
    reference: Path | str | None = None,
    localize: bool = True,
    progress: Progress | None = None,
) -> VerificationReport:
    """Verify `path` and return a report; raises `ProvenanceError` only when the file
    cannot be checked at all (missing, unreadable, unsupported). A folder signed as an
    image sequence (with `FOLDER.c2pa` beside it) is verified file by file.

    trust: a `Trust`, or trust-anchor file paths; without anchors no file is ever
        `trusted`.
    reference: a signed file or `.c2pa` manifest store whose manifest the checked file
        should be compared with, for when the manifest was stripped from it.
    localize: for video and images carrying our fingerprints, say which frames and
        regions changed.
    """
    from .sequence import sequence_sidecar, verify_sequence

    path = Path(path)
    trust = Trust.coerce(trust)
    if path.is_dir() and sequence_sidecar(path).is_file():
        return verify_sequence(path, trust=trust, progress=progress)
    media = detect(path)
    ctx = _c2pa.context(trust_anchors_pem=trust.anchors_pem, allowed_pem=trust.allowed_pem)

    manifest_data: bytes | None = None
    source = "embedded"
    sidecar = find_sidecar(path)
    if sidecar is not None:
        manifest_data, source = _read_manifest_file(sidecar), "sidecar"

    base: dict[str, Any] = {
        "path": str(path),
        "format": media.mime,
        "trust_anchors_supplied": trust.supplied,
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
            path, media, Path(reference), ctx, trust, base, localize, progress
        )
    with reader:
        report, manifest = _report_from_reader(
            reader, base, source, str(sidecar) if sidecar else None, trust
        )
    if localize:
        report = fingerprints.localize(report, path, media, manifest, progress)
    return report


def _open_reader(
    path: Path, media: MediaType, manifest_data: bytes | None, ctx: c2pa.Context
) -> c2pa.Reader | str | None:
    """A Reader, None when there is no manifest, or the library's complaint as text."""
    try:
        with open_regular(path) as f:
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
    trust: Trust,
    base: dict[str, Any],
    localize: bool,
    progress: Progress | None,
) -> VerificationReport:
    """The checked file has no manifest: take it from a reference that must itself verify."""
    ref_media = detect(reference)
    if ref_media.kind == "manifest":
        manifest_bytes = _read_manifest_file(reference)
        try:
            with (
                open(path, "rb") as f,
                c2pa.Reader(media.mime, f, manifest_bytes, context=ctx) as r,
            ):
                ref_report, manifest = _report_from_reader(
                    r, base, "reference", str(reference), trust
                )
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
                ref_reader, {**base, "path": str(reference)}, "reference", None, trust
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
        ref_report = fingerprints.localize(ref_report, path, media, manifest, progress)
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


# What each C2PA failure means, for the one-line message; the most telling first.
_EXPLAIN = {
    "claimSignature.mismatch": "the claim signature does not verify (manifest altered or "
    "signed with another key)",
    "claimSignature.missing": "the claim signature is missing",
    "signingCredential.expired": "the signer's certificate was expired or not yet valid "
    "at signing time",
    "signingCredential.invalid": "the signer's certificate is not valid for C2PA signing "
    "(key usage, extended key usage or profile)",
    "signingCredential.revoked": "the signer's certificate was revoked",
    "algorithm.unsupported": "the signature uses an unsupported algorithm",
    "assertion.hashedURI.mismatch": "an assertion was changed after signing",
    "assertion.missing": "an assertion the claim refers to is missing",
    "assertion.required.missing": "a required assertion is missing",
    "ingredient.manifest.missing": "an ingredient's manifest is missing (broken chain)",
    "ingredient.hashedURI.mismatch": "an ingredient's manifest was changed (broken chain)",
    "timeStamp.mismatch": "the timestamp does not match the signature",
    "timeStamp.outsideValidity": "the timestamp is outside the signer certificate's validity",
}


def _explain(codes: set[str], ingredient_only: bool) -> str:
    for code, text in _EXPLAIN.items():
        if code in codes:
            where = "in an ingredient: " if ingredient_only else ""
            return f"{where}{text} ({code})"
    where = "an ingredient failed validation: " if ingredient_only else "validation failed: "
    return where + ", ".join(sorted(codes))


def decide(state: str | None, failures: Iterable[StatusEntry]) -> tuple[Verdict, str]:
    """Reduce the library's state and every failure (ingredients' too) to one verdict."""
    codes = {f.code for f in failures}
    blocking = {c for c in codes if not is_trust_only(c)}
    active_blocking = {f.code for f in failures if not f.ingredient} - {
        c for c in codes if is_trust_only(c)
    }
    if blocking:
        if active_blocking and active_blocking <= HARD_BINDING_MISMATCH:
            return Verdict.TAMPERED, "the asset was changed after it was signed"
        return Verdict.INVALID, _explain(blocking, ingredient_only=not active_blocking)
    if state == "Invalid":
        return Verdict.INVALID, "the C2PA library reports the manifest invalid"
    if state == "Trusted" and not codes:
        return Verdict.TRUSTED, "signature valid and signer trusted"
    if state in ("Valid", "Trusted"):
        return Verdict.VALID, "signature valid, signer not trusted"
    return Verdict.INVALID, f"unexpected validation state {state!r}"


def _decide_trust(
    verdict: Verdict, message: str, trust: Trust, signer: SignerInfo | None, codes: set[str]
) -> tuple[Verdict, str, TrustDecision]:
    """Say whether and why the signer is trusted; narrow `trusted` by the allow-list."""
    if not trust.supplied:
        return verdict, message, TrustDecision("not_checked", "no trust anchors were supplied")
    if verdict is not Verdict.TRUSTED or signer is None:
        if signer is not None and signer.subject == signer.issuer:
            why = "the signer's certificate is self-signed, not issued by a trust anchor"
        elif "signingCredential.expired" in codes:
            why = "the signer's certificate was not valid at signing time"
        elif "signingCredential.invalid" in codes:
            why = "the signer's certificate is not valid for C2PA signing"
        elif verdict in (Verdict.VALID, Verdict.TAMPERED):
            why = "the signer's chain does not reach any supplied trust anchor"
        else:
            why = "the signature did not validate, so its signer cannot be trusted"
        return verdict, message, TrustDecision("untrusted", why)
    anchor = trust.anchor_for(signer.issuer)
    if not trust.allowed:
        why = (
            f"chain validated to trust anchor {anchor}"
            if anchor
            else "chain validated to a supplied trust anchor (through an intermediate)"
        )
        return verdict, message, TrustDecision("trusted", why, "trust_anchor", anchor)
    pinned = trust.allowed_signer(signer.subject, signer.issuer, signer.serial_number)
    if pinned is None:
        why = "the chain reaches a trust anchor, but the signer is not on the allow-list"
        return Verdict.VALID, why, TrustDecision("untrusted", why, anchor=anchor)
    why = "chain validated to a trust anchor and the signer is on the allow-list"
    decision = TrustDecision("trusted", why, "trust_anchor+allowed_signer", anchor, pinned)
    return verdict, message, decision


def _report_from_reader(
    reader: c2pa.Reader,
    base: dict[str, Any],
    source: str,
    sidecar: str | None,
    trust: Trust,
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
    cert = certificate_info(reader, manifest.get("label"))
    signer = (
        SignerInfo(
            subject=dn(cert.get("subject")) or str(sig.get("common_name", "")),
            issuer=dn(cert.get("issuer")) or str(sig.get("issuer", "")),
            serial_number=cert.get("serialNumber"),  # hex
            not_before=(cert.get("validity") or {}).get("notBefore"),
            not_after=(cert.get("validity") or {}).get("notAfter"),
            algorithm=str(sig.get("alg", "")).lower() or None,
        )
        if sig or cert
        else None
    )
    verdict, message, decision = _decide_trust(
        verdict, message, trust, signer, {f.code for f in failures}
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
        claim_generator=generator(manifest),
        signer=signer,
        timestamp=timestamp,
        trust=decision,
        actions=tuple(actions(manifest)),
        ingredients=tuple(ingredients(manifest)),
        failures=tuple(failures),
        informational=tuple(informational),
        validation_state=state,
    )
    return report, manifest


def verify_many(
    paths: Iterable[Path | str],
    *,
    trust: Trust | Iterable[Path | str] | None = None,
    reference: Path | str | None = None,
    localize: bool = True,
    progress: Progress | None = None,
) -> list[VerificationReport]:
    """Verify several files; a file that cannot be checked gets an `error` report."""
    trust = Trust.coerce(trust)
    reports = []
    for p in paths:
        try:
            reports.append(
                verify(p, trust=trust, reference=reference, localize=localize, progress=progress)
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
        "generator": _c2pa.generator(),
        "reports": items,
        "summary": {
            "files": len(items),
            "passed": sum(1 for r in items if r["passed"]),
            "verdicts": {
                v.value: sum(1 for r in items if r["verdict"] == v.value) for v in Verdict
            },
        },
    }
