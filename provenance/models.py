"""Result types. Each has one `to_dict()` path to JSON, described by a schema in
`schemas/`, and a `from_dict()` that reads it back (a cached or remote report comes back
typed). Importing this module costs no NumPy, PyAV or C2PA library.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ._rules import (
    AssetStatus,
    Clock,
    IdentityStatus,
    NodeStatus,
    TrustStatus,
    Verdict,
    batch_exit_code,
    blocking,
    history_exit_code,
    sign_batch_exit_code,
)
from .errors import ExitCode

__all__ = [
    "Action",
    "AssetStatus",
    "CaptureFacts",
    "ChangedFile",
    "Clock",
    "CreatorIdentity",
    "FragmentReport",
    "FrameRegions",
    "FrameReport",
    "Generator",
    "Geometry",
    "History",
    "HistoryNode",
    "IdentityStatus",
    "Ingredient",
    "LookupResult",
    "Match",
    "NodeStatus",
    "ParentIngredient",
    "Position",
    "Redaction",
    "RegisterResult",
    "RegisterStatus",
    "Retimed",
    "Segment",
    "SequenceReport",
    "SignBatch",
    "SignOutcome",
    "SignResult",
    "SignerInfo",
    "SourceKind",
    "StatusEntry",
    "TimestampInfo",
    "TrustDecision",
    "TrustStatus",
    "ValidityCheck",
    "Verdict",
    "VerificationBatch",
    "VerificationReport",
    "VerifiedIdentity",
]

_Rect = tuple[int, int, int, int]  # x, y, width, height in pixels


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _rect(value: Iterable[Any]) -> _Rect:
    x, y, w, h = (int(v) for v in value)
    return (x, y, w, h)


class SourceKind(enum.StrEnum):
    """Where the manifest a report is about came from."""

    EMBEDDED = "embedded"  # inside the checked file
    SIDECAR = "sidecar"  # a .c2pa store beside it (or beside a folder of frames)
    REFERENCE = "reference"  # a signed original or .c2pa store named by the user
    REGISTRY = "registry"  # the signed original found in a manifest registry (--lookup)


@dataclass(frozen=True)
class Generator:
    """Who wrote a JSON document: the toolkit and the C2PA library versions."""

    name: str
    version: str
    c2pa: str

    def to_dict(self) -> dict[str, str]:
        """The `generator` object of our JSON documents."""
        return {"name": self.name, "version": self.version, "c2pa": self.c2pa}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Generator:
        """Read back `to_dict()` output."""
        return cls(str(d["name"]), str(d["version"]), str(d["c2pa"]))


@dataclass(frozen=True)
class StatusEntry:
    """One C2PA validation status, as the C2PA library reported it."""

    code: str
    explanation: str = ""
    url: str = ""
    ingredient: bool = False  # reported inside an ingredient's manifest

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `status`)."""
        return {
            "code": self.code,
            "explanation": self.explanation,
            "url": self.url,
            "ingredient": self.ingredient,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StatusEntry:
        """Read back `to_dict()` output."""
        return cls(str(d["code"]), str(d["explanation"]), str(d["url"]), bool(d["ingredient"]))


@dataclass(frozen=True)
class SignerInfo:
    """The signer's certificate, as the C2PA library reported it.

    With `certificate` False the certificate itself was not read (`verify(...,
    signer_certificate=False)`): the names are the common name (`CN=...`) and the
    issuer's organisation (`O=...`) from the library's summary, and the validity is
    unknown."""

    subject: str
    issuer: str
    serial_number: str | None = None  # hex
    not_before: str | None = None
    not_after: str | None = None
    algorithm: str | None = None
    certificate: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `signer`)."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial_number": self.serial_number,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "algorithm": self.algorithm,
            "certificate": self.certificate,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SignerInfo:
        """Read back `to_dict()` output."""
        return cls(
            str(d["subject"]),
            str(d["issuer"]),
            _opt(d.get("serial_number")),
            _opt(d.get("not_before")),
            _opt(d.get("not_after")),
            _opt(d.get("algorithm")),
            bool(d.get("certificate", True)),
        )


@dataclass(frozen=True)
class TimestampInfo:
    """The signing time and what proves it. `validated` (verified: the timestamp token's
    signature and message imprint check out) and `trusted` (its authority chains to one of
    the verifier's trust anchors) are separate facts; `explanation` says both in words."""

    time: str | None  # ISO 8601, or None when the manifest states no time
    source: str  # "timestamp" (RFC 3161) or "none"
    trusted: bool  # True only when the timestamp authority chains to a supplied anchor
    validated: bool  # the timestamp token's signature and message imprint checked out
    authority: str | None = None  # the timestamp authority's name, when known
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `timestamp`)."""
        return {
            "time": self.time,
            "source": self.source,
            "trusted": self.trusted,
            "validated": self.validated,
            "authority": self.authority,
            "explanation": self.explanation,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TimestampInfo:
        """Read back `to_dict()` output."""
        return cls(
            _opt(d.get("time")),
            str(d["source"]),
            bool(d["trusted"]),
            bool(d["validated"]),
            _opt(d.get("authority")),
            str(d.get("explanation") or ""),
        )


@dataclass(frozen=True)
class ValidityCheck:
    """When the signer's certificate was judged against its validity dates, by which clock
    (a timestamp the C2PA library accepted, else the current time), and the finding."""

    clock: Clock
    at: str | None  # ISO 8601: the timestamp's time it was judged at; None: the current time
    valid: bool
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `validity`)."""
        return {
            "clock": self.clock.value,
            "at": self.at,
            "valid": self.valid,
            "explanation": self.explanation,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ValidityCheck:
        """Read back `to_dict()` output."""
        return cls(Clock(d["clock"]), _opt(d.get("at")), bool(d["valid"]), str(d["explanation"]))


@dataclass(frozen=True)
class TrustDecision:
    """Whether the signer is trusted, and why."""

    decision: TrustStatus
    reason: str
    rule: str | None = None  # "trust_anchor", "trust_anchor+allowed_signer"
    anchor: str | None = None  # subject of the anchor the chain reached, when known
    allowed_signer: str | None = None  # SHA-256 of the allow-listed certificate matched

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `trust`)."""
        return {
            "decision": self.decision.value,
            "reason": self.reason,
            "rule": self.rule,
            "anchor": self.anchor,
            "allowed_signer": self.allowed_signer,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrustDecision:
        """Read back `to_dict()` output."""
        return cls(
            TrustStatus(d["decision"]),
            str(d["reason"]),
            _opt(d.get("rule")),
            _opt(d.get("anchor")),
            _opt(d.get("allowed_signer")),
        )


@dataclass(frozen=True)
class Action:
    """One action of a `c2pa.actions` assertion."""

    action: str
    digital_source_type: str | None = None
    software_agent: str | None = None
    when: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report and history schemas, `actions`)."""
        return {
            "action": self.action,
            "digital_source_type": self.digital_source_type,
            "software_agent": self.software_agent,
            "when": self.when,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Action:
        """Read back `to_dict()` output."""
        return cls(
            str(d["action"]),
            _opt(d.get("digital_source_type")),
            _opt(d.get("software_agent")),
            _opt(d.get("when")),
        )


@dataclass(frozen=True)
class Ingredient:
    """An ingredient of the active manifest, with the failures found in its own manifest."""

    title: str | None
    relationship: str | None
    format: str | None
    manifest: str | None  # label of the ingredient's own manifest, if it had one
    failures: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `ingredients`)."""
        return {
            "title": self.title,
            "relationship": self.relationship,
            "format": self.format,
            "manifest": self.manifest,
            "failures": list(self.failures),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Ingredient:
        """Read back `to_dict()` output."""
        return cls(
            _opt(d.get("title")),
            _opt(d.get("relationship")),
            _opt(d.get("format")),
            _opt(d.get("manifest")),
            tuple(str(c) for c in d.get("failures") or ()),
        )


# ------------------------------------------------------------------- who made it, and how


@dataclass(frozen=True)
class VerifiedIdentity:
    """One identity an identity claims aggregator vouched for (a verified social media
    account, web site, document, affiliation)."""

    type: str  # cawg.social_media, cawg.document_verification, cawg.affiliation, ...
    name: str | None
    uri: str | None
    provider: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `verified_identity`)."""
        return {"type": self.type, "name": self.name, "uri": self.uri, "provider": self.provider}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VerifiedIdentity:
        """Read back `to_dict()` output."""
        return cls(str(d["type"]), _opt(d.get("name")), _opt(d.get("uri")), _opt(d.get("provider")))


@dataclass(frozen=True)
class CreatorIdentity:
    """A named actor who stands behind the manifest: one CAWG identity assertion, as read
    and validated. Its status is its own, apart from the claim signer's verdict."""

    label: str  # cawg.identity, cawg.identity__1, ...
    sig_type: str  # cawg.x509.cose or cawg.identity_claims_aggregation
    status: IdentityStatus
    explanation: str  # the status in plain words
    name: str | None = None  # X.509: the certificate's CN; aggregation: the first verified name
    organization: str | None = None  # X.509: the certificate's O
    email: str | None = None
    roles: tuple[str, ...] = ()  # cawg.creator, cawg.editor, ...
    referenced: tuple[str, ...] = ()  # labels of the assertions its signature covers
    certificate_sha256: str | None = None  # X.509: SHA-256 of the DER certificate, hex
    issuer: str | None = None  # X.509: the issuer's CN; aggregation: the issuer's DID
    verified: tuple[VerifiedIdentity, ...] = ()
    success: tuple[str, ...] = ()  # the C2PA library's codes for it, by kind
    failures: tuple[str, ...] = ()
    informational: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `identity`)."""
        return {
            "label": self.label,
            "sig_type": self.sig_type,
            "status": self.status.value,
            "explanation": self.explanation,
            "name": self.name,
            "organization": self.organization,
            "email": self.email,
            "roles": list(self.roles),
            "referenced": list(self.referenced),
            "certificate_sha256": self.certificate_sha256,
            "issuer": self.issuer,
            "verified": [v.to_dict() for v in self.verified],
            "success": list(self.success),
            "failures": list(self.failures),
            "informational": list(self.informational),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CreatorIdentity:
        """Read back `to_dict()` output."""

        def strings(key: str) -> tuple[str, ...]:
            return tuple(str(x) for x in d.get(key) or ())

        return cls(
            label=str(d["label"]),
            sig_type=str(d["sig_type"]),
            status=IdentityStatus(d["status"]),
            explanation=str(d["explanation"]),
            name=_opt(d.get("name")),
            organization=_opt(d.get("organization")),
            email=_opt(d.get("email")),
            roles=strings("roles"),
            referenced=strings("referenced"),
            certificate_sha256=_opt(d.get("certificate_sha256")),
            issuer=_opt(d.get("issuer")),
            verified=tuple(VerifiedIdentity.from_dict(v) for v in d.get("verified") or ()),
            success=strings("success"),
            failures=strings("failures"),
            informational=strings("informational"),
        )


class Redaction(enum.StrEnum):
    """A group of capture facts that can be withheld (and stripped from the file)."""

    LOCATION = "location"  # GPS position and place names
    DEVICE = "device"  # camera or phone make, model, lens, serial numbers, software
    TIME = "time"  # when it was captured (and the file's other timestamps)


@dataclass(frozen=True)
class Position:
    """Where it was captured."""

    latitude: float  # degrees, north positive
    longitude: float  # degrees, east positive
    altitude: float | None = None  # metres above sea level

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `position`)."""
        return {"latitude": self.latitude, "longitude": self.longitude, "altitude": self.altitude}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Position:
        """Read back `to_dict()` output."""
        alt = d.get("altitude")
        return cls(float(d["latitude"]), float(d["longitude"]), None if alt is None else float(alt))


# The fields each redaction group withholds.
_GROUPS = {
    Redaction.LOCATION: ("position",),
    Redaction.DEVICE: ("make", "model", "lens"),
    Redaction.TIME: ("captured_at",),
}


@dataclass(frozen=True)
class CaptureFacts:
    """How it was captured, as the file's own metadata or a manifest's metadata assertion
    says. Every field is optional; `redacted` names the groups deliberately withheld."""

    make: str | None = None
    model: str | None = None
    lens: str | None = None
    captured_at: str | None = None  # ISO 8601, with the UTC offset when the file gives it
    exposure_time: str | None = None  # seconds, as photographers write it: "1/125"
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None  # millimetres
    position: Position | None = None
    orientation: int | None = None  # EXIF orientation, 1 to 8
    redacted: tuple[Redaction, ...] = ()

    @property
    def is_empty(self) -> bool:
        """No fact at all (redactions aside)."""
        return self == CaptureFacts(redacted=self.redacted)

    def has(self, group: Redaction) -> bool:
        """Whether any fact of `group` is present."""
        return any(getattr(self, name) is not None for name in _GROUPS[group])

    def without(self, groups: Iterable[Redaction]) -> CaptureFacts:
        """These facts with `groups` left out, each recorded as redacted."""
        groups = set(groups)
        cleared: dict[str, Any] = {name: None for g in groups for name in _GROUPS[g]}
        redacted = tuple(r for r in Redaction if r in groups or r in self.redacted)
        return replace(self, **cleared, redacted=redacted)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `capture`)."""
        return {
            "make": self.make,
            "model": self.model,
            "lens": self.lens,
            "captured_at": self.captured_at,
            "exposure_time": self.exposure_time,
            "f_number": self.f_number,
            "iso": self.iso,
            "focal_length": self.focal_length,
            "position": self.position.to_dict() if self.position else None,
            "orientation": self.orientation,
            "redacted": [r.value for r in self.redacted],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CaptureFacts:
        """Read back `to_dict()` output."""

        def num(v: Any) -> float | None:
            return None if v is None else float(v)

        pos, iso, orientation = d.get("position"), d.get("iso"), d.get("orientation")
        return cls(
            make=_opt(d.get("make")),
            model=_opt(d.get("model")),
            lens=_opt(d.get("lens")),
            captured_at=_opt(d.get("captured_at")),
            exposure_time=_opt(d.get("exposure_time")),
            f_number=num(d.get("f_number")),
            iso=None if iso is None else int(iso),
            focal_length=num(d.get("focal_length")),
            position=Position.from_dict(pos) if pos else None,
            orientation=None if orientation is None else int(orientation),
            redacted=tuple(Redaction(r) for r in d.get("redacted") or ()),
        )


# ------------------------------------------------------------------- change localization


@dataclass(frozen=True)
class FrameRegions:
    """The changed rectangles of checked frames `first`..`last` (a run of frames whose
    regions are equal), so that regions follow a moving edit frame by frame."""

    first: int
    last: int
    regions: list[_Rect]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (frames-report schema, `frame_regions`)."""
        return {"frames": [self.first, self.last], "regions": [list(r) for r in self.regions]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FrameRegions:
        """Read back `to_dict()` output."""
        first, last = d["frames"]
        return cls(int(first), int(last), [_rect(r) for r in d["regions"]])


@dataclass
class Segment:
    """A run of consecutive video frames that share one status (intact, reencoded,
    edited, inserted or missing)."""

    status: str
    checked_range: tuple[int, int] | None
    signed_range: tuple[int, int] | None
    start_time: float
    end_time: float
    regions: list[_Rect] = field(default_factory=list)  # all changed areas of the segment
    frame_regions: list[FrameRegions] = field(default_factory=list)  # edited: per frame

    def to_dict(self) -> dict[str, Any]:
        """JSON form (frames-report schema, `segments`)."""
        return {
            "status": self.status,
            "checked_range": list(self.checked_range) if self.checked_range else None,
            "signed_range": list(self.signed_range) if self.signed_range else None,
            "start_time": round(self.start_time, 6),
            "end_time": round(self.end_time, 6),
            "regions": [list(r) for r in self.regions],
            "frame_regions": [f.to_dict() for f in self.frame_regions],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Segment:
        """Read back `to_dict()` output."""

        def rng(v: Any) -> tuple[int, int] | None:
            return (int(v[0]), int(v[1])) if v else None

        return cls(
            str(d["status"]),
            rng(d.get("checked_range")),
            rng(d.get("signed_range")),
            float(d["start_time"]),
            float(d["end_time"]),
            [_rect(r) for r in d.get("regions") or []],
            [FrameRegions.from_dict(f) for f in d.get("frame_regions") or []],
        )


@dataclass(frozen=True)
class Retimed:
    """A uniform frame-rate change between the signed and the checked video: `dropped`
    signed frames it skipped and `duplicated` checked frames it showed twice, none of them
    counted as missing or inserted."""

    from_fps: float
    to_fps: float
    dropped: int = 0
    duplicated: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form (frames-report schema, `retimed`)."""
        return {
            "from_fps": self.from_fps,
            "to_fps": self.to_fps,
            "dropped": self.dropped,
            "duplicated": self.duplicated,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Retimed:
        """Read back `to_dict()` output."""
        return cls(
            float(d["from_fps"]), float(d["to_fps"]), int(d["dropped"]), int(d["duplicated"])
        )


@dataclass
class FrameReport:
    """Frame-level verification result for one video (frames-report schema)."""

    signed_frame_count: int
    checked_frame_count: int
    summary: dict[str, int]  # frames per status
    segments: list[Segment]
    retimed: Retimed | None = None  # a uniform frame-rate change, explained once

    @property
    def unchanged(self) -> bool:
        """True if every signed frame is present, in order, without visual edits."""
        return not (self.summary["edited"] or self.summary["inserted"] or self.summary["missing"])

    def to_dict(self) -> dict[str, Any]:
        """JSON form (frames-report schema)."""
        return {
            "signed_frame_count": self.signed_frame_count,
            "checked_frame_count": self.checked_frame_count,
            "summary": dict(self.summary),
            "segments": [s.to_dict() for s in self.segments],
            "retimed": self.retimed.to_dict() if self.retimed else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FrameReport:
        """Read back `to_dict()` output."""
        return cls(
            int(d["signed_frame_count"]),
            int(d["checked_frame_count"]),
            {str(k): int(v) for k, v in d["summary"].items()},
            [Segment.from_dict(s) for s in d["segments"]],
            Retimed.from_dict(d["retimed"]) if d.get("retimed") else None,
        )


@dataclass
class ChangedFile:
    """A frame file of an image sequence that changed, with its changed regions."""

    name: str
    regions: list[_Rect]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `sequence.changed`)."""
        return {"name": self.name, "regions": [list(r) for r in self.regions]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ChangedFile:
        """Read back `to_dict()` output."""
        return cls(str(d["name"]), [_rect(r) for r in d.get("regions") or []])


@dataclass
class SequenceReport:
    """Per-file outcome of checking an image sequence folder against its fingerprint."""

    unchanged: list[str] = field(default_factory=list)  # exact or re-encoded only
    changed: list[ChangedFile] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No frame file changed, was added or went missing."""
        return not (self.changed or self.added or self.missing)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `sequence`)."""
        return {
            "unchanged": list(self.unchanged),
            "changed": [c.to_dict() for c in self.changed],
            "added": list(self.added),
            "missing": list(self.missing),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SequenceReport:
        """Read back `to_dict()` output."""
        return cls(
            [str(n) for n in d["unchanged"]],
            [ChangedFile.from_dict(c) for c in d["changed"]],
            [str(n) for n in d["added"]],
            [str(n) for n in d["missing"]],
        )


@dataclass(frozen=True)
class FragmentReport:
    """One media segment of a fragmented MP4 stream, checked against its init segment."""

    path: str
    verdict: Verdict
    message: str
    start_time: float | None = None  # seconds, from the fragment's own timing
    end_time: float | None = None
    failures: tuple[str, ...] = ()  # the failing C2PA status codes (trust-only ones too)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `fragments`)."""
        return {
            "path": self.path,
            "verdict": self.verdict.value,
            "message": self.message,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "failures": list(self.failures),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FragmentReport:
        """Read back `to_dict()` output."""

        def num(v: Any) -> float | None:
            return None if v is None else float(v)

        return cls(
            str(d["path"]),
            Verdict(d["verdict"]),
            str(d["message"]),
            num(d.get("start_time")),
            num(d.get("end_time")),
            tuple(str(c) for c in d.get("failures") or ()),
        )


# ------------------------------------------------------------------------ the registry


class RegisterStatus(enum.StrEnum):
    """What registering one manifest did."""

    ADDED = "added"
    UNCHANGED = "unchanged"  # the same store was already registered: nothing to do
    CONFLICT = "conflict"  # a different store is registered under this manifest id
    # Only in per-file runs (`register_each`), where one file's failure is its own row:
    REFUSED = "refused"  # no, invalid or untrusted credentials: nothing registered
    ERROR = "error"  # the file or the registry could not be read or written


@dataclass(frozen=True)
class RegisterResult:
    """The outcome of registering one signed file's manifest (register-result schema)."""

    manifest_id: str
    status: RegisterStatus
    path: str | None = None  # the signed file it came from, when registered from one
    reason: str | None = None  # why a file was refused or failed (one line for users)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (register-result schema, one entry of `results`)."""
        d = {"path": self.path, "manifest_id": self.manifest_id, "status": self.status.value}
        if self.reason is not None:
            d["reason"] = self.reason
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RegisterResult:
        """Read back `to_dict()` output."""
        return cls(
            str(d["manifest_id"]),
            RegisterStatus(d["status"]),
            _opt(d.get("path")),
            _opt(d.get("reason")),
        )


_Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Geometry:
    """Where the signed picture lies in the checked one: the crop hypothesis that aligned
    best (zoom >= 1 when the copy was cropped, centre shift in picture sizes) and the signed
    frame's box [x, y, w, h] in the checked file's pixels."""

    zoom: float
    shift: tuple[float, float]
    signed_box: _Box

    def to_checked(self, rect: _Rect, signed_size: tuple[int, int]) -> _Rect:
        """A rectangle [x, y, w, h] in the signed frame's pixels (`signed_size`), in the
        checked file's pixels."""
        bx, by, bw, bh = self.signed_box
        sx, sy = bw / signed_size[0], bh / signed_size[1]
        x, y, w, h = rect
        x0, y0 = round(bx + x * sx), round(by + y * sy)
        x1, y1 = round(bx + (x + w) * sx), round(by + (y + h) * sy)
        return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))

    def to_dict(self) -> dict[str, Any]:
        """JSON form (a match's `geometry`)."""
        return {
            "zoom": self.zoom,
            "shift": list(self.shift),
            "signed_box": [round(v, 1) for v in self.signed_box],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Geometry:
        """Read back `to_dict()` output."""
        dx, dy = (float(v) for v in d["shift"])
        x, y, w, h = (float(v) for v in d["signed_box"])
        return cls(float(d["zoom"]), (dx, dy), (x, y, w, h))


def _range(r: tuple[float, float] | None) -> list[float] | None:
    return [round(r[0], 3), round(r[1], 3)] if r else None


def _read_range(r: Any) -> tuple[float, float] | None:
    return (float(r[0]), float(r[1])) if r else None


@dataclass(frozen=True)
class Match:
    """A registered manifest whose fingerprint the checked file's aligns with (the
    anti-spoofing rule of docs/registry.md): how similar, which seconds of the signed
    original the checked file covers, and where its picture lies."""

    manifest_id: str
    similarity: int  # 0-100
    title: str | None
    signer: str | None
    kind: str  # "video" or "image"
    signed_range: tuple[float, float] | None  # seconds of the signed video
    checked_range: tuple[float, float] | None  # seconds of the checked file
    aligned_blocks: int
    compared_blocks: int
    geometry: Geometry
    registered: int = 0  # registration order (ranking only; not part of the JSON)
    verdict: Verdict | None = None  # the recovered manifest's, for the match verified

    def to_dict(self) -> dict[str, Any]:
        """JSON form (one entry of `lookup.matches`)."""
        return {
            "manifest_id": self.manifest_id,
            "similarity": self.similarity,
            "title": self.title,
            "signer": self.signer,
            "verdict": self.verdict.value if self.verdict else None,
            "kind": self.kind,
            "signed_range": _range(self.signed_range),
            "checked_range": _range(self.checked_range),
            "aligned_blocks": self.aligned_blocks,
            "compared_blocks": self.compared_blocks,
            "geometry": self.geometry.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Match:
        """Read back `to_dict()` output."""
        return cls(
            manifest_id=str(d["manifest_id"]),
            similarity=int(d["similarity"]),
            title=_opt(d.get("title")),
            signer=_opt(d.get("signer")),
            kind=str(d["kind"]),
            signed_range=_read_range(d.get("signed_range")),
            checked_range=_read_range(d.get("checked_range")),
            aligned_blocks=int(d["aligned_blocks"]),
            compared_blocks=int(d["compared_blocks"]),
            geometry=Geometry.from_dict(d["geometry"]),
            verdict=Verdict(d["verdict"]) if d.get("verdict") else None,
        )


@dataclass(frozen=True)
class LookupResult:
    """What a registry said about one file (lookup schema; a report's `lookup` block):
    the signed originals it matches, best first; none when no signed original was found."""

    registry: str  # where it was looked up (a database URL without its password)
    path: str
    kind: str  # "video" or "image"
    matches: tuple[Match, ...]
    decoded_ms: int = 0  # how much of a video was decoded to answer

    @property
    def found(self) -> bool:
        """Whether a signed original was found."""
        return bool(self.matches)

    @property
    def best(self) -> Match | None:
        """The best match, when there is one."""
        return self.matches[0] if self.matches else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (lookup schema)."""
        return {
            "registry": self.registry,
            "path": self.path,
            "kind": self.kind,
            "found": self.found,
            "matches": [m.to_dict() for m in self.matches],
            "decoded_ms": self.decoded_ms,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LookupResult:
        """Read back `to_dict()` output."""
        return cls(
            registry=str(d["registry"]),
            path=str(d["path"]),
            kind=str(d["kind"]),
            matches=tuple(Match.from_dict(m) for m in d.get("matches") or ()),
            decoded_ms=int(d.get("decoded_ms", 0)),
        )


# ---------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of verifying one file. `verdict` says it all; the rest says why."""

    path: str
    verdict: Verdict
    message: str
    format: str | None = None
    manifest_source: SourceKind | None = None
    sidecar: str | None = None  # the store's file, for a sidecar or reference source
    manifest_label: str | None = None
    title: str | None = None
    claim_generator: str | None = None
    authors: tuple[str, ...] = ()  # the CreativeWork assertion's authors, as signed
    identities: tuple[CreatorIdentity, ...] = ()  # who stands behind it (CAWG), each judged
    capture: CaptureFacts | None = None  # how it was captured, as the manifest records it
    # The file's own metadata (EXIF, XMP, IPTC, container tags) holds a GPS position or
    # place: anyone who gets the file can read it, signed or not.
    metadata_location: bool = False
    signer: SignerInfo | None = None
    timestamp: TimestampInfo | None = None
    validity: ValidityCheck | None = None
    trust_anchors_supplied: bool = False
    trust: TrustDecision | None = None
    actions: tuple[Action, ...] = ()
    ingredients: tuple[Ingredient, ...] = ()
    failures: tuple[StatusEntry, ...] = ()
    informational: tuple[StatusEntry, ...] = ()
    validation_state: str | None = None  # the C2PA library's own word
    regions: tuple[_Rect, ...] = ()  # changed regions of a tampered still
    frames: FrameReport | None = None  # frame-level localization for video
    sequence: SequenceReport | None = None  # per-file outcome for a signed image sequence
    fragments: tuple[FragmentReport, ...] = ()  # per-segment outcome of a fragmented stream
    lookup: LookupResult | None = None  # what a registry said, when one was asked (--lookup)

    @property
    def passed(self) -> bool:
        """Trusted, or valid when no trust anchors were supplied."""
        return self.verdict.passes(trust_required=self.trust_anchors_supplied)

    @property
    def status_codes(self) -> list[str]:
        """Every failing C2PA status code, sorted and unique."""
        return sorted({s.code for s in self.failures})

    def to_dict(self) -> dict[str, Any]:
        """JSON form (verification-report schema, `report`)."""
        return {
            "path": self.path,
            "verdict": self.verdict.value,
            "passed": self.passed,
            "message": self.message,
            "format": self.format,
            "manifest_source": self.manifest_source.value if self.manifest_source else None,
            "sidecar": self.sidecar,
            "manifest_label": self.manifest_label,
            "title": self.title,
            "claim_generator": self.claim_generator,
            "authors": list(self.authors),
            "identities": [i.to_dict() for i in self.identities],
            "capture": self.capture.to_dict() if self.capture else None,
            "metadata_location": self.metadata_location,
            "signer": self.signer.to_dict() if self.signer else None,
            "timestamp": self.timestamp.to_dict() if self.timestamp else None,
            "validity": self.validity.to_dict() if self.validity else None,
            "trust_anchors_supplied": self.trust_anchors_supplied,
            "trust": self.trust.to_dict() if self.trust else None,
            "actions": [a.to_dict() for a in self.actions],
            "ingredients": [i.to_dict() for i in self.ingredients],
            "status_codes": self.status_codes,
            "failures": [s.to_dict() for s in self.failures],
            "informational": [s.to_dict() for s in self.informational],
            "validation_state": self.validation_state,
            "regions": [list(r) for r in self.regions],
            "frames": self.frames.to_dict() if self.frames else None,
            "sequence": self.sequence.to_dict() if self.sequence else None,
            "fragments": [f.to_dict() for f in self.fragments],
            "lookup": self.lookup.to_dict() if self.lookup else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VerificationReport:
        """Read back `to_dict()` output (`passed` and `status_codes` are derived, so they
        are recomputed, not read). Raises KeyError, TypeError or ValueError when `d` is
        not such a document."""
        source = d.get("manifest_source")
        return cls(
            path=str(d["path"]),
            verdict=Verdict(d["verdict"]),
            message=str(d["message"]),
            format=_opt(d.get("format")),
            manifest_source=SourceKind(source) if source is not None else None,
            sidecar=_opt(d.get("sidecar")),
            manifest_label=_opt(d.get("manifest_label")),
            title=_opt(d.get("title")),
            claim_generator=_opt(d.get("claim_generator")),
            authors=tuple(str(a) for a in d.get("authors") or ()),
            identities=tuple(CreatorIdentity.from_dict(i) for i in d.get("identities") or ()),
            capture=CaptureFacts.from_dict(d["capture"]) if d.get("capture") else None,
            metadata_location=bool(d.get("metadata_location", False)),
            signer=SignerInfo.from_dict(d["signer"]) if d.get("signer") else None,
            timestamp=TimestampInfo.from_dict(d["timestamp"]) if d.get("timestamp") else None,
            validity=ValidityCheck.from_dict(d["validity"]) if d.get("validity") else None,
            trust_anchors_supplied=bool(d.get("trust_anchors_supplied", False)),
            trust=TrustDecision.from_dict(d["trust"]) if d.get("trust") else None,
            actions=tuple(Action.from_dict(a) for a in d.get("actions") or ()),
            ingredients=tuple(Ingredient.from_dict(i) for i in d.get("ingredients") or ()),
            failures=tuple(StatusEntry.from_dict(s) for s in d["failures"]),
            informational=tuple(StatusEntry.from_dict(s) for s in d.get("informational") or ()),
            validation_state=_opt(d.get("validation_state")),
            regions=tuple(_rect(r) for r in d.get("regions") or ()),
            frames=FrameReport.from_dict(d["frames"]) if d.get("frames") else None,
            sequence=SequenceReport.from_dict(d["sequence"]) if d.get("sequence") else None,
            fragments=tuple(FragmentReport.from_dict(f) for f in d.get("fragments") or ()),
            lookup=LookupResult.from_dict(d["lookup"]) if d.get("lookup") else None,
        )


@dataclass(frozen=True)
class VerificationBatch:
    """The reports of one `verify` run over several files (verification-report schema)."""

    reports: tuple[VerificationReport, ...]
    generator: Generator

    @property
    def exit_code(self) -> ExitCode:
        """OK every file passed, FAILED some file failed verification, ERROR some file
        could not be checked."""
        return batch_exit_code(self.reports)

    def to_dict(self) -> dict[str, Any]:
        """The document `verify --json` prints."""
        return {
            "schema_version": 1,
            "generator": self.generator.to_dict(),
            "reports": [r.to_dict() for r in self.reports],
            "summary": {
                "files": len(self.reports),
                "passed": sum(1 for r in self.reports if r.passed),
                "verdicts": {
                    v.value: sum(1 for r in self.reports if r.verdict is v) for v in Verdict
                },
            },
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VerificationBatch:
        """Read back `to_dict()` output (the summary is derived, so it is recomputed)."""
        return cls(
            tuple(VerificationReport.from_dict(r) for r in d["reports"]),
            Generator.from_dict(d["generator"]),
        )


@dataclass(frozen=True)
class ParentIngredient:
    """The file a signing recorded as its parent ingredient (the input itself when it
    already carried credentials, or `--parent`), with what its own credentials showed."""

    path: str
    manifest: str | None  # label of its active manifest; None when it had no credentials
    verdict: Verdict  # of its own credentials, as verify would judge them without anchors
    message: str
    failures: tuple[str, ...] = ()  # the blocking C2PA status codes recorded with it

    @property
    def intact(self) -> bool:
        """Its credentials validate (or it had none, so none were lost)."""
        return self.verdict in (Verdict.TRUSTED, Verdict.VALID, Verdict.UNSIGNED)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (sign-result schema, `parent`)."""
        return {
            "path": self.path,
            "manifest": self.manifest,
            "verdict": self.verdict.value,
            "message": self.message,
            "failures": list(self.failures),
        }


@dataclass(frozen=True)
class SignResult:
    """What `sign` wrote (sign-result schema)."""

    input: str
    output: str  # "-" when the signed bytes went to standard output
    format: str
    manifest_bytes: int
    sidecar: bool
    frames_signed: int | None = None
    action: str = "c2pa.created"  # the action the new manifest records
    source_type: str | None = None  # the IPTC digital source type it declares
    parent: ParentIngredient | None = None
    creator: str | None = None  # the creator identity's certificate subject, when one signed
    creator_roles: tuple[str, ...] = ()
    capture: CaptureFacts | None = None  # the capture facts recorded (None: not recorded)
    # Groups withheld from the manifest and stripped from the output's own metadata.
    redacted: tuple[Redaction, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as `sign --json` prints it (sign-result schema)."""
        return {
            "input": self.input,
            "output": self.output,
            "format": self.format,
            "manifest_bytes": self.manifest_bytes,
            "sidecar": self.sidecar,
            "frames_signed": self.frames_signed,
            "action": self.action,
            "source_type": self.source_type,
            "parent": self.parent.to_dict() if self.parent else None,
            "creator": self.creator,
            "creator_roles": list(self.creator_roles),
            "capture": self.capture.to_dict() if self.capture else None,
            "redacted": [r.value for r in self.redacted],
        }


@dataclass(frozen=True)
class SignOutcome:
    """One input of a batch signing: what was written, or why nothing was."""

    input: str
    result: SignResult | None  # None: the input was not signed
    error: str | None = None  # the one-line reason, when it was not
    exit_code: ExitCode = ExitCode.OK  # ERROR: could not be signed; INTERNAL: a bug

    @property
    def ok(self) -> bool:
        """Whether the input was signed."""
        return self.result is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (sign-batch schema, `rows`)."""
        done = self.result.to_dict() if self.result is not None else {}
        return {
            "input": self.input,
            "ok": self.ok,
            "exit_code": int(self.exit_code),
            "error": self.error,
            "output": done.get("output"),
            "format": done.get("format"),
            "manifest_bytes": done.get("manifest_bytes"),
            "sidecar": done.get("sidecar"),
            "frames_signed": done.get("frames_signed"),
            "action": done.get("action"),
            "source_type": done.get("source_type"),
            "parent": done.get("parent"),
        }


@dataclass(frozen=True)
class SignBatch:
    """The outcome of one `sign_many` run: a row per input, in input order."""

    out_dir: str
    rows: tuple[SignOutcome, ...]
    generator: Generator

    @property
    def exit_code(self) -> ExitCode:
        """OK every input was signed, ERROR some could not be, INTERNAL some hit a bug."""
        return sign_batch_exit_code(r.exit_code for r in self.rows)

    def summary(self) -> dict[str, int]:
        """How many inputs were signed and how many were not."""
        signed = sum(1 for r in self.rows if r.ok)
        return {"inputs": len(self.rows), "signed": signed, "failed": len(self.rows) - signed}

    def to_dict(self) -> dict[str, Any]:
        """The document `sign --out-dir DIR --json` prints (sign-batch schema)."""
        return {
            "schema_version": 1,
            "generator": self.generator.to_dict(),
            "out_dir": self.out_dir,
            "exit_code": int(self.exit_code),
            "summary": self.summary(),
            "rows": [r.to_dict() for r in self.rows],
        }


# ---------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryNode:
    """One manifest in a provenance tree: who signed it, what was done, how it validates,
    and the ingredients it was made from."""

    title: str | None
    format: str | None
    relationship: str | None  # how this node is used by its parent: parentOf, componentOf...
    manifest: str | None  # manifest label; None for an ingredient without credentials
    signer: str | None
    issuer: str | None
    signed_at: str | None
    claim_generator: str | None
    actions: tuple[Action, ...]
    authors: tuple[str, ...]
    status: NodeStatus
    failures: tuple[str, ...]  # every failure code found, trust-only ones included
    ingredients: tuple[HistoryNode, ...]
    identities: tuple[CreatorIdentity, ...] = ()  # who made it (CAWG), each judged
    capture: CaptureFacts | None = None  # how it was captured, as its manifest says

    @property
    def problems(self) -> tuple[str, ...]:
        """The failures that make this link fail: all but the trust-only codes (trust is
        judged by the verifier's anchors, not by what the signer's tool thought)."""
        return blocking(self.failures)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (history schema, `node`)."""
        return {
            "title": self.title,
            "format": self.format,
            "relationship": self.relationship,
            "manifest": self.manifest,
            "signer": self.signer,
            "issuer": self.issuer,
            "signed_at": self.signed_at,
            "claim_generator": self.claim_generator,
            "actions": [a.to_dict() for a in self.actions],
            "authors": list(self.authors),
            "identities": [i.to_dict() for i in self.identities],
            "capture": self.capture.to_dict() if self.capture else None,
            "status": self.status.value,
            "failures": list(self.failures),
            "ingredients": [i.to_dict() for i in self.ingredients],
        }


@dataclass(frozen=True)
class History:
    """The provenance tree of a file (history schema)."""

    path: str
    verdict: Verdict
    message: str
    root: HistoryNode | None  # None for an unsigned file
    trust_anchors_supplied: bool = False

    def nodes(self) -> list[HistoryNode]:
        """Every node of the tree, the file's own first, depth first."""

        def walk(n: HistoryNode) -> list[HistoryNode]:
            return [n, *(m for i in n.ingredients for m in walk(i))]

        return walk(self.root) if self.root else []

    @property
    def exit_code(self) -> ExitCode:
        """As `verify` for the file, and FAILED when any link of its tree fails."""
        return history_exit_code(
            self.verdict,
            (n.status for n in self.nodes()),
            trust_required=self.trust_anchors_supplied,
        )

    @property
    def passed(self) -> bool:
        """The file and every link of its tree pass."""
        return self.exit_code is ExitCode.OK

    @property
    def depth(self) -> int:
        """How many manifests deep the tree goes (0 for an unsigned file)."""

        def d(n: HistoryNode | None) -> int:
            return 0 if n is None else 1 + max((d(i) for i in n.ingredients), default=0)

        return d(self.root)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (history schema)."""
        return {
            "schema_version": 1,
            "path": self.path,
            "verdict": self.verdict.value,
            "message": self.message,
            "passed": self.passed,
            "trust_anchors_supplied": self.trust_anchors_supplied,
            "root": self.root.to_dict() if self.root else None,
        }
