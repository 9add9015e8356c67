"""A build's own page (``/builds/<name>``): its runs over time, its stages' trends,
its last failure; the runs, trends and compare pages one click away."""

from __future__ import annotations

import statistics

from dash import html

from dashboard import ids
from dashboard.data import HOME_TABLE_RUNS, BuildHomeView, record_metrics
from dashboard.layout.common import (
    Child,
    badge,
    card,
    fmt_percent,
    fmt_seconds,
    graph,
    link,
    stat,
    table,
)
from dashboard.sources import CatalogRun, RunFilters
from dashboard.urls import build_href, compare_href, runs_href, trends_href
from profiler.figures_history import history_figure, stage_trend_figure


def build_home_page(view: BuildHomeView) -> html.Div:
    scope = RunFilters(build=view.name)
    runs = list(view.runs)
    newest = runs[-1]
    shown = (
        f"{view.total} run{'s' if view.total != 1 else ''}"
        if len(runs) == view.total
        else f"the newest {len(runs)} of its {view.total} runs"
    )
    return html.Div(
        [
            html.Div(
                [
                    link("← its runs", runs_href(scope)),
                    " · ",
                    link("its trends", trends_href(scope)),
                    " · ",
                    link("newest run", build_href(newest.ref)),
                    " · ",
                    link("compare the newest with the run before", compare_href(None, newest.ref)),
                ],
                className="hint",
            ),
            html.H1([view.name, html.Span(" build", className="run")]),
            html.Div(
                [
                    html.Span(
                        f"{view.total} run{'s' if view.total != 1 else ''}, the newest "
                        f"{newest.record.started_at:%Y-%m-%d %H:%M} UTC"
                    ),
                    html.Span(f"{view.failures} failed"),
                ],
                className="subtitle",
            ),
            _stats(runs),
            _last_failure(view),
            card(
                graph(
                    history_figure(
                        [record_metrics(run) for run in runs],
                        [run.ref for run in runs],
                        cache=True,
                        height=300,
                    ),
                    id=ids.HOME_RUNS,
                ),
                title=f"Wall time, critical path and cached share of {shown} (oldest first)",
            ),
            _stages(view),
            card(_recent(runs), title=f"The newest {min(len(runs), HOME_TABLE_RUNS)} runs"),
        ]
    )


def _stats(runs: list[CatalogRun]) -> html.Div:
    newest = runs[-1].record
    done = [run.record for run in runs if run.record.status == "success"]
    parts = [stat("newest run", fmt_seconds(newest.wall_seconds), f"wall · {newest.status}")]
    if done:
        walls = [record.wall_seconds for record in done]
        paths = [record.critical_path_seconds for record in done]
        cached = [record.cache_hit_ratio for record in done if record.cache_steps]
        parts.extend(
            [
                stat(
                    "median wall", fmt_seconds(statistics.median(walls)), f"{len(done)} successful"
                ),
                stat("fastest", fmt_seconds(min(walls)), "wall of a successful run"),
                stat("slowest", fmt_seconds(max(walls)), "wall of a successful run"),
                stat(
                    "median critical path",
                    fmt_seconds(statistics.median(paths)),
                    "the chain that sets the finish",
                ),
                stat(
                    "median cached share",
                    fmt_percent(statistics.median(cached)) if cached else "-",
                    "of cacheable steps",
                ),
            ]
        )
    return html.Div(parts, className="stats")


def _last_failure(view: BuildHomeView) -> html.Div:
    run = view.last_failure
    if run is None:
        return html.Div(
            html.P(f"No failed run among its {view.total} runs.", className="hint"),
            id=ids.HOME_FAILURE,
        )
    record = run.record
    where = " @ ".join(p for p in (record.git_branch, (record.git_commit or "")[:10]) if p)
    parts: list[Child] = [
        html.H2(["Last failure: ", link(f"run {run.label}", build_href(run.ref))]),
        html.Div(
            f"{record.started_at:%Y-%m-%d %H:%M} UTC" + (f" · {where}" if where else ""),
            className="hint",
        ),
    ]
    if record.failed_step:
        parts.append(html.P(["failed at ", html.Code(record.failed_step)]))
    parts.append(
        html.P(
            [
                link("its logs and the work thrown away", build_href(run.ref)),
                " · ",
                link("compare it with the run before", compare_href(None, run.ref)),
            ]
        )
    )
    return html.Div(parts, className="card failure", id=ids.HOME_FAILURE)


def _stages(view: BuildHomeView) -> html.Div:
    trend = view.trends.trend
    if len(trend.runs) < 2:
        return card(
            html.P(
                f"Its stages' trends need two successful runs; it has {len(trend.runs)} so far.",
                className="hint",
            ),
            title="Stages over time",
        )
    return card(
        graph(stage_trend_figure(trend, list(view.trends.refs)), id=ids.HOME_STAGES),
        html.P(
            [
                "Regressions, one stage at a time and other filters: ",
                link("its trends", trends_href(RunFilters(build=view.name))),
                ".",
            ],
            className="hint",
        ),
        title=f"Stages over time (its last {len(trend.runs)} successful runs)",
    )


def _recent(runs: list[CatalogRun]) -> html.Div:
    rows = []
    for run in reversed(runs[-HOME_TABLE_RUNS:]):
        record = run.record
        rows.append(
            [
                link(run.label, build_href(run.ref)),
                f"{record.started_at:%Y-%m-%d %H:%M}",
                badge(record.status),
                fmt_seconds(record.wall_seconds),
                fmt_seconds(record.critical_path_seconds),
                fmt_percent(record.cache_hit_ratio) if record.cache_steps else "-",
                record.git_branch or "",
            ]
        )
    return table(
        ("run", "started (UTC)", "status", "wall", "critical path", "cache", "branch"),
        rows,
        numeric=(3, 4, 5),
        id=ids.HOME_TABLE,
    )
