"""Who made it: creator identities (CAWG identity assertions), to sign and to read back.

A C2PA signature says which key signed the claim: usually the software or the
organisation that ran it. The Creator Assertions Working Group's identity assertion
(`cawg.identity`) adds the named actor, a person or an organisation, with their own
credential and their role (`cawg.creator`, `cawg.editor`, ...), bound to the same
manifest: its signer payload references the hard binding and the assertions the actor
stands behind (here the actions and the capture metadata).

We sign identity assertions of the X.509 kind (`sig_type` `cawg.x509.cose`) with a
`Creator`: an `Identity` (key file, PKCS#12 or callback, so HSM/KMS keys work) and its
roles. We read both kinds, X.509 and identity claims aggregation
(`cawg.identity_claims_aggregation`), into `CreatorIdentity` results whose status comes
from the C2PA library's validation codes.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from .errors import UsageError
from .identity import Identity

__all__ = [
    "ROLES",
    "REFERENCED_ASSERTIONS",
    "Creator",
    "CreatorIdentity",
    "IdentityStatus",
    "VerifiedIdentity",
    "fingerprint",
    "read_identities",
]

# Named actor roles defined by the CAWG identity assertion specification (1.1 to 1.3).
ROLES = (
    "cawg.creator", "cawg.contributor", "cawg.editor", "cawg.producer",
    "cawg.publisher", "cawg.sponsor", "cawg.translator",
)  # fmt: skip
# Labels a creator's signature covers besides the hard binding (which c2pa-rs always
# adds). Labels missing from a manifest are skipped; both actions labels are named
# because the builder writes c2pa.actions as c2pa.actions.v2.
REFERENCED_ASSERTIONS = ("c2pa.actions", "c2pa.actions.v2", "c2pa.metadata")

X509_SIG_TYPE = "cawg.x509.cose"
ICA_SIG_TYPE = "cawg.identity_claims_aggregation"
_COSE_X5CHAIN = 33


@dataclass(frozen=True)
class Creator:
    """A named actor who signs a CAWG identity assertion into the manifest."""

    identity: Identity
    roles: tuple[str, ...] = ("cawg.creator",)

    def __post_init__(self) -> None:
        if not self.roles:
            raise UsageError("give the creator at least one role, e.g. cawg.creator")
        for role in self.roles:
            if role.startswith("cawg.") and role not in ROLES:
                raise UsageError(f"unknown CAWG role {role!r}; choose one of {', '.join(ROLES)}")
            if "." not in role or any(c.isspace() for c in role):
                # Other roles are allowed by the specification, in a namespace of their own.
                raise UsageError(
                    f"role {role!r} must be a CAWG role ({', '.join(ROLES)}) or a "
                    "namespaced label such as com.example.photographer"
                )

    @classmethod
    def from_pem(
        cls,
        key_path: Path | str,
        cert_path: Path | str,
        *,
        roles: Sequence[str] = ("cawg.creator",),
        passphrase: bytes | None = None,
    ) -> Creator:
        return cls(Identity.from_pem(key_path, cert_path, passphrase=passphrase), tuple(roles))


class IdentityStatus(enum.StrEnum):
    """What the C2PA library's codes prove about one identity assertion."""

    TRUSTED = "trusted"  # signature valid and the credential chains to a configured anchor
    VALID = "valid"  # well-formed and the signature checks; the credential is not trusted here
    UNVERIFIED = "unverified"  # could not be checked here (e.g. issuer unknown or unreachable)
    INVALID = "invalid"  # a check failed: do not rely on this identity


# Failures that say "not trusted here" or "could not be checked offline", not "wrong".
_NOT_PROVEN = {"cawg.x509.credential.untrusted", "cawg.ica.untrusted_issuer"}
_UNREACHABLE = {"cawg.ica.did_unavailable"}
_TRUSTED = {"cawg.x509.credential.trusted", "cawg.ica.credential_valid"}
_WELL_FORMED = {"cawg.identity.well-formed", "cawg.x509.signature.validated"}


@dataclass(frozen=True)
class VerifiedIdentity:
    """One identity an aggregator vouched for (identity claims aggregation)."""

    type: str  # cawg.social_media, cawg.document_verification, cawg.affiliation, ...
    name: str | None
    uri: str | None
    provider: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "uri": self.uri, "provider": self.provider}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VerifiedIdentity:
        return cls(type=d["type"], name=d.get("name"), uri=d.get("uri"), provider=d.get("provider"))


@dataclass(frozen=True)
class CreatorIdentity:
    """One `cawg.identity` assertion of a manifest, as read and validated."""

    label: str  # cawg.identity, cawg.identity__1, ...
    sig_type: str
    status: IdentityStatus
    name: str | None = None  # X.509: subject CN; aggregation: the first verified name
    organization: str | None = None  # X.509: subject O
    email: str | None = None
    roles: tuple[str, ...] = ()
    referenced: tuple[str, ...] = ()  # labels of the assertions the signature covers
    certificate_sha256: str | None = None  # X.509: SHA-256 of the DER leaf certificate
    issuer: str | None = None  # X.509: issuer CN; aggregation: the issuer's DID
    verified: tuple[VerifiedIdentity, ...] = ()
    codes: tuple[str, ...] = field(default=())  # "kind:code" the library reported for it

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "sig_type": self.sig_type,
            "status": self.status.value,
            "name": self.name,
            "organization": self.organization,
            "email": self.email,
            "roles": list(self.roles),
            "referenced": list(self.referenced),
            "certificate_sha256": self.certificate_sha256,
            "issuer": self.issuer,
            "verified": [v.to_dict() for v in self.verified],
            "codes": list(self.codes),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CreatorIdentity:
        return cls(
            label=d["label"],
            sig_type=d["sig_type"],
            status=IdentityStatus(d["status"]),
            name=d.get("name"),
            organization=d.get("organization"),
            email=d.get("email"),
            roles=tuple(d.get("roles", ())),
            referenced=tuple(d.get("referenced", ())),
            certificate_sha256=d.get("certificate_sha256"),
            issuer=d.get("issuer"),
            verified=tuple(VerifiedIdentity.from_dict(v) for v in d.get("verified", ())),
            codes=tuple(d.get("codes", ())),
        )


def read_identities(
    assertions: Iterable[Mapping[str, Any]],
    results: Mapping[str, Any],
    assertion_store: Mapping[str, Any] | None = None,
) -> tuple[CreatorIdentity, ...]:
    """The identity assertions of one manifest.

    assertions: the manifest's `assertions` list from the Reader's JSON (the library
        decodes identity assertions there); results: that manifest's validation results
        (`success`/`informational`/`failure` lists); assertion_store: the same
        manifest's `assertion_store` from the Reader's detailed JSON, which keeps the
        raw COSE signature and so the X.509 certificate (for its fingerprint).
    """
    found = []
    for a in assertions:
        label = str(a.get("label", ""))
        if label != "cawg.identity" and not label.startswith("cawg.identity__"):
            continue
        data = a.get("data")
        if not isinstance(data, Mapping):
            data = {}
        raw = (assertion_store or {}).get(label)
        found.append(_identity(label, data, raw if isinstance(raw, Mapping) else {}, results))
    return tuple(found)


def _identity(
    label: str, data: Mapping[str, Any], raw: Mapping[str, Any], results: Mapping[str, Any]
) -> CreatorIdentity:
    codes = _codes_for(label, results)
    if "c2paAsset" in data:  # identity claims aggregation: a W3C verifiable credential
        payload = _mapping(data.get("c2paAsset"))
        verified = tuple(_verified(v) for v in data.get("verifiedIdentities") or ())
        return CreatorIdentity(
            label=label,
            sig_type=str(payload.get("sig_type", ICA_SIG_TYPE)),
            status=_status(codes),
            name=next((v.name for v in verified if v.name), None),
            roles=_roles(payload),
            referenced=_referenced(payload),
            issuer=str(data["issuer"]) if data.get("issuer") else None,
            verified=verified,
            codes=tuple(f"{kind}:{code}" for kind, code in codes),
        )
    payload = _mapping(data.get("signer_payload") or raw.get("signer_payload"))
    info = _mapping(data.get("signature_info"))
    cert = _leaf_certificate(raw.get("signature"))
    return CreatorIdentity(
        label=label,
        sig_type=str(payload.get("sig_type", "")),
        status=_status(codes),
        name=_attr(cert, NameOID.COMMON_NAME) if cert else info.get("common_name"),
        organization=_attr(cert, NameOID.ORGANIZATION_NAME) if cert else info.get("issuer"),
        email=_email(cert) if cert else None,
        roles=_roles(payload),
        referenced=_referenced(payload),
        certificate_sha256=cert.fingerprint(hashes.SHA256()).hex() if cert else None,
        issuer=_issuer_name(cert) if cert else None,
        codes=tuple(f"{kind}:{code}" for kind, code in codes),
    )


def _codes_for(label: str, results: Mapping[str, Any]) -> list[tuple[str, str]]:
    suffix = "/" + label
    return [
        (kind, str(item.get("code", "")))
        for kind in ("success", "informational", "failure")
        for item in results.get(kind) or ()
        if str(item.get("url", "")).endswith(suffix)
    ]


def _status(codes: list[tuple[str, str]]) -> IdentityStatus:
    failures = {c for kind, c in codes if kind == "failure"}
    successes = {c for kind, c in codes if kind == "success"}
    if failures - _NOT_PROVEN - _UNREACHABLE:
        return IdentityStatus.INVALID
    if failures & _UNREACHABLE:
        return IdentityStatus.UNVERIFIED
    if successes & _TRUSTED and not failures:
        return IdentityStatus.TRUSTED
    if successes & _WELL_FORMED:
        return IdentityStatus.VALID
    return IdentityStatus.UNVERIFIED


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _roles(payload: Mapping[str, Any]) -> tuple[str, ...]:
    roles = payload.get("role") or payload.get("roles") or ()
    return tuple(str(r) for r in ([roles] if isinstance(roles, str) else roles))


def _referenced(payload: Mapping[str, Any]) -> tuple[str, ...]:
    refs = payload.get("referenced_assertions") or ()
    return tuple(str(_mapping(r).get("url", "")).rsplit("/", 1)[-1] for r in refs)


def _verified(v: Any) -> VerifiedIdentity:
    v = _mapping(v)
    provider = _mapping(v.get("provider"))
    return VerifiedIdentity(
        type=str(v.get("type", "")),
        name=v.get("name") or v.get("username"),
        uri=v.get("uri"),
        provider=provider.get("name") or provider.get("id"),
    )


def _leaf_certificate(signature: Any) -> x509.Certificate | None:
    """The signer certificate from a COSE_Sign1 signature's x5chain header, if readable."""
    try:
        raw = base64.b64decode(signature, validate=True) if isinstance(signature, str) else None
        if raw is None:
            return None
        cose = cbor2.loads(raw)
        items = cose.value if isinstance(cose, cbor2.CBORTag) else cose
        protected = cbor2.loads(items[0]) if items[0] else {}
        unprotected = items[1] if isinstance(items[1], dict) else {}
        chain = protected.get(_COSE_X5CHAIN) or unprotected.get(_COSE_X5CHAIN)
        leaf = chain[0] if isinstance(chain, list) else chain
        return x509.load_der_x509_certificate(leaf) if isinstance(leaf, bytes) else None
    except (binascii.Error, cbor2.CBORDecodeError, ValueError, TypeError, IndexError, KeyError):
        return None  # the library has judged the signature; we only lose the fingerprint


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
    except x509.ExtensionNotFound:
        pass
    return _attr(cert, NameOID.EMAIL_ADDRESS)


def fingerprint(cert: bytes) -> str:
    """SHA-256 fingerprint (hex) of a PEM or DER certificate, comparable with
    `CreatorIdentity.certificate_sha256`."""
    loaded = (
        x509.load_pem_x509_certificate(cert)
        if cert.lstrip().startswith(b"-----")
        else x509.load_der_x509_certificate(cert)
    )
    return loaded.fingerprint(hashes.SHA256()).hex()
