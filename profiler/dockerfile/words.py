"""Words of an instruction: shell-like splitting and ``--flag=value`` prefixes."""

from __future__ import annotations

import re
import shlex

_FLAG = re.compile(r"^--([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?$")


def split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def parse_flags(arguments: str) -> tuple[tuple[str, str | None], ...]:
    flags: list[tuple[str, str | None]] = []
    for word in split_words(arguments):
        match = _FLAG.match(word)
        if match is None:
            break
        flags.append((match.group(1).lower(), match.group(2)))
    return tuple(flags)


def strip_flags(arguments: str) -> str:
    rest = arguments
    while True:
        stripped = rest.lstrip()
        if not stripped.startswith("--"):
            return stripped
        # Flags never contain unquoted spaces; quoted ones are rare enough to ignore.
        _, _, rest = stripped.partition(" ")
        if not rest:
            return ""
