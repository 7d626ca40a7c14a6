"""provenance sign"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import provenance
from provenance._vocab import ACTIONS, SOURCE_TYPES

from ._common import console, load_identity, progress_bar

__all__ = ["register", "sign"]


def sign(
    input: Annotated[Path, typer.Argument(help="The media file to sign (never modified).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the signed file.")
    ] = None,
    key: Annotated[Path | None, typer.Option(help="Signer private key (PEM).")] = None,
    cert: Annotated[Path | None, typer.Option(help="Signer certificate chain (PEM).")] = None,
    p12: Annotated[Path | None, typer.Option(help="Key and chain as PKCS#12 instead.")] = None,
    passphrase_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the key's passphrase.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title; default: the file name.")] = None,
    author: Annotated[str | None, typer.Option(help="Author's name.")] = None,
    action: Annotated[str, typer.Option(help=f"What was done: {', '.join(ACTIONS)}.")] = "created",
    source_type: Annotated[
        str | None,
        typer.Option(help=f"IPTC digital source type: {', '.join(SOURCE_TYPES)}."),
    ] = None,
    parent: Annotated[
        Path | None, typer.Option(help="The original this file was edited from.")
    ] = None,
    tsa: Annotated[str | None, typer.Option(help="RFC 3161 timestamp authority URL.")] = None,
    sidecar: Annotated[
        bool, typer.Option(help="Leave the asset alone; write the manifest to OUTPUT.c2pa.")
    ] = False,
    no_fingerprints: Annotated[
        bool, typer.Option(help="Skip frame/region fingerprints (video, images).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Replace an existing output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Sign a photo, video or audio file with C2PA content credentials.

    The format is detected from the content. The output appears atomically: complete,
    or not at all.

    Examples:

      provenance sign photo.jpg -o signed.jpg --key keys/signer.key --cert keys/signer.pem

      provenance sign clip.mp4 -o signed.mp4 --key k.pem --cert c.pem --author "A. Reporter"

      provenance sign edited.jpg -o out.jpg --key k.pem --cert c.pem --parent original.jpg
      --action cropped
    """
    identity = load_identity(key, cert, p12, passphrase_env)
    with progress_bar(f"fingerprinting {input.name}") as progress:
        result = provenance.sign(
            input,
            output,
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
    if as_json:
        console.print_json(json.dumps(result.to_dict()))
        return
    what = "manifest store" if result.sidecar else "signed file"
    frames = f", {result.frames_signed} frames fingerprinted" if result.frames_signed else ""
    console.print(f"{what} written: {result.output} ({result.format}{frames})")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(sign)
