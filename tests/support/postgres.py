"""A throwaway PostgreSQL cluster for the registry tests: initdb, pg_ctl, a Unix socket.

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system
user (Debian's package creates it) or `nobody`, in a temporary folder owned by that user.
It listens on a socket only (no TCP port), with `trust` authentication for its one user,
and is stopped and deleted when the test session ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["Cluster", "find_bindir"]

_USER = "provenance"
_PORT = 5433  # the socket name; nothing listens on TCP


def find_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb"), shutil.which("pg_ctl")
    if all(found):
        return Path(os.path.realpath(found[0] or "")).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    return None


class Cluster:
    """Start with `start()`, get `url(dbname)`, `create_database(name)`, `stop()`."""

    def __init__(self, bindir: Path, settings: str = "") -> None:
        self.bindir = bindir
        self.settings = settings  # more server options, e.g. "-c shared_buffers=2GB"
        self.root = Path(tempfile.mkdtemp(prefix="provenance-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.runner: list[str] = []
        if os.geteuid() == 0:
            user = _system_user()
            entry = pwd.getpwnam(user)
            self.runner = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
                           "--clear-groups", "--"]  # fmt: skip
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)

    def _run(self, args: Sequence[str], timeout: float = 120) -> None:
        subprocess.run(
            [*self.runner, *args],
            check=True,
            capture_output=True,
            timeout=timeout,
            cwd=self.root,
        )

    def start(self) -> None:
        self._run(["mkdir", "-p", str(self.socket)])
        self._run(
            [str(self.bindir / "initdb"), "-D", str(self.data), "-U", _USER, "-A", "trust",
             "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]
        )  # fmt: skip
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.socket}' -p {_PORT} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections=60 {self.settings}"
        )
        self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-t", "60",
             "-l", str(self.root / "log"), "start"]
        )  # fmt: skip

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{_USER}@/{dbname}?host={self.socket}&port={_PORT}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                       "-w", "stop"], timeout=60)  # fmt: skip
        except (subprocess.SubprocessError, OSError):
            pass
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _system_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user to run PostgreSQL as")
