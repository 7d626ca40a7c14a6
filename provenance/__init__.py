"""Provenance toolkit: sign media with C2PA content credentials, verify them, and say
which frames and regions of a video changed since it was signed.

    >>> import provenance
    >>> ident = provenance.generate_dev_identity("keys").load()
    >>> provenance.sign("photo.jpg", "signed.jpg", identity=ident, source_type="digitalCapture")
    >>> provenance.verify("signed.jpg", trust=["keys/ca.pem"]).verdict
    <Verdict.TRUSTED: 'trusted'>

`__all__` below is the whole public API; every other module is internal (`_name`).
Each name is imported from its module when it is first used, so importing the package
(or starting the command line, `provenance.cli`) loads nothing the caller does not use.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._sign_many import sign_many
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
        RegistrationRefused,
        RegistryError,
        SigningError,
        SoftBindingError,
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
        Geometry,
        History,
        HistoryNode,
        IdentityStatus,
        Ingredient,
        LookupResult,
        Match,
        NodeStatus,
        ParentIngredient,
        Position,
        Redaction,
        RegisterResult,
        RegisterStatus,
        Retimed,
        Segment,
        SequenceReport,
        SignBatch,
        SignerInfo,
        SignOutcome,
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
    from .registry import (
        ServerLimits,
        create_resolution_app,
        lookup,
        open_registry,
        register,
        register_each,
    )
    from .sign import sign
    from .trust import Trust
    from .verify import verify, verify_many, write_visual_report

# The module each public name lives in.
_MODULES: dict[str, str] = {
    "._version": "__version__",
    ".check": (
        "AssetResult CheckOptions CheckReport CheckRun Engine Policy ReportFormat Violation "
        "check_report_output load_policy print_check_report render_check_report run_check "
        "stream_check write_check_report"
    ),
    ".errors": (
        "CredentialError ExitCode InputError ManifestError OutputError OutputExistsError "
        "PolicyError ProvenanceError RegistrationRefused RegistryError SigningError "
        "SoftBindingError UnsupportedFormatError UsageError"
    ),
    "._sign_many": "sign_many",
    ".history": "history",
    ".identity": "Creator Identity PrivateKey SignCallback",
    ".keygen": "DevIdentity generate_dev_creator generate_dev_identity make_dev_chain",
    ".models": (
        "Action AssetStatus CaptureFacts ChangedFile Clock CreatorIdentity FragmentReport "
        "FrameRegions FrameReport Generator Geometry History HistoryNode IdentityStatus "
        "Ingredient LookupResult Match NodeStatus ParentIngredient Position Redaction "
        "RegisterResult RegisterStatus Retimed Segment SequenceReport "
        "SignBatch SignerInfo SignOutcome SignResult SourceKind StatusEntry TimestampInfo "
        "TrustDecision TrustStatus ValidityCheck Verdict VerificationBatch "
        "VerificationReport VerifiedIdentity"
    ),
    ".registry": "ServerLimits create_resolution_app lookup open_registry register register_each",
    ".sign": "sign",
    ".trust": "Trust",
    ".verify": "verify verify_many write_visual_report",
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    setattr(sys.modules[__name__], name, value)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """`sign`, `verify` and `history` are functions named like the modules they live in.
    Importing such a module (from anywhere) binds it to the package under its name; the
    function is bound instead, as an eager `from .sign import sign` would leave it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _HOME.get(name) == f".{name}":
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "__version__",
    # signing and verifying
    "sign",
    "sign_many",
    "verify",
    "verify_many",
    "history",
    "write_visual_report",
    # the manifest registry: stripped copies
    "register",
    "register_each",
    "lookup",
    "open_registry",
    "create_resolution_app",
    "ServerLimits",
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
    "Geometry",
    "History",
    "HistoryNode",
    "IdentityStatus",
    "Ingredient",
    "LookupResult",
    "Match",
    "NodeStatus",
    "ParentIngredient",
    "Position",
    "Redaction",
    "RegisterResult",
    "RegisterStatus",
    "Retimed",
    "Segment",
    "SequenceReport",
    "SignBatch",
    "SignOutcome",
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
    "RegistrationRefused",
    "RegistryError",
    "SigningError",
    "SoftBindingError",
    "UnsupportedFormatError",
    "UsageError",
]
