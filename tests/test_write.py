"""provenance._write: signing never erases or falsifies history.

An input that already carries content credentials (embedded or in a sidecar) becomes the
parent ingredient, with its manifest, even when they do not validate; the new manifest
records an edit, never a creation, and a creation must say how the asset was made."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from mediautil import flip_media_byte, schema_validator
from typer.testing import CliRunner

from provenance import (
    DevIdentity,
    Identity,
    NodeStatus,
    SigningError,
    UsageError,
    Verdict,
    history,
    sign,
    verify,
)
from provenance._vocab import SOURCE_TYPES
from provenance.cli import app

runner = CliRunner()
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _keys(dev: DevIdentity) -> list[str]:
    return ["--key", str(dev.key), "--cert", str(dev.cert)]


def test_resigning_keeps_the_history_and_never_claims_capture(
    corpus: Path, dev: DevIdentity, identity: Identity, tmp_path: Path
) -> None:
    """Point 1, as reported: C.jpg is signed as algorithmicMedia; signing it again records
    `c2pa.opened` with C.jpg and its manifest as the parent, never `c2pa.created`."""
    src = corpus / "c2pa-python" / "C.jpg"
    out = tmp_path / "resigned.jpg"
    result = runner.invoke(app, ["sign", str(src), "-o", str(out), *_keys(dev), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    schema_validator("sign-result.schema.json").validate(doc)
    assert doc["action"] == "c2pa.opened" and doc["parent"]["manifest"] is not None

    report = verify(out, trust=[dev.ca])
    assert report.verdict is Verdict.TRUSTED
    assert [a.action for a in report.actions] == ["c2pa.opened"]
    assert all(a.digital_source_type is None for a in report.actions)
    (parent,) = report.ingredients
    assert parent.relationship == "parentOf" and parent.manifest == doc["parent"]["manifest"]
    # The original claim is still there, one link down, as it was signed.
    h = history(out, trust=[dev.ca])
    assert h.root is not None
    (original,) = h.root.ingredients
    assert [(a.action, a.digital_source_type) for a in original.actions] == [
        ("c2pa.created", IPTC + "algorithmicMedia")
    ]
    text = runner.invoke(app, ["verify", str(out), "--trust", str(dev.ca)]).output
    assert "c2pa.created" not in text and "digitalCapture" not in text


def test_created_is_refused_for_a_signed_input(
    signed: Callable[[str], Path], dev: DevIdentity, tmp_path: Path
) -> None:
    src = signed("jpg")
    out = tmp_path / "o.jpg"
    args = ["sign", str(src), "-o", str(out), *_keys(dev), "--action", "created",
            "--source-type", "digitalCapture"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and not out.exists()
    assert result.output.count("\n") == 1
    assert "already carries content credentials" in result.output and "'created'" in result.output


def test_an_edit_of_a_signed_input_keeps_it_as_the_parent(
    signed: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> None:
    src = signed("png")
    out = tmp_path / "cropped.png"
    result = sign(src, out, identity=identity, action="cropped")
    assert result.action == "c2pa.cropped"
    assert result.parent is not None and result.parent.verdict is Verdict.VALID
    report = verify(out)
    assert [a.action for a in report.actions] == ["c2pa.opened", "c2pa.cropped"]
    assert report.ingredients[0].manifest == result.parent.manifest
    with pytest.raises(UsageError, match="--parent cannot name another file"):
        sign(src, tmp_path / "x.png", identity=identity, action="edited", parent=out)


def test_a_sidecar_s_credentials_become_the_parent(
    media: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> None:
    """The input's credentials are in `photo.jpg.c2pa` beside it: kept all the same."""
    photo = media("jpg")
    first = sign(photo, identity=identity, sidecar=True, source_type="digitalCreation")
    out = tmp_path / "published.jpg"
    result = sign(photo, out, identity=identity, action="published")
    assert result.parent is not None and result.parent.manifest is not None
    report = verify(out)
    assert report.verdict is Verdict.VALID
    assert [a.action for a in report.actions] == ["c2pa.opened", "c2pa.published"]
    assert report.ingredients[0].manifest == result.parent.manifest
    h = history(out)
    assert h.root is not None and h.root.ingredients[0].status is NodeStatus.VALID
    assert [a.action for a in h.root.ingredients[0].actions] == ["c2pa.created"]
    assert first.output.endswith(".c2pa")


def test_tampered_credentials_are_kept_and_said(
    signed: Callable[[str], Path],
    media: Callable[[str], Path],
    dev: DevIdentity,
    identity: Identity,
    tmp_path: Path,
) -> None:
    """An input whose credentials fail is still recorded as the parent, with the
    validation results C2PA keeps; `sign` says so in text and JSON."""
    src = signed("jpg")
    flip_media_byte(src, media("jpg"))
    out = tmp_path / "o.jpg"
    result = runner.invoke(app, ["sign", str(src), "-o", str(out), *_keys(dev)])
    assert result.exit_code == 0, result.output
    assert "parent" in result.stdout and "tampered" in result.stdout
    assert "do not validate" in result.stderr and "kept as the parent ingredient" in result.stderr

    again = sign(src, tmp_path / "o2.jpg", identity=identity)
    assert again.parent is not None and not again.parent.intact
    assert again.parent.verdict is Verdict.TAMPERED
    assert "assertion.dataHash.mismatch" in again.parent.failures
    assert again.to_dict()["parent"]["verdict"] == "tampered"

    report = verify(out)
    assert report.verdict is Verdict.VALID  # the new signature itself holds
    assert "assertion.dataHash.mismatch" in report.ingredients[0].failures
    h = history(out)
    assert h.root is not None and h.root.ingredients[0].status is NodeStatus.TAMPERED
    assert h.exit_code == 1  # a broken link fails the tree


def test_a_creation_needs_its_source_type(
    media: Callable[[str], Path], dev: DevIdentity, identity: Identity, tmp_path: Path
) -> None:
    """Point 2: no silent digitalCapture; the error lists the choices."""
    out = tmp_path / "o.png"
    with pytest.raises(UsageError, match="digital source type") as err:
        sign(media("png"), out, identity=identity)
    assert all(t in str(err.value) for t in SOURCE_TYPES)
    result = runner.invoke(app, ["sign", str(media("wav")), "-o", str(out), *_keys(dev)])
    assert result.exit_code == 2 and "--source-type" in result.output
    assert result.output.count("\n") == 1 and not out.exists()

    made = sign(media("png"), out, identity=identity, source_type="digitalCreation")
    assert made.action == "c2pa.created" and made.source_type == IPTC + "digitalCreation"
    (action,) = verify(out).actions
    assert action.digital_source_type == IPTC + "digitalCreation"


def test_watermarked_is_refused_up_front(signed: Callable[[str], Path], tmp_path: Path,
                                         dev: DevIdentity) -> None:  # fmt: skip
    """Point 3: without a soft binding the C2PA library fails after the work."""
    out = tmp_path / "o.jpg"
    args = ["sign", str(signed("jpg")), "-o", str(out), *_keys(dev), "--action", "watermarked"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "soft binding" in result.output and not out.exists()
    assert result.output.count("\n") == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


def test_an_unreachable_timestamp_authority_is_named(
    media: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> None:
    """Point 13b: not "Signature: internal error (... http resolver ...)"."""
    url = f"http://127.0.0.1:{_closed_port()}/tsa"
    out = tmp_path / "o.jpg"
    with pytest.raises(SigningError) as err:
        sign(media("jpg"), out, identity=identity, source_type="digitalCreation", tsa_url=url)
    assert str(err.value) == f"cannot reach the timestamp authority at {url}"
    assert not out.exists()


def test_output_dash_writes_the_signed_bytes_to_standard_output(
    media: Callable[[str], Path], dev: DevIdentity, tmp_path: Path
) -> None:
    """Point 13b: `-o -` is standard output, never a file named `-`."""
    src = media("jpg")
    before = src.read_bytes()
    cmd = [sys.executable, "-m", "provenance", "sign", str(src), "-o", "-", *_keys(dev),
           "--source-type", "digitalCreation", "--json"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "-").exists()
    assert json.loads(proc.stderr)["output"] == "-"  # the result goes to stderr instead
    out = tmp_path / "from-stdout.jpg"
    out.write_bytes(proc.stdout)
    assert verify(out, trust=[dev.ca]).verdict is Verdict.TRUSTED
    assert src.read_bytes() == before
