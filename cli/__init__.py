"""The `provenance` command line: a thin Typer front end over the library.

Each command module only parses arguments, calls the library and renders the result.
Errors become one-line messages and exit codes here, in one place. Commands import
what they use when they run, so `provenance --help` loads no NumPy, PyAV or demo.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from . import check, demo, history, keys, register, serve, sign, verify
from ._common import Group, console, exit_codes_help, handle_errors

__all__ = ["app", "main"]

app = typer.Typer(
    name="provenance",
    cls=Group,
    help="Sign media with C2PA content credentials, verify them, and find what changed.",
    epilog=exit_codes_help(),
    no_args_is_help=True,
    # --install-completion and --show-completion (bash, zsh, fish, PowerShell)
    add_completion=True,
    # Locals can hold key material: never print them.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from provenance._c2pa import SDK_VERSION
        from provenance._version import __version__

        console.print(f"provenance-toolkit {__version__} (C2PA library c2pa-rs {SDK_VERSION})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Sign media with C2PA content credentials, verify them, and find what changed."""


for module in (check, demo, history, keys, register, serve, sign, verify):
    module.register(app)
for command in app.registered_commands:
    command.callback = handle_errors(command.callback)


def main() -> None:
    """The `provenance` console script."""
    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING, stream=sys.stderr)
    app()
