"""The Build page's timeline: which rows it shows, so that a 5,000-step build stays
readable and its page stays small.

Views: ``stages`` (one row a stage: the default above :data:`FULL_TIMELINE_STEPS`
steps), ``critical`` (the critical path only), ``slowest`` (the :data:`SLOWEST_N`
slowest steps), ``all`` (every step, offered up to :data:`MAX_ALL_STEPS`) and a
stage's own steps (a click on a stage's bar). Each view is drawn on the server and
sent alone: no response carries the whole build.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from profiler.analysis import BuildAnalysis, stage_label, step_stage_label
from profiler.figures import STAGE_REF, gantt_figure, stages_figure_json
from profiler.figures_history import CAPPED_HEIGHT, MAX_ROWS_FULL_HEIGHT, timeline_height
from profiler.model import Build, Stage
from profiler.palette import stage_color

FULL_TIMELINE_STEPS = 150
"""Up to this many timed steps the page opens on every step; above, on the stages."""
MAX_ALL_STEPS = 1500
"""Above this many steps "every step" is not offered: the figure alone would be
megabytes and the rows unreadable."""
SLOWEST_N = 50
MAX_STAGE_STEPS = 400
"""A stage's drill-down shows at most its this many slowest steps."""
VIEWS = {
    "stages": "stages",
    "critical": "critical path only",
    "slowest": f"{SLOWEST_N} slowest steps",
    "all": "every step",
    "stage": "one stage (click a stage)",
}


@dataclass(frozen=True, slots=True)
class Timeline:
    figure: go.Figure
    note: str | None
    """What the view leaves out, when it does."""


def timed_steps(build: Build) -> int:
    return sum(1 for step in build if step.start is not None)


def default_view(build: Build) -> str:
    return "all" if timed_steps(build) <= FULL_TIMELINE_STEPS else "stages"


def view_options(build: Build) -> list[dict[str, object]]:
    """The view selector's options; "every step" disabled (and saying why) when the
    build is too big for it."""
    too_big = timed_steps(build) > MAX_ALL_STEPS
    options: list[dict[str, object]] = []
    for value, label in VIEWS.items():
        if value == "all" and too_big:
            label = f"every step (not over {MAX_ALL_STEPS:,})"
        disabled = (value == "all" and too_big) or value == "stage"
        options.append({"label": label, "value": value, "disabled": disabled})
    return options


def timeline(
    build: Build, analysis: BuildAnalysis, view: str, stage: str | None = None
) -> Timeline:
    """The figure of ``view`` (a stage's steps when ``view`` is ``stage``)."""
    steps = [step for step in build if step.start is not None]
    note = None
    if view == "stage" and stage:
        members = [step for step in steps if step_stage_label(step) == stage]
        chosen = sorted(members, key=lambda s: s.duration, reverse=True)[:MAX_STAGE_STEPS]
        if len(chosen) < len(members):
            note = f"The {len(chosen)} slowest of the stage's {len(members)} steps."
        figure = gantt_figure(build, analysis, only={step.digest for step in chosen})
        _title(figure, f"Stage {stage}: {len(chosen)} steps")
        if chosen:  # the stage's own span, not the whole build's
            start = min(step.start or 0.0 for step in chosen)
            end = max(step.end or step.start or 0.0 for step in chosen)
            margin = max(end - start, 1e-3) * 0.02
            figure.update_xaxes(range=[start - margin, end + margin])
    elif view == "critical":
        figure = gantt_figure(build, analysis, only=set(analysis.critical_path))
        _title(figure, "Critical path only")
    elif view == "slowest":
        chosen = sorted(steps, key=lambda s: s.duration, reverse=True)[:SLOWEST_N]
        figure = gantt_figure(build, analysis, only={step.digest for step in chosen})
        _title(figure, f"The {len(chosen)} slowest steps")
    elif view == "all" and len(steps) <= MAX_ALL_STEPS:
        figure = gantt_figure(build, analysis)
    else:
        stages = stages_figure_json(build.stages, analysis.critical_path_by_stage)
        return Timeline(go.Figure(stage_timeline(stages, len(build.stages))), note)
    bars = sum(len(trace.customdata) for trace in figure.data if trace.customdata is not None)
    figure.update_layout(height=timeline_height(bars), dragmode="zoom")
    if bars > MAX_ROWS_FULL_HEIGHT:
        figure.update_layout(height=CAPPED_HEIGHT)
    return Timeline(figure, note)


def stage_timeline(figure: dict[str, Any], stages: int) -> dict[str, Any]:
    """The stage chart (:func:`~profiler.figures.stages_figure_json`, changed in
    place) as the timeline's ``stages`` view: titled, one row a stage."""
    layout = figure["layout"]
    title = layout["title"]
    title["text"] = f"{stages} stages: click one for its steps · {title['text']}"
    layout["height"] = timeline_height(stages, per_row=24)
    layout["clickmode"] = "event"
    return fixed_margins(figure)


CHAR_PX = 7
"""About the width of a character of a tick label (12 px font), for the left margin."""


def fixed_margins(figure: dict[str, Any]) -> dict[str, Any]:
    """Margins set here, not found by plotly: with 200 row labels its automatic margins
    measure every label and draw the chart again, three times as long (0.4 s → 1.4 s
    on a busy machine) as drawing it once."""
    layout = figure["layout"]
    labels = layout["yaxis"].get("categoryarray") or ()
    longest = max((len(str(label)) for label in labels), default=10)
    layout["margin"].update(l=min(420, 20 + CHAR_PX * longest), b=55)
    layout["xaxis"]["automargin"] = False
    layout["yaxis"]["automargin"] = False
    return figure


FIRST_PX = 1000
"""The rows drawn first fill this many pixels: a tall screen."""


def first_rows(figure: dict[str, Any], pixels: int = FIRST_PX) -> dict[str, Any]:
    """The rows of a stage chart (:func:`stage_timeline`) that fill ``pixels`` from
    its top, drawn as the whole chart draws them: the same row height, the same time
    axis. ``figure`` itself when it is no taller.

    Drawing 200 stages' rows (a chart 5,000 px tall) took longer than everything
    else the page does before it; the first screen's rows are a fifth of that.
    """
    layout = figure["layout"]
    bars = figure["data"][0]
    rows = len(bars["y"])
    margin = layout["margin"]
    row_px = (layout["height"] - margin["t"] - margin["b"]) / max(rows, 1)
    count = math.ceil(pixels / row_px)
    if count >= rows:
        return figure
    first = {key: _head(value, rows, count) for key, value in bars.items()}
    # An invisible bar over the whole build: the time axis is the whole chart's from
    # the first draw (plotly pads it as it pads the bars), so no bar moves when the
    # rest arrives. Overlaid, it takes no room from the stage's bar in its row.
    span = {
        "type": "bar",
        "orientation": "h",
        "base": [min(bars["base"])],
        "x": [max(base + x for base, x in zip(bars["base"], bars["x"], strict=True))
              - min(bars["base"])],
        "y": bars["y"][:1],
        "marker": {"opacity": 0},
        "hoverinfo": "skip",
        "showlegend": False,
    }  # fmt: skip
    yaxis = {**layout["yaxis"], "categoryarray": layout["yaxis"]["categoryarray"][-count:]}
    height = margin["t"] + margin["b"] + round(count * row_px)
    return {
        "data": [first, *figure["data"][1:], span],
        "layout": {**layout, "yaxis": yaxis, "height": height, "barmode": "overlay"},
    }


def _head(value: Any, rows: int, count: int) -> Any:
    """``value`` with every per-row list (``rows`` long, nested ones too) cut to its
    first ``count`` rows."""
    if isinstance(value, list) and len(value) == rows:
        return value[:count]
    if isinstance(value, dict):
        return {key: _head(inner, rows, count) for key, inner in value.items()}
    return value


OVERVIEW_HEIGHT = 110


def overview_figure(stages: Sequence[Stage]) -> go.Figure:
    """The whole build in miniature above the timeline (its minimap): one thin bar a
    stage on the build's time axis. A drag across it selects a stretch of time and
    zooms the timeline to it (:func:`zoomed_range`); a double click clears it."""
    shown = [stage for stage in stages if stage.start is not None]
    names = [stage_label(stage.target, stage.name) for stage in shown]
    figure = go.Figure(
        go.Bar(
            orientation="h",
            base=[stage.start for stage in shown],
            x=[max(stage.span, 1e-3) for stage in shown],
            y=list(range(len(shown), 0, -1)),
            marker={"color": [stage_color(name) for name in names], "line": {"width": 0}},
            hoverinfo="skip",
            showlegend=False,
            unselected={"marker": {"opacity": 0.35}},
        )
    )
    figure.update_layout(
        height=OVERVIEW_HEIGHT,
        margin={"l": 10, "r": 10, "t": 22, "b": 28},
        title={
            "text": "Whole build: drag across to zoom the timeline, double-click for all of it",
            "font": {"size": 12},
        },
        bargap=0.1,
        # A selection, not a zoom: the overview stays whole, the picked stretch shaded.
        dragmode="select",
        selectdirection="h",
        xaxis={"title": None, "rangemode": "tozero", "ticksuffix": " s", "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True},
    )
    return figure


def zoomed_range(selected: object) -> tuple[float, float] | bool:
    """What a drag on the overview asks of the timeline (plotly's ``selectedData``): a
    time range, or ``True`` (the selection cleared) to show the whole build again."""
    if not isinstance(selected, dict):
        return True
    span = selected.get("range")
    xs = span.get("x") if isinstance(span, dict) else None
    if isinstance(xs, list) and len(xs) == 2 and all(isinstance(x, int | float) for x in xs):
        low, high = sorted(float(x) for x in xs)
        if high > low:
            return low, high
    return True


def _title(figure: go.Figure, prefix: str) -> None:
    figure.update_layout(title=f"{prefix} · {figure.layout.title.text}")


def clicked_stage(click: object) -> str | None:
    """The stage label of a click on a stage's bar, else ``None``."""
    if not isinstance(click, dict):
        return None
    points = click.get("points") or []
    if not points or not isinstance(points[0], dict):
        return None
    data = points[0].get("customdata")
    if isinstance(data, str) and data.startswith(STAGE_REF):
        return data.removeprefix(STAGE_REF)
    return None
