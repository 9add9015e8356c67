"""The router: the URL decides the page."""

from __future__ import annotations

from dash import Dash, Input, Output

from dashboard import ids
from dashboard.layout.common import Child
from dashboard.layout.shell import nav_links
from dashboard.routing import render_page
from dashboard.sources import Catalog


def register(app: Dash, catalog: Catalog) -> None:
    @app.callback(
        Output(ids.PAGE, "children"),
        Output(ids.NAV, "children"),
        Input(ids.URL, "pathname"),
        Input(ids.URL, "search"),
    )
    def route(pathname: str | None, search: str | None) -> tuple[Child, Child]:
        active, layout = render_page(catalog, pathname, search)
        return layout, nav_links(active)
