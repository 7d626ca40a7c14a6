"""The BMFF layout plan for single-pass signing (provenance._bmff), on hand-made boxes:
where every byte goes, which chunk offsets move and by how much, and what is refused."""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from mediautil import C2PA_UUID

from provenance import _bmff
from provenance._bmff import Copy, Data, LayoutError, MediaData

FTYP = b"isom\0\0\2\0isomiso2mp41"


def box(kind: bytes, body: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def table(kind: bytes, offsets: list[int]) -> bytes:
    code = "I" if kind == b"stco" else "Q"
    return box(kind, struct.pack(f">II{len(offsets)}{code}", 0, len(offsets), *offsets))


def moov(*tables: bytes, extra: bytes = b"") -> bytes:
    traks = b"".join(box(b"trak", box(b"mdia", box(b"minf", box(b"stbl", t)))) for t in tables)
    return box(b"moov", box(b"mvhd", bytes(100)) + traks + extra)


def scan(tmp_path: Path, data: bytes) -> _bmff.Layout:
    path = tmp_path / "in.mp4"
    path.write_bytes(data)
    with open(path, "rb") as f:
        return _bmff.scan(f)


def render(layout: _bmff.Layout, data: bytes, manifest: bytes) -> bytes:
    """The output the plan describes (MediaData copied as it is)."""
    out = io.BytesIO()
    for p in layout.pieces(manifest):
        out.write(p.data if isinstance(p, Data) else data[p.start : p.start + p.length])
    return out.getvalue()


def chunk_offsets(data: bytes) -> list[int]:
    """Every stco/co64 entry in the file, in order."""
    found = []
    for kind, code in ((b"stco", "I"), (b"co64", "Q")):
        pos = data.find(kind)
        while pos >= 0:
            (count,) = struct.unpack_from(">I", data, pos + 8)
            found += struct.unpack_from(f">{count}{code}", data, pos + 12)
            pos = data.find(kind, pos + 1)
    return found


MANIFEST = box(b"uuid", C2PA_UUID + bytes(100))


def test_manifest_after_ftyp_mdat_headers_widened_and_offsets_moved(tmp_path: Path) -> None:
    head = box(b"ftyp", FTYP) + box(b"free")
    a, b = b"A" * 50, b"B" * 30
    mdat_a = len(head) + 8
    mdat_b = mdat_a + len(a) + 8
    data = head + box(b"mdat", a) + box(b"mdat", b)
    data += moov(table(b"stco", [mdat_a, mdat_a + 10]), table(b"co64", [mdat_b + 29]))
    layout = scan(tmp_path, data)
    assert layout.manifest_offset == 28  # the end of ftyp
    pieces = layout.pieces(MANIFEST)
    assert pieces[:2] == [Copy(0, 28), Data(MANIFEST)]
    assert [p for p in pieces if isinstance(p, MediaData)] == [
        MediaData(0, mdat_a, 50),
        MediaData(1, mdat_b, 30),
    ]

    out = render(layout, data, MANIFEST)
    new_a = out.index(a)
    new_b = out.index(b)
    assert out[new_a - 16 : new_a] == struct.pack(">I4sQ", 1, b"mdat", 16 + 50)
    assert chunk_offsets(out) == [new_a, new_a + 10, new_b + 29]
    assert out[28 : 28 + len(MANIFEST)] == MANIFEST


def test_moov_first_moves_with_the_manifest(tmp_path: Path) -> None:
    payload = bytes(range(64))
    head = box(b"ftyp", FTYP)
    probe = moov(table(b"stco", [0]))
    at = len(head) + len(probe) + 8
    data = head + moov(table(b"stco", [at])) + box(b"mdat", payload)
    out = render(scan(tmp_path, data), data, MANIFEST)
    (offset,) = chunk_offsets(out)
    assert out[offset : offset + 64] == payload


def test_an_earlier_manifest_box_is_dropped_other_uuid_boxes_kept(tmp_path: Path) -> None:
    xmp = box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + b"<x/>")
    old = box(b"uuid", C2PA_UUID + b"\0\0\0\0manifest\0" + bytes(40))
    head = box(b"ftyp", FTYP) + old + xmp
    at = len(head) + 8
    data = head + box(b"mdat", b"M" * 20) + moov(table(b"stco", [at]))
    out = render(scan(tmp_path, data), data, MANIFEST)
    assert old not in out and xmp in out and out.count(C2PA_UUID) == 1
    (offset,) = chunk_offsets(out)
    assert out[offset : offset + 20] == b"M" * 20


def test_last_mdat_may_run_to_the_end_of_the_file(tmp_path: Path) -> None:
    head = box(b"ftyp", FTYP)
    body = moov(table(b"stco", [0]))
    at = len(head) + len(body) + 8
    data = head + moov(table(b"stco", [at])) + struct.pack(">I4s", 0, b"mdat") + b"Z" * 40
    out = render(scan(tmp_path, data), data, MANIFEST)
    (offset,) = chunk_offsets(out)
    assert out[offset:] == b"Z" * 40
    assert out[offset - 16 : offset] == struct.pack(">I4sQ", 1, b"mdat", 56)


def bad_layouts() -> dict[str, tuple[bytes, str]]:
    ftyp = box(b"ftyp", FTYP)
    mdat = box(b"mdat", b"x" * 16)
    at = len(ftyp) + 8
    good_moov = moov(table(b"stco", [at]))
    return {
        "no ftyp": (mdat + good_moov, "ftyp"),
        "two moov": (ftyp + mdat + good_moov + good_moov, "2 moov"),
        "no mdat": (ftyp + moov(), "no mdat"),
        "empty mdat": (ftyp + box(b"mdat") + good_moov, "empty mdat"),
        "fragmented": (ftyp + mdat + good_moov + box(b"moof"), "moof"),
        "top-level meta": (ftyp + box(b"meta", bytes(4)) + mdat + good_moov, "meta"),
        "mvex": (ftyp + mdat + moov(table(b"stco", [at]), extra=box(b"mvex")), "fragmented"),
        "saio": (ftyp + mdat + moov(table(b"stco", [at]) + box(b"saio", bytes(8))), "saio"),
        "offset outside mdat": (ftyp + mdat + moov(table(b"stco", [3])), "outside every mdat"),
        "box past the end": (ftyp + struct.pack(">I4s", 999, b"mdat") + b"x", "does not fit"),
        "stco count too big": (ftyp + mdat + moov(box(b"stco", struct.pack(">II", 0, 9))), "count"),
    }


@pytest.mark.parametrize("name", sorted(bad_layouts()))
def test_layouts_we_do_not_rewrite_are_refused(name: str, tmp_path: Path) -> None:
    data, reason = bad_layouts()[name]
    with pytest.raises(LayoutError, match=reason):
        scan(tmp_path, data).pieces(MANIFEST)


def test_offsets_past_4_gib_need_co64(tmp_path: Path) -> None:
    """A sparse 4 GiB file: only headers are read, so this costs no disk or time."""
    head = box(b"ftyp", FTYP)
    payload = (1 << 32) + 100
    path = tmp_path / "big.mp4"
    with open(path, "wb") as f:
        f.write(head + struct.pack(">I4sQ", 1, b"mdat", 16 + payload))
        f.seek(len(head) + 16 + payload)
        f.write(moov(table(b"stco", [(1 << 32) - 10])))
    with open(path, "rb") as f:
        layout = _bmff.scan(f)
    with pytest.raises(LayoutError, match="32-bit"):
        layout.pieces(MANIFEST)


@pytest.fixture
def real_mp4(media: Callable[[str], Path]) -> bytes:
    return media("mp4").read_bytes()


def test_damaged_files_raise_layout_error_or_plan(real_mp4: bytes, tmp_path: Path) -> None:
    """Truncations, and flipped bits in the box headers and the moov, of a real MP4: a
    plan or LayoutError, never anything else."""
    rng = random.Random(16)
    cases = [real_mp4[:n] for n in rng.sample(range(1, len(real_mp4)), 40)]
    moov_at = real_mp4.rindex(b"moov") - 4
    structure = [*range(48), *range(moov_at, len(real_mp4))]
    for _ in range(300):
        data = bytearray(real_mp4)
        data[rng.choice(structure)] ^= 1 << rng.randrange(8)
        cases.append(bytes(data))
    for data in cases:
        try:
            scan(tmp_path, data).pieces(MANIFEST)
        except LayoutError:
            pass
