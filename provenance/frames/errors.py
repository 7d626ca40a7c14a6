"""Errors raised by the frame-level provenance subpackage."""

from __future__ import annotations

from provenance.errors import ManifestError


class FramesDataError(ManifestError, ValueError):
    """Frame assertion data or a fingerprint is malformed or inconsistent."""
