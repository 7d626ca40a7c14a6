"""The `provenance` command line: a thin Typer front end over the library.

Each command module only parses arguments, calls one library function and renders
the result. Errors become one-line messages and exit codes here, in one place.
"""

from __future__ import annotations

import logging
import sys

import typer

from provenance.errors import ProvenanceError

from . import demo, keys, sign, verify
from ._common import EXIT_CODES_HELP, err_console

__all__ = ["app", "main"]

app = typer.Typer(
    name="provenance",
    help="Sign media with C2PA content credentials, verify them, and find what changed.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    # Locals can hold key material: never print them.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for module in (demo, keys, sign, verify):
    module.register(app)


def main() -> None:
    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING, stream=sys.stderr)
    try:
        app()
    except ProvenanceError as e:
        err_console.print(f"error: {e}", markup=False, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as e:  # a bug of ours: still one line, never a traceback
        err_console.print(f"internal error: {type(e).__name__}: {e}", markup=False)
        sys.exit(3)
