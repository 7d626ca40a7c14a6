"""Labels and vocabularies, defined once: our assertion labels, the C2PA action names, the
IPTC digital source types, capture-metadata and creator-identity labels and roles, key
types, and the progress callback every long task takes."""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "ACTIONS",
    "ACTIONS_LABEL",
    "CAPTURE_SOURCE_TYPES",
    "CAWG_ROLES",
    "CLAIM_GENERATOR",
    "CREATIVE_WORK_LABEL",
    "EXIF_LABEL",
    "FRAMES_LABEL",
    "IDENTITY_LABEL",
    "IDENTITY_REFERENCED",
    "IPTC_SOURCE_TYPE",
    "KEY_TYPES",
    "METADATA_LABEL",
    "Progress",
    "REDACTED_PARAMETER",
    "REGIONS_LABEL",
    "SEQUENCE_LABEL",
    "SOFT_BINDING_LABEL",
    "SOURCE_TYPES",
    "action_name",
    "short_source_type",
    "source_type_url",
]

# Who wrote a manifest: our claim generator and software agent name.
CLAIM_GENERATOR = "provenance-toolkit"

# Our own signed assertions: per-frame fingerprints of a video, the regional fingerprint
# of a still, and the per-file fingerprints of an image sequence.
FRAMES_LABEL = "org.provenance.frames"
REGIONS_LABEL = "org.provenance.regions"
SOFT_BINDING_LABEL = "c2pa.soft-binding"  # the standard assertion, with our algorithm
SEQUENCE_LABEL = "org.provenance.sequence"

ACTIONS_LABEL = "c2pa.actions"
# Who made the work (`sign --author`): a schema.org CreativeWork assertion.
CREATIVE_WORK_LABEL = "stds.schema-org.CreativeWork"
# c2pa action names accepted by `sign --action` (the "c2pa." prefix is optional).
ACTIONS = (
    "created", "edited", "opened", "placed", "cropped", "color_adjustments", "resized",
    "filtered", "drawing", "orientation", "transcoded", "converted", "repackaged",
    "published", "redacted", "removed", "translated", "watermarked", "unknown",
)  # fmt: skip

# IPTC digital source type vocabulary (https://cv.iptc.org/newscodes/digitalsourcetype/).
IPTC_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SOURCE_TYPES = (
    "digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print",
    "humanEdits", "algorithmicallyEnhanced", "digitalCreation", "dataDrivenMedia",
    "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia",
    "screenCapture", "virtualRecording", "composite", "compositeCapture", "compositeSynthetic",
)  # fmt: skip

# How it was made, and what with: the C2PA metadata assertion (C2PA 2.2, 18.14) that
# holds capture facts as XMP properties, the deprecated EXIF assertion it replaces, and
# the parameter of the `c2pa.edited.metadata` action that names the groups withheld.
METADATA_LABEL = "c2pa.metadata"
EXIF_LABEL = "stds.exif"
REDACTED_PARAMETER = "org.provenance.redacted"
# Source types of an asset that came out of a camera: capture facts are recorded by default.
CAPTURE_SOURCE_TYPES = ("digitalCapture", "computationalCapture")

# Who made it: the CAWG identity assertion, the named actor roles its specification
# defines (1.1 to 1.3), and the assertions a creator's signature covers besides the hard
# binding, which c2pa-rs always adds (missing labels are skipped; the builder writes
# c2pa.actions as c2pa.actions.v2).
IDENTITY_LABEL = "cawg.identity"
CAWG_ROLES = (
    "cawg.creator", "cawg.contributor", "cawg.editor", "cawg.producer",
    "cawg.publisher", "cawg.sponsor", "cawg.translator",
)  # fmt: skip
IDENTITY_REFERENCED = (
    ACTIONS_LABEL, ACTIONS_LABEL + ".v2", METADATA_LABEL, CREATIVE_WORK_LABEL,
)  # fmt: skip

# Key types `keygen` makes.
KEY_TYPES = ("es256", "es384", "ps256", "ed25519")

Progress = Callable[[int, int | None], None]
"""`progress(done, total)`: called as long work advances; `total` is None until known."""


def action_name(action: str) -> str | None:
    """The full C2PA name (`c2pa.cropped`) of an action given with or without its
    prefix, or None when it is not one of `ACTIONS`."""
    name = action.removeprefix("c2pa.")
    return f"c2pa.{name}" if name in ACTIONS else None


def short_source_type(value: str) -> str:
    """The IPTC name of a digital source type given as a name or as its URL."""
    return value.removeprefix(IPTC_SOURCE_TYPE).rsplit("/", 1)[-1]


def source_type_url(value: str) -> str | None:
    """The IPTC URL of a digital source type given as a name or a URL, or None when it is
    not in the vocabulary."""
    name = value.removeprefix(IPTC_SOURCE_TYPE)
    return IPTC_SOURCE_TYPE + name if name in SOURCE_TYPES else None
