"""Result types. Each is immutable and has one `to_dict()` path to JSON, described by
a schema in `schemas/`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Verdict",
    "StatusEntry",
    "SignerInfo",
    "TimestampInfo",
    "TrustDecision",
    "Action",
    "Ingredient",
    "VerificationReport",
    "SignResult",
]


class Verdict(enum.StrEnum):
    """What verification concluded about one file."""

    TRUSTED = "trusted"  # every check passes and the chain ends in a supplied trust anchor
    VALID = "valid"  # every check passes, but the signer is not proven trusted
    TAMPERED = "tampered"  # signed manifest intact, but the asset no longer matches its hash
    INVALID = "invalid"  # signature, certificate or manifest structure fails
    UNSIGNED = "unsigned"  # no manifest
    ERROR = "error"  # unreadable or unsupported: could not check

    def passes(self, *, trust_required: bool) -> bool:
        if self is Verdict.TRUSTED:
            return True
        return self is Verdict.VALID and not trust_required


@dataclass(frozen=True)
class StatusEntry:
    """One C2PA validation status, as the C2PA library reported it."""

    code: str
    explanation: str = ""
    url: str = ""
    ingredient: bool = False  # reported inside an ingredient's manifest

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "explanation": self.explanation,
            "url": self.url,
            "ingredient": self.ingredient,
        }


@dataclass(frozen=True)
class SignerInfo:
    subject: str
    issuer: str
    serial_number: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    algorithm: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial_number": self.serial_number,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "algorithm": self.algorithm,
        }


@dataclass(frozen=True)
class TimestampInfo:
    """The signing time and where it comes from."""

    time: str | None  # ISO 8601, or None when the manifest states no time
    source: str  # "timestamp" (RFC 3161) or "none"
    trusted: bool  # True only when the timestamp authority chains to a trust anchor
    validated: bool  # the timestamp token's signature and imprint checked out

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "source": self.source,
            "trusted": self.trusted,
            "validated": self.validated,
        }


@dataclass(frozen=True)
class TrustDecision:
    """Whether the signer is trusted, and why."""

    decision: str  # "trusted", "untrusted" or "not_checked" (no anchors were supplied)
    reason: str
    rule: str | None = None  # "trust_anchor", "trust_anchor+allowed_signer"
    anchor: str | None = None  # subject of the anchor the chain reached, when known
    allowed_signer: str | None = None  # SHA-256 of the allow-listed certificate matched

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "rule": self.rule,
            "anchor": self.anchor,
            "allowed_signer": self.allowed_signer,
        }


@dataclass(frozen=True)
class Action:
    action: str
    digital_source_type: str | None = None
    software_agent: str | None = None
    when: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "digital_source_type": self.digital_source_type,
            "software_agent": self.software_agent,
            "when": self.when,
        }


@dataclass(frozen=True)
class Ingredient:
    title: str | None
    relationship: str | None
    format: str | None
    manifest: str | None  # label of the ingredient's own manifest, if it had one
    failures: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "relationship": self.relationship,
            "format": self.format,
            "manifest": self.manifest,
            "failures": list(self.failures),
        }


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of verifying one file. `verdict` says it all; the rest says why."""

    path: str
    verdict: Verdict
    message: str
    format: str | None = None
    manifest_source: str | None = None  # "embedded", "sidecar" or "reference"
    sidecar: str | None = None
    manifest_label: str | None = None
    title: str | None = None
    claim_generator: str | None = None
    signer: SignerInfo | None = None
    timestamp: TimestampInfo | None = None
    trust_anchors_supplied: bool = False
    trust: TrustDecision | None = None
    actions: tuple[Action, ...] = ()
    ingredients: tuple[Ingredient, ...] = ()
    failures: tuple[StatusEntry, ...] = ()
    informational: tuple[StatusEntry, ...] = ()
    validation_state: str | None = None  # the C2PA library's own word
    regions: tuple[tuple[int, int, int, int], ...] = ()  # changed regions of a tampered still
    frames: dict[str, Any] | None = None  # frame-level localization for video
    sequence: dict[str, Any] | None = None  # per-file outcome for a signed image sequence

    @property
    def passed(self) -> bool:
        return self.verdict.passes(trust_required=self.trust_anchors_supplied)

    @property
    def status_codes(self) -> list[str]:
        return sorted({s.code for s in self.failures})

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "verdict": self.verdict.value,
            "passed": self.passed,
            "message": self.message,
            "format": self.format,
            "manifest_source": self.manifest_source,
            "sidecar": self.sidecar,
            "manifest_label": self.manifest_label,
            "title": self.title,
            "claim_generator": self.claim_generator,
            "signer": self.signer.to_dict() if self.signer else None,
            "timestamp": self.timestamp.to_dict() if self.timestamp else None,
            "trust_anchors_supplied": self.trust_anchors_supplied,
            "trust": self.trust.to_dict() if self.trust else None,
            "actions": [a.to_dict() for a in self.actions],
            "ingredients": [i.to_dict() for i in self.ingredients],
            "status_codes": self.status_codes,
            "failures": [s.to_dict() for s in self.failures],
            "informational": [s.to_dict() for s in self.informational],
            "validation_state": self.validation_state,
            "regions": [list(r) for r in self.regions],
            "frames": self.frames,
            "sequence": self.sequence,
        }


@dataclass(frozen=True)
class SignResult:
    input: str
    output: str
    format: str
    manifest_bytes: int
    sidecar: bool
    frames_signed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "format": self.format,
            "manifest_bytes": self.manifest_bytes,
            "sidecar": self.sidecar,
            "frames_signed": self.frames_signed,
        }
