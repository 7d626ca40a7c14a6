"""Frame-level video provenance: fingerprints, the ``org.provenance.frames`` assertion,
alignment/classification of a checked video against the signed frames, stills and image
sequences, and a visual report."""

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
