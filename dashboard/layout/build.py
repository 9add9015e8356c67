"""The Build page: one run's timeline, critical path, stages, failure and suggestions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from dashboard import ids
from dashboard.data import BuildView, StepView, slowest_steps
from dashboard.layout.common import (
    Child,
    badge,
    card,
    fmt_percent,
    fmt_seconds,
    graph,
    link,
    record_table,
    stat,
)
from dashboard.layout.host_usage import host_usage_line, with_host_usage
from dashboard.layout.platforms import platform_cards
from dashboard.layout.timeline import default_view, overview_figure, timeline, view_options
from dashboard.sources import CatalogRun, RunFilters
from dashboard.urls import build_home_href, compare_href, runs_href, trends_href
from profiler.analysis import (
    BuildAnalysis,
    FailureSummary,
    path_start,
    stage_label,
    step_stage_label,
)
from profiler.figures import concurrency_figure, stage_figure, time_budget_figure
from profiler.figures_history import CAPPED_HEIGHT, timeline_height
from profiler.model import Build, Step
from profiler.names import StepKind
from profiler.render.format import size

STEP_HINT = "Click a bar in the timeline to see that step's logs here."
CRITICAL_PATH_ROWS = 25
STAGE_ROWS = 25
STAGE_ROWS_FULL_HEIGHT = 60


def build_page(view: BuildView) -> html.Div:
    build, analysis, record = view.build, view.analysis, view.run.record
    return html.Div(
        [
            dcc.Store(id=ids.BUILD_REF, data=view.run.ref),
            _header(view),
            *_banners(view),
            _stats(build, analysis),
            waiting_line(analysis),
            *_failure(analysis),
            # Where the user looks first, above the charts: it arrives on its own.
            card(
                dcc.Loading(
                    html.Div(
                        html.P("Working out suggestions…", className="hint"), id=ids.SUGGESTIONS
                    ),
                    type="dot",
                ),
                title="Suggestions",
            ),
            _timeline(build, analysis),
            # The rest arrives in a second response: the timeline draws first.
            html.Div(
                card(html.P("Loading the stages and the critical path…", className="hint")),
                id=ids.BUILD_DETAILS,
            ),
            *_notes(build, record.source),
        ]
    )


def build_details(view: BuildView) -> list[Child]:
    """What the Build page shows below the timeline (sent after it)."""
    build, analysis = view.build, view.analysis
    return [
        html.Div(
            [
                card(graph(time_budget_figure(analysis))),
                card(graph(concurrency_figure(analysis.concurrency))),
            ],
            className="grid2 section",
        ),
        card(
            # A big build's timeline opens on its stages already: no second such chart.
            *([] if default_view(build) == "stages" else [graph(_stage_view(build, analysis))]),
            *_stage_table(build, analysis),
            title="Stages",
        ),
        *platform_cards(build, analysis),
        card(*_critical_path_table(build, analysis), title="Critical path"),
        card(*_slowest_table(build, analysis), title="Slowest steps"),
    ]


def _header(view: BuildView) -> html.Div:
    return build_header(view.run)


def build_header(run: CatalogRun) -> html.Div:
    """The run's name, status and context, and the links to its build's pages."""
    record = run.record
    details: list[Child] = [html.Span(f"started {record.started_at:%Y-%m-%d %H:%M:%S} UTC")]
    if record.git_branch or record.git_commit:
        details.append(
            html.Span(
                " @ ".join(p for p in (record.git_branch, (record.git_commit or "")[:10]) if p)
            )
        )
    if record.labels:
        details.append(html.Span(" ".join(f"{k}={v}" for k, v in record.labels.items())))
    if run.source == "files" and record.source:
        details.append(html.Span(record.source, className="mono"))
    if record.ci_run_url:
        details.append(html.A("CI run", href=record.ci_run_url, target="_blank", rel="noopener"))
    details.append(link("compare with an earlier run", compare_href(None, run.ref)))
    heading: list[Child] = [record.build_name, html.Span(f" run {run.label}", className="run")]
    if run.source == "files":
        heading.append(html.Span(Path(record.source or run.ref).name, className="mono"))
    heading.append(badge(record.status))
    scope = RunFilters(build=record.build_name)
    return html.Div(
        [
            html.Div(
                [
                    link(f"← runs of {record.build_name}", runs_href(scope)),
                    " · ",
                    link("the build's page", build_home_href(record.build_name)),
                    " · ",
                    link("its trends", trends_href(scope)),
                ],
                className="hint",
            ),
            html.H1(heading),
            html.Div(details, className="subtitle"),
        ]
    )


def _banners(view: BuildView) -> list[html.Div]:
    banners = []
    if view.approximate:
        banners.append(
            html.Div(
                [
                    html.B("Approximate: "),
                    "reconstructed from --progress=plain output; start times and "
                    "dependencies are inferred (see the notes at the end).",
                ],
                className="banner warn",
            )
        )
    if view.build.truncated:
        banners.append(
            html.Div(
                "The stream was cut off (the build or its capture was killed): "
                "this is what happened up to that moment.",
                className="banner bad",
            )
        )
    return banners


def _stats(build: Build, analysis: BuildAnalysis) -> html.Div:
    cache = analysis.cache
    dockerfile_steps = sum(1 for step in build if step.kind is StepKind.STEP)
    return stats_cards(
        wall=analysis.wall_seconds,
        critical_path=analysis.critical_path_seconds,
        critical_path_note=f"{len(analysis.critical_path)} steps",
        lower_bound=analysis.lower_bound_seconds,
        sequential=analysis.sequential_seconds,
        parallelism=analysis.parallelism,
        cached=(cache.hit_ratio, cache.cached, cache.steps),
        steps=(
            dockerfile_steps,
            f"{len(build.stages)} stages · {len(build) - dockerfile_steps} internal steps",
        ),
    )


def stats_cards(
    *,
    wall: float,
    critical_path: float,
    critical_path_note: str | None,
    lower_bound: float,
    sequential: float,
    parallelism: float,
    cached: tuple[float, int, int],
    steps: tuple[int, str],
) -> html.Div:
    """The build's figures as cards: from its analysis, or (before the stream is read)
    from the history's row, so that both pages say the same things the same way.
    ``cached`` is (ratio, cached, cacheable), ``steps`` (count, what it holds)."""
    hit_ratio, cached_steps, cacheable = cached
    return html.Div(
        [
            stat("wall time", fmt_seconds(wall), "first start → last end"),
            stat("critical path", fmt_seconds(critical_path), critical_path_note),
            stat("lower bound", fmt_seconds(lower_bound), "with unlimited parallelism"),
            stat("sequential", fmt_seconds(sequential), "sum of every step"),
            stat("parallelism", f"{parallelism:.2f}x", "sequential / wall"),
            stat(
                "cached",
                fmt_percent(hit_ratio) if cacheable else "-",
                f"{cached_steps} of {cacheable} cacheable steps",
            ),
            stat("steps", str(steps[0]), steps[1]),
        ],
        className="stats",
    )


def waiting_line(analysis: BuildAnalysis) -> html.P:
    """Wall time vs critical path vs lower bound, in words."""
    return gap_line(
        analysis.wall_seconds, analysis.critical_path_seconds, analysis.lower_bound_seconds
    )


def gap_line(wall: float, path: float, bound: float) -> html.P:
    """:func:`waiting_line` from the three figures (a stored run's record has them)."""
    waiting = max(0.0, wall - path)
    text = (
        f"{fmt_seconds(waiting)} of this build's {fmt_seconds(wall)} was waiting, not "
        f"working: the chain of steps that set the finish time ran for {fmt_seconds(path)}."
    )
    if bound < path - 0.005:
        text += f" With unlimited parallelism it could take {fmt_seconds(bound)}."
    else:
        text += " No chain of steps is longer: only shorter steps on it make the build faster."
    return html.P(text, className="gap", id=ids.WAITING)


def _failure(analysis: BuildAnalysis) -> list[html.Div]:
    failure = analysis.failure
    if failure is None:
        return []
    parts: list[Child] = []
    if failure.step is not None:
        parts.append(html.H2("Failed: " + failure.step.name))
        parts.append(html.Div(f"stage {step_stage_label(failure.step)}", className="hint"))
        if failure.error:
            parts.append(html.P(failure.error))
        parts.extend(_failure_location(failure))
        if failure.log_tail:
            parts.append(html.Pre("\n".join(failure.log_tail)))
    else:
        parts.append(html.H2("Cancelled"))
    if failure.cancelled:
        parts.append(
            html.P(
                f"{len(failure.cancelled)} steps cancelled, "
                f"{fmt_seconds(failure.cancelled_seconds)} of work thrown away"
            )
        )
    if failure.other_failures:
        parts.append(
            html.P("Also failed: " + ", ".join(step.name for step in failure.other_failures))
        )
    parts.extend(html.P(message, className="mono") for message in failure.messages)
    return [html.Div(parts, className="card failure")]


def _failure_location(failure: FailureSummary) -> list[Child]:
    """``Dockerfile:13`` and its excerpt, the failed lines marked (Docker's record only)."""
    location = failure.location
    if location is None:
        return []
    excerpt = "\n".join(
        f"{number:>4} | {'>>>' if marked else '   '} {text}"
        for number, text, marked in location.excerpt()
    )
    return [html.Div(location.label(), className="mono", id=ids.FAILURE_LOCATION),
            *([html.Pre(excerpt)] if excerpt else [])]  # fmt: skip


def gantt_for_page(build: Build, analysis: BuildAnalysis) -> go.Figure:
    """The timeline as the page opens it: every step of a small build, the stages
    (one row each) of a big one."""
    return timeline(build, analysis, default_view(build)).figure


def _timeline(build: Build, analysis: BuildAnalysis) -> html.Div:
    view = default_view(build)
    shown = timeline(build, analysis, view)
    return html.Div(
        [
            card(
                dcc.RadioItems(
                    id=ids.TIMELINE_VIEW,
                    options=view_options(build),
                    value=view,
                    inline=True,
                    className="views",
                ),
                html.Div(shown.note, id=ids.TIMELINE_NOTE, className="hint"),
                graph(overview_figure(build.stages), id=ids.TIMELINE_OVERVIEW),
                html.Div(
                    graph(with_host_usage(shown.figure, build), id=ids.GANTT), className="scroll"
                ),
                *host_usage_line(build),
            ),
            html.Div(
                card(html.Div(html.P(STEP_HINT, className="hint"), id=ids.STEP_PANEL)),
                className="step-panel",
            ),
        ],
        className="timeline section",
    )


def step_panel(view: StepView | None) -> list[Child]:
    """The clicked step: its facts, its error, the tail of its logs (as text)."""
    if view is None:
        return [html.P(STEP_HINT, className="hint")]
    facts: list[Child] = []
    for term, value in (
        ("stage", view.stage),
        ("start", fmt_seconds(view.start)),
        ("end", fmt_seconds(view.end)),
        ("duration", fmt_seconds(view.duration)),
        ("digest", view.digest[:19] + "…" if len(view.digest) > 20 else view.digest),
        *([("layer", size(view.layer_size))] if view.layer_size is not None else []),
    ):
        facts.extend([html.Dt(term), html.Dd(value)])
    if view.inputs:
        facts.extend(
            [
                html.Dt("waited for"),
                html.Dd(html.Ul([html.Li(n) for n in view.inputs], className="compact")),
            ]
        )
    badges: list[Child] = [badge(view.status)]
    if view.on_critical_path:
        badges.append(badge("critical path", "critical"))
    children: list[Child] = [
        html.Div(view.name, className="step-name"),
        html.Div(badges, style={"display": "flex", "gap": "6px", "margin": "6px 0"}),
        html.Dl(facts),
    ]
    if view.error:
        children.append(html.P(view.error, className="error-text"))
    if view.log_lines:
        shown = (
            f"last {view.log_shown} of {view.log_lines} lines"
            if view.log_shown < view.log_lines
            else f"{view.log_lines} lines"
        )
        children.extend([html.Div(f"Logs ({shown})", className="hint"), html.Pre(view.log)])
    else:
        children.append(html.P("No output.", className="hint"))
    return children


def _stage_view(build: Build, analysis: BuildAnalysis) -> go.Figure:
    figure = stage_figure(build, analysis)
    rows = sum(1 for stage in build.stages if stage.start is not None)
    height = timeline_height(rows, per_row=28)
    figure.update_layout(height=CAPPED_HEIGHT if rows > STAGE_ROWS_FULL_HEIGHT else height)
    return figure


def _stage_table(build: Build, analysis: BuildAnalysis) -> list[Child]:
    stages = list(build.stages)
    shown = stages
    if len(stages) > STAGE_ROWS:
        busiest = sorted(stages, key=lambda s: s.busy, reverse=True)[:STAGE_ROWS]
        chosen = {(stage.target, stage.platform, stage.name) for stage in busiest}
        shown = [stage for stage in stages if (stage.target, stage.platform, stage.name) in chosen]
    rows = []
    sizes = analysis.sizes
    for stage in shown:
        label = stage_label(stage.target, stage.name, stage.platform)
        share = analysis.critical_path_by_stage.get(label, 0.0)
        rows.append(
            {
                "stage": label,
                "start": stage.start,
                "end": stage.end,
                "span": stage.span,
                "busy": stage.busy,
                "sequential": stage.sequential,
                "steps": stage.steps,
                "cached": stage.cached,
                "failed": stage.failed or None,
                "critical": share or None,
                "layers": sizes.stage(stage.target, stage.name, stage.platform) if sizes else None,
            }
        )
    columns = [
        ("stage", "stage", "name"),
        ("start", "start", "seconds"),
        ("end", "end", "seconds"),
        ("span", "span", "seconds"),
        ("busy", "busy", "seconds"),
        ("sequential", "sequential", "seconds"),
        ("steps", "steps", "count"),
        ("cached", "cached", "count"),
        ("failed", "failed", "count"),
        ("critical", "on critical path", "seconds"),
        # Layer sizes come with Docker's build record only: no empty column otherwise.
        *([("layers", "layers", "bytes")] if sizes is not None else []),
    ]
    parts: list[Child] = []
    if len(shown) < len(stages):
        parts.append(
            html.P(
                f"The {len(shown)} busiest of {len(stages)} stages, in start order "
                "(the chart above shows them all).",
                className="hint",
            )
        )
    parts.append(record_table(columns, rows, id=ids.STAGE_TABLE))
    return parts


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


STEP_COLUMNS = [
    ("start", "start", "seconds"),
    ("duration", "duration", "seconds"),
    ("stage", "stage", "text"),
    ("step", "step", "name"),
    ("status", "status", "status"),
]


def _critical_path_table(build: Build, analysis: BuildAnalysis) -> list[Child]:
    path = [build.step(digest) for digest in analysis.critical_path]
    shown = path
    if len(path) > CRITICAL_PATH_ROWS:
        # The longest steps, still in time order: a 400-row table says no more.
        ranked = sorted(path, key=lambda s: s.duration, reverse=True)[:CRITICAL_PATH_ROWS]
        longest = {step.digest for step in ranked}
        shown = [step for step in path if step.digest in longest]
    parts: list[Child] = []
    if len(shown) < len(path):
        parts.append(
            html.P(
                f"The {len(shown)} longest of its {len(path)} steps, in time order "
                "(the timeline outlines them all).",
                className="hint",
            )
        )
    rows = [{**_step_row(step), "start": _round(path_start(step))} for step in shown]
    parts.append(record_table(STEP_COLUMNS, rows, id=ids.CRITICAL_PATH_TABLE))
    return parts


def _step_row(step: Step, on_path: bool | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "start": _round(step.start),
        "duration": _round(step.duration),
        "stage": step_stage_label(step),
        "step": step.parsed.text or step.name,
        "status": step.status.value,
    }
    if on_path is not None:
        row["critical"] = "yes" if on_path else ""
    return row


def _slowest_table(build: Build, analysis: BuildAnalysis) -> list[Child]:
    on_path = set(analysis.critical_path)
    rows = [_step_row(step, step.digest in on_path) for step in slowest_steps(build)]
    columns = [*STEP_COLUMNS, ("critical", "critical", "text")]
    return [record_table(columns, rows, id=ids.SLOWEST_TABLE)]


def _notes(build: Build, source: str | None) -> list[html.Div]:
    if not build.all_notes and not build.messages:
        return []
    items = [html.Li(note) for note in build.all_notes]
    items.extend(html.Li(message, className="mono") for message in build.messages[:50])
    return [card(html.Ul(items, className="compact"), title="Notes and messages")]
