"""provenance check"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from provenance.check import (
    CheckOptions,
    Engine,
    ReportFormat,
    check_report_output,
    print_check_report,
    stream_check,
    write_check_report,
)
from provenance.check._render import empty_message, render_text

from ._common import Command, console, err_console, exit_codes_help, progress_bar

__all__ = ["check", "register"]

_EPILOG = exit_codes_help(
    OK="every asset meets the policy",
    FAILED="at least one policy violation",
    ERROR="usage, policy or I/O error, or an asset that could not be checked",
    INTERNAL="internal error (checking some asset hit a bug; it is reported)",
)


def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH", help="Files or folders to check (default: the current folder)."
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Policy TOML file (default: provenance.toml, or [tool.provenance] in "
            "pyproject.toml, in the checked root; else the default policy)."
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="Output: text, json, junit, sarif or github."
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the report here, not stdout."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="Worker processes, or the CPUs of a local Ray (default: one per core).",
        ),
    ] = None,
    changed_since: Annotated[
        str | None,
        typer.Option(
            metavar="REV",
            help="Only assets changed since this git revision (merge base to work tree, "
            "plus untracked files).",
        ),
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(metavar="GLOB", help="Only paths matching this glob (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(metavar="GLOB", help="Skip paths matching this glob (repeatable)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write .provenance-cache/.")
    ] = False,
    no_frames: Annotated[
        bool,
        typer.Option(
            "--no-frames",
            help="Skip frame and region localization: a tampered photo or video is reported "
            "without decoding it to say what changed (faster on large media).",
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            metavar="ENGINE",
            help="Where to verify: local (worker processes) or ray (a Ray cluster; needs "
            "pip install 'provenance-toolkit\\[ray]').",
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            metavar="ADDR",
            help="With --engine ray: the cluster to join (host:port, ray://host:port or "
            "auto); default: start Ray on this machine.",
        ),
    ] = None,
) -> None:
    """Check that media assets carry valid content credentials that meet a policy.

    Inside a git work tree the files git tracks (and untracked files that are not
    ignored) are candidates; elsewhere every file. Media is recognized from content;
    other files are skipped and counted. The frames of a folder signed as an image
    sequence (FOLDER.c2pa beside it) are checked together, as one asset. A check that
    finds no media says so, and passes unless the policy sets [files] require_assets.

    Examples:

      provenance check

      provenance check assets/ --format sarif -o provenance.sarif

      provenance check --changed-since origin/main --format github

      provenance check archive/ --engine ray --ray-address auto --format json -o report.json
    """
    form = ReportFormat.parse(fmt)
    if output is not None:
        check_report_output(output)  # before the work, not after
    options = CheckOptions(
        paths=tuple(paths or ()),
        policy=policy,
        jobs=jobs,
        changed_since=changed_since,
        include=tuple(include or ()),
        exclude=tuple(exclude or ()),
        cache=not no_cache,
        localize=not no_frames,
        engine=Engine.parse(engine),
        ray_address=ray_address,
    )
    # Streamed: results are written as they arrive, none kept (see docs/scale.md).
    with progress_bar("checking", enabled=not os.environ.get("CI")) as progress:
        run = stream_check(options, progress=progress)
        if output is not None:
            write_check_report(run, form, output)
        elif form is ReportFormat.TEXT:
            render_text(run, console)
        else:
            print_check_report(run, form, console.file)
            console.file.flush()
    if run.lfs_pointers:
        err_console.print(
            f"warning: {run.lfs_pointers} files are Git LFS pointers and were not checked "
            "(run git lfs pull first)",
            markup=False,
        )
    if run.empty and form is not ReportFormat.TEXT:
        err_console.print(f"warning: {empty_message(run)}", markup=False)
    if output is not None:
        err_console.print(f"report written to {output}", markup=False)
    raise typer.Exit(int(run.exit_code))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=Command, epilog=_EPILOG)(check)
