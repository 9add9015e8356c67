"""Build page: the stages, tables and suggestions arrive after the timeline (the
suggestions replay the build many times: seconds on a large one); a click on a bar
shows that step's logs."""

from __future__ import annotations

from dash import Dash, Input, Output, Patch, State, ctx, html, no_update

from dashboard import ids
from dashboard.data import build_view, clicked_digest, step_view
from dashboard.layout.build import build_details, build_page, step_panel
from dashboard.layout.common import Child, styled
from dashboard.layout.host_usage import with_host_usage
from dashboard.layout.suggestions import suggestions_panel
from dashboard.layout.timeline import clicked_stage, timeline, zoomed_range
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


def timeline_view(
    catalog: Catalog, ref: str | None, view: str | None, click: object
) -> tuple[object, object, object]:
    """``(figure, note, view)`` after the view selector changed or a stage was clicked."""
    if ref is None:
        return no_update, no_update, no_update
    stage = clicked_stage(click) if ctx.triggered_id == ids.GANTT else None
    if ctx.triggered_id == ids.GANTT and stage is None:
        return no_update, no_update, no_update  # a step's bar: the step panel answers
    if stage is None and view == "stage":
        return no_update, no_update, no_update
    build, analysis = catalog.build(ref)
    shown = timeline(build, analysis, "stage" if stage else view or "stages", stage)
    figure = with_host_usage(shown.figure, build)
    return styled(figure), shown.note, "stage" if stage else no_update


def full_page(catalog: Catalog, ref: str | None) -> list[Child]:
    """The whole Build page, in place of the one drawn from the history's rows."""
    if ref is None:
        return []
    try:
        return [build_page(build_view(catalog, ref))]
    except KitprofError as error:
        return [html.P(str(error), className="hint")]


def zoom_timeline(selected: object) -> Patch:
    """The timeline's time axis after a drag on the overview: a patch of its range
    (a few bytes), not the figure again."""
    zoom = zoomed_range(selected)
    patch = Patch()
    if isinstance(zoom, bool):
        patch["layout"]["xaxis"]["autorange"] = True
    else:
        patch["layout"]["xaxis"]["range"] = list(zoom)
        patch["layout"]["xaxis"]["autorange"] = False
    return patch


DRAW_ALL_STAGES = """
function (figure) {
    // The quick Build page's stage chart with every stage, once its first rows are
    // drawn and scrolled (the page, or the chart's scroll box) to within 300 px of
    // their end: drawing every row at once held the page's first chart back.
    // Nothing when the whole page came first (it has them all).
    var unchanged = window.dash_clientside.no_update;
    if (!figure) {
        return unchanged;
    }
    return new Promise(function (resolve) {
        var timer = null;
        function done(value) {
            document.removeEventListener("scroll", check, true);
            clearInterval(timer);
            resolve(value);
        }
        function check() {
            var chart = document.getElementById("CHART");
            if (!chart) {
                done(unchanged);
                return;
            }
            var box = chart.closest(".scroll") || document.documentElement;
            var seen = Math.min(window.innerHeight, box.getBoundingClientRect().bottom);
            if (chart.querySelector(".barlayer .point")
                && chart.getBoundingClientRect().bottom < seen + 300) {
                done(figure);
            }
        }
        // Scroll events do not bubble: caught on their way down, from any box.
        document.addEventListener("scroll", check, {capture: true, passive: true});
        timer = setInterval(check, 500);  // a window made taller; the page replaced
    });
}
""".replace("CHART", ids.GANTT_QUICK)


def register(app: Dash, catalog: Catalog) -> None:
    app.clientside_callback(  # type: ignore[no-untyped-call]
        DRAW_ALL_STAGES,
        Output(ids.GANTT_QUICK, "figure"),
        Input(ids.GANTT_QUICK_ALL, "data"),
    )

    @app.callback(
        Output(ids.GANTT, "figure", allow_duplicate=True),
        Input(ids.TIMELINE_OVERVIEW, "selectedData"),
        prevent_initial_call=True,
    )
    def zoom(selected: object) -> Patch:
        return zoom_timeline(selected)

    @app.callback(Output(ids.BUILD_FULL, "children"), Input(ids.BUILD_QUICK_REF, "data"))
    def show_full(ref: str | None) -> list[Child]:
        return full_page(catalog, ref)

    @app.callback(
        Output(ids.GANTT, "figure"),
        Output(ids.TIMELINE_NOTE, "children"),
        Output(ids.TIMELINE_VIEW, "value"),
        Input(ids.TIMELINE_VIEW, "value"),
        Input(ids.GANTT, "clickData"),
        State(ids.BUILD_REF, "data"),
        prevent_initial_call=True,
    )
    def change_view(view: str | None, click: object, ref: str | None) -> tuple[object, ...]:
        return timeline_view(catalog, ref, view, click)

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
