"""Every rule that turns evidence into an outcome, in one place, with the vocabularies
they decide: the verdict of a file, whether its signer is trusted, the status of each
link in its provenance tree, whether a file or a checked asset passes, and the exit code
of a run. `verify`, `history`, `check` and the CLI ask here; none re-derives an answer
from strings.

The rules take C2PA status codes and the library's validation state, never report
objects, so this module sits below `models` (which re-exports its enums).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import NamedTuple, Protocol

from .errors import ExitCode
from .trust import Trust

__all__ = [
    "AssetStatus",
    "BindingFailure",
    "CONTENT_MISMATCH",
    "Clock",
    "FRAGMENTS_MISSING",
    "Failure",
    "HARD_BINDING_MISMATCH",
    "IDENTITY_UNPROVEN",
    "IdentityRuling",
    "IdentityStatus",
    "Judged",
    "NodeStatus",
    "Signer",
    "TimestampRuling",
    "TrustRuling",
    "TrustStatus",
    "Verdict",
    "ValidityRuling",
    "asset_status",
    "batch_exit_code",
    "binding_failure",
    "blocking",
    "check_exit_code",
    "claim_signer_trusted",
    "decide",
    "detached_state",
    "decide_trust",
    "fragments_outcome",
    "history_exit_code",
    "identity_ruling",
    "ingredient_status",
    "is_trust_only",
    "node_passes",
    "node_status",
    "sequence_outcome",
    "sign_batch_exit_code",
    "stripped_outcome",
    "found_outcome",
    "not_found_message",
    "soft_binding_outcome",
    "timestamp_ruling",
    "validity_ruling",
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
        """Trusted passes; valid passes only when no trust anchors were asked for."""
        if self is Verdict.TRUSTED:
            return True
        return self is Verdict.VALID and not trust_required

    @property
    def verified(self) -> bool:
        """Every C2PA check passed (trusted or valid)."""
        return self in (Verdict.TRUSTED, Verdict.VALID)

    @property
    def manifest_intact(self) -> bool:
        """The signed manifest holds, whatever became of the media since (so its own
        assertions, such as our fingerprints, can be believed)."""
        return self in (Verdict.TRUSTED, Verdict.VALID, Verdict.TAMPERED)


class TrustStatus(enum.StrEnum):
    """Whether the signer is trusted."""

    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    NOT_CHECKED = "not_checked"  # no trust anchors were supplied


class NodeStatus(enum.StrEnum):
    """The validation outcome of one manifest in a provenance tree."""

    TRUSTED = "trusted"
    VALID = "valid"
    TAMPERED = "tampered"
    INVALID = "invalid"
    UNSIGNED = "unsigned"  # an ingredient recorded without credentials of its own
    MISSING = "missing"  # the ingredient names a manifest the store does not hold
    ERROR = "error"  # the file itself could not be checked (an init segment alone)

    @property
    def ok(self) -> bool:
        """The link holds (trusted or valid)."""
        return self in (NodeStatus.TRUSTED, NodeStatus.VALID)


class AssetStatus(enum.StrEnum):
    """The outcome of one asset in `check`."""

    PASS = "pass"
    FAIL = "fail"  # the asset breaks the policy
    ERROR = "error"  # the asset could not be checked
    INTERNAL = "internal"  # checking it hit a bug of ours


# -------------------------------------------------------------------------- status codes

# The hard binding fails: the asset, or the binding's own structure, no longer matches what
# was signed, while the signature itself holds.
HARD_BINDING_MISMATCH = frozenset(
    {
        "assertion.dataHash.mismatch",
        "assertion.bmffHash.mismatch",
        "assertion.boxesHash.mismatch",
        "assertion.collectionHash.mismatch",
    }
)


def is_trust_only(code: str) -> bool:
    """Codes that say 'not trusted', which decide trusted vs valid but not validity."""
    return code.endswith(".untrusted")


# A creator identity (CAWG) whose credential is not trusted here, or could not be checked
# offline: the identity is unproven, nothing in the manifest is wrong.
IDENTITY_UNPROVEN = frozenset(
    {"cawg.x509.credential.untrusted", "cawg.ica.untrusted_issuer", "cawg.ica.did_unavailable"}
)


def detached_state(
    state: str | None, failures: Iterable[str], success: Iterable[str]
) -> str | None:
    """The validation state of a manifest store read apart from its asset, the hard
    binding's mismatch taken out (`failures`: the codes left): the library says `Invalid`
    for the missing asset alone; without other failures the claim is `Trusted` when its
    signer chains to an anchor, else `Valid`."""
    if state != "Invalid" or blocking(failures):
        return state
    return "Trusted" if "signingCredential.trusted" in set(success) else "Valid"


def blocking(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes that make a manifest fail, sorted: every code but the trust-only ones
    (and a creator identity's 'unproven' ones)."""
    return tuple(sorted({c for c in codes if not is_trust_only(c) and c not in IDENTITY_UNPROVEN}))


# ------------------------------------------------------------------- hard-binding failures


class BindingFailure(enum.Enum):
    """What a hard-binding failure means. c2pa-rs 0.91 reports them all under the codes of
    HARD_BINDING_MISMATCH; only its explanation tells them apart."""

    CONTENT = "content"  # the hashed bytes differ: the asset changed after signing
    STRUCTURE = "structure"  # the binding does not fit the file (exclusions, maps, ranges)
    FRAGMENTS_MISSING = "fragments_missing"  # an init segment read without its fragments


# The hash-verification errors c2pa-rs 0.91 gives when the hashed bytes themselves differ:
# data and box hashes, BMFF whole-file and init-segment hashes, Merkle chunks, fragments.
# Its explanation ends with "hash verification( <error> )", after the assertion's own name,
# so only the end of the text is compared: a hostile name cannot pose as an error.
CONTENT_MISMATCH = (
    "Hashes do not match",
    "BMFF file level hash mismatch",
    "BMFF inithash mismatch",
    "chunk hash did not match",
    "Fragment not valid",
)
# A manifest made for fragmented MP4 (DASH/CMAF), read from its init segment alone.
FRAGMENTS_MISSING = "BMFF inithash must not be present for non-fragmented media"


def binding_failure(explanation: str) -> BindingFailure:
    """Classify one hard-binding failure by the C2PA library's explanation. Anything that
    is not a proven mismatch of the hashed bytes (an exclusion that does not match where
    the manifest sits, an exclusion range outside the file, a remote or unknown hash, a
    malformed Merkle map...) is structural: it proves no content change."""
    error = explanation.strip()
    if error.endswith(f"( {FRAGMENTS_MISSING} )"):
        return BindingFailure.FRAGMENTS_MISSING
    if any(error.endswith(f"( {m} )") for m in CONTENT_MISMATCH):
        return BindingFailure.CONTENT
    return BindingFailure.STRUCTURE


# ------------------------------------------------------------------------------- verdict


class Failure(Protocol):
    """A failure status as the rules need it (a `models.StatusEntry` is one)."""

    @property
    def code(self) -> str:
        """The C2PA status code."""
        ...

    @property
    def explanation(self) -> str:
        """The C2PA library's explanation."""
        ...

    @property
    def ingredient(self) -> bool:
        """Whether it was found in an ingredient's manifest."""
        ...


# What each C2PA failure means, for the one-line message; the most telling first.
_EXPLAIN = {
    "claimSignature.mismatch": "the claim signature does not verify (manifest altered or "
    "signed with another key)",
    "claimSignature.missing": "the claim signature is missing",
    "signingCredential.expired": "the signer's certificate was expired or not yet valid "
    "when it was checked",
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

_IDENTITY_CODES = "cawg."  # the prefix of the CAWG identity assertion's own status codes
TAMPERED_MESSAGE = "the asset was changed after it was signed"
INIT_SEGMENT_MESSAGE = (
    "init segment: fragments not supplied, so the media itself was not checked "
    "(verify it with its media segments: --fragments)"
)


def _explain(codes: set[str], ingredient_only: bool, details: Mapping[str, str]) -> str:
    for code, text in _EXPLAIN.items():
        if code in codes:
            where = "in an ingredient: " if ingredient_only else ""
            text = text if ingredient_only else details.get(code, text)
            return f"{where}{text} ({code})"
    if all(c.startswith(_IDENTITY_CODES) for c in codes):
        where = "in an ingredient: " if ingredient_only else ""
        return f"{where}a creator identity does not validate: " + ", ".join(sorted(codes))
    where = "an ingredient failed validation: " if ingredient_only else "validation failed: "
    return where + ", ".join(sorted(codes))


def _binding_outcome(failures: list[Failure]) -> tuple[Verdict, str]:
    """The verdict when every failure is a hard-binding one: tampered only when the hashed
    bytes provably differ."""
    kinds = {binding_failure(f.explanation) for f in failures}
    if BindingFailure.CONTENT in kinds:
        return Verdict.TAMPERED, TAMPERED_MESSAGE
    if kinds == {BindingFailure.FRAGMENTS_MISSING}:
        return Verdict.ERROR, INIT_SEGMENT_MESSAGE
    f = next(f for f in failures if binding_failure(f.explanation) is BindingFailure.STRUCTURE)
    why = f.explanation or "no explanation given"
    return Verdict.INVALID, f"the hard binding does not fit the file's structure: {why} ({f.code})"


# How c2pa-rs 0.91 names the claim-signer trust lists in the explanation of
# `signingCredential.trusted` ("found in [system_anchors] trust anchors"); a creator-identity
# list it was also given appears under another name.
_CLAIM_TRUST_LISTS = ("[system_anchors]", "[user_anchors]")


def claim_signer_trusted(explanation: str | None, *, identity_anchors: bool) -> bool:
    """Whether the C2PA library's `signingCredential.trusted` (given by its explanation;
    None when it did not report it) vouches for a claim signer with the claim anchors.

    c2pa-rs 0.91 also checks claim signers against the creator-identity anchors it is
    given, so with identity anchors supplied only the claim-anchor lists count: a root
    given to vouch for people does not vouch for signing software."""
    if explanation is None:
        return False
    return not identity_anchors or any(n in explanation for n in _CLAIM_TRUST_LISTS)


def _claim_state(state: str | None, codes: set[str], signer_trusted: bool) -> str | None:
    """The library's validation state for the claim alone. c2pa-rs 0.91 lowers the whole
    state when a creator identity is unproven (Trusted to Valid for an untrusted creator
    certificate), and raises it to Trusted when only an identity anchor vouched for the
    claim signer; the claim is judged here by its own codes and anchors."""
    rest = codes - IDENTITY_UNPROVEN
    if codes != rest and not blocking(rest) and state in ("Valid", "Invalid"):
        state = "Trusted" if signer_trusted and not rest else "Valid"
    if state == "Trusted" and not signer_trusted:
        state = "Valid"
    return state


def decide(
    state: str | None,
    failures: Iterable[Failure],
    details: Mapping[str, str] | None = None,
    *,
    signer_trusted: bool | None = None,
) -> tuple[Verdict, str]:
    """Reduce the C2PA library's validation state and every failure it reported (the
    ingredients' too) to one verdict and the message that says why. `details` words some
    codes for this file (the certificate's dates and clock for `signingCredential.expired`).

    A hard-binding failure is `tampered` only when the hashed bytes differ; a binding that
    does not fit the file's structure is `invalid`; a fragmented-media manifest read from its
    init segment alone could not be checked (`error`).

    The verdict is the claim's: a creator identity that is only unproven (its credential not
    trusted here, its issuer unreachable) has its own status (`identity_ruling`) and
    neither lowers nor raises it; one that fails validation makes the manifest invalid.
    `signer_trusted`: the claim signer chains to a claim anchor (`claim_signer_trusted`);
    None takes the library's state as it is."""
    failures = list(failures)
    codes = {f.code for f in failures}
    if signer_trusted is not None:
        state = _claim_state(state, {f.code for f in failures if not f.ingredient}, signer_trusted)
        codes -= IDENTITY_UNPROVEN
    stopping = set(blocking(codes))
    active = [f for f in failures if not f.ingredient and f.code in stopping]
    if stopping:
        if active and {f.code for f in active} <= HARD_BINDING_MISMATCH:
            return _binding_outcome(active)
        return Verdict.INVALID, _explain(stopping, not active, details or {})
    if state == "Invalid":
        return Verdict.INVALID, "the C2PA library reports the manifest invalid"
    if state == "Trusted" and not codes:
        return Verdict.TRUSTED, "signature valid and signer trusted"
    if state in ("Valid", "Trusted"):
        return Verdict.VALID, "signature valid, signer not trusted"
    return Verdict.INVALID, f"unexpected validation state {state!r}"


def stripped_outcome() -> tuple[Verdict, str]:
    """A file checked against a reference's manifest because its own was stripped: it is
    not the signed asset, so its hard binding cannot match; frame localization tells
    what changed."""
    return Verdict.TAMPERED, "manifest stripped; compared with the reference's signed manifest"


def found_outcome(similarity: int) -> tuple[Verdict, str]:
    """A file without credentials whose signed original a registry found (`--lookup`),
    its manifest verified apart from any asset: as with a reference, the file is not the
    signed asset; the frames and regions tell what changed. What it proves is the
    original's claims, not who made the copy."""
    return (
        Verdict.TAMPERED,
        f"manifest stripped; the signed original was found in the registry "
        f"(similarity {similarity}%) and the file compared with it",
    )


def not_found_message(registry: str) -> str:
    """A file without credentials whose signed original no registry entry matches."""
    return f"no content credentials found; no signed original found in {registry}"


def soft_binding_outcome(why: str) -> tuple[Verdict, str]:
    """A manifest whose soft binding disagrees with the frame or region table signed
    beside it: whoever signed it claims a fingerprint that is not its asset's (it would let
    a look-alike borrow its credentials through a registry)."""
    return Verdict.INVALID, f"the manifest is inconsistent: {why}"


def sequence_outcome(
    verdict: Verdict,
    message: str,
    *,
    unchanged: int,
    changed: int,
    added: int,
    missing: int,
) -> tuple[Verdict, str]:
    """A signed image sequence: any changed, added or missing frame file tampers with it."""
    if not (changed or added or missing):
        return verdict, f"{message}; all {unchanged} frame files match the signed sequence"
    counts = (("changed", changed), ("added", added), ("missing", missing))
    parts = [f"{n} {what}" for what, n in counts if n]
    return Verdict.TAMPERED, "frame files changed since signing: " + ", ".join(parts)


# The order in which a failing fragment decides the stream's verdict: the worst first.
_FRAGMENT_SEVERITY = (Verdict.INVALID, Verdict.ERROR, Verdict.TAMPERED, Verdict.UNSIGNED)


def fragments_outcome(
    verdict: Verdict, message: str, fragments: Iterable[tuple[str, Verdict]]
) -> tuple[Verdict, str]:
    """A fragmented stream checked segment by segment (`verdict`, `message`: the first
    segment's, which carry the signer's): it passes only if every fragment verifies, and
    otherwise takes the worst fragment's verdict, naming the fragments that fail."""
    fragments = list(fragments)
    failed = [(name, v) for name, v in fragments if not v.verified]
    if not failed:
        return verdict, f"{message}; all {len(fragments)} fragments match the signed stream"
    worst = min(failed, key=lambda f: _FRAGMENT_SEVERITY.index(f[1]))[1]
    named = ", ".join(f"{name} ({v.value})" for name, v in failed)
    return worst, f"{len(failed)} of {len(fragments)} fragments fail: {named}"


# -------------------------------------------------------------------------- time and clocks


class Clock(enum.StrEnum):
    """The time the signer's certificate was judged at."""

    TIMESTAMP = "timestamp"  # the signing time an RFC 3161 timestamp proves
    CURRENT_TIME = "current_time"  # today: no timestamp the C2PA library accepted


class TimestampRuling(NamedTuple):
    """What a signature's timestamp proves: verified (its token's signature and message
    imprint check out) and trusted (its authority chains to one of your anchors) are
    separate facts, and the explanation says both in plain words."""

    verified: bool
    trusted: bool
    explanation: str


def timestamp_ruling(
    *,
    present: bool,
    verified: bool,
    chain_checked: bool,
    authority: str | None,
    claim_version: int | None,
    anchors_supplied: bool,
) -> TimestampRuling:
    """Rule on a signature's timestamp.

    `chain_checked`: the C2PA library reported the timestamp authority trusted
    (`timeStamp.trusted`). For a version 1 claim it says so without checking the chain
    (its rule for old timestamps), and without anchors nothing can chain to one, so only
    a version 2+ claim checked against supplied anchors makes the timestamp trusted."""
    if not present:
        return TimestampRuling(False, False, "no timestamp: the signing time is unproven")
    by = f"timestamp by {authority}" if authority else "timestamp"
    if not verified:
        return TimestampRuling(
            False, False, f"{by}: not verified (its signature or message imprint fails)"
        )
    trusted = chain_checked and anchors_supplied and (claim_version or 1) >= 2
    if trusted:
        why = "its authority chains to one of your trust anchors"
    elif not anchors_supplied:
        why = "its authority is not trusted: no trust anchors were supplied"
    elif (claim_version or 1) < 2:
        why = (
            "its authority was not checked against your trust anchors (a version 1 "
            "manifest, whose timestamps the C2PA library accepts without that check)"
        )
    else:
        why = "its authority does not chain to any of your trust anchors"
    return TimestampRuling(True, trusted, f"{by}: verified; {why}")


class ValidityRuling(NamedTuple):
    """When the signer's certificate was judged, by which clock, and what that found."""

    clock: Clock
    at: str | None  # the timestamp's time (ISO 8601); None for the current time
    valid: bool
    explanation: str


def _day(iso: str | None) -> str:
    return (iso or "?")[:10]


def _after(iso: str | None, moment: dt.datetime) -> bool:
    """Whether the ISO 8601 time `iso` is after `moment` (False when it does not parse)."""
    try:
        t = dt.datetime.fromisoformat(iso or "")
    except ValueError:
        return False
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)) > moment


def validity_ruling(
    *,
    not_before: str | None,
    not_after: str | None,
    expired: bool,
    timestamp_time: str | None,
    timestamp_accepted: bool,
    timestamp_trusted: bool = False,
    now: dt.datetime,
) -> ValidityRuling:
    """Which clock the C2PA library judged the signer's certificate by, and the plain
    words for its finding. It uses the timestamp's time when it accepted the timestamp
    (`timeStamp.trusted`), else the current time. `expired` is its verdict
    (`signingCredential.expired`: expired, or not yet valid, at that time).
    `timestamp_trusted`: the timestamp's authority chains to one of your anchors; when
    the library accepted one that does not, the words say so."""
    span = f"valid {_day(not_before)} to {_day(not_after)}"
    if timestamp_accepted and timestamp_time:
        clock, at = Clock.TIMESTAMP, timestamp_time
        when = f"at its timestamp's time, {_day(at)}"
        if not timestamp_trusted:
            when += ", which the C2PA library accepts though its authority is not proven trusted"
    else:
        clock, at, when = Clock.CURRENT_TIME, None, "at the current time"
    if not expired:
        # Without its dates (the certificate itself was not read) only the finding is said.
        dates = f"{span}, checked" if not_before or not_after else "valid"
        text = f"the signer's certificate is {dates} {when}"
        return ValidityRuling(clock, at, True, text)
    if clock is Clock.TIMESTAMP:
        text = f"the signer's certificate was not valid {when} ({span})"
    elif _after(not_before, now):
        text = f"the signer's certificate is not valid until {_day(not_before)} ({span})"
    else:
        text = (
            f"the signer's certificate expired on {_day(not_after)}; no trusted timestamp "
            f"proves it was signed before that, so it is judged {when}"
        )
    return ValidityRuling(clock, at, False, text)


# --------------------------------------------------------------------- creator identities


class IdentityStatus(enum.StrEnum):
    """What the C2PA library's codes prove about one creator identity (CAWG)."""

    TRUSTED = "trusted"  # valid, and its credential chains to a supplied identity anchor
    VALID = "valid"  # well-formed and its signature checks; the credential is not trusted
    UNVERIFIED = "unverified"  # could not be checked here (issuer unknown or unreachable)
    INVALID = "invalid"  # a check failed: nothing it says can be relied on


class IdentityRuling(NamedTuple):
    """The status of one identity assertion and the plain words for it."""

    status: IdentityStatus
    explanation: str


# Only an X.509 credential can chain to the identity anchors you supply; an aggregator's
# credential is checked against c2pa-rs's own list of issuers, which is not yours.
_IDENTITY_TRUSTED = frozenset({"cawg.x509.credential.trusted"})
_IDENTITY_WELL_FORMED = frozenset(
    {"cawg.identity.well-formed", "cawg.x509.signature.validated", "cawg.ica.credential_valid"}
)


def identity_ruling(
    success: Iterable[str],
    failures: Iterable[str],
    informational: Iterable[str] = (),
    *,
    anchors_supplied: bool,
) -> IdentityRuling:
    """Rule on one identity assertion from the codes the C2PA library reported for it.
    Trusted needs identity anchors: without them nothing vouches for the credential."""
    ok, bad, info = set(success), set(failures), set(informational)
    wrong = bad - IDENTITY_UNPROVEN
    if wrong:
        why = f"does not validate ({', '.join(sorted(wrong))}): do not rely on it"
        return IdentityRuling(IdentityStatus.INVALID, why)
    if "cawg.ica.did_unavailable" in bad:
        why = "its issuer could not be reached to check it (verification stays offline)"
        return IdentityRuling(IdentityStatus.UNVERIFIED, why)
    if "cawg.ica.untrusted_issuer" in bad | info:
        why = "its issuer is on no list of trusted identity aggregators here"
        return IdentityRuling(IdentityStatus.UNVERIFIED, why)
    if ok & _IDENTITY_TRUSTED and not bad and anchors_supplied:
        why = "signature valid; the credential chains to one of your identity anchors"
        return IdentityRuling(IdentityStatus.TRUSTED, why)
    if ok & (_IDENTITY_WELL_FORMED | _IDENTITY_TRUSTED):
        why = "signature valid; credential not trusted: " + (
            "it does not chain to any of your identity anchors"
            if anchors_supplied
            else "no identity anchors were supplied"
        )
        return IdentityRuling(IdentityStatus.VALID, why)
    why = "not checked: the C2PA library reported nothing for it"
    return IdentityRuling(IdentityStatus.UNVERIFIED, why)


# --------------------------------------------------------------------------------- trust


class Signer(Protocol):
    """The signer details the trust rule needs (a `models.SignerInfo` is one)."""

    @property
    def subject(self) -> str:
        """The certificate's subject."""
        ...

    @property
    def issuer(self) -> str:
        """The certificate's issuer."""
        ...

    @property
    def serial_number(self) -> str | None:
        """The certificate's serial number (hex)."""
        ...

    @property
    def certificate(self) -> bool:
        """Whether subject and issuer are the certificate's full names (else only its
        common name and its issuer's organisation are known)."""
        ...


class TrustRuling(NamedTuple):
    """The trust rule's outcome: the verdict (narrowed by an allow-list), its message, and
    the decision with its reason and evidence."""

    verdict: Verdict
    message: str
    status: TrustStatus
    reason: str
    rule: str | None = None  # "trust_anchor" or "trust_anchor+allowed_signer"
    anchor: str | None = None  # subject of the anchor the chain reached, when known
    allowed_signer: str | None = None  # SHA-256 of the allow-listed certificate matched


def decide_trust(
    verdict: Verdict,
    message: str,
    trust: Trust,
    signer: Signer | None,
    codes: Iterable[str],
    expired_why: str | None = None,
) -> TrustRuling:
    """Say whether and why the signer is trusted; narrow `trusted` by the allow-list.
    Nothing unproven is called trusted: without anchors the answer is `not_checked`.
    `expired_why` words an expired certificate for this file (its dates and clock)."""
    codes = set(codes)
    if not trust.supplied:
        return TrustRuling(
            verdict, message, TrustStatus.NOT_CHECKED, "no trust anchors were supplied"
        )
    if verdict is not Verdict.TRUSTED or signer is None:
        if signer is not None and signer.certificate and signer.subject == signer.issuer:
            why = "the signer's certificate is self-signed, not issued by a trust anchor"
        elif "signingCredential.expired" in codes:
            why = expired_why or "the signer's certificate was not valid when it was checked"
        elif "signingCredential.invalid" in codes:
            why = "the signer's certificate is not valid for C2PA signing"
        elif verdict in (Verdict.VALID, Verdict.TAMPERED):
            why = "the signer's chain does not reach any supplied trust anchor"
        else:
            why = "the signature did not validate, so its signer cannot be trusted"
        return TrustRuling(verdict, message, TrustStatus.UNTRUSTED, why)
    # Which anchor, only from the issuer's full name: an organisation alone can be shared.
    anchor = trust.anchor_for(signer.issuer) if signer.certificate else None
    if not trust.allowed:
        if anchor:
            why = f"chain validated to trust anchor {anchor}"
        elif signer.certificate:
            why = "chain validated to a supplied trust anchor (through an intermediate)"
        else:
            why = "chain validated to a supplied trust anchor"
        return TrustRuling(verdict, message, TrustStatus.TRUSTED, why, "trust_anchor", anchor)
    # The allow-list is matched on the certificate's full names, never on a summary.
    pinned = (
        trust.allowed_signer(signer.subject, signer.issuer, signer.serial_number)
        if signer.certificate
        else None
    )
    if pinned is None:
        why = "the chain reaches a trust anchor, but the signer is not on the allow-list"
        return TrustRuling(Verdict.VALID, why, TrustStatus.UNTRUSTED, why, anchor=anchor)
    why = "chain validated to a trust anchor and the signer is on the allow-list"
    return TrustRuling(
        verdict, message, TrustStatus.TRUSTED, why, "trust_anchor+allowed_signer", anchor, pinned
    )


# ------------------------------------------------------------------------------- history


def node_status(verdict: Verdict) -> NodeStatus:
    """The status of the tree's root: the file's own verdict."""
    return NodeStatus(verdict.value)


def ingredient_status(
    failures: Iterable[Failure], *, has_manifest: bool, manifest_found: bool, trusted: bool
) -> tuple[NodeStatus, tuple[str, ...]]:
    """The status of an ingredient's manifest from the failures found in it, and those
    failures' codes (sorted; trust-only codes kept: they are shown, not judged).
    `trusted`: its signer chains, now, to one of the verifier's anchors. An ingredient's
    asset is not at hand, so only a hard-binding failure recorded with it can say it was
    tampered, and, as for a file, only a mismatch of its hashed bytes does."""
    failures = list(failures)
    codes = tuple(sorted({f.code for f in failures}))
    if not has_manifest:
        return NodeStatus.UNSIGNED, codes
    if not manifest_found:
        return NodeStatus.MISSING, codes
    stopping = set(blocking(codes))
    if not stopping:
        return (NodeStatus.TRUSTED if trusted else NodeStatus.VALID), codes
    if stopping <= HARD_BINDING_MISMATCH:
        kinds = {binding_failure(f.explanation) for f in failures if f.code in stopping}
        if BindingFailure.CONTENT in kinds:
            return NodeStatus.TAMPERED, codes
    return NodeStatus.INVALID, codes


def node_passes(status: NodeStatus, *, trust_required: bool) -> bool:
    """One link of a provenance tree passes as a file would: trusted, or valid when no
    trust anchors were asked for. An ingredient recorded without credentials claims
    nothing, so it cannot fail."""
    if status is NodeStatus.UNSIGNED:
        return True
    return status is NodeStatus.TRUSTED or (status is NodeStatus.VALID and not trust_required)


# ---------------------------------------------------------------------------- exit codes


class Judged(Protocol):
    """A verified file as the exit-code rule needs it (a `VerificationReport` is one)."""

    @property
    def verdict(self) -> Verdict:
        """The file's verdict."""
        ...

    @property
    def passed(self) -> bool:
        """Whether the file passed."""
        ...


def batch_exit_code(reports: Iterable[Judged]) -> ExitCode:
    """`verify` over several files: ERROR if some file could not be checked, FAILED if
    some file does not pass, else OK."""
    reports = list(reports)
    if any(r.verdict is Verdict.ERROR for r in reports):
        return ExitCode.ERROR
    return ExitCode.OK if all(r.passed for r in reports) else ExitCode.FAILED


def history_exit_code(
    verdict: Verdict, nodes: Iterable[NodeStatus], *, trust_required: bool
) -> ExitCode:
    """`history` exits as `verify` would for the file (ERROR when it could not be
    checked), and FAILED as soon as any link of its tree fails."""
    if verdict is Verdict.ERROR:
        return ExitCode.ERROR
    if not verdict.passes(trust_required=trust_required):
        return ExitCode.FAILED
    ok = all(node_passes(n, trust_required=trust_required) for n in nodes)
    return ExitCode.OK if ok else ExitCode.FAILED


def sign_batch_exit_code(codes: Iterable[ExitCode]) -> ExitCode:
    """`sign` over several files: INTERNAL if signing some file hit a bug, ERROR if some
    file could not be signed, else OK (every file is tried either way)."""
    seen = set(codes)
    if ExitCode.INTERNAL in seen:
        return ExitCode.INTERNAL
    return ExitCode.OK if seen <= {ExitCode.OK} else ExitCode.ERROR


def asset_status(verdict: Verdict, *, violations: int, internal: bool) -> AssetStatus:
    """The outcome of one asset in `check`: a bug, could not be checked, or whether any
    policy rule is broken."""
    if internal:
        return AssetStatus.INTERNAL
    if verdict is Verdict.ERROR:
        return AssetStatus.ERROR
    return AssetStatus.FAIL if violations else AssetStatus.PASS


def check_exit_code(statuses: Iterable[AssetStatus]) -> ExitCode:
    """`check`: INTERNAL if checking an asset hit a bug (the asset is still reported),
    ERROR if some asset could not be checked, FAILED if some asset breaks the policy."""
    seen = set(statuses)
    for status, code in (
        (AssetStatus.INTERNAL, ExitCode.INTERNAL),
        (AssetStatus.ERROR, ExitCode.ERROR),
        (AssetStatus.FAIL, ExitCode.FAILED),
    ):
        if status in seen:
            return code
    return ExitCode.OK
