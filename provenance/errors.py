"""One exception hierarchy, with messages written for the person at the terminal.

A verdict (tampered, invalid, unsigned, ...) is a normal result, never an exception.
Exceptions mean "could not check" or "could not do": bad arguments, unreadable or
unsupported input, keys that will not load, a signing failure. Each class carries
the CLI exit code it maps to, so the mapping lives in one place.
"""

from __future__ import annotations

__all__ = [
    "ProvenanceError",
    "UsageError",
    "InputError",
    "UnsupportedFormatError",
    "OutputExistsError",
    "CredentialError",
    "SigningError",
    "ManifestError",
]


class ProvenanceError(Exception):
    """Base class: `str(err)` is a one-line message for users."""

    exit_code: int = 2


class UsageError(ProvenanceError):
    """Arguments that do not make sense together."""


class InputError(ProvenanceError):
    """A file is missing, unreadable, empty, a directory or otherwise not a media file."""


class UnsupportedFormatError(InputError):
    """The content is a format we cannot sign or read."""


class OutputExistsError(ProvenanceError):
    """The output path exists and overwriting was not asked for."""


class CredentialError(ProvenanceError):
    """A private key or certificate chain could not be loaded or used."""


class SigningError(ProvenanceError):
    """The C2PA library refused to sign."""


class ManifestError(ProvenanceError):
    """A manifest or a reference manifest cannot be used for the requested check."""
