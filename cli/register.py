"""provenance register"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from provenance._registry.config import redacted
from provenance.errors import RegistrationRefused
from provenance.models import RegisterResult, RegisterStatus
from provenance.registry import register as register_files
from provenance.trust import Trust

from ._common import REGISTRY_HELP, Command, console, exit_codes_help

__all__ = ["register", "register_command", "render"]


def register_command(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="Signed files (or .c2pa manifest stores)."),
    ],
    registry: Annotated[
        str | None,
        typer.Option(metavar="REG", envvar="PROVENANCE_REGISTRY", help=REGISTRY_HELP),
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Trust-anchor PEM bundle (repeatable): only signers that chain to one are "
            "registered.",
        ),
    ] = None,
    allowed_signers: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Only these signer certificates (PEM) may register, within --trust anchors.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (register-result schema).")
    ] = False,
) -> None:
    """Register signed files in a manifest registry, so that stripped, re-encoded copies
    of them can be found (`verify --lookup`).

    Each file's manifest is validated first (signature, assertion hashes, certificate,
    ingredients; with --trust its signer must be trusted) and must carry the soft binding
    `sign` writes; if any file is refused, none is registered. Registering a file again
    changes nothing.

    Examples:

      provenance register signed/*.mp4 --registry registry.db

      provenance register clip.mp4 --registry postgresql://registry@db/registry --trust ca.pem

      PROVENANCE_REGISTRY_TOKEN=... provenance register photo.jpg --registry https://registry.example
    """  # noqa: E501 - examples are kept whole
    results = register_files(
        files,
        registry=registry,
        trust=Trust.load(trust or (), allowed=allowed_signers or ()),
        require_trusted=bool(trust),
    )
    where = redacted(registry) if registry else "$PROVENANCE_REGISTRY"
    if as_json:
        console.print_json(
            json.dumps({"registry": where, "results": [r.to_dict() for r in results]})
        )
    else:
        render(results)
    conflicts = [r for r in results if r.status is RegisterStatus.CONFLICT]
    if conflicts:
        raise RegistrationRefused(
            f"{conflicts[0].path}: another manifest store is registered as "
            f"{conflicts[0].manifest_id}"
        )


def render(results: tuple[RegisterResult, ...]) -> None:
    """One line per registered file."""
    for r in results:
        console.print(f"{r.path}: {r.status.value}  {r.manifest_id}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(
        "register",
        cls=Command,
        epilog=exit_codes_help(
            FAILED="a file was refused (no or invalid credentials, untrusted, or a conflict)"
        ),
    )(register_command)
