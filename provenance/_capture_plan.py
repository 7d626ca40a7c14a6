"""What signing adds for capture metadata: the file to sign (a copy stripped of withheld
metadata), the metadata assertion and the action that records a redaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import _capture
from ._media import MediaType
from ._strip import strip
from .models import CaptureFacts, Redaction

__all__ = ["CapturePlan", "plan_capture"]


@dataclass(frozen=True)
class CapturePlan:
    """The capture part of one signing."""

    source: Path  # the file to sign: the input, or a copy stripped of redacted metadata
    facts: CaptureFacts | None  # what the manifest records (None: capture not recorded)
    assertions: tuple[dict[str, Any], ...]  # the c2pa.metadata assertion, if any
    actions: tuple[dict[str, Any], ...]  # the c2pa.edited.metadata action of a redaction
    redacted: tuple[Redaction, ...]  # groups withheld from the manifest and the file


def plan_capture(
    src: Path,
    media: MediaType,
    *,
    record: bool,
    redact: Iterable[Redaction] = (),
    workdir: Path,
) -> CapturePlan:
    """Read `src`'s capture facts (when `record`), leave out and strip `redact`.

    A group is recorded as redacted only when the file had something of it: a fact we
    would have recorded or a field in its own metadata. `workdir` receives the stripped
    copy and must outlive the signing."""
    groups = frozenset(redact)
    found = _capture.read_capture(src, media) if record or groups else CaptureFacts()
    stripped = strip(src, media, groups, workdir)
    withheld = {g for g in groups if found.has(g)} | set(stripped.removed)
    redacted = tuple(r for r in Redaction if r in withheld)
    facts: CaptureFacts | None = replace(found.without(groups), redacted=redacted)
    if not record or facts == CaptureFacts():
        facts = None  # nothing recorded, nothing withheld
    assertion = _capture.to_assertion(facts, kind=media.kind) if facts else None
    action = _capture.redaction_action(redacted)
    return CapturePlan(
        source=stripped.path,
        facts=facts,
        assertions=(assertion,) if assertion else (),
        actions=(action,) if action else (),
        redacted=redacted,
    )
