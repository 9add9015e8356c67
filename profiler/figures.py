"""Plotly figures of a build: pure functions of the model and its analysis.

The dashboard, the HTML export and the notebooks all draw with these, so a chart looks
the same wherever it appears. Names come from Dockerfiles (user input): every label
and hover text is HTML-escaped, since plotly renders a subset of HTML in text.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from profiler.analysis import BuildAnalysis, analyze, stage_label, step_stage_label
from profiler.model import Build, Stage, Step, StepStatus
from profiler.names import StepKind
from profiler.palette import (
    CRITICAL_OUTLINE,
    FAILED_COLOR,
    HATCH,
    add_key,
    key_traces,
    pale,
    stage_color,
)
from profiler.render.format import seconds

STATUS_COLORS = {
    StepStatus.DONE: "#4c78a8",
    StepStatus.CACHED: pale("#4c78a8"),
    StepStatus.FAILED: FAILED_COLOR,
    StepStatus.CANCELLED: "#bab0ac",
    StepStatus.UNFINISHED: "#b279a2",
}
"""Colours by status alone, where a chart has no stages (a comparison's sides)."""
CRITICAL_COLOR = CRITICAL_OUTLINE
STAGE_REF = "stage:"
"""``customdata`` prefix of a stage's bar (a step's bar carries its digest)."""
MAX_STAGE_KEYS = 16
"""More stages than this get no legend entry each (the bars' labels name them)."""
LEGEND_BESIDE = {"orientation": "v", "y": 1, "yanchor": "top", "x": 1.01, "xanchor": "left"}
"""Legends go beside the chart: above it they overlapped the title, below it the
axis title."""
KIND_ORDER = {StepKind.INTERNAL: 0, StepKind.STEP: 1, StepKind.EXPORTER: 2}
# A bar must be visible even for a step that took a few milliseconds.
MIN_BAR_FRACTION = 0.002


def plotly_text(text: str) -> str:
    """``text`` safe to show in a plotly label or hover: no tag can form.

    Plotly renders a subset of HTML and decodes numeric entities but not ``&quot;``,
    so quotes stay as they are (with ``<`` and ``>`` escaped they cannot open a tag).
    """
    return html.escape(text, quote=False)


def step_label(step: Step) -> str:
    """The y-axis label of a step: stage-qualified, short, escaped."""
    text = step.parsed.text or step.name
    if len(text) > 60:
        text = text[:57] + "..."
    position = f" {step.parsed.index}/{step.parsed.count}" if step.parsed.index else ""
    return plotly_text(f"[{step_stage_label(step)}{position}] {text}")


def _hover(step: Step, on_path: bool) -> str:
    lines = [
        f"<b>{plotly_text(step.name)}</b>",
        f"stage: {plotly_text(step_stage_label(step))}",
        f"start: {seconds(step.start or 0.0)}",
        f"duration: {seconds(step.duration)}",
        f"status: {step.status.value}",
    ]
    if on_path:
        lines.append("on the critical path")
    if step.error:
        lines.append(f"error: {plotly_text(step.error[:200])}")
    return "<br>".join(lines)


def ordered_steps(build: Build) -> list[Step]:
    """Steps grouped by stage (stages in start order), then by start within a stage."""
    stage_rank = {
        stage_label(stage.target, stage.name, stage.platform): rank
        for rank, stage in enumerate(build.stages)
    }
    timed = [step for step in build if step.start is not None]
    return sorted(
        timed,
        key=lambda s: (
            stage_rank.get(step_stage_label(s), len(stage_rank)),
            KIND_ORDER[s.kind],
            s.start or 0.0,
            s.parsed.index or 0,
        ),
    )


def _bar_style(step: Step) -> tuple[str, str]:
    """``(fill, hatch)`` of a step's bar: its stage's colour, pale and hatched when
    cached, cross-hatched when cancelled; red when it failed, and only then."""
    return bar_style(step, stage_color(step_stage_label(step)))


def bar_style(step: Step, color: str) -> tuple[str, str]:
    """``(fill, hatch)`` of a step's bar drawn in ``color`` (a stage's, a platform's)."""
    if step.status is StepStatus.FAILED:
        return FAILED_COLOR, ""
    if step.status is StepStatus.CACHED:
        return pale(color), HATCH["cached"]
    if step.status is StepStatus.CANCELLED:
        return pale(color), HATCH["cancelled"]
    if step.status is StepStatus.UNFINISHED:
        return color, HATCH["unfinished"]
    return color, ""


def add_stage_key(figure: go.Figure, stages: Sequence[str]) -> None:
    """A legend entry per stage colour (up to :data:`MAX_STAGE_KEYS` of them)."""
    figure.add_traces(stage_key_traces(stages))


def stage_key_traces(stages: Sequence[str]) -> list[dict[str, Any]]:
    """:func:`add_stage_key`'s traces as plotly's JSON."""
    # A stage's colour ignores its bake target and platform: one key entry for all.
    names = list(dict.fromkeys(stage.rsplit("/", 1)[-1].rsplit(" ", 1)[-1] for stage in stages))
    if len(names) > MAX_STAGE_KEYS:
        return []
    return [
        {
            "type": "bar",
            "name": plotly_text(name),
            "x": [None],
            "y": [None],
            "orientation": "h",
            "marker": {"color": stage_color(name)},
            "hoverinfo": "skip",
            "legendgroup": "stages",
        }
        for name in names
    ]


def gantt_figure(
    build: Build, analysis: BuildAnalysis | None = None, only: Collection[str] | None = None
) -> go.Figure:
    """Every vertex (or those whose digest is in ``only``) as a bar on the build's time
    axis, grouped by stage.

    Colour says the stage (:mod:`profiler.palette`); pale and hatched: cached; red:
    failed; a dark outline marks the critical path. One trace per status (named after
    it); each bar's ``customdata`` is the vertex digest, so a click can open that step.
    """
    analysis = analysis or analyze(build)
    on_path = set(analysis.critical_path)
    steps = ordered_steps(build)
    if only is not None:
        steps = [step for step in steps if step.digest in only]
    min_width = max(analysis.wall_seconds, 1e-3) * MIN_BAR_FRACTION
    figure = go.Figure()
    for status in StepStatus:
        members = [step for step in steps if step.status is status]
        if not members:
            continue
        styles = [_bar_style(step) for step in members]
        figure.add_trace(
            go.Bar(
                name=status.value,
                showlegend=False,
                orientation="h",
                base=[step.start for step in members],
                x=[max(step.duration, min_width) for step in members],
                y=[step_label(step) for step in members],
                customdata=[step.digest for step in members],
                hovertext=[_hover(step, step.digest in on_path) for step in members],
                hoverinfo="text",
                marker={
                    "color": [fill for fill, _ in styles],
                    "pattern": {
                        "shape": [hatch for _, hatch in styles],
                        "fillmode": "overlay",
                        "fgcolor": "#555555",
                        "bgcolor": "#ffffff",
                        "size": 5,
                    },
                    "line": {
                        "color": [
                            CRITICAL_OUTLINE if step.digest in on_path else "rgba(0,0,0,0)"
                            for step in members
                        ],
                        "width": [2 if step.digest in on_path else 0 for step in members],
                    },
                },
            )
        )
    add_stage_key(figure, [step_stage_label(step) for step in steps])
    statuses = {step.status for step in steps}
    add_key(
        figure,
        cached=StepStatus.CACHED in statuses,
        failed=StepStatus.FAILED in statuses,
        critical=bool(on_path),
    )
    labels = [step_label(step) for step in steps]
    figure.update_layout(
        barmode="overlay",
        title=f"Build timeline: {seconds(analysis.wall_seconds)} wall, "
        f"critical path outlined ({seconds(analysis.critical_path_seconds)})",
        xaxis={"title": "seconds from build start", "rangemode": "tozero"},
        yaxis={
            "categoryorder": "array",
            "categoryarray": list(reversed(labels)),
            "automargin": True,
            "tickfont": {"size": 10},
        },
        height=max(300, 18 * len(labels) + 120),
        legend=LEGEND_BESIDE,
        clickmode="event",
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def stage_figure(build: Build, analysis: BuildAnalysis | None = None) -> go.Figure:
    """One bar per stage from its first start to its last end, in the stage's colour;
    stages on the critical path outlined, a failed stage red. Each bar's
    ``customdata`` is :data:`STAGE_REF` + the stage's label, so a click can open it."""
    analysis = analysis or analyze(build)
    return stages_figure(build.stages, analysis.critical_path_by_stage)


def stages_figure(all_stages: Sequence[Stage], on_path: Mapping[str, float]) -> go.Figure:
    """:func:`stage_figure` from the stages alone and each one's seconds on the critical
    path (by label): what a history keeps of a run, drawn without reading its stream."""
    return go.Figure(stages_figure_json(all_stages, on_path))


def stages_figure_json(all_stages: Sequence[Stage], on_path: Mapping[str, float]) -> dict[str, Any]:
    """:func:`stages_figure` as plotly's JSON (``{"data": […], "layout": {…}}``), built
    as plain dicts: plotly's graph objects validate every value and deep-copy the
    layout, a third of the time the Build page of a 200-stage history run took to
    answer. Equal to ``stages_figure(…).to_plotly_json()`` (tested)."""
    stages = [stage for stage in all_stages if stage.start is not None]
    names = [stage_label(stage.target, stage.name, stage.platform) for stage in stages]
    labels = [plotly_text(name) for name in names]
    shares = [on_path.get(name, 0.0) for name in names]
    bars = {
        "type": "bar",
        "orientation": "h",
        "showlegend": False,
        "base": [stage.start for stage in stages],
        "x": [max(stage.span, 1e-3) for stage in stages],
        "y": labels,
        "customdata": [STAGE_REF + name for name in names],
        "marker": {
            "color": [
                FAILED_COLOR if stage.failed else stage_color(name)
                for stage, name in zip(stages, names, strict=True)
            ],
            "line": {
                "color": [CRITICAL_OUTLINE if share > 0 else "rgba(0,0,0,0)" for share in shares],
                "width": [2 if share > 0 else 0 for share in shares],
            },
        },
        "hovertext": [
            f"<b>{label}</b><br>start {seconds(stage.start)}, span {seconds(stage.span)}"
            f"<br>busy {seconds(stage.busy)} in {stage.steps} steps ({stage.cached} cached)"
            f"<br>critical path: {seconds(share)}"
            for label, stage, share in zip(labels, stages, shares, strict=True)
        ],
        "hoverinfo": "text",
    }
    keys = key_traces(
        cached=False,
        failed=any(stage.failed for stage in stages),
        critical=any(share > 0 for share in shares),
    )
    layout = {
        "title": {"text": "Stages (outlined: on the critical path)"},
        "xaxis": {"title": {"text": "seconds from build start"}, "rangemode": "tozero"},
        "yaxis": {"categoryorder": "array", "categoryarray": list(reversed(labels))},
        "height": max(250, 28 * len(labels) + 120),
        "legend": dict(LEGEND_BESIDE),
        "margin": {"l": 10, "r": 10, "t": 50, "b": 40},
    }
    return {"data": [bars, *stage_key_traces(names), *keys], "layout": layout}


def concurrency_figure(points: Sequence[tuple[float, int]]) -> go.Figure:
    """How many steps ran at each moment (a step chart)."""
    figure = go.Figure(
        go.Scatter(
            x=[time for time, _ in points],
            y=[count for _, count in points],
            mode="lines",
            line={"shape": "hv", "color": "#4c78a8"},
            fill="tozeroy",
            name="steps running",
            showlegend=True,
        )
    )
    figure.update_layout(
        title="Concurrency: steps running at once",
        xaxis={"title": "seconds from build start", "rangemode": "tozero"},
        yaxis={"title": "steps running", "rangemode": "tozero", "dtick": 1},
        legend=LEGEND_BESIDE,
        height=280,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def time_budget_figure(analysis: BuildAnalysis) -> go.Figure:
    """Sequential cost vs observed wall vs critical path vs lower bound."""
    names = ["sequential", "wall", "critical path", "lower bound"]
    values = [
        analysis.sequential_seconds,
        analysis.wall_seconds,
        analysis.critical_path_seconds,
        analysis.lower_bound_seconds,
    ]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            text=[seconds(value) for value in values],
            textposition="auto",
            marker={"color": ["#9ecae9", "#4c78a8", "#1b1b1b", "#54a24b"]},
        )
    )
    figure.update_layout(
        title=f"Time budget: parallelism {analysis.parallelism:.2f}x",
        xaxis={"title": "seconds", "rangemode": "tozero"},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(names))},
        height=240,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure
