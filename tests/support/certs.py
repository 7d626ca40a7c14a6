"""Purpose-made X.509 certificate chains for tests.

Everything is generated in memory with ``cryptography`` so tests never depend on
checked-in key material, and every knob C2PA cares about (EKU, key usage,
validity window, AKI/SKI, CA flag) can be set to a good or a deliberately bad value.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

# EKU OIDs spelled out so tests read like the C2PA spec's list.
EKU_EMAIL_PROTECTION = ExtendedKeyUsageOID.EMAIL_PROTECTION
EKU_TIME_STAMPING = ExtendedKeyUsageOID.TIME_STAMPING
EKU_OCSP_SIGNING = ExtendedKeyUsageOID.OCSP_SIGNING
EKU_SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
EKU_ANY = ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
EKU_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
EKU_C2PA_CLAIM_SIGNING = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")


class KeyType(enum.Enum):
    EC_P256 = "ec-p256"
    EC_P384 = "ec-p384"
    RSA_PSS_2048 = "rsa-pss-2048"
    ED25519 = "ed25519"


@dataclass(frozen=True)
class KeyUsage:
    """Key usage bits; defaults match a C2PA claim signer (digitalSignature only)."""

    digital_signature: bool = True
    content_commitment: bool = False
    key_encipherment: bool = False
    key_cert_sign: bool = False
    crl_sign: bool = False

    def to_x509(self) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=self.digital_signature,
            content_commitment=self.content_commitment,
            key_encipherment=self.key_encipherment,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=self.key_cert_sign,
            crl_sign=self.crl_sign,
            encipher_only=False,
            decipher_only=False,
        )


CA_KEY_USAGE = KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def generate_key(key_type: KeyType = KeyType.EC_P256) -> PrivateKey:
    if key_type is KeyType.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    if key_type is KeyType.EC_P384:
        return ec.generate_private_key(ec.SECP384R1())
    if key_type is KeyType.RSA_PSS_2048:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ed25519.Ed25519PrivateKey.generate()


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _hash_for(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None  # Ed25519 signs the message itself; the builder wants None.
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def sign_data(key: PrivateKey, data: bytes) -> bytes:
    """Sign ``data`` the way C2PA expects for the key type (ES256/384, PS256, Ed25519).

    ECDSA signatures are DER; c2pa-rs's callback signer converts them itself.
    """
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = _hash_for(key)
        assert alg is not None
        return key.sign(data, ec.ECDSA(alg))
    return key.sign(data, _pss(), hashes.SHA256())


def _pss() -> padding.PSS:
    # Salt = digest length: the only PSS parameters C2PA/COSE (PS256) accept.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _name(cn: str, org: str | None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key and (optionally) the issuer that signed it."""

    key: PrivateKey
    cert: x509.Certificate
    issuer: Issued | None = field(default=None, repr=False)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)

    @property
    def chain(self) -> list[x509.Certificate]:
        """This cert then its issuers, excluding the self-signed root (as C2PA embeds it)."""
        out: list[x509.Certificate] = []
        node: Issued | None = self
        while node is not None:
            if node.issuer is None and node is not self:
                break  # the root: trust anchors are configured, never shipped in x5chain
            out.append(node.cert)
            node = node.issuer
        return out

    @property
    def chain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    @property
    def root(self) -> Issued:
        node = self
        while node.issuer is not None:
            node = node.issuer
        return node

    def sign(self, data: bytes) -> bytes:
        return sign_data(self.key, data)

    def signer_callback(self) -> Callable[[bytes], bytes]:
        """A callable suitable for ``c2pa.Signer.from_callback``."""
        return self.sign


def issue(
    *,
    cn: str,
    org: str | None = "Provenance Test",
    issuer: Issued | None = None,
    key_type: KeyType = KeyType.EC_P256,
    key: PrivateKey | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    is_ca: bool = False,
    path_length: int | None = None,
    key_usage: KeyUsage | None = None,
    ekus: Sequence[ObjectIdentifier] | None = None,
    eku_critical: bool = False,
    include_aki: bool = True,
    include_ski: bool = True,
    serial: int | None = None,
) -> Issued:
    """Issue one certificate. ``issuer=None`` makes it self-signed.

    Defaults: valid from 1 day ago for 1 year; no EKU extension unless ``ekus`` given;
    key usage is digitalSignature for end entities and keyCertSign|cRLSign for CAs.
    """
    key = key or generate_key(key_type)
    now = utcnow()
    not_before = not_before or now - dt.timedelta(days=1)
    not_after = not_after or now + dt.timedelta(days=365)
    subject = _name(cn, org)
    signing_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject

    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length), critical=True)
    )
    ku = key_usage or (CA_KEY_USAGE if is_ca else KeyUsage())
    builder = builder.add_extension(ku.to_x509(), critical=True)
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=eku_critical)
    if include_ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    if include_aki:
        aki_source = issuer.key.public_key() if issuer else key.public_key()
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_source), critical=False
        )

    if isinstance(signing_key, rsa.RSAPrivateKey):
        cert = builder.sign(signing_key, hashes.SHA256(), rsa_padding=_pss())
    else:
        cert = builder.sign(signing_key, _hash_for(signing_key))
    return Issued(key=key, cert=cert, issuer=issuer)


def make_root_ca(
    cn: str = "Test Root CA",
    org: str | None = "Provenance Test",
    *,
    key_type: KeyType = KeyType.EC_P256,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    now = utcnow()
    return issue(
        cn=cn,
        org=org,
        key_type=key_type,
        is_ca=True,
        not_before=not_before or now - dt.timedelta(days=3650),
        not_after=not_after or now + dt.timedelta(days=3650),
    )


def make_intermediate_ca(
    issuer: Issued,
    cn: str = "Test Intermediate CA",
    org: str | None = "Provenance Test",
    *,
    key_type: KeyType = KeyType.EC_P256,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    now = utcnow()
    return issue(
        cn=cn,
        org=org,
        issuer=issuer,
        key_type=key_type,
        is_ca=True,
        path_length=0,
        not_before=not_before or now - dt.timedelta(days=1825),
        not_after=not_after or now + dt.timedelta(days=1825),
    )


def make_leaf(
    issuer: Issued | None,
    cn: str = "Test Signer",
    org: str | None = "Provenance Test",
    *,
    key_type: KeyType = KeyType.EC_P256,
    ekus: Sequence[ObjectIdentifier] | None = (EKU_EMAIL_PROTECTION,),
    eku_critical: bool = False,
    key_usage: KeyUsage | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    include_aki: bool = True,
    include_ski: bool = True,
) -> Issued:
    """An end-entity cert; ``issuer=None`` gives a self-signed leaf (not a CA)."""
    return issue(
        cn=cn,
        org=org,
        issuer=issuer,
        key_type=key_type,
        ekus=ekus,
        eku_critical=eku_critical,
        key_usage=key_usage,
        not_before=not_before,
        not_after=not_after,
        include_aki=include_aki,
        include_ski=include_ski,
    )


def make_tsa_leaf(
    issuer: Issued,
    cn: str = "Test TSA",
    org: str | None = "Provenance Test",
    *,
    key_type: KeyType = KeyType.EC_P256,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    """RFC 3161 2.3: a TSA cert carries exactly one EKU, timeStamping, marked critical.

    Valid for a year either side of now by default, so tests can fake genTime freely
    (c2pa-rs refuses a token whose genTime falls outside the TSA cert's validity).
    """
    now = utcnow()
    return make_leaf(
        issuer,
        cn,
        org,
        key_type=key_type,
        ekus=(EKU_TIME_STAMPING,),
        eku_critical=True,
        key_usage=KeyUsage(digital_signature=True, content_commitment=True),
        not_before=not_before or now - dt.timedelta(days=365),
        not_after=not_after or now + dt.timedelta(days=365),
    )


@dataclass(frozen=True)
class Chain:
    """root → [intermediate] → leaf, with the PEM bundles c2pa wants."""

    root: Issued
    leaf: Issued
    intermediate: Issued | None = None

    @property
    def chain_pem(self) -> str:
        """Leaf first then intermediates, no root: what ``Signer.from_callback`` takes."""
        return self.leaf.chain_pem.decode()

    @property
    def root_pem(self) -> str:
        return self.root.pem.decode()


def make_chain(
    *,
    with_intermediate: bool = False,
    key_type: KeyType = KeyType.EC_P256,
    ca_key_type: KeyType = KeyType.EC_P256,
    leaf_cn: str = "Test Signer",
    org: str | None = "Provenance Test",
    ekus: Sequence[ObjectIdentifier] | None = (EKU_EMAIL_PROTECTION,),
    key_usage: KeyUsage | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    root_cn: str = "Test Root CA",
) -> Chain:
    root = make_root_ca(root_cn, org, key_type=ca_key_type)
    inter = make_intermediate_ca(root, org=org, key_type=ca_key_type) if with_intermediate else None
    leaf = make_leaf(
        inter or root,
        leaf_cn,
        org,
        key_type=key_type,
        ekus=ekus,
        key_usage=key_usage,
        not_before=not_before,
        not_after=not_after,
    )
    return Chain(root=root, leaf=leaf, intermediate=inter)
