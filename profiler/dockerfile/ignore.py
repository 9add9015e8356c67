"""``.dockerignore``: which paths of the build context BuildKit leaves out.

The rules of moby/patternmatcher as the Docker CLI and BuildKit apply them:

- the file is read line by line (a UTF-8 BOM dropped); a line whose first character
  is ``#`` is a comment; blank lines are skipped; surrounding spaces are trimmed;
- ``!pattern`` re-includes what an earlier pattern left out; the last pattern that
  matches a path decides;
- each pattern is cleaned like a path (``./a//b/`` is ``a/b``) and a leading ``/``
  is dropped: patterns are relative to the context's root;
- ``*`` is any run of characters but ``/``, ``?`` one character but ``/``, ``[…]`` a
  class, ``\\`` escapes the next character, ``**`` any number of directories (zero
  too);
- a pattern that matches a directory leaves out everything inside it.

``Dockerfile.dockerignore`` beside the Dockerfile, when it exists, replaces the
context's ``.dockerignore`` (BuildKit ≥ 0.10's per-Dockerfile ignore files).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILE = ".dockerignore"


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    text: str
    """The cleaned pattern, without its ``!``."""
    exclusion: bool
    """``!pattern``: puts back what an earlier pattern left out."""
    regex: re.Pattern[str]


def read_patterns(text: str) -> list[str]:
    """The patterns of a ``.dockerignore`` text, cleaned as the Docker CLI cleans them."""
    patterns: list[str] = []
    for number, line in enumerate(text.splitlines()):
        if number == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = posixpath.normpath(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


def _regex(pattern: str) -> re.Pattern[str]:
    """patternmatcher's translation of one pattern into a regular expression."""
    out = ["^"]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 1
                if pattern[i + 1 : i + 2] == "/":
                    i += 1
                out.append(".*" if i + 1 >= len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\":
            if i + 1 < len(pattern):
                i += 1
                out.append(re.escape(pattern[i]))
            else:
                out.append(r"\\")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(r"\[")
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


class IgnoreMatcher:
    """Whether a context path (``a/b/c``, relative, ``/``-separated) is left out."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = tuple(
            IgnorePattern(
                text=pattern.removeprefix("!"),
                exclusion=pattern.startswith("!"),
                regex=_regex(pattern.removeprefix("!")),
            )
            for pattern in patterns
            if pattern.removeprefix("!")
        )
        self.has_exclusions = any(pattern.exclusion for pattern in self.patterns)
        # Without exclusions, one regular expression answers for all the patterns.
        self._any = re.compile("|".join(f"(?:{p.regex.pattern})" for p in self.patterns))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def ignored(self, path: str) -> bool:
        """patternmatcher's ``MatchesOrParentMatches``: the last matching pattern wins;
        a pattern matches a path or any directory above it."""
        parts = path.split("/")
        parents = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
        matched = False
        for pattern in self.patterns:
            # An inclusion cannot change a path already left out, nor an exclusion
            # one that is still in: skip them, as patternmatcher does.
            if pattern.exclusion != matched:
                continue
            hit = pattern.regex.match(path) is not None or any(
                pattern.regex.match(parent) is not None for parent in parents
            )
            if hit:
                matched = not pattern.exclusion
        return matched

    def ignored_inside(self, path: str) -> bool:
        """:meth:`ignored` for a path whose directory is known to be kept: without
        ``!`` patterns only the path itself can match (a walk's fast path)."""
        if self.has_exclusions:
            return self.ignored(path)
        return bool(self.patterns) and self._any.match(path) is not None

    def prunes(self, directory: str) -> bool:
        """The whole directory can be skipped: it is left out and no ``!`` pattern
        could put anything inside it back (fsutil's walker skips it the same way)."""
        return not self.has_exclusions and self.ignored(directory)


def ignore_file(context: Path, dockerfile: Path | None) -> Path | None:
    """The ignore file BuildKit reads: ``<Dockerfile>.dockerignore`` beside the
    Dockerfile if there is one, else the context's ``.dockerignore``, else none."""
    if dockerfile is not None:
        own = dockerfile.with_name(dockerfile.name + IGNORE_FILE)
        if own.is_file():
            return own
    shared = context / IGNORE_FILE
    return shared if shared.is_file() else None
