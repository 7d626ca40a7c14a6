"""`provenance check`: a CI check for the media assets of a repository.

>>> from provenance.check import CheckOptions, run_check
>>> report = run_check(CheckOptions(paths=(Path("assets"),), jobs=4))
>>> report.exit_code  # ExitCode.OK: every asset meets the policy
>>> run = stream_check(options)  # for millions of assets: results written as they come
>>> write_check_report(run, ReportFormat.JSON, Path("report.json"))

Internals: `_walk` finds the assets, `_cache` keeps reports by content, `_run` verifies
them (through `provenance.verify`) on an engine (`provenance._engine`: local worker
processes or Ray), `_policy` loads and applies the policy, `_render` turns the report
into text, JSON, JUnit, SARIF or GitHub annotations.
"""

from .._engine import Engine
from ._policy import Policy, Violation, load_policy
from ._render import (
    ReportFormat,
    check_report_output,
    print_check_report,
    render_check_report,
    write_check_report,
)
from ._run import AssetResult, CheckOptions, CheckReport, CheckRun, run_check, stream_check

__all__ = [
    "AssetResult",
    "CheckOptions",
    "CheckReport",
    "CheckRun",
    "Engine",
    "Policy",
    "ReportFormat",
    "Violation",
    "check_report_output",
    "load_policy",
    "print_check_report",
    "render_check_report",
    "run_check",
    "stream_check",
    "write_check_report",
]
