"""Path globs for policies and --include/--exclude, matched against root-relative
POSIX paths: `*` matches within one path segment, `**` any number of segments,
`?` one character, `[abc]` a character class. A glob without a `/` matches the file
name in any folder (like .gitignore), so `*.png` means every PNG."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = ["match", "match_any"]


@functools.lru_cache(maxsize=1024)
def _compile(glob: str) -> re.Pattern[str]:
    pattern = glob.strip().lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    if "/" not in pattern:
        pattern = "**/" + pattern
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def match(path: str, glob: str) -> bool:
    """Whether the root-relative POSIX `path` matches `glob`."""
    return _compile(glob).match(path) is not None


def match_any(path: str, globs: Iterable[str]) -> bool:
    """Whether `path` matches any of the globs."""
    return any(match(path, g) for g in globs)
