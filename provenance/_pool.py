"""Worker processes for batches (`check`, `sign_many`): how many, and how to start them."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Sequence
from multiprocessing.context import BaseContext

__all__ = ["can_fork", "default_jobs", "mp_context"]


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether forking is safe here: on Linux, while this process runs one thread (a child
    of a process with other threads can inherit a lock one of them held)."""
    if sys.platform != "linux":
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


def mp_context(preload: Sequence[str] = ()) -> BaseContext:
    """fork is cheapest (the C2PA library is already loaded), but only safe while this
    process has one thread; otherwise start clean workers. `preload`: the modules the
    workers run, imported once by the fork server as it starts (with this process's
    first such pool), so that later pools' workers do not import them again."""
    if can_fork():
        return multiprocessing.get_context("fork")
    if sys.platform == "linux":
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        return context
    return multiprocessing.get_context("spawn")
