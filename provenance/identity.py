"""Signing identities: a certificate chain plus a way to sign with its key.

Every identity signs through a callback, whether the key sits in a PEM or PKCS#12
file or in an HSM/KMS that never lets it out: one code path, and the private key
never crosses into the C2PA library or into any output.

The callback protocol (for `Identity.from_callback`): a function that takes the
bytes to be signed and returns the signature, computed with the algorithm named by
`alg` over those bytes (the signer hashes them itself):

- ``es256``/``es384``/``es512``: ECDSA with SHA-256/384/512, DER or raw r||s;
- ``ps256``/``ps384``/``ps512``: RSASSA-PSS, MGF1 with the same hash, salt = hash length;
- ``ed25519``: pure Ed25519.

A `Creator` is an identity that signs as a named actor (a person or an organization,
with a role such as `cawg.creator`): its CAWG identity assertion joins the manifest the
claim signer signs.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ._media import check_regular_file
from ._vocab import CAWG_ROLES
from .errors import CredentialError, InputError, UsageError

__all__ = ["Creator", "Identity", "PrivateKey", "SignCallback"]

_log = logging.getLogger("provenance")

SignCallback = Callable[[bytes], bytes]
"""`sign(data) -> signature`: see the module docstring for the algorithms."""

_ALGORITHMS = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")

_EC_ALG = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
_HASH: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
"""The private key types an identity can sign with."""


class Identity:
    """A signer: the certificate chain (leaf first) and a signing callback.

    Build one with a named constructor; `repr()` never shows key material.
    """

    __slots__ = ("alg", "chain_pem", "_sign")

    def __init__(self, *, alg: str, chain_pem: str, sign: SignCallback) -> None:
        if alg not in _ALGORITHMS:
            raise CredentialError(f"unsupported signing algorithm {alg!r}")
        self.alg = alg
        self.chain_pem = chain_pem
        self._sign = sign

    def __repr__(self) -> str:
        return f"Identity(alg={self.alg!r}, subject={self.certificate.subject.rfc4514_string()!r})"

    @property
    def certificate(self) -> x509.Certificate:
        """The end-entity (signer) certificate."""
        return x509.load_pem_x509_certificates(self.chain_pem.encode())[0]

    def sign(self, data: bytes) -> bytes:
        """Sign `data` with the identity's key (through its callback)."""
        return self._sign(data)

    @staticmethod
    def key_is_encrypted(key_path: Path | str) -> bool:
        """Whether the PEM private key at `key_path` needs a passphrase to load (False for
        a file that is not a PEM key at all: loading it will say what is wrong)."""
        path = Path(key_path)
        try:
            check_regular_file(path)
            data = path.read_bytes()
        except (InputError, OSError):
            return False
        try:
            serialization.load_pem_private_key(data, password=None)
        except TypeError:  # "password was not given but private key is encrypted"
            return True
        except ValueError:
            return False
        return False

    # -- named constructors -------------------------------------------------

    @classmethod
    def from_callback(cls, callback: SignCallback, *, alg: str, chain_pem: str) -> Identity:
        """Wrap a signing callback (HSM, KMS, smart card); see the module docstring."""
        _load_chain(chain_pem.encode(), "certificate chain")
        return cls(alg=alg.lower(), chain_pem=chain_pem, sign=callback)

    @classmethod
    def from_key(cls, key: PrivateKey, chain: list[x509.Certificate]) -> Identity:
        """Use an in-memory private key object with its chain (leaf first)."""
        if not chain:
            raise CredentialError("the certificate chain is empty")
        if _public_bytes(key.public_key()) != _public_bytes(chain[0].public_key()):
            raise CredentialError("the private key does not match the signer certificate")
        chain_pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain)
        alg = _alg_for(key)
        return cls(alg=alg, chain_pem=chain_pem, sign=_key_signer(key, alg))

    @classmethod
    def from_pem(
        cls, key_path: Path | str, cert_path: Path | str, *, passphrase: bytes | None = None
    ) -> Identity:
        """Load a PEM private key (optionally passphrase-encrypted) and a PEM chain."""
        key_path, cert_path = Path(key_path), Path(cert_path)
        key_data = _read_secret(key_path)
        try:
            key = serialization.load_pem_private_key(key_data, password=passphrase)
        except TypeError:
            if passphrase is None:
                raise CredentialError(
                    f"{key_path}: the key is encrypted; give its passphrase "
                    "(e.g. --passphrase-env VAR)"
                ) from None
            raise CredentialError(
                f"{key_path}: the key is not encrypted; drop the passphrase"
            ) from None
        except ValueError:
            raise CredentialError(
                f"{key_path}: not a usable PEM private key, or wrong passphrase"
            ) from None
        if not isinstance(key, PrivateKey):
            raise CredentialError(f"{key_path}: unsupported key type {type(key).__name__}")
        chain = _load_chain(_read(cert_path), str(cert_path))
        return cls.from_key(key, chain)

    @classmethod
    def from_pkcs12(cls, path: Path | str, *, passphrase: bytes | None = None) -> Identity:
        """Load a key and chain from a PKCS#12 (.p12/.pfx) bundle."""
        path = Path(path)
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(_read_secret(path), passphrase)
        except ValueError:
            raise CredentialError(f"{path}: not a PKCS#12 bundle, or wrong passphrase") from None
        if key is None or cert is None:
            raise CredentialError(f"{path}: the bundle lacks a private key or a certificate")
        if not isinstance(key, PrivateKey):
            raise CredentialError(f"{path}: unsupported key type {type(key).__name__}")
        return cls.from_key(key, [cert, *extra])


@dataclass(frozen=True)
class Creator:
    """A named actor who signs a CAWG identity assertion into the manifest: an `Identity`
    (key file, PKCS#12 or callback, so HSM and KMS keys work) and the roles it claims.

    Roles: the CAWG ones (`cawg.creator`, `cawg.contributor`, `cawg.editor`,
    `cawg.producer`, `cawg.publisher`, `cawg.sponsor`, `cawg.translator`), or a
    namespaced label of your own such as `com.example.photographer`."""

    identity: Identity
    roles: tuple[str, ...] = ("cawg.creator",)

    def __post_init__(self) -> None:
        if not self.roles:
            raise UsageError("give the creator at least one role, e.g. cawg.creator")
        for role in self.roles:
            if role.startswith("cawg.") and role not in CAWG_ROLES:
                raise UsageError(
                    f"unknown CAWG role {role!r}; choose one of {', '.join(CAWG_ROLES)}"
                )
            if "." not in role.strip(".") or any(c.isspace() for c in role):
                raise UsageError(
                    f"role {role!r} must be a CAWG role ({', '.join(CAWG_ROLES)}) or a "
                    "namespaced label such as com.example.photographer"
                )

    @classmethod
    def from_pem(
        cls,
        key_path: Path | str,
        cert_path: Path | str,
        *,
        roles: Sequence[str] = ("cawg.creator",),
        passphrase: bytes | None = None,
    ) -> Creator:
        """A creator whose key and certificate chain are PEM files."""
        return cls(Identity.from_pem(key_path, cert_path, passphrase=passphrase), tuple(roles))

    @classmethod
    def from_pkcs12(
        cls,
        path: Path | str,
        *,
        roles: Sequence[str] = ("cawg.creator",),
        passphrase: bytes | None = None,
    ) -> Creator:
        """A creator whose key and chain are a PKCS#12 bundle."""
        return cls(Identity.from_pkcs12(path, passphrase=passphrase), tuple(roles))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CredentialError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CredentialError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise CredentialError(f"{path}: cannot read ({e.strerror})") from None


def _read_secret(path: Path) -> bytes:
    data = _read(path)
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        _log.warning("%s: key file is accessible by group or others; chmod 600 it", path)
    return data


def _load_chain(data: bytes, what: str) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CredentialError(f"{what}: not a PEM certificate chain") from None
    return chain


def _public_bytes(key: object) -> bytes:
    assert hasattr(key, "public_bytes")
    data: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data


def _alg_for(key: PrivateKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        try:
            return _EC_ALG[key.curve.name]
        except KeyError:
            raise CredentialError(f"unsupported EC curve {key.curve.name}") from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise CredentialError("RSA keys must be at least 2048 bits")
        return "ps256"
    return "ed25519"


def _key_signer(key: PrivateKey, alg: str) -> SignCallback:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        ecdsa = ec.ECDSA(_HASH[alg[2:]]())
        return lambda data: key.sign(data, ecdsa)
    if isinstance(key, rsa.RSAPrivateKey):
        h = _HASH[alg[2:]]()
        pss = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
        return lambda data: key.sign(data, pss, h)
    return key.sign
