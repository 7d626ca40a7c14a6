"""provenance verify"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from provenance.errors import UsageError
from provenance.models import (
    FragmentReport,
    FrameReport,
    LookupResult,
    SourceKind,
    Verdict,
    VerificationReport,
)
from provenance.trust import Trust
from provenance.verify import verify_many, write_visual_report

from ._common import (
    REGISTRY_HELP,
    AllowedSignersOption,
    Command,
    IdentityTrustOption,
    TrustOption,
    console,
    err_console,
    exit_codes_help,
    handle_errors,
    progress_bar,
)
from ._describe import capture_line, identity_line

__all__ = [
    "expand_glob",
    "register",
    "render",
    "render_fragments",
    "render_lookup",
    "render_frames",
    "verify",
]

_STYLE = {
    Verdict.TRUSTED: "bold green",
    Verdict.VALID: "green",
    Verdict.TAMPERED: "bold red",
    Verdict.INVALID: "bold red",
    Verdict.UNSIGNED: "yellow",
    Verdict.ERROR: "bold magenta",
}

_SQLITE_MAGIC = b"SQLite format 3\0"


def _registry_given(lookup: str | None) -> str | None:
    """`verify --lookup copy.mp4` takes the file for the registry: say so in one line
    (exit 2), before FILE is found missing or the file fails to open as a database."""
    taken = Path(lookup) if lookup and "://" not in lookup else None
    if taken is not None and taken.is_file():
        with taken.open("rb") as f:
            if f.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
                raise UsageError(
                    f"--lookup took {lookup} as the registry, but it is not one: put FILE "
                    f"first (provenance verify {lookup} --lookup [REG])"
                )
    return lookup


def verify(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Files (or folders of frames) to verify.")
    ],
    trust: TrustOption = None,
    allowed_signers: AllowedSignersOption = None,
    identity_trust: IdentityTrustOption = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Signed original or .c2pa store to compare a stripped file with.",
        ),
    ] = None,
    lookup: Annotated[
        str | None,
        typer.Option(
            "--lookup",
            metavar="[REG]",  # bracketed: REG may be left out (cli._common.Command)
            show_default=False,
            callback=handle_errors(_registry_given),
            help="For a file without credentials (stripped, re-encoded): find its signed "
            f"original in the manifest registry REG and compare the file with it. {REGISTRY_HELP}"
            " Put FILE first: the word after --lookup is taken as REG.",
        ),
    ] = None,
    fragments: Annotated[
        str | None,
        typer.Option(
            metavar="GLOB",
            help="For a fragmented MP4's init segment: its media segments (a glob such as "
            "'seg-*.m4s', quoted), each checked against it.",
        ),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="DIR",
            help="Write pictures of what changed here: a frame timeline and outlined regions.",
        ),
    ] = None,
    no_frames: Annotated[
        bool, typer.Option("--no-frames", help="Skip frame and region localization.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON report (verification-report schema).")
    ] = False,
) -> None:
    """Verify content credentials and print a verdict per file.

    Verdicts: trusted (all checks pass and the signer chains to a --trust anchor),
    valid (all checks pass, signer not trusted), tampered (signed manifest intact, but
    the hashed bytes of the media changed after signing), invalid (the signature,
    certificate, manifest or the binding's structure fails), unsigned (no manifest),
    error (could not be checked: unreadable, unsupported, or an init segment without its
    fragments).

    A sidecar manifest (FILE.c2pa) next to a file is found and used. A remote manifest
    is never fetched: its address is printed, to download and keep as a sidecar.

    Stripped copies: with --lookup REG, a file without credentials is looked up in a
    manifest registry by its fingerprint; a signed original found there is validated and the file
    compared with it, as with --reference (the verdict is then tampered: the file is not
    the signed asset; frames and regions say what changed). A match proves what the
    original's manifest claims, not who made the copy. No match leaves it unsigned.

    Who made it and how: each creator identity (CAWG) is shown with its own status
    (trusted needs --identity-trust; valid; unverified; invalid), apart from the claim
    signer's verdict; capture facts show the camera, time, exposure and position, or
    that a group was redacted. A file whose own metadata still gives its location away
    is flagged.

    Examples:

      provenance verify signed.jpg --trust keys/ca.pem

      provenance verify *.mp4 --json > report.json

      provenance verify edited.mp4 --reference original.signed.mp4 --report out/

      provenance verify init.mp4 --fragments 'seg-*.m4s'

      provenance verify copy-from-the-web.mp4 --lookup registry.db --trust keys/ca.pem

      provenance verify copy-from-the-web.mp4 --lookup   # in $PROVENANCE_REGISTRY
    """  # noqa: E501 - examples are kept whole
    segments = None if fragments is None else expand_glob(fragments)
    with progress_bar("verifying", enabled=not as_json) as progress:
        batch = verify_many(
            files,
            trust=Trust.load(
                trust or (), allowed=allowed_signers or (), identity=identity_trust or ()
            ),
            reference=reference,
            lookup=None if lookup is None else lookup or True,
            fragments=segments,
            localize=not no_frames,
            progress=progress,
        )
    if report_dir is not None:
        for p in write_visual_report(batch.reports, report_dir):
            err_console.print(f"wrote {p}", markup=False)
    if as_json:
        console.print_json(json.dumps(batch.to_dict()))
    else:
        for r in batch.reports:
            render(r, hint=lookup is None and reference is None)
    raise typer.Exit(int(batch.exit_code))


def expand_glob(pattern: str) -> list[Path]:
    """The files a --fragments glob names, sorted (the shell left it quoted)."""
    found = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
    if not found:
        raise UsageError(f"--fragments: no file matches {pattern!r}")
    return found


def render(r: VerificationReport, *, hint: bool = False) -> None:
    """One file's verdict and the evidence behind it, for people; `hint`: say how a
    photo or video without credentials could still be traced."""
    style = _STYLE[r.verdict]
    console.print(
        f"[bold]{escape(r.path)}[/bold]: [{style}]{r.verdict.value.upper()}[/{style}]  "
        f"{escape(r.message)}"
    )
    if r.metadata_location:
        console.print(
            "  warning     the file's own metadata (EXIF, XMP or container tags) gives "
            "away where it was made",
            markup=False,
        )
    if r.lookup is not None:
        render_lookup(r.lookup)
    if r.verdict is Verdict.UNSIGNED and hint and (r.format or "").startswith(("image/", "video/")):
        console.print(
            "  hint        a stripped copy? find its signed original with --lookup REG (or "
            "$PROVENANCE_REGISTRY), or compare it with one: --reference ORIGINAL",
            markup=False,
        )
    if r.verdict is Verdict.UNSIGNED or (r.verdict is Verdict.ERROR and r.signer is None):
        return
    rows: list[tuple[str, str]] = []
    if r.signer:
        rows += [("signer", r.signer.subject), ("issuer", r.signer.issuer)]
    if r.validity:
        rows.append(("certificate", r.validity.explanation))
    if r.timestamp and r.timestamp.time:
        rows += [("signed at", r.timestamp.time), ("timestamp", r.timestamp.explanation)]
    elif r.timestamp:
        rows.append(("signed at", r.timestamp.explanation))
    if r.trust is not None:
        rows.append(("trust", f"{r.trust.decision.value}: {r.trust.reason}"))
    rows += [("author", a) for a in r.authors]
    rows += [("creator", identity_line(i)) for i in r.identities]
    if r.capture:
        rows.append(("capture", capture_line(r.capture)))
    if r.claim_generator:
        rows.append(("generator", r.claim_generator))
    if r.title:
        rows.append(("title", r.title))
    if r.manifest_source not in (None, SourceKind.EMBEDDED):
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
        rows.append(("changed regions", _rects(r.regions)))
    if r.sequence:
        for c in r.sequence.changed:
            where = f"  regions {_rects(c.regions)}" if c.regions else ""
            rows.append(("changed", c.name + where))
        rows += [("added", name) for name in r.sequence.added]
        rows += [("missing", name) for name in r.sequence.missing]
    for k, v in rows:
        console.print(f"  {k:<11} {v}", markup=False)
    if r.frames:
        render_frames(r.frames)
    if r.fragments:
        render_fragments(r.fragments)


def render_lookup(found: LookupResult) -> None:
    """What the registry found: the signed original, how similar, which part of it."""
    if not found.found:
        console.print(f"  registry    no signed original found in {found.registry}", markup=False)
        return
    for i, m in enumerate(found.matches[:3]):
        what = "found in the registry" if i == 0 else "also similar"
        verdict = f", manifest {m.verdict.value}" if m.verdict else ""
        console.print(
            f"  registry    {what}: {m.title or m.manifest_id} (similarity {m.similarity}%"
            f"{verdict})",
            markup=False,
        )
        if i == 0:
            rows = [("original", m.manifest_id)]
            if m.signer:
                rows.append(("signed by", m.signer))
            if m.signed_range and m.checked_range:
                (a, b), (c, d) = m.signed_range, m.checked_range
                rows.append(("covers", f"{_timecode(c)}-{_timecode(d)} of this file = "
                             f"{_timecode(a)}-{_timecode(b)} of the original"))  # fmt: skip
            for k, v in rows:
                console.print(f"  {k:<11} {v}", markup=False)


def _rects(rects: Iterable[tuple[int, int, int, int]], sep: str = ", ") -> str:
    return sep.join(f"{x},{y} {w}x{h}" for x, y, w, h in rects)


def render_fragments(fragments: Iterable[FragmentReport]) -> None:
    """The verdict of each media segment of a fragmented stream, with its time range."""
    table = Table(box=None, padding=(0, 2), show_edge=False)
    for col in ("fragment", "verdict", "from", "to", "why"):
        table.add_column(col)
    for f in fragments:
        table.add_row(
            escape(f.path),
            f.verdict.value,
            _timecode(f.start_time),
            _timecode(f.end_time),
            escape(f.message),
        )
    console.print(table)


def _timecode(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    m, s = divmod(seconds, 60)
    return f"{int(m):02d}:{s:06.3f}"


def _range(r: tuple[int, int] | None) -> str:
    return f"{r[0]}-{r[1]}" if r is not None else "-"


def render_frames(frames: FrameReport) -> None:
    """The frame summary and the table of segments, for people."""
    console.print(
        "  frames      " + ", ".join(f"{k} {v}" for k, v in frames.summary.items() if v),
        markup=False,
    )
    if frames.retimed is not None:
        t = frames.retimed
        console.print(
            f"  retimed     frame rate changed {t.from_fps:g} to {t.to_fps:g} fps ({t.dropped}"
            f" frames dropped, {t.duplicated} repeated by the conversion: not counted as"
            " missing or inserted)",
            markup=False,
        )
    table = Table(box=None, padding=(0, 2), show_edge=False)
    for col in ("status", "checked frames", "signed frames", "from", "to", "regions"):
        table.add_column(col)
    for s in frames.segments:
        table.add_row(
            s.status,
            _range(s.checked_range),
            _range(s.signed_range),
            _timecode(s.start_time),
            _timecode(s.end_time),
            _rects(s.regions, "; "),
        )
        if len(s.frame_regions) > 1:  # the regions move: say where, frame by frame
            for run in s.frame_regions[:_MAX_RUNS]:
                row = f"  {_range((run.first, run.last))}"
                table.add_row("", row, "", "", "", _rects(run.regions, "; "))
            if len(s.frame_regions) > _MAX_RUNS:
                more = f"  ... {len(s.frame_regions) - _MAX_RUNS} more"
                table.add_row("", more, "", "", "", "")
    console.print(table)


_MAX_RUNS = 8  # per-frame region rows shown per segment (--json has them all)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(cls=Command, epilog=exit_codes_help())(verify)
