"""Registrations for the registry tests: seeded random fingerprints (storage needs no
media), and files signed the way `sign` signs them (with our soft binding)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from provenance import Identity, sign
from provenance._read import EMBEDDED, open_asset, store_bytes
from provenance._registry.fingerprint import BLOCK_MS, Block, BlockValue
from provenance._registry.softbinding import SoftBinding
from provenance._registry.store import Registration

__all__ = ["sign_with_binding", "synthetic"]


def synthetic(i: int, seconds: int = 20, cores: Sequence[int] | None = None) -> Registration:
    """A registration with a random (seeded) fingerprint, or these core hashes one a
    second: storage tests need no media."""
    rng = np.random.default_rng(i)
    if cores is None:
        cores = [int(rng.integers(0, 2**63)) for _ in range(seconds)]
    blocks = tuple(
        Block(k * BLOCK_MS, (k + 1) * BLOCK_MS, BlockValue(core, 0, (0, 0, 128, 128)))
        for k, core in enumerate(cores)
    )
    return Registration(
        manifest_id=f"urn:c2pa:{i:08d}-0000-4000-8000-000000000000",
        store=f"store {i}".encode() * 10,
        binding=SoftBinding(blocks),
        format="video/mp4",
        title=f"clip {i}",
    )


def sign_with_binding(src: Path, dst: Path, identity: Identity) -> bytes:
    """Sign src into dst as `sign` does (frame or region fingerprints and our soft
    binding); returns the manifest store."""
    sign(src, dst, identity=identity, source_type="digitalCapture")
    store = store_bytes(open_asset(dst), EMBEDDED)
    assert store is not None
    return store
