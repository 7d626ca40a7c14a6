"""A task that says which process imported its module (tests/test_engine.py): a worker
started by the fork server finds the module already imported there."""

from __future__ import annotations

import os

from provenance._engine import Task

IMPORTED_BY = os.getpid()


class WhoImported(Task[int, tuple[int, int]]):
    """item -> (the worker's pid, the pid of the process that imported this module)."""

    def run(self, item: int) -> tuple[int, int]:
        return os.getpid(), IMPORTED_BY
