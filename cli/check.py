"""provenance check"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from provenance._atomic import atomic_output, check_output
from provenance.check import FORMATS, CheckOptions, render, run_check
from provenance.check.formats import render_text
from provenance.check.walk import LFS_POINTER
from provenance.errors import InputError, UsageError

from ._common import console, err_console, progress_bar

_EPILOG = (
    "Exit codes: 0 every asset meets the policy; 1 at least one policy violation; "
    "2 usage, policy or I/O error, or an asset that could not be checked; 3 internal error."
)


def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to check (default: the current folder)."),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="Policy TOML file (default: provenance.toml, or \\[tool.provenance] in "
            "pyproject.toml, in the checked root; else the default policy)."
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="Output: text, json, junit, sarif or github."),
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here, not stdout.")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="Worker processes (default: one per core)."),
    ] = None,
    changed_since: Annotated[
        str | None,
        typer.Option(
            help="Only assets changed since this git revision (merge base to work tree, "
            "plus untracked files)."
        ),
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option(help="Only paths matching this glob (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Skip paths matching this glob (repeatable).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write .provenance-cache/.")
    ] = False,
) -> None:
    """Check that media assets carry valid content credentials that meet a policy.

    Inside a git work tree the files git tracks (and untracked files that are not
    ignored) are candidates; elsewhere every file. Media is recognized from content;
    other files are skipped and counted.

    Examples:

      provenance check

      provenance check assets/ --format sarif -o provenance.sarif

      provenance check --changed-since origin/main --format github
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if output is not None:
        check_output(output, force=True)  # before the work, not after
    options = CheckOptions(
        paths=tuple(paths or ()),
        policy=policy,
        jobs=jobs,
        changed_since=changed_since,
        include=tuple(include or ()),
        exclude=tuple(exclude or ()),
        cache=not no_cache,
    )
    with progress_bar("checking", enabled=not os.environ.get("CI")) as progress:
        report = run_check(options, progress=progress)
    lfs = sum(1 for s in report.skipped if s.reason == LFS_POINTER)
    if lfs:
        err_console.print(
            f"warning: {lfs} files are Git LFS pointers and were not checked "
            "(run git lfs pull first)",
            markup=False,
        )
    if output is None and fmt == "text":
        render_text(report, console)
    else:
        text = render(report, fmt)
        if output is None:
            console.file.write(text)
            console.file.flush()
        else:
            try:
                with atomic_output(output, force=True) as f:
                    f.write(text.encode("utf-8"))
            except OSError as e:
                raise InputError(f"{output}: cannot write ({e.strerror})") from None
            err_console.print(f"report written to {output}", markup=False)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    app.command(epilog=_EPILOG)(check)
