"""Remove redacted capture metadata from a copy of a file, without re-encoding it.

The copy is what gets signed, so the signature covers the stripped bytes and a
redacted GPS tag cannot stay readable in the signed file.

- JPEG: the segments before the image data are rewritten; the compressed image data
  is copied byte for byte. The EXIF APP1 segment is re-serialized by Pillow without the
  redacted tags (its MakerNote is dropped too: it can hold serial numbers, times and
  positions, and Pillow cannot keep its internal offsets valid). An XMP packet or an
  IPTC (Photoshop APP13) block that carries a redacted field is removed whole.
- PNG: the same for the eXIf chunk, XMP and raw-profile text chunks, and for the
  time group the tIME chunk and "Creation Time" text; image data chunks are untouched.
- MP4/MOV: remuxed by PyAV with stream copy (no re-encoding): the video and audio
  streams are kept, the container and stream tags of the redacted groups are not.
  Other tracks (timed metadata, telemetry such as GoPro GPS, timecode) are dropped,
  because they can carry positions and times we cannot inspect.

Other formats are refused when they carry metadata of a redacted group (a clear error
rather than a file that still leaks it). Secondary images appended to a JPEG (MPF,
gain maps) are copied as they are; if one carries EXIF of a redacted group the file is
refused.
"""

from __future__ import annotations

import fnmatch
import io
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import ExifTags, Image

from ._capture import (
    PNG_SIGNATURE,
    VIDEO_METADATA_ONLY,
    png_chunks,
    read_capture,
    video_facts,
    video_tags,
)
from ._media import MediaType
from .errors import InputError, UnsupportedFormatError
from .models import Redaction

__all__ = ["Stripped", "leftovers", "shows_location", "strip"]

Groups = frozenset[Redaction]


@dataclass(frozen=True)
class Stripped:
    """The file to sign after stripping, and which groups were found in it."""

    path: Path  # the file to sign: a stripped copy, or the input when nothing was there
    removed: tuple[Redaction, ...]  # groups that had fields in the file's own metadata


def strip(src: Path, media: MediaType, groups: Iterable[Redaction], workdir: Path) -> Stripped:
    """Write a copy of `src` into `workdir` without the metadata of `groups`."""
    wanted: Groups = frozenset(groups)
    if not wanted:
        return Stripped(src, ())
    dst = workdir / f"stripped.{media.extension}"
    try:
        if media.mime == "image/jpeg":
            removed = _copy_jpeg(src, dst, wanted)
        elif media.mime == "image/png":
            removed = _copy_png(src, dst, wanted)
        elif media.mime in ("video/mp4", "video/quicktime", "video/x-m4v"):
            removed = _remux(src, dst, media, wanted)
        elif media.kind != "image":
            raise UnsupportedFormatError(
                f"{src}: cannot redact metadata from {media.mime} files yet; "
                "sign it without --redact"
            )
        else:
            try:
                found = leftovers(src, media, wanted)
            except InputError:
                found = ["its"]  # unreadable here: it may hold anything
            if found:
                raise UnsupportedFormatError(
                    f"{src}: cannot remove {', '.join(found)} metadata from {media.mime} "
                    "files yet; convert it to JPEG, PNG or MP4 first, or sign without --redact"
                )
            return Stripped(src, ())
    except OSError as e:
        raise InputError(f"{src}: cannot copy without its metadata ({e.strerror or e})") from None
    ordered = tuple(r for r in Redaction if r in removed)
    if not removed:
        dst.unlink(missing_ok=True)
        return Stripped(src, ())
    left = leftovers(dst, media, wanted)
    if left:  # a guard on our own work: never sign a copy that still leaks
        raise InputError(f"{src}: {', '.join(left)} metadata could not be removed")
    return Stripped(dst, ordered)


def leftovers(
    path: Path, media: MediaType, groups: Iterable[Redaction], *, thorough: bool = True
) -> list[str]:
    """The groups of which `path` still has readable capture metadata.

    thorough: search a JPEG's image data for EXIF of images appended after the primary
    one even when the file does not index them (MPF); a quick look (False) skips that
    search, which reads the whole file."""
    wanted: Groups = frozenset(groups)
    if media.kind == "video":
        tags = video_tags(path)
        found = {g for g in wanted if video_facts(tags).has(g)} | _tag_hits(tags, wanted)
        return [g.value for g in Redaction if g in found]
    found = set()
    exif = True  # whether Pillow may find EXIF to read capture facts from
    if media.mime == "image/jpeg":
        with open(path, "rb") as f:
            indexed = exif = False
            for marker, payload in _jpeg_segments(f):
                found |= _segment_hits(marker, payload, wanted)
                indexed |= marker == _APP2 and payload.startswith(_MPF_HEAD)
                exif |= marker == _APP1 and payload.startswith(_EXIF_HEAD)
            if thorough or indexed:
                found |= _trailing_exif_hits(f.read(), wanted)
    elif media.mime == "image/png":
        with open(path, "rb") as f:
            for ctype, data in png_chunks(f):
                found |= _chunk_hits(ctype, data, wanted)
    if exif:  # Pillow reads a JPEG's EXIF from its EXIF segment only: none, nothing to read
        facts = read_capture(path, media, strict=True)
        found |= {g for g in wanted if facts.has(g)}
    return [g.value for g in Redaction if g in found]


def shows_location(path: Path, media: MediaType) -> bool:
    """Whether `path`'s own metadata gives away where it was made (a GPS position or a
    place, in EXIF, XMP, IPTC or container tags). False when there is none we can read."""
    if media.kind not in ("image", "video"):
        return False
    try:
        return bool(leftovers(path, media, [Redaction.LOCATION], thorough=False))
    except InputError:
        return False  # metadata we cannot parse is not reported as a location


# -- EXIF (shared by JPEG and PNG) ---------------------------------------------------------

_B = ExifTags.Base
_G = ExifTags.GPS
_IFD0_TAGS = {
    Redaction.DEVICE: (_B.Make, _B.Model, _B.Software, _B.HostComputer),
    Redaction.TIME: (_B.DateTime,),
    Redaction.LOCATION: (),
}
_SUB_TAGS = {
    Redaction.DEVICE: (
        _B.BodySerialNumber, _B.CameraOwnerName, _B.LensMake, _B.LensModel,
        _B.LensSerialNumber, _B.LensSpecification,
    ),
    Redaction.TIME: (
        _B.DateTimeOriginal, _B.DateTimeDigitized, _B.OffsetTime, _B.OffsetTimeOriginal,
        _B.OffsetTimeDigitized, _B.SubsecTime, _B.SubsecTimeOriginal, _B.SubsecTimeDigitized,
    ),
    Redaction.LOCATION: (),
}  # fmt: skip
_GPS_TIME_TAGS = (_G.GPSTimeStamp, _G.GPSDateStamp)


def _exif_hits(exif: Image.Exif, groups: Groups) -> set[Redaction]:
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    hits = set()
    for g in groups:
        if any(t in exif for t in _IFD0_TAGS[g]) or any(t in sub for t in _SUB_TAGS[g]):
            hits.add(g)
    if Redaction.LOCATION in groups and any(t not in _GPS_TIME_TAGS for t in gps):
        hits.add(Redaction.LOCATION)
    if Redaction.TIME in groups and any(t in gps for t in _GPS_TIME_TAGS):
        hits.add(Redaction.TIME)
    return hits


def _loaded_exif(data: bytes, groups: Groups) -> tuple[Image.Exif | None, set[Redaction]]:
    """EXIF (with or without the "Exif\\0\\0" header) parsed, and the groups it holds;
    None when it cannot be parsed (then it could hold anything: every group)."""
    exif = Image.Exif()
    try:
        exif.load(data)
        return exif, _exif_hits(exif, groups)
    except (OSError, ValueError, SyntaxError, struct.error, KeyError):
        return None, set(groups)


def _clean_exif(data: bytes, groups: Groups) -> tuple[bytes | None, set[Redaction]]:
    """EXIF (with or without the "Exif\\0\\0" header) without `groups`; None when
    nothing is left. Returns the input unchanged when it holds nothing of `groups`."""
    exif, hits = _loaded_exif(data, groups)
    if exif is None:
        return None, hits  # unreadable EXIF could hold anything: dropped, not kept
    if not hits:
        return data, set()
    fresh = Image.Exif()
    for tag, value in exif.items():
        if tag in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop):
            continue
        if not any(tag in _IFD0_TAGS[g] for g in groups):
            fresh[tag] = value
    sub = {
        t: v
        for t, v in exif.get_ifd(ExifTags.IFD.Exif).items()
        if t != _B.MakerNote and not any(t in _SUB_TAGS[g] for g in groups)
    }
    gps = {
        t: v
        for t, v in exif.get_ifd(ExifTags.IFD.GPSInfo).items()
        if Redaction.LOCATION not in groups
        and not (Redaction.TIME in groups and t in _GPS_TIME_TAGS)
    }
    if sub:
        fresh[ExifTags.IFD.Exif] = sub
    if gps:
        fresh[ExifTags.IFD.GPSInfo] = gps
    if not len(fresh):
        return None, hits
    return fresh.tobytes(), hits


# -- XMP and IPTC --------------------------------------------------------------------------

_NS = {
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "aux": "http://ns.adobe.com/exif/1.0/aux/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "xmpDM": "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
}
_XMP_FIELDS = {
    Redaction.LOCATION: (
        "exif:GPS*", "photoshop:City", "photoshop:State", "photoshop:Country",
        "Iptc4xmpCore:Location", "Iptc4xmpCore:CountryCode", "Iptc4xmpExt:LocationCreated",
        "Iptc4xmpExt:LocationShown", "xmpDM:shotLocation",
    ),
    Redaction.DEVICE: (
        "tiff:Make", "tiff:Model", "tiff:Software", "exifEX:Lens*", "exifEX:BodySerialNumber",
        "exifEX:CameraOwnerName", "aux:*", "xmp:CreatorTool", "xmpDM:camera*",
    ),
    Redaction.TIME: (
        "exif:DateTime*", "exif:GPSTimeStamp", "exifEX:OffsetTime*", "tiff:DateTime",
        "xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate", "photoshop:DateCreated",
        "xmpDM:shotDate", "xmpMM:History",
    ),
}  # fmt: skip


def _xmp_hits(packet: bytes, groups: Groups) -> set[Redaction]:
    patterns = {
        g: [(_NS[p.split(":")[0]], p.split(":")[1]) for p in _XMP_FIELDS[g]] for g in groups
    }
    try:
        root = fromstring(packet.strip(b"\x00 \t\r\n"))
    except (ParseError, DefusedXmlException, ValueError):
        return set(groups)  # unreadable XMP could hold anything

    def names(el: Element) -> Iterable[str]:
        yield el.tag
        yield from el.attrib

    hits = set()
    for el in root.iter():
        for name in names(el):
            if not name.startswith("{"):
                continue
            ns, _, local = name[1:].partition("}")
            for g, pats in patterns.items():
                if any(ns == pns and fnmatch.fnmatchcase(local, pl) for pns, pl in pats):
                    hits.add(g)
    return hits


# IPTC IIM datasets (record 2) per group.
_IPTC = {
    Redaction.LOCATION: (90, 92, 95, 100, 101),  # city, sublocation, state, country
    Redaction.TIME: (55, 60, 62, 63),  # date/time created, digital creation date/time
    Redaction.DEVICE: (65, 70),  # originating program and its version
}


def _iptc_hits(block: bytes, groups: Groups) -> set[Redaction]:
    """Groups with an IPTC dataset in `block` (a cautious scan of the IIM tags)."""
    hits = set()
    for g in groups:
        if any(bytes((0x1C, 2, ds)) in block for ds in _IPTC[g]):
            hits.add(g)
    return hits


# -- JPEG ------------------------------------------------------------------------------------

_EXIF_HEAD = b"Exif\x00\x00"
_XMP_HEADS = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
_MPF_HEAD = b"MPF\x00"  # the index of the images a JPEG carries after the primary one
_APP1, _APP2, _APP13 = 0xE1, 0xE2, 0xED


def _jpeg_segments(f: io.BufferedReader | Any) -> Iterable[tuple[int, bytes]]:
    """(marker, payload) for each segment before the image data; `f` is left at the SOS
    (or EOI) marker, which is not yielded."""
    if f.read(2) != b"\xff\xd8":
        raise InputError("not a JPEG file")
    while True:
        head = f.read(2)
        while head[:1] == b"\xff" and head[1:] == b"\xff":  # fill bytes
            head = b"\xff" + f.read(1)
        if len(head) < 2 or head[0] != 0xFF:
            raise InputError("the JPEG structure is damaged")
        marker = head[1]
        if marker in (0xDA, 0xD9):
            f.seek(-2, io.SEEK_CUR)
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            yield marker, b""
            continue
        size = f.read(2)
        if len(size) < 2 or int.from_bytes(size) < 2:
            raise InputError("the JPEG structure is damaged")
        payload = f.read(int.from_bytes(size) - 2)
        if len(payload) != int.from_bytes(size) - 2:
            raise InputError("the JPEG file is truncated")
        yield marker, payload


def _segment_hits(marker: int, payload: bytes, groups: Groups) -> set[Redaction]:
    if marker == _APP1 and payload.startswith(_EXIF_HEAD):
        return _loaded_exif(payload, groups)[1]
    if marker == _APP1 and payload.startswith(_XMP_HEADS):
        head = next(h for h in _XMP_HEADS if payload.startswith(h))
        body = payload[len(head) :]
        if head == _XMP_HEADS[1]:
            body = body[40:]  # GUID (32) + full length (4) + offset (4)
        return _xmp_hits(body, groups)
    if marker == _APP13 and payload.startswith(b"Photoshop 3.0\x00"):
        return _iptc_hits(payload, groups)
    return set()


def _copy_jpeg(src: Path, dst: Path, groups: Groups) -> set[Redaction]:
    removed: set[Redaction] = set()
    with open(src, "rb") as f, open(dst, "wb") as out:
        out.write(b"\xff\xd8")
        for marker, payload in _jpeg_segments(f):
            hits = _segment_hits(marker, payload, groups)
            removed |= hits
            if hits:
                # EXIF loses only the redacted tags; other segments go whole.
                exif = marker == _APP1 and payload.startswith(_EXIF_HEAD)
                kept = _clean_exif(payload, groups)[0] if exif else None
                if kept is None:
                    continue
                payload = kept
            out.write(bytes((0xFF, marker)))
            if not (0xD0 <= marker <= 0xD7 or marker == 0x01):  # markers with a length
                out.write((len(payload) + 2).to_bytes(2) + payload)
        rest = f.read()
        if _trailing_exif_hits(rest, groups):
            raise UnsupportedFormatError(
                f"{src}: a secondary image in this JPEG carries redacted metadata; "
                "it cannot be removed without breaking the file"
            )
        out.write(rest)
    return removed


def _trailing_exif_hits(rest: bytes, groups: Groups) -> set[Redaction]:
    """Redacted EXIF in images appended after the primary one (MPF, gain maps). The EXIF
    header is searched for, not the APP1 marker: 0xFF starts many byte pairs of image
    data, which made the search three times slower."""
    hits: set[Redaction] = set()
    at = rest.find(_EXIF_HEAD, 6)
    while at != -1:
        if rest[at - 4 : at - 2] == b"\xff\xe1":
            size = int.from_bytes(rest[at - 2 : at])
            hits |= _loaded_exif(rest[at : at + size - 2], groups)[1]
        at = rest.find(_EXIF_HEAD, at + 1)
    return hits


# -- PNG -------------------------------------------------------------------------------------

_XMP_KEYWORD = b"XML:com.adobe.xmp"
_TIME_KEYWORDS = (b"Creation Time", b"date:create", b"date:modify", b"date:timestamp")


def _text_chunk(ctype: bytes, data: bytes) -> tuple[bytes, bytes | None]:
    """(keyword, text) of a tEXt/zTXt/iTXt chunk; text None when it cannot be read."""
    keyword, _, rest = data.partition(b"\x00")
    try:
        if ctype == b"tEXt":
            return keyword, rest
        if ctype == b"zTXt":
            return keyword, zlib.decompress(rest[1:])
        compressed = rest[0] == 1
        _lang, _, rest = rest[2:].partition(b"\x00")
        _translated, _, text = rest.partition(b"\x00")
        return keyword, zlib.decompress(text) if compressed else text
    except (zlib.error, IndexError):
        return keyword, None


def _chunk_hits(ctype: bytes, data: bytes, groups: Groups) -> set[Redaction]:
    if ctype == b"eXIf":
        return _loaded_exif(data, groups)[1]
    if ctype == b"tIME":
        return {Redaction.TIME} & groups
    if ctype in (b"tEXt", b"zTXt", b"iTXt"):
        keyword, text = _text_chunk(ctype, data)
        if keyword == _XMP_KEYWORD:
            return set(groups) if text is None else _xmp_hits(text, groups)
        if keyword.startswith(b"Raw profile type"):
            return set(groups)  # hex-encoded EXIF/XMP/IPTC: drop rather than decode
        if keyword in _TIME_KEYWORDS:
            return {Redaction.TIME} & groups
    return set()


def _copy_png(src: Path, dst: Path, groups: Groups) -> set[Redaction]:
    removed: set[Redaction] = set()
    with open(src, "rb") as f, open(dst, "wb") as out:
        out.write(PNG_SIGNATURE)
        for ctype, data in png_chunks(f):
            hits = _chunk_hits(ctype, data, groups)
            removed |= hits
            new: bytes | None = data
            if hits:
                new = None
                if ctype == b"eXIf":
                    cleaned, _ = _clean_exif(data, groups)
                    new = cleaned[len(_EXIF_HEAD) :] if cleaned else None
            if new is not None:
                out.write(struct.pack(">I4s", len(new), ctype) + new)
                out.write(struct.pack(">I", zlib.crc32(ctype + new)))
    return removed


# -- MP4 / MOV -------------------------------------------------------------------------------

_VIDEO_KEYS = {
    Redaction.LOCATION: ("*location*", "*gps*", "*iso6709*"),
    Redaction.DEVICE: (
        "*make*", "*model*", "*manufacturer*", "*software*", "*serial*", "*lens*",
        "*firmware*", "com.android.version",
    ),
    Redaction.TIME: ("creation_time", "*creationdate*", "date", "*date*", "*time*"),
}  # fmt: skip
# Tags the muxer writes itself (a remux replaces "encoder" and "vendor_id" with its own).
_MUXER_KEYS = {
    "major_brand", "minor_version", "compatible_brands", "handler_name", "language",
    "encoder", "vendor_id",
}  # fmt: skip


def _tag_group(key: str, groups: Groups) -> Redaction | None:
    key = key.lower()
    if key in _MUXER_KEYS:
        return None
    return next(
        (
            g
            for g in Redaction
            if g in groups and any(fnmatch.fnmatchcase(key, p) for p in _VIDEO_KEYS[g])
        ),
        None,
    )


def _tag_hits(tags: Iterable[str], groups: Groups) -> set[Redaction]:
    """The groups some of these tag names belong to."""
    return {g for k in tags if (g := _tag_group(k, groups)) is not None}


def _remux(src: Path, dst: Path, media: MediaType, groups: Groups) -> set[Redaction]:
    import av

    removed = _tag_hits(video_tags(src), groups)
    if not removed:
        return set()
    fmt = "mov" if media.mime == "video/quicktime" else "mp4"
    try:
        with (
            av.open(str(src), options=VIDEO_METADATA_ONLY) as inp,
            av.open(str(dst), "w", format=fmt, options={"movflags": "use_metadata_tags"}) as out,
        ):
            for k, v in inp.metadata.items():
                if k.lower() not in _MUXER_KEYS and _tag_group(k, groups) is None:
                    out.metadata[k] = v
            streams = {}
            for s in inp.streams:
                if s.type not in ("video", "audio"):
                    continue
                o = out.add_stream_from_template(s)
                for k, v in s.metadata.items():
                    if _tag_group(k, groups) is None:
                        o.metadata[k] = v
                streams[s.index] = o
            for packet in inp.demux(*[inp.streams[i] for i in streams]):
                if packet.dts is None:
                    continue
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    except av.error.FFmpegError as e:
        raise InputError(f"{src}: cannot remux without its tags ({e})") from None
    return removed
