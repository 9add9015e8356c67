"""The Trends page: build times, critical path and cache over many runs, per stage,
with the runs that the regression gate would have failed marked."""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids
from dashboard.data import TrendsView
from dashboard.layout.common import (
    Child,
    build_options,
    card,
    empty,
    fmt_percent,
    fmt_seconds,
    fmt_signed,
    graph,
    link,
    table,
)
from dashboard.urls import build_home_href, build_href, ref_label
from profiler.analysis.trends import RUN_METRICS, Series
from profiler.figures_history import METRIC_NAMES, stage_trend_figure, trend_figure
from profiler.render.format import change_percent

LAST_CHOICES = ((20, "last 20"), (50, "last 50"), (100, "last 100"), (500, "last 500"), (0, "all"))


def controls(view: TrendsView) -> html.Div:
    filters = view.filters
    return html.Div(
        [
            html.Div(
                [
                    html.Label("build"),
                    dcc.Dropdown(
                        id=ids.TRENDS_BUILD,
                        options=build_options(view.builds),
                        value=filters.build,
                        clearable=False,
                    ),
                ],
                className="field wide",
            ),
            html.Div(
                [
                    html.Label("branch"),
                    dcc.Dropdown(
                        id=ids.TRENDS_BRANCH,
                        options=list(view.branches),
                        value=filters.branch,
                        placeholder="all branches",
                    ),
                ],
                className="field",
            ),
            html.Div(
                [
                    html.Label("labels"),
                    dcc.Dropdown(
                        id=ids.TRENDS_LABELS,
                        options=[f"{k}={v}" for k, v in view.labels],
                        value=[f"{k}={v}" for k, v in filters.labels.items()],
                        multi=True,
                        placeholder="any label",
                    ),
                ],
                className="field",
            ),
            html.Div(
                [
                    html.Label("stage"),
                    dcc.Dropdown(
                        id=ids.TRENDS_STAGE,
                        options=list(view.stages),
                        value=view.stage,
                        placeholder="every stage",
                    ),
                ],
                className="field wide",
            ),
            html.Div(
                [
                    html.Label("runs"),
                    dcc.Dropdown(
                        id=ids.TRENDS_LAST,
                        options=[{"label": text, "value": n} for n, text in LAST_CHOICES],
                        value=view.last,
                        clearable=False,
                    ),
                ],
                className="field narrow",
            ),
        ],
        className="filters",
    )


def trends_page(view: TrendsView) -> html.Div:
    runs = view.trend.runs
    header: list[Child] = [
        html.H1("Trends"),
        html.Div(
            [
                html.Span(
                    f"{len(runs)} successful runs of {view.filters.build or 'no build'}, "
                    "oldest first"
                ),
                *(
                    [link("the build's page", build_home_href(view.filters.build))]
                    if view.filters.build
                    else []
                ),
                html.Span(
                    "a regression: slower than the median of the "
                    f"{view.trend.window} runs before by more than 20% and 3 robust σ",
                    className="hint",
                ),
            ],
            className="subtitle",
        ),
        controls(view),
    ]
    if len(runs) < 2:
        return html.Div(
            [
                *header,
                empty(
                    "Not enough runs for a trend",
                    "Trends need at least two successful runs matching the filters.",
                ),
            ]
        )
    refs = list(view.refs)
    stage_title = f"Stage {view.stage}" if view.stage else "Stages"
    return html.Div(
        [
            *header,
            card(_summary_table(view)),
            card(graph(trend_figure(view.trend, refs, stage=view.stage), id=ids.TRENDS_RUNS)),
            card(
                graph(stage_trend_figure(view.trend, refs), id=ids.TRENDS_STAGES),
                title=stage_title,
            ),
            card(*_regressions(view), title=f"Regressions ({len(view.trend.regressions)})"),
        ]
    )


def _summary_table(view: TrendsView) -> html.Div:
    rows = []
    for name in RUN_METRICS:
        series = view.trend.series[name]
        rows.append(_summary_row(METRIC_NAMES[name], series, ratio=name == "cache_hit_ratio"))
    if view.stage and view.stage in view.trend.stages:
        for name, series in view.trend.stages[view.stage].items():
            label = f"{view.stage}: {METRIC_NAMES.get(name, name)}"
            rows.append(_summary_row(label, series, ratio=name == "cache_hit_ratio"))
    return table(
        ("", "first", "last", "median", "min", "max", "change", "per run"),
        rows,
        numeric=range(1, 8),
    )


def _summary_row(label: str, series: Series, *, ratio: bool) -> list[Child]:
    s = series.summary

    def show(value: float | None) -> str:
        if value is None:
            return "-"
        return fmt_percent(value) if ratio else fmt_seconds(value)

    def signed(value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value * 100:+.1f} pt" if ratio else fmt_signed(value)

    return [
        label,
        show(s.first),
        show(s.last),
        show(s.median),
        show(s.minimum),
        show(s.maximum),
        signed(s.change),
        signed(s.slope_per_run),
    ]


def _regressions(view: TrendsView) -> list[Child]:
    found = view.trend.regressions
    if not found:
        return [html.P("No run was slower than its baseline beyond the noise.", className="hint")]
    rows = []
    for result in reversed(found):
        ref = view.ref_of(result.run)
        started = result.run.started_at
        rows.append(
            [
                link(ref_label(ref), build_href(ref)) if ref else "?",
                started.strftime("%Y-%m-%d %H:%M") if started else "-",
                fmt_seconds(result.value),
                fmt_seconds(result.baseline_median),
                change_percent(result.ratio),
                ", ".join(
                    f"{verdict.stage} {fmt_signed(verdict.delta)}" for verdict in result.stages
                ),
            ]
        )
    return [
        table(
            ("run", "started", "value", "baseline median", "change", "stages responsible"),
            rows,
            numeric=(2, 3, 4),
        )
    ]
