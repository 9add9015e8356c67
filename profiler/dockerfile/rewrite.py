"""Rewrites as plain text edits (:class:`Edit`), shown as a unified diff."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from profiler.dockerfile.model import Dockerfile

# --------------------------------------------------------------------------- rewriting


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace lines ``start``…``end`` (1-based, inclusive) with ``text``.

    ``end = start - 1`` inserts before line ``start`` without removing anything.
    """

    start: int
    end: int
    text: str


def apply_edits(dockerfile: Dockerfile, edits: Iterable[Edit]) -> str:
    """The Dockerfile's text with the (non-overlapping) edits applied."""
    lines = list(dockerfile.lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for first, second in itertools.pairwise(ordered):
        if second.start <= first.end:
            raise ValueError(f"overlapping edits at lines {first.start}-{first.end}")
    for edit in reversed(ordered):
        replacement = edit.text.splitlines(keepends=True)
        if replacement and not replacement[-1].endswith("\n"):
            replacement[-1] += "\n"
        lines[edit.start - 1 : edit.end] = replacement
    return "".join(lines)


def unified_diff(dockerfile: Dockerfile, new_text: str, context: int = 3) -> str:
    """A unified diff from the Dockerfile to ``new_text`` (``a/``, ``b/`` paths)."""
    name = dockerfile.path.name if dockerfile.path is not None else "Dockerfile"
    old_lines = list(dockerfile.lines)
    if old_lines and not old_lines[-1].endswith("\n"):
        old_lines[-1] += "\n"
    return "".join(
        difflib.unified_diff(
            old_lines,
            new_text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
            n=context,
        )
    )
