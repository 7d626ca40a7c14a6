"""Errors of `provenance check`: a policy file that cannot be used."""

from __future__ import annotations

from provenance.errors import ProvenanceError

__all__ = ["PolicyError"]


class PolicyError(ProvenanceError):
    """The policy file is missing, not TOML, or has a bad key or value (exit code 2).

    The message names the file, the key and, where it can be found, its line."""

    exit_code = 2
