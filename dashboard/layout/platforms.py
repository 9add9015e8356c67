"""The Build page's card of a multi-platform build: one row a platform, and its steps
grouped and coloured by platform.

Shown from two platforms on (``--platform linux/amd64,linux/386``); a build of one
platform gets nothing here. The figures come from
:mod:`profiler.analysis.platforms` (through the build's analysis) and
:func:`profiler.figures_platforms.platform_figure`.
"""

from __future__ import annotations

from dash import html

from dashboard import ids
from dashboard.layout.common import Child, card, graph, record_table
from profiler.analysis import BuildAnalysis
from profiler.analysis.platforms import PlatformSummary
from profiler.figures_platforms import platform_figure
from profiler.model import Build
from profiler.palette import platform_color
from profiler.render.platforms import SHARED, shown

COLUMNS = [
    ("platform", "platform", "name"),
    ("steps", "steps", "count"),
    ("cached", "cached", "count"),
    ("start", "start", "seconds"),
    ("ready", "ready", "seconds"),
    ("busy", "busy", "seconds"),
    ("sequential", "sequential", "seconds"),
    ("critical", "critical path", "seconds"),
    ("bound", "lower bound", "seconds"),
]


def _row(summary: PlatformSummary) -> dict[str, object]:
    own = not summary.shared
    return {
        "platform": summary.platform or SHARED,
        "steps": summary.steps,
        "cached": summary.cached,
        "start": summary.start,
        "ready": summary.end,
        "busy": summary.busy_seconds,
        "sequential": summary.sequential_seconds,
        "critical": summary.critical_path_seconds if own else None,
        "bound": summary.lower_bound_seconds if own else None,
    }


def _key(summary: PlatformSummary) -> html.Span:
    """A swatch of the platform's colour and its name, as the figure's legend has it."""
    swatch = html.Span(
        className="swatch",
        style={
            "display": "inline-block",
            "width": "10px",
            "height": "10px",
            "marginRight": "4px",
            "background": platform_color(summary.platform),
        },
    )
    return html.Span([swatch, summary.platform or SHARED], style={"marginRight": "14px"})


def platform_cards(build: Build, analysis: BuildAnalysis) -> list[Child]:
    """The Platforms card, or nothing for a build of fewer than two platforms."""
    if not shown(analysis):
        return []
    mine = [s for s in analysis.platforms if not s.shared]
    last = max(mine, key=lambda s: s.end or 0.0)
    summary_line = (
        f"{len(mine)} platforms built side by side; {last.platform} was ready last, "
        "each platform's critical path runs through the steps it used (shared loads, "
        "a build-platform stage)."
    )
    return [
        html.Div(
            card(
                html.P(summary_line, className="hint"),
                html.Div([_key(s) for s in analysis.platforms], className="hint"),
                record_table(COLUMNS, [_row(s) for s in analysis.platforms], id=ids.PLATFORM_TABLE),
                graph(platform_figure(build, analysis), id=ids.PLATFORM_GRAPH),
                title="Platforms",
            ),
            id=ids.PLATFORM_CARD,
        )
    ]
