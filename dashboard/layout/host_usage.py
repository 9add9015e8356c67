"""The Build page's host-usage strip: Docker's CPU and memory samples under the timeline.

The strip is drawn into the timeline's own figure (:func:`profiler.figures_host.
add_host_strip`), so its x axis follows the timeline's: the same second at the same
place, zoomed together, whatever view the timeline shows. A build without samples
(a rawjson stream, a plain log) gets one line saying so instead.
"""

from __future__ import annotations

import plotly.graph_objects as go
from dash import html

from profiler.figures_host import add_host_strip, host_usage_note
from profiler.model import Build

NOTE_CLASS = "hint host-usage-note"


def with_host_usage(figure: go.Figure, build: Build) -> go.Figure:
    """The timeline ``figure`` with the strip under it (unchanged without samples)."""
    add_host_strip(figure, build)
    return figure


def host_usage_line(build: Build) -> list[html.P]:
    """The one line a build without samples shows where the strip would be."""
    note = host_usage_note(build)
    return [html.P(note, className=NOTE_CLASS)] if note else []
