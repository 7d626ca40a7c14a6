"""The check policy: which assets must carry which content credentials.

A policy is TOML (`provenance.toml`, or `[tool.provenance]` in `pyproject.toml`),
described by `schemas/policy.schema.json`:

    [trust]
    anchors = ["certs/newsroom-ca.pem"]      # PEM bundles, relative to the policy file
    identity_anchors = ["certs/staff-ca.pem"]  # roots that vouch for creator identities

    [files]
    exclude = ["vendor/**"]                  # never checked

    [rules]                                  # defaults for every asset
    require_manifest = true
    allow_unsigned = ["icons/**"]
    require_trusted = true                   # default: true when trust anchors are given
    allowed_signers = ["CN=Newsroom Signer, O=Example News"]
    forbid_tampered = true
    frames = true                            # no edited, inserted or missing video frames
    allow_reencoded = true
    forbidden_source_types = ["trainedAlgorithmicMedia"]
    require_timestamp = false
    max_age = "365d"
    require_identity = true                  # a creator identity (CAWG) that validates
    allowed_identities = ["Jane Doe", "sha256:3a:fc:..."]  # names or certificate fingerprints
    require_capture_time = true
    forbid_location = true                   # no GPS position in the manifest or the file

    [[overrides]]                            # later overrides win, key by key
    paths = ["ai/**"]
    forbidden_source_types = []
    require_source_type_declared = true

Evaluation works on a typed `VerificationReport`, whether fresh or read back from the
cache, with one small function per rule id; a policy change needs no re-verification
unless it changes the trust anchors.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes

from .._rules import blocking, is_trust_only
from .._vocab import IPTC_SOURCE_TYPE, SOURCE_TYPES, short_source_type
from ..errors import InputError, PolicyError
from ..models import (
    CreatorIdentity,
    IdentityStatus,
    Redaction,
    Segment,
    Verdict,
    VerificationReport,
)
from ..trust import Trust
from . import _globs as globs

__all__ = [
    "RULES",
    "Rules",
    "Override",
    "Policy",
    "Violation",
    "evaluate",
    "load_policy",
    "discover_policy",
    "parse_duration",
]

# Every rule a violation can name: id -> (short description, help). SARIF lists them.
RULES: dict[str, tuple[str, str]] = {
    "unreadable": (
        "Asset could not be checked",
        "The file is recognized as media but could not be read or verified at all.",
    ),
    "internal-error": (
        "Checking the asset hit a bug",
        "Verifying the asset failed with an internal error of the toolkit (please report "
        "it); the run exits with code 3.",
    ),
    "require-manifest": (
        "Asset has no content credentials",
        "rules.require_manifest: every asset needs a C2PA manifest unless a glob in "
        "rules.allow_unsigned matches it.",
    ),
    "invalid-manifest": (
        "Content credentials do not validate",
        "The signature, certificate or manifest structure fails C2PA validation.",
    ),
    "tampered": (
        "Asset changed after signing",
        "rules.forbid_tampered: the signed manifest is intact but the media no longer "
        "matches its hash.",
    ),
    "untrusted-signer": (
        "Signer is not trusted",
        "rules.require_trusted: the signing certificate does not chain to a trust anchor "
        "of the policy.",
    ),
    "signer-not-allowed": (
        "Signer is not on the allowed list",
        "rules.allowed_signers: the signer's certificate subject matches no entry.",
    ),
    "source-type-forbidden": (
        "Forbidden digital source type",
        "rules.forbidden_source_types: the manifest declares a forbidden digital source "
        "type (for example trainedAlgorithmicMedia).",
    ),
    "source-type-not-allowed": (
        "Digital source type not allowed",
        "rules.allowed_source_types: the manifest declares a digital source type outside "
        "the allowed list.",
    ),
    "source-type-undeclared": (
        "No digital source type declared",
        "rules.require_source_type_declared: the asset must declare how it was made.",
    ),
    "timestamp-missing": (
        "No validated timestamp",
        "rules.require_timestamp: the signature needs a validated RFC 3161 timestamp.",
    ),
    "signature-too-old": (
        "Signature older than allowed",
        "rules.max_age: the signing time (timestamp, else the created action's time) is "
        "older than allowed, or unknown.",
    ),
    "identity-missing": (
        "No creator identity that validates",
        "rules.require_identity: the manifest needs a creator identity (CAWG identity "
        "assertion) that validates, and that is trusted when the policy has [trust] "
        "identity_anchors.",
    ),
    "identity-not-allowed": (
        "Creator is not on the allowed list",
        "rules.allowed_identities: no creator identity that validates matches an entry by "
        "name or by its certificate's SHA-256 fingerprint.",
    ),
    "capture-time-missing": (
        "No capture time",
        "rules.require_capture_time: the manifest's capture metadata must say when it was "
        "captured (a redacted time does not).",
    ),
    "location-published": (
        "Asset publishes a location",
        "rules.forbid_location: a GPS position is recorded in the manifest, or the file's "
        "own metadata (EXIF, XMP, IPTC, container tags) still gives away where it was made.",
    ),
    "frames-changed": (
        "Video frames changed after signing",
        "rules.frames: frame-level verification found edited, inserted or missing frames "
        "(or re-encoded ones, unless rules.allow_reencoded).",
    ),
}


@dataclass(frozen=True)
class Violation:
    """One broken rule for one asset, with the evidence behind it."""

    rule: str
    message: str
    status_codes: tuple[str, ...] = ()
    frames: tuple[Segment, ...] = ()  # for frames-changed: the offending segments

    def frames_to_dict(self) -> list[dict[str, Any]]:
        """The offending segments, as check reports show them (no regions)."""
        keys = ("status", "checked_range", "signed_range", "start_time", "end_time")
        return [{k: s.to_dict()[k] for k in keys} for s in self.frames]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (check-report schema, `violation`)."""
        return {
            "rule": self.rule,
            "message": self.message,
            "status_codes": list(self.status_codes),
            "frames": self.frames_to_dict(),
        }


@dataclass(frozen=True)
class Rules:
    """The rules that apply to one asset (defaults with matching overrides applied)."""

    require_manifest: bool = True
    allow_unsigned: tuple[str, ...] = ()
    require_trusted: bool | None = None  # None: true when the policy has trust anchors
    allowed_signers: tuple[str, ...] = ()
    forbid_tampered: bool = True
    frames: bool = True
    allow_reencoded: bool = True
    allowed_source_types: tuple[str, ...] = ()
    forbidden_source_types: tuple[str, ...] = ()
    require_source_type_declared: bool = False
    require_timestamp: bool = False
    max_age: str | None = None
    require_identity: bool = False
    allowed_identities: tuple[str, ...] = ()
    require_capture_time: bool = False
    forbid_location: bool = False


_RULE_TYPES: dict[str, str] = {
    "require_manifest": "bool",
    "allow_unsigned": "globs",
    "require_trusted": "bool",
    "allowed_signers": "strings",
    "forbid_tampered": "bool",
    "frames": "bool",
    "allow_reencoded": "bool",
    "allowed_source_types": "source_types",
    "forbidden_source_types": "source_types",
    "require_source_type_declared": "bool",
    "require_timestamp": "bool",
    "max_age": "duration",
    "require_identity": "bool",
    "allowed_identities": "strings",
    "require_capture_time": "bool",
    "forbid_location": "bool",
}
assert set(_RULE_TYPES) == {f.name for f in fields(Rules)}


@dataclass(frozen=True)
class Override:
    """Rule values that apply to the paths matching some globs."""

    paths: tuple[str, ...]
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Policy:
    """A loaded, validated policy. `Policy()` is the default policy."""

    source: str | None = None  # the file it came from; None for the defaults
    sha256: str | None = None  # of the policy file's bytes
    trust: Trust | None = None
    trust_files: tuple[str, ...] = ()
    allowed_files: tuple[str, ...] = ()
    identity_files: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    require_assets: bool = False  # a check that finds no media at all fails
    rules: Rules = field(default_factory=Rules)
    overrides: tuple[Override, ...] = ()

    @property
    def trust_hash(self) -> str:
        """What of the policy changes verification itself (the cache key's part)."""
        if self.trust is None:
            return ""
        text = f"{self.trust.anchors_pem or ''}\n--allowed--\n{self.trust.allowed_pem or ''}"
        if self.trust.identity_anchors:  # policies without them keep their cache keys
            text += f"\n--identity--\n{self.trust.identity_anchors_pem}"
        return hashlib.sha256(text.encode()).hexdigest()

    def rules_for(self, path: str) -> Rules:
        """The rules for one asset: the defaults with every matching override applied."""
        rules = self.rules
        for o in self.overrides:
            if globs.match_any(path, o.paths):
                rules = replace(rules, **o.values)
        return rules

    def evaluate(
        self, path: str, report: VerificationReport, *, now: dt.datetime | None = None
    ) -> list[Violation]:
        """The policy violations of one asset's verification report."""
        trust = self.trust
        return evaluate(
            self.rules_for(path),
            path,
            report,
            trusted_possible=trust is not None and trust.supplied,
            identity_anchors=trust is not None and bool(trust.identity_anchors),
            now=now,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (check-report schema, `policy`)."""
        return {"source": self.source, "sha256": self.sha256}


# ---------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Asset:
    """What every rule looks at: one asset's report and the rules that apply to it."""

    path: str
    report: VerificationReport
    rules: Rules
    trusted_possible: bool  # the policy has trust anchors
    now: dt.datetime
    identity_anchors: bool = False  # the policy has identity anchors

    @property
    def declared(self) -> list[str]:
        """The digital source types the manifest declares (IPTC names), sorted."""
        types = {a.digital_source_type for a in self.report.actions if a.digital_source_type}
        return sorted({short_source_type(t) for t in types})


_Rule = Callable[[_Asset], Violation | None]

_FINGERPRINT = re.compile(r"^(?:sha256:)?((?:[0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2})$")


def _fingerprint(entry: str) -> str | None:
    """The hex SHA-256 of an allowed_signers entry written as a fingerprint, else None."""
    m = _FINGERPRINT.match(entry.strip())
    return m.group(1).replace(":", "").lower() if m else None


def _signer_matches(subject: str, pinned: str | None, entry: str) -> bool:
    fp = _fingerprint(entry)
    if fp is not None:
        return pinned is not None and pinned.lower() == fp
    if entry == subject:
        return True
    if "*" in entry or "?" in entry or "[" in entry:
        return fnmatch.fnmatchcase(subject, entry)
    if "=" not in entry:  # a bare name: the certificate's common name
        return any(part.strip() == f"CN={entry}" for part in subject.split(","))
    return False


def _unreadable(a: _Asset) -> Violation | None:
    return Violation("unreadable", a.report.message or "could not be checked")


def _require_manifest(a: _Asset) -> Violation | None:
    if a.rules.require_manifest and not globs.match_any(a.path, a.rules.allow_unsigned):
        return Violation("require-manifest", "no content credentials found")
    return None


def _invalid_manifest(a: _Asset) -> Violation | None:
    message = a.report.message or "content credentials do not validate"
    return Violation("invalid-manifest", message, tuple(a.report.status_codes))


def _source_type_undeclared(a: _Asset) -> Violation | None:
    if a.rules.require_source_type_declared and not a.declared:
        return Violation("source-type-undeclared", "no digital source type is declared")
    return None


def _tampered(a: _Asset) -> Violation | None:
    if a.report.verdict is Verdict.TAMPERED and a.rules.forbid_tampered:
        codes = blocking(a.report.status_codes)
        return Violation("tampered", "the asset was changed after it was signed", codes)
    return None


def _untrusted_signer(a: _Asset) -> Violation | None:
    required = a.trusted_possible if a.rules.require_trusted is None else a.rules.require_trusted
    report = a.report
    if not required or report.verdict is Verdict.TRUSTED:
        return None
    untrusted = tuple(c for c in report.status_codes if is_trust_only(c))
    # A tampered file whose signer did chain to an anchor breaks `tampered`, not this.
    if report.verdict is Verdict.VALID or untrusted or not report.trust_anchors_supplied:
        subject = (report.signer.subject if report.signer else "") or "unknown signer"
        reason = (report.trust.reason if report.trust else "") or "not trusted by the policy"
        return Violation(
            "untrusted-signer",
            f"signer {subject!r} is not trusted: {reason}",
            untrusted or ("signingCredential.untrusted",),
        )
    return None


def _signer_not_allowed(a: _Asset) -> Violation | None:
    if not a.rules.allowed_signers:
        return None
    subject = a.report.signer.subject if a.report.signer else ""
    pinned = a.report.trust.allowed_signer if a.report.trust else None
    if any(_signer_matches(subject, pinned, e) for e in a.rules.allowed_signers):
        return None
    return Violation("signer-not-allowed", f"signer {subject or '(none)'!r} is not allowed")


def _source_type_forbidden(a: _Asset) -> Violation | None:
    bad = [t for t in a.declared if t in a.rules.forbidden_source_types]
    if bad:
        what = "declares forbidden source type " + ", ".join(bad)
        return Violation("source-type-forbidden", what)
    return None


def _source_type_not_allowed(a: _Asset) -> Violation | None:
    allowed = a.rules.allowed_source_types
    outside = [t for t in a.declared if t not in allowed] if allowed else []
    if outside:
        return Violation(
            "source-type-not-allowed",
            f"declares source type {', '.join(outside)} (allowed: {', '.join(allowed)})",
        )
    return None


def _timestamp_missing(a: _Asset) -> Violation | None:
    stamp = a.report.timestamp
    if a.rules.require_timestamp and not (stamp and stamp.validated):
        return Violation("timestamp-missing", "the signature has no validated timestamp")
    return None


def _signing_time(report: VerificationReport) -> dt.datetime | None:
    """The validated timestamp's time, else the created action's, else any action's."""
    stamp = report.timestamp.time if report.timestamp else None
    candidates: list[str | None] = [stamp]
    candidates += [a.when for a in report.actions if a.action == "c2pa.created"]
    candidates += [a.when for a in report.actions]
    for c in candidates:
        if not c:
            continue
        try:
            t = dt.datetime.fromisoformat(c.replace("Z", "+00:00"))
        except ValueError:
            continue
        return t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    return None


def _signature_too_old(a: _Asset) -> Violation | None:
    if a.rules.max_age is None:
        return None
    signed = _signing_time(a.report)
    if signed is None:
        return Violation("signature-too-old", "no signing time to check max_age against")
    if a.now - signed > parse_duration(a.rules.max_age):
        what = f"signed {signed.isoformat()}, older than max_age {a.rules.max_age}"
        return Violation("signature-too-old", what)
    return None


def _credible(a: _Asset) -> list[CreatorIdentity]:
    """The creator identities that validate (trusted ones, when the policy has identity
    anchors): an invalid or unverified identity's name proves nothing."""
    ok = {IdentityStatus.TRUSTED}
    if not a.identity_anchors:
        ok.add(IdentityStatus.VALID)
    return [i for i in a.report.identities if i.status in ok]


def _identity_missing(a: _Asset) -> Violation | None:
    if not a.rules.require_identity or _credible(a):
        return None
    need = "trusted" if a.identity_anchors else "that validates"
    found = ", ".join(f"{i.name or i.label} ({i.status.value})" for i in a.report.identities)
    return Violation(
        "identity-missing",
        f"no creator identity {need}" + (f": {found}" if found else " in the manifest"),
        tuple(sorted({c for i in a.report.identities for c in i.failures})),
    )


def _identity_matches(i: CreatorIdentity, entry: str) -> bool:
    fp = _fingerprint(entry)
    if fp is not None:
        return i.certificate_sha256 is not None and i.certificate_sha256.lower() == fp
    return entry == i.name


def _identity_not_allowed(a: _Asset) -> Violation | None:
    allowed = a.rules.allowed_identities
    if not allowed or any(_identity_matches(i, e) for i in _credible(a) for e in allowed):
        return None
    names = ", ".join(repr(i.name or i.label) for i in a.report.identities) or "none"
    return Violation("identity-not-allowed", f"no allowed creator identity (found: {names})")


def _capture_time_missing(a: _Asset) -> Violation | None:
    capture = a.report.capture
    if not a.rules.require_capture_time or (capture and capture.captured_at):
        return None
    if capture and Redaction.TIME in capture.redacted:
        return Violation("capture-time-missing", "the capture time was redacted")
    return Violation("capture-time-missing", "the manifest records no capture time")


def _location_published(a: _Asset) -> Violation | None:
    if not a.rules.forbid_location:
        return None
    where = []
    if a.report.capture and a.report.capture.position:
        where.append("the manifest records a GPS position")
    if a.report.metadata_location:
        where.append("the file's own metadata gives away where it was made")
    if not where:
        return None
    return Violation("location-published", "; ".join(where) + " (sign with --redact location)")


def _rng(r: tuple[int, int] | None) -> str:
    return f"{r[0]}-{r[1]}" if r is not None else "?"


def _frames_changed(a: _Asset) -> Violation | None:
    frames = a.report.frames
    if not a.rules.frames or frames is None:
        return None
    statuses = {"edited", "inserted", "missing"}
    if not a.rules.allow_reencoded:
        statuses.add("reencoded")
    counts = {s: int(frames.summary.get(s) or 0) for s in sorted(statuses)}
    if not any(counts.values()):
        return None
    segs = tuple(s for s in frames.segments if s.status in statuses)
    where = "; ".join(
        f"{s.status} frames {_rng(s.checked_range)}"
        + (f" (signed {_rng(s.signed_range)})" if s.signed_range else "")
        for s in segs
    )
    what = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return Violation(
        "frames-changed", f"frames changed: {what}" + (f": {where}" if where else ""), frames=segs
    )


# Which rules apply, in reporting order, by verdict: nothing else in an unreadable or
# invalid manifest can be believed, and an unsigned file has nothing else to check.
_APPLICABLE: dict[Verdict, tuple[_Rule, ...]] = {
    Verdict.ERROR: (_unreadable,),
    Verdict.UNSIGNED: (_require_manifest, _source_type_undeclared, _location_published),
    Verdict.INVALID: (_invalid_manifest, _source_type_undeclared, _location_published),
}
_SIGNED: tuple[_Rule, ...] = (
    _source_type_undeclared,
    _tampered,
    _untrusted_signer,
    _signer_not_allowed,
    _source_type_forbidden,
    _source_type_not_allowed,
    _timestamp_missing,
    _signature_too_old,
    _identity_missing,
    _identity_not_allowed,
    _capture_time_missing,
    _location_published,
    _frames_changed,
)


def evaluate(
    rules: Rules,
    path: str,
    report: VerificationReport,
    *,
    trusted_possible: bool,
    identity_anchors: bool = False,
    now: dt.datetime | None = None,
) -> list[Violation]:
    """The violations of `rules` by one asset's report, in a stable order."""
    asset = _Asset(
        path, report, rules, trusted_possible, now or dt.datetime.now(dt.UTC), identity_anchors
    )
    checks = _APPLICABLE.get(report.verdict, _SIGNED)
    return [v for check in checks if (v := check(asset)) is not None]


# ------------------------------------------------------------------------------ loading

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> dt.timedelta:
    """'365d', '12h', '2w', '90m', '30s'."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. '365d', '12h', '2w')")
    return dt.timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


_TOP_KEYS = {"version", "trust", "files", "rules", "overrides"}
_TRUST_KEYS = {"anchors", "allowed_certificates", "identity_anchors"}
_FILES_KEYS = {"include", "exclude", "require_assets"}


class _Loader:
    """Validates a policy document, naming the file, key and line of what is wrong."""

    def __init__(self, path: Path, text: str, prefix: tuple[str, ...]) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.prefix = prefix  # ("tool", "provenance") inside pyproject.toml

    def line_of(self, where: Sequence[str | int]) -> int | None:
        """The line of a key: found by scanning, since tomllib keeps no positions."""
        tables = [*self.prefix, *(str(w) for w in where[:-1] if not isinstance(w, int))]
        key = str(where[-1]) if where else ""
        index = next((w for w in where if isinstance(w, int)), None)
        start = 0
        header = None
        for depth in range(len(tables), 0, -1):
            name = r"\s*\.\s*".join(re.escape(t) for t in tables[:depth])
            header = re.compile(rf"^\s*\[\[?\s*{name}\s*\]\]?\s*(#.*)?$")
            hits = [i for i, line in enumerate(self.lines) if header.match(line)]
            if hits:
                start = hits[min(index or 0, len(hits) - 1)] if index is not None else hits[0]
                if depth == len(tables) and isinstance(where[-1], int):
                    return start + 1
                break
        keyre = re.compile(rf"^\s*(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=")
        for i in range(start, len(self.lines)):
            if i > start and self.lines[i].lstrip().startswith("[") and header is not None:
                if not keyre.match(self.lines[i]):
                    # Next table: the key is not in this one (it may be inline).
                    break
            if keyre.match(self.lines[i]):
                return i + 1
        for i, line in enumerate(self.lines):
            if keyre.match(line) or re.search(rf"\b{re.escape(key)}\s*=", line):
                return i + 1
        return None

    def fail(self, where: Sequence[str | int], problem: str) -> PolicyError:
        dotted = ".".join(
            [*self.prefix, *(f"[{w}]" if isinstance(w, int) else w for w in where)]
        ).replace(".[", "[")
        line = self.line_of(where) if where else None
        loc = f"{self.path}:{line}" if line else str(self.path)
        return PolicyError(f"{loc}: {dotted}: {problem}")

    def table(self, value: object, where: Sequence[str | int]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a table")
        return value

    def unknown(self, table: Mapping[str, Any], allowed: set[str], where: list[str | int]) -> None:
        for k in table:
            if k not in allowed:
                raise self.fail(
                    [*where, k], f"unknown key (expected one of {', '.join(sorted(allowed))})"
                )

    def strings(self, value: object, where: Sequence[str | int]) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, "must be a list of strings")
        return tuple(value)

    def rule_values(self, table: Mapping[str, Any], where: list[str | int]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in table.items():
            kind = _RULE_TYPES[key]
            at = [*where, key]
            if kind == "bool":
                if not isinstance(value, bool):
                    raise self.fail(at, "must be true or false")
                out[key] = value
            elif kind in ("strings", "globs"):
                out[key] = self.strings(value, at)
            elif kind == "source_types":
                names = []
                for v in self.strings(value, at):
                    name = short_source_type(v) if v.startswith(IPTC_SOURCE_TYPE) else v
                    if name not in SOURCE_TYPES:
                        raise self.fail(
                            at,
                            f"unknown digital source type {v!r} "
                            f"(IPTC names such as {', '.join(SOURCE_TYPES[:3])}, ...)",
                        )
                    names.append(name)
                out[key] = tuple(names)
            elif kind == "duration":
                if not isinstance(value, str):
                    raise self.fail(at, "must be a duration string such as '365d'")
                try:
                    parse_duration(value)
                except ValueError as e:
                    raise self.fail(at, str(e)) from None
                out[key] = value
        return out


def _load_doc(loader: _Loader, doc: Mapping[str, Any]) -> Policy:
    loader.unknown(doc, _TOP_KEYS, [])
    version = doc.get("version", 1)
    if version != 1:
        raise loader.fail(["version"], f"unsupported policy version {version!r} (expected 1)")

    trust = None
    trust_files: tuple[str, ...] = ()
    allowed_files: tuple[str, ...] = ()
    identity_files: tuple[str, ...] = ()
    if "trust" in doc:
        t = loader.table(doc["trust"], ["trust"])
        loader.unknown(t, _TRUST_KEYS, ["trust"])
        trust_files = loader.strings(t.get("anchors", []), ["trust", "anchors"])
        allowed_files = loader.strings(
            t.get("allowed_certificates", []), ["trust", "allowed_certificates"]
        )
        identity_files = loader.strings(
            t.get("identity_anchors", []), ["trust", "identity_anchors"]
        )
        if allowed_files and not trust_files:
            raise loader.fail(
                ["trust", "allowed_certificates"],
                "needs [trust] anchors: the allow-list narrows trust in a CA, never grants it",
            )
        if trust_files:
            base = loader.path.parent
            try:
                Trust.load(base / f for f in trust_files)
            except InputError as e:
                raise loader.fail(["trust", "anchors"], str(e)) from None
            try:  # the anchors load: an error now is the allow-list's
                trust = Trust.load(
                    (base / f for f in trust_files), allowed=[base / f for f in allowed_files]
                )
            except InputError as e:
                raise loader.fail(["trust", "allowed_certificates"], str(e)) from None
        if identity_files:
            try:
                people = Trust.load(identity=[loader.path.parent / f for f in identity_files])
            except InputError as e:
                raise loader.fail(["trust", "identity_anchors"], str(e)) from None
            trust = replace(trust or Trust(), identity_anchors=people.identity_anchors)

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    require_assets = False
    if "files" in doc:
        f = loader.table(doc["files"], ["files"])
        loader.unknown(f, _FILES_KEYS, ["files"])
        include = loader.strings(f.get("include", []), ["files", "include"])
        exclude = loader.strings(f.get("exclude", []), ["files", "exclude"])
        require_assets = f.get("require_assets", False)
        if not isinstance(require_assets, bool):
            raise loader.fail(["files", "require_assets"], "must be true or false")

    rules = Rules()
    if "rules" in doc:
        r = loader.table(doc["rules"], ["rules"])
        loader.unknown(r, set(_RULE_TYPES), ["rules"])
        rules = replace(rules, **loader.rule_values(r, ["rules"]))

    overrides: list[Override] = []
    raw = doc.get("overrides", [])
    if not isinstance(raw, list):
        raise loader.fail(["overrides"], "must be an array of tables ([[overrides]])")
    for i, o in enumerate(raw):
        o = loader.table(o, ["overrides", i])
        loader.unknown(o, {"paths", *_RULE_TYPES}, ["overrides", i])
        if "paths" not in o:
            raise loader.fail(["overrides", i], "needs paths = [...] (globs it applies to)")
        paths = loader.strings(o["paths"], ["overrides", i, "paths"])
        if not paths:
            raise loader.fail(["overrides", i, "paths"], "must name at least one glob")
        values = loader.rule_values({k: v for k, v in o.items() if k != "paths"}, ["overrides", i])
        overrides.append(Override(paths=paths, values=values))

    # Per-table checks: (where the table is, its rule values).
    tables: list[tuple[list[str | int], Mapping[str, Any]]] = [
        (["rules"], {f.name: getattr(rules, f.name) for f in fields(Rules)})
    ]
    tables += [(["overrides", i], ov.values) for i, ov in enumerate(overrides)]
    pinned = {c.fingerprint(hashes.SHA256()).hex() for c in trust.allowed} if trust else set()
    for at, table_values in tables:
        if (trust is None or not trust.supplied) and table_values.get("require_trusted"):
            raise loader.fail(
                [*at, "require_trusted"],
                "is true but [trust] anchors names no trust anchors: nothing can be trusted",
            )
        for entry in table_values.get("allowed_signers") or ():
            fp = _fingerprint(entry)
            if fp is not None and fp not in pinned:
                raise loader.fail(
                    [*at, "allowed_signers"],
                    f"fingerprint {entry[:23]}... matches no certificate in [trust] "
                    "allowed_certificates (a fingerprint can only be checked for an "
                    "allow-listed certificate)",
                )

    return Policy(
        source=str(loader.path),
        sha256=None,
        trust=trust,
        trust_files=trust_files,
        allowed_files=allowed_files,
        identity_files=identity_files,
        include=include,
        exclude=exclude,
        require_assets=require_assets,
        rules=rules,
        overrides=tuple(overrides),
    )


def load_policy(path: Path | str) -> Policy:
    """Load and validate a policy file: `provenance.toml`-style, or a `pyproject.toml`
    whose `[tool.provenance]` table holds the policy."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such policy file") from None
    except OSError as e:
        raise PolicyError(f"{path}: cannot read the policy ({e.strerror})") from None
    try:
        text = data.decode("utf-8")
        doc = tomllib.loads(text)
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: the policy is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{path}: not valid TOML: {e}") from None
    prefix: tuple[str, ...] = ()
    if path.name == "pyproject.toml":
        prefix = ("tool", "provenance")
        tool = doc.get("tool")
        doc = tool.get("provenance", {}) if isinstance(tool, dict) else {}
        if not isinstance(doc, dict):
            raise PolicyError(f"{path}: tool.provenance must be a table")
    policy = _load_doc(_Loader(path, text, prefix), doc)
    return replace(policy, sha256=hashlib.sha256(data).hexdigest())


def _shown(path: Path) -> Path:
    """`path` relative to the current folder when inside it: error messages read better."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def discover_policy(root: Path) -> Policy:
    """`provenance.toml` in `root`, else `[tool.provenance]` in its `pyproject.toml`,
    else the default policy."""
    candidate = _shown(root / "provenance.toml")
    if candidate.is_file():
        return load_policy(candidate)
    pyproject = _shown(root / "pyproject.toml")
    if pyproject.is_file():
        try:
            doc = tomllib.loads(pyproject.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            doc = {}
        if isinstance(doc.get("tool"), dict) and "provenance" in doc["tool"]:
            return load_policy(pyproject)
    return Policy()
