"""The host-usage strip: how busy the host was, on the timeline's own time axis.

Drawn under the Gantt chart (dashboard build page, HTML export) from Docker's
``sysUsage`` samples (:mod:`profiler.analysis.host_usage`): CPU busy and iowait as a
share of all cores, memory as a share of the host's, CPU and memory pressure (the
kernel's PSI ``some avg10``), and the spans when the host was CPU-bound shaded.
A build without samples gets a sentence (:func:`host_usage_note`), not an empty chart.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from profiler.analysis.host_usage import (
    CPU_BOUND_PERCENT,
    HostSeries,
    cpu_bound_windows,
    host_series,
)
from profiler.model import Build
from profiler.palette import HOST_USAGE_COLORS
from profiler.render.format import seconds

NO_SAMPLES = (
    "No host usage for this build: only Docker's build records (.dockerbuild) carry "
    "CPU and memory samples, and {what} has none."
)


def host_usage_note(build: Build) -> str | None:
    """One line saying why there is no strip, or ``None`` when there is one."""
    if len(host_series(build)) >= 2:
        return None
    if build.record is not None:
        what = "this record"
    elif build.source_format:
        what = f"a {build.source_format} stream"
    else:
        what = "this input"
    return NO_SAMPLES.format(what=what)


def time_range(build: Build, series: HostSeries | None = None) -> tuple[float, float]:
    """The x range the timeline and the strip share: build start to last event."""
    series = series if series is not None else host_series(build)
    ends = [step.end for step in build if step.end is not None]
    last = max([*ends, *series.time, build.stream_end, 1e-3])
    return 0.0, last


def share_time_axis(build: Build, *figures: go.Figure) -> None:
    """Give the figures one x range, so a moment is at the same place in each."""
    low, high = time_range(build)
    for figure in figures:
        figure.update_xaxes(range=[low, high], autorange=False)


STRIP_PIXELS = 230
"""Height the strip adds under a timeline (its plot, axis title and gap)."""
_STRIP_PLOT_PIXELS = 150


def host_usage_figure(build: Build) -> go.Figure | None:
    """The strip alone, or ``None`` when the build has fewer than two samples."""
    figure = go.Figure()
    figure.update_layout(height=40, margin={"l": 10, "r": 10, "t": 50, "b": 40})
    if not add_host_strip(figure, build, below=False):
        return None
    return figure


def add_host_strip(figure: go.Figure, build: Build, *, below: bool = True) -> bool:
    """Draw the strip under ``figure``'s timeline, on an x axis that follows its own.

    The strip is a second plot of the same figure (``x2``/``y2``, its own legend),
    whose x axis ``matches`` the timeline's: same seconds at the same place, zoomed
    and panned together. Returns ``False`` (and leaves the figure alone) when the
    build has fewer than two samples.
    """
    series = host_series(build)
    if len(series) < 2:
        return False
    height = (figure.layout.height or 450) + STRIP_PIXELS
    strip = _STRIP_PLOT_PIXELS / height
    top = (STRIP_PIXELS - 10) / height
    cores = f" of {series.cpus} cores" if series.cpus else " of all cores"
    memory = f" of {series.memory_total_kib / 1024**2:.1f} GiB" if series.memory_total_kib else ""
    lines = [
        (series.cpu_busy_percent, f"CPU busy (%{cores})", "cpu", "vh", "solid"),
        (series.iowait_percent, "iowait (% of CPU time)", "iowait", "vh", "solid"),
        (series.memory_used_percent, f"memory used (%{memory})", "memory", "linear", "solid"),
        (series.cpu_pressure, "CPU pressure (% of time stalled, avg10)", "cpu_pressure",
         "linear", "dot"),
        (series.memory_pressure, "memory pressure (% of time stalled, avg10)",
         "memory_pressure", "linear", "dot"),
    ]  # fmt: skip
    for values, name, color, shape, dash in lines:
        if any(value is not None for value in values):
            figure.add_trace(_line(series.time, values, name, color, shape, dash))
    windows = cpu_bound_windows(build)
    for start, end in windows:
        figure.add_shape(
            type="rect",
            x0=start,
            x1=end,
            y0=0,
            y1=1,
            xref="x2",
            yref="y2 domain",
            fillcolor=HOST_USAGE_COLORS["cpu_bound"],
            opacity=0.3,
            line_width=0,
            layer="below",
        )
    bound = sum(end - start for start, end in windows)
    figure.add_trace(
        # The shading's legend entry (shapes have none of their own).
        go.Scatter(
            x=[None],
            y=[None],
            xaxis="x2",
            yaxis="y2",
            legend="legend2",
            mode="markers",
            marker={"symbol": "square", "size": 12, "color": HOST_USAGE_COLORS["cpu_bound"]},
            name=f"CPU-bound, ≥{CPU_BOUND_PERCENT:.0f}% busy ({seconds(bound)})",
        )
    )
    low, high = time_range(build, series)
    timeline_x = figure.layout.xaxis.range
    figure.update_layout(
        height=height,
        yaxis={"domain": [top, 1.0]} if below else {"visible": False},
        xaxis2={
            "title": "seconds from build start",
            "matches": "x" if below else None,
            "anchor": "y2",
            "range": list(timeline_x) if below and timeline_x else [low, high],
        },
        yaxis2={
            "title": "host usage (%)",
            "domain": [0.0, strip if below else 1.0],
            "range": [0, 105],
            "ticksuffix": "%",
            "anchor": "x2",
        },
        legend2={
            "title": {"text": f"Host usage, {len(series)} samples"},
            "orientation": "v",
            "x": 1.01,
            "xanchor": "left",
            "y": strip if below else 1.0,
            "yanchor": "top",
        },
    )
    if not below:
        figure.update_layout(xaxis={"visible": False}, title=f"Host usage ({len(series)} samples)")
    return True


def _line(
    time: Sequence[float],
    values: Sequence[float | None],
    name: str,
    color: str,
    shape: str,
    dash: str,
) -> go.Scatter:
    return go.Scatter(
        x=list(time),
        y=list(values),
        xaxis="x2",
        yaxis="y2",
        legend="legend2",
        name=name,
        mode="lines+markers",
        marker={"size": 4},
        line={"color": HOST_USAGE_COLORS[color], "shape": shape, "dash": dash},
        hovertemplate="%{y:.1f}%<extra>" + name + "</extra>",
    )
