"""Edit history: capture -> crop -> color, shown as a provenance tree."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from mediautil import schema_validator
from typer.testing import CliRunner

from provenance import (
    DevIdentity,
    Identity,
    ManifestError,
    NodeStatus,
    Verdict,
    generate_dev_identity,
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
    # Point 10: every node's signer is judged against the anchors, parents included.
    assert crop.status == "trusted" and crop.signer is not None
    (cap,) = crop.ingredients
    assert cap.title == "capture.jpg" and cap.ingredients == ()
    assert [a.action for a in cap.actions] == ["c2pa.created"]
    assert cap.actions[0].digital_source_type is not None

    doc = CliRunner().invoke(app, ["history", str(graded), "--json"])
    assert doc.exit_code == 0, doc.output
    data = json.loads(doc.stdout)
    schema_validator("history.schema.json").validate(data)
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
    sign(photo, identity=identity, sidecar=True, source_type="digitalCreation")
    h = history(photo, trust=[dev.ca])
    assert h.verdict is Verdict.TRUSTED and h.root is not None
    assert h.root.status is NodeStatus.TRUSTED and h.root.title == photo.name
    # A sidecar store too large to be real is refused by both, before it is read.
    with open(tmp_path / "sample.jpg.c2pa", "r+b") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    for read in (verify, history):
        with pytest.raises(ManifestError, match="manifest store too large"):
            read(photo)


def test_piped_history_is_never_cut_and_codes_have_their_own_lines(corpus: Path) -> None:
    """Point 10: `history CACA.jpg | cat` kept every line whole; status codes are listed
    on lines of their own, not appended to the actions."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    path = corpus / "c2pa-rs" / "CACA.jpg"
    proc = subprocess.run(
        [sys.executable, "-m", "provenance", "history", str(path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    signer = (
        "C=US, ST=CA, L=Somewhere, O=C2PA Test Signing Cert, OU=FOR TESTING_ONLY, CN=C2PA Signer"
    )
    signed = [line for line in lines if "signed by" in line]
    assert len(signed) == 2 and all(signer + " at 20" in line for line in signed)
    assert lines[0] == f"{path}: VALID  signature valid, signer not trusted"
    assert any(line.endswith("   status: signingCredential.untrusted") for line in lines)
    assert all("status" not in line for line in lines if "actions:" in line)


def test_history_exit_codes_follow_verify(
    chain_of_edits: tuple[Path, Path, Path],
    media: Callable[[str], Path],
    dev: DevIdentity,
    identity: Identity,
    tmp_path: Path,
) -> None:
    """Point 10: 0 when every node passes, 1 when any node fails (a tampered parent, an
    untrusted signer when anchors are given, an unsigned file), as verify would."""
    from mediautil import flip_media_byte

    runner = CliRunner()
    _, _, graded = chain_of_edits
    ok = runner.invoke(app, ["history", str(graded), "--trust", str(dev.ca)])
    assert ok.exit_code == 0, ok.output
    other = generate_dev_identity(tmp_path / "other", org="Other")
    untrusted = runner.invoke(app, ["history", str(graded), "--trust", str(other.ca)])
    assert untrusted.exit_code == 1
    unsigned = runner.invoke(app, ["history", str(media("png"))])
    assert unsigned.exit_code == 1

    parent = tmp_path / "parent.jpg"
    sign(media("jpg"), parent, identity=identity, source_type="digitalCreation")
    flip_media_byte(parent, media("jpg"))
    child = tmp_path / "child.jpg"
    sign(parent, child, identity=identity, action="edited")
    assert verify(child).verdict is Verdict.VALID  # the file itself holds...
    h = runner.invoke(app, ["history", str(child), "--json"])
    assert h.exit_code == 1  # ...but a link of its tree does not
    assert json.loads(h.stdout)["passed"] is False
