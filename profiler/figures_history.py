"""Plotly figures of several builds: a history, a trend, a comparison of two runs.

Pure functions, like :mod:`profiler.figures`: the dashboard, notebooks and exports
draw with the same code. Every name shown (steps, stages, branches) comes from a
Dockerfile or a CI system, so every label and hover text is HTML-escaped.

Points of a run carry ``customdata`` = the run's reference (its id, or whatever the
caller passes as ``refs``), so a click on a point can open that run.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import plotly.graph_objects as go

from profiler.analysis import BuildAnalysis, analyze
from profiler.analysis.compare import Comparison, step_keys
from profiler.analysis.trends import RunMetrics, Series, Trend
from profiler.figures import STATUS_COLORS, ordered_steps, plotly_text
from profiler.model import Build, Step, StepStatus
from profiler.palette import FASTER_COLOR, SLOWER_COLOR, stage_color
from profiler.render.format import change_percent, seconds, signed_seconds

RUN_STATUS_COLORS = {
    "success": "#54a24b",
    "failed": "#e45756",
    "cancelled": "#f2a541",
    "incomplete": "#b279a2",
    "untrusted": "#9d755d",
}
METRIC_NAMES = {
    "wall_seconds": "wall",
    "critical_path_seconds": "critical path",
    "sequential_seconds": "sequential",
    "cache_hit_ratio": "cached steps (%)",
    "busy_seconds": "busy",
}
METRIC_COLORS = {
    "wall_seconds": "#4c78a8",
    "critical_path_seconds": "#1b1b1b",
    "sequential_seconds": "#9ecae9",
    "cache_hit_ratio": "#54a24b",
}
REGRESSION_COLOR = SLOWER_COLOR
"""Orange: red means a failed build or step, nothing else."""
LOG_SCALE_RATIO = 20.0
"""Runs whose wall times differ by more than this factor get a log axis: on a linear
one a 34-minute build flattens every 5-second one to zero."""
A_COLOR = "#8c8c8c"
B_COLOR = "#4c78a8"
MAX_ROWS_FULL_HEIGHT = 400
"""Above this many rows a timeline keeps a fixed height: zoom in to read the labels."""
CAPPED_HEIGHT = 900
TOP_STAGES = 10


def _refs(runs: Sequence[RunMetrics], refs: Sequence[str] | None) -> list[str]:
    if refs is not None:
        if len(refs) != len(runs):
            raise ValueError(f"{len(refs)} refs for {len(runs)} runs")
        return list(refs)
    return [str(run.run_id) if run.run_id is not None else "" for run in runs]


def _run_label(ref: str) -> str:
    # A category axis of run references, in run order: evenly spaced like a CI
    # system's build numbers, whatever the time between runs ("#42", not 42, so
    # that plotly never reads them as numbers).
    return ref if not ref.isdigit() else f"#{ref}"


def _run_axis(keys: Sequence[str]) -> list[str]:
    return [_run_label(key) for key in keys]


RUN_AXIS = {"type": "category", "title": None, "showgrid": False, "automargin": True}


def _run_hover(run: RunMetrics, ref: str) -> str:
    when = run.started_at.strftime("%Y-%m-%d %H:%M") if run.started_at else "?"
    lines = [
        f"<b>run {plotly_text(ref)}</b> ({plotly_text(run.status)})",
        when,
        f"wall {seconds(run.wall_seconds)}, critical path {seconds(run.critical_path_seconds)}",
        f"sequential {seconds(run.sequential_seconds)}, cached {run.cache_hit_ratio:.0%}",
    ]
    if run.git_branch:
        commit = f" @ {plotly_text(run.git_commit[:10])}" if run.git_commit else ""
        lines.append(f"{plotly_text(run.git_branch)}{commit}")
    return "<br>".join(lines)


CACHE_SHARE_AXIS = {
    "title": METRIC_NAMES["cache_hit_ratio"],
    "overlaying": "y",
    "side": "right",
    "range": [0, 105],
    "tickvals": [0, 25, 50, 75, 100],
    "showgrid": False,
}
"""The right-hand axis every run chart puts its cache hit share on."""


def _cache_share_trace(times: Sequence[str], ratios: Sequence[float | None]) -> go.Scatter:
    """The share of cached steps per run (a ratio, drawn in percent) on the right axis;
    a run with no figure leaves a gap."""
    return go.Scatter(
        x=times,
        y=[ratio * 100 if ratio is not None else None for ratio in ratios],
        mode="lines",
        name=METRIC_NAMES["cache_hit_ratio"],
        line={"color": METRIC_COLORS["cache_hit_ratio"], "width": 1, "dash": "dash"},
        yaxis="y2",
        hoverinfo="skip",
    )


def history_figure(
    runs: Sequence[RunMetrics],
    refs: Sequence[str] | None = None,
    *,
    cache: bool = False,
    height: int = 220,
) -> go.Figure:
    """Wall time and critical path of runs over time (oldest first), each point
    coloured by the run's status. A compact chart for the top of a run list; with
    ``cache``, the share of cache hits too (right axis)."""
    keys = _refs(runs, refs)
    times = _run_axis(keys)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=times,
            y=[run.critical_path_seconds for run in runs],
            mode="lines",
            name="critical path",
            line={"color": METRIC_COLORS["critical_path_seconds"], "width": 1, "dash": "dot"},
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=times,
            y=[run.wall_seconds for run in runs],
            mode="lines+markers",
            name="wall",
            line={"color": METRIC_COLORS["wall_seconds"], "width": 1.5},
            marker={
                "size": 7,
                "color": [RUN_STATUS_COLORS.get(run.status, "#777") for run in runs],
                "line": {"width": 0},
            },
            customdata=keys,
            hovertext=[_run_hover(run, key) for run, key in zip(runs, keys, strict=True)],
            hoverinfo="text",
        )
    )
    if cache:
        figure.add_trace(_cache_share_trace(times, [run.cache_hit_ratio for run in runs]))
        figure.update_layout(yaxis2=CACHE_SHARE_AXIS)
    walls = [run.wall_seconds for run in runs if run.wall_seconds > 0]
    log = bool(walls) and max(walls) / min(walls) > LOG_SCALE_RATIO
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        xaxis=RUN_AXIS,
        yaxis=(
            {"title": "seconds (log scale)", "type": "log"}
            if log
            else {"title": "seconds", "rangemode": "tozero"}
        ),
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        clickmode="event",
        hovermode="closest",
    )
    return figure


def _regression_hover(run: RunMetrics, ref: str, value: float, median: float) -> str:
    change = f" ({change_percent((value - median) / median)})" if median > 0 else ""
    return (
        f"<b>regression: run {plotly_text(ref)}</b><br>"
        f"{seconds(value)} against a median of {seconds(median)}{change}"
    )


def trend_figure(
    trend: Trend, refs: Sequence[str] | None = None, *, stage: str | None = None
) -> go.Figure:
    """Wall time, critical path and sequential cost of each run, and its cache hit
    ratio (right axis), oldest first; runs the regression gate would fail are marked.

    ``stage``: the stage the trend was made for (``trends(..., stage=…)``). Its
    regressions are judged on that stage's busy time, so they are marked on
    :func:`stage_trend_figure` instead of here.
    """
    runs = trend.runs
    keys = _refs(runs, refs)
    times = _run_axis(keys)
    hover = [_run_hover(run, key) for run, key in zip(runs, keys, strict=True)]
    figure = go.Figure()
    for name in ("sequential_seconds", "wall_seconds", "critical_path_seconds"):
        figure.add_trace(
            go.Scatter(
                x=times,
                y=list(trend.series[name].values),
                mode="lines+markers",
                name=METRIC_NAMES[name],
                line={"color": METRIC_COLORS[name], "width": 2 if name == "wall_seconds" else 1},
                marker={"size": 5},
                customdata=keys,
                hovertext=hover,
                hoverinfo="text",
            )
        )
    figure.add_trace(_cache_share_trace(times, trend.series["cache_hit_ratio"].values))
    if stage is None:
        _mark_regressions(figure, trend, keys)
    figure.update_layout(
        title="Build times per run (successful runs; ✕ marks a regression)",
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        xaxis=RUN_AXIS,
        yaxis={"title": "seconds", "rangemode": "tozero"},
        yaxis2=CACHE_SHARE_AXIS,
        legend={"orientation": "h", "y": -0.15, "x": 0},
        clickmode="event",
        hovermode="closest",
    )
    return figure


def _mark_regressions(figure: go.Figure, trend: Trend, keys: Sequence[str]) -> None:
    # By identity of the run, not of the object: a one-stage trend judges copies of
    # its runs seen through that stage.
    position = {(run.run_id, run.started_at): index for index, run in enumerate(trend.runs)}
    marked = [r for r in trend.regressions if (r.run.run_id, r.run.started_at) in position]
    if not marked:
        return
    refs = [keys[position[(r.run.run_id, r.run.started_at)]] for r in marked]
    figure.add_trace(
        go.Scatter(
            x=[_run_label(ref) for ref in refs],
            y=[result.value for result in marked],
            mode="markers",
            name="regression",
            marker={"symbol": "x", "size": 13, "color": REGRESSION_COLOR},
            customdata=refs,
            hovertext=[
                _regression_hover(result.run, ref, result.value, result.baseline_median)
                for result, ref in zip(marked, refs, strict=True)
            ],
            hoverinfo="text",
        )
    )


def stage_trend_figure(
    trend: Trend,
    refs: Sequence[str] | None = None,
    *,
    metric: str = "busy_seconds",
    top: int = TOP_STAGES,
) -> go.Figure:
    """One line per stage (the ``top`` longest by median), ``metric`` over the runs.

    When the trend is of one stage, its regressions (judged on that stage's busy
    time) are marked.
    """
    runs = trend.runs
    keys = _refs(runs, refs)
    times = _run_axis(keys)
    figure = go.Figure()
    labels = list(trend.stages)[:top]
    for label in labels:
        series: Series = trend.stages[label][metric]
        values = list(series.values)
        if metric == "cache_hit_ratio":
            values = [v * 100 if v is not None else None for v in values]
        escaped = plotly_text(label)
        figure.add_trace(
            go.Scatter(
                x=times,
                y=values,
                mode="lines+markers",
                name=escaped,
                marker={"size": 4, "color": stage_color(label)},
                line={"color": stage_color(label)},
                connectgaps=False,
                customdata=keys,
                hovertemplate=f"<b>{escaped}</b><br>%{{y:.2f}}<br>run %{{customdata}}"
                "<extra></extra>",
            )
        )
    if len(trend.stages) == 1:
        # A one-stage trend: its regressions are judged on this stage's busy time.
        _mark_regressions(figure, trend, keys)
    unit = "%" if metric == "cache_hit_ratio" else "seconds"
    shown = "" if len(trend.stages) <= top else f" (the {top} longest of {len(trend.stages)})"
    figure.update_layout(
        title=f"Stages: {METRIC_NAMES.get(metric, metric)} per run{shown}",
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        xaxis=RUN_AXIS,
        yaxis={"title": unit, "rangemode": "tozero"},
        legend={"font": {"size": 10}},
        clickmode="event",
        hovermode="closest",
    )
    return figure


# -- two runs --------------------------------------------------------------------------


def _compare_hover(step: Step, side: str, on_path: bool) -> str:
    lines = [
        f"<b>{plotly_text(side)}: {plotly_text(step.name)}</b>",
        f"start: {seconds(step.start or 0.0)}",
        f"duration: {seconds(step.duration)}",
        f"status: {step.status.value}",
    ]
    if on_path:
        lines.append("on the critical path")
    return "<br>".join(lines)


def _rows(a: Build, b: Build) -> tuple[list[str], dict[str, Step], dict[str, Step]]:
    """Step keys of both builds (matched as :func:`compare_builds` matches them): in
    A's order (by stage, then start, as its Gantt shows them), each step only in B
    after the step that comes before it in B."""
    keys_a = step_keys(a)
    keys_b = step_keys(b)
    order_a = [keys_a[step.digest] for step in ordered_steps(a)]
    order_b = [keys_b[step.digest] for step in ordered_steps(b)]
    by_key_a = {keys_a[step.digest]: step for step in a if step.start is not None}
    by_key_b = {keys_b[step.digest]: step for step in b if step.start is not None}
    rank: dict[str, tuple[int, int]] = {key: (index, 0) for index, key in enumerate(order_a)}
    anchor, extra = -1, 0
    for key in order_b:
        if key in rank:
            anchor, extra = rank[key][0], 0
        else:
            extra += 1
            rank[key] = (anchor, extra)
    return sorted(rank, key=rank.__getitem__), by_key_a, by_key_b


def compare_figure(
    a: Build,
    b: Build,
    analysis_a: BuildAnalysis | None = None,
    analysis_b: BuildAnalysis | None = None,
    *,
    label_a: str = "A",
    label_b: str = "B",
    only: Collection[str] | None = None,
) -> go.Figure:
    """Two builds on one time axis (each from its own start): one row per step, A's
    bar above B's. Steps match by what they are (:func:`step_keys`), so a row shows
    the same Dockerfile step in both runs. Hatched bars were cached; a red outline
    is a failure, a dark one the critical path. ``customdata`` is ``[side, digest]``.
    ``only``: the rows of these step keys alone (a big build's most changed steps).
    """
    analysis_a = analysis_a or analyze(a)
    analysis_b = analysis_b or analyze(b)
    order, by_key_a, by_key_b = _rows(a, b)
    if only is not None:
        order = [key for key in order if key in only]
    labels = {key: _row_label(key) for key in order}
    wall = max(analysis_a.wall_seconds, analysis_b.wall_seconds, 1e-3)
    min_width = wall * 0.002
    figure = go.Figure()
    for side, label, by_key, analysis, color in (
        ("a", label_a, by_key_a, analysis_a, A_COLOR),
        ("b", label_b, by_key_b, analysis_b, B_COLOR),
    ):
        keys = [key for key in order if key in by_key]
        steps = [by_key[key] for key in keys]
        on_path = set(analysis.critical_path)
        figure.add_trace(
            go.Bar(
                name=plotly_text(label),
                orientation="h",
                base=[step.start for step in steps],
                x=[max(step.duration, min_width) for step in steps],
                y=[labels[key] for key in keys],
                offsetgroup=side,
                customdata=[[side, step.digest] for step in steps],
                hovertext=[_compare_hover(step, label, step.digest in on_path) for step in steps],
                hoverinfo="text",
                marker={
                    "color": [
                        STATUS_COLORS[step.status]
                        if step.status in (StepStatus.FAILED, StepStatus.CANCELLED)
                        else color
                        for step in steps
                    ],
                    "pattern": {
                        "shape": [
                            "/" if step.status is StepStatus.CACHED else "" for step in steps
                        ],
                        "fillmode": "overlay",
                        "fgcolor": "#ffffff",
                        # Unused in overlay mode, but without it plotly.js warns that
                        # the per-bar colour array is not a colour.
                        "bgcolor": color,
                        "size": 6,
                    },
                    "line": {
                        "color": ["#1b1b1b" if step.digest in on_path else color for step in steps],
                        "width": [1.5 if step.digest in on_path else 0 for step in steps],
                    },
                },
            )
        )
    rows = len(order)
    figure.update_layout(
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
        title=f"{plotly_text(label_a)}: {seconds(analysis_a.wall_seconds)} → "
        f"{plotly_text(label_b)}: {seconds(analysis_b.wall_seconds)}",
        xaxis={"title": "seconds from each build's start", "rangemode": "tozero"},
        yaxis={
            "categoryorder": "array",
            "categoryarray": [labels[key] for key in reversed(order)],
            "automargin": True,
            "tickfont": {"size": 10},
        },
        height=timeline_height(rows, per_row=26),
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
        clickmode="event",
    )
    return figure


def _row_label(key: str) -> str:
    # The step's key, without its position: positions differ between the runs when a
    # line was added above, and the row stands for both.
    return plotly_text(key if len(key) <= 70 else key[:67] + "...")


def timeline_height(rows: int, *, per_row: int = 18, extra: int = 120) -> int:
    """Height of a timeline of ``rows`` rows: full up to :data:`MAX_ROWS_FULL_HEIGHT`
    rows, fixed above (a taller page scrolls for ever and renders slowly)."""
    if rows > MAX_ROWS_FULL_HEIGHT:
        return CAPPED_HEIGHT
    return max(300, per_row * rows + extra)


def stage_delta_figure(comparison: Comparison, top: int = 15) -> go.Figure:
    """Change of each stage's busy time from A to B, largest changes first."""
    changes = [change for change in comparison.stages if abs(change.delta) > 1e-9][:top]
    labels = [plotly_text(change.stage) for change in changes]
    figure = go.Figure(
        go.Bar(
            orientation="h",
            x=[change.delta for change in changes],
            y=labels,
            marker={
                "color": [SLOWER_COLOR if change.delta > 0 else FASTER_COLOR for change in changes]
            },
            text=[signed_seconds(change.delta) for change in changes],
            textposition="auto",
            hovertext=[
                f"<b>{label}</b><br>"
                f"{seconds(change.a.busy if change.a else 0.0)} → "
                f"{seconds(change.b.busy if change.b else 0.0)}"
                for label, change in zip(labels, changes, strict=True)
            ],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        title="Stage busy time: B − A (orange: slower, green: faster)",
        xaxis={"title": "seconds", "zeroline": True},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(labels))},
        height=max(200, 26 * len(labels) + 100),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure
