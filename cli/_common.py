"""Shared CLI plumbing: consoles, help that reads like the ecosystem's, the error
wrapper, passphrases, progress bars."""

from __future__ import annotations

import contextlib
import functools
import getpass
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from provenance import _debug
from provenance._vocab import Progress as ProgressCallback
from provenance.errors import ExitCode, ProvenanceError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from provenance.identity import Identity

    console: Console  # results: stdout
    err_console: Console  # status, progress

__all__ = [
    "REGISTRY_HELP",
    "AllowedSignersOption",
    "IdentityTrustOption",
    "TrustOption",
    "Command",
    "Group",
    "console",
    "err_console",
    "exit_codes_help",
    "handle_errors",
    "load_identity",
    "passphrase_from",
    "progress_bar",
]


@functools.cache
def _console(stderr: bool) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def __getattr__(name: str) -> Any:
    # `console` and `err_console` are made on first use: importing rich.console costs
    # tens of milliseconds that `provenance --help` need not pay.
    if name in ("console", "err_console"):
        return _console(stderr=name == "err_console")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _plain(params: list[Any]) -> list[Any]:
    """Parameters labelled as command-line tools label them: a flag takes no value, an
    option shows its metavar (`--trust FILE`), an argument its name (`FILE`); never a
    Python type (`<bool>`, `<list[Path]>`)."""
    for param in params:
        if isinstance(param, TyperArgument):
            param.__class__ = _Argument  # same fields, only the type label differs
        elif isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = "" if param.is_flag else (param.name or "value").upper()
    return params


class _Argument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class Command(TyperCommand):
    """A command whose help reads like other command-line tools': `FILE...` in the usage
    line (not `{files}`), `--trust FILE` (not `<list[Path]>`), flags without a type
    label, and paragraphs of the docstring reflowed to the terminal's width (indented
    lines, such as examples, are kept as written)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("help"):
            kwargs["help"] = reflow(kwargs["help"])
        super().__init__(*args, **kwargs)

    def get_params(self, ctx: Any) -> list[Any]:
        """Every parameter, the help option included, labelled plainly."""
        return _plain(super().get_params(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """An option whose metavar is bracketed (`--lookup [REG]`) takes an optional value:
        given last, or before another option, it gets the empty string."""
        optional = {
            o
            for p in self.params
            if isinstance(p, TyperOption) and str(p.metavar or "").startswith("[")
            for o in p.opts
        }
        given = list(args)
        end = given.index("--") if "--" in given else len(given)
        for k in range(end):
            if given[k] in optional and (k + 1 == end or given[k + 1].startswith("-")):
                given[k] += "="
        return super().parse_args(ctx, given)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """`[OPTIONS] FILE...`: arguments by their metavar, optional ones bracketed."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = str(param.metavar or (param.name or "arg").upper())
                name += "..." if param.nargs != 1 else ""
                pieces.append(name if param.required else f"[{name}]")
        return pieces


class Group(TyperGroup):
    """The `provenance` command group, labelled like its commands (see `Command`)."""

    def get_params(self, ctx: Any) -> list[Any]:
        """Every option (--version, completion, help), labelled plainly."""
        return _plain(super().get_params(ctx))


def reflow(text: str) -> str:
    """Join the lines of each paragraph of a docstring, so the help wraps them to the
    terminal; a paragraph of indented lines (examples) keeps its lines."""
    return "\n\n".join(_reflowed(p) for p in inspect.cleandoc(text).split("\n\n"))


def _reflowed(paragraph: str) -> str:
    if paragraph.startswith("\b"):
        return paragraph
    if paragraph.startswith(" "):
        return "\b\n" + paragraph  # click's plain help format leaves it unwrapped
    return " ".join(line.strip() for line in paragraph.splitlines())


def exit_codes_help(**meanings: str) -> str:
    """The "Exit codes:" line of a command's help, from `ExitCode`; a command may word a
    code its own way (`OK="every asset meets the policy"`)."""
    shown = (ExitCode.OK, ExitCode.FAILED, ExitCode.ERROR, ExitCode.INTERNAL)
    parts = [f"{int(c)} {meanings.get(c.name, c.meaning)}" for c in shown]
    return f"Exit codes: {'; '.join(parts)}. Set {_debug.ENV}=1 to see a traceback."


def handle_errors(fn: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """Turn library errors into a one-line message and their exit code; never a traceback
    (unless PROVENANCE_DEBUG=1, which lets the error through)."""
    if fn is None:
        return None

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except (Exception, KeyboardInterrupt) as e:
            if _debug.enabled():
                raise
            raise typer.Exit(int(_report(e))) from None

    return wrapper


def _report(e: BaseException) -> ExitCode:
    if isinstance(e, ProvenanceError):
        _console(stderr=True).print(f"error: {e}", markup=False)
        return e.exit_code
    if isinstance(e, KeyboardInterrupt):
        _console(stderr=True).print("interrupted", markup=False)
        return ExitCode.INTERRUPTED
    # A bug of ours: still one line, never a traceback (locals can hold key material).
    _console(stderr=True).print(f"internal error: {type(e).__name__}: {e}", markup=False)
    return ExitCode.INTERNAL


def passphrase_from(env_var: str | None, *, prompt_for: Path | None = None) -> bytes | None:
    """A key passphrase from an environment variable, or a prompt on a terminal.
    Never from an argument: arguments leak into shell history and process lists."""
    if env_var:
        value = os.environ.get(env_var)
        if value is None:
            raise UsageError(f"environment variable {env_var} is not set")
        return value.encode()
    from provenance.identity import Identity

    if prompt_for is not None and sys.stdin.isatty() and Identity.key_is_encrypted(prompt_for):
        return getpass.getpass(f"passphrase for {prompt_for}: ").encode()
    return None


def load_identity(
    key: Path | None, cert: Path | None, p12: Path | None, passphrase_env: str | None
) -> Identity:
    """The signing identity the --key/--cert or --p12 options name."""
    from provenance.identity import Identity

    if p12 is not None:
        return Identity.from_pkcs12(p12, passphrase=passphrase_from(passphrase_env))
    if key is None or cert is None:
        raise UsageError("give --key and --cert (or --p12)")
    secret = passphrase_from(passphrase_env, prompt_for=key)
    return Identity.from_pem(key, cert, passphrase=secret)


@contextlib.contextmanager
def progress_bar(label: str, *, enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """A progress callback drawing a bar on a terminal's stderr; None elsewhere (CI logs)."""
    if not enabled or not _console(stderr=True).is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    # Redrawn on each update, not by a refresh thread: a process that runs one thread can
    # fork its workers (sign --out-dir, check).
    bar = Progress(*columns, console=_console(stderr=True), transient=True, auto_refresh=False)
    with bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total, refresh=True)

        yield update


# The --registry option's help, shared by the commands that take one.
REGISTRY_HELP = (
    "Manifest registry: a SQLite file (created on first registration), a postgresql:// "
    "URL or the http(s):// URL of a resolution API. Default: $PROVENANCE_REGISTRY."
)

# The trust options of the commands that judge signers (`verify`, `serve`): one wording.
TrustOption = Annotated[
    list[Path] | None,
    typer.Option(
        metavar="FILE",
        help="Trust-anchor PEM bundle (repeatable). Without it nothing is trusted.",
    ),
]
AllowedSignersOption = Annotated[
    list[Path] | None,
    typer.Option(
        metavar="FILE",
        help="Only these signer certificates (PEM) may be trusted, within --trust anchors.",
    ),
]
IdentityTrustOption = Annotated[
    list[Path] | None,
    typer.Option(
        metavar="FILE",
        help="Roots that vouch for creators' certificates (CAWG identities; PEM, "
        "repeatable). Kept apart from --trust: a root for people never vouches for "
        "signers, nor the other way round.",
    ),
]
