"""Creator identity: a CAWG X.509 identity assertion added while our own callback signer
signs the claim, validated by the C2PA library and judged apart from the claim signer;
development creator certificates; and the public corpus's identities."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from captureutil import make_exif_photo
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from mediautil import CORPUS, corpus_available, corpus_missing, sha256

import provenance
from provenance import (
    Creator,
    DevIdentity,
    Identity,
    IdentityStatus,
    Trust,
    TrustStatus,
    Verdict,
    _cawg,
    generate_dev_creator,
)
from provenance.errors import CredentialError, SigningError, UsageError

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@pytest.fixture(scope="module")
def jane(tmp_path_factory: pytest.TempPathFactory) -> DevIdentity:
    return generate_dev_creator(
        tmp_path_factory.mktemp("creator"), name="Jane Doe", org="Daily Planet", alg="ed25519"
    )


def _callback(identity: Identity) -> Identity:
    """The same key behind an opaque callback, as an HSM or KMS would offer it."""
    return Identity.from_callback(
        lambda data: identity.sign(data), alg=identity.alg, chain_pem=identity.chain_pem
    )


def _fingerprint(pem: Path) -> str:
    return x509.load_pem_x509_certificates(pem.read_bytes())[0].fingerprint(hashes.SHA256()).hex()


def _signed(tmp_path: Path, identity: Identity, creator: Creator, name: str = "photo.jpg") -> Path:
    src = make_exif_photo(tmp_path / name)
    out = tmp_path / f"signed-{name}"
    provenance.sign(src, out, identity=identity, source_type="digitalCapture", creator=creator)
    return out


def test_cawg_entry_point_is_available() -> None:
    # c2pa-python 0.38 / c2pa-rs 0.91 export c2pa_identity_signer_create; CI must not
    # silently lose creator identities when the library changes.
    assert _cawg.available()


def test_callback_signers_add_a_trusted_identity(
    tmp_path: Path, identity: Identity, dev: DevIdentity, jane: DevIdentity
) -> None:
    creator = Creator(_callback(jane.load()), ("cawg.creator", "cawg.publisher"))
    out = _signed(tmp_path, _callback(identity), creator)

    report = provenance.verify(out, trust=Trust.load([dev.ca], identity=[jane.ca]))
    assert report.verdict is Verdict.TRUSTED
    assert report.signer is not None and "CN=Test Org Signer" in report.signer.subject
    (who,) = report.identities
    assert who.status is IdentityStatus.TRUSTED
    assert (who.name, who.organization) == ("Jane Doe", "Daily Planet")
    assert who.roles == ("cawg.creator", "cawg.publisher")
    assert who.sig_type == "cawg.x509.cose"
    assert {
        "cawg.identity.well-formed", "cawg.x509.signature.validated",
        "cawg.x509.credential.trusted",
    } <= set(who.success)  # fmt: skip
    assert who.failures == ()
    # The signer payload covers the hard binding, the actions and the capture metadata.
    assert set(who.referenced) == {"c2pa.hash.data", "c2pa.actions.v2", "c2pa.metadata"}
    assert who.certificate_sha256 == _fingerprint(jane.cert)
    assert who.issuer == "Daily Planet Root CA (development only)"


def test_claim_and_identity_are_judged_apart(
    tmp_path: Path, identity: Identity, dev: DevIdentity, jane: DevIdentity
) -> None:
    out = _signed(tmp_path, identity, Creator(jane.load()))
    # c2pa-rs 0.91 lowers the whole state to Valid for an untrusted creator certificate;
    # the claim signer is still trusted, and the identity has its own status.
    report = provenance.verify(out, trust=[dev.ca])
    assert report.validation_state == "Valid"
    assert report.verdict is Verdict.TRUSTED and report.passed
    assert report.trust is not None and report.trust.decision is TrustStatus.TRUSTED
    (who,) = report.identities
    assert who.status is IdentityStatus.VALID
    assert who.failures == ("cawg.x509.credential.untrusted",)
    assert "no identity anchors" in who.explanation

    # c2pa-rs 0.91 also lets an identity anchor vouch for a claim signer it issued; a root
    # for people must not make signing software trusted.
    same_root = _shared_root_chain(tmp_path)
    out = _signed(tmp_path, same_root["claim"], Creator(same_root["creator"]), "shared.jpg")
    people_only = provenance.verify(out, trust=Trust.load(identity=[same_root["root"]]))
    assert people_only.validation_state == "Trusted"  # what the library says
    assert people_only.verdict is Verdict.VALID  # what is proven
    assert people_only.trust is not None
    assert people_only.trust.decision is TrustStatus.NOT_CHECKED
    assert people_only.identities[0].status is IdentityStatus.TRUSTED
    both = Trust.load([dev.ca], identity=[same_root["root"]])
    assert provenance.verify(out, trust=both).verdict is Verdict.VALID
    claim_only = provenance.verify(out, trust=[same_root["root"]])
    assert claim_only.verdict is Verdict.TRUSTED
    assert claim_only.identities[0].status is IdentityStatus.VALID


def _shared_root_chain(tmp_path: Path) -> dict[str, Any]:
    """A claim signer and a creator whose certificates one root issued."""
    import datetime as dt

    from cryptography.hazmat.primitives.asymmetric import ec

    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Shared Root")])
    root = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=9))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip

    def leaf(cn: str) -> Identity:
        key = ec.generate_private_key(ec.SECP256R1())
        name = [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Shared"),
        ]
        cert = (
            x509.CertificateBuilder().subject_name(x509.Name(name)).issuer_name(root_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=5))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                  DOCUMENT_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root_key.public_key()), False)
            .sign(root_key, hashes.SHA256())
        )  # fmt: skip
        return Identity.from_key(key, [cert, root])

    pem = tmp_path / "shared-root.pem"
    pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return {"claim": leaf("Shared Signer"), "creator": leaf("Shared Creator"), "root": pem}


def test_tampered_identity_assertion_makes_the_manifest_invalid(
    tmp_path: Path, identity: Identity, dev: DevIdentity, jane: DevIdentity
) -> None:
    out = _signed(tmp_path, identity, Creator(jane.load()))
    data = bytearray(out.read_bytes())
    at = data.find(b"cawg.creator")
    assert at > 0
    data[at : at + 12] = b"cawg.editor!"  # rewrite the role inside the signed payload
    out.write_bytes(bytes(data))
    report = provenance.verify(out, trust=Trust.load([dev.ca], identity=[jane.ca]))
    assert report.verdict is Verdict.INVALID and not report.passed
    assert "cawg.x509.signature.mismatch" in report.status_codes
    (who,) = report.identities
    # The certificate still chains to the anchor, yet the identity is invalid.
    assert "cawg.x509.credential.trusted" in who.success
    assert who.status is IdentityStatus.INVALID


def test_pkcs12_creator_and_history(
    tmp_path: Path, identity: Identity, dev: DevIdentity, jane: DevIdentity
) -> None:
    key = serialization.load_pem_private_key(jane.key.read_bytes(), None)
    chain = x509.load_pem_x509_certificates(jane.cert.read_bytes())
    p12 = tmp_path / "jane.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"jane", key, chain[0], chain[1:],  # type: ignore[arg-type]
            serialization.BestAvailableEncryption(b"secret"),
        )
    )  # fmt: skip
    creator = Creator.from_pkcs12(p12, roles=["cawg.editor"], passphrase=b"secret")
    first = _signed(tmp_path, identity, Creator(jane.load()))
    edited = tmp_path / "edited.jpg"
    result = provenance.sign(first, edited, identity=identity, action="cropped", creator=creator)
    assert result.creator == "CN=Jane Doe, O=Daily Planet"
    assert result.creator_roles == ("cawg.editor",)

    h = provenance.history(edited, trust=Trust.load([dev.ca], identity=[jane.ca]))
    roles = [[i.roles for i in n.identities] for n in h.nodes()]
    assert roles == [[("cawg.editor",)], [("cawg.creator",)]]
    assert all(i.status is IdentityStatus.TRUSTED for n in h.nodes() for i in n.identities)
    assert h.passed


def test_check_embedded_refuses_a_manifest_without_identity() -> None:
    with pytest.raises(SigningError, match="creator identity"):
        _cawg.check_embedded(b"\x00jumb c2pa.actions.v2 c2pa.hash.data")


def test_expired_creator_certificate_is_refused_before_signing(
    tmp_path: Path, identity: Identity
) -> None:
    import datetime as dt

    key, cert, root = provenance.make_dev_chain(
        org="Old", common_name="Old Creator", alg="es256",
        now=dt.datetime.now(dt.UTC) - dt.timedelta(days=800),
    )  # fmt: skip
    old = Creator(Identity.from_key(key, [cert, root]))
    src = make_exif_photo(tmp_path / "photo.jpg")
    with pytest.raises(CredentialError, match="creator's certificate expired"):
        provenance.sign(src, tmp_path / "o.jpg", identity=identity, creator=old,
                        source_type="digitalCapture")  # fmt: skip
    assert not (tmp_path / "o.jpg").exists()


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


# -- the public corpus: identities of both kinds, read back through verify -----------------


def _corpus() -> list[Any]:
    if not corpus_available():
        return [pytest.param(None, id="corpus-missing")]
    entries = json.loads((CORPUS / "MANIFEST.json").read_text())
    return [
        pytest.param(e, id=e["file"]) for e in entries if "cawg-identity" in e.get("categories", ())
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


@pytest.mark.parametrize("entry", _corpus())
def test_corpus_identities(entry: dict[str, Any] | None) -> None:
    if entry is None:
        corpus_missing()
    path = CORPUS / str(entry["file"])
    assert sha256(path) == entry["sha256"]
    report = provenance.verify(path)
    expected = _EXPECTED.get(str(entry["sha256"])[:12])
    if expected is None:
        # malformed_cbor.jpg: the library cannot decode the identity assertion at all.
        assert report.identities == () and report.verdict is Verdict.INVALID
        assert "assertion.required.missing" in report.status_codes
        return
    status, name, sig_type = expected
    (who,) = report.identities
    assert (who.status, who.name, who.sig_type) == (status, name, sig_type)
    assert type(who).from_dict(who.to_dict()) == who
    if sig_type == "cawg.x509.cose":
        assert who.certificate_sha256 and len(who.certificate_sha256) == 64
    else:
        assert who.issuer and who.issuer.startswith("did:") and who.verified
    # An identity that fails validation fails the file; an unproven one does not.
    assert (report.verdict is Verdict.INVALID) == (
        status is IdentityStatus.INVALID or "signingCredential.expired" in report.status_codes
    )


def test_hostile_identity_and_metadata_json_is_read_without_failing() -> None:
    """A hostile manifest's JSON can hold anything where a list or an object belongs."""
    from provenance import _manifest

    manifest = {
        "label": "urn:c2pa:x",
        "assertions": [
            {"label": "cawg.identity", "data": {"signer_payload": {"role": 5,
             "referenced_assertions": 7}, "signature_info": []}},
            {"label": "cawg.identity__1", "data": {"c2paAsset": 3, "verifiedIdentities": {}}},
            {"label": "c2pa.actions.v2", "data": {"actions": [5, {"parameters": {
                "org.provenance.redacted": [{"x": 1}, "location", "elsewhere"]}}]}},
            {"label": "c2pa.metadata", "data": {"exif:GPSLatitude": [1], "tiff:Make": 7,
             "exifEX:PhotographicSensitivity": {"@list": "x"}}},
            {"label": "cawg.identity__2", "data": None},
        ],
    }  # fmt: skip
    found = _manifest.identities(manifest, {"failure": 3, "success": [1]}, {},
                                 anchors_supplied=True)  # fmt: skip
    assert [i.status for i in found] == [IdentityStatus.UNVERIFIED] * 3
    assert found[0].roles == () and found[1].verified == ()
    capture = _manifest.capture(manifest)
    assert capture is not None and capture.make == "7" and capture.position is None
    assert capture.redacted == (provenance.Redaction.LOCATION,)
