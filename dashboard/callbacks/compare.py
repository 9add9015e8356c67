"""Compare page: the two pickers go into the URL; the router draws the comparison."""

from __future__ import annotations

from dash import Dash, Input, Output

from dashboard import ids
from dashboard.sources import Catalog
from dashboard.urls import compare_href


def pair_search(a: str | None, b: str | None) -> str:
    return compare_href(a, b).removeprefix("/compare")


def register(app: Dash, catalog: Catalog) -> None:
    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.COMPARE_A, "value"),
        Input(ids.COMPARE_B, "value"),
        prevent_initial_call=True,
    )
    def pick(a: str | None, b: str | None) -> str:
        return pair_search(a, b)
