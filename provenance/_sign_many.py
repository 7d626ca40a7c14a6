"""Sign many files into one folder at once: a card's worth of photos.

Each input is signed by `sign` exactly as it would be alone (its own atomic output, its
own fingerprints), in worker processes; a failing input fails its own row and never
stops the others. An output keeps its input's file name in the folder; inputs whose
names would meet there (the same name from two folders, or names that differ only in
case, which many file systems do not tell apart) are all refused, with the reason,
rather than one overwriting or renaming another.

Workers are forked, so they inherit the signing identity and the creator's (whose keys
never cross a pipe) and make C2PA contexts and signers of their own, when this process
runs one thread. Otherwise (forking beside other threads is unsafe) they are threads of
this process: the work is mostly hashing, decoding and the C2PA library, which run
without the GIL.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from dataclasses import dataclass
from pathlib import Path

from . import _c2pa, _debug, _pool
from ._capture_plan import redactions
from ._vocab import Progress
from .errors import ExitCode, InputError, OutputError, ProvenanceError, UsageError
from .identity import Creator, Identity
from .models import Redaction, SignBatch, SignOutcome
from .sign import sign

__all__ = ["sign_many"]


def sign_many(
    inputs: Iterable[Path | str],
    out_dir: Path | str,
    *,
    identity: Identity,
    author: str | None = None,
    action: str | None = None,
    source_type: str | None = None,
    tsa_url: str | None = None,
    sidecar: bool = False,
    force: bool = False,
    fingerprints: bool = True,
    creator: Creator | None = None,
    capture: bool | None = None,
    redact: Iterable[Redaction | str] = (),
    jobs: int | None = None,
    progress: Progress | None = None,
) -> SignBatch:
    """Sign each of `inputs` into `out_dir` (created if missing) under its own file name,
    `jobs` at a time (default: one per core), as `sign` signs one file; with `sidecar`,
    write `NAME.c2pa` manifest stores there instead. An input that already carries
    credentials keeps them as its parent ingredient, as with `sign`. `creator`,
    `capture` and `redact` apply to each file as they do in `sign` (each file is
    redacted, and signed by the creator, on its own).

    Returns a row per input, in input order: signed, or why not. Raises
    `ProvenanceError` only for what stops every input: no inputs, a bad `jobs`, an
    output folder that cannot be made or written."""
    paths = [Path(p) for p in inputs]
    if not paths:
        raise UsageError("no files to sign")
    groups = redactions(redact)
    jobs = _pool.default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    folder = _output_folder(Path(out_dir))
    batch = _Batch(
        inputs=tuple(paths),
        outputs=tuple(folder / p.name for p in paths),
        identity=identity,
        author=author,
        action=action,
        source_type=source_type,
        tsa_url=tsa_url,
        sidecar=sidecar,
        force=force,
        fingerprints=fingerprints,
        creator=creator,
        capture=capture,
        redact=groups,
    )
    rows: dict[int, SignOutcome] = {}
    todo = []
    for i, refusal in enumerate(_refusals(batch)):
        if refusal is None:
            todo.append(i)
        else:
            rows[i] = SignOutcome(str(paths[i]), None, refusal, ExitCode.ERROR)
    if progress is not None:
        progress(len(rows), len(paths))
    for i, row in _run(batch, todo, jobs):
        rows[i] = row
        if progress is not None:
            progress(len(rows), len(paths))
    return SignBatch(str(folder), tuple(rows[i] for i in range(len(paths))), _c2pa.generator())


def _output_folder(folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is not a folder; give a folder for --out-dir")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{folder}: cannot create the output folder ({e.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{folder}: output folder is not writable")
    return folder


@dataclass(frozen=True)
class _Batch:
    """One batch: its inputs, where each goes, and how every input is signed."""

    inputs: tuple[Path, ...]
    outputs: tuple[Path, ...]  # the signed file (or, with `sidecar`, beside its store)
    identity: Identity
    author: str | None
    action: str | None
    source_type: str | None
    tsa_url: str | None
    sidecar: bool
    force: bool
    fingerprints: bool
    creator: Creator | None
    capture: bool | None
    redact: tuple[Redaction, ...]

    def written(self, i: int) -> Path:
        """The file input `i` writes."""
        out = self.outputs[i]
        return out.with_name(out.name + ".c2pa") if self.sidecar else out

    def sign(self, i: int) -> SignOutcome:
        """Sign input `i`; an error becomes its row (a bug too, unless debugging)."""
        src = self.inputs[i]
        try:
            if src.is_dir():
                raise InputError(f"{src}: is a folder; sign a folder of frames on its own")
            result = sign(
                src,
                self.outputs[i],
                identity=self.identity,
                author=self.author,
                action=self.action,
                source_type=self.source_type,
                tsa_url=self.tsa_url,
                sidecar=self.sidecar,
                force=self.force,
                fingerprints=self.fingerprints,
                creator=self.creator,
                capture=self.capture,
                redact=self.redact,
            )
        except ProvenanceError as e:
            return SignOutcome(str(src), None, str(e), e.exit_code)
        except Exception as e:
            if _debug.enabled():
                raise
            error = f"{src}: internal error: {type(e).__name__}: {e}"
            return SignOutcome(str(src), None, error, ExitCode.INTERNAL)
        return SignOutcome(str(src), result)


def _refusals(batch: _Batch) -> list[str | None]:
    """Per input, why it is refused before any work (its output's name clashes with
    another input's), or None."""
    by_name: dict[str, list[int]] = {}
    for i in range(len(batch.inputs)):
        by_name.setdefault(batch.written(i).name.casefold(), []).append(i)
    out: list[str | None] = [None] * len(batch.inputs)
    for same in by_name.values():
        if len(same) < 2:
            continue
        names = {batch.written(i).name for i in same}
        for i in same:
            src = batch.inputs[i]
            others = ", ".join(str(batch.inputs[j]) for j in same if j != i)
            if len({batch.inputs[j].resolve() for j in same}) == 1:
                why = f"given {len(same)} times"
            elif len(names) == 1:
                why = f"{others} would be written to {batch.written(i)} too"
            else:
                why = (
                    f"its name and that of {others} differ only in case, which many file "
                    "systems do not tell apart"
                )
            out[i] = f"{src}: not signed: {why}; sign each file once, into its own folder"
    return out


# ------------------------------------------------------------------------------ workers

_batch: _Batch | None = None  # a worker process's batch, inherited when it was forked


def _init_worker(batch: _Batch) -> None:
    global _batch
    _batch = batch
    # Ctrl-C reaches every worker: an idle one ignores it (the parent stops the batch),
    # a busy one abandons its file (its temporary output is removed).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _sign_in_worker(i: int) -> SignOutcome:
    assert _batch is not None
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _batch.sign(i)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(batch: _Batch, todo: list[int], jobs: int) -> Iterator[tuple[int, SignOutcome]]:
    """(index, row) of each input in `todo`, as they finish."""
    jobs = min(jobs, len(todo))
    if jobs <= 1:
        for i in todo:
            yield i, batch.sign(i)
        return
    pool: Executor
    task: Callable[[int], SignOutcome]
    if _pool.can_fork():
        # Forked, the workers inherit the initializer's argument (the identity with its
        # key): it is never pickled.
        fork = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(jobs, fork, initializer=_init_worker, initargs=(batch,))
        task = _sign_in_worker
    else:
        pool = ThreadPoolExecutor(jobs)
        task = batch.sign
    with pool:
        futures: dict[Future[SignOutcome], int] = {pool.submit(task, i): i for i in todo}
        try:
            for future in as_completed(futures):
                i = futures[future]
                try:
                    row = future.result()
                except Exception as e:  # its worker process died (BrokenProcessPool)
                    if _debug.enabled():
                        raise
                    error = f"{batch.inputs[i]}: internal error: {type(e).__name__}: {e}"
                    row = SignOutcome(str(batch.inputs[i]), None, error, ExitCode.INTERNAL)
                yield i, row
        except BaseException:  # Ctrl-C, or a bug while debugging: start no other file
            pool.shutdown(cancel_futures=True)
            raise
