"""Signing and verifying real media of every listed format, and each verdict."""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from mediautil import MEDIA, flip_media_byte, sha256

import provenance
from provenance import DevIdentity, Identity, Verdict, generate_dev_identity, sign, verify
from provenance._rules import HARD_BINDING_MISMATCH
from provenance.errors import OutputExistsError, UnsupportedFormatError, UsageError

FORMATS = sorted(MEDIA)


@pytest.mark.parametrize("ext", FORMATS)
def test_every_format_signs_and_verifies_trusted(
    ext: str, media: Callable[[str], Path], identity: Identity, dev: DevIdentity, tmp_path: Path
) -> None:
    src = media(ext)
    before = sha256(src)
    out = tmp_path / f"out.{ext}"
    made = "digitalCreation"
    result = sign(src, out, identity=identity, title="T", author="A. Author", source_type=made)
    assert sha256(src) == before, "the input must never change"
    assert result.output == str(out) and result.manifest_bytes > 0

    report = verify(out, trust=[dev.ca])
    assert report.verdict is Verdict.TRUSTED, report.to_dict()
    assert report.passed and report.failures == ()
    assert report.title == "T"
    assert report.claim_generator == f"provenance-toolkit {provenance.__version__}"
    assert report.signer is not None and "CN=Test Org Signer" in report.signer.subject
    assert report.actions[0].action == "c2pa.created"
    assert report.actions[0].digital_source_type is not None
    assert report.actions[0].digital_source_type.endswith("/digitalCreation")

    untrusted = verify(out)
    assert untrusted.verdict is Verdict.VALID
    assert untrusted.status_codes == ["signingCredential.untrusted"]


@pytest.mark.parametrize("ext", FORMATS)
def test_one_changed_media_byte_is_tampered(
    ext: str, media: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> None:
    src = media(ext)
    out = tmp_path / f"out.{ext}"
    sign(src, out, identity=identity, source_type="digitalCreation")
    copy = tmp_path / f"copy.{ext}"
    shutil.copyfile(out, copy)
    assert verify(copy).verdict is Verdict.VALID, "a plain copy keeps verifying"
    flip_media_byte(copy, src)
    report = verify(copy, localize=False)
    assert report.verdict is Verdict.TAMPERED, report.to_dict()
    assert set(report.status_codes) & HARD_BINDING_MISMATCH


def test_images_carry_a_thumbnail_and_author(signed: Callable[[str], Path]) -> None:
    import c2pa

    out = signed("jpg")
    with c2pa.Reader(str(out)) as r:
        manifest = r.get_active_manifest()
    assert manifest is not None
    assert manifest["thumbnail"]["format"] == "image/jpeg"
    labels = [a["label"] for a in manifest["assertions"]]
    assert "stds.schema-org.CreativeWork" in labels
    work = next(a for a in manifest["assertions"] if a["label"] == "stds.schema-org.CreativeWork")
    assert work["data"]["author"][0]["name"] == "Test Author"


def test_unsigned_file(media: Callable[[str], Path]) -> None:
    report = verify(media("png"))
    assert report.verdict is Verdict.UNSIGNED and not report.passed


def test_untrusted_anchor_gives_valid_not_trusted(
    signed: Callable[[str], Path], tmp_path: Path
) -> None:
    other = generate_dev_identity(tmp_path / "other", org="Someone Else")
    report = verify(signed("jpg"), trust=[other.ca])
    assert report.verdict is Verdict.VALID
    assert not report.passed, "valid is a failure once trust anchors are required"


def test_signature_bytes_flipped_is_invalid(signed: Callable[[str], Path], tmp_path: Path) -> None:
    out = signed("jpg")
    data = bytearray(out.read_bytes())
    # The COSE signature sits at the end of the manifest store, right before the image
    # data: find the claim signature box and flip a byte inside its payload.
    pos = data.find(b"c2pa.signature")
    assert pos > 0
    data[pos + 200] ^= 0x01
    out.write_bytes(bytes(data))
    report = verify(out)
    assert report.verdict is Verdict.INVALID, report.to_dict()


def test_edit_records_parent_ingredient(
    signed: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> None:
    first = signed("jpg")
    edited = tmp_path / "edited.jpg"
    sign(first, edited, identity=identity, action="cropped")
    report = verify(edited)
    assert report.verdict is Verdict.VALID
    assert [a.action for a in report.actions][-1] == "c2pa.cropped"
    assert len(report.ingredients) == 1
    parent = report.ingredients[0]
    assert parent.relationship == "parentOf" and parent.manifest is not None


def test_sidecar_leaves_asset_untouched_and_is_found(
    media: Callable[[str], Path], identity: Identity, dev: DevIdentity
) -> None:
    src = media("png")
    before = sha256(src)
    result = sign(src, identity=identity, sidecar=True, source_type="digitalCreation")
    assert sha256(src) == before
    assert result.output == str(src) + ".c2pa"
    report = verify(src, trust=[dev.ca])
    assert report.verdict is Verdict.TRUSTED
    assert report.manifest_source == "sidecar"


def test_sidecar_detects_change(media: Callable[[str], Path], identity: Identity) -> None:
    src = media("wav")
    sign(src, identity=identity, sidecar=True, source_type="digitalCreation")
    data = bytearray(src.read_bytes())
    data[len(data) // 2] ^= 0x55
    src.write_bytes(bytes(data))
    assert verify(src).verdict is Verdict.TAMPERED


def test_refuses_to_overwrite_without_force(
    signed: Callable[[str], Path], media: Callable[[str], Path], identity: Identity
) -> None:
    out = signed("jpg")
    before = sha256(out)
    with pytest.raises(OutputExistsError):
        sign(media("jpg"), out, identity=identity, source_type="digitalCreation")
    assert sha256(out) == before
    sign(media("jpg"), out, identity=identity, force=True, source_type="digitalCreation")
    assert verify(out).verdict is Verdict.VALID


def test_output_equal_to_input_is_refused(media: Callable[[str], Path], identity: Identity) -> None:
    src = media("jpg")
    with pytest.raises(UsageError):
        sign(src, src, identity=identity, force=True)


def test_failed_sign_leaves_nothing(
    media: Callable[[str], Path], dev: DevIdentity, tmp_path: Path
) -> None:
    def broken(data: bytes) -> bytes:
        raise RuntimeError("device unplugged")

    ident = Identity.from_callback(broken, alg="es256", chain_pem=dev.cert.read_text())
    out = tmp_path / "never.jpg"
    with pytest.raises(provenance.SigningError):
        sign(media("jpg"), out, identity=ident, source_type="digitalCreation")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_content_detection_ignores_extension(
    media: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> None:
    src = media("png")
    disguised = tmp_path / "photo.jpg"
    src.rename(disguised)
    out = tmp_path / "signed.bin"
    result = sign(disguised, out, identity=identity, source_type="digitalCreation")
    assert result.format == "image/png"
    assert verify(out).verdict is Verdict.VALID


def test_unsupported_content_is_refused(tmp_path: Path, identity: Identity) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("just some text\n")
    with pytest.raises(UnsupportedFormatError):
        sign(text, tmp_path / "o.jpg", identity=identity, source_type="digitalCreation")


@pytest.mark.parametrize("source_type", ["trainedAlgorithmicMedia", "digitalCreation"])
def test_source_type_recorded(
    media: Callable[[str], Path], identity: Identity, tmp_path: Path, source_type: str
) -> None:
    out = tmp_path / "o.png"
    sign(media("png"), out, identity=identity, source_type=source_type)
    (action,) = verify(out).actions
    assert (
        action.digital_source_type
        == f"http://cv.iptc.org/newscodes/digitalsourcetype/{source_type}"
    )


def test_unknown_action_and_source_type(media: Callable[[str], Path], identity: Identity) -> None:
    with pytest.raises(UsageError, match="unknown action"):
        sign(media("png"), media("png").with_name("o.png"), identity=identity, action="smudged")
    with pytest.raises(UsageError, match="digital source type"):
        sign(media("png"), media("png").with_name("o.png"), identity=identity, source_type="x")


def test_verify_in_a_forked_worker(signed: Callable[[str], Path]) -> None:
    """`check` forks worker processes after the parent has verified files: the child
    must not reuse the parent's native C2PA state."""
    import multiprocessing

    out = signed("jpg")
    assert verify(out).verdict is Verdict.VALID  # the parent's state exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        verdict = pool.apply(_verdict_of, (str(out),))
    assert verdict == "valid"


def _verdict_of(path: str) -> str:
    return verify(path).verdict.value


def test_the_author_is_shown_by_verify_and_history(
    signed: Callable[[str], Path], dev: DevIdentity
) -> None:
    """Point 4: `--author` is signed, and shown, in text and JSON, by verify and history."""
    from typer.testing import CliRunner

    from provenance import history
    from provenance.cli import app

    out = signed("jpg")  # signed with author="Test Author"
    assert verify(out).authors == ("Test Author",)
    runner = CliRunner()
    text = runner.invoke(app, ["verify", str(out)]).output
    assert "  author      Test Author" in text
    doc = runner.invoke(app, ["verify", str(out), "--json"]).stdout
    assert json.loads(doc)["reports"][0]["authors"] == ["Test Author"]
    h = history(out)
    assert h.root is not None and h.root.authors == ("Test Author",)
    assert "author: Test Author" in runner.invoke(app, ["history", str(out)]).output
    assert json.loads(runner.invoke(app, ["history", str(out), "--json"]).stdout)["root"][
        "authors"
    ] == ["Test Author"]


def _riff_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(id, offset, declared length) of each top-level RIFF chunk."""
    out, i = [], 12
    while i + 8 <= len(data):
        cid, size = struct.unpack("<4sI", data[i : i + 8])
        out.append((cid, i, size))
        i += 8 + size + (size & 1)
    return out


def test_a_moved_exclusion_is_invalid_a_changed_byte_is_tampered(
    media: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> None:
    """Point 7: both sides of the hard-binding split, on files made here.

    A WAV's C2PA chunk is excluded from the data hash. Declaring that chunk one byte
    longer (its pad byte becomes part of it) changes no hashed byte, but the exclusion no
    longer matches where the manifest sits: structural, `invalid`, with the library's
    reason. Changing one sample in the data chunk is a content change: `tampered`."""
    src = media("wav")
    for n in range(16):  # the manifest's length varies; an odd one has a pad byte
        out = tmp_path / f"signed-{n}.wav"
        sign(src, out, identity=identity, title="t" * (n + 1), source_type="digitalCreation",
             fingerprints=False)  # fmt: skip
        data = bytearray(out.read_bytes())
        (_, at, size) = next(c for c in _riff_chunks(bytes(data)) if c[0] == b"C2PA")
        if size % 2:
            break
    else:
        raise AssertionError("no odd-length manifest chunk in 16 tries")
    moved = tmp_path / "exclusion-moved.wav"
    struct.pack_into("<I", data, at + 4, size + 1)
    moved.write_bytes(bytes(data))
    report = verify(moved)
    assert report.verdict is Verdict.INVALID, report.to_dict()
    assert report.status_codes == ["assertion.dataHash.mismatch", "signingCredential.untrusted"]
    assert "does not match the manifest location" in report.message
    assert "changed after it was signed" not in report.message

    changed = tmp_path / "content-changed.wav"
    data = bytearray(out.read_bytes())
    (_, start, _) = next(c for c in _riff_chunks(bytes(data)) if c[0] == b"data")
    data[start + 8 + 1000] ^= 0x55
    changed.write_bytes(bytes(data))
    tampered = verify(changed)
    assert tampered.verdict is Verdict.TAMPERED, tampered.to_dict()
    assert "assertion.dataHash.mismatch" in tampered.status_codes
