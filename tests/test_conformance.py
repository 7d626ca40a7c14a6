"""Conformance with public C2PA test files and their published outcomes.

The corpus lives in ../shared/fixtures/c2pa-public (not copied into the repo); without
it these tests skip with the reason, and fail when PROVENANCE_REQUIRE_CORPUS=1 (CI). Each
asset's expected C2PA outcome in MANIFEST.json maps to our verdict by the rules of
`provenance.verify.decide`, restated here independently:

- no manifest -> unsigned; unsupported format or remote-only manifest -> error;
  any other reader error (malformed JUMBF, unknown algorithm, hostile container) -> invalid;
- failures other than the *.untrusted family and a creator identity's "unproven" codes
  (its issuer unreachable offline, or on no trusted list), in the active manifest or the
  ingredients: only hard-binding mismatches in the active manifest -> tampered, else
  invalid;
- otherwise Trusted (with the corpus's test anchors) -> trusted, else valid; the claim is
  judged apart from its creator identities, so a state the library lowered only for an
  unproven identity is the claim's own: trusted unless its signer is untrusted.

MANIFEST.json records status codes, not the library's explanations, and c2pa-rs 0.91
reports every hard-binding failure under one `*.mismatch` code: only its explanation
says whether the hashed bytes differ (tampered) or the binding does not fit the file
(invalid), or an init segment was read without its fragments (error: not checked).
`LIBRARY_SAYS_OTHERWISE` lists the files where that explanation decides, with it; the
tests check the library still says so.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from mediautil import CORPUS, corpus_available, corpus_missing

from provenance import ProvenanceError, Verdict, verify
from provenance._rules import HARD_BINDING_MISMATCH

# Stands in for the corpus's files when it is missing, so the tests say so (or fail in CI).
NO_CORPUS = pytest.param(None, id="corpus-missing")


def _entries() -> list[dict[str, Any]]:
    if not corpus_available():
        return []
    return [e for e in json.loads((CORPUS / "MANIFEST.json").read_text()) if e["role"] == "asset"]


def _params(entries: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(e, id=e["file"]) for e in entries] if corpus_available() else [NO_CORPUS]


# file -> (verdict, the C2PA library's explanation of its only hard-binding failure)
LIBRARY_SAYS_OTHERWISE = {
    # The content is untouched; the data hash's exclusion is not where the manifest sits.
    "public-testfiles/truepic-20230212-camera.jpg": (
        Verdict.INVALID,
        "data hash exclusion does not match the manifest location in the asset",
    ),
    # An init segment alone: the media is in fragments that were not supplied.
    "c2pa-rs/dashinit.mp4": (
        Verdict.ERROR,
        "BMFF inithash must not be present for non-fragmented media",
    ),
}


def expected_verdict(exp: dict[str, Any], file: str | None = None) -> Verdict:
    if file in LIBRARY_SAYS_OTHERWISE:
        return LIBRARY_SAYS_OTHERWISE[file][0]
    err = exp.get("error")
    if err:
        if err["type"].endswith("ManifestNotFound"):
            return Verdict.UNSIGNED
        if err["type"].endswith("NotSupported") or err["message"].startswith("Remote:"):
            return Verdict.ERROR
        return Verdict.INVALID
    unproven = {"cawg.x509.credential.untrusted", "cawg.ica.did_unavailable",
                "cawg.ica.untrusted_issuer"}  # fmt: skip
    active = {c for c in exp["failure_codes"] if not c.endswith(".untrusted")} - unproven
    ingredient = {c for c in exp["ingredient_failure_codes"] if not c.endswith(".untrusted")}
    if active or ingredient - unproven:
        if active and active <= HARD_BINDING_MISMATCH:
            return Verdict.TAMPERED
        return Verdict.INVALID
    state = exp["state"]
    claim = set(exp["failure_codes"]) - unproven
    if claim != set(exp["failure_codes"]):
        state = "Valid" if claim else "Trusted"
    if state == "Invalid":
        return Verdict.INVALID
    return Verdict.TRUSTED if state == "Trusted" else Verdict.VALID


def _verdict(path: Path, trust: list[Path] | None = None) -> tuple[Verdict, list[str]]:
    verdict, codes, _ = _read(path, trust)
    return verdict, codes


def _read(path: Path, trust: list[Path] | None = None) -> tuple[Verdict, list[str], list[str]]:
    """The verdict, failing codes and the explanations of the failures."""
    try:
        report = verify(path, trust=trust)
    except ProvenanceError:
        return Verdict.ERROR, [], []
    return report.verdict, report.status_codes, [f.explanation for f in report.failures]


@pytest.fixture(scope="module")
def test_anchors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not corpus_available():
        corpus_missing()
    settings = json.loads(
        (CORPUS / "settings" / "c2pa-python_trust_config_test_settings.json").read_text()
    )
    pem = tmp_path_factory.mktemp("anchors") / "c2pa-test-anchors.pem"
    pem.write_text(settings["trust"]["trust_anchors"])
    return pem


def test_corpus_is_complete(corpus: Path) -> None:
    assert len(_entries()) >= 50, "the corpus lists fewer assets than expected"


@pytest.mark.parametrize("entry", _params(_entries()))
def test_public_corpus_default_trust(entry: dict[str, Any] | None) -> None:
    if entry is None:
        corpus_missing()
    path = CORPUS / entry["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], "corpus changed"
    verdict, codes, explanations = _read(path)
    exp = entry["expected"]
    assert verdict is expected_verdict(exp, entry["file"]), (entry["file"], codes, exp)
    if entry["file"] in LIBRARY_SAYS_OTHERWISE:
        said = LIBRARY_SAYS_OTHERWISE[entry["file"]][1]
        assert any(e.endswith((said, f"{said} )")) for e in explanations), explanations
    if not exp.get("error"):
        # Our status codes carry every failure the reference reader reported.
        assert set(exp["failure_codes"]) <= set(codes)
        assert set(exp["ingredient_failure_codes"]) <= set(codes)


@pytest.mark.parametrize(
    "entry", _params([e for e in _entries() if e.get("expected_with_test_trust")])
)
def test_public_corpus_with_test_anchors(
    entry: dict[str, Any] | None, test_anchors: Path
) -> None:
    assert entry is not None  # test_anchors already skipped (or failed) without the corpus
    verdict, _ = _verdict(CORPUS / entry["file"], trust=[test_anchors])
    expected = expected_verdict(entry["expected_with_test_trust"], entry["file"])
    assert verdict is expected, entry["file"]


def test_fragmented_corpus_stream_verifies_with_its_fragment(corpus: Path) -> None:
    """dashinit.mp4 with its media segment dash1.m4s: the corpus's `fragment` mode."""
    entry = next(e for e in _entries() if e["file"] == "c2pa-rs/dashinit.mp4")
    mode = entry["alternate_modes"]["fragment"]["expected"]
    folder = corpus / "c2pa-rs"
    report = verify(folder / "dashinit.mp4", fragments=[folder / "dash1.m4s"])
    assert report.verdict is expected_verdict(mode)
    (fragment,) = report.fragments
    assert fragment.verdict is Verdict.VALID
    assert set(mode["failure_codes"]) == set(fragment.failures)
    assert fragment.start_time is not None and fragment.end_time > fragment.start_time


def test_remote_manifest_kept_as_sidecar(corpus: Path, tmp_path: Path) -> None:
    """cloud.jpg points at a remote manifest; saved beside it, it verifies offline."""
    shutil.copyfile(corpus / "c2pa-rs" / "cloud.jpg", tmp_path / "cloud.jpg")
    shutil.copyfile(corpus / "c2pa-rs" / "cloud_manifest.c2pa", tmp_path / "cloud.c2pa")
    report = verify(tmp_path / "cloud.jpg")
    assert report.manifest_source == "sidecar"
    assert report.verdict is Verdict.VALID
    assert "signingCredential.untrusted" in report.status_codes
