"""The registry interface, and the lookup every database backend shares.

A `Registry` stores signed manifest stores with their soft-binding index and answers
lookups. Three backends implement it: SQLite (`sqlite.py`, the embedded default),
PostgreSQL (`postgres.py`) and an HTTP client of `provenance serve` (`client.py`).
Registrations are batches, atomic and idempotent; backends are safe to share between
threads (each thread gets its own database connection).
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from ..models import Match, RegisterResult
from .match import BlockTable, Candidate, probe_keys, rank, vote
from .query import Query
from .softbinding import ALGS, SoftBinding

__all__ = [
    "Registration",
    "Registry",
    "SqlRegistry",
]

CANDIDATES_VIDEO = 32
CANDIDATES_IMAGE = 256


@dataclass(frozen=True)
class Registration:
    """A validated manifest store, ready to index."""

    manifest_id: str  # the active manifest's label, urn:c2pa:...
    store: bytes  # the manifest store (application/c2pa)
    binding: SoftBinding
    format: str | None  # MIME type of the signed asset, when known
    title: str | None = None
    signer: str | None = None
    issuer: str | None = None
    signed_at: str | None = None

    @property
    def store_sha256(self) -> bytes:
        """SHA-256 of the store: how a repeated registration is recognized."""
        return hashlib.sha256(self.store).digest()

    def row(self) -> dict[str, Any]:
        """The `manifests` row (without id and registration time)."""
        return {
            "manifest_id": self.manifest_id,
            "store_sha256": self.store_sha256,
            "alg": self.binding.alg,
            "kind": self.binding.kind,
            "format": self.format,
            "title": self.title,
            "signer": self.signer,
            "issuer": self.issuer,
            "signed_at": self.signed_at,
            "duration_ms": self.binding.duration_ms,
            "blocks": BlockTable.of(self.binding).pack(),
        }

    def postings(self) -> list[tuple[int, int, int]]:
        """(key, signed second, rest of the core hash) of every indexed block, without
        duplicates (`BlockTable.postings`)."""
        return BlockTable.of(self.binding).postings(self.binding.kind)


class Registry(abc.ABC):
    """A manifest registry: register stores, look fingerprints up, fetch stores."""

    location: str

    @abc.abstractmethod
    def register(self, registrations: Sequence[Registration]) -> list[RegisterResult]:
        """Register a batch in one transaction: every manifest is indexed completely or
        not at all; one already registered is left as it is."""

    @abc.abstractmethod
    def search(self, query: Query, *, max_results: int = 10) -> list[Match]:
        """Registered manifests the query matches, best first (see `match`)."""

    @abc.abstractmethod
    def manifest_store(self, manifest_id: str) -> bytes | None:
        """The registered manifest store, or None."""

    def algorithms(self) -> list[str]:
        """The soft-binding algorithms this registry indexes."""
        return list(ALGS)

    def close(self) -> None:  # noqa: B027 - backends without resources keep the default
        """Release connections."""

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SqlRegistry(Registry):
    """The lookup the database backends share: probe, vote, align (see `match`)."""

    def search(self, query: Query, *, max_results: int = 10) -> list[Match]:
        """See `Registry.search`."""
        probes = probe_keys(query, flips=query.flips)
        votes = vote(query, probes, self._hits(probes.unique()))
        # a still's alignment is one comparison: afford more of them
        limit = CANDIDATES_IMAGE if query.kind == "image" else CANDIDATES_VIDEO
        candidates = self._candidates(votes.top(limit))
        return rank(query, candidates, votes, max_results)

    # The database driver's parameter marker ("?" for sqlite3, "%s" for psycopg).
    _MARK = "?"
    # The postings under a list of keys (the one parameter), in the database's dialect.
    _HITS: str

    def manifest_store(self, manifest_id: str) -> bytes | None:
        """See `Registry.manifest_store`."""
        rows = self._query(
            "SELECT s.data FROM manifests m JOIN manifest_stores s ON s.manifest = m.id "
            f"WHERE m.manifest_id = {self._MARK}",
            (manifest_id,),
        )
        return bytes(rows[0][0]) if rows else None

    def count(self) -> int:
        """How many manifests are registered."""
        return int(self._query("SELECT count(*) FROM manifests", ())[0][0])

    @abc.abstractmethod
    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        """The rows `sql` selects."""

    @abc.abstractmethod
    def _hits(self, keys: Sequence[int]) -> npt.NDArray[np.int64]:
        """(key, manifest pk, signed second, rest), one row for every posting under
        `keys`."""

    def _stored_postings(self, batch: int = 10_000) -> Iterator[list[tuple[int, int, int, int]]]:
        """(key, manifest pk, signed second, rest) of every registered manifest, derived
        from its stored block table, `batch` manifests at a time: what a migration that
        changes the index rebuilds it from."""
        last = 0
        while True:
            rows = self._query(
                f"SELECT id, kind, blocks FROM manifests WHERE id > {self._MARK} "
                f"ORDER BY id LIMIT {batch}",
                (last,),
            )
            if not rows:
                return
            yield [
                (key, int(pk), second, rest)
                for pk, kind, blocks in rows
                for key, second, rest in BlockTable.unpack(bytes(blocks)).postings(kind)
            ]
            last = int(rows[-1][0])

    @abc.abstractmethod
    def _candidates(self, pks: Sequence[int]) -> list[Candidate]:
        """The candidates with these primary keys."""
