"""Run a check: find assets, verify them (in parallel, through the cache), apply the
policy and give the results in path order, whatever the engine and number of workers:
streamed (`stream_check`, nothing held per asset) or as one report (`run_check`)."""

from __future__ import annotations

import datetime as dt
import heapq
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import tee
from pathlib import Path
from typing import Any, NamedTuple

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
    order,
    sequence_of,
)

__all__ = [
    "CheckOptions",
    "AssetResult",
    "CheckReport",
    "CheckRun",
    "Outcome",
    "Tally",
    "run_check",
    "stream_check",
]


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


class Tally:
    """Counts of a check's results, kept as they stream by: all that the summary and the
    exit code need, whatever the number of assets."""

    def __init__(self, results: Iterable[AssetResult] = ()):
        self.assets = self.passed = self.failed = self.errors = 0
        self.statuses: set[AssetStatus] = set()
        self.by_rule: dict[str, int] = {}
        for r in results:
            self.add(r)

    def add(self, r: AssetResult) -> None:
        """Count one result."""
        self.assets += 1
        self.passed += r.status is AssetStatus.PASS
        self.failed += r.status is AssetStatus.FAIL
        self.errors += r.status in (AssetStatus.ERROR, AssetStatus.INTERNAL)
        self.statuses.add(r.status)
        for v in r.violations:
            self.by_rule[v.rule] = self.by_rule.get(v.rule, 0) + 1


class Outcome:
    """What a check says as a whole (summary, exit code), from its `Tally`: the same for
    a report held whole (`CheckReport`) and for one streamed (`CheckRun`)."""

    root: Path
    policy: Policy
    skipped: Sequence[Skipped]

    def tally(self) -> Tally:
        """The counts of the results."""
        raise NotImplementedError

    def rows(self) -> Iterator[AssetResult]:
        """The results, in path order."""
        raise NotImplementedError

    @property
    def exit_code(self) -> ExitCode:
        """OK every asset meets the policy, FAILED some violation (or no media at all, when
        the policy requires some), ERROR some asset could not be checked, INTERNAL
        checking some asset hit a bug."""
        if self.empty and self.policy.require_assets:
            return ExitCode.FAILED
        return check_exit_code(self.tally().statuses)

    @property
    def empty(self) -> bool:
        """No media was found to check."""
        return not self.tally().assets

    @property
    def lfs_pointers(self) -> int:
        """How many skipped files are Git LFS pointers (the media was never fetched)."""
        return sum(1 for s in self.skipped if s.why is SkipReason.LFS_POINTER)

    def summary(self) -> dict[str, Any]:
        """Counts of assets by outcome and of violations by rule."""
        t = self.tally()
        return {
            "assets": t.assets,
            "passed": t.passed,
            "failed": t.failed,
            "errors": t.errors,
            "skipped": len(self.skipped),
            "violations": sum(t.by_rule.values()),
            "by_rule": dict(sorted(t.by_rule.items())),
        }

    def head(self) -> dict[str, Any]:
        """The `--format json` document without its results (written apart, streamed)."""
        return {
            "schema_version": 1,
            "generator": _c2pa.generator().to_dict(),
            "root": str(self.root),
            "policy": self.policy.to_dict(),
            "exit_code": int(self.exit_code),
            "summary": self.summary(),
            "results": [],
            "skipped": [s.to_dict() for s in self.skipped],
        }


@dataclass(frozen=True)
class CheckReport(Outcome):
    """The outcome of a check, held whole, in path order."""

    root: Path
    policy: Policy
    results: tuple[AssetResult, ...]
    skipped: tuple[Skipped, ...]
    cache_hits: int = field(default=0, compare=False)
    cache_misses: int = field(default=0, compare=False)

    def tally(self) -> Tally:
        """The counts of the results (counted again at each call)."""
        return Tally(self.results)

    def rows(self) -> Iterator[AssetResult]:
        """The results, in path order."""
        return iter(self.results)

    def to_dict(self) -> dict[str, Any]:
        """The `--format json` document (schemas/check-report.schema.json)."""
        return {**self.head(), "results": [r.to_dict() for r in self.results]}


class CheckRun(Outcome):
    """A check as it runs: `rows()` yields each result once, in path order, as the
    engine returns it, and keeps none. Only the skipped files and the `Tally` grow; once
    the rows are consumed it answers like a `CheckReport` (summary, exit code)."""

    def __init__(self, root: Path, policy: Policy):
        self.root, self.policy = root, policy
        self.skipped: list[Skipped] = []
        self._tally = Tally()
        self.cache_hits = self.cache_misses = 0
        self._rows: Iterator[AssetResult] | None = None

    def tally(self) -> Tally:
        """The counts of the results read so far (all of them once `rows()` is done)."""
        return self._tally

    def rows(self) -> Iterator[AssetResult]:
        """The results, in path order, each once as it arrives (this can be called once)."""
        if self._rows is None:
            raise RuntimeError("a CheckRun's rows are read once")
        rows, self._rows = self._rows, None
        for r in rows:
            self._tally.add(r)
            yield r

    def report(self) -> CheckReport:
        """Every result, held whole."""
        results = tuple(self.rows())
        return CheckReport(
            root=self.root,
            policy=self.policy,
            results=results,
            skipped=tuple(self.skipped),
            cache_hits=self.cache_hits,
            cache_misses=self.cache_misses,
        )


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


class _How(NamedTuple):
    """How every asset is verified (the `verify` options a check sets)."""

    localize: bool
    signer_certificate: bool  # only an allow-list needs the certificate's full names


def _verify_one(path: str, trust: Trust | None, how: _How) -> tuple[VerificationReport, bool]:
    try:
        return verify(path, trust=trust, **how._asdict()), False
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

    def __init__(self, root: Path, pems: _Pems, trust_hash: str, how: _How, cache: bool):
        self._args = (root, pems, trust_hash, how, cache)
        self._trust = _trust_from(pems)
        self._how = how
        self._cache = ReportCache(
            root,
            trust_hash=trust_hash,
            options=",".join(f"{k}={v}" for k, v in how._asdict().items()),
            enabled=cache,
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
        report, internal = _verify_one(str(item.abspath), self._trust, self._how)
        if key is not None and report.verdict is not Verdict.ERROR:
            self._cache.put(key, report)
        return _Checked(report, internal, cached=None if key is None else False)

    def lost(self, item: Asset, why: str) -> _Checked:
        return _Checked(error_report(str(item.abspath), f"{item.abspath}: its worker died ({why})"))


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


def _could_precede(root: Path, path: str) -> bytes:
    """The listing key past which no signed sequence folder can still sort before the
    asset at `path`, or b"" when none can. A folder `F` sorts before `path` yet lists
    its frames after it when `path` extends `F` with a character before "/" (`seq` <
    `seq-b.jpg` < `seq/0001.png`); only folders with their `F.c2pa` beside them count."""
    until = b""
    for i, ch in enumerate(path):
        if ch >= "/" or i == 0 or path[i - 1] == "/":
            continue
        folder = path[:i]
        store = root / f"{folder}.c2pa"
        if store.is_file() and not store.is_symlink() and (root / folder).is_dir():
            until = max(until, order(folder) + b"0")  # "0" follows "/"
    return until


def _assets(root: Path, rels: Iterable[str], skipped: list[Skipped]) -> Iterator[Asset]:
    """The assets among the candidate files (in `order`), in `order` of the assets'
    paths; files that are not checked go to `skipped`. The frames of a signed image
    sequence are one asset at its folder's path: an asset that such a folder could still
    sort before waits (in `held`, a few entries) until the listing has passed it."""
    held: list[tuple[bytes, bytes, Asset]] = []  # (order, release at, asset), sorted
    sequences: dict[str, Asset | None] = {}  # by folder: looked up once, not per file
    for rel in rels:
        key = order(rel)
        while held and held[0][1] <= key:
            yield heapq.heappop(held)[2]
        item = classify(root, rel)
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        # A frame of a signed image sequence is checked with its folder, as one asset.
        folder = os.path.dirname(rel)
        if folder in sequences:
            seq = sequences[folder]
            if seq is not None:
                continue  # already held or given
        else:
            seq = sequences[folder] = sequence_of(root, rel)
        item = seq or item
        heapq.heappush(held, (order(item.path), _could_precede(root, item.path), item))
    while held:
        yield heapq.heappop(held)[2]


def stream_check(options: CheckOptions, *, progress: Progress | None = None) -> CheckRun:
    """Check every asset under `options.paths` against the policy, streamed: the listing
    is read as the work goes, and `CheckRun.rows()` yields each result as it arrives, in
    path order, keeping none (the driver's memory does not grow with the assets).

    Raises `ProvenanceError` (exit code 2) for usage, policy and I/O errors; policy
    violations, unreadable assets and assets whose check hit a bug are results."""
    if options.jobs is not None and options.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    root, in_git = find_root(options.paths)
    policy = _load_policy(options, root)
    rels = filter_globs(
        candidates(root, options.paths, git=in_git),
        include=(*policy.include, *options.include),
        exclude=(*policy.exclude, *options.exclude),
    )
    if options.changed_since is not None:
        if not in_git:
            raise UsageError("--changed-since needs a git work tree")
        changed = changed_files(root, options.changed_since)
        # An asset whose sidecar manifest changed has changed too; so has every frame of
        # a sequence whose FOLDER.c2pa changed.
        rels = (
            r
            for r in rels
            if r in changed
            or f"{r}.c2pa" in changed
            or f"{os.path.splitext(r)[0]}.c2pa" in changed
            or (os.path.dirname(r) and f"{os.path.dirname(r)}.c2pa" in changed)
        )
    run = CheckRun(root, policy)
    run._rows = _results(options, run, _assets(root, rels, run.skipped), progress)
    return run


def _results(
    options: CheckOptions, run: CheckRun, assets: Iterator[Asset], progress: Progress | None
) -> Iterator[AssetResult]:
    policy, root = run.policy, run.root
    # The signer's certificate is read only where the policy names signers; elsewhere
    # reports name them from the library's summary (`SignerInfo.certificate`).
    how = _How(localize=options.localize, signer_certificate=policy.names_signers)
    task = _CheckTask(root, _trust_pems(policy.trust), policy.trust_hash, how, options.cache)
    now = options.now or dt.datetime.now(dt.UTC)
    # The engine reads ahead a bounded window; `tee` keeps that window's assets to pair
    # with their results, which come back in the same order.
    ahead, mine = tee(assets)
    checked = imap(
        task, ahead, engine=options.engine, jobs=options.jobs, address=options.ray_address
    )
    if progress is not None:
        progress(0, None)
    done = 0
    for a, c in zip(mine, checked, strict=True):
        run.cache_hits += c.cached is True
        run.cache_misses += c.cached is False
        report = _place(c.report, a, root)
        violations = (
            (Violation("internal-error", report.message),)
            if c.internal
            else tuple(policy.evaluate(a.path, report, now=now))
        )
        status = asset_status(report.verdict, violations=len(violations), internal=c.internal)
        yield AssetResult(a.path, status, violations, report)
        done += 1
        if progress is not None:
            progress(done, None)


def run_check(options: CheckOptions, *, progress: Progress | None = None) -> CheckReport:
    """Check every asset under `options.paths` against the policy; the report held
    whole (`stream_check` for a run too large to hold).

    Raises `ProvenanceError` (exit code 2) for usage, policy and I/O errors; policy
    violations, unreadable assets and assets whose check hit a bug are results."""
    return stream_check(options, progress=progress).report()
