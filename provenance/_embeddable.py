"""The C2PA library's embeddable signing API, which c2pa-python 0.38 does not wrap.

The native library inside c2pa-python (c2pa-rs 0.91's C API, `c2pa_c_ffi`) exports a
flow in which the caller writes the asset itself: the library composes a placeholder
manifest box of a size it commits to, is handed the media data to hash while the caller
copies it (Merkle leaves of each mdat box), hashes the rest of the written file, and signs;
the caller then overwrites the placeholder in place. Its signer comes from the builder's
context (`_c2pa.signing_context`).

Reached through ctypes with prototypes of our own (argument and result types declared
here, never set on c2pa-python's function objects), following `c2pa_c_ffi/src/c_api.rs`:

    int64_t c2pa_builder_placeholder(C2paBuilder*, const char* format, const uint8_t** out)
    int     c2pa_builder_hash_mdat_bytes(C2paBuilder*, size_t mdat_id, const uint8_t* data,
                                         size_t len, bool large_size)
    int     c2pa_builder_update_hash_from_stream(C2paBuilder*, const char* format, C2paStream*)
    int64_t c2pa_builder_sign_embeddable(C2paBuilder*, const char* format, const uint8_t** out)
    int     c2pa_builder_hash_type(C2paBuilder*, const char* format, C2paHashType* out)

Bytes returned through `out` are the library's and are released with `c2pa_free`; a
negative result is an error, raised as c2pa-python raises its own (C2paError subclasses).

It relies on private parts of c2pa-python: the loaded library (`_lib`), its error check
(`_check_ffi_operation_result`) and the builder's native pointer (`Builder._handle`).
ctypes cannot check a C prototype, so the native library's version must be one whose C
API these prototypes were read from. `contract_mismatch` checks all of that when this
module loads; on any difference `NATIVE` is None and video is signed the library's own
way (tests/test_single_pass.py covers both). Whether the flow really works with this
build is then proven by `_single_pass.available()`, which signs a tiny file and reads it
back before the first real use.
"""

from __future__ import annotations

import ctypes
import inspect
import logging
from typing import Any

import c2pa

__all__ = ["BMFF_HASH", "NATIVE", "Embeddable", "contract_mismatch"]

_log = logging.getLogger("provenance")

BMFF_HASH = 1  # C2paHashType: 0 DataHash, 1 BmffHash, 2 BoxHash
# Versions of the native library (c2pa.sdk_version()) whose c_api.rs the prototypes
# below were checked against; another version keeps the library's own signing path.
_VERIFIED_NATIVE = ("0.91.",)

_Bytes = ctypes.POINTER(ctypes.c_ubyte)
_p = ctypes.c_void_p
_OUT = ctypes.POINTER(_Bytes)
# name: (result type, argument types), as c2pa-rs's C API declares them.
_PROTOTYPES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "c2pa_builder_placeholder": (ctypes.c_int64, (_p, ctypes.c_char_p, _OUT)),
    "c2pa_builder_sign_embeddable": (ctypes.c_int64, (_p, ctypes.c_char_p, _OUT)),
    "c2pa_builder_hash_mdat_bytes": (
        ctypes.c_int,
        (_p, ctypes.c_size_t, _p, ctypes.c_size_t, ctypes.c_bool),
    ),
    "c2pa_builder_update_hash_from_stream": (ctypes.c_int, (_p, ctypes.c_char_p, _p)),
    "c2pa_builder_hash_type": (ctypes.c_int, (_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int))),
    "c2pa_free": (ctypes.c_int, (_p,)),
}
_CHECK_PARAMETERS = ("result", "fallback_msg", "check")


def _ctypes_layer() -> Any:
    from c2pa import c2pa as mod  # the ctypes layer of c2pa-python

    return mod


def contract_mismatch() -> str | None:
    """What in the installed c2pa-python differs from what the embeddable API relies on,
    or None when everything matches."""
    version = c2pa.sdk_version()
    if not version.startswith(_VERIFIED_NATIVE):
        return f"the C2PA library is {version}, not one whose embeddable API was checked"
    mod = _ctypes_layer()
    lib = vars(mod).get("_lib")
    if not isinstance(lib, ctypes.CDLL):
        return "c2pa-python no longer keeps the loaded library in _lib"
    for name in _PROTOTYPES:
        if not hasattr(lib, name):
            return f"the C2PA library does not export {name}"
    check = vars(mod).get("_check_ffi_operation_result")
    if not callable(check):
        return "_check_ffi_operation_result is missing"
    params = inspect.signature(check).parameters
    keyword_only = [n for n, p in params.items() if p.kind == p.KEYWORD_ONLY]
    if tuple(params) != _CHECK_PARAMETERS or keyword_only != ["check"]:
        return f"_check_ffi_operation_result takes {tuple(params)}, not {_CHECK_PARAMETERS}"
    try:
        source = inspect.getsource(c2pa.Builder._sign_internal)
    except (AttributeError, OSError, TypeError):
        return "the source of Builder._sign_internal is not available to check"
    if "c2pa_builder_sign(" not in source or "self._handle," not in source:
        return "Builder no longer hands the library its native pointer as self._handle"
    return None


class _Native:
    def __init__(self) -> None:
        mismatch = contract_mismatch()
        if mismatch is not None:
            raise TypeError(mismatch)
        mod = _ctypes_layer()
        lib: Any = vars(mod)["_lib"]

        def fn(name: str) -> Any:
            restype, argtypes = _PROTOTYPES[name]
            return ctypes.CFUNCTYPE(restype, *argtypes)((name, lib))

        self.placeholder = fn("c2pa_builder_placeholder")
        self.sign_embeddable = fn("c2pa_builder_sign_embeddable")
        self.hash_mdat_bytes = fn("c2pa_builder_hash_mdat_bytes")
        self.update_hash_from_stream = fn("c2pa_builder_update_hash_from_stream")
        self.hash_type = fn("c2pa_builder_hash_type")
        self.free = fn("c2pa_free")
        self.check: Any = vars(mod)["_check_ffi_operation_result"]


def _load() -> _Native | None:
    try:
        return _Native()
    except (AttributeError, ImportError, KeyError, OSError, TypeError) as e:
        _log.debug("embeddable signing API unavailable: %s", e)
        return None


NATIVE = _load()


class Embeddable:
    """One signing through the embeddable API, on a builder whose context has a signer.

    The builder stays owned by its c2pa-python object; keep that object alive (and
    unused elsewhere) while this runs, and close it afterwards."""

    def __init__(self, builder: c2pa.Builder, mime: str) -> None:
        if NATIVE is None:
            raise RuntimeError("the embeddable signing API is unavailable")
        self._native = NATIVE
        self._builder = builder  # keeps the handle (and its context's signer) alive
        self._handle = ctypes.cast(getattr(builder, "_handle"), _p)  # noqa: B009 - private
        self._format = mime.encode()

    def hash_type(self) -> int:
        """The kind of hard binding the library will use for this format (`BMFF_HASH`...)."""
        out = ctypes.c_int(-1)
        self._ok(self._native.hash_type(self._handle, self._format, ctypes.byref(out)))
        return out.value

    def placeholder(self) -> bytes:
        """The placeholder manifest box to write into the asset."""
        return self._bytes(self._native.placeholder)

    def hash_mdat(self, index: int, data: ctypes.Array[ctypes.c_ubyte], length: int) -> None:
        """Hash `length` bytes of mdat `index`'s payload (past its 16-byte header) as one
        Merkle leaf. The library hashes the caller's buffer in place, without the GIL."""
        ptr = ctypes.cast(data, _p)
        self._ok(self._native.hash_mdat_bytes(self._handle, index, ptr, length, True))

    def update_hash(self, stream: Any) -> None:
        """Hash the written asset (all but the mdat payloads) through a library stream."""
        self._ok(self._native.update_hash_from_stream(self._handle, self._format, stream))

    def sign(self) -> bytes:
        """The signed manifest box, to overwrite the placeholder with."""
        return self._bytes(self._native.sign_embeddable)

    def _ok(self, result: int) -> None:
        self._native.check(result, "C2PA library call failed: {}", check=lambda r: r != 0)

    def _bytes(self, call: Any) -> bytes:
        out = _Bytes()
        n = call(self._handle, self._format, ctypes.byref(out))
        self._native.check(n, "C2PA library call failed: {}", check=lambda r: r < 0)
        if not out:
            return b""
        try:
            return ctypes.string_at(out, n)
        finally:
            self._native.free(ctypes.cast(out, _p))
