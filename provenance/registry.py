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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ._engine import Engine, Task, imap
from ._read import find_source, open_asset, read_store_file, store_bytes
from ._registry.config import REGISTRY_ENV, TOKEN_ENV, ServerLimits
from ._registry.location import open_registry, opened
from .errors import ProvenanceError, RegistrationRefused, RegistryError
from .models import LookupResult, RegisterResult, RegisterStatus
from .trust import Trust

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ._registry.store import Registration, Registry

__all__ = [
    "ServerLimits",
    "create_resolution_app",
    "lookup",
    "open_registry",
    "register",
    "register_each",
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
    trust = Trust.coerce(trust)
    batch = [(str(p), _registration(p, trust, require_trusted)) for p in paths]
    if not batch:
        return ()
    with opened(registry, create=True) as reg:
        results = reg.register([r for _, r in batch])
    return tuple(
        RegisterResult(r.manifest_id, r.status, path)
        for (path, _), r in zip(batch, results, strict=True)
    )


def register_each(
    paths: Iterable[Path | str],
    *,
    registry: str | Path | None = None,
    trust: Trust | Iterable[Path | str] | None = None,
    require_trusted: bool = False,
    engine: Engine = Engine.LOCAL,
    jobs: int | None = None,
    ray_address: str | None = None,
) -> Iterator[RegisterResult]:
    """`register`, at archive scale: one result per file, streamed in input order, from
    worker processes or a Ray cluster (`engine`, `jobs`, `ray_address`, as `check`).

    A file that `register` would refuse is its own row (`refused`, or `error` when it
    cannot be read) with the reason, and the others are registered: files are validated
    in the workers and each batch of valid ones is written in one transaction. Running
    it again gives `unchanged` rows. `registry` is a location (every worker opens its
    own connection): a SQLite file shared by the workers, a postgresql:// URL or an
    http(s):// URL; a SQLite file is created first. Raises `RegistryError` when the
    registry cannot be opened."""
    where = str(registry) if registry is not None else os.environ.get(REGISTRY_ENV, "")
    if where.strip() and "://" not in where:
        where = os.path.abspath(where)  # workers (Ray's) need not share our directory
    with open_registry(where, create=True):
        pass  # a bad location fails here, once, and a new SQLite file gets its schema
    task = _RegisterTask(where, Trust.coerce(trust), require_trusted)
    items = ((str(p), os.path.abspath(p)) for p in paths)
    return imap(task, items, engine=engine, jobs=jobs, address=ray_address)


def _registration(p: Path | str, trust: Trust, require_trusted: bool) -> Registration:
    """The file's validated manifest store; `RegistrationRefused` naming the file."""
    from ._registry.manifest import read_store

    asset = open_asset(Path(p))
    source = find_source(asset) if asset.media.kind != "manifest" else None
    data = store_bytes(asset, source) if source is not None else read_store_file(asset.path)
    if data is None:
        raise RegistrationRefused(f"{p}: no content credentials to register")
    try:
        fmt = asset.media.mime if source is not None else None
        return read_store(data, trust=trust, require_trusted=require_trusted, format=fmt)
    except RegistrationRefused as e:
        raise RegistrationRefused(f"{p}: {e}") from None


class _RegisterTask(Task[tuple[str, str], RegisterResult]):
    """Validate each file of a batch; register the valid ones in one transaction. Items
    are (the path as given, its absolute path): rows show the first, workers read the
    second."""

    def __init__(self, registry: str, trust: Trust, require_trusted: bool):
        self.registry, self.trust, self.require_trusted = registry, trust, require_trusted

    def run_batch(self, items: Sequence[tuple[str, str]]) -> list[RegisterResult]:
        rows: list[RegisterResult] = []
        valid: list[tuple[int, Registration]] = []
        for path, abspath in items:
            try:
                valid.append((len(rows), _registration(abspath, self.trust, self.require_trusted)))
                rows.append(RegisterResult("", RegisterStatus.ADDED, path))  # set below
            except ProvenanceError as e:
                refused = isinstance(e, RegistrationRefused)
                status = RegisterStatus.REFUSED if refused else RegisterStatus.ERROR
                rows.append(RegisterResult("", status, path, str(e).replace(abspath, path)))
        if valid:
            try:
                with open_registry(self.registry, create=False) as reg:
                    written = reg.register([r for _, r in valid])
            except RegistryError as e:
                written = [
                    RegisterResult(r.manifest_id, RegisterStatus.ERROR, reason=str(e))
                    for _, r in valid
                ]
            for (i, _), w in zip(valid, written, strict=True):
                rows[i] = replace(w, path=rows[i].path, reason=w.reason or _why(w))
        return rows

    def lost(self, item: tuple[str, str], why: str) -> RegisterResult:
        path = item[0]
        return RegisterResult("", RegisterStatus.ERROR, path, f"{path}: its worker died ({why})")


def _why(result: RegisterResult) -> str | None:
    if result.status is RegisterStatus.CONFLICT:
        return f"another manifest store is registered as {result.manifest_id}"
    return None


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
