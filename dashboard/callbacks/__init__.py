"""Callbacks: each a few lines that call a plain function and return its result.

``register(app, catalog)`` wires them all to one app; the catalog is captured by the
callbacks' closures, never stored at module level.
"""

from __future__ import annotations

from dash import Dash

from dashboard.callbacks import build, compare, router, runs, trends
from dashboard.sources import Catalog


def register(app: Dash, catalog: Catalog) -> None:
    for module in (router, runs, build, compare, trends):
        module.register(app, catalog)
