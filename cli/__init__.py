"""The `provenance` command line: a thin Typer front end over the library.

Each command module only parses arguments, calls the library and renders the result.
Errors become one-line messages and exit codes here, in one place. A command's module,
and so the part of the library it uses, is imported only when that command runs or
shows its own help: `provenance --help` lists the commands from `COMMANDS` and imports
none of them.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from ._common import Group, exit_codes_help, handle_errors

__all__ = ["COMMANDS", "app", "main"]

# Each command: the module that defines it, and the line `provenance --help` shows for it
# (the first paragraph of the command's docstring; tests/test_cli.py keeps them equal).
COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "check",
        "Check that media assets carry valid content credentials that meet a policy.",
    ),
    "demo": (
        "demo",
        "Run the whole flow on generated media: make a development identity, sign a photo "
        "and a video, make tampered copies, verify them all and print the verdicts.",
    ),
    "history": (
        "history",
        "Show the provenance tree: each manifest, its ingredients' manifests, actions, "
        "signers, and the validation of each.",
    ),
    "keygen": (
        "keys",
        "Create a DEVELOPMENT root CA and signer certificate (signer.key, signer.pem, ca.pem), "
        "or with --identity a creator identity.",
    ),
    "register": (
        "register",
        "Register signed files in a manifest registry, so that stripped, re-encoded copies "
        "of them can be found (`verify --lookup`).",
    ),
    "serve": (
        "serve",
        "Serve the web verifier: drop a file, see who signed it, what changed and where.",
    ),
    "sign": ("sign", "Sign a photo, video or audio file with C2PA content credentials."),
    "verify": ("verify", "Verify content credentials and print a verdict per file."),
}


class _Summary(TyperCommand):
    """A command not loaded yet: only its name and one line of help."""


class _LazyGroup(Group):
    """The commands of `COMMANDS`, each loaded from its module on first real use."""

    _listing = False  # while the group's own help lists the commands

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, (_, line) in COMMANDS.items():
            self.commands[name] = _Summary(name=name, help=line, short_help=line)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Summary) and not self._listing:
            command = self.commands[cmd_name] = _load(cmd_name)
        return command

    @contextlib.contextmanager
    def _summaries(self) -> Iterator[None]:
        """Listing the commands (help, shell completion of their names) loads none."""
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self._summaries():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        with self._summaries():
            return list(super().shell_complete(ctx, incomplete))


def _load(name: str) -> TyperCommand:
    module = importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")
    one = typer.Typer(rich_markup_mode=None, add_completion=False)
    module.register(one)
    (info,) = one.registered_commands
    info.callback = handle_errors(info.callback)
    command = typer.main.get_command(one)
    assert isinstance(command, TyperCommand) and command.name == name, name
    return command


app = typer.Typer(
    name="provenance",
    cls=_LazyGroup,
    help="Sign media with C2PA content credentials, verify them, and find what changed.",
    epilog=exit_codes_help(),
    no_args_is_help=True,
    # Help and usage errors in click's plain format: rich's help renderer alone would
    # cost more start-up time than the whole budget for `provenance --help`.
    rich_markup_mode=None,
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

        typer.echo(f"provenance-toolkit {__version__} (C2PA library c2pa-rs {SDK_VERSION})")
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


def main() -> None:
    """The `provenance` console script."""
    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING, stream=sys.stderr)
    app()
