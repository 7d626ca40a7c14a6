"""Shared CLI plumbing: consoles, exit codes, passphrases, progress bars."""

from __future__ import annotations

import contextlib
import functools
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from provenance.errors import ProvenanceError, UsageError
from provenance.identity import Identity

console = Console(highlight=False, soft_wrap=True)  # results: stdout
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # status, progress

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
EXIT_CODES_HELP = (
    "Exit codes: 0 success (every file passed); 1 at least one file failed verification; "
    "2 usage, input or I/O error; 3 internal error."
)


def handle_errors(fn: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """Turn library errors into a one-line message and their exit code; never a traceback."""
    if fn is None:
        return None

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ProvenanceError as e:
            err_console.print(f"error: {e}", markup=False)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("interrupted", markup=False)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as e:  # a bug of ours: still one line, never a traceback
            err_console.print(f"internal error: {type(e).__name__}: {e}", markup=False)
            raise typer.Exit(3) from None

    return wrapper


def passphrase_from(env_var: str | None, *, prompt_for: Path | None = None) -> bytes | None:
    """A key passphrase from an environment variable, or a prompt on a terminal.
    Never from an argument: arguments leak into shell history and process lists."""
    if env_var:
        value = os.environ.get(env_var)
        if value is None:
            raise UsageError(f"environment variable {env_var} is not set")
        return value.encode()
    if prompt_for is not None and sys.stdin.isatty() and _is_encrypted(prompt_for):
        return getpass.getpass(f"passphrase for {prompt_for}: ").encode()
    return None


def _is_encrypted(key: Path) -> bool:
    with contextlib.suppress(OSError):
        return b"ENCRYPTED" in key.read_bytes()[:200]
    return False


def load_identity(
    key: Path | None, cert: Path | None, p12: Path | None, passphrase_env: str | None
) -> Identity:
    if p12 is not None:
        return Identity.from_pkcs12(p12, passphrase=passphrase_from(passphrase_env))
    if key is None or cert is None:
        raise UsageError("give --key and --cert (or --p12)")
    secret = passphrase_from(passphrase_env, prompt_for=key)
    return Identity.from_pem(key, cert, passphrase=secret)


@contextlib.contextmanager
def progress_bar(
    label: str, *, enabled: bool = True
) -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress callback drawing a bar on a terminal's stderr; None elsewhere (CI logs)."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
