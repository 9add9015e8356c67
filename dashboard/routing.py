"""Which page a URL shows, built from the catalog: the router callback's whole work.

A run that does not exist, or a history database that cannot be read, becomes a
message on the page, never a failed request (which the browser would report as an
error with nothing for the user to read).
"""

from __future__ import annotations

from dash import html

from dashboard import data
from dashboard.layout.build import build_page
from dashboard.layout.build_home import build_home_page
from dashboard.layout.build_quick import quick_build_page
from dashboard.layout.common import Child
from dashboard.layout.compare import compare_page
from dashboard.layout.runs import runs_page
from dashboard.layout.shell import not_found
from dashboard.layout.trends import trends_page
from dashboard.sources import Catalog, UnknownRun
from dashboard.urls import Route, filters_of, int_param, parse_route
from profiler.errors import KitprofError


def render_page(catalog: Catalog, pathname: str | None, search: str | None) -> tuple[str, Child]:
    """``(active page, layout)`` for a URL."""
    route = parse_route(pathname, search)
    try:
        return route.page, _layout(catalog, route)
    except UnknownRun as error:
        return route.page, not_found(f"{error}. It may have been removed, or the link is wrong.")
    except KitprofError as error:
        return route.page, html.Div(
            [html.H2("Cannot show this page"), html.P(str(error))], className="card empty"
        )


def _layout(catalog: Catalog, route: Route) -> Child:
    if route.page == "runs":
        return runs_page(data.runs_view(catalog, filters_of(route), int_param(route, "page", 1, 1)))
    if route.page == "build":
        assert route.ref is not None
        quick = data.quick_build(catalog, route.ref)
        if quick is not None:  # a big run not read yet: its rows first, the rest follows
            return quick_build_page(*quick)
        return build_page(data.build_view(catalog, route.ref))
    if route.page == "builds":
        assert route.ref is not None
        return build_home_page(data.build_home_view(catalog, route.ref))
    if route.page == "compare":
        return _compare(catalog, route)
    if route.page == "trends":
        return trends_page(
            data.trends_view(
                catalog,
                filters_of(route),
                stage=route.first("stage"),
                last=int_param(route, "last", data.TRENDS_DEFAULT_LAST),
            )
        )
    return not_found("There is no page at this address.")


def _compare(catalog: Catalog, route: Route) -> Child:
    a, b = data.default_pair(catalog, route.first("a"), route.first("b"))
    build = data.build_of(catalog, b) if b is not None else None
    # The pickers offer B's build's runs first.
    options = data.run_options(catalog, include=(a, b), build=build)
    if a is None or b is None:
        problem = None
        if b is not None and build is not None:
            problem = (
                f"{b} is the first run of build {build}: there is no earlier run of it to "
                "compare with. Pick a run of another build as A to compare anyway."
            )
        return compare_page(options, a, b, None, problem)
    try:
        view = data.compare_view(catalog, a, b)
    except UnknownRun as error:
        return compare_page(options, a, b, None, f"{error}: pick another run.")
    return compare_page(options, a, b, view)
