"""Development signing identities: a throwaway root CA and a signer certificate.

For development and tests only. The root is made here and trusted by nobody else;
production signing uses a certificate from a CA on a C2PA trust list.

The signer certificate follows the profile C2PA validators check: X.509 v3 end entity,
subject with CN and O, digitalSignature key usage, an allowed extended key usage
(emailProtection and documentSigning, never anyExtendedKeyUsage), AKI and SKI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ._atomic import atomic_output
from ._vocab import KEY_TYPES
from .errors import OutputExistsError, UsageError
from .identity import Identity, PrivateKey

__all__ = ["DevIdentity", "generate_dev_creator", "generate_dev_identity", "make_dev_chain"]

_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@dataclass(frozen=True)
class DevIdentity:
    """Paths written by `generate_dev_identity`."""

    key: Path  # signer private key, mode 0600
    cert: Path  # signer certificate followed by the root (the chain to pass to sign)
    ca: Path  # the development root: pass it as a trust anchor to verify

    def load(self, passphrase: bytes | None = None) -> Identity:
        """The signing identity these files hold."""
        return Identity.from_pem(self.key, self.cert, passphrase=passphrase)

    def to_dict(self) -> dict[str, str]:
        """The three paths, for `keygen --json`."""
        return {"key": str(self.key), "cert": str(self.cert), "ca": str(self.ca)}


def _new_key(alg: str) -> PrivateKey:
    if alg == "es256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "es384":
        return ec.generate_private_key(ec.SECP384R1())
    if alg == "ps256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if alg == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise UsageError(f"unknown key type {alg!r}; choose one of {', '.join(KEY_TYPES)}")


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        ]
    )


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def make_dev_chain(
    *, org: str, common_name: str, alg: str, now: dt.datetime | None = None, days: int = 365
) -> tuple[PrivateKey, x509.Certificate, x509.Certificate]:
    """Return (signer key, signer certificate, root certificate), all in memory."""
    now = now or dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{org} Root CA (development only)", org)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days * 10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    key = _new_key(alg)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, org))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, _DOCUMENT_SIGNING]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    # The root key is dropped here: a development root that cannot issue more
    # certificates is one less secret to leak.
    return key, cert, root


def generate_dev_identity(
    out_dir: Path | str,
    *,
    org: str = "Provenance Development",
    common_name: str | None = None,
    alg: str = "es256",
    passphrase: bytes | None = None,
    force: bool = False,
) -> DevIdentity:
    """Write a development root CA and a signer key and certificate into `out_dir`."""
    key, cert, root = make_dev_chain(
        org=org, common_name=common_name or f"{org} Signer", alg=_checked(alg)
    )
    return _write_chain(Path(out_dir), "signer", "ca", key, cert, root, passphrase, force)


def generate_dev_creator(
    out_dir: Path | str,
    *,
    name: str,
    org: str = "Provenance Development",
    alg: str = "es256",
    passphrase: bytes | None = None,
    force: bool = False,
) -> DevIdentity:
    """Write a development creator identity for CAWG identity assertions into `out_dir`:
    `creator.key`, `creator.pem` (certificate for `name` at `org`, then its root) and
    `creator-ca.pem` (the root, to trust as an identity anchor when verifying).

    The certificate has the documentSigning and emailProtection extended key usages,
    which the CAWG X.509 credential profile accepts.
    """
    if not name.strip():
        raise UsageError("give the creator's name")
    key, cert, root = make_dev_chain(org=org, common_name=name, alg=_checked(alg))
    return _write_chain(Path(out_dir), "creator", "creator-ca", key, cert, root, passphrase, force)


def _checked(alg: str) -> str:
    alg = alg.lower()
    if alg not in KEY_TYPES:
        raise UsageError(f"unknown key type {alg!r}; choose one of {', '.join(KEY_TYPES)}")
    return alg


def _write_chain(
    out: Path,
    stem: str,
    ca_stem: str,
    key: PrivateKey,
    cert: x509.Certificate,
    root: x509.Certificate,
    passphrase: bytes | None,
    force: bool,
) -> DevIdentity:
    out.mkdir(parents=True, exist_ok=True)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = serialization.Encoding.PEM
    paths = DevIdentity(
        key=out / f"{stem}.key", cert=out / f"{stem}.pem", ca=out / f"{ca_stem}.pem"
    )
    for p in (paths.key, paths.cert, paths.ca):
        if p.exists() and not force:
            raise OutputExistsError(f"{p}: already exists (use --force to replace it)")
    files = (
        # Created 0600 from the start: no moment where the key is readable by others.
        (paths.key, key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption), 0o600),
        (paths.cert, cert.public_bytes(pem) + root.public_bytes(pem), 0o644),
        (paths.ca, root.public_bytes(pem), 0o644),
    )
    for path, data, mode in files:
        with atomic_output(path, force=force, mode=mode) as f:
            f.write(data)
    return paths
