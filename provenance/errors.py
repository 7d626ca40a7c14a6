"""One exception hierarchy, with messages written for the person at the terminal, and the
exit codes every command reports.

A verdict (tampered, invalid, unsigned, ...) is a normal result, never an exception.
Exceptions mean "could not check" or "could not do": bad arguments, unreadable or
unsupported input, keys that will not load, a signing failure. Each class carries the
`ExitCode` it maps to, so the mapping lives in one place.
"""

from __future__ import annotations

import enum
from typing import ClassVar

__all__ = [
    "ExitCode",
    "ProvenanceError",
    "UsageError",
    "InputError",
    "UnsupportedFormatError",
    "OutputError",
    "OutputExistsError",
    "CredentialError",
    "SigningError",
    "ManifestError",
    "PolicyError",
    "RegistryError",
    "RegistrationRefused",
    "SoftBindingError",
]


class ExitCode(enum.IntEnum):
    """What a command's exit status means; `verify`, `check` and `history` all use these."""

    OK = 0  # every file passed (or: every asset meets the policy)
    FAILED = 1  # at least one file failed verification (or broke the policy)
    ERROR = 2  # usage, input or I/O error: something could not be checked or done
    INTERNAL = 3  # a bug of ours
    INTERRUPTED = 130  # stopped with Ctrl-C

    @property
    def meaning(self) -> str:
        """The meaning of the code, as the help text states it."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success (every file passed)",
    ExitCode.FAILED: "at least one file failed verification",
    ExitCode.ERROR: "usage, input or I/O error",
    ExitCode.INTERNAL: "internal error (a bug: please report it)",
    ExitCode.INTERRUPTED: "interrupted",
}

class ProvenanceError(Exception):
    """Base class: `str(err)` is a one-line message for users."""

    exit_code: ClassVar[ExitCode] = ExitCode.ERROR


class UsageError(ProvenanceError):
    """Arguments that do not make sense together."""


class InputError(ProvenanceError):
    """A file is missing, unreadable, empty, a directory or otherwise not a media file."""


class UnsupportedFormatError(InputError):
    """The content is a format we cannot sign or read."""


class OutputError(ProvenanceError):
    """An output cannot be written: its folder is missing or read-only, the disk is full,
    or it exists and is not a regular file. The message names the output and the reason."""


class OutputExistsError(OutputError):
    """The output path exists and overwriting was not asked for."""


class CredentialError(ProvenanceError):
    """A private key or certificate chain could not be loaded or used."""


class SigningError(ProvenanceError):
    """The C2PA library refused to sign."""


class ManifestError(ProvenanceError):
    """A manifest or a reference manifest cannot be used for the requested check."""


class PolicyError(ProvenanceError):
    """A `check` policy file is missing, not TOML, or has a bad key or value.

    The message names the file, the key and, where it can be found, its line."""


class RegistryError(ProvenanceError):
    """A manifest registry cannot be found, reached, opened or migrated, or answered
    nonsense; or its location is neither a SQLite path, a postgresql:// URL nor an
    http(s):// base URL."""


class RegistrationRefused(RegistryError):
    """A file whose manifest must not be registered: none, invalid, untrusted when only
    trusted signers may register, without our soft binding, or a different store under an
    id already registered. Exit code 1: the file, not the command, failed."""

    exit_code: ClassVar[ExitCode] = ExitCode.FAILED


class SoftBindingError(ManifestError):
    """A `c2pa.soft-binding` assertion or lookup value that is malformed, or disagrees
    with the frame or region table signed beside it."""
