"""Run a check: find assets, verify them (in parallel, through the cache), apply the
policy and return one report in sorted path order, whatever the number of workers."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography import x509

from .. import _c2pa, _debug
from .._engine import Engine, Task, imap
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

__all__ = ["CheckOptions", "AssetResult", "CheckReport", "run_check"]


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how (the `provenance check` options)."""

    paths: tuple[Path, ...] = ()
    policy: Path | None = None  # None: discover in the root, else the defaults
    jobs: int | None = None  # None: one per core (local workers, or a local Ray's CPUs)
    changed_since: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    cache: bool = True
    localize: bool = True
    now: dt.datetime | None = None  # for max_age; None: the current time
    engine: Engine = Engine.LOCAL
    ray_address: str | None = None  # a Ray cluster to join (engine RAY); None: start one


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


@dataclass(frozen=True)
class _Checked:
    """A verified asset: its report, whether verifying it hit a bug of ours, and whether
    it came from the cache (None: not looked up)."""

    report: VerificationReport
    internal: bool = False
    cached: bool | None = None


def _verify_one(path: str, trust: Trust | None, localize: bool) -> tuple[VerificationReport, bool]:
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


class _CheckTask(Task[Asset, _Checked]):
    """One asset verified through the content-addressed cache, in whichever worker the
    engine runs it: every engine shares the cache and gives the same reports."""

    def __init__(self, root: Path, pems: _Pems, trust_hash: str, localize: bool, cache: bool):
        self._args = (root, pems, trust_hash, localize, cache)
        self._trust = _trust_from(pems)
        self._localize = localize
        self._cache = ReportCache(
            root, trust_hash=trust_hash, options=f"localize={localize}", enabled=cache
        )

    def __reduce__(self) -> tuple[type[_CheckTask], tuple[Any, ...]]:
        return type(self), self._args  # rebuilt in the worker: certificates do not pickle

    def weight(self, item: Asset) -> int:
        return item.size

    def run(self, item: Asset) -> _Checked:
        key = None
        if self._cache.enabled:
            try:
                key = self._cache.key(item.abspath, item.sidecar)
            except OSError:
                pass  # verification reports why the asset cannot be read
            else:
                hit = self._cache.get(key)
                if hit is not None:
                    return _Checked(hit, cached=True)
        report, internal = _verify_one(str(item.abspath), self._trust, self._localize)
        if key is not None and report.verdict is not Verdict.ERROR:
            self._cache.put(key, report)
        return _Checked(report, internal, cached=None if key is None else False)

    def lost(self, item: Asset, why: str) -> _Checked:
        return _Checked(
            error_report(str(item.abspath), f"{item.abspath}: its worker died ({why})")
        )


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
    if options.jobs is not None and options.jobs < 1:
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

    task = _CheckTask(
        root, _trust_pems(policy.trust), policy.trust_hash, options.localize, options.cache
    )
    total = len(assets)
    if progress is not None:
        progress(0, total)
    now = options.now or dt.datetime.now(dt.UTC)
    hits = misses = 0
    results = []
    checked = imap(
        task, assets, engine=options.engine, jobs=options.jobs, address=options.ray_address
    )
    for a, c in zip(assets, checked, strict=True):  # in sorted path order
        hits += c.cached is True
        misses += c.cached is False
        report = _place(c.report, a, root)
        violations = (
            (Violation("internal-error", report.message),)
            if c.internal
            else tuple(policy.evaluate(a.path, report, now=now))
        )
        status = asset_status(report.verdict, violations=len(violations), internal=c.internal)
        results.append(AssetResult(a.path, status, violations, report))
        if progress is not None:
            progress(len(results), total)
    return CheckReport(
        root=root,
        policy=policy,
        results=tuple(results),
        skipped=tuple(skipped),
        cache_hits=hits,
        cache_misses=misses,
    )
