"""The WSGI entry point for a shared deployment, configured by the environment:

    KITPROF_DB=postgresql://kitprof@db/kitprof \
    KITPROF_DASHBOARD_AUTH=team:secret \
    gunicorn --workers 4 --bind 0.0.0.0:8050 dashboard.wsgi:server

``KITPROF_DASHBOARD_FILES`` adds streams (paths or globs, separated by ``:``). Each
worker builds its own app on import; they share nothing but the database.
"""

from __future__ import annotations

from dashboard.app import create_app_from_env

app = create_app_from_env()
server = app.server
