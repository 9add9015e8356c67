"""One visual language for every chart: a colour per stage, red for failure only.

- A stage's colour comes from its name (a checksum, not Python's salted ``hash``),
  so ``backend`` is the same colour on every page, in every run and in exports.
  Bake targets share a stage's colour: ``api/base`` and ``web/base`` are both "base".
- Red means failed, and nothing else: the palette has no red, and neither has any
  other mark (regressions and slower stages are orange).
- Cached steps are pale and hatched, cancelled ones cross-hatched; the critical path
  is a dark outline, wherever it is drawn.
"""

from __future__ import annotations

import zlib
from typing import Any

import plotly.graph_objects as go

STAGE_PALETTE = (
    "#4c78a8",  # blue
    "#f58518",  # orange
    "#54a24b",  # green
    "#b279a2",  # mauve
    "#72b7b2",  # teal
    "#eeca3b",  # yellow
    "#9d755d",  # brown
    "#5b5fc7",  # indigo
    "#17becf",  # cyan
    "#bcbd22",  # olive
    "#2f6f6a",  # dark teal
    "#393b79",  # navy
)
NEUTRAL = "#8c8c8c"
"""BuildKit's own vertices: ``(internal)``, ``(export)``."""
FAILED_COLOR = "#d62728"
CRITICAL_OUTLINE = "#111111"
SLOWER_COLOR = "#f58518"
FASTER_COLOR = "#54a24b"
CACHED_OPACITY = 0.4
HATCH = {"cached": "/", "cancelled": "x", "unfinished": "."}
HOST_USAGE_COLORS = {
    "cpu": "#4c78a8",
    "iowait": "#9d755d",
    "memory": "#54a24b",
    "cpu_pressure": "#f58518",
    "memory_pressure": "#b279a2",
    "cpu_bound": "#eeca3b",
}
"""The host-usage strip under the timeline: one colour a measure, never red."""


PLATFORM_PALETTE = (
    "#1f3b73",  # dark blue
    "#a3541b",  # rust
    "#3d7a36",  # forest
    "#6b3d7a",  # plum
    "#2a7f8a",  # petrol
    "#8a6d1f",  # ochre
)
"""Platforms of a multi-platform build: darker than the stage colours, no red."""


def stage_color(stage: str) -> str:
    """The colour of a stage, from its name (without any bake target or platform
    prefix: ``api/base``, ``linux/386 base`` and ``base`` are one colour)."""
    name = stage.rsplit("/", 1)[-1].rsplit(" ", 1)[-1]
    if name.startswith("("):
        return NEUTRAL
    return STAGE_PALETTE[zlib.crc32(name.encode()) % len(STAGE_PALETTE)]


def platform_color(platform: str | None) -> str:
    """The colour of a platform (``linux/386``), from its name; neutral for the steps
    shared by all platforms (``None``)."""
    if platform is None:
        return NEUTRAL
    return PLATFORM_PALETTE[zlib.crc32(platform.encode()) % len(PLATFORM_PALETTE)]


def pale(color: str, opacity: float = CACHED_OPACITY) -> str:
    """``color`` mixed with white: how a cached step's bar looks."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(255 - (255 - c) * opacity) for c in (red, green, blue)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def add_key(figure: go.Figure, *, cached: bool, failed: bool, critical: bool) -> None:
    """Legend entries that say what the marks mean (empty traces, never drawn)."""
    figure.add_traces(key_traces(cached=cached, failed=failed, critical=critical))


def key_traces(*, cached: bool, failed: bool, critical: bool) -> list[dict[str, Any]]:
    """:func:`add_key`'s traces as plotly's JSON (for figures built as plain dicts)."""
    keys = []
    if critical:
        keys.append(("critical path (outlined)", "#ffffff", "", CRITICAL_OUTLINE, 2))
    if cached:
        keys.append(("cached (pale, hatched)", pale(NEUTRAL), "/", NEUTRAL, 0))
    if failed:
        keys.append(("failed (red)", FAILED_COLOR, "", FAILED_COLOR, 0))
    return [
        {
            "type": "bar",
            "name": name,
            "x": [None],
            "y": [None],
            "orientation": "h",
            "marker": {
                "color": fill,
                "pattern": {"shape": shape, "fgcolor": NEUTRAL, "size": 5},
                "line": {"color": line, "width": width},
            },
            "hoverinfo": "skip",
            "legendgroup": "key",
        }
        for name, fill, shape, line, width in keys
    ]
