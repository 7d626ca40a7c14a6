"""A claim signer that also adds a creator's CAWG X.509 identity assertion, both signing
through our callbacks.

c2pa-python 0.38 reaches CAWG identity signing only through its settings
(`cawg_x509_signer` with a local key and certificate), and the native side ignores
that section as soon as a custom `Signer` object signs the claim. The C API under it
(c2pa-rs 0.91, `c2pa_c_ffi`) has the entry point that does what we need:

    C2paSigner* c2pa_identity_signer_create(C2paSigner* c2pa_signer,
                                            C2paSigner* identity_signer,
                                            const char* const* referenced_assertions,
                                            const char* const* roles);

It consumes two signers, ours for the claim and ours for the identity, and returns one
that signs the claim with the first and, while the claim is built, adds a
`cawg.identity` assertion (`sig_type` `cawg.x509.cose`) signed with the second. Its
signer payload always references the hard binding, plus every assertion whose label is
in `referenced_assertions`. Both signers are callback signers, so the identity key can
live in an HSM or KMS just like the claim key. The combined signer is single-use.

This module calls that entry point through c2pa-python's ctypes handle and marks the
two Python `Signer` objects consumed the way c2pa-python does for its own consuming
calls. It relies on private parts of c2pa-python (`_lib`, `Signer._handle`,
`Signer._callback_cb`, `ManagedResource._teardown`); when any is missing `available()`
is false and `with_identity` refuses with a clear message instead of signing without
the identity. After signing, `check_embedded` confirms the manifest really carries it.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import c2pa

from . import _c2pa
from ._vocab import IDENTITY_LABEL, IDENTITY_REFERENCED
from .errors import SigningError
from .identity import Creator, Identity

__all__ = ["UNAVAILABLE", "available", "check_embedded", "with_identity"]

UNAVAILABLE = (
    f"this C2PA library (c2pa-python with c2pa-rs {c2pa.sdk_version()}) cannot add a "
    "creator identity while signing with our own signer; install a supported c2pa-python"
)


class _Native:
    def __init__(self) -> None:
        from c2pa import c2pa as mod  # the ctypes layer of c2pa-python

        lib: Any = vars(mod)["_lib"]
        signer_p = ctypes.POINTER(mod.C2paSigner)
        strings = ctypes.POINTER(ctypes.c_char_p)
        fn = lib.c2pa_identity_signer_create  # AttributeError when the library lacks it
        fn.argtypes = [signer_p, signer_p, strings, strings]
        fn.restype = signer_p
        self.create: Any = fn
        self.read_error: Any = vars(mod).get("_read_native_error")
        if not callable(getattr(c2pa.Signer, "_teardown", None)):
            raise AttributeError("c2pa.Signer._teardown")


def _load() -> _Native | None:
    try:
        return _Native()
    except (AttributeError, ImportError, KeyError, TypeError):
        return None


_NATIVE = _load()


def available() -> bool:
    """Whether this C2PA library can add an identity assertion with our own signers."""
    return _NATIVE is not None


def _strings(values: Sequence[str]) -> Any:
    """A NULL-terminated `const char*` array; the caller keeps it alive for the call."""
    array = (ctypes.c_char_p * (len(values) + 1))()
    array[: len(values)] = [v.encode() for v in values]
    return array


def _callback_signer(identity: Identity, tsa_url: str | None) -> c2pa.Signer:
    alg = c2pa.C2paSigningAlg[identity.alg.upper()]
    return c2pa.Signer.from_callback(identity.sign, alg, identity.chain_pem, tsa_url)


def with_identity(
    claim: Identity,
    creator: Creator,
    *,
    tsa_url: str | None = None,
    referenced: Sequence[str] = IDENTITY_REFERENCED,
) -> c2pa.Signer:
    """One `c2pa.Signer` that signs the claim as `claim` (time-stamped at `tsa_url`) and
    adds a `cawg.identity` assertion signed by `creator` with its roles, referencing the
    hard binding and the assertions labelled in `referenced`. Use it for one signing.

    The identity signature carries no time stamp (c2pa-rs does not time-stamp it).
    """
    if _NATIVE is None:
        raise SigningError(UNAVAILABLE)
    try:
        claim_signer = _callback_signer(claim, tsa_url)
        identity_signer = _callback_signer(creator.identity, None)
    except c2pa.C2paError as e:
        raise SigningError(f"cannot prepare the signers: {_c2pa.error_text(e)}") from None
    try:
        callbacks = (claim_signer._callback_cb, identity_signer._callback_cb)
        handles = (claim_signer._handle, identity_signer._handle)
    except AttributeError as e:  # a c2pa-python release that moved its internals
        claim_signer.close()
        identity_signer.close()
        raise SigningError(f"cannot add a creator identity with this c2pa-python: {e}") from None
    refs, role_array = _strings(referenced), _strings(creator.roles)
    ptr = _NATIVE.create(*handles, refs, role_array)
    # The call takes ownership of both handles, also when it fails after taking them:
    # mark them consumed, never free them again (a missed free only leaks; a double
    # free corrupts memory).
    claim_signer._teardown(free_handle=False)
    identity_signer._teardown(free_handle=False)
    if not ptr:
        detail = _NATIVE.read_error() if _NATIVE.read_error else None
        raise SigningError(f"cannot combine the claim and identity signers: {detail or 'unknown'}")
    combined = c2pa.Signer(ptr)
    # The combined signer calls back into both Python callbacks: keep them alive with it.
    combined._callback_cb = callbacks
    return combined


def check_embedded(manifest: bytes) -> None:
    """Refuse a signed manifest that lacks the identity assertion we asked for."""
    if IDENTITY_LABEL.encode() not in manifest:
        raise SigningError("the C2PA library signed without the creator identity assertion")
