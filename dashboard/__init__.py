"""The kitprof dashboard: Dash pages over the history store and rawjson files.

``create_app(store_url, files)`` builds an app (see :mod:`dashboard.app`);
``dashboard.wsgi:server`` is the WSGI callable for gunicorn. The dashboard reads the
store, the model and ``profiler.figures``; it never parses streams itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dashboard.app import create_app as create_app


def __getattr__(name: str) -> Any:
    # Lazy: ``import dashboard`` stays cheap, and only a WSGI server that asks for
    # ``dashboard:server`` builds the app from the environment.
    if name == "create_app":
        from dashboard.app import create_app

        return create_app
    if name == "server":
        from dashboard.wsgi import server

        return server
    raise AttributeError(f"module 'dashboard' has no attribute {name!r}")


__all__ = ["create_app"]
