"""`provenance check`: a CI check for the media assets of a repository.

>>> from provenance.check import CheckOptions, run_check
>>> report = run_check(CheckOptions(paths=(Path("assets"),), jobs=4))
>>> report.exit_code  # 0 all assets meet the policy, 1 violations, 2 unreadable
"""

from .errors import PolicyError
from .formats import FORMATS, render
from .policy import RULES, Policy, Rules, Violation, discover_policy, load_policy
from .run import AssetResult, CheckOptions, CheckReport, check_paths, default_jobs, run_check

__all__ = [
    "FORMATS",
    "RULES",
    "AssetResult",
    "CheckOptions",
    "CheckReport",
    "Policy",
    "PolicyError",
    "Rules",
    "Violation",
    "check_paths",
    "default_jobs",
    "discover_policy",
    "load_policy",
    "render",
    "run_check",
]
