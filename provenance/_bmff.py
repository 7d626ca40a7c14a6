"""The layout of an ISO BMFF file (MP4, MOV, M4A) rewritten with a C2PA manifest box.

The C2PA specification (Appendix A.5.3) puts the manifest box after `ftyp` and before any
`mdat` or `moov` box, so inserting it moves the media data, and the chunk offset tables in
`moov` (`stco`/`co64`) must move with it. The C2PA library does that when it rewrites a
file itself; to copy a file once while it is hashed, we plan the same rewrite here.

Every `mdat` is written with a 64-bit (16-byte) header. The C2PA Merkle map hashes an
`mdat` from its 16th byte on, and c2pa-ts from the end of its header: with a 16-byte
header both read the same leaves (with an 8-byte one, c2pa-rs 0.91 checks leaves 8 bytes
later than its own hasher records them, and rejects the file).

Only layouts whose offsets are known to us are planned: `ftyp` first; top-level boxes
from a short list; chunk offsets only in `moov/trak/mdia/minf/stbl/{stco,co64}`, each
pointing into an `mdat`. Anything else (fragments, item locations, sample auxiliary data,
an `mdat` reaching past the end of the file, ...) raises `LayoutError` before anything is
written, and the caller keeps the library's own path.
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

__all__ = ["Box", "Copy", "Data", "Layout", "LayoutError", "MediaData", "scan", "top_level"]

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
MDAT_HEADER = 16
# Top-level boxes copied as they are. moov and mdat are rewritten; a C2PA uuid box (an
# earlier manifest) is dropped, as the library does: the new store replaces it.
_COPIED = frozenset({b"free", b"skip", b"wide", b"uuid", b"udta", b"pdin"})
_STBL_PATH = (b"trak", b"mdia", b"minf", b"stbl")
# Offsets the library would move but we do not: refuse rather than break them.
_REFUSED_IN_STBL = frozenset({b"saio"})
_MAX_MOOV = 64 << 20  # a 10-hour 60 fps video's moov is a few tens of MB


class LayoutError(Exception):
    """The file's layout is not one we can rewrite; the reason is the message."""


@dataclass(frozen=True)
class Box:
    """A top-level box of the input: its type, where it starts, its size and header size."""

    kind: bytes
    start: int
    size: int
    header: int  # 8, 16 (64-bit size), plus 16 for a uuid box's user type
    user_type: bytes = b""

    @property
    def end(self) -> int:
        """The offset just past the box."""
        return self.start + self.size

    @property
    def is_c2pa(self) -> bool:
        """Whether this is a C2PA manifest box (an earlier manifest store)."""
        return self.kind == b"uuid" and self.user_type == C2PA_UUID


@dataclass(frozen=True)
class Copy:
    """Bytes copied from the input as they are."""

    start: int
    length: int


@dataclass(frozen=True)
class Data:
    """Bytes written as given."""

    data: bytes


@dataclass(frozen=True)
class MediaData:
    """The payload of mdat number `index`: copied, and hashed as that mdat's Merkle leaves."""

    index: int
    start: int
    length: int


Piece = Copy | Data | MediaData


def _box_at(f: IO[bytes], pos: int, end: int) -> Box:
    head = os.pread(f.fileno(), 32, pos)
    if len(head) < 8:
        raise LayoutError(f"truncated box header at offset {pos}")
    size, kind = struct.unpack(">I4s", head[:8])
    header = 8
    if size == 1:
        if len(head) < 16:
            raise LayoutError(f"truncated box header at offset {pos}")
        (size,) = struct.unpack(">Q", head[8:16])
        header = 16
    elif size == 0:
        size = end - pos
    user_type = b""
    if kind == b"uuid":
        user_type = head[header : header + 16]
        header += 16
    if size < header or pos + size > end:
        raise LayoutError(f"{kind!r} box at offset {pos} does not fit the file")
    return Box(kind, pos, size, header, user_type)


@dataclass(frozen=True)
class Layout:
    """The input's top-level boxes and its moov: what the output plan is made from."""

    boxes: tuple[Box, ...]  # top level, in file order
    moov: bytes  # the input's moov box, whole

    @property
    def manifest_offset(self) -> int:
        """Where the manifest box goes: right after ftyp."""
        return self.boxes[0].end

    @property
    def mdats(self) -> tuple[Box, ...]:
        """The mdat boxes, in file order; their index numbers their Merkle maps."""
        return tuple(b for b in self.boxes if b.kind == b"mdat")

    def pieces(self, manifest: bytes) -> list[Piece]:
        """The output, in order, with `manifest` (the placeholder box) after ftyp."""
        out: list[Piece] = [Copy(0, self.manifest_offset), Data(manifest)]
        # Where each mdat payload lands: (input start, input end, output start).
        moves: list[tuple[int, int, int]] = []
        pos = self.manifest_offset + len(manifest)
        moov_at = -1
        for box in self.boxes[1:]:
            if box.is_c2pa:
                continue
            if box.kind == b"mdat":
                payload = box.size - box.header
                moves.append((box.start + box.header, box.end, pos + MDAT_HEADER))
                out.append(Data(struct.pack(">I4sQ", 1, b"mdat", MDAT_HEADER + payload)))
                out.append(MediaData(len(moves) - 1, box.start + box.header, payload))
                pos += MDAT_HEADER + payload
                continue
            if box.kind == b"moov":
                moov_at = len(out)
                out.append(Data(b""))  # filled in below, once every mdat has moved
            else:
                out.append(Copy(box.start, box.size))
            pos += box.size
        out[moov_at] = Data(_moved_moov(self.moov, moves))
        return out


def top_level(f: IO[bytes]) -> list[Box]:
    """The top-level boxes of an open regular file, in order."""
    end = os.fstat(f.fileno()).st_size
    boxes: list[Box] = []
    pos = 0
    while pos < end:
        box = _box_at(f, pos, end)
        boxes.append(box)
        pos = box.end
    return boxes


def scan(f: IO[bytes]) -> Layout:
    """Read the top-level boxes and the moov of an open regular file."""
    boxes = top_level(f)
    if not boxes or boxes[0].kind != b"ftyp":
        raise LayoutError("the file does not start with an ftyp box")
    moovs = [b for b in boxes if b.kind == b"moov"]
    if len(moovs) != 1:
        raise LayoutError(f"{len(moovs)} moov boxes; one expected")
    for box in boxes[1:]:
        if box.kind not in _COPIED | {b"moov", b"mdat"}:
            raise LayoutError(f"top-level {box.kind!r} box")
        if box.kind == b"mdat" and box.size == box.header:
            raise LayoutError("an empty mdat box")
    if not any(b.kind == b"mdat" for b in boxes):
        raise LayoutError("no mdat box")
    if moovs[0].size > _MAX_MOOV:
        raise LayoutError(f"a {moovs[0].size >> 20} MiB moov box")
    moov = os.pread(f.fileno(), moovs[0].size, moovs[0].start)
    if len(moov) != moovs[0].size:
        raise LayoutError("the file changed while it was read")
    return Layout(tuple(boxes), moov)


def _children(buf: bytes | bytearray, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(kind, start, payload start, end) of the boxes in buf[start:end]."""
    out = []
    pos = start
    while pos < end:
        if end - pos < 8:
            raise LayoutError("truncated box in moov")
        size, kind = struct.unpack_from(">I4s", buf, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise LayoutError("truncated box in moov")
            (size,) = struct.unpack_from(">Q", buf, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise LayoutError(f"{kind!r} box in moov does not fit")
        out.append((kind, pos, pos + header, pos + size))
        pos += size
    return out


def _moved_moov(moov: bytes, moves: list[tuple[int, int, int]]) -> bytes:
    """The moov box with every chunk offset moved to where its mdat byte now lies."""
    buf = bytearray(moov)
    starts = [m[0] for m in moves]

    def moved(offset: int) -> int:
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0 or offset >= moves[i][1]:
            raise LayoutError(f"a chunk offset ({offset}) outside every mdat")
        return moves[i][2] + offset - moves[i][0]

    def walk(start: int, end: int, depth: int) -> None:
        for kind, _, payload, box_end in _children(buf, start, end):
            if kind == b"mvex":
                raise LayoutError("a fragmented file (moov/mvex)")
            if depth < len(_STBL_PATH) and kind == _STBL_PATH[depth]:
                walk(payload, box_end, depth + 1)
            elif depth == len(_STBL_PATH) and kind in (b"stco", b"co64"):
                _move_table(buf, kind, payload, box_end, moved)
            elif depth == len(_STBL_PATH) and kind in _REFUSED_IN_STBL:
                raise LayoutError(f"a {kind.decode('latin1')} box (offsets we do not move)")

    _, _, payload, end = _children(buf, 0, len(buf))[0]
    walk(payload, end, 0)
    return bytes(buf)


def _move_table(
    buf: bytearray, kind: bytes, payload: int, end: int, moved: Callable[[int], int]
) -> None:
    width, code = (4, "I") if kind == b"stco" else (8, "Q")
    if end - payload < 8:
        raise LayoutError(f"truncated {kind!r} box")
    (count,) = struct.unpack_from(">I", buf, payload + 4)
    if payload + 8 + count * width > end:
        raise LayoutError(f"{kind!r} box shorter than its entry count")
    table = [moved(o) for o in struct.unpack_from(f">{count}{code}", buf, payload + 8)]
    if table and max(table) >= 1 << (8 * width):
        raise LayoutError("a chunk offset no longer fits a 32-bit stco table")
    struct.pack_into(f">{count}{code}", buf, payload + 8, *table)
