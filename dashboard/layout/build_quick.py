"""The Build page of a big history run before its stream is read: what the history's
rows already say (the run's figures, its stages on the time axis), drawn at once.

Reading a 5,000-step build's 110 MiB stream takes seconds; its record and stage rows
take milliseconds. The full page (:func:`dashboard.layout.build.build_page`) replaces
this one as soon as the build is read, in the same place.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids
from dashboard.layout.build import build_header, gap_line, stats_cards
from dashboard.layout.common import Child, card, graph, styled_json
from dashboard.layout.timeline import first_rows, stage_timeline
from dashboard.sources import CatalogRun
from profiler.figures import stages_figure_json
from profiler.model import Stage

READING = "Reading the build's stream for its steps, logs and suggestions…"


def quick_build_page(run: CatalogRun, stages: list[Stage], on_path: dict[str, float]) -> html.Div:
    record = run.record
    figure = styled_json(stage_timeline(stages_figure_json(stages, on_path), len(stages)))
    first = first_rows(figure)
    parts: list[Child] = [
        build_header(run),
        stats_cards(
            wall=record.wall_seconds,
            critical_path=record.critical_path_seconds,
            critical_path_note=None,
            lower_bound=record.lower_bound_seconds,
            sequential=record.sequential_seconds,
            parallelism=record.parallelism,
            cached=(record.cache_hit_ratio, record.cached_steps, record.cache_steps),
            steps=(record.vertex_count, f"{len(stages)} stages · internal steps included"),
        ),
        gap_line(record.wall_seconds, record.critical_path_seconds, record.lower_bound_seconds),
    ]
    if record.status != "success":
        failed = [html.H2(f"Failed: {record.failed_step}")] if record.failed_step else []
        parts.append(
            html.Div([*failed, html.P(READING, className="hint")], className="card failure")
        )
    parts.extend(
        [
            card(html.P(READING, className="hint"), title="Suggestions"),
            card(
                # No minimap yet: one chart to draw first (it comes with the page).
                html.Div(READING, className="hint"),
                html.Div(graph(first, id=ids.GANTT_QUICK), className="scroll"),
                # Every stage, drawn in the first rows' place as they are scrolled to
                # (dashboard.callbacks.build), unless the whole page comes first.
                dcc.Store(id=ids.GANTT_QUICK_ALL, data=figure if first is not figure else None),
            ),
        ]
    )
    return html.Div(
        [dcc.Store(id=ids.BUILD_QUICK_REF, data=run.ref), html.Div(parts, id=ids.BUILD_FULL)]
    )
