"""The standard `c2pa.soft-binding` assertion carrying our fingerprint (C2PA 2.2, 18.10).

    {"label": "c2pa.soft-binding",
     "data": {"alg": "org.provenance.fingerprint.2",
              "name": "...",
              "blocks": [{"scope": {"timespan": {"start": 0, "end": 1000}}, "value": b64},
                         ...],
              "pad": ""}}

`alg` is in our own reverse-DNS namespace: the algorithm is not (yet) on the C2PA soft
binding algorithm list, which the specification asks for (9.3.2). c2pa-rs 0.91 (c2pa-python
0.38) does not check the list; newer c2pa-rs reports `algorithm.unsupported` for any
algorithm missing from its `soft_binding.soft_binding_algorithms` setting, so a validator
on it must list ours there.

A video has one block per whole second, its timespan in milliseconds from the start. A
still image has the whole picture's block (an empty scope), then, since version 2 of the
algorithm, one block per regional window (`fingerprint.REGIONS`, in order), each scoped to
its rectangle as a C2PA region of interest (percent of the picture). Version 1
(`ALG_V1`: a still's one block; videos as in version 2) is still read, registered and
looked up. Each `value` is a `fingerprint.BlockValue` (21 bytes).

Bytes: the specification types `value` and `pad` as CBOR byte strings, but a c2pa-python
manifest definition is JSON, which c2pa-rs converts to CBOR generically, and JSON has no
bytes: a base64 string would be signed as a text string, a list of byte values as an array
of small integers. We write the list: it carries the byte values themselves, which
c2pa-rs's own `SoftBinding` type (serde_bytes) reads back as bytes, and c2pa-python
returns as base64. Both spellings are accepted when reading.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._vocab import SOFT_BINDING_LABEL as LABEL
from ..errors import SoftBindingError
from .fingerprint import FINE, REGIONS, SIZE, Block, BlockValue, Regions, core_rect, majority

__all__ = [
    "ALG",
    "ALGS",
    "ALG_V1",
    "LABEL",
    "SoftBinding",
    "check_agreement",
    "check_image_agreement",
]

ALG = "org.provenance.fingerprint.2"
"""What we sign: a still carries regional blocks."""
ALG_V1 = "org.provenance.fingerprint.1"
"""The first version: a still has one block (the whole picture's)."""
ALGS = (ALG, ALG_V1)
_NAME = (
    "provenance-toolkit perceptual fingerprint: DCT sign hashes of the picture's core, one "
    "value per second of video; for a still image, of its core and of sixteen regions"
)
_MAX_BLOCKS = 24 * 3600  # a day of video; a larger table is hostile, not real


@dataclass(frozen=True)
class SoftBinding:
    """Our soft binding: the fingerprint of each block of the asset."""

    blocks: tuple[Block, ...]
    alg: str = ALG

    @property
    def kind(self) -> str:
        """ "image" (one block without a timespan) or "video"."""
        return "image" if self.blocks and self.blocks[0].start_ms is None else "video"

    @property
    def duration_ms(self) -> int:
        """Where the last block ends, in milliseconds (0 for a still)."""
        return max((b.end_ms or 0) for b in self.blocks) if self.blocks else 0

    def assertion(self) -> dict[str, Any]:
        """The assertion, in the JSON form of a C2PA manifest definition."""
        blocks: list[dict[str, Any]] = []
        for b in self.blocks:
            scope: dict[str, Any] = {}
            if b.start_ms is not None and b.end_ms is not None:
                scope["timespan"] = {"start": b.start_ms, "end": b.end_ms}
            if b.region:
                scope["region"] = _region_map(b)
            # a list of byte values: c2pa-rs writes it as a CBOR byte string (a base64
            # string would become a text string, which the specification does not allow)
            blocks.append({"scope": scope, "value": list(b.value.pack())})
        return {
            "label": LABEL,
            "data": {"alg": self.alg, "name": _NAME, "blocks": blocks, "pad": []},
        }

    @classmethod
    def from_assertion_data(cls, data: Any) -> SoftBinding:
        """Read the `data` of a `c2pa.soft-binding` assertion as the C2PA library returns
        it; raises `SoftBindingError` unless it is ours and well formed."""
        alg = data.get("alg") if isinstance(data, dict) else None
        if alg not in ALGS:
            raise SoftBindingError(f"soft binding algorithm {alg!r} is not {ALG} or {ALG_V1}")
        raw = data.get("blocks")
        if not isinstance(raw, list) or not 0 < len(raw) <= _MAX_BLOCKS:
            raise SoftBindingError("soft binding has no blocks, or too many")
        blocks: list[Block] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("scope"), dict):
                raise SoftBindingError("soft binding block without a scope")
            start, end = _timespan(item["scope"])
            # regional blocks come in `REGIONS` order, after the whole picture's
            region = len(blocks) if "region" in item["scope"] else 0
            value = BlockValue.unpack(_unb64(item.get("value")))
            blocks.append(Block(start, end, value, region))
        binding = cls(tuple(blocks), alg)
        binding._check_shape()
        return binding

    def _check_shape(self) -> None:
        timed = [b.start_ms is not None for b in self.blocks]
        if not all(timed):
            regions = 0 if self.alg == ALG_V1 else len(REGIONS)
            if any(timed) or [b.region for b in self.blocks] != list(range(1 + regions)):
                raise SoftBindingError(
                    f"an image soft binding of {self.alg} has the whole picture's block"
                    + (f", then {regions} regional blocks" if regions else " alone")
                )
            return
        previous_end = 0
        for b in self.blocks:
            assert b.start_ms is not None and b.end_ms is not None
            if b.region or b.start_ms < previous_end or b.end_ms <= b.start_ms:
                raise SoftBindingError("soft binding timespans overlap or run backwards")
            previous_end = b.end_ms


def _region_map(b: Block) -> dict[str, Any]:
    """A regional block's scope: a C2PA region of interest (a rectangle, in percent of the
    picture), for readers other than ours; ours know the window from the block's order."""
    x0, y0, x1, y1 = (v * 100 / SIZE for v in core_rect(b.value.box, window=REGIONS[b.region - 1]))
    shape = {"type": "rectangle", "unit": "percent", "origin": {"x": x0, "y": y0},
             "width": x1 - x0, "height": y1 - y0}  # fmt: skip
    return {"region": [{"type": "spatial", "shape": shape}]}


def _timespan(scope: dict[str, Any]) -> tuple[int | None, int | None]:
    span = scope.get("timespan")
    if span is None:
        return None, None
    if not isinstance(span, dict):
        raise SoftBindingError("soft binding timespan is not a map")
    start, end = span.get("start"), span.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
        raise SoftBindingError("soft binding timespan needs 0 <= start < end (milliseconds)")
    return start, end


def _unb64(value: Any) -> bytes:
    # c2pa-python returns CBOR byte strings as base64 text; a list of byte values is the
    # other JSON spelling of bytes the library accepts
    if isinstance(value, list) and all(isinstance(x, int) and 0 <= x < 256 for x in value):
        return bytes(value)
    if not isinstance(value, str):
        raise SoftBindingError("soft binding value is not a byte string")
    try:
        return binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError) as e:
        raise SoftBindingError(f"soft binding value is not base64 ({e})") from None


def check_agreement(
    binding: SoftBinding, pts_us: npt.NDArray[np.int64], dct: npt.NDArray[np.uint64]
) -> None:
    """Raise `SoftBindingError` unless the soft binding of a video was computed beside this
    frame table: each block's frame-table majority must be the majority of the DCT hashes
    of the table's frames in its timespan."""
    seconds = np.maximum(pts_us, 0) // (1000 * 1000)
    for b in binding.blocks:
        if b.start_ms is None or b.end_ms is None:
            raise SoftBindingError("a still's soft binding is checked against a region table")
        first, last = b.start_ms // 1000, (b.end_ms - 1) // 1000
        mine = dct[(seconds >= first) & (seconds <= last)]
        if mine.size == 0 or majority(mine) != b.value.table:
            raise SoftBindingError(
                f"the soft binding disagrees with the signed frame table at "
                f"{b.start_ms / 1000:.0f} s"
            )


_TINY = 1e-6  # a coefficient this close to 0 may take either sign on another machine


def _same_signs(differ: int, strength: npt.NDArray[np.float64]) -> bool:
    """Whether hashes that differ in the bits of `differ` agree but for coefficients too
    close to 0 to carry a sign (`strength`: each bit's |coefficient|)."""
    if differ == 0:
        return True  # nearly always: no array work
    bits = (np.uint64(differ) >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
    return not (strength[bits == 1] > _TINY * max(1.0, float(strength.max()))).any()


def check_image_agreement(binding: SoftBinding, dct: int, fine: bytes) -> None:
    """Raise `SoftBindingError` unless the soft binding of a still was computed beside this
    region table: the whole picture's block holds the table's DCT hash, and each regional
    block the hash of its window of the table's fine grid (recomputed here)."""
    whole = binding.blocks[0].value
    if binding.kind != "image" or whole.table != dct:
        raise SoftBindingError("the soft binding disagrees with the signed region table")
    if len(binding.blocks) == 1:
        return
    grid = np.frombuffer(fine, dtype=np.uint8).reshape(FINE, FINE)
    regions = Regions(grid.astype(np.float32), whole.box)
    for b, bits, flat, strength in zip(
        binding.blocks[1:], regions.bits[0].tolist(), regions.flat.tolist(), regions.strength[0],
        strict=True,
    ):  # fmt: skip
        v = b.value
        if (
            v.box != whole.box
            or v.table != v.core
            or v.flat != flat
            or not _same_signs(v.core ^ bits, strength)
        ):
            raise SoftBindingError(
                f"the soft binding disagrees with the signed region table in region {b.region}"
            )
