"""Plotly figure of a multi-platform build: its steps grouped and coloured by platform.

The build's own timeline colours by stage; here each platform is one colour
(:func:`profiler.palette.platform_color`, neutral for the shared steps) and its steps
are one block of rows, so that two platforms running the same stages side by side
read as two lanes of work. Each platform's own critical path is outlined.
"""

from __future__ import annotations

import plotly.graph_objects as go

from profiler.analysis import BuildAnalysis
from profiler.figures import LEGEND_BESIDE, MIN_BAR_FRACTION, bar_style, step_label
from profiler.figures_history import timeline_height
from profiler.model import Build, Step
from profiler.palette import CRITICAL_OUTLINE, platform_color
from profiler.render.format import seconds

MAX_PLATFORM_ROWS = 200
"""Above this many steps, each platform shows only its critical path's steps."""
SHARED_NAME = "shared"


def _platform_rows(build: Build, analysis: BuildAnalysis) -> list[tuple[str | None, list[Step]]]:
    timed = [step for step in build if step.start is not None]
    paths = {summary.platform: set(summary.critical_path) for summary in analysis.platforms}
    only_paths = len(timed) > MAX_PLATFORM_ROWS
    rows = []
    for summary in analysis.platforms:
        members = [step for step in timed if step.parsed.platform == summary.platform]
        if only_paths:
            keep = paths.get(summary.platform) or set()
            members = [step for step in members if step.digest in keep]
        rows.append((summary.platform, sorted(members, key=lambda s: (s.start or 0.0, s.name))))
    return rows


def platform_figure(build: Build, analysis: BuildAnalysis) -> go.Figure:
    """Every timed step, one block of rows a platform (then the shared steps), one
    colour a platform; each platform's critical path outlined. ``customdata`` is the
    vertex digest, as on the build's timeline."""
    figure = go.Figure()
    min_width = max(analysis.wall_seconds, 1e-3) * MIN_BAR_FRACTION
    labels: list[str] = []
    for platform, members in _platform_rows(build, analysis):
        if not members:
            continue
        summary = next(s for s in analysis.platforms if s.platform == platform)
        on_path = set(summary.critical_path)
        color = platform_color(platform)
        styles = [bar_style(step, color) for step in members]
        names = [step_label(step) for step in members]
        labels.extend(names)
        figure.add_trace(
            go.Bar(
                name=platform or SHARED_NAME,
                orientation="h",
                base=[step.start for step in members],
                x=[max(step.duration, min_width) for step in members],
                y=names,
                customdata=[step.digest for step in members],
                hovertext=[
                    f"{name}<br>{platform or SHARED_NAME}: {seconds(step.duration)}"
                    for name, step in zip(names, members, strict=True)
                ],
                hoverinfo="text",
                marker={
                    "color": [fill for fill, _ in styles],
                    "pattern": {"shape": [hatch for _, hatch in styles], "size": 5},
                    "line": {
                        "color": [
                            CRITICAL_OUTLINE if s.digest in on_path else "rgba(0,0,0,0)"
                            for s in members
                        ],
                        "width": [2 if s.digest in on_path else 0 for s in members],
                    },
                },
            )
        )
    figure.update_layout(
        barmode="overlay",
        title="Steps by platform (each platform's critical path outlined)",
        xaxis={"title": "seconds from build start", "rangemode": "tozero"},
        yaxis={
            "categoryorder": "array",
            "categoryarray": list(reversed(labels)),
            "automargin": True,
            "tickfont": {"size": 10},
        },
        height=timeline_height(len(labels)),
        legend={**LEGEND_BESIDE, "title": {"text": "platform"}},
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure
