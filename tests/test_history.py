"""Edit history: capture -> crop -> color, shown as a provenance tree."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from mediautil import SCHEMAS
from typer.testing import CliRunner

from provenance import (
    DevIdentity,
    Identity,
    ManifestError,
    NodeStatus,
    Verdict,
    history,
    sign,
    verify,
)
from provenance.cli import app


@pytest.fixture
def chain_of_edits(
    media: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> tuple[Path, Path, Path]:
    capture = tmp_path / "capture.jpg"
    sign(media("jpg"), capture, identity=identity, source_type="digitalCapture")
    cropped = tmp_path / "cropped.jpg"
    sign(capture, cropped, identity=identity, action="cropped", parent=capture)
    graded = tmp_path / "graded.jpg"
    sign(cropped, graded, identity=identity, action="color_adjustments")
    return capture, cropped, graded


def test_three_step_chain(chain_of_edits: tuple[Path, Path, Path], dev: DevIdentity) -> None:
    capture, cropped, graded = chain_of_edits
    h = history(graded, trust=[dev.ca])
    assert h.verdict is Verdict.TRUSTED and h.depth == 3
    root = h.root
    assert root is not None and root.title == "graded.jpg" and root.status == "trusted"
    assert [a.action for a in root.actions] == ["c2pa.opened", "c2pa.color_adjustments"]
    (crop,) = root.ingredients
    assert crop.title == "cropped.jpg" and crop.relationship == "parentOf"
    assert [a.action for a in crop.actions] == ["c2pa.opened", "c2pa.cropped"]
    assert crop.status == "valid" and crop.signer is not None
    (cap,) = crop.ingredients
    assert cap.title == "capture.jpg" and cap.ingredients == ()
    assert [a.action for a in cap.actions] == ["c2pa.created"]
    assert cap.actions[0].digital_source_type is not None

    doc = CliRunner().invoke(app, ["history", str(graded), "--json"])
    assert doc.exit_code == 0, doc.output
    data = json.loads(doc.stdout)
    jsonschema.validate(data, json.loads((SCHEMAS / "history.schema.json").read_text()))
    assert data["root"]["ingredients"][0]["ingredients"][0]["title"] == "capture.jpg"
    text = CliRunner().invoke(app, ["history", str(graded)], terminal_width=200).output
    assert text.index("graded.jpg") < text.index("cropped.jpg") < text.index("capture.jpg")


def test_unsigned_file_has_no_tree(media: Callable[[str], Path]) -> None:
    h = history(media("png"))
    assert h.verdict is Verdict.UNSIGNED and h.root is None and h.depth == 0


def test_broken_link_in_chain_is_reported(corpus: Path) -> None:
    """An ingredient whose own claim signature fails: the file is invalid, and the tree
    shows which link broke."""
    path = corpus / "c2pa-python" / "CIE-sig-CA.jpg"
    report = verify(path)
    assert report.verdict is Verdict.INVALID and "ingredient" in report.message
    h = history(path)
    assert h.root is not None
    broken = [i for i in h.root.ingredients if i.status == "invalid"]
    assert broken and "claimSignature.mismatch" in broken[0].failures


def test_history_reads_a_sidecar_through_the_same_safe_path_as_verify(
    media: Callable[[str], Path], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    photo = media("jpg")
    sign(photo, identity=identity, sidecar=True)
    h = history(photo, trust=[dev.ca])
    assert h.verdict is Verdict.TRUSTED and h.root is not None
    assert h.root.status is NodeStatus.TRUSTED and h.root.title == photo.name
    # A sidecar store too large to be real is refused by both, before it is read.
    with open(tmp_path / "sample.jpg.c2pa", "r+b") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    for read in (verify, history):
        with pytest.raises(ManifestError, match="manifest store too large"):
            read(photo)
