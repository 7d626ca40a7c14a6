"""provenance history"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.tree import Tree

from provenance.history import history
from provenance.models import HistoryNode, NodeStatus

from ._common import console

__all__ = ["history_cmd", "register"]

_STYLE = {
    NodeStatus.TRUSTED: "bold green",
    NodeStatus.VALID: "green",
    NodeStatus.TAMPERED: "red",
    NodeStatus.INVALID: "red",
    NodeStatus.UNSIGNED: "yellow",
    NodeStatus.MISSING: "red",
}


def _label(n: HistoryNode) -> str:
    style = _STYLE[n.status]
    rel = f"[dim]{n.relationship}[/dim] " if n.relationship else ""
    acts = ", ".join(a.action.removeprefix("c2pa.") for a in n.actions)
    who = f" — signed by {n.signer}" if n.signer else ""
    when = f" at {n.signed_at}" if n.signed_at else ""
    bad = f" [red]{', '.join(n.problems)}[/red]" if not n.status.ok else ""
    return (
        f"{rel}[bold]{n.title or '(untitled)'}[/bold] [{style}]{n.status.value}[/{style}]"
        f"{who}{when}" + (f"\n[dim]actions: {acts}[/dim]" if acts else "") + bad
    )


def _tree(n: HistoryNode, parent: Tree) -> None:
    branch = parent.add(_label(n))
    for child in n.ingredients:
        _tree(child, branch)


def history_cmd(
    file: Annotated[Path, typer.Argument(help="The file whose provenance to show.")],
    trust: Annotated[
        list[Path] | None, typer.Option(help="Trust-anchor PEM bundle (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (history schema).")] = False,
) -> None:
    """Show the provenance tree: each manifest, its ingredients' manifests, actions,
    signers, and the validation of each.

    Example: provenance history edited.jpg --trust keys/ca.pem
    """
    h = history(file, trust=trust or None)
    if as_json:
        console.print_json(json.dumps(h.to_dict()))
        return
    root = Tree(f"[bold]{h.path}[/bold]: {h.verdict.value} — {h.message}")
    if h.root is not None:
        _tree(h.root, root)
    console.print(root)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("history")(history_cmd)
