"""provenance history"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from provenance.history import history
from provenance.models import History, HistoryNode
from provenance.trust import Trust

from ._common import Command, console, exit_codes_help
from ._describe import capture_line, identity_line

__all__ = ["history_cmd", "lines", "register"]


def _describe(n: HistoryNode) -> list[str]:
    """A node's own lines: its title and status, then one detail per line."""
    rel = f"{n.relationship}: " if n.relationship else ""
    head = f"{rel}{n.title or '(untitled)'}  {n.status.value.upper()}"
    details = []
    if n.signer:
        when = f" at {n.signed_at}" if n.signed_at else ""
        details.append(f"signed by {n.signer}{when}")
    details += [f"author: {a}" for a in n.authors]
    details += [f"creator: {identity_line(i)}" for i in n.identities]
    if n.capture:
        details.append(f"capture: {capture_line(n.capture)}")
    acts = ", ".join(a.action.removeprefix("c2pa.") for a in n.actions)
    if acts:
        details.append(f"actions: {acts}")
    details += [f"status: {code}" for code in n.failures]
    return [head, *details]


def lines(h: History) -> list[str]:
    """The tree as plain text lines, never cut to a terminal's width (a pipe keeps them
    whole): the file's verdict, then each manifest under the one made from it."""
    out = [f"{h.path}: {h.verdict.value.upper()}  {h.message}"]

    def walk(n: HistoryNode, prefix: str, last: bool) -> None:
        head, *details = _describe(n)
        out.append(prefix + ("└── " if last else "├── ") + head)
        inner = prefix + ("    " if last else "│   ")
        below = "│   " if n.ingredients else "    "
        out.extend(inner + below + d for d in details)
        for i, child in enumerate(n.ingredients):
            walk(child, inner, i == len(n.ingredients) - 1)

    if h.root is not None:
        walk(h.root, "", True)
    return out


def history_cmd(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The file whose provenance to show.")
    ],
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Trust-anchor PEM bundle (repeatable); every manifest's signer is judged by it.",
        ),
    ] = None,
    identity_trust: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Roots that vouch for creators' certificates (CAWG identities; repeatable).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (history schema).")] = False,
) -> None:
    """Show the provenance tree: each manifest, its ingredients' manifests, actions,
    signers, and the validation of each.

    The exit code follows verify's for the file, and is 1 as soon as any manifest in the
    tree fails (with --trust: any signer that is not trusted).

    Example: provenance history edited.jpg --trust keys/ca.pem
    """
    h = history(file, trust=Trust.load(trust or (), identity=identity_trust or ()))
    if as_json:
        console.print_json(json.dumps(h.to_dict()))
    else:
        for line in lines(h):
            console.print(line, markup=False, highlight=False, crop=False, overflow="ignore")
    raise typer.Exit(int(h.exit_code))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("history", cls=Command, epilog=exit_codes_help())(history_cmd)
