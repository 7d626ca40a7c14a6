"""Reading the parts of a C2PA manifest that reports show, from c2pa-python's JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from . import _capture
from ._rules import blocking, identity_ruling, timestamp_ruling
from ._vocab import ACTIONS_LABEL, CREATIVE_WORK_LABEL, IDENTITY_LABEL
from .models import (
    Action,
    CaptureFacts,
    CreatorIdentity,
    Ingredient,
    SignerInfo,
    StatusEntry,
    TimestampInfo,
    VerifiedIdentity,
)

__all__ = [
    "actions",
    "assertion_data",
    "authors",
    "capture",
    "dn",
    "generator",
    "identities",
    "identity_labels",
    "ingredients",
    "signer",
    "status_entries",
    "timestamp",
]


def dn(name: Mapping[str, Any] | None) -> str:
    """A distinguished name as the C2PA library spells it (`CN=..., O=...`)."""
    if not name:
        return ""
    return ", ".join(f"{k}={v}" for k, v in name.items())


def generator(manifest: Mapping[str, Any]) -> str | None:
    """The claim generator: name and version of the tool that wrote the manifest."""
    info = manifest.get("claim_generator_info") or []
    if info:
        first = info[0]
        return " ".join(str(x) for x in (first.get("name"), first.get("version")) if x)
    gen = manifest.get("claim_generator")
    return str(gen) if gen else None


def assertion_data(manifest: Mapping[str, Any], label: str) -> dict[str, Any] | None:
    """The data of the manifest's assertion with this label, when it is an object."""
    for a in manifest.get("assertions") or []:
        if a.get("label") == label and isinstance(a.get("data"), dict):
            data: dict[str, Any] = a["data"]
            return data
    return None


def authors(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """The authors' names the manifest's CreativeWork assertion states (`sign --author`)."""
    data = assertion_data(manifest, CREATIVE_WORK_LABEL) or {}
    people = data.get("author")
    if isinstance(people, dict):
        people = [people]
    names = (p.get("name") if isinstance(p, dict) else p for p in people or [])
    return tuple(str(n) for n in names if isinstance(n, str) and n.strip())


def actions(manifest: Mapping[str, Any]) -> list[Action]:
    """Every action of the manifest's `c2pa.actions` assertions, in order."""
    out: list[Action] = []
    for a in manifest.get("assertions") or []:
        if not str(a.get("label", "")).startswith(ACTIONS_LABEL):
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


def ingredients(manifest: Mapping[str, Any]) -> list[Ingredient]:
    """The manifest's ingredients, each with the failures recorded for its own manifest."""
    out = []
    for ing in manifest.get("ingredients") or []:
        vr = ((ing.get("validation_results") or {}).get("activeManifest") or {}).get("failure")
        out.append(
            Ingredient(
                title=ing.get("title"),
                relationship=ing.get("relationship"),
                format=ing.get("format"),
                manifest=ing.get("active_manifest"),
                # Trust is judged when verifying, with the verifier's anchors, not by
                # what the signer's tool thought of it at signing time.
                failures=blocking(str(f.get("code")) for f in vr or []),
            )
        )
    return out


def signer(manifest: Mapping[str, Any], certificate: Mapping[str, Any]) -> SignerInfo | None:
    """The signer, from the manifest's signature info and its certificate's details."""
    sig = manifest.get("signature_info") or {}
    if not (sig or certificate):
        return None
    return SignerInfo(
        subject=dn(certificate.get("subject")) or str(sig.get("common_name", "")),
        issuer=dn(certificate.get("issuer")) or str(sig.get("issuer", "")),
        serial_number=certificate.get("serialNumber"),  # hex
        not_before=(certificate.get("validity") or {}).get("notBefore"),
        not_after=(certificate.get("validity") or {}).get("notAfter"),
        algorithm=str(sig.get("alg", "")).lower() or None,
    )


def timestamp(
    manifest: Mapping[str, Any],
    signature: Mapping[str, Any],
    success: Mapping[str, str],
    *,
    anchors_supplied: bool,
) -> TimestampInfo:
    """The signing time, and what proves it: from the manifest's signature info, the
    signature's timestamp details (`signature`: the crJSON `signature` block) and the
    library's success codes with their explanations."""
    sig = manifest.get("signature_info") or {}
    stamp = signature.get("timeStampInfo") or {}
    time = sig.get("time") or stamp.get("timestamp")
    subject = (stamp.get("certificateInfo") or {}).get("subject") or {}
    authority = subject.get("CN") or _after_colon(success.get("timeStamp.validated"))
    version = manifest.get("claim_version")
    ruling = timestamp_ruling(
        present=bool(time) or "timeStamp.validated" in success,
        verified="timeStamp.validated" in success,
        chain_checked="timeStamp.trusted" in success,
        authority=str(authority) if authority else None,
        claim_version=version if isinstance(version, int) else None,
        anchors_supplied=anchors_supplied,
    )
    return TimestampInfo(
        time=time,
        source="timestamp" if time else "none",
        trusted=ruling.trusted,
        validated=ruling.verified,
        authority=str(authority) if authority else None,
        explanation=ruling.explanation,
    )


def _after_colon(explanation: str | None) -> str | None:
    """The name in "timestamp message digest matched: NAME"."""
    if not explanation or ": " not in explanation:
        return None
    return explanation.split(": ", 1)[1].strip() or None


def status_entries(
    items: Iterable[Mapping[str, Any]] | None, *, ingredient: bool
) -> list[StatusEntry]:
    """Validation statuses from the library's JSON."""
    return [
        StatusEntry(
            code=str(i.get("code", "")),
            explanation=str(i.get("explanation", "")),
            url=str(i.get("url", "")),
            ingredient=ingredient,
        )
        for i in items or []
    ]


# ------------------------------------------------------------------- who made it, and how


def capture(manifest: Mapping[str, Any]) -> CaptureFacts | None:
    """The capture facts the manifest records, with the groups it says were withheld."""
    return _capture.from_manifest(manifest.get("assertions") or [])


def identity_labels(manifest: Mapping[str, Any]) -> list[str]:
    """The labels of the manifest's CAWG identity assertions (`cawg.identity`,
    `cawg.identity__1`, ...)."""
    labels = (str(a.get("label", "")) for a in manifest.get("assertions") or [])
    return [label for label in labels if _is_identity(label)]


def _is_identity(label: str) -> bool:
    return label.split("__", 1)[0] == IDENTITY_LABEL


def identities(
    manifest: Mapping[str, Any],
    results: Mapping[str, Any],
    certificates: Mapping[str, bytes],
    *,
    anchors_supplied: bool,
) -> tuple[CreatorIdentity, ...]:
    """The manifest's creator identities (CAWG identity assertions, X.509 and identity
    claims aggregation kinds), each judged by the codes the C2PA library reported for it.

    results: the store's validation results for its active manifest (`success`,
        `failure` and `informational` lists): c2pa-rs reports there the identities of
        every manifest of the store, each under a URL naming its manifest and assertion.
    certificates: each X.509 identity's signer certificate (DER) by assertion label,
        for its fingerprint.
    anchors_supplied: identity anchors were given (without them none is trusted)."""
    found = []
    for a in manifest.get("assertions") or []:
        label = str(a.get("label", ""))
        if not _is_identity(label):
            continue
        data = _mapping(a.get("data"))
        where = _assertion_url(str(manifest.get("label") or ""), label)
        codes = {kind: _codes_for(where, results, kind) for kind in _KINDS}
        ruling = identity_ruling(
            codes["success"], codes["failure"], codes["informational"],
            anchors_supplied=anchors_supplied,
        )  # fmt: skip
        judged = CreatorIdentity(
            label=label,
            sig_type="",
            status=ruling.status,
            explanation=ruling.explanation,
            success=codes["success"],
            failures=codes["failure"],
            informational=codes["informational"],
        )
        if "c2paAsset" in data:  # identity claims aggregation: a W3C verifiable credential
            found.append(_aggregated(judged, data))
        else:
            found.append(_x509(judged, data, certificates.get(label)))
    return tuple(found)


_KINDS = ("success", "failure", "informational")


def _assertion_url(manifest: str, assertion: str) -> str:
    return f"self#jumbf=/c2pa/{manifest}/c2pa.assertions/{assertion}"


def _codes_for(url: str, results: Mapping[str, Any], kind: str) -> tuple[str, ...]:
    items = [_mapping(i) for i in _items(results.get(kind))]
    return tuple(str(i.get("code", "")) for i in items if str(i.get("url", "")) == url)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Any]:
    """A list from a manifest's JSON; anything else (a hostile manifest's) is none."""
    return value if isinstance(value, list) else []


def _roles(payload: Mapping[str, Any]) -> tuple[str, ...]:
    roles = payload.get("role") or payload.get("roles")
    return tuple(str(r) for r in ([roles] if isinstance(roles, str) else _items(roles)))


def _referenced(payload: Mapping[str, Any]) -> tuple[str, ...]:
    refs = _items(payload.get("referenced_assertions"))
    return tuple(str(_mapping(r).get("url", "")).rsplit("/", 1)[-1] for r in refs)


def _aggregated(judged: CreatorIdentity, data: Mapping[str, Any]) -> CreatorIdentity:
    payload = _mapping(data.get("c2paAsset"))
    verified = []
    for v in _items(data.get("verifiedIdentities")):
        v = _mapping(v)
        provider = _mapping(v.get("provider"))
        verified.append(
            VerifiedIdentity(
                type=str(v.get("type", "")),
                name=_str(v.get("name") or v.get("username")),
                uri=_str(v.get("uri")),
                provider=_str(provider.get("name") or provider.get("id")),
            )
        )
    return replace(
        judged,
        sig_type=str(payload.get("sig_type") or "cawg.identity_claims_aggregation"),
        name=next((v.name for v in verified if v.name), None),
        roles=_roles(payload),
        referenced=_referenced(payload),
        issuer=_str(data.get("issuer")),
        verified=tuple(verified),
    )


def _x509(judged: CreatorIdentity, data: Mapping[str, Any], der: bytes | None) -> CreatorIdentity:
    payload = _mapping(data.get("signer_payload"))
    info = _mapping(data.get("signature_info"))
    try:
        cert = x509.load_der_x509_certificate(der) if der else None
    except ValueError:
        cert = None  # the library has judged the signature; only the fingerprint is lost
    return replace(
        judged,
        sig_type=str(payload.get("sig_type", "")),
        name=_attr(cert, NameOID.COMMON_NAME) if cert else _str(info.get("common_name")),
        organization=_attr(cert, NameOID.ORGANIZATION_NAME) if cert else None,
        email=_email(cert) if cert else None,
        roles=_roles(payload),
        referenced=_referenced(payload),
        certificate_sha256=cert.fingerprint(hashes.SHA256()).hex() if cert else None,
        # Without the certificate, the library's own summary names the issuer's organization.
        issuer=_issuer_name(cert) if cert else _str(info.get("issuer")),
    )


def _str(value: Any) -> str | None:
    return str(value) if value else None


def _attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _issuer_name(cert: x509.Certificate) -> str | None:
    values = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def _email(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        emails = san.get_values_for_type(x509.RFC822Name)
        if emails:
            return emails[0]
    except (x509.ExtensionNotFound, ValueError):
        pass
    return _attr(cert, NameOID.EMAIL_ADDRESS)
