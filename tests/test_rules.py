"""provenance._rules: the one home of the verdict, trust, status and exit-code rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from provenance import DevIdentity, Trust, generate_dev_identity
from provenance._rules import (
    AssetStatus,
    NodeStatus,
    TrustStatus,
    Verdict,
    asset_status,
    check_exit_code,
    decide,
    decide_trust,
    ingredient_status,
    sequence_outcome,
)
from provenance.errors import ExitCode
from provenance.models import SignerInfo, StatusEntry


def entries(*codes: str, ingredient: bool = False) -> list[StatusEntry]:
    return [StatusEntry(c, ingredient=ingredient) for c in codes]


@pytest.mark.parametrize(
    ("state", "failures", "verdict"),
    [
        ("Trusted", [], Verdict.TRUSTED),
        ("Valid", [], Verdict.VALID),
        ("Valid", entries("signingCredential.untrusted"), Verdict.VALID),
        ("Trusted", entries("timeStamp.untrusted"), Verdict.VALID),
        ("Invalid", entries("assertion.dataHash.mismatch"), Verdict.TAMPERED),
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


def test_a_signer_named_by_the_summary_is_never_matched_by_name(dev: DevIdentity) -> None:
    """Without the certificate only the common name and the issuer's organisation are
    known: no anchor is named from them, self-signed is not guessed, and an allow-list
    (which needs the full names) never grants trust."""
    cert = x509.load_pem_x509_certificates(dev.cert.read_bytes())[0]
    brief = SignerInfo(
        "CN=Test Org Signer", "O=Test Org", f"{cert.serial_number:x}", certificate=False
    )
    trust = Trust.load([dev.ca])
    plain = decide_trust(Verdict.TRUSTED, "ok", trust, brief, [])
    assert plain.status is TrustStatus.TRUSTED and plain.anchor is None
    assert plain.reason == "chain validated to a supplied trust anchor"
    # An anchor whose whole name is that organisation is not taken for the issuer.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Org")])
    now = dt.datetime.now(dt.UTC)
    org_only = x509.CertificateBuilder(
        name, name, key.public_key(), 1, now, now + dt.timedelta(1)
    ).sign(key, hashes.SHA256())
    named = Trust(anchors=(*trust.anchors, org_only))
    assert named.anchor_for("O=Test Org") == "O=Test Org"
    assert decide_trust(Verdict.TRUSTED, "ok", named, brief, []).anchor is None
    allow = Trust.load([dev.ca], allowed=[dev.cert])
    pinned = decide_trust(Verdict.TRUSTED, "ok", allow, brief, [])
    assert pinned.verdict is Verdict.VALID and pinned.status is TrustStatus.UNTRUSTED
    same = SignerInfo("CN=X", "CN=X", certificate=False)
    assert "self-signed" not in decide_trust(Verdict.VALID, "", trust, same, []).reason


def test_ingredient_status() -> None:
    assert ingredient_status([], has_manifest=False, manifest_found=False)[0] is NodeStatus.UNSIGNED
    assert ingredient_status([], has_manifest=True, manifest_found=False)[0] is NodeStatus.MISSING
    ok, codes = ingredient_status(["signingCredential.untrusted"], has_manifest=True,
                                  manifest_found=True)  # fmt: skip
    assert ok is NodeStatus.VALID and codes == ("signingCredential.untrusted",)
    hashed = ["assertion.dataHash.mismatch"]
    assert ingredient_status(hashed, has_manifest=True, manifest_found=True)[0] is (
        NodeStatus.TAMPERED
    )


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
