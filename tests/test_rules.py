"""provenance._rules: the one home of the verdict, trust, status and exit-code rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from provenance import DevIdentity, Trust, generate_dev_identity
from provenance._rules import (
    AssetStatus,
    BindingFailure,
    Clock,
    IdentityStatus,
    NodeStatus,
    TrustStatus,
    Verdict,
    asset_status,
    binding_failure,
    check_exit_code,
    claim_signer_trusted,
    decide,
    decide_trust,
    fragments_outcome,
    history_exit_code,
    identity_ruling,
    ingredient_status,
    sequence_outcome,
    timestamp_ruling,
    validity_ruling,
)
from provenance.errors import ExitCode
from provenance.models import SignerInfo, StatusEntry

# What c2pa-rs 0.91 explains, word for word, for each kind of hard-binding failure.
CONTENT = "asset hash error, name: jumbf manifest, error: hash verification( Hashes do not match )"
LOCATION = "data hash exclusion does not match the manifest location in the asset"
INIT_ONLY = (
    "asset hash error, name: unnamed, error: hash verification( BMFF inithash must not be "
    "present for non-fragmented media )"
)
FRAGMENT = "asset hash error, name: unnamed, error: hash verification( Fragment not valid )"


def entries(*codes: str, ingredient: bool = False, explanation: str = "") -> list[StatusEntry]:
    return [StatusEntry(c, explanation, ingredient=ingredient) for c in codes]


def mismatch(explanation: str, code: str = "assertion.dataHash.mismatch") -> list[StatusEntry]:
    return entries(code, explanation=explanation)


@pytest.mark.parametrize(
    ("state", "failures", "verdict"),
    [
        ("Trusted", [], Verdict.TRUSTED),
        ("Valid", [], Verdict.VALID),
        ("Valid", entries("signingCredential.untrusted"), Verdict.VALID),
        ("Trusted", entries("timeStamp.untrusted"), Verdict.VALID),
        ("Invalid", mismatch(CONTENT), Verdict.TAMPERED),
        ("Invalid", mismatch(FRAGMENT, "assertion.bmffHash.mismatch"), Verdict.TAMPERED),
        # only the binding's structure fails: nothing proves the content changed
        ("Invalid", mismatch(LOCATION), Verdict.INVALID),
        ("Invalid", mismatch(""), Verdict.INVALID),
        # a content mismatch found beside a structural one is still tampering
        ("Invalid", mismatch(LOCATION) + mismatch(CONTENT), Verdict.TAMPERED),
        # an init segment read alone could not be checked
        ("Invalid", mismatch(INIT_ONLY, "assertion.bmffHash.mismatch"), Verdict.ERROR),
        ("Invalid", entries("assertion.bmffHash.mismatch", "claimSignature.mismatch"),
         Verdict.INVALID),
        ("Valid", entries("claimSignature.mismatch", ingredient=True), Verdict.INVALID),
        # a hard-binding mismatch inside an ingredient is a broken link, not tampering
        ("Valid", entries("assertion.dataHash.mismatch", ingredient=True), Verdict.INVALID),
        ("Invalid", [], Verdict.INVALID),
        (None, [], Verdict.INVALID),
    ],
)  # fmt: skip
def test_decide(state: str | None, failures: list[StatusEntry], verdict: Verdict) -> None:
    assert decide(state, failures)[0] is verdict


def test_binding_failures_are_told_apart_by_the_library_s_explanation() -> None:
    """Point 7: a mismatch of the hashed bytes is content; anything else, structure. Only
    the end of the explanation counts: a hostile assertion name cannot pose as one."""
    assert binding_failure(CONTENT) is BindingFailure.CONTENT
    assert binding_failure(FRAGMENT) is BindingFailure.CONTENT
    assert binding_failure(LOCATION) is BindingFailure.STRUCTURE
    assert binding_failure(INIT_ONLY) is BindingFailure.FRAGMENTS_MISSING
    forged = "asset hash error, name: hash verification( Hashes do not match ), error: " \
             "hash verification( No exclusion range )"  # fmt: skip
    assert binding_failure(forged) is BindingFailure.STRUCTURE
    verdict, message = decide("Invalid", mismatch(LOCATION))
    assert verdict is Verdict.INVALID and LOCATION in message


def test_decide_explains_the_most_telling_failure() -> None:
    _, message = decide("Invalid", entries("claimSignature.mismatch", ingredient=True))
    assert message.startswith("in an ingredient: the claim signature does not verify")


def test_trust_is_never_granted_without_anchors(dev: DevIdentity) -> None:
    signer = SignerInfo("CN=Test Org Signer, O=Test Org", "CN=Test Org Root CA (development "
                        "only), O=Test Org")  # fmt: skip
    none = decide_trust(Verdict.VALID, "ok", Trust(), signer, [])
    assert (none.verdict, none.status) == (Verdict.VALID, TrustStatus.NOT_CHECKED)
    trust = Trust.load([dev.ca])
    bad = decide_trust(Verdict.VALID, "ok", trust, signer, ["signingCredential.untrusted"])
    assert bad.status is TrustStatus.UNTRUSTED and "does not reach" in bad.reason
    selfsigned = SignerInfo("CN=Me", "CN=Me")
    assert "self-signed" in decide_trust(Verdict.VALID, "", trust, selfsigned, []).reason


def test_an_allow_list_narrows_trust(dev: DevIdentity, tmp_path: Path) -> None:
    cert = dev.load().certificate
    signer = SignerInfo(", ".join(f"{a.rfc4514_attribute_name}={a.value}" for a in cert.subject),
                        ", ".join(f"{a.rfc4514_attribute_name}={a.value}" for a in cert.issuer),
                        f"{cert.serial_number:x}")  # fmt: skip
    other = generate_dev_identity(tmp_path / "other").cert
    pinned = decide_trust(Verdict.TRUSTED, "ok", Trust.load([dev.ca], allowed=[dev.cert]),
                          signer, [])  # fmt: skip
    assert pinned.status is TrustStatus.TRUSTED and pinned.rule == "trust_anchor+allowed_signer"
    narrowed = decide_trust(Verdict.TRUSTED, "ok", Trust.load([dev.ca], allowed=[other]),
                            signer, [])  # fmt: skip
    assert (narrowed.verdict, narrowed.status) == (Verdict.VALID, TrustStatus.UNTRUSTED)


def test_ingredient_status() -> None:
    def status(failures: list[StatusEntry], trusted: bool = False, **kw: bool) -> NodeStatus:
        found = {"has_manifest": True, "manifest_found": True, **kw}
        return ingredient_status(failures, trusted=trusted, **found)[0]

    assert status([], has_manifest=False, manifest_found=False) is NodeStatus.UNSIGNED
    assert status([], manifest_found=False) is NodeStatus.MISSING
    ok, codes = ingredient_status(entries("signingCredential.untrusted"), has_manifest=True,
                                  manifest_found=True, trusted=False)  # fmt: skip
    assert ok is NodeStatus.VALID and codes == ("signingCredential.untrusted",)
    assert status([], trusted=True) is NodeStatus.TRUSTED
    assert status(mismatch(CONTENT)) is NodeStatus.TAMPERED
    assert status(mismatch(LOCATION)) is NodeStatus.INVALID


def test_history_exit_codes_follow_verify_and_fail_on_any_node() -> None:
    """Point 10: 1 when any node fails; with anchors, an untrusted node fails too."""
    N = NodeStatus
    assert history_exit_code(Verdict.VALID, [N.VALID, N.UNSIGNED], trust_required=False) == 0
    assert history_exit_code(Verdict.VALID, [N.VALID, N.TAMPERED], trust_required=False) == 1
    assert history_exit_code(Verdict.TRUSTED, [N.TRUSTED, N.VALID], trust_required=True) == 1
    assert history_exit_code(Verdict.TRUSTED, [N.TRUSTED, N.TRUSTED], trust_required=True) == 0
    assert history_exit_code(Verdict.UNSIGNED, [], trust_required=False) == 1
    assert history_exit_code(Verdict.ERROR, [N.ERROR], trust_required=False) == 2


def test_fragments_outcome_takes_the_worst_fragment() -> None:
    ok = fragments_outcome(Verdict.VALID, "ok", [("a.m4s", Verdict.VALID)] * 2)
    assert ok == (Verdict.VALID, "ok; all 2 fragments match the signed stream")
    bad = fragments_outcome(
        Verdict.VALID, "ok", [("a.m4s", Verdict.VALID), ("b.m4s", Verdict.TAMPERED)]
    )
    assert bad == (Verdict.TAMPERED, "1 of 2 fragments fail: b.m4s (tampered)")


def test_a_timestamp_is_verified_apart_from_trusted() -> None:
    """Point 6: trusted only when a version 2 claim's authority chained to your anchors."""
    common = {"present": True, "verified": True, "authority": "TSA"}
    legacy = timestamp_ruling(chain_checked=True, claim_version=1, anchors_supplied=True, **common)
    assert (legacy.verified, legacy.trusted) == (True, False)
    assert "not checked against your trust anchors" in legacy.explanation
    bare = timestamp_ruling(chain_checked=True, claim_version=2, anchors_supplied=False, **common)
    assert not bare.trusted and "no trust anchors" in bare.explanation
    good = timestamp_ruling(chain_checked=True, claim_version=2, anchors_supplied=True, **common)
    assert good.trusted and "chains to one of your trust anchors" in good.explanation
    other = timestamp_ruling(chain_checked=False, claim_version=2, anchors_supplied=True, **common)
    assert not other.trusted and "does not chain" in other.explanation


def test_expiry_says_which_clock_and_the_validity_dates() -> None:
    """Point 5: judged by today's date when no timestamp proves the signing time."""
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    dates = {"not_before": "2022-10-04T09:38:00+00:00", "not_after": "2023-10-05T09:38:00+00:00"}
    today = validity_ruling(**dates, expired=True, timestamp_time=None,
                            timestamp_accepted=False, now=now)  # fmt: skip
    assert today.clock is Clock.CURRENT_TIME and not today.valid
    assert today.explanation.startswith(
        "the signer's certificate expired on 2023-10-05; no trusted timestamp proves it was "
        "signed before that"
    )
    stamped = validity_ruling(**dates, expired=False, timestamp_time="2022-10-19T10:00:00+00:00",
                              timestamp_accepted=True, now=now)  # fmt: skip
    assert stamped.clock is Clock.TIMESTAMP and stamped.valid and "2022-10-19" in (stamped.at or "")
    early = validity_ruling(not_before="2030-01-01T00:00:00+00:00", not_after=None, expired=True,
                            timestamp_time=None, timestamp_accepted=False, now=now)  # fmt: skip
    assert "not valid until 2030-01-01" in early.explanation


def test_sequence_outcome() -> None:
    same = sequence_outcome(Verdict.VALID, "ok", unchanged=3, changed=0, added=0, missing=0)
    assert same == (Verdict.VALID, "ok; all 3 frame files match the signed sequence")
    changed = sequence_outcome(Verdict.VALID, "ok", unchanged=1, changed=1, added=0, missing=2)
    assert changed == (Verdict.TAMPERED, "frame files changed since signing: 1 changed, 2 missing")


def test_check_outcomes_and_exit_codes() -> None:
    assert asset_status(Verdict.VALID, violations=0, internal=False) is AssetStatus.PASS
    assert asset_status(Verdict.VALID, violations=2, internal=False) is AssetStatus.FAIL
    assert asset_status(Verdict.ERROR, violations=1, internal=False) is AssetStatus.ERROR
    assert asset_status(Verdict.ERROR, violations=1, internal=True) is AssetStatus.INTERNAL
    S = AssetStatus
    assert check_exit_code([S.PASS, S.PASS]) is ExitCode.OK
    assert check_exit_code([S.PASS, S.FAIL]) is ExitCode.FAILED
    assert check_exit_code([S.FAIL, S.ERROR]) is ExitCode.ERROR
    assert check_exit_code([S.ERROR, S.INTERNAL, S.FAIL]) is ExitCode.INTERNAL
    assert check_exit_code([]) is ExitCode.OK


# ------------------------------------------------------------------- creator identities

BY_CLAIM_ANCHORS = "signing certificate trusted, found in [system_anchors] trust anchors"
BY_OTHER_LIST = "signing certificate trusted, found in [https://c2pa-rs/unknown_trust_list_0f] trust anchors"  # noqa: E501
UNTRUSTED_CREATOR = "cawg.x509.credential.untrusted"


@pytest.mark.parametrize(
    ("state", "failures", "signer_trusted", "verdict"),
    [
        # c2pa-rs lowers Trusted to Valid for an untrusted creator: the claim stays trusted
        ("Valid", entries(UNTRUSTED_CREATOR), True, Verdict.TRUSTED),
        ("Valid", entries(UNTRUSTED_CREATOR, "signingCredential.untrusted"), False, Verdict.VALID),
        # an issuer unreachable offline makes the library say Invalid: the claim is valid
        ("Invalid", entries("cawg.ica.did_unavailable", "signingCredential.untrusted"), False,
         Verdict.VALID),
        # a trusted state the claim anchors did not give is not trust
        ("Trusted", [], False, Verdict.VALID),
        # an identity that fails validation fails the manifest, said as such
        ("Invalid", entries("cawg.x509.signature.mismatch"), True, Verdict.INVALID),
        ("Valid", entries("cawg.identity.hard_binding_missing", UNTRUSTED_CREATOR), True,
         Verdict.INVALID),
        # claim failures still decide
        ("Invalid", entries(UNTRUSTED_CREATOR, "claimSignature.mismatch"), True, Verdict.INVALID),
    ],
)  # fmt: skip
def test_the_claim_is_judged_apart_from_its_creators(
    state: str, failures: list[StatusEntry], signer_trusted: bool, verdict: Verdict
) -> None:
    got, message = decide(state, failures, signer_trusted=signer_trusted)
    assert got is verdict, message
    if verdict is Verdict.INVALID and all(f.code.startswith("cawg.") for f in failures):
        assert message.startswith("a creator identity does not validate")


def test_claim_signer_trust_comes_from_the_claim_anchors() -> None:
    assert claim_signer_trusted(BY_CLAIM_ANCHORS, identity_anchors=True)
    assert claim_signer_trusted(BY_OTHER_LIST, identity_anchors=False)
    # with identity anchors supplied, only the claim-anchor lists vouch for signers
    assert not claim_signer_trusted(BY_OTHER_LIST, identity_anchors=True)
    assert not claim_signer_trusted(None, identity_anchors=False)


@pytest.mark.parametrize(
    ("success", "failures", "informational", "anchors", "status"),
    [
        (["cawg.identity.well-formed", "cawg.x509.signature.validated",
          "cawg.x509.credential.trusted"], [], [], True, IdentityStatus.TRUSTED),
        # nothing unproven is trusted: no identity anchors, no trusted identity
        (["cawg.x509.signature.validated", "cawg.x509.credential.trusted"], [], [], False,
         IdentityStatus.VALID),
        (["cawg.x509.signature.validated"], [UNTRUSTED_CREATOR], [], True, IdentityStatus.VALID),
        (["cawg.x509.credential.trusted"], ["cawg.x509.signature.mismatch"], [], True,
         IdentityStatus.INVALID),
        ([], ["cawg.ica.did_unavailable"], [], False, IdentityStatus.UNVERIFIED),
        (["cawg.ica.credential_valid"], [], ["cawg.ica.untrusted_issuer"], False,
         IdentityStatus.UNVERIFIED),
        ([], [], [], True, IdentityStatus.UNVERIFIED),
    ],
)  # fmt: skip
def test_identity_ruling(
    success: list[str],
    failures: list[str],
    informational: list[str],
    anchors: bool,
    status: IdentityStatus,
) -> None:
    ruling = identity_ruling(success, failures, informational, anchors_supplied=anchors)
    assert ruling.status is status and ruling.explanation
