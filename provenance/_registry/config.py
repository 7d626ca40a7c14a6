"""The registry's settings that cost no imports: environment variables, the size of a
store, what one request to the resolution API may cost."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_STORE_BYTES", "REGISTRY_ENV", "TOKEN_ENV", "ServerLimits", "redacted"]

REGISTRY_ENV = "PROVENANCE_REGISTRY"
"""The registry used when none is given: a SQLite path, postgresql:// or http(s):// URL."""
TOKEN_ENV = "PROVENANCE_REGISTRY_TOKEN"
"""The bearer token that allows registering over HTTP (server and client)."""
MAX_STORE_BYTES = 64 * 1024 * 1024
"""A store over 64 MiB is refused (an hour of 30 fps video signs into about 10 MB)."""


@dataclass(frozen=True)
class ServerLimits:
    """What one request to the resolution API may cost."""

    upload_bytes: int = 1 << 30  # an asset sent to /matches/byContent (413 past it)
    manifest_bytes: int = MAX_STORE_BYTES  # a store sent to POST /manifests
    body_bytes: int = 1 << 20  # any other body (a byBinding query)
    url_bytes: int = 16 * 1024  # a longer GET byBinding gets 414: use POST
    seconds: float = 120.0  # per request, decoding included (503 past it)
    concurrent: int = 2  # requests decoding media or validating stores at once


def redacted(location: str) -> str:
    """The location without its password, for messages and reports."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(location)
    if parts.password is None:
        return location
    host = parts.hostname or ""
    user = parts.username or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
