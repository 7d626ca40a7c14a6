"""Trust: which certificates make a signer `trusted`.

Nothing is trusted by default. A file is `trusted` only when the C2PA library validated
the signer's chain, at the signing time, to one of the supplied trust anchors, and, if
an allow-list of signers is given, the signer is one of them.

Creator identities (CAWG) are vouched for by anchors of their own: roots that certify
people and organizations are not roots that certify signing software, so neither set
stands in for the other.

Accepted inputs, each a file: a PEM bundle (the C2PA trust list is published as one), a
single DER certificate, or a c2pa settings JSON file (`trust.trust_anchors`,
`trust.user_anchors`, `trust.allowed_list`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ._media import check_regular_file
from .errors import InputError, UsageError

__all__ = ["Trust"]

_MAX_BUNDLE = 64 * 1024 * 1024  # the whole C2PA trust list is a few hundred kB


def _load_certificates(path: Path, *, key: str = "trust_anchors") -> list[x509.Certificate]:
    """Certificates from a PEM bundle, a DER file, or a c2pa settings JSON (`trust.<key>`)."""
    st = check_regular_file(path)  # a FIFO or device named in a policy must not hang us
    if st.st_size > _MAX_BUNDLE:
        raise InputError(f"{path}: too large for a certificate bundle ({st.st_size} bytes)")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read certificates ({e.strerror})") from None
    if data.lstrip().startswith(b"{"):
        try:
            trust = json.loads(data).get("trust") or {}
        except (ValueError, AttributeError):
            raise InputError(f"{path}: not a valid c2pa settings JSON file") from None
        keys = ("trust_anchors", "user_anchors") if key == "trust_anchors" else (key,)
        data = "".join(str(trust.get(k) or "") for k in keys).encode()
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise InputError(f"{path}: no certificates found (expected PEM, DER or JSON)") from None
    return certs


def _pem(certs: Iterable[x509.Certificate]) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def _dn(name: x509.Name) -> str:
    """The subject/issuer spelling the C2PA library reports: CN first, as in the DN."""
    return ", ".join(f"{a.rfc4514_attribute_name}={a.value!s}" for a in name)


@dataclass(frozen=True)
class Trust:
    """Trust anchors plus an optional allow-list of signer (end-entity) certificates, and
    the anchors that vouch for creator identities."""

    anchors: tuple[x509.Certificate, ...] = ()
    allowed: tuple[x509.Certificate, ...] = ()
    identity_anchors: tuple[x509.Certificate, ...] = ()

    @classmethod
    def load(
        cls,
        anchors: Iterable[Path | str] = (),
        *,
        allowed: Iterable[Path | str] = (),
        identity: Iterable[Path | str] = (),
    ) -> Trust:
        """Load trust anchors, an allow-list of signer certificates, and the anchors for
        creator identities, from files. An allow-list without anchors is refused: it
        narrows trust in a CA, never grants it."""
        a = [c for p in anchors for c in _load_certificates(Path(p))]
        e = [c for p in allowed for c in _load_certificates(Path(p), key="allowed_list")]
        i = [c for p in identity for c in _load_certificates(Path(p))]
        if e and not a:
            raise UsageError(
                "allowed signers narrow trust within trust anchors, never grant it: "
                "give the anchors too (--trust)"
            )
        return cls(anchors=tuple(a), allowed=tuple(e), identity_anchors=tuple(i))

    @classmethod
    def coerce(cls, trust: Trust | Iterable[Path | str] | None) -> Trust:
        """A `Trust` as given, or anchors loaded from paths, or no trust at all."""
        if trust is None:
            return cls()
        return trust if isinstance(trust, Trust) else cls.load(trust)

    # Cached: every verification asks for these (the C2PA context is found by them).
    @functools.cached_property
    def anchors_pem(self) -> str | None:
        """The trust anchors as one PEM bundle, or None without anchors."""
        return _pem(self.anchors) or None

    @functools.cached_property
    def allowed_pem(self) -> str | None:
        """The allow-listed signer certificates as one PEM bundle, or None."""
        return _pem(self.allowed) or None

    @functools.cached_property
    def _anchor_names(self) -> tuple[str, ...]:
        return tuple(_dn(c.subject) for c in self.anchors)

    @functools.cached_property
    def identity_anchors_pem(self) -> str | None:
        """The creator-identity anchors as one PEM bundle, or None without them."""
        return _pem(self.identity_anchors) or None

    def __reduce__(self) -> tuple[object, tuple[str | None, ...]]:
        # Certificate objects do not pickle: worker processes get the PEM text.
        return _from_pems, (self.anchors_pem, self.allowed_pem, self.identity_anchors_pem)

    @property
    def supplied(self) -> bool:
        """Whether any trust in signers was supplied (without it, no signer is ever
        trusted). Identity anchors do not count: they vouch for creators only."""
        return bool(self.anchors or self.allowed)

    def anchor_for(self, issuer: str) -> str | None:
        """The subject of the anchor that issued a certificate with this issuer name."""
        return issuer if issuer in self._anchor_names else None

    def allowed_signer(self, subject: str, issuer: str, serial: str | None) -> str | None:
        """The SHA-256 fingerprint of the allow-listed certificate matching this signer.

        The C2PA library reports the signer's subject, issuer and serial number, not the
        certificate bytes, so the match is by issuer and serial number (unique within a
        CA) and subject. That identifies a certificate only under a CA already validated
        as trusted, which is why the allow-list narrows trust and never grants it alone.
        """
        for c in self.allowed:
            if (
                _dn(c.subject) == subject
                and _dn(c.issuer) == issuer
                and serial is not None
                and int(serial, 16) == c.serial_number
            ):
                return c.fingerprint(hashes.SHA256()).hex()
        return None


def _from_pems(anchors: str | None, allowed: str | None, identity: str | None) -> Trust:
    def load(pem: str | None) -> tuple[x509.Certificate, ...]:
        return tuple(x509.load_pem_x509_certificates(pem.encode())) if pem else ()

    return Trust(anchors=load(anchors), allowed=load(allowed), identity_anchors=load(identity))
