"""Provenance toolkit: sign media with C2PA content credentials, verify them, and say
which frames and regions of a video changed since it was signed.

    >>> import provenance
    >>> ident = provenance.generate_dev_identity("keys").load()
    >>> provenance.sign("photo.jpg", "signed.jpg", identity=ident, source_type="digitalCapture")
    >>> provenance.verify("signed.jpg", trust=["keys/ca.pem"]).verdict
    <Verdict.TRUSTED: 'trusted'>

`__all__` below is the whole public API; every other module is internal (`_name`).
"""

from ._version import __version__
from .check import (
    AssetResult,
    CheckOptions,
    CheckReport,
    CheckRun,
    Engine,
    Policy,
    ReportFormat,
    Violation,
    check_report_output,
    load_policy,
    print_check_report,
    render_check_report,
    run_check,
    stream_check,
    write_check_report,
)
from .errors import (
    CredentialError,
    ExitCode,
    InputError,
    ManifestError,
    OutputError,
    OutputExistsError,
    PolicyError,
    ProvenanceError,
    SigningError,
    UnsupportedFormatError,
    UsageError,
)
from .history import history
from .identity import Creator, Identity, PrivateKey, SignCallback
from .keygen import DevIdentity, generate_dev_creator, generate_dev_identity, make_dev_chain
from .models import (
    Action,
    AssetStatus,
    CaptureFacts,
    ChangedFile,
    Clock,
    CreatorIdentity,
    FragmentReport,
    FrameRegions,
    FrameReport,
    Generator,
    History,
    HistoryNode,
    IdentityStatus,
    Ingredient,
    NodeStatus,
    ParentIngredient,
    Position,
    Redaction,
    Retimed,
    Segment,
    SequenceReport,
    SignerInfo,
    SignResult,
    SourceKind,
    StatusEntry,
    TimestampInfo,
    TrustDecision,
    TrustStatus,
    ValidityCheck,
    Verdict,
    VerificationBatch,
    VerificationReport,
    VerifiedIdentity,
)
from .sign import sign
from .trust import Trust
from .verify import verify, verify_many, write_visual_report

__all__ = [
    "__version__",
    # signing and verifying
    "sign",
    "verify",
    "verify_many",
    "history",
    "write_visual_report",
    # identities and trust
    "Creator",
    "DevIdentity",
    "Identity",
    "PrivateKey",
    "SignCallback",
    "Trust",
    "generate_dev_creator",
    "generate_dev_identity",
    "make_dev_chain",
    # results
    "Action",
    "AssetStatus",
    "CaptureFacts",
    "ChangedFile",
    "Clock",
    "CreatorIdentity",
    "FragmentReport",
    "FrameRegions",
    "FrameReport",
    "Generator",
    "History",
    "HistoryNode",
    "IdentityStatus",
    "Ingredient",
    "NodeStatus",
    "ParentIngredient",
    "Position",
    "Redaction",
    "Retimed",
    "Segment",
    "SequenceReport",
    "SignResult",
    "SignerInfo",
    "SourceKind",
    "StatusEntry",
    "TimestampInfo",
    "TrustDecision",
    "TrustStatus",
    "ValidityCheck",
    "Verdict",
    "VerificationBatch",
    "VerificationReport",
    "VerifiedIdentity",
    # the CI check
    "AssetResult",
    "CheckOptions",
    "CheckReport",
    "CheckRun",
    "Engine",
    "Policy",
    "ReportFormat",
    "Violation",
    "check_report_output",
    "load_policy",
    "print_check_report",
    "render_check_report",
    "run_check",
    "stream_check",
    "write_check_report",
    # errors and exit codes
    "CredentialError",
    "ExitCode",
    "InputError",
    "ManifestError",
    "OutputError",
    "OutputExistsError",
    "PolicyError",
    "ProvenanceError",
    "SigningError",
    "UnsupportedFormatError",
    "UsageError",
]
