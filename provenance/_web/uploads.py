"""A multipart upload streamed to disk as it arrives (python-multipart's streaming parser):
the field `file` and the optional field `sidecar`, each into a file of the server's
naming in the request's own folder. Nothing the sender names reaches the file system;
other fields are read and dropped; the body's size is counted against the cap."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

__all__ = [
    "FILE",
    "SIDECAR",
    "Received",
    "TooLarge",
    "UploadRefused",
    "display_name",
    "receive",
]

FILE = "file"
SIDECAR = "sidecar"
_SAVED_AS = {FILE: "upload", SIDECAR: "upload.c2pa"}  # found as a sidecar by `verify`
_MAX_PARTS = 16
_MAX_NAME = 200  # characters of a sender's file name kept for display


class UploadRefused(Exception):
    """The request is not an upload this server takes (400 or 415: `status`)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class TooLarge(Exception):
    """The body is larger than the server's upload cap (413)."""


@dataclass
class Received:
    """The files saved, by field, and the names their sender gave them."""

    paths: dict[str, Path] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


def display_name(raw: bytes) -> str:
    """A sender's file name fit to show: its last path component, printable, bounded."""
    name = raw.decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:_MAX_NAME] or "upload"


async def receive(
    content_type: str, body: AsyncIterator[bytes], folder: Path, *, max_bytes: int
) -> Received:
    """Stream a multipart/form-data body into `folder`. Raises `UploadRefused` for a body
    that is not one (or has no `file`), `TooLarge` past `max_bytes`."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadRefused(
            "send the file as multipart/form-data, in the field 'file' "
            "(and its .c2pa sidecar, if any, in 'sidecar')",
            415,
        )
    parts = _Parts(folder)
    parser = MultipartParser(
        boundary,
        {
            "on_header_field": parts.on_header_field,
            "on_header_value": parts.on_header_value,
            "on_header_end": parts.on_header_end,
            "on_headers_finished": parts.on_headers_finished,
            "on_part_data": parts.on_part_data,
            "on_part_end": parts.close,
            "on_end": parts.on_end,
        },
    )
    size = 0
    try:
        async for chunk in body:
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"the upload is larger than this server's limit ({max_bytes} bytes)")
            parser.write(chunk)
        parser.finalize()
    except FormParserError as e:
        raise UploadRefused(f"malformed multipart form ({e})") from None
    finally:
        parts.close()
    if not parts.ended:
        raise UploadRefused("the upload ended early")
    if FILE not in parts.got.paths:
        raise UploadRefused("no file: send it in the form field 'file'")
    return parts.got


class _Parts:
    """The parser's callbacks: each part's headers, then its data into its file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.got = Received()
        self.count = 0
        self.ended = False
        self.field = self.value = b""
        self.headers: dict[bytes, bytes] = {}
        self.out: BinaryIO | None = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.field.strip().lower()] = self.value.strip()
        self.field = self.value = b""

    def on_headers_finished(self) -> None:
        self.count += 1
        if self.count > _MAX_PARTS:
            raise UploadRefused("too many parts in the form")
        _, disposition = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.headers.clear()
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if name not in _SAVED_AS:
            return  # an unknown field: its data is dropped
        if name in self.got.paths:
            raise UploadRefused(f"the field {name!r} is given twice")
        path = self.folder / _SAVED_AS[name]
        self.got.paths[name] = path
        self.got.names[name] = display_name(disposition.get(b"filename", b""))
        self.out = open(path, "xb")  # noqa: SIM115 - closed at the part's end

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.out is not None:
            self.out.write(data[start:end])

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None

    def on_end(self) -> None:
        self.ended = True
