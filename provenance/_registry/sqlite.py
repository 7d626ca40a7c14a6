"""The embedded registry: one SQLite file, created on first registration.

WAL journaling lets lookups run while another process registers; writers queue on the
database lock (`BEGIN IMMEDIATE`, 60 s busy timeout), so several processes may register
into one file at once. Each thread gets its own connection.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import RegistryError
from ..models import RegisterResult, RegisterStatus
from .match import BlockTable, Candidate
from .schema import REBUILD_POSTINGS, SCHEMA_VERSION, pending
from .store import Registration, SqlRegistry

__all__ = ["SqliteRegistry"]

_BUSY_MS = 60_000
_MMAP_BYTES = 1 << 40  # SQLite caps it at its compile-time limit (2 GiB in most builds)


class SqliteRegistry(SqlRegistry):
    """A registry in a SQLite file."""

    _HITS = (
        "SELECT key, manifest, second, rest FROM postings "
        "WHERE key IN (SELECT value FROM json_each(?))"
    )

    def __init__(self, path: Path | str, *, create: bool = False) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        if self.path.is_dir():
            raise RegistryError(f"{self.path}: is a directory, not a registry file")
        if not self.path.exists():
            if not create:
                raise RegistryError(
                    f"{self.path}: no registry here (registering a file creates one)"
                )
            if not self.path.parent.is_dir():
                raise RegistryError(f"{self.path.parent}: folder does not exist")
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrate(self._conn())

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                # one connection per thread; check_same_thread=False only lets close()
                # release the connections of worker threads
                conn = sqlite3.connect(
                    self.path,
                    timeout=_BUSY_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
                conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                # 64 MiB of page cache: registering touches index pages all over the file
                conn.execute("PRAGMA cache_size = -65536")
                # a lookup reads thousands of keys' pages: mapped, they are read from the
                # operating system's cache without a system call and a copy each
                conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
                conn.execute("PRAGMA foreign_keys = ON")
            except sqlite3.Error as e:
                raise RegistryError(f"{self.path}: cannot open the registry ({e})") from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        try:
            if _version(conn) == SCHEMA_VERSION:
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                    "KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                for m in pending(_version(conn), self.path):
                    for statement in m.sqlite:
                        if statement == REBUILD_POSTINGS:
                            self._rebuild_postings(conn)
                        else:
                            conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        (m.version, m.description, _now()),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as e:
            raise RegistryError(f"{self.path}: not a usable registry ({e})") from None

    def _rebuild_postings(self, conn: sqlite3.Connection) -> None:
        # appended unordered to a scratch table, then copied in key order: the index
        # pages are written once each, not revisited for every manifest
        conn.execute(
            "CREATE TEMP TABLE postings_load (key INTEGER, manifest INTEGER, second INTEGER, "
            "rest INTEGER)"
        )
        for rows in self._stored_postings():
            conn.executemany("INSERT INTO postings_load VALUES (?, ?, ?, ?)", rows)
        conn.execute(
            "INSERT INTO postings SELECT key, manifest, second, rest FROM postings_load "
            "ORDER BY key, manifest, second"
        )
        conn.execute("DROP TABLE postings_load")

    def register(self, registrations: Sequence[Registration]) -> list[RegisterResult]:
        """See `Registry.register`."""
        conn = self._conn()
        results = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for reg in registrations:
                    results.append(_insert(conn, reg))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            raise RegistryError(f"{self.path}: registration failed ({e})") from None
        return results

    def _hits(self, keys: Sequence[int]) -> npt.NDArray[np.int64]:
        rows = self._query(self._HITS, (json.dumps(list(keys)),))
        return np.array(rows, dtype=np.int64).reshape(-1, 4)

    def _candidates(self, pks: Sequence[int]) -> list[Candidate]:
        if not pks:
            return []
        rows = self._query(
            "SELECT id, manifest_id, kind, title, signer, blocks FROM manifests "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(pks)),),
        )
        return [
            Candidate(int(i), mid, kind, title, signer, int(i), BlockTable.unpack(blocks))
            for i, mid, kind, title, signer, blocks in rows
        ]

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        try:
            return list(self._conn().execute(sql, params).fetchall())
        except sqlite3.Error as e:
            raise RegistryError(f"{self.path}: lookup failed ({e})") from None

    def close(self) -> None:
        """Close this thread's connection."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def _version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _insert(conn: sqlite3.Connection, reg: Registration) -> RegisterResult:
    existing = conn.execute(
        "SELECT store_sha256 FROM manifests WHERE manifest_id = ?", (reg.manifest_id,)
    ).fetchone()
    if existing is not None:
        same = bytes(existing[0]) == reg.store_sha256
        status = RegisterStatus.UNCHANGED if same else RegisterStatus.CONFLICT
        return RegisterResult(reg.manifest_id, status)
    row = reg.row()
    cur = conn.execute(
        f"INSERT INTO manifests ({', '.join(row)}, registered_at) "
        f"VALUES ({', '.join('?' for _ in row)}, ?)",
        (*row.values(), _now()),
    )
    pk = cur.lastrowid
    conn.execute("INSERT INTO manifest_stores (manifest, data) VALUES (?, ?)", (pk, reg.store))
    conn.executemany(
        "INSERT INTO postings (key, manifest, second, rest) VALUES (?, ?, ?, ?)",
        [(key, pk, second, rest) for key, second, rest in reg.postings()],
    )
    return RegisterResult(reg.manifest_id, RegisterStatus.ADDED)


def sqlite_path(location: str) -> Path:
    """A plain path, or a sqlite:/// URL."""
    if location.startswith("sqlite:///"):
        return Path(location.removeprefix("sqlite://"))
    return Path(os.path.expanduser(location))
