"""One vocabulary in what users read: the CLI's reports, the dashboard, the exports.

Scans the string literals (not docstrings or comments) of every presenter for words
the README's "Words" section retired: "vertices" (they are steps), "cache hit(s)" and
"cache miss" (steps are cached or not; the ratio is "cached"), "added in"/"removed
from" (compare says "only in A" / "only in B"). JSON keys keep their names: the
stable ones that differ are listed and allowed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRESENTERS = [
    *sorted((ROOT / "profiler" / "render").glob("*.py")),
    *sorted((ROOT / "profiler" / "cli").glob("*.py")),
    *sorted((ROOT / "profiler" / "export").glob("*.py")),
    *sorted((ROOT / "dashboard").rglob("*.py")),
    ROOT / "profiler" / "figures.py",
    ROOT / "profiler" / "figures_history.py",
    ROOT / "profiler" / "analysis" / "compare.py",
]
RETIRED = re.compile(
    r"\bvertex\b|\bvertices\b|cache hits?\b|cache miss(?:es)?\b|added in b|removed from b", re.I
)
JSON_KEYS = {"vertices"}
"""Stable ``--json`` keys that keep their old word (README, "Words")."""


def user_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Docstrings, attribute docstrings: every string that is a statement on its own.
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and node.value not in JSON_KEYS
        ):
            found.append((node.lineno, node.value))
    return found


def test_presenters_use_one_vocabulary() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in PRESENTERS
        for line, text in user_strings(path)
        if RETIRED.search(text)
    ]
    assert offending == []


def test_the_scan_finds_a_retired_word(tmp_path: Path) -> None:
    # The check itself: a literal with a retired word is caught, a docstring is not.
    source = 'def f():\n    """vertices here are fine"""\n    return "3 vertices"\n'
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert [text for _, text in user_strings(path) if RETIRED.search(text)] == ["3 vertices"]
