"""File streams for the C2PA library that move bytes without calling back into Python.

c2pa-python wraps every stream in Python callbacks, and the library reads and writes
through them 8 KiB at a time: about 61,000 read and 61,000 write callbacks for a 500 MB
video, each a trip through ctypes that takes the GIL. Here the library gets C streams
whose read, write and seek entries are the C library's own `read(2)`, `write(2)` and
`lseek(2)`, with the file descriptor as the stream context, so the bytes go straight
between the kernel and the library and no Python runs while they move.

This follows the stream ABI of c2pa-rs (`c2pa_c_ffi/src/c2pa_stream.rs`): the context
pointer comes first (an `int` descriptor in its low bits, on the 64-bit POSIX ABIs),
lengths and offsets are `ssize_t`/`off_t`, the seek modes 0, 1, 2 are SEEK_SET/SEEK_CUR/
SEEK_END, and a negative return is an error that the library reads back from `errno`
(EINTR is retried there). Flush is a no-op: a descriptor has no user-space buffer.

It relies on private parts of c2pa-python: `Builder._sign_internal` (its parameters, and
that it hands the library only each stream's `_stream` pointer), the ctypes callback
types and the `c2pa_create_stream`/`c2pa_release_stream` prototypes. `contract_mismatch`
checks all of them when this module loads; on any difference `available()` is false and
callers keep to the ordinary Python file-object path (tests/test_streams.py covers both).
"""

from __future__ import annotations

import ctypes
import inspect
import os
import sys
from typing import IO, Any

import c2pa

__all__ = ["available", "contract_mismatch", "sign_fds"]

_SIGN_PARAMETERS = ("self", "format", "source_stream", "dest_stream", "signer")
# Each stream callback type: (return type, argument types), as c2pa-rs's C API has them.
_BUFFER = (ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8), ctypes.c_ssize_t)
_CALLBACKS: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "ReadCallback": (ctypes.c_ssize_t, _BUFFER),
    "SeekCallback": (ctypes.c_ssize_t, (ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int)),
    "WriteCallback": (ctypes.c_ssize_t, _BUFFER),
    "FlushCallback": (ctypes.c_ssize_t, (ctypes.c_void_p,)),
}


def _ctypes_layer() -> Any:
    from c2pa import c2pa as mod  # the ctypes layer of c2pa-python

    return mod


def contract_mismatch() -> str | None:
    """What in the installed c2pa-python differs from what descriptor streams rely on, or
    None when everything matches."""
    sign_internal = getattr(c2pa.Builder, "_sign_internal", None)
    if not callable(sign_internal):
        return "Builder._sign_internal is missing"
    params = tuple(inspect.signature(sign_internal).parameters)
    if params != _SIGN_PARAMETERS:
        return f"Builder._sign_internal takes {params}, not {_SIGN_PARAMETERS}"
    try:
        source = inspect.getsource(sign_internal)
    except (OSError, TypeError):
        return "the source of Builder._sign_internal is not available to check"
    if "source_stream._stream" not in source or "dest_stream._stream" not in source:
        return "Builder._sign_internal no longer passes the streams' _stream pointers"
    mod = _ctypes_layer()
    for name, (restype, argtypes) in _CALLBACKS.items():
        kind = getattr(mod, name, None)
        if getattr(kind, "_restype_", None) is not restype or (
            tuple(getattr(kind, "_argtypes_", ())) != argtypes
        ):
            return f"the ctypes type {name} changed"
    lib = vars(mod).get("_lib")
    stream = ctypes.POINTER(getattr(mod, "C2paStream", ctypes.c_void_p))
    create = getattr(lib, "c2pa_create_stream", None)
    context = ctypes.POINTER(getattr(mod, "StreamContext", ctypes.c_void_p))
    expected = [context, *(getattr(mod, n) for n in _CALLBACKS)]
    if create is None or list(create.argtypes or ()) != expected or create.restype is not stream:
        return "c2pa_create_stream's prototype changed"
    release = getattr(lib, "c2pa_release_stream", None)
    if release is None or list(release.argtypes or ()) != [stream]:
        return "c2pa_release_stream's prototype changed"
    return None


class _Native:
    """The library's stream constructor and libc's I/O functions as stream callbacks."""

    def __init__(self) -> None:
        mismatch = contract_mismatch()
        if mismatch is not None:
            raise TypeError(mismatch)
        mod = _ctypes_layer()
        lib: Any = vars(mod)["_lib"]
        self.create: Any = lib.c2pa_create_stream
        self.release: Any = lib.c2pa_release_stream
        self.context_type: Any = ctypes.POINTER(mod.StreamContext)
        libc = ctypes.CDLL(None, use_errno=True)
        self.read = ctypes.cast(libc.read, mod.ReadCallback)
        self.seek = ctypes.cast(libc.lseek, mod.SeekCallback)
        self.write = ctypes.cast(libc.write, mod.WriteCallback)
        self.flush = mod.FlushCallback(lambda _ctx: 0)


def _load() -> _Native | None:
    if os.name != "posix" or sys.maxsize <= 2**32:
        return None
    try:
        return _Native()
    except (AttributeError, ImportError, KeyError, OSError, TypeError):
        return None


_NATIVE = _load()


def available() -> bool:
    """Whether the library can be handed descriptor-backed streams in this process."""
    return _NATIVE is not None


class _FdStream:
    """A library stream over an open descriptor. It stands in for `c2pa.Stream` in
    `Builder._sign_internal`, which uses only its `_stream` pointer."""

    def __init__(self, native: _Native, fd: int) -> None:
        # The library rejects a null context, so descriptor 0 (possible when stdin is
        # closed) serves through a duplicate, which shares its file offset.
        self._dup = os.dup(fd) if fd == 0 else None
        self._native = native
        ctx = ctypes.cast(ctypes.c_void_p(self._dup or fd), native.context_type)
        self._stream: Any = native.create(ctx, native.read, native.seek, native.write, native.flush)
        if not self._stream:
            self._close_dup()
            raise OSError("the C2PA library could not create a stream")

    def _close_dup(self) -> None:
        if self._dup is not None:
            os.close(self._dup)
            self._dup = None

    def __enter__(self) -> _FdStream:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stream:
            self._native.release(self._stream)
            self._stream = None
        self._close_dup()


def sign_fds(
    builder: c2pa.Builder, signer: c2pa.Signer, mime: str, source_fd: int, dest: IO[bytes]
) -> bytes:
    """`builder.sign(signer, mime, source, dest)` with both ends as descriptor streams.

    `dest` must be a real file opened w+b. It is flushed first, and its Python-level
    position is brought back in line afterwards, so the caller can keep using it.
    Raises `c2pa.C2paError` as `Builder.sign` does.
    """
    if _NATIVE is None:
        raise RuntimeError("native streams are unavailable; use Builder.sign")
    dest.flush()
    os.lseek(source_fd, 0, os.SEEK_SET)
    sign_internal: Any = getattr(builder, "_sign_internal")  # noqa: B009 - private API
    with _FdStream(_NATIVE, source_fd) as src, _FdStream(_NATIVE, dest.fileno()) as dst:
        try:
            manifest = sign_internal(mime, src, dst, signer=signer)
        finally:
            dest.seek(0, os.SEEK_END)  # the library moved the descriptor, not the object
    return bytes(manifest)
