"""The registry's schema, as numbered migrations for SQLite and PostgreSQL.

Both databases hold the same tables:

- `manifests`: one row per registered manifest store: its C2PA manifest id (the active
  manifest's label, `urn:c2pa:...`), SHA-256 of the store, what the lookup shows (kind,
  format, title, signer, issuer, signing time, duration) and the packed block table the
  anti-spoofing rule aligns against (`match.BlockTable`, 15 bytes a block);
- `manifest_stores`: the manifest store bytes (`application/c2pa`), apart so that the
  lookup never reads them;
- `postings`: the inverted index, one row per indexed block: (24-bit key, manifest,
  signed second, rest), the rest being the core hash's other 40 bits, which let a lookup
  count a hit only when the whole hash is near (migration 3);
- `schema_migrations`: which migrations ran.

The postings are read by key only, and a lookup reads thousands of keys: each key's rows
must come from one place. SQLite keeps the table clustered on the key (`WITHOUT ROWID`);
PostgreSQL reads them from a covering index (key, then manifest and second as payload) in
index-only scans, never visiting the table's pages, which hold the rows in registration
order (migration 2).

A migration runs in one transaction under a lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL
advisory lock), so processes opening a new registry at once migrate it exactly once. A
database migrated by a newer toolkit is refused rather than misread. The postings are
derived data: a migration that changes them rebuilds them from every manifest's stored
block table (`REBUILD_POSTINGS`, a step each backend carries out in bulk).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RegistryError

__all__ = ["MIGRATIONS", "REBUILD_POSTINGS", "Migration", "SCHEMA_VERSION", "pending"]


@dataclass(frozen=True)
class Migration:
    """One versioned schema step, per database dialect."""

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


_V1_SQLITE = (
    """CREATE TABLE manifests (
        id INTEGER PRIMARY KEY,
        manifest_id TEXT NOT NULL UNIQUE,
        store_sha256 BLOB NOT NULL,
        alg TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('video', 'image')),
        format TEXT,
        title TEXT,
        signer TEXT,
        issuer TEXT,
        signed_at TEXT,
        duration_ms INTEGER NOT NULL,
        blocks BLOB NOT NULL,
        registered_at TEXT NOT NULL
    )""",
    """CREATE TABLE manifest_stores (
        manifest INTEGER PRIMARY KEY REFERENCES manifests (id) ON DELETE CASCADE,
        data BLOB NOT NULL
    )""",
    # clustered on the key: a lookup reads each key's postings from one place
    """CREATE TABLE postings (
        key INTEGER NOT NULL,
        manifest INTEGER NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
        second INTEGER NOT NULL,
        PRIMARY KEY (key, manifest, second)
    ) WITHOUT ROWID""",
)

_V1_POSTGRES = (
    """CREATE TABLE manifests (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        manifest_id TEXT NOT NULL UNIQUE,
        store_sha256 BYTEA NOT NULL,
        alg TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('video', 'image')),
        format TEXT,
        title TEXT,
        signer TEXT,
        issuer TEXT,
        signed_at TEXT,
        duration_ms INTEGER NOT NULL,
        blocks BYTEA NOT NULL,
        registered_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE manifest_stores (
        manifest BIGINT PRIMARY KEY REFERENCES manifests (id) ON DELETE CASCADE,
        data BYTEA NOT NULL
    )""",
    """CREATE TABLE postings (
        key INTEGER NOT NULL,
        manifest BIGINT NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
        second INTEGER NOT NULL
    )""",
    # a plain index on the key: PostgreSQL deduplicates equal keys in it
    "CREATE INDEX postings_key ON postings (key)",
    "CREATE INDEX postings_manifest ON postings (manifest)",
)

# PostgreSQL: a lookup's keys are scattered over the table (rows in registration order);
# a covering index answers them from the index alone. SQLite's postings already are one.
_V2_POSTGRES = (
    "CREATE INDEX postings_key_covering ON postings (key) INCLUDE (manifest, second)",
    "DROP INDEX postings_key",
    # index-only scans need the visibility map current: vacuum after a tenth of new rows
    "ALTER TABLE postings SET (autovacuum_vacuum_insert_scale_factor = 0.1)",
)

REBUILD_POSTINGS = "-- rebuild the postings from the stored block tables"
"""A migration step that is no statement: the backend fills the (new, empty) postings
table from every registered manifest's block table (`SqlRegistry._stored_postings`)."""

# The rest of each block's core hash beside its key: a lookup counts a hit only when the
# whole hash is near. Existing postings are rebuilt from the stored block tables.
_V3_SQLITE = (
    "DROP TABLE postings",
    """CREATE TABLE postings (
        key INTEGER NOT NULL,
        manifest INTEGER NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
        second INTEGER NOT NULL,
        rest INTEGER NOT NULL,
        PRIMARY KEY (key, manifest, second)
    ) WITHOUT ROWID""",
    REBUILD_POSTINGS,
)
# indexes and the foreign key come after the load: one sort each instead of a registry's
# worth of insertions
_V3_POSTGRES = (
    "DROP TABLE postings",
    """CREATE TABLE postings (
        key INTEGER NOT NULL,
        manifest BIGINT NOT NULL,
        second INTEGER NOT NULL,
        rest BIGINT NOT NULL
    )""",
    REBUILD_POSTINGS,
    "ALTER TABLE postings ADD FOREIGN KEY (manifest) REFERENCES manifests (id) ON DELETE CASCADE",
    "CREATE INDEX postings_key_covering ON postings (key) INCLUDE (manifest, second, rest)",
    "CREATE INDEX postings_manifest ON postings (manifest)",
    "ALTER TABLE postings SET (autovacuum_vacuum_insert_scale_factor = 0.1)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "manifests, manifest stores and the fingerprint index", _V1_SQLITE, _V1_POSTGRES),
    Migration(2, "postings read from a covering index on PostgreSQL", (), _V2_POSTGRES),
    Migration(
        3, "the rest of each core hash beside its key in the postings", _V3_SQLITE, _V3_POSTGRES
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def pending(current: int, where: object) -> list[Migration]:
    """The migrations a registry at schema `current` still needs, in order; a registry
    migrated by a newer toolkit (at `where`) is refused rather than misread."""
    if current > SCHEMA_VERSION:
        raise RegistryError(
            f"{where}: registry schema {current} is newer than this toolkit knows "
            f"({SCHEMA_VERSION}); upgrade the toolkit"
        )
    return [m for m in MIGRATIONS if m.version > current]
