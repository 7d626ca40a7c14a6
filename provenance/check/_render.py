"""Render a check report for people (text) and for CI systems (JSON, JUnit XML,
SARIF 2.1.0, GitHub Actions workflow annotations), and write it where asked."""

from __future__ import annotations

import enum
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .._atomic import atomic_output, check_output
from .._rules import AssetStatus
from .._version import __version__
from ..errors import UsageError
from ._policy import RULES, Violation
from ._run import AssetResult, CheckReport

__all__ = [
    "ReportFormat",
    "check_report_output",
    "empty_message",
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


def render_text(report: CheckReport, console: Console) -> None:
    """A table for people: every asset that failed, then a one-line summary. Passing
    assets are listed only when there are few."""
    s = report.summary()
    shown = [r for r in report.results if r.status is not AssetStatus.PASS]
    if len(report.results) <= 50:
        shown = list(report.results)
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


def empty_message(report: CheckReport) -> str:
    """What a check that found no media says, and whether the policy fails it."""
    verdict = (
        "the policy requires some ([files] require_assets), so the check fails"
        if report.policy.require_assets
        else "the check passes (set [files] require_assets = true to fail instead)"
    )
    return f"nothing checked: no media assets were found; {verdict}"


def _text(report: CheckReport) -> str:
    buf = io.StringIO()
    render_text(report, Console(file=buf, width=120, color_system=None, highlight=False))
    return buf.getvalue()


# ----------------------------------------------------------------------------------- json


def to_json(report: CheckReport) -> str:
    """The check-report schema's document."""
    return json.dumps(report.to_dict(), indent=2, sort_keys=False) + "\n"


# ---------------------------------------------------------------------------------- junit


def to_junit(report: CheckReport) -> str:
    """One testcase per asset; a failing asset has one <failure> listing each violation,
    an unreadable one an <error>. Non-media files are not testcases: their number is
    the `provenance.skipped_files` property."""
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
    for r in report.results:
        folder, _, _name = r.path.rpartition("/")
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": "provenance.check." + (folder.replace("/", ".") or "root"),
                "name": r.path,
                "file": r.path,
                "time": "0",
            },
        )
        if r.status is AssetStatus.PASS:
            continue
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
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


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


def to_sarif(report: CheckReport) -> str:
    """SARIF 2.1.0: one rule per policy rule, one result per violation, the asset as
    the artifact location (relative to %SRCROOT%, the checked root)."""
    rules = _sarif_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = [_sarif_result(r, v, index) for r in report.results for v in r.violations]
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
                "results": results,
                "properties": {"summary": report.summary()},
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


# --------------------------------------------------------------------------------- github


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: CheckReport) -> str:
    """GitHub Actions workflow commands: one `::error` annotation per violation."""
    lines = []
    for r in report.results:
        for v in r.violations:
            title = f"provenance: {v.rule}"
            lines.append(
                f"::error file={_gh_prop(r.path)},title={_gh_prop(title)}::"
                f"{_gh_data(_violation_text(v))}"
            )
    if report.empty:
        kind = "error" if report.policy.require_assets else "warning"
        lines.append(f"::{kind} title=provenance: no assets::{_gh_data(empty_message(report))}")
    s = report.summary()
    lines.append(
        f"provenance check: {s['assets']} assets, {s['passed']} passed, {s['failed']} failed, "
        f"{s['errors']} could not be checked, {s['skipped']} other files skipped"
    )
    return "\n".join(lines) + "\n"


_RENDERERS = {
    ReportFormat.TEXT: _text,
    ReportFormat.JSON: to_json,
    ReportFormat.JUNIT: to_junit,
    ReportFormat.SARIF: to_sarif,
    ReportFormat.GITHUB: to_github,
}


def render_check_report(report: CheckReport, fmt: ReportFormat) -> str:
    """The report in one of the `ReportFormat`s, as text."""
    return _RENDERERS[fmt](report)


def check_report_output(path: Path) -> None:
    """Refuse, before the work, an output path the report could not be written to."""
    check_output(path, force=True)


def write_check_report(report: CheckReport, fmt: ReportFormat, path: Path) -> None:
    """Write the rendered report to `path` atomically (complete, or not at all)."""
    with atomic_output(path, force=True) as f:
        f.write(render_check_report(report, fmt).encode("utf-8"))
