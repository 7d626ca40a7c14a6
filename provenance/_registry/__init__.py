"""The manifest registry: signed manifest stores indexed by their soft binding, so that
the signed original of a stripped, re-encoded copy can be found (C2PA soft bindings and
the Soft Binding Resolution API).

Internal for now; the public names are re-exported by `provenance` once `sign`, `verify`
and the CLI use them.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import (
    RegistrationRefused,
    RegistryConflict,
    RegistryError,
    RegistryLocationError,
    SoftBindingError,
    UnsupportedMediaError,
)
from .lookup import LookupResult, lookup_file
from .manifest import read_store
from .match import Geometry, Match
from .softbinding import ALG, LABEL, SoftBinding
from .store import (
    REGISTRY_ENV,
    TOKEN_ENV,
    RegisterResult,
    RegisterStatus,
    Registration,
    Registry,
)

__all__ = [
    "ALG",
    "LABEL",
    "REGISTRY_ENV",
    "TOKEN_ENV",
    "Geometry",
    "LookupResult",
    "Match",
    "RegisterResult",
    "RegisterStatus",
    "Registration",
    "RegistrationRefused",
    "Registry",
    "RegistryConflict",
    "RegistryError",
    "RegistryLocationError",
    "SoftBinding",
    "SoftBindingError",
    "UnsupportedMediaError",
    "lookup_file",
    "open_registry",
    "read_store",
]


def open_registry(location: str | Path | None = None, *, create: bool = False) -> Registry:
    """The registry at `location` (else $PROVENANCE_REGISTRY): a SQLite file path, a
    postgresql:// URL or an http(s):// base URL. A SQLite file is created only when
    `create` (registering); looking up in a missing file is an error, not an empty answer.
    """
    where = str(location) if location is not None else os.environ.get(REGISTRY_ENV, "")
    if not where.strip():
        raise RegistryLocationError(
            f"no registry given: pass one, or set ${REGISTRY_ENV} (a SQLite file, "
            "postgresql:// URL or http(s):// URL)"
        )
    scheme = where.split("://", 1)[0].lower() if "://" in where else ""
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresRegistry

        return PostgresRegistry(where)
    if scheme in ("http", "https"):
        from .client import HttpRegistry

        return HttpRegistry(where)
    if scheme in ("", "sqlite"):
        from .sqlite import SqliteRegistry, sqlite_path

        return SqliteRegistry(sqlite_path(where), create=create)
    raise RegistryLocationError(
        f"{where}: unknown registry location; give a SQLite path, a postgresql:// URL or "
        "an http(s):// URL"
    )
