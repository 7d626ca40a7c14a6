"""Every rule that turns evidence into an outcome, in one place, with the vocabularies
they decide: the verdict of a file, whether its signer is trusted, the status of each
link in its provenance tree, whether a file or a checked asset passes, and the exit code
of a run. `verify`, `history`, `check` and the CLI ask here; none re-derives an answer
from strings.

The rules take C2PA status codes and the library's validation state, never report
objects, so this module sits below `models` (which re-exports its enums).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import NamedTuple, Protocol

from .errors import ExitCode
from .trust import Trust

__all__ = [
    "AssetStatus",
    "Failure",
    "HARD_BINDING_MISMATCH",
    "Judged",
    "NodeStatus",
    "Signer",
    "TrustRuling",
    "TrustStatus",
    "Verdict",
    "asset_status",
    "batch_exit_code",
    "blocking",
    "check_exit_code",
    "decide",
    "decide_trust",
    "ingredient_status",
    "is_trust_only",
    "node_status",
    "sequence_outcome",
    "sign_batch_exit_code",
    "stripped_outcome",
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

# The asset no longer matches what was signed, while the signature itself holds.
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


def blocking(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes that make a manifest fail, sorted: every code but the trust-only ones."""
    return tuple(sorted({c for c in codes if not is_trust_only(c)}))


# ------------------------------------------------------------------------------- verdict


class Failure(Protocol):
    """A failure status as the rules need it (a `models.StatusEntry` is one)."""

    @property
    def code(self) -> str:
        """The C2PA status code."""
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


def decide(state: str | None, failures: Iterable[Failure]) -> tuple[Verdict, str]:
    """Reduce the C2PA library's validation state and every failure it reported (the
    ingredients' too) to one verdict and the message that says why."""
    failures = list(failures)
    codes = {f.code for f in failures}
    stopping = set(blocking(codes))
    active_stopping = {f.code for f in failures if not f.ingredient} & stopping
    if stopping:
        if active_stopping and active_stopping <= HARD_BINDING_MISMATCH:
            return Verdict.TAMPERED, "the asset was changed after it was signed"
        return Verdict.INVALID, _explain(stopping, ingredient_only=not active_stopping)
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
) -> TrustRuling:
    """Say whether and why the signer is trusted; narrow `trusted` by the allow-list.
    Nothing unproven is called trusted: without anchors the answer is `not_checked`."""
    codes = set(codes)
    if not trust.supplied:
        return TrustRuling(
            verdict, message, TrustStatus.NOT_CHECKED, "no trust anchors were supplied"
        )
    if verdict is not Verdict.TRUSTED or signer is None:
        if signer is not None and signer.certificate and signer.subject == signer.issuer:
            why = "the signer's certificate is self-signed, not issued by a trust anchor"
        elif "signingCredential.expired" in codes:
            why = "the signer's certificate was not valid at signing time"
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
    codes: Iterable[str], *, has_manifest: bool, manifest_found: bool
) -> tuple[NodeStatus, tuple[str, ...]]:
    """The status of an ingredient's manifest from the failures found in it, and those
    failures (sorted, trust-only codes kept: they are shown, not judged)."""
    codes = tuple(sorted(set(codes)))
    if not has_manifest:
        return NodeStatus.UNSIGNED, codes
    if not manifest_found:
        return NodeStatus.MISSING, codes
    stopping = set(blocking(codes))
    if not stopping:
        return NodeStatus.VALID, codes
    if stopping <= HARD_BINDING_MISMATCH:
        return NodeStatus.TAMPERED, codes
    return NodeStatus.INVALID, codes


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
