from __future__ import annotations

import base64
import copy
import json
import zlib
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import pytest
from support.synth import ClipSet as Clips

from provenance.frames import FramesDataError, assertion

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "frames-assertion.schema.json"


@pytest.fixture(scope="module")
def data(clips: Clips) -> dict[str, Any]:
    return assertion.encode(clips.fingerprint(clips.lossy))


def test_round_trip(clips: Clips, data: dict[str, Any]) -> None:
    fp = clips.fingerprint(clips.lossy)
    back = assertion.decode(json.loads(json.dumps(data)))
    assert back.digest == fp.digest
    for field in ("pts_us", "exact", "dct", "luma", "detail", "fine"):
        assert np.array_equal(getattr(back, field), getattr(fp, field))
    assert (back.frame_count, back.width, back.height, back.frame_rate) == (
        fp.frame_count,
        fp.width,
        fp.height,
        fp.frame_rate,
    )
    entry = assertion.assertion(fp)
    assert entry["label"] == "org.provenance.frames" and entry["data"]["version"] == 2


def test_size_budget(data: dict[str, Any]) -> None:
    per_frame = len(json.dumps(data)) / data["frame_count"]
    assert per_frame <= 200, per_frame


def test_schema(data: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def _table(raw: bytes) -> str:
    return base64.b64encode(zlib.compress(raw)).decode()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(version=1),
        lambda d: d.pop("table"),
        lambda d: d.update(frame_count=d["frame_count"] + 1),
        lambda d: d.update(frame_count=True),
        lambda d: d.update(frame_count=-1),
        lambda d: d.update(table="not base64 !!"),
        lambda d: d.update(table=base64.b64encode(b"not zlib").decode()),
        lambda d: d.update(table=_table(b"\0" * 10)),
        lambda d: d.update(digest="00" * 32),
        lambda d: d.update(grid="16x16"),
        lambda d: d.update(frame_rate="30/0"),
        lambda d: d.update(width="320"),
        lambda d: d.update(encoding="raw"),
    ],
)
def test_malformed_raises(data: dict[str, Any], mutate: Any) -> None:
    bad = copy.deepcopy(data)
    mutate(bad)
    with pytest.raises(FramesDataError):
        assertion.decode(bad)


def test_not_a_dict() -> None:
    with pytest.raises(FramesDataError):
        assertion.decode([])  # type: ignore[arg-type]


def test_flipped_table_byte_detected(data: dict[str, Any]) -> None:
    raw = bytearray(zlib.decompress(base64.b64decode(data["table"])))
    raw[len(raw) // 2] ^= 1
    bad = dict(data, table=_table(bytes(raw)))
    with pytest.raises(FramesDataError, match="digest"):
        assertion.decode(bad)


def test_trailing_data_rejected(data: dict[str, Any]) -> None:
    raw = zlib.decompress(base64.b64decode(data["table"]))
    bad = dict(data, table=_table(raw + b"\0" * 160))
    with pytest.raises(FramesDataError):
        assertion.decode(bad)
