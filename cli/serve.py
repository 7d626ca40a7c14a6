"""provenance serve"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from provenance.errors import UsageError
from provenance.trust import Trust

from ._common import (
    REGISTRY_HELP,
    AllowedSignersOption,
    Command,
    IdentityTrustOption,
    TrustOption,
    err_console,
    exit_codes_help,
)

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = ["register", "serve"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_EPILOG = exit_codes_help(
    OK="stopped with Ctrl-C",
    FAILED="not used",
    ERROR="bad option, unreadable trust file, or an address that cannot be listened on",
)


def serve(
    trust: TrustOption = None,
    allowed_signers: AllowedSignersOption = None,
    identity_trust: IdentityTrustOption = None,
    registry: Annotated[
        str | None,
        typer.Option(
            metavar="REG",
            envvar="PROVENANCE_REGISTRY",
            help=REGISTRY_HELP + " With one, unsigned uploads are looked up in it, and its "
            "Soft Binding Resolution API is served under /registry.",
        ),
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            metavar="ADDRESS",
            help="Address to listen on. The default serves this machine only.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port (0: any free port).")] = 8080,
    max_upload_mb: Annotated[
        int, typer.Option(metavar="MB", help="Largest upload accepted (file and sidecar).")
    ] = 2048,
    time_limit: Annotated[
        float, typer.Option(metavar="SECONDS", help="Longest a verification may take.")
    ] = 600.0,
    concurrent: Annotated[
        int,
        typer.Option(metavar="N", help="Files verified at once; more are told to retry (503)."),
    ] = 2,
) -> None:
    """Serve the web verifier: drop a file, see who signed it, what changed and where.

    Opens a page at http://127.0.0.1:8080/ where a photo, video or audio file (with
    its .c2pa sidecar, if it has one) is verified as `verify` verifies it, under these
    trust settings: the verdict, the signer, the edit history, and for video the frame
    timeline with the changed regions outlined. The JSON report it offers is the one
    `verify --json` prints; `POST /api/verify` (multipart, field `file`, optional
    `sidecar`) returns it to scripts. Uploads are deleted once answered; nothing goes to
    the network.

    Examples:

      provenance serve --trust keys/ca.pem

      provenance serve --trust c2pa-trust-list.pem --port 9000

      provenance serve --trust keys/ca.pem --registry registry.db
    """
    if port < 0 or port > 65535:
        raise UsageError(f"--port {port}: give a port from 0 to 65535")
    if max_upload_mb < 1 or time_limit <= 0 or concurrent < 1:
        raise UsageError("--max-upload-mb, --time-limit and --concurrent must be positive")
    settings_trust = Trust.load(
        trust or (), allowed=allowed_signers or (), identity=identity_trust or ()
    )
    try:
        from provenance._web import Limits, Settings, registry_lookup
        from provenance._web import serve as run
    except ModuleNotFoundError as e:
        raise UsageError(
            f"provenance serve needs the web server's packages ({e.name} is missing): "
            "pip install 'provenance-toolkit[server]'"
        ) from None
    if host not in _LOOPBACK:
        err_console.print(
            f"warning: listening on {host}: anyone who can reach it can upload files",
            markup=False,
        )
    settings = Settings(
        trust=settings_trust,
        limits=Limits(max_upload_mb << 20, time_limit, concurrent),
    )
    if registry is not None:
        settings = replace(
            settings, lookup=registry_lookup(registry), routes=_registry_routes(registry)
        )

    def ready(url: str) -> None:
        err_console.print(f"Serving the web verifier at {url} (Ctrl-C to stop)", markup=False)

    run(settings, host=host, port=port, ready=ready)


def _registry_routes(registry: str) -> list[BaseRoute]:
    """The registry's resolution API under /registry; opened once here, so that a wrong
    location is one line at start-up, not an error on every upload."""
    from starlette.routing import Mount

    from provenance import create_resolution_app, open_registry

    with open_registry(registry):
        pass
    return [Mount("/registry", app=create_resolution_app(registry))]


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=Command, epilog=_EPILOG)(serve)
