"""What the golden tests share: writing a golden file, and the ``--regenerate`` command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson


def write_golden(path: Path, data: Mapping[str, Any]) -> None:
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {len(data)} cases to {path.name}")


def regenerate_command(usage: str | None, regenerate: Callable[[], None]) -> None:
    """``python -m MODULE --regenerate``: anything else prints the module's docstring."""
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(usage)
    regenerate()
