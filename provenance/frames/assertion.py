"""The ``org.provenance.frames`` C2PA assertion (version 2).

The assertion goes through c2pa-python's Builder JSON definition, so it must be plain JSON::

    {"label": "org.provenance.frames", "data": encode(fingerprint)}

``data`` fields:

=================  =======================================================================
version            2
frame_count        number of decoded frames N
frame_rate         "numerator/denominator" (average frame rate of the stream)
width, height      coded picture size in pixels
duration           stream duration in seconds
grid               "8x8": coarse regional cells per frame (columns x rows)
fine_grid          "64x32": fine cells per group of frames (columns x rows)
group              32: frames per group; G = ceil(N / group) groups
analysis_size      256: the square grayscale reduction (area average) every feature is
                   computed on; the coarse features use its 2x2 means (128x128)
hash               "blake3-128": exact hash of the decoded planes, truncated to 16 bytes
record_size        160: bytes per frame record
group_record_size  2048: bytes per group record
encoding           "columnar-delta+zlib+base64"
table              the frame and group tables, encoded as below
digest             hex BLAKE3-256 of the logical tables (pins the whole frame list)
=================  =======================================================================

Logical frame table: N records of 160 bytes, little-endian, in presentation order::

    offset  size  field
         0     8  pts_us   int64, presentation time in microseconds
         8    16  exact    BLAKE3 of the visible bytes of the decoded planes, first 16 bytes
        24     8  dct      uint64 DCT hash (bit i = low-frequency coefficient i > median
                           of a 32x32 reduction, coefficients row-major over the low 8x8)
        32    64  luma     mean luminance per coarse cell, row-major 8x8
        96    64  detail   round(28 * log2(1 + mean |gradient|)) per coarse cell

Logical group table, right after it: G records of 2048 bytes; record g holds, row-major
64 columns x 32 rows, the mean luminance of each fine cell (4x8 pixels of the analysis
image) averaged over frames g*32 .. min(N, g*32+32)-1, rounded to 0-255.

Stored form (``table``): the tables are split into columns, because columns compress far
better than interleaved records, and neighbouring frames and groups are delta-coded::

    pts delta    N x int64  (pts[0], pts[1]-pts[0], ...)
    exact        N x 16 bytes
    dct          N x uint64
    luma delta   N x 64 bytes (row i minus row i-1, modulo 256; row 0 as is)
    detail delta N x 64 bytes (same)
    fine delta   G x 2048 bytes (record g minus record g-1, modulo 256; record 0 as is)

concatenated, zlib-compressed, then standard base64. For natural 1080p video this is about
160 bytes of JSON per frame, whatever the resolution (``benchmarks/frames_speed.py``).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import zlib
from fractions import Fraction
from typing import Any

import blake3
import numpy as np
import numpy.typing as npt

from provenance._vocab import FRAMES_LABEL as LABEL
from provenance.frames.errors import FramesDataError
from provenance.frames.features import CELLS, FINE_COLS, FINE_ROWS, FINE_SIZE, GRID
from provenance.frames.table import (
    EXACT_HASH_BYTES,
    GROUP,
    GROUP_RECORD_SIZE,
    HASH_ALGORITHM,
    RECORD_SIZE,
    VideoFingerprint,
    group_count,
    pack_tables,
)

VERSION = 2
ENCODING = "columnar-delta+zlib+base64"


def _delta_rows(a: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    out = a.copy()
    out[1:] -= a[:-1]  # uint8 arithmetic wraps modulo 256 on purpose
    return out


def _undelta_rows(d: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.cumsum(d, axis=0, dtype=np.uint8)


def encode(fp: VideoFingerprint) -> dict[str, Any]:
    """Assertion ``data`` for a fingerprint (JSON-serialisable)."""
    pts = fp.pts_us.astype("<i8")
    pts_delta = pts.copy()
    pts_delta[1:] = np.diff(pts)
    columns = b"".join(
        [
            pts_delta.tobytes(),
            np.ascontiguousarray(fp.exact).tobytes(),
            fp.dct.astype("<u8").tobytes(),
            _delta_rows(fp.luma).tobytes(),
            _delta_rows(fp.detail).tobytes(),
            _delta_rows(fp.fine.reshape(-1, GROUP_RECORD_SIZE)).tobytes(),
        ]
    )
    return {
        "version": VERSION,
        "frame_count": fp.frame_count,
        # Strings, not small-integer arrays: the C2PA library stores arrays of bytes-sized
        # integers as CBOR byte strings and hands them back as base64.
        "frame_rate": f"{fp.frame_rate.numerator}/{fp.frame_rate.denominator}",
        "width": fp.width,
        "height": fp.height,
        "duration": fp.duration,
        "grid": f"{GRID}x{GRID}",
        "fine_grid": f"{FINE_COLS}x{FINE_ROWS}",
        "group": GROUP,
        "analysis_size": FINE_SIZE,
        "hash": HASH_ALGORITHM,
        "record_size": RECORD_SIZE,
        "group_record_size": GROUP_RECORD_SIZE,
        "encoding": ENCODING,
        "table": base64.b64encode(zlib.compress(columns, 9)).decode("ascii"),
        "digest": fp.digest,
    }


def assertion(fp: VideoFingerprint) -> dict[str, Any]:
    """The full Builder assertion entry ``{"label": ..., "data": ...}``."""
    return {"label": LABEL, "data": encode(fp)}


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise FramesDataError(f"frames assertion: missing field {key!r}")
    value = data[key]
    # bool is an int subclass; a JSON true must not pass as a count
    if isinstance(value, bool) or not isinstance(value, kind):
        raise FramesDataError(f"frames assertion: field {key!r} has the wrong type")
    return value


def _expect(data: dict[str, Any], key: str, expected: Any) -> None:
    if data.get(key) != expected:
        raise FramesDataError(
            f"frames assertion: unsupported {key}={data.get(key)!r} (expected {expected!r})"
        )


def decode(data: dict[str, Any]) -> VideoFingerprint:
    """Validate assertion ``data`` and rebuild the fingerprint; raises FramesDataError."""
    if not isinstance(data, dict):
        raise FramesDataError("frames assertion: data must be an object")
    version = _require(data, "version", int)
    if version != VERSION:
        raise FramesDataError(f"frames assertion: unsupported version {version}")
    for key, expected in (
        ("grid", f"{GRID}x{GRID}"),
        ("fine_grid", f"{FINE_COLS}x{FINE_ROWS}"),
        ("group", GROUP),
        ("analysis_size", FINE_SIZE),
        ("hash", HASH_ALGORITHM),
        ("record_size", RECORD_SIZE),
        ("group_record_size", GROUP_RECORD_SIZE),
        ("encoding", ENCODING),
    ):
        _expect(data, key, expected)
    n = _require(data, "frame_count", int)
    width = _require(data, "width", int)
    height = _require(data, "height", int)
    duration = _require(data, "duration", (int, float))
    if n < 0 or width <= 0 or height <= 0 or not math.isfinite(duration) or duration < 0:
        raise FramesDataError("frames assertion: frame_count/width/height/duration out of range")
    rate_text = _require(data, "frame_rate", str)
    m = re.fullmatch(r"(\d{1,9})/(\d{1,9})", rate_text)
    if m is None:
        raise FramesDataError("frames assertion: frame_rate must be 'numerator/denominator'")
    rate = (int(m.group(1)), int(m.group(2)))
    if rate[1] <= 0:
        raise FramesDataError("frames assertion: frame_rate out of range")
    table = _require(data, "table", str)
    digest = _require(data, "digest", str)

    try:
        compressed = base64.b64decode(table.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise FramesDataError("frames assertion: table is not valid base64") from exc
    groups = group_count(n)
    expected_len = n * RECORD_SIZE + groups * GROUP_RECORD_SIZE
    try:
        # bounded output: a hostile table cannot inflate beyond what frame_count allows
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, expected_len + 1)
        if not inflater.eof:
            raise FramesDataError("frames assertion: table is truncated or longer than declared")
    except zlib.error as exc:
        raise FramesDataError("frames assertion: table is not valid zlib data") from exc
    if len(raw) != expected_len or inflater.unused_data:
        raise FramesDataError(
            f"frames assertion: table holds {len(raw)} bytes, expected {expected_len}"
            f" for {n} frames"
        )

    off = 0

    def take(size: int) -> bytes:
        nonlocal off
        chunk = raw[off : off + size]
        off += size
        return chunk

    pts = np.cumsum(np.frombuffer(take(8 * n), dtype="<i8"), dtype=np.int64)
    exact = np.frombuffer(take(EXACT_HASH_BYTES * n), dtype=np.uint8).reshape(n, -1).copy()
    dct = np.frombuffer(take(8 * n), dtype="<u8").astype(np.uint64)
    luma = _undelta_rows(np.frombuffer(take(CELLS * n), dtype=np.uint8).reshape(n, CELLS))
    detail = _undelta_rows(np.frombuffer(take(CELLS * n), dtype=np.uint8).reshape(n, CELLS))
    fine_rows = np.frombuffer(take(GROUP_RECORD_SIZE * groups), dtype=np.uint8)
    fine = _undelta_rows(fine_rows.reshape(groups, GROUP_RECORD_SIZE))
    fp = VideoFingerprint(
        frame_count=n,
        frame_rate=Fraction(rate[0], rate[1]),
        width=width,
        height=height,
        duration=float(duration),
        pts_us=pts,
        exact=exact,
        dct=dct,
        luma=luma,
        detail=detail,
        fine=fine.reshape(groups, FINE_ROWS, FINE_COLS),
    )
    if blake3.blake3(pack_tables(fp)).hexdigest() != digest.lower():
        raise FramesDataError("frames assertion: digest does not match the frame table")
    return fp


__all__ = ["ENCODING", "LABEL", "VERSION", "assertion", "decode", "encode"]
