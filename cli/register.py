"""provenance register"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from provenance._engine import Engine
from provenance._registry.config import redacted
from provenance.errors import ExitCode, RegistrationRefused, UsageError
from provenance.models import RegisterResult, RegisterStatus
from provenance.registry import register as register_files
from provenance.registry import register_each
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
    engine: Annotated[
        str | None,
        typer.Option(
            metavar="ENGINE",
            help="Register file by file, at archive scale: local (worker processes) or ray "
            "(a Ray cluster; needs pip install 'provenance-toolkit\\[ray]'). A refused file "
            "is its own row and the others are registered. Default: all or nothing.",
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            metavar="ADDR",
            help="With --engine ray: the cluster to join (host:port, ray://host:port or "
            "auto); default: start Ray on this machine.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="With --engine: worker processes, or the CPUs of a local Ray (default: one "
            "per core).",
        ),
    ] = None,
) -> None:
    """Register signed files in a manifest registry, so that stripped, re-encoded copies
    of them can be found (`verify --lookup`).

    Each file's manifest is validated first (signature, assertion hashes, certificate,
    ingredients; with --trust its signer must be trusted) and must carry the soft binding
    `sign` writes; if any file is refused, none is registered. Registering a file again
    changes nothing.

    With --engine (local or ray), files are registered one by one instead, in batches
    written in one transaction each: a refused file is its own row with the reason, the
    others are registered, and the exit code is 1 if any file was refused (2 if one could
    not be read, or the registry not written).

    Examples:

      provenance register signed/*.mp4 --registry registry.db

      provenance register clip.mp4 --registry postgresql://registry@db/registry --trust ca.pem

      PROVENANCE_REGISTRY_TOKEN=... provenance register photo.jpg --registry https://registry.example

      provenance register archive/**/*.jpg --registry postgresql://registry@db/registry --engine ray
    """  # noqa: E501 - examples are kept whole
    trusted = Trust.load(trust or (), allowed=allowed_signers or ())
    if engine is None:
        if ray_address is not None or jobs is not None:
            raise UsageError("--ray-address and --jobs need --engine")
        _all_or_nothing(files, registry, trusted, as_json)
        return
    rows = register_each(
        files,
        registry=registry,
        trust=trusted,
        require_trusted=trusted.supplied,
        engine=Engine.parse(engine),
        jobs=jobs,
        ray_address=ray_address,
    )
    raise typer.Exit(_per_file(rows, registry, as_json))


def _all_or_nothing(files: list[Path], registry: str | None, trust: Trust, as_json: bool) -> None:
    results = register_files(
        files,
        registry=registry,
        trust=trust,
        require_trusted=trust.supplied,
    )
    if as_json:
        console.print_json(
            json.dumps({"registry": _shown(registry), "results": [r.to_dict() for r in results]})
        )
    else:
        render(results)
    conflicts = [r for r in results if r.status is RegisterStatus.CONFLICT]
    if conflicts:
        raise RegistrationRefused(
            f"{conflicts[0].path}: another manifest store is registered as "
            f"{conflicts[0].manifest_id}"
        )


def _per_file(rows: Iterable[RegisterResult], registry: str | None, as_json: bool) -> int:
    """Print the rows as they come (JSON: once all are in), then a summary; the exit code."""
    counts = Counter[RegisterStatus]()
    results = []
    for r in rows:
        counts[r.status] += 1
        if as_json:
            results.append(r.to_dict())
        else:
            render((r,))
    if as_json:
        console.print_json(json.dumps({"registry": _shown(registry), "results": results}))
    else:
        summary = ", ".join(f"{n} {s.value}" for s in RegisterStatus if (n := counts[s]))
        console.print(f"{counts.total()} files: {summary or 'none'}", markup=False)
    if counts[RegisterStatus.ERROR]:
        return ExitCode.ERROR
    if counts[RegisterStatus.REFUSED] or counts[RegisterStatus.CONFLICT]:
        return ExitCode.FAILED
    return ExitCode.OK


def _shown(registry: str | None) -> str:
    return redacted(registry) if registry else "$PROVENANCE_REGISTRY"


def render(results: Iterable[RegisterResult]) -> None:
    """One line per file: its status and manifest id, or why it was refused."""
    for r in results:
        tail = r.manifest_id if r.status in _REGISTERED else (r.reason or r.manifest_id)
        console.print(f"{r.path}: {r.status.value}  {tail}", markup=False)


_REGISTERED = (RegisterStatus.ADDED, RegisterStatus.UNCHANGED)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(
        "register",
        cls=Command,
        epilog=exit_codes_help(
            FAILED="a file was refused (no or invalid credentials, untrusted, or a conflict)",
            ERROR="usage or input error (with --engine: a file or the registry could not be "
            "read or written)",
        ),
    )(register_command)
