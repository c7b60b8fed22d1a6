"""Docker's .dockerignore rules, for checking what reaches the build context without a daemon.

The same semantics as Docker's pattern matcher: patterns are relative to the context root, `*` and `?`
stay within one path segment, `**` spans segments, a pattern that matches a directory matches
everything under it, `!` re-includes, and the last pattern that matches a path decides.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    include: bool  # True for a `!pattern`
    text: str


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            if pattern.startswith("**/", i):
                out.append("(?:.*/)?")
                i += 3
            else:
                out.append(".*")
                i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "^" + "".join(out) + "$"


def load(path: Path) -> list[Pattern]:
    """The patterns of a .dockerignore file, comments and blank lines dropped."""
    patterns: list[Pattern] = []
    for raw in path.read_text().splitlines():
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        include = text.startswith("!")
        body = posixpath.normpath(text[1:].strip() if include else text).lstrip("/")
        patterns.append(Pattern(re.compile(_translate(body)), include, text))
    return patterns


def _matches(pattern: Pattern, path: str) -> bool:
    parts = path.split("/")
    return any(pattern.regex.match("/".join(parts[:n])) for n in range(1, len(parts) + 1))


def excluded(patterns: list[Pattern], path: str) -> bool:
    """True when the file at this context-relative path (slash-separated) stays out of the context."""
    result = False
    for pattern in patterns:
        if _matches(pattern, path):
            result = not pattern.include
    return result
