"""Reading a detached manifest store: validate it, then take what the registry indexes.

A registry holds manifest stores without their assets, so the C2PA library validates a
store against an empty asset: the hard binding (data, BMFF, boxes or collection hash)
cannot match and is the one failure expected; the claim signature, the assertion hashes,
the certificate and every ingredient must validate. The soft binding must be ours and
agree with the frame or region table signed beside it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import c2pa
import numpy as np

from .. import _c2pa
from .._manifest import HARD_BINDING_MISMATCH, certificate_info, dn, is_trust_only
from ..models import StatusEntry
from ..trust import Trust
from ..verify import decide
from .errors import RegistrationRefused, SoftBindingError
from .softbinding import LABEL, SoftBinding, check_agreement
from .store import Registration

__all__ = ["MAX_STORE_BYTES", "binding_of", "read_store"]

MAX_STORE_BYTES = 64 * 1024 * 1024
"""A store over 64 MiB is refused (an hour of 30 fps video signs into about 10 MB)."""

_FRAMES = "org.provenance.frames"
_REGIONS = "org.provenance.regions"


def _assertion(manifest: dict[str, Any], label: str) -> Any:
    for a in manifest.get("assertions") or []:
        if isinstance(a, dict) and a.get("label") == label:
            return a.get("data")
    return None


def binding_of(manifest: dict[str, Any]) -> SoftBinding:
    """Our soft binding in a manifest (as c2pa-python returns it), checked against the
    frame or region table signed beside it."""
    data = _assertion(manifest, LABEL)
    if data is None:
        raise SoftBindingError(f"the manifest has no {LABEL} assertion")
    binding = SoftBinding.from_assertion_data(data)
    frames, regions = _assertion(manifest, _FRAMES), _assertion(manifest, _REGIONS)
    if binding.kind == "video" and isinstance(frames, dict):
        from ..frames import assertion  # NumPy tables: only when there is one to read

        table = assertion.decode(frames)
        check_agreement(binding, table.pts_us, table.dct)
    elif binding.kind == "image" and isinstance(regions, dict):
        from ..frames import ImageFingerprint

        fp = ImageFingerprint.from_dict(regions)
        check_agreement(binding, np.zeros(1, np.int64), np.array([fp.dct], np.uint64))
    else:
        raise SoftBindingError("the soft binding has no frame or region table to agree with")
    return binding


def _entries(items: Iterable[dict[str, Any]] | None, *, ingredient: bool) -> list[StatusEntry]:
    return [
        StatusEntry(code=str(i.get("code", "")), explanation=str(i.get("explanation", "")),
                    ingredient=ingredient)
        for i in items or []
    ]  # fmt: skip


def read_store(
    store: bytes,
    *,
    trust: Trust | Iterable[Path | str] | None = None,
    require_trusted: bool = False,
    format: str | None = None,
) -> Registration:
    """Validate a manifest store and return its registration; raises `RegistrationRefused`
    with the reason when it must not be registered.

    require_trusted: the signer must chain to one of the `trust` anchors (and be on its
        allow-list, when it has one).
    """
    trust = Trust.coerce(trust)
    if require_trusted and not trust.supplied:
        raise RegistrationRefused("registration restricted to trusted signers, but no anchors")
    if len(store) > MAX_STORE_BYTES:
        raise RegistrationRefused(f"manifest store too large ({len(store)} bytes)")
    ctx = _c2pa.context(trust_anchors_pem=trust.anchors_pem, allowed_pem=trust.allowed_pem)
    try:
        reader = c2pa.Reader("application/c2pa", io.BytesIO(b""), store, context=ctx)
    except c2pa.C2paError as e:
        why = _c2pa.error_text(e)
        raise RegistrationRefused(f"not a usable C2PA manifest store ({why})") from None
    with reader:
        results = reader.get_validation_results() or {}
        active = results.get("activeManifest") or {}
        failures = _entries(active.get("failure"), ingredient=False)
        for delta in results.get("ingredientDeltas") or []:
            deltas = (delta.get("validationDeltas") or {}).get("failure")
            failures += _entries(deltas, ingredient=True)
        success = {str(s.get("code")) for s in active.get("success") or []}
        blocking = [
            f for f in failures if not is_trust_only(f.code) and f.code not in HARD_BINDING_MISMATCH
        ]
        if blocking:
            _, why = decide(None, blocking)
            raise RegistrationRefused(f"the manifest does not validate: {why}")
        if "claimSignature.validated" not in success:
            raise RegistrationRefused("the manifest's claim signature was not validated")
        try:
            manifest: dict[str, Any] = reader.get_active_manifest() or {}
        except (KeyError, ValueError, c2pa.C2paError):
            manifest = {}
        label = manifest.get("label")
        if not isinstance(label, str) or not label:
            raise RegistrationRefused("the manifest store has no active manifest")
        sig = manifest.get("signature_info") or {}
        cert = certificate_info(reader, label)
        subject = dn(cert.get("subject")) or str(sig.get("common_name") or "") or None
        issuer = dn(cert.get("issuer")) or str(sig.get("issuer") or "") or None
    if require_trusted:
        trusted = "signingCredential.trusted" in success
        if trusted and trust.allowed:
            trusted = (
                trust.allowed_signer(subject or "", issuer or "", cert.get("serialNumber"))
                is not None
            )
        if not trusted:
            raise RegistrationRefused("the signer is not trusted by the given trust anchors")
    try:
        binding = binding_of(manifest)
    except SoftBindingError as e:
        raise RegistrationRefused(f"cannot index this manifest: {e}") from None
    return Registration(
        manifest_id=label,
        store=store,
        binding=binding,
        format=format,
        title=manifest.get("title"),
        signer=subject,
        issuer=issuer,
        signed_at=sig.get("time"),
    )
