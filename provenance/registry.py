"""The manifest registry: signed manifest stores indexed by their soft binding, so that
the signed original of a stripped, re-encoded copy can be found, and the copy compared
with it (C2PA soft bindings and the Soft Binding Resolution API; docs/registry.md).

    >>> provenance.register(["clip.signed.mp4"], registry="registry.db")
    >>> provenance.lookup("copy-from-the-web.mp4", registry="registry.db").found
    True

A registry is a SQLite file (created on first registration), a `postgresql://` URL or the
`http(s)://` base URL of a resolution API (`create_resolution_app`); `$PROVENANCE_REGISTRY`
names the default. `verify(path, lookup=...)` looks a file without credentials up and
compares it with the signed original it finds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ._read import find_source, open_asset, read_store_file, store_bytes
from ._registry.config import TOKEN_ENV, ServerLimits
from ._registry.location import open_registry, opened
from .errors import RegistrationRefused
from .models import LookupResult, RegisterResult
from .trust import Trust

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ._registry.store import Registry

__all__ = [
    "ServerLimits",
    "create_resolution_app",
    "lookup",
    "open_registry",
    "register",
]


def register(
    paths: Iterable[Path | str],
    *,
    registry: str | Path | Registry | None = None,
    trust: Trust | Iterable[Path | str] | None = None,
    require_trusted: bool = False,
) -> tuple[RegisterResult, ...]:
    """Register the manifest of each signed file (embedded, a sidecar beside it, or a
    `.c2pa` store) in `registry`, with its soft-binding index.

    Every manifest is validated first (apart from its asset: signature, assertion hashes,
    certificate, ingredients; with `require_trusted` its signer must chain to a `trust`
    anchor) and must carry our soft binding in agreement with its frame or region table;
    one that does not raises `RegistrationRefused` naming the file, and nothing is
    registered. The batch is then registered atomically. Registering a manifest again is
    a no-op (`unchanged`); a different store under a registered manifest id is a
    `conflict`."""
    from ._registry.manifest import read_store

    trust = Trust.coerce(trust)
    batch = []
    for p in paths:
        asset = open_asset(Path(p))
        source = find_source(asset) if asset.media.kind != "manifest" else None
        data = store_bytes(asset, source) if source is not None else read_store_file(asset.path)
        if data is None:
            raise RegistrationRefused(f"{p}: no content credentials to register")
        try:
            fmt = asset.media.mime if source is not None else None
            batch.append(
                (str(p), read_store(data, trust=trust, require_trusted=require_trusted, format=fmt))
            )
        except RegistrationRefused as e:
            raise RegistrationRefused(f"{p}: {e}") from None
    if not batch:
        return ()
    with opened(registry, create=True) as reg:
        results = reg.register([r for _, r in batch])
    return tuple(
        RegisterResult(r.manifest_id, r.status, path)
        for (path, _), r in zip(batch, results, strict=True)
    )


def lookup(
    path: Path | str,
    *,
    registry: str | Path | Registry | None = None,
    max_results: int = 10,
    time_limit: float | None = None,
) -> LookupResult:
    """Look a photo or video up in `registry` (else $PROVENANCE_REGISTRY): the signed
    originals whose fingerprints the file's align with, best first (see docs/registry.md
    for the anti-spoofing rule). It decodes only a few seconds of a long video. Raises
    `UnsupportedFormatError` for other media, `RegistryError` when the registry cannot be
    used, `TimeoutError` past `time_limit` seconds. The matches are not validated:
    `verify(path, lookup=registry)` validates the best one and compares the file with it."""
    from ._registry.lookup import lookup_file

    with opened(registry, create=False) as reg:
        return lookup_file(reg, Path(path), max_results=max_results, time_limit=time_limit)


def create_resolution_app(
    registry: str | Path | Registry | None = None,
    *,
    token: str | None = None,
    trust: Trust | Iterable[Path | str] | None = None,
    require_trusted: bool = False,
    limits: ServerLimits | None = None,
) -> Starlette:
    """The C2PA Soft Binding Resolution API over `registry`, as a Starlette application
    (serve it with uvicorn, or mount it in a larger app): GET/POST /matches/byBinding,
    POST /matches/byContent, GET /manifests/{id}, GET /services/supportedAlgorithms, and
    POST /manifests (registration, our extension) when a bearer `token` is given (default:
    $PROVENANCE_REGISTRY_TOKEN; none: registration is off). Reads are open. Needs the
    `server` extra (Starlette)."""
    from ._registry.server import create_app
    from ._registry.store import Registry

    reg = registry if isinstance(registry, Registry) else open_registry(registry)
    token = token if token is not None else os.environ.get(TOKEN_ENV) or None
    return create_app(
        reg, token=token, trust=Trust.coerce(trust), require_trusted=require_trusted, limits=limits
    )
