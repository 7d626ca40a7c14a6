"""Redaction end to end: the capture plan leaves a group out of the manifest, strips it
from the file's own metadata, and the C2PA library signs the stripped bytes."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from captureutil import (
    XMP_WITH_GPS,
    decoded_frames,
    gps_ifd,
    make_exif_photo,
    make_tagged_video,
    pixels,
    read_back,
    sign_direct,
)
from mediautil import sha256

from provenance import samples
from provenance._capture_plan import CapturePlan, plan_capture
from provenance._strip import leftovers, strip
from provenance.capture import Redaction, capture_from_manifest
from provenance.creator import Creator
from provenance.errors import InputError, UnsupportedFormatError
from provenance._media import detect
from provenance.identity import Identity
from provenance.keygen import DevIdentity

LOCATION, DEVICE, TIME = Redaction.LOCATION, Redaction.DEVICE, Redaction.TIME


def _sign(plan: CapturePlan, out: Path, mime: str, identity: Identity, **kw: object) -> None:
    sign_direct(
        plan.source, out, mime, identity=identity, assertions=plan.assertions,
        actions=(plan.action,) if plan.action else (), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize("ext", ["jpg", "png"])
def test_redacted_location_is_gone_from_manifest_and_file(
    tmp_path: Path, identity: Identity, dev: DevIdentity, ext: str
) -> None:
    src = make_exif_photo(tmp_path / f"photo.{ext}")
    before = sha256(src)
    media = detect(src)
    work = tmp_path / "work"
    work.mkdir()
    plan = plan_capture(src, media, record=True, redact=[LOCATION], workdir=work)
    assert plan.redacted == (LOCATION,) and plan.source != src
    out = tmp_path / f"signed.{ext}"
    _sign(plan, out, media.mime, identity)

    assert sha256(src) == before  # the input is never modified
    back = read_back(out, media.mime, anchors=dev.ca.read_text())
    assert back.state == "Trusted"
    metadata = back.assertion("c2pa.metadata")
    assert metadata is not None
    assert not [k for k in metadata if k.startswith("exif:GPS")]
    assert metadata["tiff:Make"] == "Acme"  # what was not redacted is recorded
    facts = capture_from_manifest(back.manifest["assertions"])
    assert facts is not None and facts.position is None and facts.redacted == (LOCATION,)
    assert facts.captured_at == "2024-05-01T14:34:56+02:00"

    # The signed file's own metadata: no GPS tag, and no trace of the position anywhere
    # (the MakerNote carried it in text), while the pixels are untouched.
    assert gps_ifd(src) and not gps_ifd(out)
    assert b"48.8584" in src.read_bytes() and b"48.8584" not in out.read_bytes()
    assert leftovers(out, media, [LOCATION]) == []
    assert pixels(out) == pixels(src)
    assert read_capture_make(out) == "Acme"


def read_capture_make(path: Path) -> str | None:
    from provenance.capture import read_capture

    return read_capture(path, detect(path)).make


def test_all_groups_redacted_with_a_creator_identity(
    tmp_path: Path, identity: Identity, dev: DevIdentity
) -> None:
    from provenance.keygen import generate_dev_creator

    jane = generate_dev_creator(tmp_path / "jane", name="Jane Doe", org="Daily Planet")
    src = make_exif_photo(tmp_path / "photo.jpg", xmp=XMP_WITH_GPS)
    media = detect(src)
    plan = plan_capture(src, media, record=True, redact=list(Redaction), workdir=tmp_path)
    out = tmp_path / "signed.jpg"
    _sign(plan, out, media.mime, identity, creator=Creator(jane.load()))

    back = read_back(
        out, media.mime, anchors=dev.ca.read_text(), identity_anchors=jane.ca.read_text()
    )
    assert back.state == "Trusted"
    (who,) = back.identities
    assert "c2pa.metadata" in who.referenced and "c2pa.actions.v2" in who.referenced
    facts = capture_from_manifest(back.manifest["assertions"])
    assert facts is not None
    assert facts.redacted == (LOCATION, DEVICE, TIME)
    assert (facts.make, facts.lens, facts.captured_at, facts.position) == (None,) * 4
    assert facts.exposure_time == "1/125" and facts.orientation == 6
    data = out.read_bytes()
    for secret in (b"48.8584", b"GPSLatitude", b"Acme", b"SN-0042", b"2024:05:01", b"firmware"):
        assert secret not in data, secret
    assert b"Jane Doe" in data  # EXIF copyright is not part of any group (and the creator)
    assert pixels(out) == pixels(src)


def test_recording_without_redaction_signs_the_input_as_is(
    tmp_path: Path, identity: Identity
) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    plan = plan_capture(src, detect(src), record=True, workdir=tmp_path)
    assert plan.source == src and plan.action is None and plan.redacted == ()
    out = tmp_path / "signed.jpg"
    _sign(plan, out, "image/jpeg", identity)
    back = read_back(out, "image/jpeg")
    metadata = back.assertion("c2pa.metadata")
    assert metadata is not None and metadata["exif:GPSLatitude"] == "48,51.504000N"
    assert gps_ifd(out)


def test_redaction_without_recording_still_records_the_redaction(tmp_path: Path) -> None:
    src = make_exif_photo(tmp_path / "photo.png")
    plan = plan_capture(src, detect(src), record=False, redact=[TIME], workdir=tmp_path)
    assert plan.facts is None and plan.assertions == ()
    assert plan.action is not None
    assert plan.action["parameters"] == {"org.provenance.redacted": ["time"]}


def test_nothing_to_redact_records_nothing(tmp_path: Path) -> None:
    src = samples.make_photo(tmp_path / "plain.jpg")
    plan = plan_capture(src, detect(src), record=True, redact=list(Redaction), workdir=tmp_path)
    assert (plan.source, plan.redacted, plan.action, plan.assertions) == (src, (), None, ())


@pytest.mark.parametrize("ext", ["mov", "mp4"])
def test_video_location_and_device_redacted_by_remux(
    tmp_path: Path, identity: Identity, dev: DevIdentity, ext: str
) -> None:
    src = make_tagged_video(tmp_path / f"clip.{ext}")
    media = detect(src)
    plan = plan_capture(src, media, record=True, redact=[LOCATION, DEVICE], workdir=tmp_path)
    assert LOCATION in plan.redacted
    out = tmp_path / f"signed.{ext}"
    _sign(plan, out, media.mime, identity)

    back = read_back(out, media.mime, anchors=dev.ca.read_text())
    assert back.state == "Trusted"
    facts = capture_from_manifest(back.manifest["assertions"])
    assert facts is not None and facts.position is None and facts.make is None
    assert facts.captured_at is not None  # time was not redacted
    data = out.read_bytes()
    # MOV keeps the position as ISO 6709 text (QuickTime keys); MP4 as a 3GPP loci box.
    position = b"+48.8584" if ext == "mov" else b"loci"
    assert position in src.read_bytes()
    assert position not in data and b"iPhone" not in data
    with av.open(str(out)) as c:
        assert not [k for k in c.metadata if "location" in k.lower()]
        assert c.metadata.get("title") == "Street scene"  # untouched tags stay
        assert {s.type for s in c.streams} == {"video", "audio"}
    assert decoded_frames(out) == decoded_frames(src)  # stream copy: no re-encoding


def test_video_time_redacted(tmp_path: Path) -> None:
    src = make_tagged_video(tmp_path / "clip.mov")
    media = detect(src)
    stripped = strip(src, media, [TIME], tmp_path)
    assert stripped.removed == (TIME,)
    data = stripped.path.read_bytes()
    assert b"2024-05-01" not in data
    with av.open(str(stripped.path)) as c:
        assert "creation_time" not in c.metadata
        assert all("creation_time" not in s.metadata for s in c.streams)
        assert c.metadata.get("location")  # location was not redacted


def test_unsupported_format_with_redacted_metadata_is_refused(tmp_path: Path) -> None:
    src = make_exif_photo(tmp_path / "photo.webp")
    with pytest.raises(UnsupportedFormatError, match="location"):
        plan_capture(src, detect(src), record=True, redact=[LOCATION], workdir=tmp_path)
    plain = samples.make_photo(tmp_path / "plain.webp")
    plan = plan_capture(plain, detect(plain), record=False, redact=[LOCATION], workdir=tmp_path)
    assert plan.source == plain and plan.redacted == ()


def test_png_raw_exif_profile_and_time_chunks_are_dropped(tmp_path: Path) -> None:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type exif", "\nexif\n      8\n4578696600004d4d\n")
    info.add_text("Creation Time", "2024:05:01 14:34:56")
    info.add_text("Comment", "kept")
    src = tmp_path / "tagged.png"
    Image.new("RGB", (32, 32), "teal").save(src, pnginfo=info)
    media = detect(src)
    stripped = strip(src, media, [TIME], tmp_path)
    assert stripped.removed == (TIME,)
    with Image.open(stripped.path) as im:
        assert im.text == {"Comment": "kept"}  # type: ignore[attr-defined]
    assert pixels(stripped.path) == pixels(src)


def test_damaged_jpeg_is_an_input_error(tmp_path: Path) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    bad = tmp_path / "bad.jpg"
    data = src.read_bytes()
    bad.write_bytes(data[:2] + b"\xff\xe1\xff\xff" + data[6:40])  # a segment longer than the file
    with pytest.raises(InputError):
        strip(bad, detect(src), [LOCATION], tmp_path)


def test_secondary_image_with_redacted_exif_is_refused(tmp_path: Path) -> None:
    primary = samples.make_photo(tmp_path / "primary.jpg")
    secondary = make_exif_photo(tmp_path / "secondary.jpg")
    both = tmp_path / "both.jpg"
    both.write_bytes(primary.read_bytes() + secondary.read_bytes())  # like an MPF file
    with pytest.raises(UnsupportedFormatError, match="secondary image"):
        strip(both, detect(both), [LOCATION], tmp_path)


def test_redaction_is_refused_where_we_cannot_strip(tmp_path: Path) -> None:
    audio = samples.make_audio(tmp_path / "voice.mp3")
    with pytest.raises(UnsupportedFormatError, match="audio/mpeg"):
        plan_capture(audio, detect(audio), record=False, redact=[TIME], workdir=tmp_path)
    # Recording alone never fails on formats without capture metadata.
    plan = plan_capture(audio, detect(audio), record=True, workdir=tmp_path)
    assert plan.source == audio and plan.assertions == ()
