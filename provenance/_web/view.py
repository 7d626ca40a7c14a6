"""What the web verifier shows for one uploaded file, built by the library's own calls:
`verify` (the same report `verify --json` prints), `history` (the edit history tree) and
the pictures `--report` draws (`_fingerprints.snapshots`). No HTTP here.

The upload sits in a folder of the server's making under names of the server's making;
the names its sender gave are only shown, and replace the server's paths in the report.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from .._c2pa import generator
from .._fingerprints import snapshots
from .._vocab import (
    SOURCE_TYPE_WORDS,
    STATUS_CODE_WORDS,
    VERDICT_WORDS,
    Progress,
    short_source_type,
)
from ..errors import ProvenanceError
from ..history import history
from ..models import History, Verdict, VerificationBatch, VerificationReport
from ..trust import Trust
from ..verify import verify, verify_many

__all__ = [
    "Found",
    "Lookup",
    "Picture",
    "Step",
    "Upload",
    "View",
    "registry_lookup",
    "verify_upload",
    "view_upload",
]

Step = Callable[[str, int, int | None], None]
"""`step(stage, done, total)`: what the work is doing now ("reading", "decoding",
"drawing"), with a count where there is one."""


@dataclass(frozen=True)
class Upload:
    """An uploaded file saved by the server, and the names its sender gave (shown only)."""

    path: Path
    name: str
    sidecar: Path | None = None
    sidecar_name: str | None = None


@dataclass(frozen=True)
class Found:
    """A stripped file's signed original, found in a registry: the file judged against
    the original's manifest (and localized against its fingerprints), where it was found
    and how alike the two are."""

    report: VerificationReport
    registry: str
    manifest_id: str
    similarity: float  # 0..1, as the registry scores it

    def to_dict(self) -> dict[str, Any]:
        """JSON form (web-view schema, `registry`)."""
        return {
            "registry": self.registry,
            "manifest_id": self.manifest_id,
            "similarity": self.similarity,
        }


class Lookup(Protocol):
    """Finds the signed original of an unsigned file in a registry, or None."""

    def __call__(self, path: Path, *, trust: Trust, progress: Progress | None) -> Found | None:
        """Look `path` up and judge it against what was found, under `trust`."""
        ...


def registry_lookup(registry: str) -> Lookup:
    """A `Lookup` in a manifest registry (a SQLite path, postgresql:// or http(s):// URL),
    through `verify(..., lookup=)`: the file judged against the original found there."""

    def lookup(path: Path, *, trust: Trust, progress: Progress | None) -> Found | None:
        report = verify(path, trust=trust, lookup=registry, progress=progress)
        best = report.lookup.best if report.lookup is not None else None
        if report.lookup is None or best is None:
            return None
        return Found(report, report.lookup.registry, best.manifest_id, best.similarity / 100)

    return lookup


@dataclass(frozen=True)
class Picture:
    """A picture of the uploaded file with its changed regions outlined (PNG)."""

    png: bytes
    width: int
    height: int
    regions: tuple[tuple[int, int, int, int], ...]  # in the file's own pixels
    segment: int | None = None  # for video: its segment in the report's frames
    frame: int | None = None  # for video: the checked frame shown

    def to_dict(self) -> dict[str, Any]:
        """JSON form (web-view schema, `pictures`)."""
        return {
            "segment": self.segment,
            "frame": self.frame,
            "regions": [list(r) for r in self.regions],
            "width": self.width,
            "height": self.height,
            "src": "data:image/png;base64," + base64.b64encode(self.png).decode(),
        }


@dataclass(frozen=True)
class View:
    """Everything the page shows for one file."""

    batch: VerificationBatch  # one report: the document `verify --json` prints
    history: History | None
    pictures: tuple[Picture, ...] = ()
    found: Found | None = None

    @property
    def report(self) -> VerificationReport:
        """The file's report."""
        return self.batch.reports[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (web-view schema)."""
        return {
            "schema_version": 1,
            "report": self.batch.to_dict(),
            "history": self.history.to_dict() if self.history else None,
            "pictures": [p.to_dict() for p in self.pictures],
            "registry": self.found.to_dict() if self.found else None,
            "words": _words(self.report, self.history),
        }


def verify_upload(
    upload: Upload,
    *,
    trust: Trust,
    lookup: Lookup | None = None,
    step: Step = lambda stage, done, total: None,
) -> tuple[VerificationReport, Found | None]:
    """The upload's report, as `verify` makes it (a file that cannot be checked gets an
    `error` report); an unsigned file is looked up when there is a registry."""

    def decoding(done: int, total: int | None) -> None:
        step("decoding", done, total)

    step("reading", 0, None)
    (report,) = verify_many([upload.path], trust=trust, progress=decoding).reports
    found = None
    if report.verdict is Verdict.UNSIGNED and lookup is not None:
        step("looking up", 0, None)
        try:
            found = lookup(upload.path, trust=trust, progress=decoding)
        except ProvenanceError as e:  # the file's own verdict stands; say why nothing more
            message = f"{report.message}; registry lookup failed ({_scrub(str(e), upload)})"
            report = replace(report, message=message)
        if found is not None:
            report = found.report
    return _named(report, upload), found


def view_upload(
    upload: Upload,
    *,
    trust: Trust,
    lookup: Lookup | None = None,
    step: Step = lambda stage, done, total: None,
    picture_width: int = 960,
) -> View:
    """The report, the edit history and the pictures of what changed, for the page."""
    report, found = verify_upload(upload, trust=trust, lookup=lookup, step=step)
    tree = None
    if report.manifest_label is not None and found is None:
        tree = history(upload.path, trust=trust)
        tree = replace(tree, path=upload.name, message=_scrub(tree.message, upload))
    if report.frames is not None or report.regions:
        step("drawing", 0, None)
    pictures = tuple(
        _picture(s.picture, s.regions, s.segment, s.frame)
        for s in snapshots(report, upload.path, width=picture_width)
    )
    return View(VerificationBatch((report,), generator()), tree, pictures, found)


def _picture(
    image: Any, regions: Iterable[tuple[int, int, int, int]], *where: int | None
) -> Picture:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return Picture(buf.getvalue(), image.width, image.height, tuple(regions), *where)


def _scrub(text: str, upload: Upload) -> str:
    """The sender's names in place of the server's paths."""
    if upload.sidecar is not None:
        text = text.replace(str(upload.sidecar), upload.sidecar_name or "sidecar")
    return text.replace(str(upload.path), upload.name)


def _named(report: VerificationReport, upload: Upload) -> VerificationReport:
    sidecar = report.sidecar
    if sidecar is not None:
        sidecar = _scrub(sidecar, upload)
    return replace(
        report, path=upload.name, sidecar=sidecar, message=_scrub(report.message, upload)
    )


def _words(report: VerificationReport, tree: History | None) -> dict[str, Any]:
    """The plain words the page shows beside the report's terms."""
    actions = [*report.actions, *(a for n in (tree.nodes() if tree else []) for a in n.actions)]
    types = {a.digital_source_type for a in actions if a.digital_source_type}
    codes = {s.code for s in report.failures}
    codes |= {c for n in (tree.nodes() if tree else []) for c in n.failures}
    return {
        "verdict": VERDICT_WORDS[report.verdict.value],
        "source_types": {
            t: SOURCE_TYPE_WORDS.get(short_source_type(t), short_source_type(t))
            for t in sorted(types)
        },
        "codes": {c: STATUS_CODE_WORDS[c] for c in sorted(codes) if c in STATUS_CODE_WORDS},
    }
