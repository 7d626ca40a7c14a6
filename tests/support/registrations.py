"""Registrations for the registry tests: seeded random fingerprints (storage needs no
media), and files signed with our soft binding the way `sign` will add it."""

from __future__ import annotations

from pathlib import Path

import c2pa
import numpy as np

from provenance import Identity, _c2pa, frames
from provenance._media import detect
from provenance._registry.compute import image_binding, video_binding
from provenance._registry.fingerprint import BLOCK_MS, Block, BlockValue
from provenance._registry.softbinding import SoftBinding
from provenance._registry.store import Registration

__all__ = ["sign_with_binding", "synthetic"]

_CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


def synthetic(i: int, seconds: int = 20) -> Registration:
    """A registration with a random (seeded) fingerprint: storage tests need no media."""
    rng = np.random.default_rng(i)
    blocks = tuple(
        Block(k * BLOCK_MS, (k + 1) * BLOCK_MS,
              BlockValue(int(rng.integers(0, 2**63)), 0, (0, 0, 128, 128)))
        for k in range(seconds)
    )  # fmt: skip
    return Registration(
        manifest_id=f"urn:c2pa:{i:08d}-0000-4000-8000-000000000000",
        store=f"store {i}".encode() * 10,
        binding=SoftBinding(blocks),
        format="video/mp4",
        title=f"clip {i}",
    )


def sign_with_binding(src: Path, dst: Path, identity: Identity) -> bytes:
    """Sign src into dst with frame/region fingerprints and our soft binding (what `sign`
    will add); returns the manifest store."""
    media = detect(src)
    if media.kind == "video":
        table = frames.assertion.assertion(frames.fingerprint_video(src))
        binding = video_binding(src)
    else:
        data = frames.fingerprint_image(src).to_dict()
        table = {"label": "org.provenance.regions", "data": {"version": 1, **data}}
        binding = image_binding(src)
    definition = {
        "claim_generator_info": [{"name": "provenance-toolkit-tests", "version": "0"}],
        "title": src.name,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": _CAPTURE}]},
            },
            table,
            binding.assertion(),
        ],
    }
    ctx = _c2pa.context(builder={"thumbnail": {"enabled": False}})
    builder = c2pa.Builder(definition, context=ctx)
    alg = c2pa.C2paSigningAlg[identity.alg.upper()]
    with c2pa.Signer.from_callback(identity.sign, alg, identity.chain_pem, None) as signer:
        with open(src, "rb") as f, open(dst, "w+b") as out:
            return bytes(builder.sign(signer, media.mime, f, out))
