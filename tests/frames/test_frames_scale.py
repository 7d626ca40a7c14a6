from __future__ import annotations

import resource

import pytest
from support import synth

from provenance.frames import compare_fingerprints


@pytest.mark.slow
def test_hour_long_alignment_without_anchors() -> None:
    # 1 h at 30 fps, fully re-encoded (no exact-hash anchors, every DCT hash off by a bit),
    # 5 frames dropped and 1000 foreign frames inserted
    signed, checked = synth.long_fingerprint_pair()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = compare_fingerprints(signed, checked)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    segs = [(s.status, s.checked_range, s.signed_range) for s in report.segments]
    assert segs == [
        ("reencoded", (0, 999), (0, 999)),
        ("missing", None, (1000, 1004)),
        ("reencoded", (1000, 49999), (1005, 50004)),
        ("inserted", (50000, 50999), None),
        ("reencoded", (51000, 108994), (50005, 107999)),
    ]
    assert grown_mib < 200
