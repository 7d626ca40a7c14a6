"""Errors of the manifest registry, all `ProvenanceError`s with messages for users."""

from __future__ import annotations

from provenance.errors import InputError, ManifestError, ProvenanceError, UsageError

__all__ = [
    "RegistryError",
    "RegistryLocationError",
    "RegistrationRefused",
    "RegistryConflict",
    "SoftBindingError",
    "UnsupportedMediaError",
]


class RegistryError(ProvenanceError):
    """The registry cannot be reached, opened or migrated, or answered nonsense."""


class RegistryLocationError(RegistryError, UsageError):
    """A registry location that is neither a SQLite path, a postgresql:// URL nor an
    http(s):// base URL."""


class RegistrationRefused(RegistryError, ManifestError):
    """A manifest that must not be registered: invalid, untrusted, or without our soft
    binding."""


class RegistryConflict(RegistryError):
    """A different manifest store is already registered under the same manifest id."""


class SoftBindingError(ManifestError, ValueError):
    """A `c2pa.soft-binding` assertion or query value that is malformed."""


class UnsupportedMediaError(InputError):
    """Media we cannot fingerprint for a lookup (audio, documents, unknown bytes)."""
