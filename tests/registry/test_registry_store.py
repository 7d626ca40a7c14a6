"""Registry storage on SQLite and on a real PostgreSQL server: schema migrations,
atomic and idempotent registration, concurrent registrations from several processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from support.registrations import synthetic

from provenance import RegisterStatus, RegistryError, open_registry
from provenance._registry.match import BlockTable
from provenance._registry.query import Probe, Query
from provenance._registry.schema import MIGRATIONS, SCHEMA_VERSION
from provenance._registry.sqlite import SqliteRegistry
from provenance._registry.store import Registration, Registry, SqlRegistry


def _rows(reg: Registry, table: str) -> int:
    assert isinstance(reg, SqlRegistry)
    if hasattr(reg, "_query"):
        return int(reg._query(f"SELECT count(*) FROM {table}", ())[0][0])
    raise AssertionError("not a SQL registry")


def test_a_new_registry_is_migrated_once(new_registry: Callable[[], Registry]) -> None:
    reg = new_registry()
    assert isinstance(reg, SqlRegistry)
    assert reg.count() == 0
    versions = reg._query("SELECT version FROM schema_migrations", ())  # type: ignore[attr-defined]
    assert sorted(v for (v,) in versions) == list(range(1, SCHEMA_VERSION + 1))
    # opening it again runs nothing twice
    again = type(reg)(reg.path, create=False) if isinstance(reg, SqliteRegistry) else None
    if again is not None:
        assert again.count() == 0
        again.close()


def test_registration_is_idempotent(new_registry: Callable[[], Registry]) -> None:
    reg = new_registry()
    first = reg.register([synthetic(1), synthetic(2)])
    assert [r.status for r in first] == [RegisterStatus.ADDED] * 2
    again = reg.register([synthetic(2), synthetic(1), synthetic(3)])
    assert [r.status for r in again] == [
        RegisterStatus.UNCHANGED,
        RegisterStatus.UNCHANGED,
        RegisterStatus.ADDED,
    ]
    assert _rows(reg, "manifests") == 3
    assert _rows(reg, "postings") == 3 * 20
    assert reg.manifest_store(synthetic(2).manifest_id) == synthetic(2).store
    assert reg.manifest_store("urn:c2pa:unknown") is None


def test_a_different_store_under_a_known_id_is_a_conflict(
    new_registry: Callable[[], Registry],
) -> None:
    reg = new_registry()
    reg.register([synthetic(1)])
    other = synthetic(1)
    forged = Registration(other.manifest_id, b"another store", other.binding, "video/mp4")
    assert reg.register([forged])[0].status is RegisterStatus.CONFLICT
    assert reg.manifest_store(other.manifest_id) == other.store


class _Exploding(Registration):
    def postings(self) -> list[tuple[int, int, int]]:
        raise RuntimeError("disk on fire")


def test_a_failed_batch_leaves_nothing_behind(new_registry: Callable[[], Registry]) -> None:
    reg = new_registry()
    bad = synthetic(8)
    batch = [synthetic(7), _Exploding(bad.manifest_id, bad.store, bad.binding, "video/mp4")]
    with pytest.raises(RuntimeError):
        reg.register(batch)
    assert _rows(reg, "manifests") == 0
    assert _rows(reg, "postings") == 0
    assert _rows(reg, "manifest_stores") == 0


def _register_worker(location: str, ids: list[int]) -> list[str]:
    with open_registry(location, create=True) as reg:
        return [r.status.value for r in reg.register([synthetic(i) for i in ids])]


def test_concurrent_registrations_from_processes(new_registry: Callable[[], Registry]) -> None:
    reg = new_registry()
    location = str(getattr(reg, "url", None) or getattr(reg, "path", ""))
    # four processes, overlapping batches: each manifest must end up registered once
    batches = [list(range(k, k + 12)) for k in (0, 4, 8, 0)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_register_worker, [(location, b) for b in batches])
    statuses = [s for r in results for s in r]
    assert statuses.count("added") == 20
    assert set(statuses) == {"added", "unchanged"}
    assert reg.count() == 20  # type: ignore[attr-defined]
    assert _rows(reg, "postings") == 20 * 20


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reg.db"
    SqliteRegistry(path, create=True).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 'now')")
    with pytest.raises(RegistryError, match="newer than this toolkit"):
        SqliteRegistry(path)


def test_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nothing.db"
    with pytest.raises(RegistryError, match="no registry here"):
        open_registry(missing)
    assert not missing.exists()  # a lookup never creates one
    with pytest.raises(RegistryError, match="unknown registry location"):
        open_registry("ftp://example.org/reg")
    monkeypatch.delenv("PROVENANCE_REGISTRY", raising=False)
    with pytest.raises(RegistryError, match="PROVENANCE_REGISTRY"):
        open_registry(None)
    monkeypatch.setenv("PROVENANCE_REGISTRY", str(tmp_path / "env.db"))
    with open_registry(None, create=True) as reg:
        assert reg.location == str(tmp_path / "env.db")
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(RegistryError, match="not a usable registry|cannot open"):
        open_registry(tmp_path / "junk.db")


def test_postgres_url_password_is_never_shown() -> None:
    from provenance._registry.config import redacted as _redact

    assert _redact("postgresql://user:s3cret@db.example:5432/reg") == (
        "postgresql://user:***@db.example:5432/reg"
    )
    with pytest.raises(RegistryError) as err:
        open_registry("postgresql://user:s3cret@127.0.0.1:1/reg")
    assert "s3cret" not in str(err.value)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_registry_of_schema_2_is_reindexed_on_first_open(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Migration 3 adds the rest of each core hash to the postings: a registry written
    before it is re-indexed from its stored block tables, and finds what it holds."""
    regs = [synthetic(i) for i in range(3)]
    v2 = [m for m in MIGRATIONS if m.version <= 2]
    rows = [r.row() for r in regs]
    cols = ", ".join(rows[0])
    if backend == "sqlite":
        path = tmp_path / "v2.db"
        with sqlite3.connect(path) as conn:
            conn.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            for m in v2:
                for statement in m.sqlite:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, 'then')",
                    (m.version, m.description),
                )
            for pk, (reg, row) in enumerate(zip(regs, rows, strict=True), start=1):
                conn.execute(
                    f"INSERT INTO manifests (id, {cols}, registered_at) VALUES "
                    f"(?, {', '.join('?' for _ in row)}, 'then')",
                    (pk, *row.values()),
                )
                conn.execute("INSERT INTO manifest_stores VALUES (?, ?)", (pk, reg.store))
                conn.executemany(
                    "INSERT INTO postings VALUES (?, ?, ?)",
                    [(k, pk, s) for k, s, _ in reg.postings()],
                )
        registry: SqlRegistry = SqliteRegistry(path)
    else:
        import psycopg

        from provenance._registry.postgres import PostgresRegistry

        url = request.getfixturevalue("pg_cluster").create_database("v2")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL "
                "DEFAULT now())"
            )
            for m in v2:
                for statement in m.postgres:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)",
                    (m.version, m.description),
                )
            for reg, row in zip(regs, rows, strict=True):
                (pk,) = conn.execute(
                    f"INSERT INTO manifests ({cols}) VALUES "
                    f"({', '.join('%s' for _ in row)}) RETURNING id",
                    tuple(row.values()),
                ).fetchone()
                conn.execute("INSERT INTO manifest_stores VALUES (%s, %s)", (pk, reg.store))
                for k, s, _ in reg.postings():
                    conn.execute("INSERT INTO postings VALUES (%s, %s, %s)", (k, pk, s))
        registry = PostgresRegistry(url)
    with registry:
        versions = registry._query("SELECT version FROM schema_migrations", ())
        assert sorted(v for (v,) in versions) == [1, 2, 3] == list(range(1, SCHEMA_VERSION + 1))
        stored = registry._query("SELECT key, manifest, second, rest FROM postings", ())
        assert sorted(stored) == sorted(
            (k, pk, s, rest)
            for pk, reg in enumerate(regs, start=1)
            for k, s, rest in reg.postings()
        )
        cores = BlockTable.of(regs[1].binding).rows["core"]
        windows = tuple(Probe(i * 1000, 0, int(cores[4 + i]), b"") for i in range(3))
        query = Query("video", 640, 360, (0, 0, 128, 128), windows, 3000, flips=0)
        assert [m.manifest_id for m in registry.search(query)] == [regs[1].manifest_id]
        # registering goes on as before, into the new index
        registry.register([synthetic(3)])
        assert _rows(registry, "postings") == 4 * 20
