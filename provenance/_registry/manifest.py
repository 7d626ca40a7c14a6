"""Reading a detached manifest store: validate it, then take what the registry indexes.

A registry holds manifest stores without their assets, so the C2PA library validates a
store against an empty asset: the hard binding (data, BMFF, boxes or collection hash)
cannot match and is the one failure expected; the claim signature, the assertion hashes,
the certificate and every ingredient must validate. The soft binding must be ours and
agree with the frame or region table signed beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._manifest import assertion_data
from .._read import Source, Store, context, judge, read_detached
from .._vocab import FRAMES_LABEL, REGIONS_LABEL
from ..errors import RegistrationRefused, SoftBindingError
from ..models import SourceKind, Verdict
from ..trust import Trust
from .config import MAX_STORE_BYTES
from .softbinding import LABEL, SoftBinding, check_agreement, check_image_agreement
from .store import Registration

__all__ = ["binding_of", "read_store"]


def binding_of(manifest: Mapping[str, Any]) -> SoftBinding:
    """Our soft binding in a manifest (as c2pa-python returns it), checked against the
    frame or region table signed beside it."""
    data = assertion_data(manifest, LABEL)
    if data is None:
        raise SoftBindingError(f"the manifest has no {LABEL} assertion")
    binding = SoftBinding.from_assertion_data(data)
    frames = assertion_data(manifest, FRAMES_LABEL)
    regions = assertion_data(manifest, REGIONS_LABEL)
    from ..frames import FramesDataError, ImageFingerprint, assertion

    try:
        if binding.kind == "video" and isinstance(frames, dict):
            table = assertion.decode(frames)
            check_agreement(binding, table.pts_us, table.dct)
        elif binding.kind == "image" and isinstance(regions, dict):
            fp = ImageFingerprint.from_dict(regions)
            check_image_agreement(binding, fp.dct, fp.fine)
        else:
            raise SoftBindingError("it has no frame or region table to agree with")
    except FramesDataError as e:
        raise SoftBindingError(f"its frame or region table is unreadable ({e})") from None
    return binding


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
        allow-list, when it has one): the verdict must be `trusted`.
    """
    trust = Trust.coerce(trust)
    if require_trusted and not trust.supplied:
        raise RegistrationRefused("registration restricted to trusted signers, but no anchors")
    if len(store) > MAX_STORE_BYTES:
        raise RegistrationRefused(f"manifest store too large ({len(store)} bytes)")
    source = Source(SourceKind.REGISTRY, store)
    read = read_detached(source, context(trust))
    if not isinstance(read, Store):
        raise RegistrationRefused(f"not a usable C2PA manifest store ({read.reason})")
    label = read.active_label
    if not label or not read.active:
        raise RegistrationRefused("the manifest store has no active manifest")
    report = judge("manifest store", format, source, read, trust)
    if not report.verdict.verified:
        raise RegistrationRefused(f"the manifest does not validate: {report.message}")
    if require_trusted and report.verdict is not Verdict.TRUSTED:
        why = f" ({report.trust.reason})" if report.trust else ""
        raise RegistrationRefused(f"the signer is not trusted by the given trust anchors{why}")
    try:
        binding = binding_of(read.active)
    except SoftBindingError as e:
        raise RegistrationRefused(f"cannot index this manifest: {e}") from None
    return Registration(
        manifest_id=label,
        store=store,
        binding=binding,
        format=format,
        title=report.title,
        signer=report.signer.subject if report.signer else None,
        issuer=report.signer.issuer if report.signer else None,
        signed_at=report.timestamp.time if report.timestamp else None,
    )
