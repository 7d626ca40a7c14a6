"""What signing adds for capture metadata: the file to sign, the metadata assertion and
the action that records a redaction. One call for the signing pipeline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ._strip import strip
from .capture import CaptureFacts, Redaction, read_capture
from ._media import MediaType

__all__ = ["CapturePlan", "plan_capture"]


@dataclass(frozen=True)
class CapturePlan:
    source: Path  # the file to sign: the input, or a copy stripped of redacted metadata
    facts: CaptureFacts | None  # what the manifest records (None: capture not recorded)
    assertions: tuple[dict[str, Any], ...]  # the c2pa.metadata assertion, if any
    action: dict[str, Any] | None  # the c2pa.edited.metadata action recording a redaction
    redacted: tuple[Redaction, ...]  # groups withheld from the manifest or the file


def plan_capture(
    src: Path,
    media: MediaType,
    *,
    record: bool,
    redact: Iterable[Redaction] = (),
    workdir: Path,
) -> CapturePlan:
    """Read `src`'s capture facts (when `record`), leave out and strip `redact`.

    A group is recorded as redacted only when the file had something of it: either a
    fact we would have recorded or a field in its own metadata. `workdir` receives the
    stripped copy and must outlive the signing.
    """
    groups = frozenset(redact)
    found = read_capture(src, media) if record or groups else CaptureFacts()
    stripped = strip(src, media, groups, workdir)
    withheld = {g for g in groups if found.has(g)} | set(stripped.removed)
    redacted = tuple(r for r in Redaction if r in withheld)
    facts = replace(found.without(groups), redacted=redacted) if record else None
    assertion = facts.to_assertion(kind=media.kind) if facts else None
    return CapturePlan(
        source=stripped.path,
        facts=facts,
        assertions=(assertion,) if assertion else (),
        action=CaptureFacts(redacted=redacted).redaction_action(),
        redacted=redacted,
    )
