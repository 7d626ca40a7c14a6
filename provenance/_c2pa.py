"""The one place that sets up c2pa-python: settings, contexts and error classes."""

from __future__ import annotations

import enum
import functools
import json
import os
from typing import Any

import c2pa

from ._version import __version__
from ._vocab import CLAIM_GENERATOR
from .models import Generator

__all__ = [
    "ErrorKind",
    "SDK_VERSION",
    "classify",
    "context",
    "error_text",
    "generator",
    "signing_context",
]

SDK_VERSION: str = c2pa.sdk_version()


def generator() -> Generator:
    """Who wrote a report: stamped into every JSON document we print."""
    return Generator(CLAIM_GENERATOR, __version__, SDK_VERSION)


# Never reach the network on behalf of a file: a hostile manifest could point
# anywhere, and verification must be reproducible offline.
_BASE_SETTINGS: dict[str, Any] = {
    "verify": {
        "remote_manifest_fetch": False,
        "ocsp_fetch": False,
    },
}


# Extended key usages the C2PA specification allows for claim signers. c2pa-rs's own
# default omits documentSigning and claimSigning, and then calls such signers invalid.
_SIGNER_EKUS = "\n".join(
    [
        "1.3.6.1.5.5.7.3.4",  # id-kp-emailProtection
        "1.3.6.1.5.5.7.3.36",  # id-kp-documentSigning
        "1.3.6.1.5.5.7.3.8",  # id-kp-timeStamping
        "1.3.6.1.5.5.7.3.9",  # id-kp-OCSPSigning
        "1.3.6.1.4.1.311.76.59.1.9",  # Microsoft C2PA signing
        "1.3.6.1.4.1.62558.2.1",  # c2pa-kp-claimSigning
    ]
)


def context(
    *,
    trust_anchors_pem: str | None = None,
    allowed_pem: str | None = None,
    identity_anchors_pem: str | None = None,
    builder: dict[str, Any] | None = None,
    core: dict[str, Any] | None = None,
) -> c2pa.Context:
    """A C2PA context with our settings. Identical settings share one context: building
    one parses every trust anchor, which would otherwise be paid again for each file.

    identity_anchors_pem: roots trusted for CAWG X.509 identity assertions; c2pa-rs 0.91
    keeps them apart from the claim signers' anchors, as a trust list of kind "cawg"."""
    extra = ""  # verify asks for a context per file: without extra settings, no JSON
    if builder or core:
        extra = json.dumps({"builder": builder, "core": core}, sort_keys=True)
    return _context(trust_anchors_pem, allowed_pem, identity_anchors_pem, extra, os.getpid())


def signing_context(
    signer: c2pa.Signer,
    *,
    builder: dict[str, Any] | None = None,
    core: dict[str, Any] | None = None,
) -> c2pa.Context:
    """A context that carries `signer` (and consumes it), for the library's embeddable
    signing API, which takes its signer from the context. Never shared: one per signing."""
    return c2pa.Context.from_dict(_settings(None, None, None, builder, core), signer=signer)


def _settings(
    trust_anchors_pem: str | None,
    allowed_pem: str | None,
    identity_anchors_pem: str | None,
    builder: dict[str, Any] | None,
    core: dict[str, Any] | None,
) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(json.dumps(_BASE_SETTINGS))
    trust: dict[str, Any] = {"trust_config": _SIGNER_EKUS}
    if trust_anchors_pem:
        trust["trust_anchors"] = trust_anchors_pem
    if allowed_pem:
        trust["allowed_list"] = allowed_pem
    if identity_anchors_pem:
        trust["anchors"] = [{"trust_anchors": identity_anchors_pem, "trust_kind": "cawg"}]
    settings["trust"] = trust
    if builder:
        settings["builder"] = builder
    if core:
        settings["core"] = core
    return settings


@functools.lru_cache(maxsize=16)
def _context(
    anchors: str | None, allowed: str | None, identity: str | None, extra: str, pid: int
) -> c2pa.Context:
    # Keyed by process too: a forked worker cannot use its parent's native context.
    parts = json.loads(extra) if extra else {}
    return c2pa.Context.from_dict(
        _settings(anchors, allowed, identity, parts.get("builder"), parts.get("core"))
    )


class ErrorKind(enum.Enum):
    """What a C2PA library error means for us."""

    NO_MANIFEST = enum.auto()  # the asset carries no manifest store
    UNSUPPORTED = enum.auto()  # a format the library cannot read
    IO = enum.auto()  # the bytes could not be read
    REMOTE = enum.auto()  # the manifest is stored remotely (and we never fetch it)
    OTHER = enum.auto()  # anything else: malformed, hostile or unverifiable data


def classify(err: c2pa.C2paError) -> ErrorKind:
    """Classify an error by c2pa-python's public exception classes."""
    if isinstance(err, c2pa.C2paError.ManifestNotFound):
        return ErrorKind.NO_MANIFEST
    if isinstance(err, c2pa.C2paError.NotSupported):
        return ErrorKind.UNSUPPORTED
    if isinstance(err, c2pa.C2paError.Io | c2pa.C2paError.FileNotFound):
        return ErrorKind.IO
    if isinstance(err, c2pa.C2paError.RemoteManifest) or _untyped_remote(err):
        return ErrorKind.REMOTE
    return ErrorKind.OTHER


def _untyped_remote(err: c2pa.C2paError) -> bool:
    # c2pa-python 0.38 has no class for the native library's "Remote" error (a manifest
    # that must be fetched), so it raises the base class; tests/test_c2pa.py pins this.
    return type(err) is c2pa.C2paError and str(err).startswith("Remote:")


def error_text(err: BaseException) -> str:
    """The library's message, trimmed to one line."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    for prefix in ("Failed to create reader: ", "Error during signing: "):
        text = text.removeprefix(prefix)
    return text
