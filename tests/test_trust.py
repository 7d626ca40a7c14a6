"""Trust decisions with purpose-made certificate chains, trusted timestamps from a local
RFC 3161 server, allow-lists, trust-list formats, and key handling (issue: trust)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import c2pa
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ObjectIdentifier
from support.certs import (
    EKU_EMAIL_PROTECTION,
    EKU_SERVER_AUTH,
    Chain,
    Issued,
    issue,
    make_chain,
    make_leaf,
    make_root_ca,
    utcnow,
)
from support.tsa import TimestampServer
from typer.testing import CliRunner

from provenance import Clock, DevIdentity, Identity, SigningError, Trust, Verdict, sign, verify
from provenance.cli import app

_IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def test_signing_refuses_forbidden_ekus(photo: Path, tmp_path: Path) -> None:
    root = make_root_ca()
    leaf = make_leaf(root, ekus=[EKU_SERVER_AUTH])
    with pytest.raises(SigningError, match="certificate is invalid"):
        _sign_with(leaf, photo, tmp_path / "o.jpg")
    assert not (tmp_path / "o.jpg").exists()


@pytest.fixture(scope="module")
def tsa() -> Iterator[TimestampServer]:
    with TimestampServer() as server:
        yield server


def _pem_file(tmp: Path, name: str, *certs: Issued) -> Path:
    p = tmp / name
    p.write_bytes(b"".join(c.pem for c in certs))
    return p


def _sign_with(leaf: Issued, src: Path, out: Path, tsa_url: str | None = None) -> Path:
    ident = Identity.from_key(leaf.key, leaf.chain)
    sign(src, out, identity=ident, tsa_url=tsa_url, source_type="digitalCreation")
    return out


@pytest.fixture
def photo(media: Callable[[str], Path]) -> Path:
    return media("jpg")


def test_trusted_direct_chain_names_the_anchor(photo: Path, tmp_path: Path) -> None:
    ch = make_chain(root_cn="Newsroom Root")
    out = _sign_with(ch.leaf, photo, tmp_path / "o.jpg")
    report = verify(out, trust=[_pem_file(tmp_path, "root.pem", ch.root)])
    assert report.verdict is Verdict.TRUSTED
    assert report.trust is not None and report.trust.decision == "trusted"
    assert report.trust.rule == "trust_anchor"
    assert report.trust.anchor is not None and "CN=Newsroom Root" in report.trust.anchor


def test_intermediate_chain_is_trusted(photo: Path, tmp_path: Path) -> None:
    ch = make_chain(with_intermediate=True)
    assert len(ch.leaf.chain) == 2  # leaf + intermediate travel in the manifest
    out = _sign_with(ch.leaf, photo, tmp_path / "o.jpg")
    report = verify(out, trust=[_pem_file(tmp_path, "root.pem", ch.root)])
    assert report.verdict is Verdict.TRUSTED
    assert report.trust is not None and report.trust.decision == "trusted"


def test_untrusted_root_is_valid_not_trusted(photo: Path, tmp_path: Path) -> None:
    ch, other = make_chain(), make_chain(root_cn="Someone Else")
    out = _sign_with(ch.leaf, photo, tmp_path / "o.jpg")
    report = verify(out, trust=[_pem_file(tmp_path, "other.pem", other.root)])
    assert report.verdict is Verdict.VALID and not report.passed
    assert report.trust is not None and report.trust.decision == "untrusted"
    assert "does not reach" in report.trust.reason
    assert report.status_codes == ["signingCredential.untrusted"]


def test_self_signed_leaf_is_called_so(photo: Path, tmp_path: Path) -> None:
    leaf = issue(cn="Lone Signer", ekus=[EKU_EMAIL_PROTECTION])  # its own issuer
    out = _sign_with(leaf, photo, tmp_path / "o.jpg")
    other = make_chain()
    report = verify(out, trust=[_pem_file(tmp_path, "other.pem", other.root)])
    assert report.verdict is not Verdict.TRUSTED
    assert report.trust is not None and "self-signed" in report.trust.reason


def test_wrong_eku_is_invalid_with_its_own_message(photo: Path, tmp_path: Path) -> None:
    """A signer whose only extended key usage is one C2PA does not allow. The file is
    made by a tool configured to accept it, as a careless or hostile one would be; the
    C2PA library itself refuses such certificates for signing."""
    root = make_root_ca()
    leaf = make_leaf(root, ekus=[ObjectIdentifier("1.2.3.4.5")])
    permissive = c2pa.Context.from_dict({"trust": {"trust_config": "1.2.3.4.5"}})
    created = {"action": "c2pa.created", "digitalSourceType": _IPTC + "digitalCapture"}
    manifest = {
        "claim_generator_info": [{"name": "careless", "version": "1"}],
        "title": "x",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [created]}}],
    }
    out = tmp_path / "o.jpg"
    signer = c2pa.Signer.from_callback(
        leaf.sign, c2pa.C2paSigningAlg.ES256, leaf.chain_pem.decode()
    )
    with open(photo, "rb") as src, open(out, "w+b") as dst:
        c2pa.Builder(manifest, context=permissive).sign(signer, "image/jpeg", src, dst)
    report = verify(out, trust=[_pem_file(tmp_path, "root.pem", root)])
    assert report.verdict is Verdict.INVALID
    assert "signingCredential.invalid" in report.status_codes
    assert "extended key usage" in report.message
    assert report.trust is not None and report.trust.decision == "untrusted"


def test_expired_certificate_and_rescue_by_trusted_timestamp(
    photo: Path, tmp_path: Path, tsa: TimestampServer
) -> None:
    root = make_root_ca()
    not_after = (utcnow() + dt.timedelta(seconds=2)).replace(microsecond=0)
    leaf = make_leaf(root, not_before=not_after - dt.timedelta(days=1), not_after=not_after)
    stamped = _sign_with(leaf, photo, tmp_path / "stamped.jpg", tsa_url=tsa.url)
    plain = _sign_with(leaf, photo, tmp_path / "plain.jpg")
    while utcnow() < not_after + dt.timedelta(seconds=1.05):
        time.sleep(0.05)
    anchors = _pem_file(tmp_path, "anchors.pem", root)
    tsa_root = tmp_path / "tsa.pem"
    tsa_root.write_text(tsa.root_pem)

    # Point 5: the message says which clock judged the certificate, with its dates.
    expired = verify(plain, trust=[anchors, tsa_root])
    assert expired.verdict is Verdict.INVALID
    assert "signingCredential.expired" in expired.status_codes
    assert expired.message.startswith(
        f"the signer's certificate expired on {not_after:%Y-%m-%d}; no trusted timestamp "
        "proves it was signed before that, so it is judged at the current time"
    )
    assert expired.validity is not None and expired.validity.clock is Clock.CURRENT_TIME
    assert expired.trust is not None and "no trusted timestamp" in expired.trust.reason

    rescued = verify(stamped, trust=[anchors, tsa_root])
    assert rescued.verdict is Verdict.TRUSTED, rescued.to_dict()
    assert rescued.timestamp is not None
    assert rescued.timestamp.trusted and rescued.timestamp.validated
    assert rescued.timestamp.time is not None
    assert rescued.validity is not None and rescued.validity.clock is Clock.TIMESTAMP
    assert rescued.validity.valid and rescued.validity.at == rescued.timestamp.time

    # Without the timestamp authority among the anchors the time proves nothing.
    unproven = verify(stamped, trust=[anchors])
    assert unproven.verdict is Verdict.INVALID
    assert unproven.timestamp is not None and not unproven.timestamp.trusted
    assert unproven.timestamp.validated  # verified, but its authority is not trusted
    assert "judged at the current time" in unproven.message


def test_timestamp_reported_trusted_only_with_tsa_anchor(
    photo: Path, tmp_path: Path, tsa: TimestampServer
) -> None:
    ch = make_chain()
    out = _sign_with(ch.leaf, photo, tmp_path / "o.jpg", tsa_url=tsa.url)
    root = _pem_file(tmp_path, "root.pem", ch.root)
    tsa_root = tmp_path / "tsa.pem"
    tsa_root.write_text(tsa.root_pem)
    with_tsa = verify(out, trust=[root, tsa_root])
    assert with_tsa.timestamp is not None and with_tsa.timestamp.trusted
    without = verify(out, trust=[root])
    assert without.verdict is Verdict.TRUSTED  # the signer itself is trusted
    assert without.timestamp is not None
    assert without.timestamp.validated and not without.timestamp.trusted
    assert "does not chain to any of your trust anchors" in without.timestamp.explanation


def test_an_old_timestamp_is_verified_but_never_trusted_unchecked(
    corpus: Path, dev: DevIdentity
) -> None:
    """Point 6: C.jpg's version 1 manifest has a timestamp the C2PA library calls trusted
    without checking its authority; with no anchors, or unrelated ones, it is verified,
    not trusted, and the text output says so."""
    photo = corpus / "c2pa-rs" / "C.jpg"
    for anchors in ([], [dev.ca]):
        report = verify(photo, trust=anchors)
        assert report.timestamp is not None
        assert report.timestamp.validated and not report.timestamp.trusted
        assert report.timestamp.authority == "DigiCert Timestamp 2023"
        assert report.timestamp.explanation.startswith(
            "timestamp by DigiCert Timestamp 2023: verified; its authority"
        )
        args = ["verify", str(photo), *(a for ca in anchors for a in ("--trust", str(ca)))]
        text = CliRunner().invoke(app, args, terminal_width=200).output
        assert "trusted timestamp" not in text and "timestamp   timestamp by DigiCert" in text
    assert "not checked against your trust anchors" in report.timestamp.explanation


def test_allow_list_narrows_trust(photo: Path, tmp_path: Path) -> None:
    ch = make_chain()
    out = _sign_with(ch.leaf, photo, tmp_path / "o.jpg")
    root = _pem_file(tmp_path, "root.pem", ch.root)
    listed = Trust.load([root], allowed=[_pem_file(tmp_path, "me.pem", ch.leaf)])
    report = verify(out, trust=listed)
    assert report.verdict is Verdict.TRUSTED
    assert report.trust is not None and report.trust.rule == "trust_anchor+allowed_signer"
    assert report.trust.allowed_signer == ch.leaf.cert.fingerprint(hashes.SHA256()).hex()

    sibling = make_leaf(ch.root, cn="Colleague")
    not_listed = Trust.load([root], allowed=[_pem_file(tmp_path, "them.pem", sibling)])
    report = verify(out, trust=not_listed)
    assert report.verdict is Verdict.VALID and not report.passed
    assert "allow-list" in report.message


def test_trust_list_formats(photo: Path, tmp_path: Path) -> None:
    ch = make_chain()
    out = _sign_with(ch.leaf, photo, tmp_path / "o.jpg")
    der = tmp_path / "root.der"
    der.write_bytes(ch.root.cert.public_bytes(serialization.Encoding.DER))
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"trust": {"trust_anchors": ch.root.pem.decode()}}))
    for source in (der, settings):
        assert verify(out, trust=[source]).verdict is Verdict.TRUSTED, source.name


def test_pkcs12_and_callback_identities(photo: Path, tmp_path: Path) -> None:
    ch = make_chain()
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer",
            ch.leaf.key,
            ch.leaf.cert,
            None,  # type: ignore[arg-type]
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    p12.chmod(0o600)
    root = _pem_file(tmp_path, "root.pem", ch.root)
    ident = Identity.from_pkcs12(p12, passphrase=b"pw")
    assert (
        verify(
            sign(photo, tmp_path / "a.jpg", identity=ident, source_type="digitalCreation").output,
            trust=[root],
        ).verdict
        is Verdict.TRUSTED
    )

    class Device:
        """Stands in for an HSM: it signs, and has no way to give its key out."""

        def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
            self.__key = key

        def sign(self, data: bytes) -> bytes:
            return self.__key.sign(data, ec.ECDSA(hashes.SHA256()))

    assert isinstance(ch.leaf.key, ec.EllipticCurvePrivateKey)
    device = Device(ch.leaf.key)
    hsm = Identity.from_callback(device.sign, alg="es256", chain_pem=ch.chain_pem)
    assert "PRIVATE" not in repr(hsm)
    out = sign(photo, tmp_path / "b.jpg", identity=hsm, source_type="digitalCreation").output
    assert verify(out, trust=[root]).verdict is Verdict.TRUSTED


def test_loose_key_permissions_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ch: Chain = make_chain()
    key, cert = tmp_path / "k.pem", _pem_file(tmp_path, "c.pem", ch.leaf)
    key.write_bytes(ch.leaf.key_pem)
    key.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="provenance"):
        Identity.from_pem(key, cert)
    assert "group or others" in caplog.text
    assert "PRIVATE KEY" not in caplog.text
