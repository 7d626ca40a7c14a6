"""provenance demo"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ._common import Command, console, err_console
from .verify import render_frames

__all__ = ["demo", "register"]


def demo(
    workdir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Folder for the demo files (default: a new folder in the temporary folder).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Run the whole flow on generated media: make a development identity, sign a photo
    and a video, make tampered copies, verify them all and print the verdicts.

    The files are kept, in the folder the demo names, to look at or verify again.

    Example: provenance demo --workdir demo-files
    """
    from provenance._demo import run_demo  # NumPy and PyAV load only for the demo

    where = workdir or Path(tempfile.mkdtemp(prefix="provenance-demo-"))
    cases = run_demo(where)
    err_console.print(f"demo files kept in {where}", markup=False)
    if as_json:
        console.print_json(
            json.dumps(
                [{"case": c.label, "reference": c.reference, **c.report.to_dict()} for c in cases]
            )
        )
        return
    table = Table(title="provenance demo")
    for col in ("case", "file", "verdict", "why"):
        table.add_column(col)
    for c in cases:
        label = c.label + (" *" if c.reference else "")
        table.add_row(label, Path(c.report.path).name, c.report.verdict.value, c.report.message)
    console.print(table)
    for c in cases:
        if c.reference:
            console.print(f"* {c.label}: checked with --reference {c.reference}", markup=False)
    for c in cases:
        if c.report.frames and c.report.frames.summary["edited"]:
            console.print(f"\nframes of {Path(c.report.path).name}:")
            render_frames(c.report.frames)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=Command)(demo)
