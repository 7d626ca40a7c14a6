"""provenance verify"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from provenance.fingerprints import write_visual_report
from provenance.models import Verdict, VerificationReport
from provenance.trust import Trust
from provenance.verify import batch_exit_code, batch_to_dict, verify_many

from ._common import EXIT_CODES_HELP, console, err_console, progress_bar

_STYLE = {
    Verdict.TRUSTED: "bold green",
    Verdict.VALID: "green",
    Verdict.TAMPERED: "bold red",
    Verdict.INVALID: "bold red",
    Verdict.UNSIGNED: "yellow",
    Verdict.ERROR: "bold magenta",
}


def verify(
    files: Annotated[list[Path], typer.Argument(help="Files to verify.")],
    trust: Annotated[
        list[Path] | None,
        typer.Option(help="Trust-anchor PEM bundle (repeatable). Without it nothing is trusted."),
    ] = None,
    allowed_signers: Annotated[
        list[Path] | None,
        typer.Option(
            help="Only these signer certificates (PEM) may be trusted, within --trust anchors."
        ),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(help="Signed original or .c2pa store to compare a stripped file with."),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write pictures of what changed here: a frame timeline and outlined regions.",
        ),
    ] = None,
    no_frames: Annotated[bool, typer.Option(help="Skip frame and region localization.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON report (verification-report schema).")
    ] = False,
) -> None:
    """Verify content credentials and print a verdict per file.

    Verdicts: trusted (all checks pass and the signer chains to a --trust anchor),
    valid (all checks pass, signer not trusted), tampered (signed manifest intact but
    the media changed after signing), invalid (signature, certificate or manifest
    fails), unsigned (no manifest), error (unreadable or unsupported).

    A sidecar manifest (FILE.c2pa) next to a file is found and used.

    Examples:

      provenance verify signed.jpg --trust keys/ca.pem

      provenance verify *.mp4 --json > report.json

      provenance verify edited.mp4 --reference original.signed.mp4 --report out/
    """
    with progress_bar("verifying", enabled=not as_json) as progress:
        reports = verify_many(
            files,
            trust=Trust.load(trust or (), allowed=allowed_signers or ()),
            reference=reference,
            localize=not no_frames,
            progress=progress,
        )
    if report_dir is not None:
        for i, r in enumerate(reports):
            written = write_visual_report(r, report_dir / f"{i:03d}-{Path(r.path).stem}")
            for p in written:
                err_console.print(f"wrote {p}", markup=False)
    if as_json:
        console.print_json(json.dumps(batch_to_dict(reports)))
    else:
        for r in reports:
            render(r)
    raise typer.Exit(batch_exit_code(reports))


def render(r: VerificationReport) -> None:
    style = _STYLE[r.verdict]
    console.print(
        f"[bold]{r.path}[/bold]: [{style}]{r.verdict.value.upper()}[/{style}]  {r.message}"
    )
    if r.verdict in (Verdict.ERROR, Verdict.UNSIGNED):
        return
    rows: list[tuple[str, str]] = []
    if r.signer:
        rows += [("signer", r.signer.subject), ("issuer", r.signer.issuer)]
    if r.timestamp and r.timestamp.time:
        how = (
            "trusted timestamp"
            if r.timestamp.trusted
            else (
                "timestamp, authority not trusted"
                if r.timestamp.validated
                else "timestamp not validated"
            )
        )
        rows.append(("signed at", f"{r.timestamp.time} ({how})"))
    else:
        rows.append(("signed at", "no trusted time (no timestamp)"))
    if r.trust is not None:
        rows.append(("trust", f"{r.trust.decision}: {r.trust.reason}"))
    if r.claim_generator:
        rows.append(("generator", r.claim_generator))
    if r.title:
        rows.append(("title", r.title))
    if r.manifest_source and r.manifest_source != "embedded":
        rows.append(("manifest", f"{r.manifest_source}: {r.sidecar}"))
    for a in r.actions:
        src = f" ({a.digital_source_type.rsplit('/', 1)[-1]})" if a.digital_source_type else ""
        rows.append(("action", a.action + src))
    for i in r.ingredients:
        bad = f"  failures: {', '.join(i.failures)}" if i.failures else ""
        rows.append(("ingredient", f"{i.title} [{i.relationship}]{bad}"))
    for f in r.failures:
        where = " (in ingredient)" if f.ingredient else ""
        rows.append(("status", f"{f.code}{where}: {f.explanation}"))
    if r.regions:
        rows.append(("changed regions", ", ".join(f"{x},{y} {w}x{h}" for x, y, w, h in r.regions)))
    for k, v in rows:
        console.print(f"  {k:<11} {v}", markup=False)
    if r.frames:
        render_frames(r.frames)


def _timecode(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    m, s = divmod(seconds, 60)
    return f"{int(m):02d}:{s:06.3f}"


def render_frames(frames: dict[str, object]) -> None:
    summary = frames.get("summary") or {}
    assert isinstance(summary, dict)
    console.print(
        "  frames      " + ", ".join(f"{k} {v}" for k, v in summary.items() if v), markup=False
    )
    retimed = frames.get("retimed")
    if isinstance(retimed, dict):
        console.print(
            f"  retimed     frame rate changed {retimed['from_fps']:g} to {retimed['to_fps']:g}"
            f" fps ({retimed['dropped']} frames dropped, {retimed['duplicated']} repeated"
            " by the conversion: not counted as missing or inserted)",
            markup=False,
        )
    table = Table(box=None, padding=(0, 2), show_edge=False)
    for col in ("status", "checked frames", "signed frames", "from", "to", "regions"):
        table.add_column(col)
    segments = frames.get("segments") or []
    assert isinstance(segments, list)

    def rng(v: object) -> str:
        return f"{v[0]}-{v[1]}" if isinstance(v, list) else "-"

    def rects(v: object) -> str:
        return "; ".join(f"{x},{y} {w}x{h}" for x, y, w, h in v or [])  # type: ignore[attr-defined]

    for s in segments:
        table.add_row(
            s["status"],
            rng(s.get("checked_range")),
            rng(s.get("signed_range")),
            _timecode(s.get("start_time")),
            _timecode(s.get("end_time")),
            rects(s.get("regions")),
        )
        runs = s.get("frame_regions") or []
        if len(runs) > 1:  # the regions move: say where, frame by frame
            for run in runs[:_MAX_RUNS]:
                table.add_row("", f"  {rng(run['frames'])}", "", "", "", rects(run["regions"]))
            if len(runs) > _MAX_RUNS:
                table.add_row("", f"  ... {len(runs) - _MAX_RUNS} more", "", "", "", "")
    console.print(table)


_MAX_RUNS = 8  # per-frame region rows shown per segment (--json has them all)


def register(app: typer.Typer) -> None:
    app.command(epilog=EXIT_CODES_HELP)(verify)
