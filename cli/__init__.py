"""The `provenance` command line: a thin Typer front end over the library.

Each command module only parses arguments, calls the library and renders the result.
Errors become one-line messages and exit codes here, in one place. Commands import
what they use when they run, so `provenance --help` loads no NumPy, PyAV or demo.
"""

from __future__ import annotations

import logging
import sys

import typer

from . import check, demo, history, keys, sign, verify
from ._common import exit_codes_help, handle_errors

__all__ = ["app", "main"]

app = typer.Typer(
    name="provenance",
    help="Sign media with C2PA content credentials, verify them, and find what changed.",
    epilog=exit_codes_help(),
    no_args_is_help=True,
    add_completion=False,
    # Locals can hold key material: never print them.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for module in (check, demo, history, keys, sign, verify):
    module.register(app)
for command in app.registered_commands:
    command.callback = handle_errors(command.callback)


def main() -> None:
    """The `provenance` console script."""
    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING, stream=sys.stderr)
    app()
