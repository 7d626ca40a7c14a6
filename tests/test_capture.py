"""Capture facts: read from real EXIF and container tags, written as the C2PA metadata
assertion, read back, and the redaction record."""

from __future__ import annotations

from pathlib import Path

import pytest
from captureutil import make_exif_photo, make_tagged_video

from provenance._capture import (
    from_assertion,
    from_manifest,
    parse_iso6709,
    read_capture,
    redaction_action,
    to_assertion,
)
from provenance._media import detect
from provenance.models import CaptureFacts, Position, Redaction

# Fields the C2PA 2.2 metadata annex allows in c2pa.metadata, for those we write
# (tiff:Make/Model/Orientation, exifEX:LensModel/PhotographicSensitivity, and the exif:
# exposure, time and GPS fields), with their namespaces.
ALLOWED = {
    "tiff:Make", "tiff:Model", "tiff:Orientation", "exifEX:LensModel",
    "exifEX:PhotographicSensitivity", "exif:DateTimeOriginal", "exif:ExposureTime",
    "exif:FNumber", "exif:FocalLength", "exif:GPSLatitude", "exif:GPSLongitude",
    "exif:GPSAltitude", "exif:GPSAltitudeRef", "xmpDM:shotDate",
}  # fmt: skip
NAMESPACES = {
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "xmpDM": "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
}
PHOTO = CaptureFacts(
    make="Acme",
    model="Shooter S1",
    lens="24-70mm F2.8",
    captured_at="2024-05-01T14:34:56+02:00",
    exposure_time="1/125",
    f_number=2.8,
    iso=200,
    focal_length=35.0,
    position=Position(48.8584, 2.2945, 35.0),
    orientation=6,
)


@pytest.mark.parametrize("ext", ["jpg", "png", "webp"])
def test_reads_exif_with_gps(tmp_path: Path, ext: str) -> None:
    path = make_exif_photo(tmp_path / f"photo.{ext}")
    assert read_capture(path, detect(path)) == PHOTO


def test_photo_without_exif_has_no_facts(tmp_path: Path) -> None:
    from provenance import _demo_media as samples

    path = samples.make_photo(tmp_path / "plain.jpg")
    facts = read_capture(path, detect(path))
    assert facts.is_empty and to_assertion(facts) is None


def test_reads_video_container_tags(tmp_path: Path) -> None:
    mov = make_tagged_video(tmp_path / "clip.mov")
    facts = read_capture(mov, detect(mov))
    # Apple's keys win: they carry the local offset of the capture time.
    assert facts == CaptureFacts(
        make="Apple",
        model="iPhone 15",
        captured_at="2024-05-01T14:34:56+02:00",
        position=Position(48.8584, 2.2945, 35.0),
    )
    mp4 = make_tagged_video(tmp_path / "clip.mp4")
    facts = read_capture(mp4, detect(mp4))
    # MP4 keeps what ffmpeg maps: creation time (UTC) and the 3GPP location.
    assert facts.captured_at == "2024-05-01T12:34:56Z"
    assert facts.position == Position(48.8584, 2.2945, 35.0)


def test_assertion_uses_allowed_fields_and_round_trips() -> None:
    assertion = to_assertion(PHOTO)
    assert assertion is not None and assertion["label"] == "c2pa.metadata"
    data = assertion["data"]
    fields = set(data) - {"@context"}
    assert fields <= ALLOWED
    assert data["@context"] == {p: NAMESPACES[p] for p in {f.split(":")[0] for f in fields}}
    assert data["exif:GPSLatitude"] == "48,51.504000N"
    assert data["exif:DateTimeOriginal"] == "2024-05-01T14:34:56+02:00"
    assert data["exif:FNumber"] == "14/5"
    assert from_assertion(data) == PHOTO
    video = to_assertion(CaptureFacts(captured_at="2024-05-01T12:34:56Z"), kind="video")
    assert video is not None and video["data"]["xmpDM:shotDate"] == "2024-05-01T12:34:56Z"


def test_southern_western_and_below_sea_level() -> None:
    facts = CaptureFacts(position=Position(-33.8568, -70.6693, -12.5))
    assertion = to_assertion(facts)
    assert assertion is not None
    assert assertion["data"]["exif:GPSLatitude"].endswith("S")
    assert assertion["data"]["exif:GPSAltitudeRef"] == 1
    back = from_assertion(assertion["data"])
    assert back.position is not None
    assert back.position.latitude == pytest.approx(-33.8568, abs=1e-6)
    assert back.position.longitude == pytest.approx(-70.6693, abs=1e-6)
    assert back.position.altitude == -12.5


def test_other_producers_forms_are_read() -> None:
    # c2pa-rs's own metadata example: degrees-minutes GPS, a number for FNumber.
    data = {
        "@context": {"exif": NAMESPACES["exif"], "tiff": NAMESPACES["tiff"]},
        "exif:GPSLatitude": "39,21.102N",
        "exif:GPSLongitude": "74,26.5737W",
        "exif:FNumber": 4.0,
        "exif:ISOSpeedRatings": {"@list": [400]},
        "tiff:Make": "CameraCompany",
    }
    facts = from_assertion(data)
    assert facts.position is not None
    assert facts.position.latitude == pytest.approx(39.3517, abs=1e-4)
    assert facts.position.longitude == pytest.approx(-74.442895, abs=1e-5)
    assert (facts.f_number, facts.iso, facts.make) == (4.0, 400, "CameraCompany")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+48.8584+002.2945+035.000/", Position(48.8584, 2.2945, 35.0)),
        ("+48.8584+002.2945/", Position(48.8584, 2.2945)),
        ("+4851.504+00217.67/", Position(48.8584, 2.294500)),
        ("-335124.48-0704009.48/", Position(-33.8568, -70.6693)),
        ("nonsense", None),
        ("+91.0+000.0/", None),
    ],
)
def test_iso6709(text: str, expected: Position | None) -> None:
    got = parse_iso6709(text)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert got.latitude == pytest.approx(expected.latitude, abs=1e-4)
        assert got.longitude == pytest.approx(expected.longitude, abs=1e-4)
        assert got.altitude == expected.altitude


def test_without_records_the_groups_that_had_facts() -> None:
    left = PHOTO.without([Redaction.LOCATION, Redaction.TIME])
    assert left.position is None and left.captured_at is None and left.make == "Acme"
    assert left.redacted == (Redaction.LOCATION, Redaction.TIME)
    assert not left.has(Redaction.LOCATION) and left.has(Redaction.DEVICE)
    assert CaptureFacts.from_dict(left.to_dict()) == left


def test_redaction_action_is_read_back_from_the_manifest() -> None:
    left = PHOTO.without([Redaction.LOCATION])
    action = redaction_action(left.redacted)
    assert action == {
        "action": "c2pa.edited.metadata",
        "reason": "c2pa.PII.present",
        "description": "Capture metadata withheld for privacy: location",
        "parameters": {"org.provenance.redacted": ["location"]},
    }
    assertion = to_assertion(left)
    assert assertion is not None
    manifest = [
        {"label": "c2pa.actions.v2", "data": {"actions": [{"action": "c2pa.created"}, action]}},
        assertion,
    ]
    back = from_manifest(manifest)
    assert back == left
    assert from_manifest([{"label": "c2pa.actions.v2", "data": {"actions": []}}]) is None
    assert redaction_action(PHOTO.redacted) is None


def test_formats_pillow_cannot_open_have_no_facts(tmp_path: Path) -> None:
    svg = tmp_path / "drawing.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    media = detect(svg)
    assert read_capture(svg, media).is_empty
    from provenance.errors import InputError

    with pytest.raises(InputError):
        read_capture(svg, media, strict=True)
