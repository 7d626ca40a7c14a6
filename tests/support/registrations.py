"""Registrations with seeded random fingerprints: storage and scale tests need no media."""

from __future__ import annotations

import numpy as np

from provenance._registry.fingerprint import BLOCK_MS, Block, BlockValue
from provenance._registry.softbinding import SoftBinding
from provenance._registry.store import Registration

__all__ = ["synthetic"]


def synthetic(i: int, seconds: int = 20) -> Registration:
    """A registration with a random (seeded) fingerprint: storage tests need no media."""
    rng = np.random.default_rng(i)
    blocks = tuple(
        Block(k * BLOCK_MS, (k + 1) * BLOCK_MS,
              BlockValue(int(rng.integers(0, 2**63)), int(rng.integers(0, 2**63)), 0,
                         (0, 0, 128, 128)))
        for k in range(seconds)
    )  # fmt: skip
    return Registration(
        manifest_id=f"urn:c2pa:{i:08d}-0000-4000-8000-000000000000",
        store=f"store {i}".encode() * 10,
        binding=SoftBinding(blocks),
        format="video/mp4",
        title=f"clip {i}",
    )
