"""Trends page: the controls go into the URL; a click on a point opens that run."""

from __future__ import annotations

from collections.abc import Sequence

from dash import Dash, Input, Output, ctx, no_update

from dashboard import ids
from dashboard.data import clicked_ref
from dashboard.sources import Catalog, RunFilters
from dashboard.urls import build_href, trends_href


def controls_search(
    branch: str | None,
    labels: Sequence[str] | None,
    stage: str | None,
    last: int | None,
    build: str | None = None,
) -> str:
    pairs = (item.partition("=") for item in labels or ())
    chosen = {key: value for key, sep, value in pairs if sep and key}
    filters = RunFilters(build=build or None, branch=branch or None, labels=chosen)
    return trends_href(filters, stage or None, last).removeprefix("/trends")


def register(app: Dash, catalog: Catalog) -> None:
    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.TRENDS_BRANCH, "value"),
        Input(ids.TRENDS_LABELS, "value"),
        Input(ids.TRENDS_STAGE, "value"),
        Input(ids.TRENDS_LAST, "value"),
        Input(ids.TRENDS_BUILD, "value"),
        prevent_initial_call=True,
    )
    def control(
        branch: str | None,
        labels: list[str] | None,
        stage: str | None,
        last: int | None,
        build: str | None,
    ) -> str:
        # Another build has other stages: the stage choice does not carry over.
        return controls_search(
            branch, labels, stage if ctx.triggered_id != ids.TRENDS_BUILD else None, last, build
        )

    @app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.TRENDS_RUNS, "clickData"),
        Input(ids.TRENDS_STAGES, "clickData"),
        prevent_initial_call=True,
    )
    def open_run(runs_click: object, stages_click: object) -> tuple[object, object]:
        click = stages_click if ctx.triggered_id == ids.TRENDS_STAGES else runs_click
        ref = clicked_ref(click)
        return (build_href(ref), "") if ref else (no_update, no_update)
