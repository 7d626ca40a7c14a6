"""provenance sign"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console

import provenance
from provenance._vocab import ACTIONS, SOURCE_TYPES
from provenance.errors import UsageError
from provenance.models import SignResult

from ._common import Command, console, err_console, load_identity, progress_bar

__all__ = ["register", "render", "sign"]


def sign(
    input: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="The media file (or folder of frames) to sign."),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to write the signed file; - writes it to standard output.",
        ),
    ] = None,  # fmt: skip
    key: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Signer private key (PEM).")
    ] = None,
    cert: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Signer certificate chain (PEM).")
    ] = None,
    p12: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Key and chain as PKCS#12 instead.")
    ] = None,
    passphrase_env: Annotated[
        str | None,
        typer.Option(metavar="VAR", help="Environment variable holding the key's passphrase."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title; default: the file name.")] = None,
    author: Annotated[str | None, typer.Option(metavar="NAME", help="Author's name.")] = None,
    action: Annotated[
        str | None,
        typer.Option(
            help=f"What was done: {', '.join(ACTIONS)}. Default: opened for a file that "
            "already carries credentials (they become its parent ingredient), else created."
        ),
    ] = None,
    source_type: Annotated[
        str | None,
        typer.Option(
            metavar="TYPE",
            help="How the asset was made (IPTC digital source type; required to sign a new "
            f"asset as created): {', '.join(SOURCE_TYPES)}.",
        ),
    ] = None,
    parent: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="The original this file was edited from."),
    ] = None,
    tsa: Annotated[
        str | None, typer.Option(metavar="URL", help="RFC 3161 timestamp authority URL.")
    ] = None,
    sidecar: Annotated[
        bool,
        typer.Option("--sidecar", help="Leave the asset alone; write the manifest to FILE.c2pa."),
    ] = False,
    no_fingerprints: Annotated[
        bool,
        typer.Option("--no-fingerprints", help="Skip frame/region fingerprints (video, images)."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing output (a regular file only).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Sign a photo, video or audio file with C2PA content credentials.

    The format is detected from the content. The output appears atomically: complete,
    or not at all. A new asset is signed as created and must say how it was made
    (--source-type). A file that already carries content credentials keeps them: they
    become the parent ingredient of the new manifest, which records an edit (opened, or
    the --action given), never a creation; credentials that do not validate are kept too,
    with what was wrong, and the output says so.

    Examples:

      provenance sign photo.jpg -o signed.jpg --key keys/signer.key --cert keys/signer.pem --source-type digitalCapture

      provenance sign clip.mp4 -o signed.mp4 --key k.pem --cert c.pem --author "A. Reporter" --source-type digitalCapture

      provenance sign edited.jpg -o out.jpg --key k.pem --cert c.pem --parent original.jpg --action cropped

      provenance sign signed.jpg -o - --key k.pem --cert c.pem --action published > published.jpg
    """  # noqa: E501 - examples are kept whole
    identity = load_identity(key, cert, p12, passphrase_env)
    target: Path | BinaryIO | None = output
    if output == Path("-"):
        if sys.stdout.isatty():
            raise UsageError("standard output is a terminal: redirect it (-o - > FILE)")
        target = sys.stdout.buffer
    with progress_bar(f"fingerprinting {input.name}") as progress:
        result = provenance.sign(
            input,
            target,
            identity=identity,
            title=title,
            author=author,
            action=action,
            source_type=source_type,
            parent=parent,
            tsa_url=tsa,
            sidecar=sidecar,
            force=force,
            fingerprints=not no_fingerprints,
            progress=progress,
        )
    # The signed bytes own standard output when they go there.
    out = err_console if result.output == "-" else console
    if as_json:
        out.print_json(json.dumps(result.to_dict()))
    else:
        render(result, out)
    if result.parent is not None and not result.parent.intact:
        err_console.print(
            f"warning: {result.parent.path}'s own credentials do not validate "
            f"({result.parent.verdict.value}: {result.parent.message}); they are kept as the "
            "parent ingredient, with what was wrong",
            markup=False,
        )


def render(result: SignResult, out: Console = console) -> None:
    """What was written and what the new manifest records, for people."""
    what = "manifest store" if result.sidecar else "signed file"
    where = "standard output" if result.output == "-" else result.output
    frames = f", {result.frames_signed} frames fingerprinted" if result.frames_signed else ""
    out.print(f"{what} written: {where} ({result.format}{frames})", markup=False)
    kind = f" ({result.source_type.rsplit('/', 1)[-1]})" if result.source_type else ""
    out.print(f"  action     {result.action}{kind}", markup=False)
    if result.parent is not None:
        p = result.parent
        own = "no credentials" if p.manifest is None else f"its credentials: {p.verdict.value}"
        out.print(f"  parent     {p.path} ({own})", markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=Command)(sign)
