"""A build's own page, the Build page drawn from a history run's rows, and the
timeline's overview (its minimap), as component trees."""

from __future__ import annotations

from dashboard import data, ids
from dashboard.callbacks.build import full_page, zoom_timeline
from dashboard.layout.build_home import build_home_page
from dashboard.layout.build_quick import quick_build_page
from dashboard.layout.timeline import overview_figure, zoomed_range
from dashboard.routing import render_page
from dashboard.sources import Catalog
from tests.dashboard.test_layout import ids_in, texts, walk


def test_build_home_page_links_its_runs_its_trends_and_its_failure(catalog: Catalog) -> None:
    view = data.build_home_view(catalog, "app")
    page = build_home_page(view)
    found = ids_in(page)
    assert {ids.HOME_RUNS, ids.HOME_STAGES, ids.HOME_FAILURE, ids.HOME_TABLE} <= found
    hrefs = {getattr(node, "href", None) for node in walk(page)}
    assert view.last_failure is not None
    assert f"/build/{view.last_failure.ref}" in hrefs
    assert {"/?build=app", "/trends?build=app"} <= hrefs
    assert "Last failure: " in texts(page)
    # The runs chart: every listed run, with its cache hits on a second axis.
    (graph,) = [n for n in walk(page) if getattr(n, "id", None) == ids.HOME_RUNS]
    names = [trace.name for trace in graph.figure.data]
    assert names == ["critical path", "wall", "cached steps (%)"]
    assert len(graph.figure.data[1].x) == view.total


def test_router_opens_a_builds_page_and_reports_an_unknown_one(catalog: Catalog) -> None:
    active, layout = render_page(catalog, "/builds/app", "")
    assert active == "builds" and "app" in texts(layout)
    active, layout = render_page(catalog, "/builds/nothing-here", "")
    assert active == "builds" and "Not found" in texts(layout)


def test_the_quick_page_shows_the_records_figures_and_then_the_whole_page(
    catalog: Catalog,
) -> None:
    quick = data.quick_build(catalog, "14", above=0)  # the failed run, not read yet
    assert quick is not None
    run, stages, on_path = quick
    page = quick_build_page(run, stages, on_path)
    found = ids_in(page)
    assert {ids.BUILD_QUICK_REF, ids.BUILD_FULL, ids.GANTT_QUICK, ids.WAITING} <= found
    assert ids.GANTT not in found  # the timeline's callbacks wait for the whole page
    words = " ".join(texts(page))
    assert f"Failed: {run.record.failed_step}" in words
    assert "was waiting, not working" in words
    whole = full_page(catalog, "14")
    assert {ids.GANTT, ids.BUILD_REF, ids.SUGGESTIONS} <= ids_in(whole[0])


def test_overview_draws_every_started_stage_and_zooms_by_a_patch(catalog: Catalog) -> None:
    build, _ = catalog.build("3")
    figure = overview_figure(build.stages)
    started = [stage for stage in build.stages if stage.start is not None]
    assert len(figure.data[0].base) == len(started)
    assert figure.layout.dragmode == "select"
    assert zoomed_range({"range": {"x": [4.0, 1.5]}}) == (1.5, 4.0)
    assert zoomed_range(None) is True
    assert zoomed_range({"points": []}) is True
    patch = zoom_timeline({"range": {"x": [1.0, 2.0]}}).to_plotly_json()
    operations = patch["operations"]
    assert {"operation": "Assign", "location": ["layout", "xaxis", "range"],
            "params": {"value": [1.0, 2.0]}} in operations  # fmt: skip
