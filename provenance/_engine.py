"""Where per-asset work runs: a local process pool (the default) or a Ray cluster.

One entry point, `imap(task, items, ...)`: it maps a `Task` over a stream of items and
yields the results in input order. The stream is read as work is handed out, and at most
a bounded number of batches is in flight, so the driver's memory does not grow with the
number of items. Items are grouped into batches by weight (bytes): light assets travel
many to a task, an item heavier than one batch's worth (a long video) is a task of its
own, so it never holds light ones back. Finished batches queue behind a slow one as
small references (on Ray, their results wait in the object store), so workers keep
going while the head of the line is still running.

A `Task` never raises for a bad item (it returns that item's row, e.g. `unreadable`);
the engine only deals with workers that die. Ray retries a dead worker's tasks; a batch
still lost after that is split and its items retried one by one, and an item whose
worker keeps dying becomes its own row (`Task.lost`), never a failed run.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import chain, islice
from typing import Any, Generic, TypeVar

from ._pool import default_jobs, mp_context
from .errors import UsageError

__all__ = ["Engine", "Task", "imap"]

T = TypeVar("T")
R = TypeVar("R")

# A batch closes at this many bytes of input or this many items: light assets share
# a task (per-task overhead is amortized), a heavier item is a task alone.
BATCH_BYTES = 8 << 20
BATCH_ITEMS = 64
# Below this many items, starting worker processes costs more than it saves.
_MIN_POOL = 24
# Batches running or queued per worker (keeps every worker fed), and finished batches
# allowed to wait behind the head of the line (references only) before reading pauses.
_RUNNING_PER_WORKER = 2
_MAX_WAITING = 4096
# Ray re-runs a task whose worker died this many times before it counts as lost.
RAY_RETRIES = 3


class Engine(enum.Enum):
    """Where `check` runs its per-asset work."""

    LOCAL = "local"  # a process pool on this machine
    RAY = "ray"  # a Ray cluster: started locally, or joined with an address

    @classmethod
    def parse(cls, name: str) -> Engine:
        """The engine called `name`; `UsageError` for anything else."""
        try:
            return cls(name.strip().lower())
        except ValueError:
            known = ", ".join(e.value for e in cls)
            raise UsageError(f"unknown engine {name!r} (use {known})") from None


class Task(Generic[T, R]):
    """Work on one item, shipped to the workers (it must pickle, and stay small).

    `run` must not raise for a bad item: it returns that item's row. `run_batch` is
    what a worker calls; override it to share work across a batch (one database
    transaction for a batch of registrations). `weight` sizes batches (bytes of input);
    `lost` is the row of an item whose worker died every time it was tried."""

    def run(self, item: T) -> R:
        """The item's result (or its error row)."""
        raise NotImplementedError

    def run_batch(self, items: Sequence[T]) -> list[R]:
        """The results of a batch, in its order."""
        return [self.run(item) for item in items]

    def weight(self, item: T) -> int:
        """How heavy the item is, in bytes of input."""
        return 1

    def lost(self, item: T, why: str) -> R:
        """The row of an item whose worker died every time it ran."""
        raise NotImplementedError


def imap(
    task: Task[T, R],
    items: Iterable[T],
    *,
    engine: Engine = Engine.LOCAL,
    jobs: int | None = None,
    address: str | None = None,
) -> Iterator[R]:
    """`task` over `items`, results in input order. `jobs`: worker processes (local),
    or the CPUs of a Ray instance started here; `address`: a Ray cluster to join."""
    jobs = jobs if jobs is not None else default_jobs()
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if engine is Engine.RAY:
        return _ray_imap(task, items, ray=_import_ray(), jobs=jobs, address=address)
    if address is not None:
        raise UsageError("--ray-address needs --engine ray")
    return _local_imap(task, items, jobs=jobs)


def batches(task: Task[T, Any], items: Iterable[T]) -> Iterator[list[T]]:
    """Items grouped by weight, in order. The first batches are small (1, 2, 4... items)
    so that a short stream still spreads over every worker."""
    batch: list[T] = []
    size, limit = 0, 1
    for item in items:
        w = task.weight(item)
        if batch and size + w > BATCH_BYTES:
            yield batch
            batch, size, limit = [], 0, min(BATCH_ITEMS, limit * 2)
        batch.append(item)
        size += w
        if len(batch) >= limit or size >= BATCH_BYTES:
            yield batch
            batch, size, limit = [], 0, min(BATCH_ITEMS, limit * 2)
    if batch:
        yield batch


def _run_batch(task: Task[T, R], items: list[T]) -> list[R]:
    return task.run_batch(items)


# ---------------------------------------------------------------------- local processes


def _local_imap(task: Task[T, R], items: Iterable[T], *, jobs: int) -> Iterator[R]:
    stream = iter(items)
    head = list(islice(stream, _MIN_POOL))
    if jobs <= 1 or len(head) < max(2, _MIN_POOL):
        for batch in batches(task, chain(head, stream)):
            yield from task.run_batch(batch)
        return
    context = mp_context(preload=[type(task).__module__])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        line: deque[Future[list[R]]] = deque()  # in input order
        running: set[Future[list[R]]] = set()
        for batch in batches(task, chain(head, stream)):
            fut = pool.submit(_run_batch, task, batch)
            line.append(fut)
            running.add(fut)
            while len(running) >= jobs * _RUNNING_PER_WORKER or len(line) >= _MAX_WAITING:
                while line and line[0].done():
                    yield from line.popleft().result()
                _, running = wait(running, return_when=FIRST_COMPLETED)
        while line:
            yield from line.popleft().result()


# ---------------------------------------------------------------------------------- Ray


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray: pip install 'provenance-toolkit[ray]'") from None
    return ray


class _Part(Generic[T]):
    """A submitted batch: its items and the reference to its results."""

    __slots__ = ("items", "ref")

    def __init__(self, items: list[T], ref: Any):
        self.items, self.ref = items, ref


def _ray_imap(
    task: Task[T, R], items: Iterable[T], *, ray: Any, jobs: int, address: str | None
) -> Iterator[R]:
    source = batches(task, items)
    first = next(source, None)
    if first is None:
        return  # nothing to do: no cluster to start
    started = not ray.is_initialized()
    if started:
        _ray_init(ray, address=address, cpus=None if address else jobs)
    try:
        yield from _ray_ordered(ray, task, chain([first], source))
    finally:
        if started:
            ray.shutdown()


def _ray_init(ray: Any, *, address: str | None, cpus: int | None) -> None:
    import logging

    try:
        ray.init(
            address=address,
            num_cpus=cpus,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise UsageError(f"cannot start or join {where}: {e}") from None


def _ray_ordered(ray: Any, task: Task[T, R], source: Iterator[list[T]]) -> Iterator[R]:
    remote = ray.remote(num_cpus=1, max_retries=RAY_RETRIES)(_run_batch)
    shipped = ray.put(task)  # once, not with every batch
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    line: deque[deque[_Part[T]]] = deque()  # per batch in input order: its parts
    running: set[Any] = set()

    def submit(batch: list[T]) -> _Part[T]:
        part = _Part(batch, remote.remote(shipped, batch))
        running.add(part.ref)
        return part

    exhausted = False
    while True:
        while not exhausted and len(running) < cpus * _RUNNING_PER_WORKER:
            if len(line) >= _MAX_WAITING:
                break
            batch = next(source, None)
            if batch is None:
                exhausted = True
                break
            line.append(deque([submit(batch)]))
        if not line:
            return
        head = line[0]
        if any(p.ref in running for p in head):
            done, _ = ray.wait(list(running), num_returns=1, fetch_local=False)
            running.difference_update(done)
            continue
        part = head.popleft()
        try:
            results: list[R] = ray.get(part.ref)
        except ray.exceptions.RayTaskError:
            raise  # our task raised: a bug, shown with its traceback (PROVENANCE_DEBUG)
        except ray.exceptions.RayError as e:
            if len(part.items) > 1:
                # Retried and still lost: retry its items one by one, so that an item
                # that kills its worker costs only its own row.
                head.extendleft(reversed([submit([item]) for item in part.items]))
                continue
            why = f"{type(e).__name__} after {RAY_RETRIES} retries"
            results = [task.lost(item, why) for item in part.items]
        yield from results
        if not head:
            line.popleft()
