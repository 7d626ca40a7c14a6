"""The soft-binding value, its `c2pa.soft-binding` assertion, and the query value."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import c2pa
import jsonschema
import numpy as np
import pytest
from mediautil import SCHEMAS

from provenance import SoftBindingError, _c2pa, frames
from provenance._registry.fingerprint import (
    BLOCK_MS,
    HYPOTHESES,
    SIZE,
    Block,
    BlockAccumulator,
    BlockValue,
    content_box,
    describe,
    majority,
)
from provenance._registry.manifest import binding_of
from provenance._registry.query import Probe, Query
from provenance._registry.softbinding import ALG, LABEL, SoftBinding, check_agreement


def _texture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.random((8, 8)) * 200 + 20
    return np.kron(small, np.ones((SIZE // 8, SIZE // 8))).astype(np.float32)


def test_value_packs_to_29_bytes_and_back() -> None:
    value = BlockValue(core=2**63 + 5, table=2**64 - 1, box=(0, 12, 128, 116), flat=True)
    packed = value.pack()
    assert len(packed) == BlockValue.SIZE == 21
    assert BlockValue.unpack(packed) == value
    with pytest.raises(SoftBindingError):
        BlockValue.unpack(packed[:-1])
    with pytest.raises(SoftBindingError):
        BlockValue.unpack(b"\x00" + bytes([50, 0, 40, 128]) + packed[5:])  # x0 > x1


def test_content_box_trims_symmetric_bars_but_not_a_caption_band() -> None:
    img = _texture(1)
    letterbox = img.copy()
    letterbox[:16] = 16
    letterbox[-16:] = 16
    assert content_box(letterbox) == (0, 16, SIZE, SIZE - 16)
    caption = img.copy()
    caption[-13:] = 20  # a flat band at the bottom only: not a bar
    assert content_box(caption) == (0, 0, SIZE, SIZE)
    pillar = img.copy()
    pillar[:, :10] = 0
    pillar[:, -12:] = 0
    assert content_box(pillar) == (10, 0, SIZE - 10, SIZE)


def test_flat_pictures_are_flagged() -> None:
    assert describe(np.full((SIZE, SIZE), 30, np.float32), 0).flat
    assert not describe(_texture(2), 0).flat


def test_accumulator_makes_one_block_per_whole_second() -> None:
    acc = BlockAccumulator()
    gray = _texture(3).astype(np.uint8)
    for i in range(75):  # 2.5 s at 30 fps
        acc.add(i * 1_000_000 // 30, gray, dct=i)
    blocks = acc.finish(duration_ms=2500)
    assert [(b.start_ms, b.end_ms) for b in blocks] == [(0, 1000), (1000, 2000)]
    assert blocks[1].value.table == majority(np.arange(30, 60, dtype=np.uint64))
    short = BlockAccumulator()
    short.add(0, gray, dct=1)
    short.add(33_333, gray, dct=1)
    assert [(b.start_ms, b.end_ms) for b in short.finish(duration_ms=600)] == [(0, 600)]


def test_majority_is_bitwise() -> None:
    hashes = np.array([0b1101, 0b1001, 0b0111], dtype=np.uint64)
    assert majority(hashes) == 0b1101
    assert majority(np.array([0b1, 0b0], dtype=np.uint64)) == 0  # a tie counts as 0


def _binding() -> SoftBinding:
    blocks = tuple(
        Block(k * BLOCK_MS, (k + 1) * BLOCK_MS, describe(_texture(k), table=k)) for k in range(3)
    )
    return SoftBinding(blocks)


def test_assertion_round_trips_through_the_c2pa_json_shape() -> None:
    binding = _binding()
    assertion = binding.assertion()
    schema = json.loads((SCHEMAS / "soft-binding-assertion.schema.json").read_text())
    jsonschema.validate(assertion["data"], schema)
    assert assertion["label"] == LABEL == "c2pa.soft-binding"
    data = assertion["data"]
    assert data["alg"] == ALG == "org.provenance.fingerprint.2"
    assert data["blocks"][1]["scope"] == {"timespan": {"start": 1000, "end": 2000}}
    assert data["blocks"][0]["value"] == list(binding.blocks[0].value.pack())
    assert SoftBinding.from_assertion_data(data) == binding
    # what c2pa-python returns when reading a signed one: base64
    read_back = copy.deepcopy(data)
    for b in read_back["blocks"]:
        b["value"] = base64.b64encode(bytes(b["value"])).decode()
    jsonschema.validate(read_back, schema)
    assert SoftBinding.from_assertion_data(read_back) == binding


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d.update(alg="com.example.other.1"),
        lambda d: d.update(blocks=[]),
        lambda d: d["blocks"][0].update(value="not base64!"),
        lambda d: d["blocks"][0].update(value=[300] * 29),
        lambda d: d["blocks"][0].update(value=base64.b64encode(b"short").decode()),
        lambda d: d["blocks"][1]["scope"]["timespan"].update(start=500),  # overlaps
        lambda d: d["blocks"][0]["scope"]["timespan"].update(end=-1),
        lambda d: d["blocks"][0].pop("scope"),
    ],
)
def test_malformed_assertions_are_refused(spoil: Any) -> None:
    data = _binding().assertion()["data"]
    spoil(data)
    with pytest.raises(SoftBindingError):
        SoftBinding.from_assertion_data(data)


def test_the_binding_must_agree_with_the_frame_table() -> None:
    binding = _binding()
    pts = np.arange(90, dtype=np.int64) * 1_000_000 // 30
    dct = np.repeat(np.arange(3, dtype=np.uint64), 30)  # second k: every frame hashes to k
    check_agreement(binding, pts, dct)
    dct[45] = dct[46] = dct[47] = dct[48] = dct[49] = dct[50] = dct[51] = dct[52] = 0
    dct[53:60] = 0  # second 1 now votes 0 in most frames
    with pytest.raises(SoftBindingError, match="at 1 s"):
        check_agreement(binding, pts, dct)


def test_signed_binding_reads_back_and_agrees(media: Any) -> None:
    """Through c2pa-python: the values come back as signed, beside the frame table."""
    with open(media.signed, "rb") as f, c2pa.Reader("video/mp4", f, context=_c2pa.context()) as r:
        manifest = r.get_active_manifest()
    data = next(a["data"] for a in manifest["assertions"] if a["label"] == "c2pa.soft-binding")
    schema = json.loads((SCHEMAS / "soft-binding-assertion.schema.json").read_text())
    jsonschema.validate(data, schema)
    binding = binding_of(manifest)
    assert binding.kind == "video"
    assert [(b.start_ms, b.end_ms) for b in binding.blocks][:2] == [(0, 1000), (1000, 2000)]
    assert len(binding.blocks) == 8
    table = frames.assertion.decode(
        next(a["data"] for a in manifest["assertions"] if a["label"] == "org.provenance.frames")
    )
    check_agreement(binding, table.pts_us, table.dct)


def test_query_value_round_trips_and_refuses_garbage() -> None:
    probes = tuple(
        Probe(start_ms=100 * i, hyp=i % len(HYPOTHESES), core=2**64 - 1 - i,
              weak=bytes(range(i % 10)))
        for i in range(40)
    )  # fmt: skip
    query = Query("video", 1920, 1080, (0, 12, 128, 116), probes, duration_ms=61_000)
    assert Query.decode(query.encode()) == query
    for bad in (b"", b"XX" + query.encode()[2:], query.encode()[:-1], query.encode() + b"\0"):
        with pytest.raises(SoftBindingError):
            Query.decode(bad)
