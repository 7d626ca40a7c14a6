"""Run a check: find assets, verify them (in parallel, through the cache), apply the
policy and return one report in sorted path order, whatever the number of workers."""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from cryptography import x509

from provenance import _c2pa
from provenance.errors import ProvenanceError, UsageError
from provenance.trust import Trust
from provenance.verify import error_report, verify

from .cache import ReportCache
from .policy import Policy, Violation, discover_policy, load_policy
from .walk import Asset, Skipped, candidates, changed_files, classify, filter_globs, find_root

__all__ = ["CheckOptions", "AssetResult", "CheckReport", "run_check", "default_jobs"]

Progress = Callable[[int, int | None], None]

_MAX_CHUNK = 64
# Below this many files to verify, starting worker processes costs more than it saves.
_MIN_POOL = 24


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CheckOptions:
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
    path: str
    status: str  # "pass", "fail" or "error" (could not be checked)
    verdict: str
    violations: tuple[Violation, ...]
    report: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "verdict": self.verdict,
            "violations": [v.to_dict() for v in self.violations],
            "report": self.report,
        }


@dataclass(frozen=True)
class CheckReport:
    root: Path
    policy: Policy
    results: tuple[AssetResult, ...]
    skipped: tuple[Skipped, ...]
    cache_hits: int = field(default=0, compare=False)
    cache_misses: int = field(default=0, compare=False)

    @property
    def exit_code(self) -> int:
        """0 every asset meets the policy, 1 some violation, 2 some asset unreadable."""
        if any(r.status == "error" for r in self.results):
            return 2
        return 1 if any(r.status == "fail" for r in self.results) else 0

    def summary(self) -> dict[str, Any]:
        by_rule: dict[str, int] = {}
        for r in self.results:
            for v in r.violations:
                by_rule[v.rule] = by_rule.get(v.rule, 0) + 1
        return {
            "assets": len(self.results),
            "passed": sum(1 for r in self.results if r.status == "pass"),
            "failed": sum(1 for r in self.results if r.status == "fail"),
            "errors": sum(1 for r in self.results if r.status == "error"),
            "skipped": len(self.skipped),
            "violations": sum(by_rule.values()),
            "by_rule": dict(sorted(by_rule.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The `--format json` document (schemas/check-report.schema.json)."""
        return {
            "schema_version": 1,
            "generator": _c2pa.generator(),
            "root": str(self.root),
            "policy": self.policy.to_dict(),
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "results": [r.to_dict() for r in self.results],
            "skipped": [s.to_dict() for s in self.skipped],
        }


# ------------------------------------------------------------------------------ workers

_worker_trust: Trust | None = None
_worker_localize = True


def _trust_pems(trust: Trust | None) -> tuple[str | None, str | None]:
    """Trust as PEM text: certificate objects do not pickle to worker processes."""
    return (trust.anchors_pem, trust.allowed_pem) if trust is not None else (None, None)


def _trust_from(pems: tuple[str | None, str | None]) -> Trust | None:
    anchors, allowed = pems
    if anchors is None and allowed is None:
        return None
    load = x509.load_pem_x509_certificates
    return Trust(
        anchors=tuple(load(anchors.encode())) if anchors else (),
        allowed=tuple(load(allowed.encode())) if allowed else (),
    )


def _init_worker(pems: tuple[str | None, str | None], localize: bool) -> None:
    global _worker_trust, _worker_localize
    _worker_trust, _worker_localize = _trust_from(pems), localize


def _verify_one(path: str, trust: Trust | None, localize: bool) -> dict[str, Any]:
    try:
        report = verify(path, trust=trust, localize=localize)
    except ProvenanceError as e:
        report = error_report(path, e)
    except Exception as e:  # one hostile file must not stop the whole check
        report = error_report(path, ProvenanceError(f"{path}: internal error: {type(e).__name__}"))
    return report.to_dict()


def _verify_chunk(paths: list[str]) -> list[dict[str, Any]]:
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
) -> list[dict[str, Any]]:
    if jobs <= 1 or len(paths) < max(2, _MIN_POOL):
        out = []
        for p in paths:
            out.append(_verify_one(p, trust, localize))
            progress(1)
        return out
    size = max(1, min(_MAX_CHUNK, math.ceil(len(paths) / (jobs * 8))))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    results: list[list[dict[str, Any]]] = [[] for _ in chunks]
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


def _place(report: dict[str, Any], asset: Asset, root: Path) -> dict[str, Any]:
    """A report as this asset's: root-relative paths (a cached report may be shared by
    identical files elsewhere)."""
    out = dict(report)
    out["path"] = asset.path
    if out.get("manifest_source") == "sidecar" and asset.sidecar is not None:
        out["sidecar"] = asset.sidecar.relative_to(root).as_posix()
    if out.get("verdict") == "error" and isinstance(out.get("message"), str):
        out["message"] = out["message"].replace(str(asset.abspath), asset.path)
    return out


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
    violations are results."""
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
        # An asset whose sidecar manifest changed has changed too.
        rels = [
            r
            for r in rels
            if r in changed or f"{r}.c2pa" in changed or f"{os.path.splitext(r)[0]}.c2pa" in changed
        ]

    assets: list[Asset] = []
    skipped: list[Skipped] = []
    for rel in rels:
        item = classify(root, rel)
        if isinstance(item, Skipped):
            skipped.append(item)
        else:
            assets.append(item)

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

    reports: dict[str, dict[str, Any]] = {}
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
                reports[a.path] = _place(hit, a, root)
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
    for a, report in zip(todo, fresh, strict=True):
        if a.path in keys and report.get("verdict") != "error":
            stored = dict(report, path="")
            cache.put(keys[a.path], stored)
        reports[a.path] = _place(report, a, root)

    now = options.now or dt.datetime.now(dt.UTC)
    results = []
    for a in assets:  # already in sorted path order
        report = reports[a.path]
        violations = tuple(policy.evaluate(a.path, report, now=now))
        status = "error" if report.get("verdict") == "error" else ("fail" if violations else "pass")
        results.append(
            AssetResult(
                path=a.path,
                status=status,
                verdict=str(report.get("verdict")),
                violations=violations,
                report=report,
            )
        )
    return CheckReport(
        root=root,
        policy=policy,
        results=tuple(results),
        skipped=tuple(skipped),
        cache_hits=cache.hits,
        cache_misses=cache.misses,
    )


def check_paths(paths: Sequence[Path | str], **kwargs: Any) -> CheckReport:
    """Shorthand: `run_check(CheckOptions(paths=..., **kwargs))`."""
    return run_check(CheckOptions(paths=tuple(Path(p) for p in paths), **kwargs))
