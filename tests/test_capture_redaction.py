"""Capture metadata and redaction end to end through `provenance.sign` and `verify`: the
facts go into the manifest, a withheld group is left out of it and stripped from the
signed file's own metadata (the signature covers the stripped bytes), and the redaction is
recorded; the input is never modified."""

from __future__ import annotations

import json
from pathlib import Path

import av
import c2pa
import pytest
from captureutil import (
    XMP_WITH_GPS,
    decoded_frames,
    gps_ifd,
    make_exif_photo,
    make_tagged_video,
    pixels,
)
from mediautil import sha256
from support.synth import make_audio

import provenance
from provenance import Redaction, Verdict
from provenance import _demo_media as samples
from provenance._capture import read_capture
from provenance._capture_plan import plan_capture
from provenance._media import detect
from provenance._strip import leftovers, strip
from provenance.errors import InputError, UnsupportedFormatError, UsageError
from provenance.identity import Identity
from provenance.keygen import DevIdentity

LOCATION, DEVICE, TIME = Redaction.LOCATION, Redaction.DEVICE, Redaction.TIME


def _metadata(path: Path) -> dict[str, object] | None:
    """The signed c2pa.metadata assertion, read back with the C2PA library."""
    with open(path, "rb") as f, c2pa.Reader(detect(path).mime, f) as r:
        store = json.loads(r.json())
    manifest = store["manifests"][store["active_manifest"]]
    return next((a["data"] for a in manifest["assertions"] if a["label"] == "c2pa.metadata"), None)


@pytest.mark.parametrize("ext", ["jpg", "png"])
def test_redacted_location_is_gone_from_manifest_and_file(
    tmp_path: Path, identity: Identity, dev: DevIdentity, ext: str
) -> None:
    src = make_exif_photo(tmp_path / f"photo.{ext}")
    before = sha256(src)
    out = tmp_path / f"signed.{ext}"
    result = provenance.sign(
        src, out, identity=identity, source_type="digitalCapture", redact=["location"]
    )
    assert result.redacted == (LOCATION,)
    assert result.capture is not None and result.capture.position is None
    assert result.capture.make == "Acme"  # recorded by default for a digital capture
    assert sha256(src) == before  # the input is never modified

    report = provenance.verify(out, trust=[dev.ca])
    assert report.verdict is Verdict.TRUSTED  # the signature covers the stripped bytes
    assert report.capture is not None
    assert report.capture.redacted == (LOCATION,) and report.capture.position is None
    assert report.capture.captured_at == "2024-05-01T14:34:56+02:00"
    assert not report.metadata_location
    assert "c2pa.edited.metadata" in [a.action for a in report.actions]
    metadata = _metadata(out)
    assert metadata is not None and metadata["tiff:Make"] == "Acme"
    assert not [k for k in metadata if k.startswith("exif:GPS")]

    # The signed file's own metadata: no GPS tag, and no trace of the position anywhere
    # (the MakerNote carried it in text), while the pixels are untouched.
    assert gps_ifd(src) and not gps_ifd(out)
    assert b"48.8584" in src.read_bytes() and b"48.8584" not in out.read_bytes()
    assert leftovers(out, detect(out), [LOCATION]) == []
    assert pixels(out) == pixels(src)
    assert read_capture(out, detect(out)).make == "Acme"
    assert provenance.verify(src).metadata_location  # the unsigned original gives it away


def test_all_groups_redacted_with_a_creator_identity(
    tmp_path: Path, identity: Identity, dev: DevIdentity
) -> None:
    jane = provenance.generate_dev_creator(tmp_path / "jane", name="Jane Doe", org="Daily Planet")
    src = make_exif_photo(tmp_path / "photo.jpg", xmp=XMP_WITH_GPS)
    out = tmp_path / "signed.jpg"
    provenance.sign(
        src, out, identity=identity, source_type="digitalCapture", redact=list(Redaction),
        creator=provenance.Creator(jane.load()),
    )  # fmt: skip
    report = provenance.verify(out, trust=provenance.Trust.load([dev.ca], identity=[jane.ca]))
    assert report.verdict is Verdict.TRUSTED
    (who,) = report.identities
    assert who.status is provenance.IdentityStatus.TRUSTED
    assert {"c2pa.metadata", "c2pa.actions.v2"} <= set(who.referenced)
    facts = report.capture
    assert facts is not None and facts.redacted == (LOCATION, DEVICE, TIME)
    assert (facts.make, facts.lens, facts.captured_at, facts.position) == (None,) * 4
    assert facts.exposure_time == "1/125" and facts.orientation == 6
    data = out.read_bytes()
    for secret in (b"48.8584", b"GPSLatitude", b"Acme", b"SN-0042", b"2024:05:01", b"firmware"):
        assert secret not in data, secret
    assert b"Jane Doe" in data  # EXIF copyright is in no group (and the creator's name)
    assert pixels(out) == pixels(src)


def test_capture_recorded_on_request_without_redaction_signs_the_input_as_is(
    tmp_path: Path, identity: Identity
) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    out = tmp_path / "signed.jpg"
    result = provenance.sign(
        src, out, identity=identity, source_type="digitalCreation", capture=True
    )
    assert result.redacted == () and result.capture is not None
    metadata = _metadata(out)
    assert metadata is not None and metadata["exif:GPSLatitude"] == "48,51.504000N"
    assert gps_ifd(out)  # nothing withheld: the file keeps its own metadata
    report = provenance.verify(out)
    assert report.metadata_location and report.capture and report.capture.position


def test_capture_is_not_recorded_unless_asked_or_captured(
    tmp_path: Path, identity: Identity
) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    made = provenance.sign(src, tmp_path / "a.jpg", identity=identity, source_type="composite")
    assert made.capture is None and _metadata(tmp_path / "a.jpg") is None
    opted_out = provenance.sign(
        src, tmp_path / "b.jpg", identity=identity, source_type="digitalCapture", capture=False
    )
    assert opted_out.capture is None and _metadata(tmp_path / "b.jpg") is None


def test_redaction_without_recording_still_records_the_redaction(
    tmp_path: Path, identity: Identity
) -> None:
    src = make_exif_photo(tmp_path / "photo.png")
    out = tmp_path / "signed.png"
    result = provenance.sign(
        src, out, identity=identity, source_type="digitalCapture", capture=False, redact=["time"]
    )
    assert result.capture is None and result.redacted == (TIME,)
    assert _metadata(out) is None
    report = provenance.verify(out)
    assert report.capture is not None and report.capture.redacted == (TIME,)
    assert report.capture.is_empty


def test_nothing_to_redact_records_nothing(tmp_path: Path) -> None:
    src = samples.make_photo(tmp_path / "plain.jpg")
    plan = plan_capture(src, detect(src), record=True, redact=list(Redaction), workdir=tmp_path)
    assert (plan.source, plan.redacted, plan.actions, plan.assertions, plan.facts) == (
        src, (), (), (), None,
    )  # fmt: skip


@pytest.mark.parametrize("ext", ["mov", "mp4"])
def test_video_location_and_device_redacted_by_remux(
    tmp_path: Path, identity: Identity, dev: DevIdentity, ext: str
) -> None:
    src = make_tagged_video(tmp_path / f"clip.{ext}")
    out = tmp_path / f"signed.{ext}"
    result = provenance.sign(
        src, out, identity=identity, source_type="digitalCapture", redact=["location", "device"]
    )
    assert LOCATION in result.redacted

    report = provenance.verify(out, trust=[dev.ca])
    assert report.verdict is Verdict.TRUSTED
    assert not report.metadata_location
    facts = report.capture
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
    assert provenance.verify(src).metadata_location


def test_video_creation_time_is_recorded(tmp_path: Path, identity: Identity) -> None:
    src = make_tagged_video(tmp_path / "clip.mp4")
    out = tmp_path / "signed.mp4"
    provenance.sign(src, out, identity=identity, source_type="digitalCapture")
    report = provenance.verify(out)
    assert report.capture is not None
    assert report.capture.captured_at == "2024-05-01T12:34:56Z"
    assert report.capture.position is not None
    assert report.capture.position.latitude == pytest.approx(48.8584)
    metadata = _metadata(out)
    assert metadata is not None and metadata["xmpDM:shotDate"] == "2024-05-01T12:34:56Z"


def test_video_time_redacted(tmp_path: Path) -> None:
    src = make_tagged_video(tmp_path / "clip.mov")
    stripped = strip(src, detect(src), [TIME], tmp_path)
    assert stripped.removed == (TIME,)
    assert b"2024-05-01" not in stripped.path.read_bytes()
    with av.open(str(stripped.path)) as c:
        assert "creation_time" not in c.metadata
        assert all("creation_time" not in s.metadata for s in c.streams)
        assert c.metadata.get("location")  # location was not redacted


def test_sidecar_cannot_redact(tmp_path: Path, identity: Identity) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    with pytest.raises(UsageError, match="sidecar"):
        provenance.sign(
            src, identity=identity, source_type="digitalCapture", sidecar=True,
            redact=["location"],
        )  # fmt: skip
    assert not (tmp_path / "photo.jpg.c2pa").exists()


def test_unknown_redaction_and_folders_are_refused(tmp_path: Path, identity: Identity) -> None:
    src = make_exif_photo(tmp_path / "photo.jpg")
    with pytest.raises(UsageError, match="unknown redaction 'place'"):
        provenance.sign(src, tmp_path / "o.jpg", identity=identity, redact=["place"])
    with pytest.raises(UsageError, match="not folders"):
        provenance.sign(tmp_path, identity=identity, source_type="digitalCapture", capture=True)


def test_unsupported_format_with_redacted_metadata_is_refused(
    tmp_path: Path, identity: Identity
) -> None:
    src = make_exif_photo(tmp_path / "photo.webp")
    with pytest.raises(UnsupportedFormatError, match="location"):
        provenance.sign(
            src, tmp_path / "o.webp", identity=identity, source_type="digitalCapture",
            redact=["location"],
        )  # fmt: skip
    assert not (tmp_path / "o.webp").exists()
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
    stripped = strip(src, detect(src), [TIME], tmp_path)
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
    audio = make_audio(tmp_path / "voice.mp3")
    with pytest.raises(UnsupportedFormatError, match="audio/mpeg"):
        plan_capture(audio, detect(audio), record=False, redact=[TIME], workdir=tmp_path)
    # Recording alone never fails on formats without capture metadata.
    plan = plan_capture(audio, detect(audio), record=True, workdir=tmp_path)
    assert plan.source == audio and plan.assertions == () and plan.facts is None
