"""Creator identity: a CAWG X.509 identity assertion added while our own callback
signer signs the claim, validated by the C2PA library; and the corpus's identities."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from captureutil import make_exif_photo, read_back, sign_direct
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from mediautil import CORPUS, sha256

from provenance import _cawg
from provenance.capture import CaptureFacts
from provenance.creator import Creator, IdentityStatus, fingerprint, read_identities
from provenance.errors import SigningError, UsageError
from provenance.identity import Identity
from provenance.keygen import DevIdentity, generate_dev_creator

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@pytest.fixture(scope="module")
def jane(tmp_path_factory: pytest.TempPathFactory) -> DevIdentity:
    return generate_dev_creator(
        tmp_path_factory.mktemp("creator"), name="Jane Doe", org="Daily Planet", alg="ed25519"
    )


def _callback_identity(identity: Identity) -> Identity:
    """The same key behind an opaque callback, as an HSM or KMS would offer it."""
    return Identity.from_callback(
        lambda data: identity.sign(data), alg=identity.alg, chain_pem=identity.chain_pem
    )


def test_cawg_entry_point_is_available() -> None:
    # c2pa-python 0.38 / c2pa-rs 0.91 export c2pa_identity_signer_create; CI must not
    # silently lose creator identities when the library changes.
    assert _cawg.available()


def test_identity_assertion_with_callback_signers_is_validated(
    tmp_path: Path, identity: Identity, dev: DevIdentity, jane: DevIdentity
) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    out = tmp_path / "signed.jpg"
    creator = Creator(_callback_identity(jane.load()), ("cawg.creator", "cawg.publisher"))
    metadata = CaptureFacts(make="Acme").to_assertion()
    assert metadata is not None
    sign_direct(
        src, out, "image/jpeg", identity=_callback_identity(identity), creator=creator,
        assertions=(metadata,),
    )  # fmt: skip

    back = read_back(
        out, "image/jpeg", anchors=dev.ca.read_text(), identity_anchors=jane.ca.read_text()
    )
    assert back.state == "Trusted"
    assert {
        "cawg.identity.well-formed",
        "cawg.x509.signature.validated",
        "cawg.x509.credential.trusted",
    } <= set(back.codes("success"))
    assert not back.codes("failure")
    (who,) = back.identities
    assert who.status is IdentityStatus.TRUSTED
    assert (who.name, who.organization) == ("Jane Doe", "Daily Planet")
    assert who.roles == ("cawg.creator", "cawg.publisher")
    assert who.sig_type == "cawg.x509.cose"
    # The signer payload covers the hard binding, the actions and the capture metadata.
    assert set(who.referenced) == {"c2pa.hash.data", "c2pa.actions.v2", "c2pa.metadata"}
    assert who.certificate_sha256 == fingerprint(jane.cert.read_bytes())
    # The claim itself is signed by the claim signer, not by the creator.
    claim_cn = back.manifest["signature_info"]["common_name"]
    assert (
        claim_cn
        == identity.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    )


def test_identity_not_trusted_without_its_anchor(
    tmp_path: Path, identity: Identity, dev: DevIdentity, jane: DevIdentity
) -> None:
    src = make_exif_photo(tmp_path / "photo.png")
    out = tmp_path / "signed.png"
    sign_direct(src, out, "image/png", identity=identity, creator=Creator(jane.load()))
    back = read_back(out, "image/png", anchors=dev.ca.read_text())
    (who,) = back.identities
    # Well-formed and signed, but nothing here vouches for the creator's certificate.
    assert who.status is IdentityStatus.VALID
    assert "failure:cawg.x509.credential.untrusted" in who.codes
    # The claim signer is trusted, but c2pa-rs 0.91 lets the identity's untrusted
    # credential lower the whole state from Trusted to Valid: verdicts must tell the two
    # apart by their codes.
    assert "signingCredential.trusted" in back.codes("success")
    assert back.state == "Valid"


def test_tampered_identity_assertion_is_invalid(
    tmp_path: Path, identity: Identity, dev: DevIdentity, jane: DevIdentity
) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    out = tmp_path / "signed.jpg"
    sign_direct(src, out, "image/jpeg", identity=identity, creator=Creator(jane.load()))
    data = bytearray(out.read_bytes())
    at = data.find(b"cawg.creator")
    assert at > 0
    data[at : at + 12] = b"cawg.editor!"  # rewrite the role inside the signed payload
    out.write_bytes(bytes(data))
    back = read_back(
        out, "image/jpeg", anchors=dev.ca.read_text(), identity_anchors=jane.ca.read_text()
    )
    assert back.state == "Invalid"
    assert "cawg.x509.signature.mismatch" in back.codes("failure")
    (who,) = back.identities
    # The certificate still chains to the anchor, yet the identity is invalid.
    assert "success:cawg.x509.credential.trusted" in who.codes
    assert who.status is IdentityStatus.INVALID


def test_check_embedded_refuses_a_manifest_without_identity() -> None:
    with pytest.raises(SigningError, match="creator identity"):
        _cawg.check_embedded(b"\x00jumb c2pa.actions.v2 c2pa.hash.data")


@pytest.mark.parametrize("roles", [(), ("cawg.author",), ("photographer",), ("com.example. x",)])
def test_roles_are_checked(jane: DevIdentity, roles: tuple[str, ...]) -> None:
    with pytest.raises(UsageError):
        Creator(jane.load(), roles)


def test_custom_namespaced_role_is_allowed(jane: DevIdentity) -> None:
    assert Creator(jane.load(), ("com.example.subject",)).roles == ("com.example.subject",)


def test_dev_creator_certificate(jane: DevIdentity) -> None:
    assert stat.S_IMODE(jane.key.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificates(jane.cert.read_bytes())[0]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Jane Doe"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Daily Planet"
    )
    ekus = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert DOCUMENT_SIGNING in ekus
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in ekus
    assert jane.ca.name == "creator-ca.pem"
    with pytest.raises(UsageError):
        generate_dev_creator(jane.key.parent / "x", name="  ")


# -- the public corpus: identities of both kinds, read back -----------------------------

_CORPUS = [
    e
    for e in (
        json.loads((CORPUS / "MANIFEST.json").read_text())
        if (CORPUS / "MANIFEST.json").is_file()
        else []
    )
    if "cawg-identity" in e.get("categories", ())
]
ICA = "cawg.identity_claims_aggregation"
# Expected identity per corpus file, by checksum (names may change, bytes do not).
_EXPECTED = {
    # c2pa-rs C_with_CAWG_data.jpg: X.509 identity, valid signature, test cert not trusted.
    "fa0b257c863c": (IdentityStatus.VALID, "C2PA Signer", "cawg.x509.cose"),
    # c2pa-c C_with_CAWG_data.jpg: aggregated identities; the issuer DID is unreachable offline.
    "c7033c5d63e8": (IdentityStatus.UNVERIFIED, "Gavin Peacock", ICA),
    # ica_success.jpg: well-formed, but its issuer is on no trusted list.
    "2d82904a32ee": (IdentityStatus.UNVERIFIED, "First-Name Last-Name", ICA),
    "74d975b3b6b0": (IdentityStatus.INVALID, "First-Name Last-Name", ICA),
    # no_hard_binding.jpg: the signer payload does not cover the hard binding.
    "2e6b5fc080aa": (IdentityStatus.INVALID, "C2PA Signer", "cawg.x509.cose"),
}  # fmt: skip


def test_corpus_has_cawg_files() -> None:
    if not (CORPUS / "MANIFEST.json").is_file():
        pytest.skip(f"public C2PA corpus not found at {CORPUS} (shared/fixtures/c2pa-public)")
    assert len(_CORPUS) >= 2


@pytest.mark.parametrize("entry", _CORPUS, ids=[e["file"] for e in _CORPUS])
def test_corpus_identities(entry: dict[str, object]) -> None:
    path = CORPUS / str(entry["file"])
    assert sha256(path) == entry["sha256"]
    import c2pa

    from provenance import _c2pa

    with open(path, "rb") as f, c2pa.Reader("image/jpeg", f, context=_c2pa.context()) as r:
        store = json.loads(r.json())
        detailed = json.loads(r.detailed_json())
    label = store.get("active_manifest")
    expected = _EXPECTED.get(str(entry["sha256"])[:12])
    if label not in store.get("manifests", {}):
        # malformed_cbor.jpg: the library cannot decode the manifest at all.
        assert expected is None
        assert "assertion.required.missing" in entry["expected"]["failure_codes"]  # type: ignore[index]
        return
    identities = read_identities(
        store["manifests"][label]["assertions"],
        store["validation_results"]["activeManifest"],
        detailed["manifests"][label]["assertion_store"],
    )
    assert expected is not None, "a corpus CAWG file without an expectation here"
    status, name, sig_type = expected
    (who,) = identities
    assert (who.status, who.name, who.sig_type) == (status, name, sig_type)
    assert who.to_dict() == type(who).from_dict(who.to_dict()).to_dict()
    if sig_type == "cawg.x509.cose":
        assert who.certificate_sha256 and len(who.certificate_sha256) == 64
    else:
        assert who.issuer and who.issuer.startswith("did:") and who.verified
