"""The Runs page: the history, filterable, each run with its numbers and a trend line."""

from __future__ import annotations

from pathlib import Path

from dash import dcc, html

from dashboard import ids
from dashboard.data import RunRow, RunsView, record_metrics
from dashboard.layout.common import (
    Child,
    badge,
    build_options,
    card,
    empty,
    fmt_percent,
    fmt_seconds,
    graph,
    link,
    sparkline_svg,
    table,
)
from dashboard.urls import ALL_BUILDS, STATUSES, build_home_href, build_href, runs_href
from profiler.figures_history import RUN_STATUS_COLORS, history_figure

HEADERS = (
    "",
    "build",
    "run",
    "started (UTC)",
    "status",
    "wall",
    "critical path",
    "parallelism",
    "cached",
    "all steps",
    "trend (wall)",
    "branch",
    "commit",
    "labels / file",
)


def runs_page(view: RunsView) -> html.Div:
    filters = view.filters
    scope = "of every build" if view.all_builds else f"of {filters.build}"
    header = [
        html.H1("Runs"),
        html.Div(
            [
                html.Span(f"{view.total} run{'s' if view.total != 1 else ''} {scope}"),
                *(
                    []
                    if view.all_builds or not filters.build
                    else [link("its page", build_home_href(filters.build), id=ids.RUNS_HOME)]
                ),
            ],
            className="subtitle",
        ),
        html.Div(
            [
                _field(
                    "build",
                    dcc.Dropdown(
                        id=ids.RUNS_BUILD,
                        options=build_options(view.builds, all_builds=ALL_BUILDS),
                        value=filters.build,
                        clearable=False,
                    ),
                    wide=True,
                ),
                _field(
                    "branch",
                    dcc.Dropdown(
                        id=ids.RUNS_BRANCH,
                        options=list(view.branches),
                        value=filters.branch,
                        placeholder="all branches",
                    ),
                ),
                _field(
                    "labels",
                    dcc.Dropdown(
                        id=ids.RUNS_LABELS,
                        options=[f"{key}={value}" for key, value in view.labels],
                        value=[f"{key}={value}" for key, value in filters.labels.items()],
                        multi=True,
                        placeholder="any label",
                    ),
                ),
                _field(
                    "status",
                    dcc.Dropdown(
                        id=ids.RUNS_STATUS,
                        options=list(STATUSES),
                        value=filters.status,
                        placeholder="any status",
                    ),
                ),
                dcc.Link(
                    "Compare selected",
                    id=ids.RUNS_COMPARE,
                    href="/compare",
                    className="button disabled",
                ),
                html.Span(
                    "tick two runs to compare them",
                    id=ids.RUNS_COMPARE_WHY,
                    className="compare-why",
                ),
            ],
            className="filters",
        ),
    ]
    if view.total == 0:
        filtered = bool(filters.branch or filters.labels or filters.status or filters.build)
        return html.Div(
            [
                *header,
                empty(
                    "No runs match these filters" if filtered else "No runs yet",
                    "Clear the filters to see every run."
                    if filtered
                    else html.Span(
                        [
                            "Store builds with ",
                            html.Code("kitprof run"),
                            " or ",
                            html.Code("kitprof ingest"),
                            ", or look at streams: ",
                            html.Code("kitprof dashboard build.rawjson"),
                        ]
                    ),
                ),
            ]
        )
    trend = list(view.trend)
    return html.Div(
        [
            *header,
            card(
                graph(
                    history_figure([record_metrics(run) for run in trend], [r.ref for r in trend]),
                    id=ids.RUNS_TREND,
                ),
                title=f"Wall time of the newest {len(trend)} runs (click a point to open it)",
            ),
            card(
                table(
                    HEADERS,
                    [_row(row) for row in view.rows],
                    numeric=(5, 6, 7, 8, 9),
                    id=ids.RUNS_TABLE,
                    sort_keys=[_sort_keys(row) for row in view.rows],
                ),
                _pager(view),
            ),
        ]
    )


def _field(label: str, control: dcc.Dropdown, wide: bool = False) -> html.Div:
    return html.Div([html.Label(label), control], className="field wide" if wide else "field")


def _sort_keys(row: RunRow) -> list[float | str | None]:
    """What each column of a run's row sorts by (the numbers behind the text)."""
    record = row.run.record
    number = float(record.id) if record.id else None
    keys: list[float | str | None] = [None] * len(HEADERS)
    keys[2] = number
    keys[3] = record.started_at.timestamp()
    keys[5] = record.wall_seconds
    keys[6] = record.critical_path_seconds
    keys[7] = record.parallelism
    keys[8] = record.cache_hit_ratio
    keys[9] = record.vertex_count
    keys[10] = record.wall_seconds
    return keys


def _row(row: RunRow) -> list[Child]:
    record = row.run.record
    color = RUN_STATUS_COLORS.get(record.status, "#777")
    if row.run.source == "files":
        where: Child = html.Span(
            Path(record.source or "").name, className="mono", title=record.source or ""
        )
    else:
        where = " ".join(f"{key}={value}" for key, value in record.labels.items())
    return [
        dcc.Checklist(
            id={"type": ids.RUNS_PICK, "ref": row.ref},
            options=[{"label": "", "value": row.ref}],
            value=[],
            className="pick",
        ),
        link(record.build_name, build_home_href(record.build_name), className="build-name"),
        link(row.run.label if row.run.source != "files" else row.ref, build_href(row.ref)),
        record.started_at.strftime("%Y-%m-%d %H:%M:%S"),
        badge(record.status),
        fmt_seconds(record.wall_seconds),
        fmt_seconds(record.critical_path_seconds),
        f"{record.parallelism:.2f}x",
        fmt_percent(record.cache_hit_ratio) if record.cache_steps else "-",
        str(record.vertex_count),
        html.Img(
            src=sparkline_svg(row.spark, color),
            className="spark",
            alt=f"wall time of the last {len(row.spark)} listed runs",
        ),
        record.git_branch or "",
        (record.git_commit or "")[:10],
        where,
    ]


def _pager(view: RunsView) -> html.Div:
    parts: list[Child] = [html.Span(f"page {view.page} of {view.pages}")]
    if view.page > 1:
        parts.append(link("← newer", runs_href(view.filters, view.page - 1), id=ids.RUNS_PREVIOUS))
    if view.page < view.pages:
        parts.append(link("older →", runs_href(view.filters, view.page + 1), id=ids.RUNS_NEXT))
    return html.Div(parts, className="pager")
