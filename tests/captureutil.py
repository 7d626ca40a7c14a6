"""Media with real capture metadata: a camera-like photo with EXIF (GPS included), XMP,
and a short video whose container carries capture tags as phones write them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

B, G = ExifTags.Base, ExifTags.GPS

# The facts written into the generated photo, and their C2PA metadata forms.
LATITUDE, LONGITUDE = 48.8584, 2.2945  # 48°51'30.24"N 2°17'40.2"E
TAKEN = "2024:05:01 14:34:56"
GPS_TEXT = b"+48.8584+002.2945"  # the ISO 6709 position written into the video


def photo_exif() -> Image.Exif:
    ex = Image.Exif()
    ex[B.Make] = "Acme"
    ex[B.Model] = "Shooter S1"
    ex[B.Orientation] = 6
    ex[B.DateTime] = TAKEN
    ex[B.Software] = "Shooter firmware 1.2"
    ex[B.Copyright] = "Jane Doe"
    ex[ExifTags.IFD.Exif] = {
        B.DateTimeOriginal: TAKEN,
        B.OffsetTimeOriginal: "+02:00",
        B.ExposureTime: IFDRational(1, 125),
        B.FNumber: IFDRational(28, 10),
        B.ISOSpeedRatings: 200,
        B.FocalLength: IFDRational(35, 1),
        B.LensModel: "24-70mm F2.8",
        B.BodySerialNumber: "SN-0042",
        B.MakerNote: b"ACME\x00serial SN-0042 at 48.8584,2.2945",
    }
    ex[ExifTags.IFD.GPSInfo] = {
        G.GPSVersionID: b"\x02\x02\x00\x00",
        G.GPSLatitudeRef: "N",
        G.GPSLatitude: (IFDRational(48), IFDRational(51), IFDRational(3024, 100)),
        G.GPSLongitudeRef: "E",
        G.GPSLongitude: (IFDRational(2), IFDRational(17), IFDRational(402, 10)),
        G.GPSAltitudeRef: 0,
        G.GPSAltitude: IFDRational(35, 1),
        G.GPSDateStamp: "2024:05:01",
        G.GPSTimeStamp: (IFDRational(12), IFDRational(34), IFDRational(56)),
    }
    return ex


def make_exif_photo(path: Path, *, xmp: bytes | None = None) -> Path:
    """A camera-like photo: a real picture with EXIF (IFD0, Exif IFD, GPS IFD)."""
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    im = Image.fromarray(pixels)
    fmt = {".jpg": "JPEG", ".png": "PNG", ".webp": "WEBP"}[path.suffix]
    extra: dict[str, Any] = {"quality": 92} if fmt == "JPEG" else {}
    if xmp is not None:
        extra["xmp"] = xmp
    im.save(path, fmt, exif=photo_exif().tobytes(), **extra)
    return path


XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" exif:GPSLatitude="48,51.504N" '
    b'exif:GPSLongitude="2,17.67E"><dc:rights>Jane Doe</dc:rights></rdf:Description>'
    b"</rdf:RDF></x:xmpmeta>"
)

VIDEO_TAGS = {
    "creation_time": "2024-05-01T12:34:56.000000Z",
    "location": "+48.8584+002.2945+035.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15",
    "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
    "com.apple.quicktime.creationdate": "2024-05-01T14:34:56+0200",
    "title": "Street scene",
}


def make_tagged_video(path: Path, tags: dict[str, str] = VIDEO_TAGS) -> Path:
    """A short H.264 video (with AAC audio) whose container carries capture tags the way
    phones write them (MOV keeps QuickTime keys; MP4 keeps what ffmpeg maps)."""
    fmt = "mov" if path.suffix == ".mov" else "mp4"
    options = {"movflags": "use_metadata_tags"} if fmt == "mov" else {}
    with av.open(str(path), "w", format=fmt, options=options) as c:
        c.metadata.update(tags)
        v = c.add_stream("libx264", rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("aac", rate=16000)
        rng = np.random.default_rng(5)
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(
                rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), format="rgb24"
            )
            frame.pts = i
            for p in v.encode(frame):
                c.mux(p)
        for i in range(10):
            samples = np.zeros((1, 1600), dtype=np.float32)
            af = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            af.sample_rate, af.pts = 16000, i * 1600
            for p in a.encode(af):
                c.mux(p)
        for s in (v, a):
            for p in s.encode():
                c.mux(p)
    return path


def decoded_frames(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").tobytes() for f in c.decode(video=0)]


def pixels(path: Path) -> bytes:
    with Image.open(path) as im:
        return im.convert("RGB").tobytes()


def gps_ifd(path: Path) -> dict[int, Any]:
    with Image.open(path) as im:
        return dict(im.getexif().get_ifd(ExifTags.IFD.GPSInfo))
