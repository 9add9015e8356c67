"""Build page: the stages, tables and suggestions arrive after the timeline (the
suggestions replay the build many times: seconds on a large one); a click on a bar
shows that step's logs."""

from __future__ import annotations

from dash import Dash, Input, Output, State, html

from dashboard import ids
from dashboard.data import build_view, clicked_digest, step_view
from dashboard.layout.build import build_details, step_panel, suggestions_panel
from dashboard.layout.common import Child
from dashboard.sources import Catalog
from profiler.errors import KitprofError


def step_details(catalog: Catalog, ref: str | None, click: object) -> list[Child]:
    digest = clicked_digest(click)
    if ref is None or digest is None:
        return step_panel(None)
    build, analysis = catalog.build(ref)
    return step_panel(step_view(build, analysis, digest))


def details(catalog: Catalog, ref: str | None) -> list[Child]:
    if ref is None:
        return []
    try:
        return build_details(build_view(catalog, ref))
    except KitprofError as error:
        return [html.P(str(error), className="hint")]


def suggestions(catalog: Catalog, ref: str | None) -> list[Child]:
    if ref is None:
        return suggestions_panel(None, False)
    try:
        report = catalog.suggestions(ref)
    except KitprofError:
        return suggestions_panel(None, False)
    return suggestions_panel(report, catalog.dockerfile(ref) is not None)


def register(app: Dash, catalog: Catalog) -> None:
    @app.callback(
        Output(ids.STEP_PANEL, "children"),
        Input(ids.GANTT, "clickData"),
        State(ids.BUILD_REF, "data"),
        prevent_initial_call=True,
    )
    def show_step(click: object, ref: str | None) -> list[Child]:
        return step_details(catalog, ref, click)

    @app.callback(Output(ids.BUILD_DETAILS, "children"), Input(ids.BUILD_REF, "data"))
    def show_details(ref: str | None) -> list[Child]:
        return details(catalog, ref)

    @app.callback(Output(ids.SUGGESTIONS, "children"), Input(ids.BUILD_REF, "data"))
    def show_suggestions(ref: str | None) -> list[Child]:
        return suggestions(catalog, ref)
