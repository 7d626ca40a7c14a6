"""Sign an MP4/MOV/M4A by copying it once, hashing the media data as it goes by.

The library's one-call `Builder.sign` copies the asset three times and reads it at least
as often (input -> working copy -> copy with the manifest -> output), and with the plain
BMFF hash holds up to 512 MiB of it in memory. Here the asset is read and written once:

1. plan the output's layout (`_bmff`), before anything is written;
2. write ftyp, the library's placeholder manifest box (with room for the Merkle map), and
   the rest of the boxes, each mdat with a 64-bit header and the moov with its chunk
   offsets moved; every mdat's payload goes to the library in 4 MiB Merkle leaves as it
   is copied (the library hashes our buffer in place, without the GIL);
3. the library hashes what is left of the written file (everything but the mdat payloads:
   a few reads), signs, and its manifest box overwrites the placeholder.

The result carries a C2PA BMFF hash v3 with a Merkle map of variable-size leaves, one map
per mdat and only leaf hashes in the manifest (no proof boxes in the file). Peak memory
is flat (one 4 MiB buffer, 32 bytes of leaf hash per 4 MiB). c2pa-python and c2pa-ts
validate such files.

`sign_bmff` raises `NotApplicable` when this path cannot be used (the library lacks the
API, its self-check failed, the layout is one `_bmff` does not rewrite, or the signed
manifest outgrew its room); the output file is then empty again, and the caller signs with
`Builder.sign` as before, with a fresh builder and signer (`_write.write`).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import struct
import tempfile
from collections.abc import Iterator
from typing import IO

import c2pa

from . import _bmff, _c2pa, _embeddable, _streams

__all__ = ["BMFF_MIMES", "LEAF_BYTES", "NotApplicable", "applies", "available", "sign_bmff"]

_log = logging.getLogger("provenance")

LEAF_BYTES = 4 << 20  # one Merkle leaf (and one read/write) per 4 MiB of media data
BMFF_MIMES = frozenset({"video/mp4", "video/quicktime", "audio/mp4"})


class NotApplicable(Exception):
    """This file cannot be signed in one pass; sign it with `Builder.sign`."""


def applies(mime: str) -> bool:
    """Whether files of this type may be signed in one pass in this process (a file's
    own layout can still refuse: `sign_bmff` then raises `NotApplicable`)."""
    return mime in BMFF_MIMES and available()


def sign_bmff(builder: c2pa.Builder, mime: str, source: IO[bytes], dest: IO[bytes]) -> bytes:
    """Sign `source` (an open regular file) into `dest` (an empty file open w+b) in one pass;
    return the manifest store as embedded, like `Builder.sign`.

    `builder` must come from a context that carries the signer
    (`_c2pa.signing_context`) and must not be used for anything else: it is closed here,
    whatever happens. Raises `NotApplicable` (with `dest` emptied), or, as `Builder.sign`
    does, `c2pa.C2paError` and `OSError`."""
    if not applies(mime):
        builder.close()
        raise NotApplicable(f"single-pass signing is unavailable for {mime}")
    return _sign_file(builder, mime, source, dest)


def _sign_file(
    builder: c2pa.Builder,
    mime: str,
    source: IO[bytes],
    dest: IO[bytes],
) -> bytes:
    try:
        try:
            layout = _bmff.scan(source)
        except _bmff.LayoutError as e:
            raise NotApplicable(str(e)) from None
        return _sign(builder, mime, layout, source.fileno(), dest)
    except NotApplicable:
        dest.seek(0)
        dest.truncate()
        raise
    finally:
        builder.close()


def _sign(
    builder: c2pa.Builder,
    mime: str,
    layout: _bmff.Layout,
    src: int,
    dest: IO[bytes],
) -> bytes:
    emb = _embeddable.Embeddable(builder, mime)
    if emb.hash_type() != _embeddable.BMFF_HASH:
        raise NotApplicable(f"the library does not use a BMFF hash for {mime}")
    placeholder = emb.placeholder()
    room = len(placeholder) + _merkle_room(layout)
    try:
        pieces = layout.pieces(_padded(placeholder, room))
    except _bmff.LayoutError as e:
        raise NotApplicable(str(e)) from None

    dest.flush()
    out = dest.fileno()
    _copy(pieces, src, out, emb)
    with _streams.fd_stream(out) as stream:
        emb.update_hash(stream)
    signed = emb.sign()
    if len(signed) > room:
        raise NotApplicable(f"the signed manifest ({len(signed)} bytes) outgrew its {room}")
    store = _manifest_store(signed)
    _write_all(out, _padded(signed, room), layout.manifest_offset)
    dest.seek(0, os.SEEK_END)  # we wrote through the descriptor, not the file object
    return store


def _merkle_room(layout: _bmff.Layout) -> int:
    """Bytes the manifest grows by once its Merkle maps are filled in: per leaf a 32-byte
    hash (SHA-256) and its size, per mdat a map and an exclusion (measured: 39 bytes a
    leaf, 100 a map), with a margin."""
    leaves = sum(-(-(b.size - b.header) // LEAF_BYTES) for b in layout.mdats)
    return 1024 + 48 * leaves + 256 * len(layout.mdats)


# The manifest box the library composes (C2PA spec A.5.1): box size and 'uuid', the C2PA
# user type, version and flags, the purpose "manifest", the 8-byte offset to the first
# Merkle box (0: none), then the manifest store, whose own header says its length. The
# library zero-pads the store inside the box to keep a placeholder's size; so do we.
_HEADER = 8 + 16 + 4 + len(b"manifest\0") + 8


def _padded(box: bytes, size: int) -> bytes:
    """`box` grown to `size` bytes: zeros after the manifest store, box size updated."""
    if box[4:8] != b"uuid" or box[8:24] != _bmff.C2PA_UUID or len(box) > size:
        raise NotApplicable("the library's manifest box is not the C2PA uuid box expected")
    return struct.pack(">I", size) + box[4:] + bytes(size - len(box))


def _manifest_store(box: bytes) -> bytes:
    """The manifest store (JUMBF) inside a manifest box, without its padding."""
    (length,) = struct.unpack_from(">I", box, _HEADER)
    if box[_HEADER + 4 : _HEADER + 8] != b"jumb" or _HEADER + length > len(box):
        raise NotApplicable("the library's manifest box has an unexpected layout")
    return box[_HEADER : _HEADER + length]


def _copy(pieces: list[_bmff.Piece], src: int, out: int, emb: _embeddable.Embeddable) -> None:
    buf = bytearray(LEAF_BYTES)
    cbuf = (ctypes.c_ubyte * LEAF_BYTES).from_buffer(buf)
    pos = 0
    for piece in pieces:
        for chunk in _chunks(piece, src, memoryview(buf)):
            if isinstance(piece, _bmff.MediaData):
                emb.hash_mdat(piece.index, cbuf, len(chunk))
            _write_all(out, chunk, pos)
            pos += len(chunk)


def _chunks(piece: _bmff.Piece, src: int, buf: memoryview) -> Iterator[bytes | memoryview]:
    """The piece's bytes; read from the input into `buf`, at most a leaf at a time."""
    if isinstance(piece, _bmff.Data):
        yield piece.data
        return
    start, end = piece.start, piece.start + piece.length
    while start < end:
        n = _read_full(src, buf[: min(len(buf), end - start)], start)
        yield buf[:n]
        start += n


def _read_full(fd: int, view: memoryview, offset: int) -> int:
    done = 0
    while done < len(view):
        n = os.preadv(fd, [view[done:]], offset + done)
        if n == 0:
            raise OSError("the input file shrank while it was being signed")
        done += n
    return done


def _write_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view = view[n:]
        offset += n


# ---------------------------------------------------------------------------- self-check


def available() -> bool:
    """Whether this process can sign in one pass: the library exports the API (and its
    descriptor streams), and a tiny generated MP4 signed this way reads back valid, with
    its media data where it belongs (checked once per process, on first use: ~30 ms)."""
    native = _embeddable.NATIVE is not None and _streams.available()
    return native and hasattr(os, "preadv") and _self_check_passed()


@functools.cache
def _self_check_passed() -> bool:
    try:
        _self_check()
    except Exception as e:  # noqa: BLE001 - any failure means: keep the library's path
        _log.debug("single-pass signing disabled: self-check failed: %r", e)
        return False
    return True


def _tiny_mp4(payload: bytes) -> bytes:
    """ftyp, free, mdat and a moov whose one chunk offset points at the mdat payload."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(body), kind) + body

    head = box(b"ftyp", b"isom\0\0\2\0isomiso2mp41") + box(b"free", b"")
    stco = box(b"stco", struct.pack(">III", 0, 1, len(head) + 8))
    moov = box(b"moov", box(b"trak", box(b"mdia", box(b"minf", box(b"stbl", stco)))))
    return head + box(b"mdat", payload) + moov


_CREATED = {
    "action": "c2pa.created",
    "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation",
}


def _self_check() -> None:
    from .identity import Identity
    from .keygen import make_dev_chain

    key, cert, root = make_dev_chain(org="Self-check", common_name="Self-check", alg="es256")
    identity = Identity.from_key(key, [cert, root])
    signer = c2pa.Signer.from_callback(identity.sign, c2pa.C2paSigningAlg.ES256, identity.chain_pem)
    builder = c2pa.Builder(
        {
            "claim_generator_info": [{"name": "provenance-toolkit self-check"}],
            "assertions": [{"label": "c2pa.actions", "data": {"actions": [_CREATED]}}],
        },
        context=_c2pa.signing_context(signer, builder={"thumbnail": {"enabled": False}}),
    )
    payload = os.urandom(4099)
    with tempfile.TemporaryFile() as src, tempfile.TemporaryFile() as dst:
        src.write(_tiny_mp4(payload))
        src.flush()
        _sign_file(builder, "video/mp4", src, dst)
        layout = _bmff.scan(dst)
        (mdat,) = layout.mdats
        (offset,) = struct.unpack_from(">I", layout.moov, len(layout.moov) - 4)
        if (
            offset != mdat.start + mdat.header
            or os.pread(dst.fileno(), len(payload), offset) != payload
        ):
            raise AssertionError("the chunk offset does not point at the media data")
        dst.seek(0)
        with c2pa.Reader("video/mp4", dst, context=_c2pa.context()) as reader:
            results = reader.get_validation_results() or {}
    active = results.get("activeManifest") or {}
    failures = {str(x.get("code")) for x in active.get("failure") or []}
    successes = {str(x.get("code")) for x in active.get("success") or []}
    if failures - {"signingCredential.untrusted"} or "assertion.bmffHash.match" not in successes:
        raise AssertionError(f"the signed file does not validate: {sorted(failures)}")
