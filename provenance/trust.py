"""Trust anchors: which roots make a signer `trusted`.

Nothing is trusted by default. A file is reported `trusted` only when the C2PA
library validated the signer's chain to one of the anchors given here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from .errors import InputError

__all__ = ["TrustAnchors"]


@dataclass(frozen=True)
class TrustAnchors:
    """A bundle of trust-anchor certificates, kept as the PEM text the C2PA library reads."""

    pem: str
    fingerprints: tuple[str, ...]  # SHA-256 of each anchor, hex

    @classmethod
    def load(cls, paths: Iterable[Path | str]) -> TrustAnchors:
        certs: list[x509.Certificate] = []
        for p in map(Path, paths):
            try:
                data = p.read_bytes()
            except FileNotFoundError:
                raise InputError(f"{p}: no such trust-anchor file") from None
            except OSError as e:
                raise InputError(f"{p}: cannot read trust anchors ({e.strerror})") from None
            try:
                certs.extend(x509.load_pem_x509_certificates(data))
            except ValueError:
                raise InputError(f"{p}: not a PEM certificate bundle") from None
        if not certs:
            raise InputError("no trust-anchor certificates were given")
        return cls.from_certificates(certs)

    @classmethod
    def from_certificates(cls, certs: Iterable[x509.Certificate]) -> TrustAnchors:
        certs = list(certs)
        pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)
        fps = tuple(c.fingerprint(hashes.SHA256()).hex() for c in certs)
        return cls(pem=pem, fingerprints=fps)
