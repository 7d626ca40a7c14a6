"""provenance demo"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ._common import console, err_console

__all__ = ["demo", "register"]


def demo(
    workdir: Annotated[
        Path | None, typer.Option(help="Keep the demo files here (default: a temp folder).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Run the whole flow on generated media: make a development identity, sign a photo
    and a video, make tampered copies, verify them all and print the verdicts.

    Example: provenance demo --workdir demo-files
    """
    from provenance._demo import run_demo  # NumPy and PyAV load only for the demo

    from .verify import render_frames

    with tempfile.TemporaryDirectory(prefix="provenance-demo-") as tmp:
        where = workdir or Path(tmp)
        err_console.print(f"demo files in {where}")
        cases = run_demo(where)
        if as_json:
            console.print_json(json.dumps([{"case": c.label, **c.report.to_dict()} for c in cases]))
            return
        table = Table(title="provenance demo")
        for col in ("case", "file", "verdict", "why"):
            table.add_column(col)
        for c in cases:
            table.add_row(
                c.label, Path(c.report.path).name, c.report.verdict.value, c.report.message
            )
        console.print(table)
        for c in cases:
            if c.report.frames and c.report.frames.summary["edited"]:
                console.print(f"\nframes of {Path(c.report.path).name}:")
                render_frames(c.report.frames)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(demo)
