"""The provenance tree of a file: its manifest, its ingredients' manifests, and theirs,
each with its signer, actions and validation outcome — like a family tree."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import c2pa

from . import _c2pa
from ._manifest import (
    HARD_BINDING_MISMATCH,
    actions,
    certificate_info,
    dn,
    generator,
    is_trust_only,
)
from .formats import detect
from .models import Action, Verdict, VerificationReport
from .trust import Trust
from .verify import _open_reader, verify

__all__ = ["HistoryNode", "History", "history"]

_MAX_DEPTH = 64  # ingredient chains deeper than this are hostile, not real


@dataclass(frozen=True)
class HistoryNode:
    title: str | None
    format: str | None
    relationship: str | None  # how this node is used by its parent: parentOf, componentOf...
    manifest: str | None  # manifest label; None for an ingredient without credentials
    signer: str | None
    issuer: str | None
    signed_at: str | None
    claim_generator: str | None
    actions: tuple[Action, ...]
    status: str  # "valid", "invalid", "tampered", "unsigned", or "missing"
    failures: tuple[str, ...]
    ingredients: tuple[HistoryNode, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "format": self.format,
            "relationship": self.relationship,
            "manifest": self.manifest,
            "signer": self.signer,
            "issuer": self.issuer,
            "signed_at": self.signed_at,
            "claim_generator": self.claim_generator,
            "actions": [a.to_dict() for a in self.actions],
            "status": self.status,
            "failures": list(self.failures),
            "ingredients": [i.to_dict() for i in self.ingredients],
        }


@dataclass(frozen=True)
class History:
    path: str
    verdict: Verdict
    message: str
    root: HistoryNode | None  # None for an unsigned file

    @property
    def depth(self) -> int:
        def d(n: HistoryNode | None) -> int:
            return 0 if n is None else 1 + max((d(i) for i in n.ingredients), default=0)

        return d(self.root)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "path": self.path,
            "verdict": self.verdict.value,
            "message": self.message,
            "root": self.root.to_dict() if self.root else None,
        }


def _status(failures: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    codes = tuple(sorted(set(failures)))
    blocking = [c for c in codes if not is_trust_only(c)]
    if not blocking:
        return "valid", codes
    if set(blocking) <= HARD_BINDING_MISMATCH:
        return "tampered", codes
    return "invalid", codes


def _delta_failures(results: dict[str, Any]) -> dict[str, list[str]]:
    """Failures found now in each ingredient's manifest, keyed by that manifest's label
    (the C2PA library reports them as deltas, against URLs inside the manifest)."""
    out: dict[str, list[str]] = {}
    for delta in results.get("ingredientDeltas") or []:
        for f in (delta.get("validationDeltas") or {}).get("failure") or []:
            m = re.match(r"self#jumbf=/c2pa/([^/]+)", str(f.get("url", "")))
            if m:
                out.setdefault(m.group(1), []).append(str(f.get("code")))
    return out


def history(path: Path | str, *, trust: Trust | Iterable[Path | str] | None = None) -> History:
    """Build the provenance tree of `path` (raises `ProvenanceError` if it can't be read)."""
    path = Path(path)
    trust = Trust.coerce(trust)
    report: VerificationReport = verify(path, trust=trust, localize=False)
    if report.manifest_label is None:
        return History(str(path), report.verdict, report.message, None)
    ctx = _c2pa.context(trust_anchors_pem=trust.anchors_pem)
    sidecar = (
        Path(report.sidecar).read_bytes()
        if report.manifest_source == "sidecar" and report.sidecar
        else None
    )
    reader = _open_reader(path, detect(path), sidecar, ctx)
    if not isinstance(reader, c2pa.Reader):
        return History(str(path), report.verdict, report.message, None)
    with reader:
        store = json.loads(reader.json())
        manifests: dict[str, Any] = store.get("manifests") or {}
        deltas = _delta_failures(reader.get_validation_results() or {})

        def node(label: str | None, ing: dict[str, Any] | None, depth: int) -> HistoryNode:
            m = manifests.get(label or "") if label else None
            if ing is None:  # the file itself: the report already judged it
                status, failures = report.verdict.value, tuple(report.status_codes)
            else:
                vr = (ing.get("validation_results") or {}).get("activeManifest") or {}
                status, failures = _status(
                    [str(f.get("code")) for f in vr.get("failure") or []]
                    + deltas.get(label or "", [])
                )
                if label is None:
                    status = "unsigned"
                elif m is None:
                    status = "missing"
            cert = certificate_info(reader, label) if m else {}
            sig = (m or {}).get("signature_info") or {}
            children: tuple[HistoryNode, ...] = ()
            if m and depth < _MAX_DEPTH:
                children = tuple(
                    node(i.get("active_manifest"), i, depth + 1) for i in m.get("ingredients") or []
                )
            return HistoryNode(
                title=(m or ing or {}).get("title"),
                format=(ing or {}).get("format") if ing else report.format,
                relationship=(ing or {}).get("relationship"),
                manifest=label if m else None,
                signer=dn(cert.get("subject")) or sig.get("common_name"),
                issuer=dn(cert.get("issuer")) or sig.get("issuer"),
                signed_at=sig.get("time"),
                claim_generator=generator(m) if m else None,
                actions=tuple(actions(m)) if m else (),
                status=status,
                failures=failures,
                ingredients=children,
            )

        root = node(report.manifest_label, None, 0)
    return History(str(path), report.verdict, report.message, root)
