"""How it was made: capture facts from a file's own metadata, and their C2PA form.

A camera or phone writes the device, the time and often the place into the file (EXIF
in photos; container tags such as `creation_time`, `©xyz`/`loci` or Apple's
`com.apple.quicktime.*` keys in video). We read them (Pillow for images, PyAV for
video) into `CaptureFacts` and record them as the metadata assertion the C2PA
specification defines for them: `c2pa.metadata` (C2PA 2.2 section 18.14, replacing the
deprecated `stds.exif`), JSON-LD whose fields are XMP properties from the namespaces
and the list of fields the specification allows (its metadata annex), such as
`tiff:Make`, `exif:DateTimeOriginal` and `exif:GPSLatitude`.

Privacy: a redaction is recorded in the actions assertion as a `c2pa.edited.metadata`
action with the reason `c2pa.PII.present` and the groups in its parameters
(`org.provenance.redacted`), so a reader can tell "withheld" from "never there";
`_strip` removes the same fields from the file's own metadata before it is signed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

from ._media import MediaType
from ._vocab import ACTIONS_LABEL, EXIF_LABEL, METADATA_LABEL, REDACTED_PARAMETER
from .errors import InputError
from .models import CaptureFacts, Position, Redaction

__all__ = [
    "PNG_SIGNATURE",
    "VIDEO_METADATA_ONLY",
    "from_assertion",
    "from_manifest",
    "parse_iso6709",
    "png_chunks",
    "read_capture",
    "redaction_action",
    "to_assertion",
    "video_facts",
    "video_tags",
]

_NAMESPACES = {
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "xmpDM": "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
}


# -- the C2PA metadata assertion -----------------------------------------------------------


def to_assertion(facts: CaptureFacts, *, kind: str = "image") -> dict[str, Any] | None:
    """The `c2pa.metadata` assertion for these facts (None when there are none). `kind`
    "video" records the time as `xmpDM:shotDate` instead of `exif:DateTimeOriginal`."""
    data: dict[str, Any] = {}
    put = data.__setitem__
    if facts.make:
        put("tiff:Make", facts.make)
    if facts.model:
        put("tiff:Model", facts.model)
    if facts.lens:
        put("exifEX:LensModel", facts.lens)
    if facts.orientation:
        put("tiff:Orientation", facts.orientation)
    if facts.captured_at:
        put("xmpDM:shotDate" if kind == "video" else "exif:DateTimeOriginal", facts.captured_at)
    if facts.exposure_time:
        put("exif:ExposureTime", facts.exposure_time)
    if facts.f_number is not None:
        put("exif:FNumber", _rational(facts.f_number))
    if facts.iso is not None:
        put("exifEX:PhotographicSensitivity", facts.iso)
    if facts.focal_length is not None:
        put("exif:FocalLength", _rational(facts.focal_length))
    if facts.position:
        put("exif:GPSLatitude", _gps_coordinate(facts.position.latitude, "NS"))
        put("exif:GPSLongitude", _gps_coordinate(facts.position.longitude, "EW"))
        if facts.position.altitude is not None:
            put("exif:GPSAltitudeRef", 1 if facts.position.altitude < 0 else 0)
            put("exif:GPSAltitude", _rational(abs(facts.position.altitude)))
    if not data:
        return None
    prefixes = sorted({k.split(":", 1)[0] for k in data})
    context = {p: _NAMESPACES[p] for p in prefixes}
    return {"label": METADATA_LABEL, "data": {"@context": context, **data}}


def from_assertion(data: Mapping[str, Any]) -> CaptureFacts:
    """Facts from a `c2pa.metadata` (or deprecated `stds.exif`) assertion's data, ours or
    another producer's; fields that cannot be read are skipped."""
    get = data.get
    lat = _parse_gps_coordinate(get("exif:GPSLatitude"))
    lon = _parse_gps_coordinate(get("exif:GPSLongitude"))
    position = None
    if lat is not None and lon is not None:
        alt = _parse_number(get("exif:GPSAltitude"))
        if alt is not None and str(get("exif:GPSAltitudeRef", "0")) == "1":
            alt = -alt
        position = Position(lat, lon, alt)
    when = get("exif:DateTimeOriginal") or get("xmpDM:shotDate") or get("xmp:CreateDate")
    iso = get("exifEX:PhotographicSensitivity", get("exif:ISOSpeedRatings"))
    if isinstance(iso, Mapping):
        iso = (iso.get("@list") or [None])[0]
    elif isinstance(iso, list):
        iso = iso[0] if iso else None
    return CaptureFacts(
        make=_text(get("tiff:Make")),
        model=_text(get("tiff:Model")),
        lens=_text(get("exifEX:LensModel") or get("aux:Lens")),
        captured_at=_text(when),
        exposure_time=_text(get("exif:ExposureTime")),
        f_number=_parse_number(get("exif:FNumber")),
        iso=int(iso) if isinstance(iso, int | float | str) and str(iso).isdigit() else None,
        focal_length=_parse_number(get("exif:FocalLength")),
        position=position,
        orientation=_int(get("tiff:Orientation")),
    )


def redaction_action(redacted: Iterable[Redaction]) -> dict[str, Any] | None:
    """The `c2pa.edited.metadata` action that records withheld groups, or None."""
    names = [r.value for r in Redaction if r in set(redacted)]
    if not names:
        return None
    return {
        "action": "c2pa.edited.metadata",
        "reason": "c2pa.PII.present",
        "description": "Capture metadata withheld for privacy: " + ", ".join(names),
        "parameters": {REDACTED_PARAMETER: names},
    }


def from_manifest(assertions: Iterable[Mapping[str, Any]]) -> CaptureFacts | None:
    """The capture facts and recorded redactions of one manifest (its `assertions` list
    from the Reader's JSON), or None when it records neither."""
    facts: CaptureFacts | None = None
    redacted: set[Redaction] = set()
    known = {r.value for r in Redaction}
    for a in assertions:
        data = a.get("data")
        if not isinstance(data, Mapping):
            continue
        base = str(a.get("label", "")).split("__", 1)[0]
        if base in (METADATA_LABEL, EXIF_LABEL) and facts is None:
            facts = from_assertion(data)
        elif base.startswith(ACTIONS_LABEL):
            acts = data.get("actions")
            for act in acts if isinstance(acts, list) else ():
                params = act.get("parameters") if isinstance(act, Mapping) else None
                names = params.get(REDACTED_PARAMETER) if isinstance(params, Mapping) else None
                for n in names if isinstance(names, list) else ():
                    if isinstance(n, str) and n in known:
                        redacted.add(Redaction(n))
    if facts is None and not redacted:
        return None
    return replace(facts or CaptureFacts(), redacted=tuple(r for r in Redaction if r in redacted))


# -- reading a file's own metadata -------------------------------------------------------


def read_capture(path: Path, media: MediaType, *, strict: bool = False) -> CaptureFacts:
    """The capture facts in `path`'s own metadata (EXIF for images, container tags for
    video); empty facts when it has none or the format carries none we read.

    strict: raise `InputError` when the metadata cannot be read (when checking that a
    redacted group is gone, "unreadable" must not pass for "absent").
    """
    if media.kind == "image":
        return _image_facts(path, media.mime == "image/png", strict)
    if media.kind == "video":
        return video_facts(video_tags(path))
    return CaptureFacts()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunks(f: BinaryIO) -> Iterable[tuple[bytes, bytes]]:
    """(type, data) of each chunk of the PNG file `f`, up to IEND."""
    if f.read(8) != PNG_SIGNATURE:
        raise InputError("not a PNG file")
    while True:
        head = f.read(8)
        if not head:
            return
        if len(head) < 8:
            raise InputError("the PNG file is truncated")
        length, ctype = struct.unpack(">I4s", head)
        data = f.read(length)
        if len(data) != length or len(f.read(4)) != 4:
            raise InputError("the PNG file is truncated")
        yield ctype, data
        if ctype == b"IEND":
            return


def _png_exif(path: Path) -> bytes | None:
    """The PNG's eXIf chunk, found without decoding the image (Pillow's `getexif` decodes
    a PNG whose eXIf follows its image data: a decompression bomb must not go off)."""
    with open(path, "rb") as f:
        return next((data for ctype, data in png_chunks(f) if ctype == b"eXIf"), None)


def _image_facts(path: Path, png: bool, strict: bool) -> CaptureFacts:
    from PIL import ExifTags, Image

    from ._limits import pillow_bomb_warnings_ignored

    try:
        if png:
            exif = Image.Exif()
            exif.load(_png_exif(path) or b"")
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        else:
            with pillow_bomb_warnings_ignored(), Image.open(path) as im:
                # Read while the file is open: Pillow reads a TIFF's (or DNG's) IFDs lazily.
                exif = im.getexif()
                sub = exif.get_ifd(ExifTags.IFD.Exif)
                gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except (
        OSError, ValueError, SyntaxError, struct.error, KeyError, TypeError, InputError,
        Image.DecompressionBombError,
    ) as e:  # fmt: skip
        if strict:
            raise InputError(f"{path}: cannot read its metadata ({e})") from None
        return CaptureFacts()  # e.g. SVG, or HEIC without a decoder: nothing we can read
    base = ExifTags.Base
    return CaptureFacts(
        make=_text(exif.get(base.Make)),
        model=_text(exif.get(base.Model)),
        lens=_text(sub.get(base.LensModel)),
        captured_at=_exif_time(
            sub.get(base.DateTimeOriginal) or exif.get(base.DateTime),
            sub.get(base.OffsetTimeOriginal) or sub.get(base.OffsetTime),
        ),
        exposure_time=_fraction_text(sub.get(base.ExposureTime)),
        f_number=_parse_number(sub.get(base.FNumber)),
        iso=_int(sub.get(base.ISOSpeedRatings)),
        focal_length=_parse_number(sub.get(base.FocalLength)),
        position=_exif_position(gps),
        orientation=_int(exif.get(base.Orientation)),
    )


def _exif_position(gps: Mapping[int, Any]) -> Position | None:
    from PIL import ExifTags

    g = ExifTags.GPS
    lat = _dms(gps.get(g.GPSLatitude), gps.get(g.GPSLatitudeRef), "S")
    lon = _dms(gps.get(g.GPSLongitude), gps.get(g.GPSLongitudeRef), "W")
    if lat is None or lon is None:
        return None
    alt = _parse_number(gps.get(g.GPSAltitude))
    ref = gps.get(g.GPSAltitudeRef)
    if alt is not None and ref in (1, b"\x01"):
        alt = -alt
    return Position(lat, lon, alt)


def _dms(value: Any, ref: Any, negative: str) -> float | None:
    try:
        d, m, s = (float(x) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    if not math.isfinite(deg):
        return None
    ref = ref.decode(errors="replace") if isinstance(ref, bytes) else str(ref or "")
    deg = round(deg, 7)  # about a centimetre
    return -deg if ref.strip().upper() == negative else deg


def _exif_time(value: Any, offset: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        when = dt.datetime.strptime(text.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    iso = when.isoformat()
    offset = _text(offset)
    if offset and re.fullmatch(r"[+-]\d\d:\d\d", offset.strip()):
        iso += offset.strip()
    return iso


# Opening a video for its tags (or to copy its packets): FFmpeg probes the streams by
# decoding frames unless told to skip them, which made the open 30 to 100 times slower.
VIDEO_METADATA_ONLY = {"skip_frame": "all"}
# Tags come with the container's header: for them alone, no stream probing past it either
# (the 503 MB benchmark video: 7 ms instead of 29).
_TAGS_ONLY = {**VIDEO_METADATA_ONLY, "probesize": "32", "analyzeduration": "0"}

# Container tags (ffmpeg names, compared lower-case), most specific first.
VIDEO_TIME_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date")
VIDEO_MAKE_KEYS = ("com.apple.quicktime.make", "make", "com.android.manufacturer")
VIDEO_MODEL_KEYS = ("com.apple.quicktime.model", "model", "com.android.model")
VIDEO_LOCATION_KEYS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")


def video_tags(path: Path) -> dict[str, str]:
    """A video's container tags, then its streams' (keys lower-cased; the container's win)."""
    import av

    try:
        with av.open(str(path), options=_TAGS_ONLY) as container:
            tags = {k.lower(): str(v) for k, v in container.metadata.items()}
            for stream in container.streams:
                for k, v in stream.metadata.items():
                    tags.setdefault(k.lower(), str(v))
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read its metadata ({e})") from None
    return tags


def video_facts(tags: Mapping[str, str]) -> CaptureFacts:
    """The capture facts in a video's tags (`video_tags`)."""

    def first(keys: tuple[str, ...]) -> str | None:
        return next((str(tags[k]) for k in keys if tags.get(k)), None)

    location = first(VIDEO_LOCATION_KEYS)
    return CaptureFacts(
        make=first(VIDEO_MAKE_KEYS),
        model=first(VIDEO_MODEL_KEYS),
        captured_at=_container_time(first(VIDEO_TIME_KEYS)),
        position=parse_iso6709(location) if location else None,
    )


def _container_time(value: str | None) -> str | None:
    """ISO 8601 as written by muxers ("2024-05-01T12:34:56.000000Z", Apple's
    "2024-05-01T14:34:56+0200"), normalized; None for the QuickTime epoch (unset)."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.year < 1971:  # mvhd time 0 (1904) or 1970: no real time recorded
        return None
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


_ISO6709 = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


def parse_iso6709(text: str) -> Position | None:
    """A position from an ISO 6709 string such as "+48.8584+002.2945+035.000/"
    (degrees, degrees-minutes or degrees-minutes-seconds forms)."""
    m = _ISO6709.match(text.strip())
    if not m:
        return None
    lat = _iso6709_angle(m.group(1), 2)
    lon = _iso6709_angle(m.group(2), 3)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    alt = float(m.group(3)) if m.group(3) else None
    return Position(lat, lon, alt)


def _iso6709_angle(text: str, degree_digits: int) -> float | None:
    sign = -1 if text[0] == "-" else 1
    whole, _, frac = text[1:].partition(".")
    frac_value = float("0." + frac) if frac else 0.0
    digits = len(whole)
    if digits == degree_digits:
        return sign * (int(whole) + frac_value)
    if digits == degree_digits + 2:
        return sign * (int(whole[:degree_digits]) + (int(whole[degree_digits:]) + frac_value) / 60)
    if digits == degree_digits + 4:
        d, mm, ss = whole[:degree_digits], whole[degree_digits:-2], whole[-2:]
        return sign * (int(d) + int(mm) / 60 + (int(ss) + frac_value) / 3600)
    return None


# -- value helpers -----------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if value is None:
        return None
    text = str(value).strip("\x00 \t\r\n")
    return text or None


def _int(value: Any) -> int | None:
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _parse_number(value: Any) -> float | None:
    """A float from a number, a Pillow rational or an XMP rational "n/d"."""
    try:
        if isinstance(value, str) and "/" in value:
            num, den = value.split("/", 1)
            number = float(num) / float(den)
        elif value is None:
            return None
        else:
            number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(number, 6) if math.isfinite(number) else None


def _fraction_text(value: Any) -> str | None:
    """An exposure time as photographers write it: "1/125", "2/1"."""
    number = _parse_number(value)
    if number is None or number <= 0:
        return None
    frac = Fraction(number).limit_denominator(100000)
    if number < 1 and frac.numerator != 1:
        frac = Fraction(1, round(1 / number))
    return f"{frac.numerator}/{frac.denominator}"


def _rational(value: float) -> str:
    frac = Fraction(value).limit_denominator(10000)
    return f"{frac.numerator}/{frac.denominator}"


def _gps_coordinate(value: float, refs: str) -> str:
    """XMP GPSCoordinate "DDD,MM.mmmmmmk" (k = N/S or E/W)."""
    ref = refs[1] if value < 0 else refs[0]
    value = abs(value)
    degrees = int(value)
    minutes = (value - degrees) * 60
    return f"{degrees},{minutes:.6f}{ref}"


def _parse_gps_coordinate(value: Any) -> float | None:
    """A float from XMP "DDD,MM,SSk" or "DDD,MM.mmk" (or a plain number)."""
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str) or not value or value[-1].upper() not in "NSEW":
        return None
    parts = value[:-1].split(",")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return None
    if not 1 <= len(nums) <= 3:
        return None
    deg = (
        nums[0] + (nums[1] / 60 if len(nums) > 1 else 0) + (nums[2] / 3600 if len(nums) > 2 else 0)
    )
    return -deg if value[-1].upper() in "SW" else deg
