"""Render a check report for people (text) and for CI systems (JSON, JUnit XML,
SARIF 2.1.0, GitHub Actions workflow annotations), and write it where asked."""

from __future__ import annotations

import enum
import io
import json
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import quote

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .._atomic import atomic_output, check_output
from .._rules import AssetStatus
from .._version import __version__
from ..errors import UsageError
from ._policy import RULES, Violation
from ._run import AssetResult, Outcome

__all__ = [
    "ReportFormat",
    "check_report_output",
    "empty_message",
    "print_check_report",
    "render_check_report",
    "render_text",
    "to_github",
    "to_json",
    "to_junit",
    "to_sarif",
    "write_check_report",
]


class ReportFormat(enum.StrEnum):
    """The forms a check report can take."""

    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"

    @classmethod
    def parse(cls, name: str) -> ReportFormat:
        """The format named `name`; a `UsageError` that lists the choices otherwise."""
        try:
            return cls(name)
        except ValueError:
            choices = ", ".join(f.value for f in cls)
            raise UsageError(f"unknown --format {name!r}; choose one of {choices}") from None


_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_INFO_URI = "https://c2pa.org/specifications/"
_FEW = 50  # up to this many assets, the text table lists the passing ones too
_STATUS_STYLE = {
    AssetStatus.PASS: "green",
    AssetStatus.FAIL: "bold red",
    AssetStatus.ERROR: "bold magenta",
    AssetStatus.INTERNAL: "bold magenta",
}


def _violation_text(v: Violation) -> str:
    text = v.message
    if v.status_codes:
        text += f" [{', '.join(v.status_codes)}]"
    return text


# ----------------------------------------------------------------------------------- text


def render_text(report: Outcome, console: Console) -> None:
    """A table for people: every asset that failed, then a one-line summary. Passing
    assets are listed only when there are few (a streamed run keeps the first 51 rows and
    the failing ones, for the table's widths)."""
    first: list[AssetResult] = []
    failing: list[AssetResult] = []
    for r in report.rows():
        if len(first) <= _FEW:
            first.append(r)
        if r.status is not AssetStatus.PASS:
            failing.append(r)
    shown = first if len(first) <= _FEW else failing
    s = report.summary()
    if shown:
        table = Table(show_lines=False, pad_edge=False, box=None, padding=(0, 2))
        table.add_column("asset", overflow="fold")
        table.add_column("verdict")
        table.add_column("result")
        table.add_column("violations", overflow="fold")
        for r in shown:
            style = _STATUS_STYLE[r.status]
            table.add_row(
                escape(r.path),
                r.verdict.value,
                f"[{style}]{r.status.value.upper()}[/{style}]",
                escape("\n".join(f"{v.rule}: {_violation_text(v)}" for v in r.violations)) or "-",
            )
        console.print(table)
    policy = report.policy.source or "default policy"
    console.print(
        f"{s['assets']} assets checked ({policy}): {s['passed']} passed, {s['failed']} failed, "
        f"{s['errors']} could not be checked; {s['skipped']} other files skipped",
        markup=False,
    )
    if report.empty:
        console.print(empty_message(report), markup=False)


def empty_message(report: Outcome) -> str:
    """What a check that found no media says, and whether the policy fails it."""
    verdict = (
        "the policy requires some ([files] require_assets), so the check fails"
        if report.policy.require_assets
        else "the check passes (set [files] require_assets = true to fail instead)"
    )
    return f"nothing checked: no media assets were found; {verdict}"


def _write_text(report: Outcome, out: IO[str]) -> None:
    render_text(report, Console(file=out, width=120, color_system=None, highlight=False))


# ------------------------------------------------------------------------------ streaming


@contextmanager
def _spooled(parts: Iterable[str], sep: str) -> Iterator[tuple[IO[str], int]]:
    """The parts written out as they come (to memory, then to a temporary file past a
    few MiB), joined by `sep`, and how many there were: a report's rows, kept out of the
    driver's memory until the summary that precedes them is known."""
    with tempfile.SpooledTemporaryFile(4 << 20, mode="w+", encoding="utf-8") as f:
        n = 0
        for part in parts:
            f.write(sep if n else "")
            f.write(part)
            n += 1
        f.seek(0)
        yield f, n


def _splice(
    out: IO[str], text: str, marker: str, rows: IO[str], n: int, at: str, none: str | None = None
) -> None:
    """`text` with its one `marker` replaced by the rows (`at`: the marker with "{}" where
    the rows go), or by `none` when there are none (default: the marker stays)."""
    i = text.index(marker)
    out.write(text[:i])
    if n:
        before, after = at.split("{}")
        out.write(before)
        shutil.copyfileobj(rows, out)
        out.write(after)
    else:
        out.write(marker if none is None else none)
    out.write(text[i + len(marker) :])


def _dumps_at(doc: Any, depth: int) -> str:
    """`doc` as `json.dumps(..., indent=2)` writes it nested `depth` levels deep."""
    pad = "  " * depth
    return "\n".join(pad + line for line in json.dumps(doc, indent=2).split("\n"))


# ----------------------------------------------------------------------------------- json


def _write_json(report: Outcome, out: IO[str]) -> None:
    rows = (_dumps_at(r.to_dict(), 2) for r in report.rows())
    with _spooled(rows, ",\n") as (spool, n):
        text = json.dumps(report.head(), indent=2) + "\n"
        marker = '"results": []'
        _splice(out, text, marker, spool, n, at='"results": [\n{}\n  ]')


def to_json(report: Outcome) -> str:
    """The check-report schema's document."""
    return render_check_report(report, ReportFormat.JSON)


# ---------------------------------------------------------------------------------- junit


def _junit_case(r: AssetResult) -> str:
    folder, _, _name = r.path.rpartition("/")
    case = ET.Element(
        "testcase",
        {
            "classname": "provenance.check." + (folder.replace("/", ".") or "root"),
            "name": r.path,
            "file": r.path,
            "time": "0",
        },
    )
    if r.status is not AssetStatus.PASS:
        tag = "failure" if r.status is AssetStatus.FAIL else "error"
        rules = sorted({v.rule for v in r.violations})
        el = ET.SubElement(
            case,
            tag,
            {
                "message": f"{r.path}: " + "; ".join(_violation_text(v) for v in r.violations),
                "type": ",".join(rules),
            },
        )
        el.text = "\n".join(f"{v.rule}: {_violation_text(v)}" for v in r.violations)
        ET.indent(case, level=2)
    return ET.tostring(case, "unicode")


def _write_junit(report: Outcome, out: IO[str]) -> None:
    """One testcase per asset; a failing asset has one <failure> listing each violation,
    an unreadable one an <error>. Non-media files are not testcases: their number is
    the `provenance.skipped_files` property."""
    with _spooled((_junit_case(r) for r in report.rows()), "\n    ") as (spool, n):
        s = report.summary()
        attrs = {
            "name": "provenance check",
            "tests": str(s["assets"]),
            "failures": str(s["failed"]),
            "errors": str(s["errors"]),
            "skipped": "0",
            "time": "0",
        }
        suites = ET.Element("testsuites", attrs)
        suite = ET.SubElement(suites, "testsuite", attrs)
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("provenance.version", __version__),
            ("provenance.policy", report.policy.source or "default"),
            ("provenance.skipped_files", str(s["skipped"])),
        ):
            ET.SubElement(props, "property", {"name": name, "value": value})
        ET.SubElement(suite, "rows")  # where the testcases go
        ET.indent(suites)
        text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
        _splice(out, text, "\n    <rows />", spool, n, at="\n    {}", none="")


def to_junit(report: Outcome) -> str:
    """The report as JUnit XML (one testcase per asset)."""
    return render_check_report(report, ReportFormat.JUNIT)


# ---------------------------------------------------------------------------------- sarif


def _sarif_rules() -> list[dict[str, Any]]:
    return [
        {
            "id": rule,
            "name": "".join(w.capitalize() for w in rule.split("-")),
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "help": {"text": full},
            "defaultConfiguration": {"level": "error"},
        }
        for rule, (short, full) in RULES.items()
    ]


def _sarif_result(r: AssetResult, v: Violation, index: dict[str, int]) -> dict[str, Any]:
    props: dict[str, Any] = {"verdict": r.verdict.value}
    if v.status_codes:
        props["statusCodes"] = list(v.status_codes)
    if v.frames:
        props["frames"] = v.frames_to_dict()
    return {
        "ruleId": v.rule,
        "ruleIndex": index[v.rule],
        "level": "error",
        "message": {"text": f"{r.path}: {_violation_text(v)}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(r.path), "uriBaseId": "%SRCROOT%"}
                }
            }
        ],
        "partialFingerprints": {"assetRule/v1": f"{r.path}:{v.rule}"},
        "properties": props,
    }


def _write_sarif(report: Outcome, out: IO[str]) -> None:
    """SARIF 2.1.0: one rule per policy rule, one result per violation, the asset as
    the artifact location (relative to %SRCROOT%, the checked root)."""
    rules = _sarif_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    rows = (_dumps_at(_sarif_result(r, v, index), 4) for r in report.rows() for v in r.violations)
    with _spooled(rows, ",\n") as (spool, n):
        root_uri = report.root.as_uri().rstrip("/") + "/"
        doc = {
            "$schema": _SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "provenance check",
                            "semanticVersion": __version__,
                            "informationUri": _INFO_URI,
                            "rules": rules,
                        }
                    },
                    "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
                    "results": [],
                    "properties": {"summary": report.summary()},
                }
            ],
        }
        text = json.dumps(doc, indent=2) + "\n"
        _splice(out, text, '"results": []', spool, n, at='"results": [\n{}\n      ]')


def to_sarif(report: Outcome) -> str:
    """The report as SARIF 2.1.0."""
    return render_check_report(report, ReportFormat.SARIF)


# --------------------------------------------------------------------------------- github


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _write_github(report: Outcome, out: IO[str]) -> None:
    """GitHub Actions workflow commands: one `::error` annotation per violation."""
    rows = (
        f"::error file={_gh_prop(r.path)},title={_gh_prop(f'provenance: {v.rule}')}::"
        f"{_gh_data(_violation_text(v))}\n"
        for r in report.rows()
        for v in r.violations
    )
    with _spooled(rows, "") as (spool, _):
        shutil.copyfileobj(spool, out)
    if report.empty:
        kind = "error" if report.policy.require_assets else "warning"
        out.write(f"::{kind} title=provenance: no assets::{_gh_data(empty_message(report))}\n")
    s = report.summary()
    out.write(
        f"provenance check: {s['assets']} assets, {s['passed']} passed, {s['failed']} failed, "
        f"{s['errors']} could not be checked, {s['skipped']} other files skipped\n"
    )


def to_github(report: Outcome) -> str:
    """The report as GitHub Actions workflow commands."""
    return render_check_report(report, ReportFormat.GITHUB)


_WRITERS: dict[ReportFormat, Callable[[Outcome, IO[str]], None]] = {
    ReportFormat.TEXT: _write_text,
    ReportFormat.JSON: _write_json,
    ReportFormat.JUNIT: _write_junit,
    ReportFormat.SARIF: _write_sarif,
    ReportFormat.GITHUB: _write_github,
}


def print_check_report(report: Outcome, fmt: ReportFormat, out: IO[str]) -> None:
    """Write the report to `out` as its rows arrive (a streamed `CheckRun` is consumed;
    the rows wait in a temporary file until the summary that precedes them is known)."""
    _WRITERS[fmt](report, out)


def render_check_report(report: Outcome, fmt: ReportFormat) -> str:
    """The report in one of the `ReportFormat`s, as text."""
    buf = io.StringIO()
    print_check_report(report, fmt, buf)
    return buf.getvalue()


def check_report_output(path: Path) -> None:
    """Refuse, before the work, an output path the report could not be written to."""
    check_output(path, force=True)


class _OpenedLate(io.TextIOBase):
    """`path`'s atomic output, created at the first write: every writer reads the rows
    (and so the listing) before it writes, so a streamed run never lists its own
    unfinished output."""

    def __init__(self, path: Path, stack: ExitStack):
        self._path, self._stack = path, stack
        self._file: IO[str] | None = None

    def write(self, text: str) -> int:
        if self._file is None:
            raw = self._stack.enter_context(atomic_output(self._path, force=True))
            self._file = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            self._stack.callback(self._file.detach)  # the file is atomic_output's to close
            self._stack.callback(self._file.flush)  # first (callbacks run last in, first out)
        return self._file.write(text)


def write_check_report(report: Outcome, fmt: ReportFormat, path: Path) -> None:
    """Write the report to `path` atomically (complete, or not at all), as its rows
    arrive."""
    with ExitStack() as stack:
        out = _OpenedLate(path, stack)
        print_check_report(report, fmt, cast(IO[str], out))
        out.write("")  # created even if nothing was written
