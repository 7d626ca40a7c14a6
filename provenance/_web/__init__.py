"""The web verifier behind `provenance serve`: drop a file, see who signed it, what
changed and where. An ASGI application (`create_app`) that any ASGI server can run;
`serve` runs it with uvicorn. Needs the `server` extra (Starlette, uvicorn,
python-multipart).

A registry plugs in through `Settings`: `lookup` finds the signed original of an unsigned
upload, `routes` adds the registry's own API to the same application.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from ..errors import UsageError
from .app import HEADERS, Limits, Settings, create_app
from .view import Found, Lookup, registry_lookup

__all__ = [
    "HEADERS",
    "Found",
    "Limits",
    "Lookup",
    "Settings",
    "create_app",
    "registry_lookup",
    "serve",
]


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the verifier until interrupted (Ctrl-C is a normal stop); `ready(url)` is
    called once it listens.
    Raises `UsageError` when the address cannot be listened on."""
    import uvicorn

    try:
        sock = socket.create_server(
            (host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET
        )
    except OSError as e:
        why = os.strerror(e.errno) if e.errno else str(e)
        raise UsageError(f"cannot listen on {host}:{port} ({why})") from None
    with sock:
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        config = uvicorn.Config(
            create_app(settings),
            log_level="warning",
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        if ready is not None:
            ready(f"http://{shown}:{bound}/")
        try:
            uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # uvicorn stops gracefully on Ctrl-C, then raises it again: a normal stop
