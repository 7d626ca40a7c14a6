"""Recognize media from its bytes, not its name.

Only the leading bytes are read, so a hostile or huge file costs nothing here, and
FIFOs or devices are refused before they are opened (opening a FIFO can block).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ._limits import check_memory_cost
from .errors import InputError, UnsupportedFormatError

__all__ = ["MediaType", "detect", "check_regular_file", "open_regular"]

_HEAD = 512  # enough for an SVG root element after an XML prolog


@dataclass(frozen=True)
class MediaType:
    """A content type recognized from a file's leading bytes."""

    mime: str
    kind: str  # "image", "video", "audio" or "document"
    extension: str


_JPEG = MediaType("image/jpeg", "image", "jpg")
_PNG = MediaType("image/png", "image", "png")
_GIF = MediaType("image/gif", "image", "gif")
_WEBP = MediaType("image/webp", "image", "webp")
_TIFF = MediaType("image/tiff", "image", "tif")
_HEIC = MediaType("image/heic", "image", "heic")
_AVIF = MediaType("image/avif", "image", "avif")
_MP4 = MediaType("video/mp4", "video", "mp4")
_MOV = MediaType("video/quicktime", "video", "mov")
_M4A = MediaType("audio/mp4", "audio", "m4a")
_AVI = MediaType("video/avi", "video", "avi")
_WAV = MediaType("audio/wav", "audio", "wav")
_MP3 = MediaType("audio/mpeg", "audio", "mp3")
_FLAC = MediaType("audio/flac", "audio", "flac")
_PDF = MediaType("application/pdf", "document", "pdf")
_SVG = MediaType("image/svg+xml", "image", "svg")
_C2PA = MediaType("application/c2pa", "manifest", "c2pa")

_FTYP_BRANDS = {
    b"qt  ": _MOV,
    b"M4A ": _M4A,
    b"M4B ": _M4A,
    b"heic": _HEIC,
    b"heix": _HEIC,
    b"mif1": _HEIC,
    b"msf1": _HEIC,
    b"avif": _AVIF,
    b"avis": _AVIF,
}


def check_regular_file(path: Path) -> os.stat_result:
    """Stat `path` and refuse anything that is not a readable, non-empty regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as e:
        raise InputError(f"{path}: cannot access ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file (device, FIFO or socket)")
    if st.st_size == 0:
        raise InputError(f"{path}: file is empty")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied")
    return st


# Opening a FIFO for reading blocks until a writer comes, unless non-blocking; POSIX has
# these flags, Windows does not (and has no FIFOs to open by path), where they are 0.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


def open_regular(path: Path) -> BinaryIO:
    """Open `path` for reading only if it is still a regular file when opened: checking
    first and opening later would let a FIFO swapped in between block us forever."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{path}: not a regular file (device, FIFO or socket)")
    return os.fdopen(fd, "rb")


def _sniff(head: bytes) -> MediaType | None:
    if head.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _WAV
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return _AVI
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return _TIFF
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], _MP4)
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return _MP3
    if head.startswith(b"fLaC"):
        return _FLAC
    if head.startswith(b"%PDF-"):
        return _PDF
    if head[4:8] == b"jumb":
        return _C2PA
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in head.lower()):
        return _SVG
    return None


def detect(path: Path) -> MediaType:
    """Return the media type of `path` from its content, or raise a user-facing error."""
    st = check_regular_file(path)
    try:
        with open_regular(path) as f:
            head = f.read(_HEAD)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    media = _sniff(head)
    if media is None:
        raise UnsupportedFormatError(f"{path}: not a supported media format")
    check_memory_cost(path, media.mime, st.st_size)
    return media
