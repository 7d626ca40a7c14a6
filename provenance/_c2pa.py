"""The one place that talks to c2pa-python: settings, contexts and error mapping."""

from __future__ import annotations

import json
from typing import Any

import c2pa

__all__ = ["context", "error_kind", "SDK_VERSION"]

SDK_VERSION: str = c2pa.sdk_version()

# Never reach the network on behalf of a file: a hostile manifest could point
# anywhere, and verification must be reproducible offline.
_BASE_SETTINGS: dict[str, Any] = {
    "verify": {
        "remote_manifest_fetch": False,
        "ocsp_fetch": False,
    },
}


def context(
    *,
    trust_anchors_pem: str | None = None,
    allowed_pem: str | None = None,
    builder: dict[str, Any] | None = None,
    core: dict[str, Any] | None = None,
) -> c2pa.Context:
    settings: dict[str, Any] = json.loads(json.dumps(_BASE_SETTINGS))
    trust: dict[str, Any] = {}
    if trust_anchors_pem:
        trust["trust_anchors"] = trust_anchors_pem
    if allowed_pem:
        trust["allowed_list"] = allowed_pem
    if trust:
        settings["trust"] = trust
    if builder:
        settings["builder"] = builder
    if core:
        settings["core"] = core
    return c2pa.Context.from_dict(settings)


def error_kind(err: BaseException) -> str:
    """The C2PA library's error class name without its prefix, e.g. 'ManifestNotFound'."""
    return type(err).__name__.lstrip("_").removeprefix("C2pa") or "Other"


def error_text(err: BaseException) -> str:
    """The library's message, trimmed to one line."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    for prefix in ("Failed to create reader: ", "Error during signing: "):
        text = text.removeprefix(prefix)
    return text
