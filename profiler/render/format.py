"""Small formatting helpers every presenter shares: durations, percentages, rounding.

Kept free of rich, the analysis and the store, so that the light commands (``runs``)
import nothing heavy to print a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

JSON_SCHEMA = 1
"""``"schema"`` of every JSON document of the history commands (keys are added, never renamed)."""
TOP_ROWS = 10
"""Rows of each long table (critical path, slowest steps, stages, cancelled steps) the
analyze report shows unless asked for all: a 5,000-step build would otherwise print
~850 lines."""
NAME_LIMIT = 300
"""Characters of a step name, error or log line the terminal shows: a 10 MB name
(a generated RUN line) would otherwise be wrapped by Rich for minutes. The JSON
report and the exports keep names whole."""


def clip(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` on one line (runs of blanks squeezed), cut with "…" beyond ``limit``.

    Linear in ``limit``, not in the text: only a little more than ``limit`` characters
    are looked at, whatever the text's length.
    """
    head = " ".join(text[: limit * 4 + 1].split())
    if len(head) <= limit and len(text) <= limit * 4:
        return head
    return head[: limit - 1] + "…"


def left_out(count: int, what: str) -> str:
    """The line under a table cut to its first rows: how many rows are not shown and
    how to see them (the terminal reports show the top few; ``--json`` has them all)."""
    return f"{count} more {what} not shown (--all shows every one)"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 60:
        minutes, rest = divmod(value, 60)
        return f"{int(minutes)}m{rest:04.1f}s"
    return f"{value:.2f}s" if value < 10 else f"{value:.1f}s"


def signed_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    sign = "+" if value > 0.0005 else "-" if value < -0.0005 else "±"
    return f"{sign}{seconds(abs(value))}"


def size(value: int | None) -> str:
    """Bytes as people read them: ``29 B``, ``188 B``, ``4.2 KiB``, ``1.03 MiB``."""
    if value is None:
        return "-"
    scaled = float(abs(value))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if scaled < 1024 or unit == "GiB":
            break
        scaled /= 1024
    text = f"{scaled:.0f} {unit}" if unit == "B" else f"{scaled:.3g} {unit}"
    return f"-{text}" if value < 0 else text


def signed_size(value: int | None) -> str:
    if value is None:
        return "-"
    return "±0 B" if value == 0 else ("+" if value > 0 else "") + size(value)


def percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return change_percent(value) if signed else f"{value * 100:.0f}%"


def change_percent(ratio: float | None) -> str:
    """A relative change, signed: ``+12%``, ``-99.5%``.

    Only a value that fell to exactly zero reads ``-100%``: 7.66 s → 0.04 s is
    ``-99.5%``, with as many decimals as it takes not to round to a total loss.
    """
    if ratio is None:
        return "-"
    for digits in (0, 1, 2):
        text = f"{ratio * 100:+.{digits}f}%"
        if ratio <= -1 or float(text[:-1]) > -100:
            return text
    return f"{ratio * 100:+.3f}%"


def rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], width: int = 24) -> str:
    """The last ``width`` values as block characters (a gap for a missing value)."""
    shown = list(values)[-width:]
    present = [value for value in shown if value is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    if span <= 1e-9 * max(abs(low), abs(high), 1.0):
        span = 0.0  # float noise (1.0 vs 0.9999999999) is a flat line, not a trend
    return "".join(
        " "
        if value is None
        else SPARK_BLOCKS[0 if span == 0 else round((value - low) / span * (len(SPARK_BLOCKS) - 1))]
        for value in shown
    )


def json_bytes(document: Mapping[str, Any]) -> bytes:
    """A JSON document as the history commands print it: indented, newline-terminated."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
