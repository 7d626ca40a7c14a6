"""`PROVENANCE_DEBUG=1`: let errors propagate with their traceback instead of being turned
into a one-line message (by the CLI) or an error row (by `check`'s workers)."""

from __future__ import annotations

import os

__all__ = ["ENV", "enabled"]

ENV = "PROVENANCE_DEBUG"


def enabled() -> bool:
    """Whether `PROVENANCE_DEBUG=1` is set."""
    return os.environ.get(ENV) == "1"
