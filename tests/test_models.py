"""provenance.models: every result type goes to JSON through `to_dict()` (valid against
its schema) and comes back through `from_dict()` unchanged; the module is cheap to import."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mediautil import schema_validator

from provenance.models import (
    Action,
    ChangedFile,
    FrameRegions,
    FrameReport,
    Generator,
    History,
    HistoryNode,
    Ingredient,
    NodeStatus,
    Retimed,
    Segment,
    SequenceReport,
    SignerInfo,
    SourceKind,
    StatusEntry,
    TimestampInfo,
    TrustDecision,
    TrustStatus,
    Verdict,
    VerificationBatch,
    VerificationReport,
)


def _validator(schema: str) -> Draft202012Validator:
    return schema_validator(schema)


FRAMES = FrameReport(
    signed_frame_count=90,
    checked_frame_count=85,
    summary={"intact": 0, "reencoded": 80, "edited": 5, "inserted": 0, "missing": 5},
    segments=[
        Segment("reencoded", (0, 29), (0, 29), 0.0, 1.0),
        Segment(
            "edited", (30, 34), (30, 34), 1.0, 1.166667, [(80, 60, 80, 60)],
            [FrameRegions(30, 31, [(80, 60, 40, 40)]), FrameRegions(32, 34, [(120, 80, 40, 40)])],
        ),
        Segment("missing", None, (35, 39), 1.166667, 1.333333),
        Segment("reencoded", (35, 84), (40, 89), 1.166667, 2.833333),
    ],
    retimed=Retimed(30.0, 25.0, dropped=15, duplicated=0),
)  # fmt: skip

FULL = VerificationReport(
    path="clip.mp4",
    verdict=Verdict.TAMPERED,
    message="the asset was changed after it was signed; frames changed: 5 edited, 5 missing",
    format="video/mp4",
    manifest_source=SourceKind.REFERENCE,
    sidecar="clip.signed.mp4",
    manifest_label="urn:c2pa:1234",
    title="clip.signed.mp4",
    claim_generator="provenance-toolkit 0.1.0",
    signer=SignerInfo("CN=Signer, O=Org", "CN=Root, O=Org", "0a1b", "2026-01-01T00:00:00Z",
                      "2027-01-01T00:00:00Z", "es256"),  # fmt: skip
    timestamp=TimestampInfo("2026-05-01T10:00:00+00:00", "timestamp", True, True),
    trust_anchors_supplied=True,
    trust=TrustDecision(TrustStatus.UNTRUSTED, "the signer's chain does not reach any anchor"),
    actions=(Action("c2pa.created", "http://cv.iptc.org/newscodes/digitalsourcetype/"
                    "digitalCapture", "provenance-toolkit 0.1.0", "2026-05-01T10:00:00+00:00"),),
    ingredients=(Ingredient("orig.mp4", "parentOf", "video/mp4", "urn:c2pa:0", ("x.mismatch",)),),
    failures=(
        StatusEntry("assertion.bmffHash.mismatch", "hash differs", "self#jumbf=/c2pa/x", False),
        StatusEntry("signingCredential.untrusted", "", "", False),
    ),
    informational=(StatusEntry("timeStamp.untrusted", "", "", False),),
    validation_state="Invalid",
    frames=FRAMES,
)

SEQUENCE = VerificationReport(
    path="frames",
    verdict=Verdict.TAMPERED,
    message="frame files changed since signing: 1 changed, 1 added",
    format="image-sequence",
    manifest_source=SourceKind.SIDECAR,
    sidecar="frames.c2pa",
    sequence=SequenceReport(
        unchanged=["f-0.png"],
        changed=[ChangedFile("f-1.png", [(4, 4, 16, 8)])],
        added=["f-9.png"],
        missing=[],
    ),
)

STILL = VerificationReport(
    path="photo.jpg",
    verdict=Verdict.TAMPERED,
    message="the asset was changed after it was signed; 1 changed region(s) located",
    regions=((10, 20, 30, 40),),
)

ERROR = VerificationReport(path="gone.jpg", verdict=Verdict.ERROR, message="gone.jpg: no such file")


@pytest.mark.parametrize("report", [FULL, SEQUENCE, STILL, ERROR], ids=lambda r: r.path)
def test_report_round_trip_through_json(report: VerificationReport) -> None:
    doc = json.loads(json.dumps(report.to_dict()))
    assert VerificationReport.from_dict(doc) == report


def test_derived_fields_are_recomputed_not_read() -> None:
    doc = FULL.to_dict() | {"passed": True, "status_codes": ["made.up"]}
    back = VerificationReport.from_dict(doc)
    assert back.passed is False
    assert back.status_codes == ["assertion.bmffHash.mismatch", "signingCredential.untrusted"]


def test_batch_round_trip_and_schema() -> None:
    batch = VerificationBatch((FULL, SEQUENCE, STILL, ERROR), Generator("provenance-toolkit",
                              "0.1.0", "0.91.0"))  # fmt: skip
    doc = json.loads(json.dumps(batch.to_dict()))
    _validator("verification-report.schema.json").validate(doc)
    _validator("frames-report.schema.json").validate(doc["reports"][0]["frames"])
    assert VerificationBatch.from_dict(doc) == batch
    assert doc["summary"] == {
        "files": 4,
        "passed": 0,
        "verdicts": {"trusted": 0, "valid": 0, "tampered": 3, "invalid": 0, "unsigned": 0,
                     "error": 1},
    }  # fmt: skip
    assert batch.exit_code == 2


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"path": "a", "verdict": "fine", "message": "m", "failures": []},
        {"path": "a", "verdict": "valid", "message": "m"},
        {"path": "a", "verdict": "valid", "message": "m", "failures": [],
         "trust": {"decision": "maybe", "reason": ""}},
        {"path": "a", "verdict": "valid", "message": "m", "failures": [], "regions": [[1, 2]]},
    ],
)  # fmt: skip
def test_from_dict_refuses_what_is_not_a_report(doc: dict[str, Any]) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        VerificationReport.from_dict(doc)


def test_history_matches_its_schema() -> None:
    leaf = HistoryNode(
        "capture.jpg", "image/jpeg", "parentOf", "urn:c2pa:0", "CN=A", "CN=Root",
        "2026-05-01T00:00:00Z", "cam 1.0", (Action("c2pa.created"),), ("A. Reporter",),
        NodeStatus.VALID, ("signingCredential.untrusted",), (),
    )  # fmt: skip
    root = HistoryNode(
        "edit.jpg", "image/jpeg", None, "urn:c2pa:1", "CN=B", "CN=Root", None, None,
        (Action("c2pa.opened"), Action("c2pa.cropped")), (), NodeStatus.INVALID,
        ("claimSignature.mismatch", "signingCredential.untrusted"), (leaf,),
    )  # fmt: skip
    h = History("edit.jpg", Verdict.INVALID, "the claim signature does not verify", root)
    _validator("history.schema.json").validate(json.loads(json.dumps(h.to_dict())))
    assert h.depth == 2
    # Trust-only codes are shown but do not count as what broke the link.
    assert root.problems == ("claimSignature.mismatch",) and leaf.problems == ()


def test_importing_models_loads_no_numpy_pyav_or_c2pa() -> None:
    script = (
        "import sys, provenance.models\n"
        "print(sorted(m for m in ('numpy', 'av', 'c2pa', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    # `import provenance.models` runs `provenance/__init__`, which imports the library's
    # public API (with c2pa and Pillow), but never NumPy or PyAV.
    assert "numpy" not in out and "'av'" not in out
