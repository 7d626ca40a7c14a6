"""provenance sign"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

import provenance
from provenance._vocab import ACTIONS, CAWG_ROLES, SOURCE_TYPES
from provenance.errors import UsageError
from provenance.models import Redaction

from ._common import Command, console, err_console, load_identity, progress_bar
from ._describe import capture_line

if TYPE_CHECKING:  # the library's parts load when the command runs, not for its help
    from rich.console import Console

    from provenance.identity import Creator
    from provenance.models import SignResult

__all__ = ["register", "render", "sign"]


def sign(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="The media files (or a folder of frames) to sign, never modified; several "
            "need --out-dir.",
        ),
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
    out_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Sign every input into this folder (made if missing), under its own name.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="With --out-dir: files signed at once (default: cores).",
        ),
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
    identity_key: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            rich_help_panel="Who made it",
            help="Creator's private key (PEM): adds their CAWG identity assertion, signed "
            "with their own key, next to the claim signer's signature.",
        ),
    ] = None,
    identity_cert: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            rich_help_panel="Who made it",
            help="Creator's certificate chain (PEM), e.g. from keygen --identity.",
        ),
    ] = None,
    identity_p12: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            rich_help_panel="Who made it",
            help="Creator's key and chain as PKCS#12 instead.",
        ),
    ] = None,
    identity_role: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ROLE",
            rich_help_panel="Who made it",
            help=f"The creator's role (repeatable; default cawg.creator): {', '.join(CAWG_ROLES)}, "
            "or a namespaced label such as com.example.photographer.",
        ),
    ] = None,
    identity_passphrase_env: Annotated[
        str | None,
        typer.Option(
            metavar="VAR",
            rich_help_panel="Who made it",
            help="Environment variable holding the creator key's passphrase.",
        ),
    ] = None,
    capture_metadata: Annotated[
        bool | None,
        typer.Option(
            "--capture-metadata/--no-capture-metadata",
            rich_help_panel="How it was made",
            help="Record the file's camera, lens, capture time, exposure and position "
            "(from its EXIF or container tags) in the manifest. Default: on for a created "
            "digitalCapture or computationalCapture asset.",
        ),
    ] = None,
    redact: Annotated[
        list[Redaction] | None,
        typer.Option(
            metavar="GROUP",
            rich_help_panel="How it was made",
            help="Withhold location, device or time (repeatable): left out of the manifest, "
            "which records the redaction, and stripped from the signed file's own metadata "
            "(JPEG, PNG, MP4/MOV).",
        ),
    ] = None,
    register_in: Annotated[
        str | None,
        typer.Option(
            "--register",
            metavar="REG",
            help="Then register the signed file in this manifest registry (a SQLite file, "
            "postgresql:// or http(s):// URL), so stripped copies of it can be found.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Sign a photo, video or audio file with C2PA content credentials.

    The format is detected from the content. The output appears atomically: complete,
    or not at all. A new asset is signed as created and must say how it was made
    (--source-type). A file that already carries content credentials keeps them: they
    become the parent ingredient of the new manifest, which records an edit (opened, or
    the --action given), never a creation; credentials that do not validate are kept too,
    with what was wrong, and the output says so.

    With --out-dir, many files are signed at once, each into the folder under its own
    name, each as it would be alone; a file that fails is reported and never stops the
    others (exit code 2 at the end).

    Examples:

      provenance sign photo.jpg -o signed.jpg --key keys/signer.key --cert keys/signer.pem --source-type digitalCapture

      provenance sign clip.mp4 -o signed.mp4 --key k.pem --cert c.pem --author "A. Reporter" --source-type digitalCapture

      provenance sign edited.jpg -o out.jpg --key k.pem --cert c.pem --parent original.jpg --action cropped

      provenance sign signed.jpg -o - --key k.pem --cert c.pem --action published > published.jpg

      provenance sign photo.jpg -o out.jpg --key k.pem --cert c.pem --source-type digitalCapture --identity-key me/creator.key --identity-cert me/creator.pem --redact location

      provenance sign card/DCIM/*.JPG --out-dir signed/ --key k.pem --cert c.pem --source-type digitalCapture --jobs 2
      provenance sign clip.mp4 -o signed.mp4 --key k.pem --cert c.pem --source-type digitalCapture --register registry.db

    Who made it: --identity-key/--identity-cert (or --identity-p12) add the creator's
    CAWG identity assertion, signed with their own key, beside the claim signer's
    signature; it covers the hard binding, the actions and the capture metadata. The
    identity signature carries no timestamp of its own.

    How it was made: capture metadata is recorded for a created digitalCapture asset, or
    with --capture-metadata. --redact location leaves the GPS position out of the
    manifest and strips it from the output's own EXIF, XMP and container tags: the
    signature covers the stripped bytes; the input is never modified.

    Stripped copies: photos and video are signed with a soft binding (a c2pa.soft-binding
    assertion, algorithm org.provenance.fingerprint.2) beside their frame or region
    fingerprints; --register adds the signed file to a manifest registry, where
    `verify --lookup` finds it from a stripped, re-encoded or locally edited copy.
    """  # noqa: E501 - examples are kept whole
    from provenance import _still

    # A photo starts decoding on the other core while the C2PA library, the key and
    # NumPy load; signing takes it from there (benchmarks/sign_verify_speed.py).
    single = out_dir is None and len(inputs) == 1
    with _still.prefetched(inputs[0]) if single else contextlib.nullcontext():
        identity = load_identity(key, cert, p12, passphrase_env)
        creator = _creator(
            identity_key, identity_cert, identity_p12, identity_role, identity_passphrase_env
        )
        if register_in is not None and (output == Path("-") or no_fingerprints):
            raise UsageError("--register needs a signed file (not -o -) with fingerprints")
        # What every file is signed with, alone or in a batch.
        options: dict[str, Any] = dict(
            identity=identity,
            author=author,
            action=action,
            source_type=source_type,
            tsa_url=tsa,
            sidecar=sidecar,
            force=force,
            fingerprints=not no_fingerprints,
            creator=creator,
            capture=capture_metadata,
            redact=redact or (),
        )
        if out_dir is not None:
            for given, name in ((output, "--output"), (title, "--title"), (parent, "--parent")):
                if given is not None:
                    raise UsageError(f"{name} names one file; it cannot be used with --out-dir")
            _sign_batch(
                inputs, out_dir, jobs=jobs, as_json=as_json, register_in=register_in, **options
            )
            return
        if len(inputs) > 1:
            raise UsageError(f"{len(inputs)} files given: sign several with --out-dir DIR")
        if jobs is not None:
            raise UsageError("--jobs applies to several files signed with --out-dir")
        (input,) = inputs
        target: Path | BinaryIO | None = output
        if output == Path("-"):
            if sys.stdout.isatty():
                raise UsageError("standard output is a terminal: redirect it (-o - > FILE)")
            target = sys.stdout.buffer
        with progress_bar(f"fingerprinting {input.name}") as progress:
            result = provenance.sign(
                input, target, title=title, parent=parent, progress=progress, **options
            )
        # The signed bytes own standard output when they go there.
        out = err_console if result.output == "-" else console
        if as_json:
            out.print_json(json.dumps(result.to_dict()))
        else:
            render(result, out)
        _warn_parent(result)
        if source_type is not None and result.action == "c2pa.opened":
            _warn_no_source_type(f"{input} is")
        if register_in is not None:
            _register([result.output], register_in)


def _warn_parent(result: SignResult) -> None:
    """Say when the input's own credentials, kept as the parent ingredient, fail."""
    if result.parent is not None and not result.parent.intact:
        err_console.print(
            f"warning: {result.parent.path}'s own credentials do not validate "
            f"({result.parent.verdict.value}: {result.parent.message}); they are kept as the "
            "parent ingredient, with what was wrong",
            markup=False,
        )


def _register(outputs: list[str], registry: str) -> None:
    for r in provenance.register(outputs, registry=registry):
        err_console.print(f"registered ({r.status.value}): {r.manifest_id}", markup=False)


def _warn_no_source_type(who: str) -> None:
    """--source-type was given for inputs recorded as opened (re-signed, unchanged), an
    action that carries no source type: the manifests do not record it."""
    err_console.print(
        f"warning: {who} recorded as opened, which carries no source type, so --source-type "
        "was not recorded (to say how new content was made, name the edit with --action)",
        markup=False,
    )


def _creator(
    key: Path | None,
    cert: Path | None,
    p12: Path | None,
    roles: list[str] | None,
    passphrase_env: str | None,
) -> Creator | None:
    """The creator the --identity-* options name, or None."""
    if key is None and cert is None and p12 is None:
        if roles or passphrase_env:
            raise UsageError(
                "--identity-role and --identity-passphrase-env need the creator's "
                "--identity-key and --identity-cert (or --identity-p12)"
            )
        return None
    if p12 is None and (key is None or cert is None):
        raise UsageError("give --identity-key and --identity-cert (or --identity-p12)")
    from provenance.identity import Creator

    who = load_identity(key, cert, p12, passphrase_env)
    return Creator(who, tuple(roles or ("cawg.creator",)))


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
    if result.creator is not None:
        roles = ", ".join(result.creator_roles)
        out.print(f"  creator    {result.creator} ({roles})", markup=False)
    if result.capture is not None:
        out.print(f"  capture    {capture_line(result.capture)}", markup=False)
    if result.redacted:
        groups = ", ".join(r.value for r in result.redacted)
        out.print(
            f"  redacted   {groups}: left out of the manifest and stripped from the file",
            markup=False,
        )


def _sign_batch(
    inputs: list[Path], out_dir: Path, *, as_json: bool, register_in: str | None, **options: Any
) -> None:
    with progress_bar(f"signing {len(inputs)} files", enabled=not as_json) as progress:
        batch = provenance.sign_many(inputs, out_dir, progress=progress, **options)
    if register_in is not None:
        signed = [row.result.output for row in batch.rows if row.result is not None]
        _register(signed, register_in)
    if as_json:
        console.print_json(json.dumps(batch.to_dict()))
    else:
        # Each reason once: one that every input shares (a bad timestamp URL, say) is
        # not repeated for each.
        failed: dict[str, list[str]] = {}
        for row in batch.rows:
            if row.error is not None:
                failed.setdefault(row.error, []).append(row.input)
            elif row.result is not None:
                _warn_parent(row.result)
        opened = [r for r in batch.rows if r.result and r.result.action == "c2pa.opened"]
        if opened and options.get("source_type") is not None:
            _warn_no_source_type(
                f"{opened[0].input} is" if len(opened) == 1 else f"{len(opened)} files are"
            )
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
    app.command(cls=Command)(sign)
