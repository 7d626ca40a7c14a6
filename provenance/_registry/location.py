"""Where a registry is: its location opened as the right backend (no heavy imports here:
each backend loads when used)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import RegistryError
from .config import REGISTRY_ENV

if TYPE_CHECKING:
    from .store import Registry

__all__ = ["is_location", "open_registry", "opened"]


def open_registry(location: str | Path | None = None, *, create: bool = False) -> Registry:
    """The registry at `location` (else $PROVENANCE_REGISTRY): a SQLite file path, a
    postgresql:// URL or an http(s):// base URL; close it when done (it is a context
    manager). A SQLite file is created only when `create` (registering): looking up in a
    missing file is an error, not an empty answer."""
    where = str(location) if location is not None else os.environ.get(REGISTRY_ENV, "")
    if not where.strip():
        raise RegistryError(
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
    raise RegistryError(
        f"{where}: unknown registry location; give a SQLite path, a postgresql:// URL or "
        "an http(s):// URL"
    )


@contextmanager
def opened(registry: str | Path | Registry | None, *, create: bool) -> Iterator[Registry]:
    """The registry given as a location (opened here, closed after) or as an open
    `Registry` (the caller's to close)."""
    from .store import Registry

    if isinstance(registry, Registry):
        yield registry  # the caller's: the caller closes it
        return
    with open_registry(registry, create=create) as reg:
        yield reg


def is_location(registry: object) -> bool:
    """Whether `registry` names a registry (True: $PROVENANCE_REGISTRY) rather than being
    an open one."""
    return isinstance(registry, str | Path | bool)
