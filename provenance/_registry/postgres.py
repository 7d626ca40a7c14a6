"""The registry on a PostgreSQL server (psycopg 3), for a newsroom or a platform.

The same schema as SQLite. A registration batch is one transaction; a manifest id
registered concurrently by two sessions is inserted once (`ON CONFLICT DO NOTHING` waits
for the other transaction, then sees its row). Postings are written with COPY.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import RegistryError
from ..models import RegisterResult, RegisterStatus
from .config import redacted
from .match import BlockTable, Candidate
from .schema import REBUILD_POSTINGS, pending
from .store import Registration, SqlRegistry

__all__ = ["PostgresRegistry"]

_LOCK_ID = 0x70726F76  # advisory lock for migrations ("prov")
_HIT_COLUMNS = ("key", "manifest", "second", "rest")
_HIT = np.dtype(list(zip(_HIT_COLUMNS, (">i4", ">i8", ">i4", ">i8"), strict=True)))

try:
    import psycopg
except ImportError:  # pragma: no cover - depends on the installed extras
    psycopg = None  # type: ignore[assignment]


class PostgresRegistry(SqlRegistry):
    """A registry in a PostgreSQL database, given as a `postgresql://` URL."""

    _MARK = "%s"
    # the postings under the keys as one bytea (24 bytes a row, big-endian), read as one
    # NumPy buffer: a crop round's 9,000 rows decoded as tuples cost the client 10 ms, so
    # 4 ms (benchmarks/registry_scale.py)
    _HITS = (
        "SELECT string_agg(int4send(key) || int8send(manifest) || int4send(second) "
        "|| int8send(rest), ''::bytea) FROM postings WHERE key = ANY(%s)"
    )

    def __init__(self, url: str) -> None:
        if psycopg is None:
            raise RegistryError(
                "PostgreSQL registries need psycopg: pip install 'provenance-toolkit[registry]'"
            )
        self.url = url
        self.location = redacted(url)
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._migrate()

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            try:
                conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.Error as e:
                raise RegistryError(f"{self.location}: cannot connect ({_first(e)})") from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _migrate(self) -> None:
        conn = self._conn()
        rebuilt = False
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                    "KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL "
                    "DEFAULT now())"
                )
                row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
                for m in pending(int(row[0] or 0), self.location):
                    for statement in m.postgres:
                        if statement == REBUILD_POSTINGS:
                            self._rebuild_postings(conn)
                            rebuilt = True
                        else:
                            conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)",
                        (m.version, m.description),
                    )
            if rebuilt:  # index-only scans need the visibility map (outside a transaction)
                conn.execute("VACUUM (ANALYZE) postings")
        except psycopg.Error as e:
            why = _first(e)
            raise RegistryError(f"{self.location}: cannot set up the registry ({why})") from None

    def _rebuild_postings(self, conn: Any) -> None:
        # one COPY per batch: the connection reads the next batch between them
        for rows in self._stored_postings():
            with (
                conn.cursor() as cur,
                cur.copy("COPY postings (key, manifest, second, rest) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)

    def register(self, registrations: Sequence[Registration]) -> list[RegisterResult]:
        """See `Registry.register`."""
        conn = self._conn()
        results: dict[int, RegisterResult] = {}
        # Rows are locked in manifest-id order: concurrent batches that share manifests
        # (copies of one signed file) then wait for each other instead of deadlocking.
        order = sorted(range(len(registrations)), key=lambda i: registrations[i].manifest_id)
        try:
            with conn.transaction():
                added: list[tuple[int, Registration]] = []
                for i in order:
                    reg = registrations[i]
                    row = reg.row()
                    pk = conn.execute(
                        f"INSERT INTO manifests ({', '.join(row)}) "
                        f"VALUES ({', '.join('%s' for _ in row)}) "
                        "ON CONFLICT (manifest_id) DO NOTHING RETURNING id",
                        tuple(row.values()),
                    ).fetchone()
                    if pk is None:
                        results[i] = self._existing(conn, reg)
                        continue
                    added.append((int(pk[0]), reg))
                    results[i] = RegisterResult(reg.manifest_id, RegisterStatus.ADDED)
                with conn.cursor() as cur:
                    with cur.copy("COPY manifest_stores (manifest, data) FROM STDIN") as copy:
                        for pk_, reg in added:
                            copy.write_row((pk_, reg.store))
                    with cur.copy("COPY postings (key, manifest, second, rest) FROM STDIN") as copy:
                        for pk_, reg in added:
                            for key, second, rest in reg.postings():
                                copy.write_row((key, pk_, second, rest))
        except psycopg.Error as e:
            raise RegistryError(f"{self.location}: registration failed ({_first(e)})") from None
        return [results[i] for i in range(len(registrations))]

    @staticmethod
    def _existing(conn: Any, reg: Registration) -> RegisterResult:
        row = conn.execute(
            "SELECT store_sha256 FROM manifests WHERE manifest_id = %s", (reg.manifest_id,)
        ).fetchone()
        same = row is not None and bytes(row[0]) == reg.store_sha256
        return RegisterResult(
            reg.manifest_id, RegisterStatus.UNCHANGED if same else RegisterStatus.CONFLICT
        )

    def _hits(self, keys: Sequence[int]) -> npt.NDArray[np.int64]:
        packed = self._query(self._HITS, (list(keys),))[0][0] or b""
        rows = np.frombuffer(packed, dtype=_HIT)
        return np.stack([rows[name].astype(np.int64) for name in _HIT_COLUMNS], axis=1)

    def _candidates(self, pks: Sequence[int]) -> list[Candidate]:
        if not pks:
            return []
        rows = self._query(
            "SELECT id, manifest_id, kind, title, signer, blocks FROM manifests WHERE id = ANY(%s)",
            (list(pks),),
        )
        return [
            Candidate(int(i), mid, kind, title, signer, int(i), BlockTable.unpack(bytes(blocks)))
            for i, mid, kind, title, signer, blocks in rows
        ]

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        conn = self._conn()
        try:
            # one statement, its own transaction (autocommit): one round trip; results in
            # binary, which spares parsing thousands of postings from text
            with conn.cursor(binary=True) as cur:
                return list(cur.execute(sql, params).fetchall())
        except psycopg.Error as e:
            raise RegistryError(f"{self.location}: lookup failed ({_first(e)})") from None

    def close(self) -> None:
        """Close the connection pool."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def _first(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
