"""provenance keygen"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from provenance._vocab import KEY_TYPES
from provenance.errors import UsageError
from provenance.keygen import generate_dev_creator, generate_dev_identity

from ._common import Command, console, passphrase_from

__all__ = ["keygen", "register"]


def keygen(
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write the files into.")
    ],
    org: Annotated[str, typer.Option(help="Organization (O) in the certificates.")] = (
        "Provenance Development"
    ),
    name: Annotated[
        str | None,
        typer.Option(
            metavar="CN",
            help="Signer common name (CN); default '<org> Signer'. With --identity: the "
            "creator's name (required).",
        ),
    ] = None,
    identity: Annotated[
        bool,
        typer.Option(
            "--identity",
            help="Make a creator identity instead (creator.key, creator.pem, creator-ca.pem) "
            "for sign --identity-key/--identity-cert; trust creator-ca.pem with verify "
            "--identity-trust.",
        ),
    ] = False,
    key_type: Annotated[
        str, typer.Option("--type", metavar="TYPE", help=f"Key type: {', '.join(KEY_TYPES)}.")
    ] = "es256",
    passphrase_env: Annotated[
        str | None,
        typer.Option(
            metavar="VAR", help="Encrypt the key with the passphrase in this environment variable."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the paths as JSON.")] = False,
) -> None:
    """Create a DEVELOPMENT root CA and signer certificate (signer.key, signer.pem, ca.pem),
    or with --identity a creator identity.

    These are for development and tests only: nobody else trusts this root. Production
    signing uses a certificate from a CA on a C2PA trust list. The key file is written
    with mode 0600.

    With --identity it makes a DEVELOPMENT creator identity instead: a certificate naming
    a person or organization (with the documentSigning extended key usage), whose key
    signs the CAWG identity assertion that says who made the asset.

    Examples:

      provenance keygen --out keys --org "Example News"

      provenance keygen --identity --name "Jane Doe" --org "Example News" --out jane
    """
    secret = passphrase_from(passphrase_env)
    if identity:
        if not name:
            raise UsageError("--identity needs the creator's name (--name)")
        paths = generate_dev_creator(
            out, name=name, org=org, alg=key_type, passphrase=secret, force=force
        )
    else:
        paths = generate_dev_identity(
            out, org=org, common_name=name, alg=key_type, passphrase=secret, force=force
        )
    if as_json:
        console.print_json(json.dumps(paths.to_dict()))
        return
    who, option = ("creator", "--identity-trust") if identity else ("signer", "--trust")
    console.print(f"{who + ' key':<13} {paths.key}  (keep private; mode 0600)")
    console.print(f"{who + ' chain':<13} {paths.cert}")
    console.print(f"{'trust anchor':<13} {paths.ca}  (pass to verify {option})")
    console.print("These are development credentials: not trusted by anyone but you.")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=Command)(keygen)
