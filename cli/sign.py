"""provenance sign"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

import provenance
from provenance._vocab import ACTIONS, SOURCE_TYPES
from provenance.errors import UsageError

from ._common import console, err_console, load_identity, progress_bar

__all__ = ["register", "sign"]


def sign(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT...",
            help="The media files to sign (never modified); several need --out-dir.",
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the signed file.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            help="Sign every input into this folder (made if missing), under its own name."
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="With --out-dir: files signed at once (default: cores)."),
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
    or not at all. With --out-dir, many files are signed at once, each into the folder
    under its own name; a file that fails is reported and never stops the others (exit
    code 2 at the end).

    Examples:

      provenance sign photo.jpg -o signed.jpg --key keys/signer.key --cert keys/signer.pem

      provenance sign clip.mp4 -o signed.mp4 --key k.pem --cert c.pem --author "A. Reporter"

      provenance sign edited.jpg -o out.jpg --key k.pem --cert c.pem --parent original.jpg
      --action cropped

      provenance sign card/DCIM/*.JPG --out-dir signed/ --key k.pem --cert c.pem --jobs 2
    """
    identity = load_identity(key, cert, p12, passphrase_env)
    if out_dir is not None:
        for given, name in ((output, "--output"), (title, "--title"), (parent, "--parent")):
            if given is not None:
                raise UsageError(f"{name} names one file; it cannot be used with --out-dir")
        _sign_batch(
            inputs,
            out_dir,
            identity=identity,
            author=author,
            action=action,
            source_type=source_type,
            tsa_url=tsa,
            sidecar=sidecar,
            force=force,
            fingerprints=not no_fingerprints,
            jobs=jobs,
            as_json=as_json,
        )
        return
    if len(inputs) > 1:
        raise UsageError(f"{len(inputs)} files given: sign several with --out-dir DIR")
    if jobs is not None:
        raise UsageError("--jobs applies to several files signed with --out-dir")
    (input,) = inputs
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


def _sign_batch(inputs: list[Path], out_dir: Path, *, as_json: bool, **options: Any) -> None:
    with progress_bar(f"signing {len(inputs)} files", enabled=not as_json) as progress:
        batch = provenance.sign_many(inputs, out_dir, progress=progress, **options)
    if as_json:
        console.print_json(json.dumps(batch.to_dict()))
    else:
        # Each reason once: one that every input shares (a bad timestamp URL, say) is
        # not repeated for each.
        failed: dict[str, list[str]] = {}
        for row in batch.rows:
            if row.error is not None:
                failed.setdefault(row.error, []).append(row.input)
        for error, rows in failed.items():
            also = f" ({len(rows)} files)" if len(rows) > 1 else ""
            err_console.print(f"error: {error}{also}", markup=False)
        n = batch.summary()
        console.print(
            f"signed {n['signed']} of {n['inputs']} files into {batch.out_dir}"
            + (f"; {n['failed']} failed" if n["failed"] else ""),
            markup=False,
        )
    raise typer.Exit(int(batch.exit_code))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(sign)
