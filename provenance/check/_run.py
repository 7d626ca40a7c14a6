"""Run a check: find assets, verify them (in parallel, through the cache), apply the
policy and return one report in sorted path order, whatever the number of workers."""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from cryptography import x509

from .. import _c2pa, _debug
from .._read import error_report
from .._rules import AssetStatus, asset_status, check_exit_code
from .._vocab import Progress
from ..errors import ExitCode, ProvenanceError, UsageError
from ..models import SourceKind, Verdict, VerificationReport
from ..trust import Trust
from ..verify import verify
from ._cache import ReportCache
from ._policy import Policy, Violation, discover_policy, load_policy
from ._walk import (
    Asset,
    Skipped,
    SkipReason,
    candidates,
    changed_files,
    classify,
    filter_globs,
    find_root,
    sequence_of,
)

__all__ = ["CheckOptions", "AssetResult", "CheckReport", "run_check", "default_jobs"]

_MAX_CHUNK = 64
# Below this many files to verify, starting worker processes costs more than it saves.
_MIN_POOL = 24


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how (the `provenance check` options)."""

    paths: tuple[Path, ...] = ()
    policy: Path | None = None  # None: discover in the root, else the defaults
    jobs: int | None = None  # None: one per core
    changed_since: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    cache: bool = True
    localize: bool = True
    now: dt.datetime | None = None  # for max_age; None: the current time


@dataclass(frozen=True)
class AssetResult:
    """One checked asset: its outcome, the rules it breaks, and its verification report."""

    path: str
    status: AssetStatus
    violations: tuple[Violation, ...]
    report: VerificationReport

    @property
    def verdict(self) -> Verdict:
        """The verification verdict."""
        return self.report.verdict

    def to_dict(self) -> dict[str, Any]:
        """JSON form (check-report schema, `result`)."""
        return {
            "path": self.path,
            "status": self.status.value,
            "verdict": self.verdict.value,
            "violations": [v.to_dict() for v in self.violations],
            "report": self.report.to_dict(),
        }


@dataclass(frozen=True)
class CheckReport:
    """The outcome of a check, in sorted path order."""

    root: Path
    policy: Policy
    results: tuple[AssetResult, ...]
    skipped: tuple[Skipped, ...]
    cache_hits: int = field(default=0, compare=False)
    cache_misses: int = field(default=0, compare=False)

    @property
    def exit_code(self) -> ExitCode:
        """OK every asset meets the policy, FAILED some violation (or no media at all, when
        the policy requires some), ERROR some asset could not be checked, INTERNAL
        checking some asset hit a bug."""
        if self.empty and self.policy.require_assets:
            return ExitCode.FAILED
        return check_exit_code(r.status for r in self.results)

    @property
    def empty(self) -> bool:
        """No media was found to check."""
        return not self.results

    @property
    def lfs_pointers(self) -> int:
        """How many skipped files are Git LFS pointers (the media was never fetched)."""
        return sum(1 for s in self.skipped if s.why is SkipReason.LFS_POINTER)

    def summary(self) -> dict[str, Any]:
        """Counts of assets by outcome and of violations by rule."""
        by_rule: dict[str, int] = {}
        for r in self.results:
            for v in r.violations:
                by_rule[v.rule] = by_rule.get(v.rule, 0) + 1
        return {
            "assets": len(self.results),
            "passed": sum(1 for r in self.results if r.status is AssetStatus.PASS),
            "failed": sum(1 for r in self.results if r.status is AssetStatus.FAIL),
            "errors": sum(
                1 for r in self.results if r.status in (AssetStatus.ERROR, AssetStatus.INTERNAL)
            ),
            "skipped": len(self.skipped),
            "violations": sum(by_rule.values()),
            "by_rule": dict(sorted(by_rule.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The `--format json` document (schemas/check-report.schema.json)."""
        return {
            "schema_version": 1,
            "generator": _c2pa.generator().to_dict(),
            "root": str(self.root),
            "policy": self.policy.to_dict(),
            "exit_code": int(self.exit_code),
            "summary": self.summary(),
            "results": [r.to_dict() for r in self.results],
            "skipped": [s.to_dict() for s in self.skipped],
        }


# ------------------------------------------------------------------------------ workers

_worker_trust: Trust | None = None
_worker_localize = True


_Pems = tuple[str | None, str | None, str | None]


def _trust_pems(trust: Trust | None) -> _Pems:
    """Trust as PEM text: certificate objects do not pickle to worker processes."""
    if trust is None:
        return (None, None, None)
    return (trust.anchors_pem, trust.allowed_pem, trust.identity_anchors_pem)


def _trust_from(pems: _Pems) -> Trust | None:
    if pems == (None, None, None):
        return None

    def load(pem: str | None) -> tuple[x509.Certificate, ...]:
        return tuple(x509.load_pem_x509_certificates(pem.encode())) if pem else ()

    anchors, allowed, identity = pems
    return Trust(anchors=load(anchors), allowed=load(allowed), identity_anchors=load(identity))


def _init_worker(pems: _Pems, localize: bool) -> None:
    global _worker_trust, _worker_localize
    _worker_trust, _worker_localize = _trust_from(pems), localize


# A verified asset, and whether verifying it hit a bug of ours.
_Verified = tuple[VerificationReport, bool]


def _verify_one(path: str, trust: Trust | None, localize: bool) -> _Verified:
    try:
        return verify(path, trust=trust, localize=localize), False
    except ProvenanceError as e:
        return error_report(path, e), False
    except Exception as e:
        # A bug: the asset is reported (one hostile file must not hide the others) and
        # the run exits INTERNAL, as `verify` would. PROVENANCE_DEBUG=1 shows the trace.
        if _debug.enabled():
            raise
        return error_report(path, f"{path}: internal error: {type(e).__name__}: {e}"), True


def _verify_chunk(paths: list[str]) -> list[_Verified]:
    return [_verify_one(p, _worker_trust, _worker_localize) for p in paths]


def _mp_context() -> BaseContext:
    """fork is cheapest (the C2PA library is already loaded), but only safe while this
    process has one thread; otherwise start clean workers."""
    if sys.platform == "linux":
        try:
            single = len(os.listdir("/proc/self/task")) == 1
        except OSError:
            single = threading.active_count() == 1
        if single:
            return multiprocessing.get_context("fork")
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _verify_all(
    paths: list[str],
    *,
    jobs: int,
    trust: Trust | None,
    localize: bool,
    progress: Callable[[int], None],
) -> list[_Verified]:
    if jobs <= 1 or len(paths) < max(2, _MIN_POOL):
        out = []
        for p in paths:
            out.append(_verify_one(p, trust, localize))
            progress(1)
        return out
    size = max(1, min(_MAX_CHUNK, math.ceil(len(paths) / (jobs * 8))))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    results: list[list[_Verified]] = [[] for _ in chunks]
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(chunks)),
        mp_context=_mp_context(),
        initializer=_init_worker,
        initargs=(_trust_pems(trust), localize),
    ) as pool:
        futures = {pool.submit(_verify_chunk, c): i for i, c in enumerate(chunks)}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            progress(len(chunks[i]))
    return [r for chunk in results for r in chunk]


# ---------------------------------------------------------------------------------- run


def _place(report: VerificationReport, asset: Asset, root: Path) -> VerificationReport:
    """A report as this asset's: root-relative paths (a cached report may be shared by
    identical files elsewhere)."""
    sidecar = report.sidecar
    if report.manifest_source is SourceKind.SIDECAR and asset.sidecar is not None:
        sidecar = asset.sidecar.relative_to(root).as_posix()
    message = report.message
    if report.verdict is Verdict.ERROR:
        message = message.replace(str(asset.abspath), asset.path)
    return replace(report, path=asset.path, sidecar=sidecar, message=message)


def _load_policy(options: CheckOptions, root: Path) -> Policy:
    policy = load_policy(options.policy) if options.policy else discover_policy(root)
    if policy.source is not None:
        try:
            shown = Path(policy.source).resolve().relative_to(root).as_posix()
        except ValueError:
            shown = policy.source
        policy = replace(policy, source=shown)
    return policy


def run_check(options: CheckOptions, *, progress: Progress | None = None) -> CheckReport:
    """Check every asset under `options.paths` against the policy.

    Raises `ProvenanceError` (exit code 2) for usage, policy and I/O errors; policy
    violations, unreadable assets and assets whose check hit a bug are results."""
    jobs = options.jobs if options.jobs is not None else default_jobs()
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    root, in_git = find_root(options.paths)
    policy = _load_policy(options, root)

    rels = candidates(root, options.paths, git=in_git)
    rels = filter_globs(
        rels,
        include=(*policy.include, *options.include),
        exclude=(*policy.exclude, *options.exclude),
    )
    if options.changed_since is not None:
        if not in_git:
            raise UsageError("--changed-since needs a git work tree")
        changed = changed_files(root, options.changed_since)
        # An asset whose sidecar manifest changed has changed too; so has every frame of
        # a sequence whose FOLDER.c2pa changed.
        rels = [
            r
            for r in rels
            if r in changed
            or f"{r}.c2pa" in changed
            or f"{os.path.splitext(r)[0]}.c2pa" in changed
            or (os.path.dirname(r) and f"{os.path.dirname(r)}.c2pa" in changed)
        ]

    found: dict[str, Asset] = {}
    skipped: list[Skipped] = []
    sequences: dict[str, Asset | None] = {}  # by folder: looked up once, not per file
    for rel in rels:
        item = classify(root, rel)
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        # A frame of a signed image sequence is checked with its folder, as one asset.
        folder = os.path.dirname(rel)
        if folder not in sequences:
            sequences[folder] = sequence_of(root, rel)
        item = sequences[folder] or item
        found.setdefault(item.path, item)
    assets = sorted(found.values(), key=lambda a: a.path)

    cache = ReportCache(
        root,
        trust_hash=policy.trust_hash,
        options=f"localize={options.localize}",
        enabled=options.cache,
    )
    total = len(assets)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    tick(0)

    reports: dict[str, _Verified] = {}
    keys: dict[str, str] = {}
    todo: list[Asset] = []
    for a in assets:
        if cache.enabled:
            try:
                keys[a.path] = key = cache.key(a.abspath, a.sidecar)
            except OSError:
                todo.append(a)
                continue
            hit = cache.get(key)
            if hit is not None:
                reports[a.path] = _place(hit, a, root), False
                tick(1)
                continue
        todo.append(a)

    fresh = _verify_all(
        [str(a.abspath) for a in todo],
        jobs=jobs,
        trust=policy.trust,
        localize=options.localize,
        progress=tick,
    )
    for a, (report, internal) in zip(todo, fresh, strict=True):
        if a.path in keys and report.verdict is not Verdict.ERROR:
            cache.put(keys[a.path], report)
        reports[a.path] = _place(report, a, root), internal

    now = options.now or dt.datetime.now(dt.UTC)
    results = []
    for a in assets:  # already in sorted path order
        report, internal = reports[a.path]
        violations = (
            (Violation("internal-error", report.message),)
            if internal
            else tuple(policy.evaluate(a.path, report, now=now))
        )
        status = asset_status(report.verdict, violations=len(violations), internal=internal)
        results.append(AssetResult(a.path, status, violations, report))
    return CheckReport(
        root=root,
        policy=policy,
        results=tuple(results),
        skipped=tuple(skipped),
        cache_hits=cache.hits,
        cache_misses=cache.misses,
    )
