"""Frame-level video provenance: fingerprints, the ``org.provenance.frames`` assertion,
alignment/classification of a checked video against the signed frames, stills and image
sequences, and a visual report."""

from provenance.frames import assertion
from provenance.frames.compare import compare_fingerprints, compare_video
from provenance.frames.errors import FramesDataError
from provenance.frames.fingerprint import ProgressCallback, VideoFingerprint, fingerprint_video
from provenance.frames.image import (
    ImageFingerprint,
    SequenceFingerprint,
    compare_image,
    compare_sequence,
    fingerprint_image,
    fingerprint_sequence,
)
from provenance.frames.visual import write_visual_report
from provenance.models import FrameReport, Segment, SequenceReport

__all__ = [
    "FrameReport",
    "FramesDataError",
    "ImageFingerprint",
    "ProgressCallback",
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
