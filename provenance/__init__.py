"""Provenance toolkit: sign media with C2PA content credentials, verify them, and say
which frames and regions of a video changed since it was signed.

    >>> import provenance
    >>> ident = provenance.generate_dev_identity("keys").load()
    >>> provenance.sign("photo.jpg", "signed.jpg", identity=ident)
    >>> provenance.verify("signed.jpg", trust=["keys/ca.pem"]).verdict
    <Verdict.TRUSTED: 'trusted'>
"""

from ._version import __version__
from .errors import (
    CredentialError,
    InputError,
    ManifestError,
    OutputExistsError,
    ProvenanceError,
    SigningError,
    UnsupportedFormatError,
    UsageError,
)
from .history import History, HistoryNode, history
from .identity import Identity
from .keygen import DevIdentity, generate_dev_identity
from .models import (
    Action,
    Ingredient,
    SignerInfo,
    SignResult,
    StatusEntry,
    TimestampInfo,
    TrustDecision,
    Verdict,
    VerificationReport,
)
from .sign import sign
from .trust import Trust
from .verify import verify

__all__ = [
    "__version__",
    "Action",
    "CredentialError",
    "DevIdentity",
    "Identity",
    "Ingredient",
    "InputError",
    "ManifestError",
    "OutputExistsError",
    "ProvenanceError",
    "SignResult",
    "SignerInfo",
    "SigningError",
    "StatusEntry",
    "TimestampInfo",
    "Trust",
    "TrustDecision",
    "History",
    "HistoryNode",
    "history",
    "UnsupportedFormatError",
    "UsageError",
    "Verdict",
    "VerificationReport",
    "generate_dev_identity",
    "sign",
    "verify",
]
