"""The provenance tree of a file: its manifest, its ingredients' manifests, and theirs,
each with its signer, actions and validation outcome — like a family tree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import _manifest
from ._read import (
    Store,
    context,
    find_source,
    judge,
    open_asset,
    read_store,
    unreadable_report,
    unsigned_report,
)
from ._rules import claim_signer_trusted, ingredient_status, is_trust_only, node_status
from .models import History, HistoryNode, StatusEntry, VerificationReport
from .trust import Trust

__all__ = ["history"]

_MAX_DEPTH = 64  # ingredient chains deeper than this are hostile, not real


def history(path: Path | str, *, trust: Trust | Iterable[Path | str] | None = None) -> History:
    """Build the provenance tree of `path` (raises `ProvenanceError` if it can't be read).

    The file is read once, through the same steps as `verify` (a sidecar beside it is
    used, under the same safety checks); its own node carries its verdict, and every
    other manifest's signer is judged against the same trust anchors. `History.exit_code`
    fails the tree when any link fails."""
    path = Path(path)
    trust = Trust.coerce(trust)
    asset = open_asset(path)
    source = find_source(asset)
    store = read_store(asset, source, context(trust))
    if store is None:
        report = unsigned_report(str(path), asset.media.mime, trust)
    elif not isinstance(store, Store):
        report = unreadable_report(str(path), asset.media.mime, source, store, trust)
    else:
        report = judge(str(path), asset.media.mime, source, store, trust)
    root = None
    if isinstance(store, Store) and report.manifest_label is not None:
        root = _Tree(store, report, trust).root()
    return History(str(path), report.verdict, report.message, root, trust.supplied)


def _deltas(results: dict[str, Any], kind: str) -> dict[str, list[dict[str, Any]]]:
    """Statuses found now in each ingredient's manifest (`kind`: failure or success),
    keyed by that manifest's label (the C2PA library reports them as deltas, against
    URLs inside the manifest)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for delta in results.get("ingredientDeltas") or []:
        for f in (delta.get("validationDeltas") or {}).get(kind) or []:
            m = re.match(r"self#jumbf=/c2pa/([^/]+)", str(f.get("url", "")))
            if m:
                out.setdefault(m.group(1), []).append(f)
    return out


class _Tree:
    """The nodes of one store's tree; the root is the file the report judged."""

    def __init__(self, store: Store, report: VerificationReport, trust: Trust) -> None:
        self.store = store
        self.report = report
        self.trust = trust
        self.failed = _deltas(store.results, "failure")
        self.succeeded = _deltas(store.results, "success")

    def _judge(self, label: str | None, ing: dict[str, Any]) -> tuple[list[StatusEntry], bool]:
        """An ingredient manifest's failures (recorded with it when it was added, and
        found now) and whether its signer chains, now, to one of the anchors. Trust is the
        verifier's to judge: what the signer's tool thought of it is left out."""
        now = self.store.manifest_results.get(label or "") or {}
        recorded = (ing.get("validation_results") or {}).get("activeManifest") or {}
        found = [
            *(f for f in recorded.get("failure") or [] if not is_trust_only(str(f.get("code")))),
            *(now.get("failure") or []),
            *self.failed.get(label or "", []),
        ]
        success = [*(now.get("success") or []), *self.succeeded.get(label or "", [])]
        vouched = next(
            (str(s.get("explanation", "")) for s in success
             if s.get("code") == "signingCredential.trusted"),
            None,
        )  # fmt: skip
        identity_anchors = bool(self.trust.identity_anchors)
        trusted = self.trust.supplied and claim_signer_trusted(
            vouched, identity_anchors=identity_anchors
        )
        return _manifest.status_entries(found, ingredient=True), trusted

    def root(self) -> HistoryNode:
        return self._node(self.report.manifest_label, None, 0)

    def _node(self, label: str | None, ing: dict[str, Any] | None, depth: int) -> HistoryNode:
        m = self.store.manifests.get(label) if label else None
        if ing is None:  # the file itself: the report already judged it
            status = node_status(self.report.verdict)
            failures = tuple(self.report.status_codes)
            identities = self.report.identities
        else:
            found, trusted = self._judge(label, ing)
            status, failures = ingredient_status(
                found, has_manifest=label is not None, manifest_found=m is not None,
                trusted=trusted,
            )  # fmt: skip
            identities = (
                _manifest.identities(
                    m,
                    self.store.results.get("activeManifest") or {},
                    self.store.identity_certificates.get(label or "") or {},
                    anchors_supplied=bool(self.trust.identity_anchors),
                )
                if m
                else ()
            )
        cert = self.store.certificate(label) if m else {}
        sig = (m or {}).get("signature_info") or {}
        children: tuple[HistoryNode, ...] = ()
        if m and depth < _MAX_DEPTH:
            children = tuple(
                self._node(i.get("active_manifest"), i, depth + 1)
                for i in m.get("ingredients") or []
            )
        return HistoryNode(
            title=(m or ing or {}).get("title"),
            format=(ing or {}).get("format") if ing else self.report.format,
            relationship=(ing or {}).get("relationship"),
            manifest=label if m else None,
            signer=_manifest.dn(cert.get("subject")) or sig.get("common_name"),
            issuer=_manifest.dn(cert.get("issuer")) or sig.get("issuer"),
            signed_at=sig.get("time"),
            claim_generator=_manifest.generator(m) if m else None,
            actions=tuple(_manifest.actions(m)) if m else (),
            authors=_manifest.authors(m) if m else (),
            identities=identities,
            capture=_manifest.capture(m) if m else None,
            status=status,
            failures=failures,
            ingredients=children,
        )
