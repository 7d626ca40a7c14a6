"""Frame-level video provenance: fingerprints, the ``org.provenance.frames`` assertion,
alignment/classification of a checked video against the signed frames, stills and image
sequences, and a visual report.

Each name is imported from its module when it is first used: a still's fingerprint
(``image``) needs NumPy, never PyAV or the video modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provenance.frames import assertion
    from provenance.frames.compare import compare_fingerprints, compare_video
    from provenance.frames.errors import FramesDataError
    from provenance.frames.fingerprint import ProgressCallback, fingerprint_video
    from provenance.frames.image import (
        ImageFingerprint,
        SequenceFingerprint,
        compare_image,
        compare_sequence,
        fingerprint_image,
        fingerprint_sequence,
    )
    from provenance.frames.table import VideoFingerprint
    from provenance.frames.visual import write_visual_report
    from provenance.models import FrameRegions, FrameReport, Retimed, Segment, SequenceReport

# The module each public name lives in ("" : the name is the module).
_MODULES: dict[str, str] = {
    ".assertion": "",
    ".compare": "compare_fingerprints compare_video",
    ".errors": "FramesDataError",
    ".fingerprint": "ProgressCallback fingerprint_video",
    ".image": (
        "ImageFingerprint SequenceFingerprint compare_image compare_sequence "
        "fingerprint_image fingerprint_sequence"
    ),
    ".table": "VideoFingerprint",
    ".visual": "write_visual_report",
    "provenance.models": "FrameRegions FrameReport Retimed Segment SequenceReport",
}
_HOME = {
    name: module
    for module, names in _MODULES.items()
    for name in (names.split() or [module.lstrip(".")])
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    loaded = importlib.import_module(module, __name__)
    value = loaded if module == f".{name}" else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "FrameRegions",
    "FrameReport",
    "FramesDataError",
    "ImageFingerprint",
    "ProgressCallback",
    "Retimed",
    "Segment",
    "SequenceFingerprint",
    "SequenceReport",
    "VideoFingerprint",
    "assertion",
    "compare_fingerprints",
    "compare_image",
    "compare_sequence",
    "compare_video",
    "fingerprint_image",
    "fingerprint_sequence",
    "fingerprint_video",
    "write_visual_report",
]
