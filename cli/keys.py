"""provenance keygen"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from provenance._vocab import KEY_TYPES
from provenance.keygen import generate_dev_identity

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
        typer.Option(metavar="CN", help="Signer common name (CN); default '<org> Signer'."),
    ] = None,
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
    """Create a DEVELOPMENT root CA and signer certificate (signer.key, signer.pem, ca.pem).

    These are for development and tests only: nobody else trusts this root. Production
    signing uses a certificate from a CA on a C2PA trust list. The key file is written
    with mode 0600.

    Example: provenance keygen --out keys --org "Example News"
    """
    secret = passphrase_from(passphrase_env)
    paths = generate_dev_identity(
        out, org=org, common_name=name, alg=key_type, passphrase=secret, force=force
    )
    if as_json:
        console.print_json(json.dumps(paths.to_dict()))
        return
    console.print(f"signer key   {paths.key}  (keep private; mode 0600)")
    console.print(f"signer chain {paths.cert}")
    console.print(f"trust anchor {paths.ca}  (pass to verify --trust)")
    console.print("These are development credentials: not trusted by anyone but you.")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=Command)(keygen)
