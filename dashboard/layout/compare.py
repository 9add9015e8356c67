"""The Compare page: two runs on one time axis, and what changed by stage and step."""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from dashboard import ids
from dashboard.data import CompareView, RunOption
from dashboard.layout.common import (
    Child,
    badge,
    card,
    empty,
    fmt_percent,
    fmt_seconds,
    fmt_signed,
    graph,
    link,
    stat,
    table,
)
from dashboard.urls import build_href
from profiler.analysis.compare import StepChange
from profiler.figures_history import compare_figure, stage_delta_figure
from profiler.render.compare import cause_lines
from profiler.render.format import change_percent

TOP_STEP_CHANGES = 20
COMPARE_ALL_BARS = 1500
"""Above this many steps in the two builds together the chart shows the most changed."""
COMPARE_TOP_ROWS = 150
COMPARE_STAGE_ROWS = 25


def pickers(options: Sequence[RunOption], a: str | None, b: str | None) -> html.Div:
    choices = [{"label": option.label, "value": option.ref} for option in options]
    return html.Div(
        [
            html.Div(
                [
                    html.Label("A (before)"),
                    dcc.Dropdown(id=ids.COMPARE_A, options=choices, value=a, clearable=False),
                ],
                className="field picker",
            ),
            html.Div(
                [
                    html.Label("B (after)"),
                    dcc.Dropdown(id=ids.COMPARE_B, options=choices, value=b, clearable=False),
                ],
                className="field picker",
            ),
        ],
        className="filters",
    )


def compare_page(
    options: Sequence[RunOption],
    a: str | None,
    b: str | None,
    view: CompareView | None,
    problem: str | None = None,
) -> html.Div:
    header: list[Child] = [
        html.H1("Compare two runs"),
        html.Div("Steps match by stage and instruction, not by digest.", className="subtitle"),
        pickers(options, a, b),
    ]
    if view is None:
        message = problem or (
            "Pick two runs above." if len(options) >= 2 else "Comparing needs two runs."
        )
        return html.Div([*header, empty("Nothing to compare yet", message)])
    return html.Div([*header, html.Div(compare_content(view), id=ids.COMPARE_CONTENT)])


def compare_content(view: CompareView) -> list[Child]:
    c = view.comparison
    label_a = view.a.run.label
    label_b = view.b.run.label
    build_a, build_b = view.a.run.record.build_name, view.b.run.record.build_name
    warning: list[Child] = []
    if build_a != build_b:
        warning.append(
            html.Div(
                [
                    html.B("Different builds: "),
                    f"A is a run of {build_a}, B of {build_b}. Their steps and times are "
                    "not expected to match.",
                ],
                className="banner warn",
            )
        )
    return [
        *warning,
        html.Div(
            [
                _delta_stat("wall time", c.a.wall_seconds, c.b.wall_seconds),
                _delta_stat("critical path", c.a.critical_path_seconds, c.b.critical_path_seconds),
                _delta_stat("sequential", c.a.sequential_seconds, c.b.sequential_seconds),
                _delta_stat("lower bound", c.a.lower_bound_seconds, c.b.lower_bound_seconds),
                stat(
                    "cached",
                    f"{fmt_percent(c.a.cache_hit_ratio)} → {fmt_percent(c.b.cache_hit_ratio)}",
                    f"{len(c.became_uncached)} steps no longer cached",
                ),
            ],
            className="stats",
        ),
        html.Div(
            [
                html.Span(
                    [
                        "A: ",
                        html.B(build_a + " "),
                        link(label_a, build_href(view.a.run.ref)),
                        " ",
                        badge(view.a.run.record.status),
                    ]
                ),
                html.Span(
                    [
                        "B: ",
                        html.B(build_b + " "),
                        link(label_b, build_href(view.b.run.ref)),
                        " ",
                        badge(view.b.run.record.status),
                    ]
                ),
                html.Span(c.critical_path_summary),
            ],
            className="subtitle",
        ),
        card(
            html.P(
                "One row per step, A's bar above B's, each build from its own start. "
                "Hatched: cached; dark outline: on that run's critical path; red: failed."
                + _rows_note(view),
                className="hint",
            ),
            html.Div(
                graph(
                    compare_figure(
                        view.a.build,
                        view.b.build,
                        view.a.analysis,
                        view.b.analysis,
                        label_a=f"A {label_a}",
                        label_b=f"B {label_b}",
                        only=_shown_rows(view),
                    ),
                    # Its step names need room: on a phone the chart scrolls sideways
                    # in its box instead of squeezing the bars to nothing.
                    style={"minWidth": "720px"},
                ),
                className="scroll",
                style={"maxHeight": "78vh", "overflowY": "auto", "overflowX": "auto"},
            ),
        ),
        html.Div(
            [
                card(_stage_table(view), title="Per-stage change (busy time)"),
                card(graph(stage_delta_figure(c))),
            ],
            className="grid2 section",
        ),
        *_cache_misses(view),
        card(
            _step_table(c.steps[:TOP_STEP_CHANGES])
            if c.steps
            else html.P("No step ran in both builds.", className="hint"),
            title="Steps that changed most",
        ),
        *_added_removed(c.added, c.removed),
        *_critical_path_change(view),
    ]


def _shown_rows(view: CompareView) -> set[str] | None:
    """A big comparison's chart: the steps that changed most, not 10,000 bars (a
    payload of megabytes that froze the tab)."""
    if len(view.a.build) + len(view.b.build) <= COMPARE_ALL_BARS:
        return None
    ranked = sorted(view.comparison.steps, key=lambda change: abs(change.delta), reverse=True)
    return {change.key for change in ranked[:COMPARE_TOP_ROWS]}


def _rows_note(view: CompareView) -> str:
    if _shown_rows(view) is None:
        return ""
    return (
        f" The {COMPARE_TOP_ROWS} steps whose time changed most, of "
        f"{len(view.a.build):,} and {len(view.b.build):,}: every step would be megabytes."
    )


def _delta_stat(label: str, a: float, b: float) -> html.Div:
    change = b - a
    ratio = f" ({change_percent(change / a)})" if a > 0 else ""
    return stat(label, f"{fmt_seconds(a)} → {fmt_seconds(b)}", f"{fmt_signed(change)}{ratio}")


def _signed(value: float) -> html.Span:
    css = "pos" if value > 0.005 else "neg" if value < -0.005 else None
    return html.Span(fmt_signed(value), className=css)


def _stage_table(view: CompareView) -> html.Div:
    rows = []
    stages = list(view.comparison.stages)
    shown = stages
    if len(stages) > COMPARE_STAGE_ROWS:
        # The stages that changed most, in their order: 212 rows say no more.
        ranked = sorted(stages, key=lambda change: abs(change.delta), reverse=True)
        kept = {id(change) for change in ranked[:COMPARE_STAGE_ROWS]}
        shown = [change for change in stages if id(change) in kept]
    for change in shown:
        rows.append(
            [
                change.stage,
                fmt_seconds(change.a.busy) if change.a else "—",
                fmt_seconds(change.b.busy) if change.b else "—",
                _signed(change.delta),
                f"{change.a.cached}/{change.a.steps}" if change.a else "—",
                f"{change.b.cached}/{change.b.steps}" if change.b else "—",
                fmt_seconds(change.b.critical_path_seconds)
                if change.b and change.b.critical_path_seconds
                else "",
            ]
        )
    listed = table(
        ("stage", "A busy", "B busy", "Δ", "A cached", "B cached", "B critical"),
        rows,
        numeric=range(1, 7),
        name_columns=(0,),
    )
    if len(shown) == len(stages):
        return listed
    note = f"The {len(shown)} of {len(stages)} stages whose busy time changed most."
    return html.Div([html.P(note, className="hint"), listed])


def _step_table(changes: Sequence[StepChange]) -> html.Div:
    rows = []
    for change in changes:
        a, b = change.a, change.b
        rows.append(
            [
                change.key,
                fmt_seconds(a.duration) if a else "—",
                fmt_seconds(b.duration) if b else "—",
                _signed(change.delta),
                html.Span(
                    [badge(a.status.value) if a else "", " → ", badge(b.status.value) if b else ""]
                ),
            ]
        )
    return table(("step", "A", "B", "Δ", "status"), rows, numeric=(1, 2, 3), name_columns=(0,))


def _cache_misses(view: CompareView) -> list[html.Div]:
    """Why the cache missed: each chain's first step, its causes, what it cost."""
    if view.misses is None or not view.misses.misses:
        return []
    items: list[Child] = []
    for miss in view.misses.misses:
        where = f"line {miss.line}: " if miss.line is not None else ""
        causes = []
        for cause in miss.causes:
            first, *rest = cause_lines(cause)
            causes.append(
                html.Li(
                    [badge(cause.kind), " ", first, html.Ul([html.Li(line) for line in rest])]
                    if rest
                    else [badge(cause.kind), " ", first],
                    className="cause",
                )
            )
        items.append(
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(where + miss.name_b, className="mono"),
                            html.Span(
                                f" cost {fmt_seconds(miss.cost_seconds)} "
                                f"({len(miss.reruns)} step(s) re-ran)",
                                className="pos",
                            ),
                        ]
                    ),
                    html.Ul(causes, className="compact"),
                ],
                className="cache-miss",
            )
        )
    return [card(*items, title="Why the cache missed", class_name="cache-misses")]


def _added_removed(added: Sequence[StepChange], removed: Sequence[StepChange]) -> list[html.Div]:
    parts: list[html.Div] = []
    for title, changes in (
        (f"Only in B ({len(added)})", added),
        (f"Only in A ({len(removed)})", removed),
    ):
        if not changes:
            continue
        items = []
        for change in changes:
            side = change.b or change.a
            items.append(html.Li(f"{change.key} ({fmt_seconds(side.duration if side else 0)})"))
        details = html.Details(
            [html.Summary(title), html.Ul(items, className="compact mono")],
            open=len(changes) <= 8,
        )
        parts.append(card(details))
    return parts


def _critical_path_change(view: CompareView) -> list[html.Div]:
    c = view.comparison
    if not c.critical_path_moved:
        return []
    items: list[Child] = [html.H2("The critical path moved")]
    for title, keys in (
        (f"Joined it in B ({len(c.critical_path_joined)})", c.critical_path_joined),
        (f"Left it ({len(c.critical_path_left)})", c.critical_path_left),
    ):
        if keys:
            items.append(
                html.Details(
                    [
                        html.Summary(title),
                        html.Ul([html.Li(k) for k in keys], className="compact mono"),
                    ],
                    open=len(keys) <= 8,
                )
            )
    return [card(*items)]
