"""Build the Dash app: a catalog of runs, the page shell, the callbacks.

    app = create_app(None, [Path("build.rawjson")])    # files only, in memory
    app = create_app("postgresql://…/kitprof", [])      # a team's history
    app.run(host="127.0.0.1", port=8050)

Under a WSGI server, :mod:`dashboard.wsgi` makes the app from environment variables
(``gunicorn -w 4 dashboard.wsgi:server``). Each app owns its catalog; nothing is kept
at module level, so several apps (or several workers) never share mutable state.
"""

from __future__ import annotations

import glob
import hmac
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from dash import Dash
from dash.exceptions import DependencyException
from flask import Response, request

from dashboard import callbacks
from dashboard.compress import enable_gzip, request_headers, warm_gzip
from dashboard.files import load_files
from dashboard.layout.shell import shell
from dashboard.scripts import Dashboard
from dashboard.sources import Catalog, RunFilters, RunSource, StoreSource
from dashboard.style import INDEX_STRING
from profiler.errors import KitprofError
from profiler.store import ENV_VAR as DB_ENV_VAR

FILES_ENV_VAR = "KITPROF_DASHBOARD_FILES"
AUTH_ENV_VAR = "KITPROF_DASHBOARD_AUTH"
REALM = "kitprof"
ASSETS = Path(__file__).resolve().parent / "assets"


class AuthError(KitprofError):
    """The basic-auth setting is not ``user:password``."""


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``"user:password"`` → ``(user, password)``; empty or None → no auth."""
    if value is None or not value.strip():
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise AuthError(f"{AUTH_ENV_VAR} must be user:password (both non-empty)")
    return user, password


def shows_history(store_url: str | None, files: Sequence[Path]) -> bool:
    """Whether the history store is part of the dashboard: when ``--db`` or
    ``$KITPROF_DB`` names one, or when no file is given (then the default history)."""
    return store_url is not None or bool(os.environ.get(DB_ENV_VAR, "").strip()) or not files


def make_catalog(
    store_url: str | None,
    files: Sequence[Path],
    *,
    on_loaded: Callable[[Path], None] | None = None,
    build: str | None = None,
) -> Catalog:
    """``build`` (a number from 1 or a name) picks one build of each file; every build
    of a file that holds several is shown otherwise."""
    sources: list[RunSource] = []
    if shows_history(store_url, files):
        sources.append(StoreSource(store_url))
    if files:
        sources.append(load_files(files, on_loaded, build=build))
    return Catalog(sources)


def create_app(
    store_url: str | None,
    files: Sequence[Path],
    *,
    auth: tuple[str, str] | None = None,
    on_loaded: Callable[[Path], None] | None = None,
    build: str | None = None,
    warm: bool = False,
) -> Dash:
    """The dashboard over the history at ``store_url`` and the stream ``files``.

    Files are read now (a bad one raises :class:`~profiler.errors.KitprofError`) and
    kept in memory; the history is read per request. ``auth`` protects every URL
    with HTTP basic auth. ``build`` picks one build of each file (``--build``).
    ``warm``: do now what the first visitor would wait for (a served dashboard).
    """
    catalog = make_catalog(store_url, files, on_loaded=on_loaded, build=build)
    app = Dashboard(
        __name__,
        title="kitprof",
        update_title="",
        suppress_callback_exceptions=True,  # pages add their components later
        index_string=INDEX_STRING,
        serve_locally=True,
        # plotly.js's basic bundle (bar and scatter, all the dashboard draws): a
        # quarter of the full one Dash would load, it defines window.Plotly first.
        assets_folder=str(ASSETS),
    )
    app.layout = shell(_source_names(catalog))
    callbacks.register(app, catalog)
    enable_gzip(app.server)
    app.server.register_error_handler(DependencyException, _not_found)
    if auth is not None:
        _protect(app, auth)
    if warm:
        warm_up(app, auth)
    return app


def warm_up(app: Dash, auth: tuple[str, str] | None = None) -> None:
    """What the first page of a fresh server would otherwise wait for: plotly's
    figure classes (imported on first use: 0.7 s; the full Build page draws with
    them), its template as JSON and the compressed scripts."""
    from plotly.io.json import to_json_plotly

    from dashboard.layout.common import graph
    from dashboard.layout.timeline import stage_timeline
    from profiler.figures import stages_figure, stages_figure_json
    from profiler.model import Stage

    stage = Stage(target=None, name="warm", start=0.0, end=1.0, busy=1.0, sequential=1.0,
                  steps=1, cached=0, failed=0)  # fmt: skip
    graph(stages_figure([stage], {"warm": 1.0}))
    figure = graph(stage_timeline(stages_figure_json([stage], {"warm": 1.0}), 1))
    # A component is not JSON to orjson: every answer of Dash's takes plotly's slower
    # path, which checks values against numpy.ma's ``masked`` once orjson has
    # imported numpy (0.3 s together, on the first answer).
    import numpy.ma  # noqa: F401

    to_json_plotly(figure)
    warm_gzip(app.server, auth)
    app.server.test_client().get("/_dash-layout", headers=request_headers(auth)).close()


def _not_found(_error: Exception) -> Response:
    """A script path Dash does not serve (``/_dash-component-suites/dash/../../x``, an
    unknown package) is not found, not a server error: Dash raises for it."""
    return Response("Not found.\n", status=404, mimetype="text/plain")


def _source_names(catalog: Catalog) -> list[str]:
    names = []
    for source in catalog.sources:
        if isinstance(source, StoreSource):
            names.append(f"history {source.url}")
        else:
            count = source.count(RunFilters())
            names.append(f"{count} file{'s' if count != 1 else ''}")
    return names


def _protect(app: Dash, auth: tuple[str, str]) -> None:
    user, password = auth

    def check() -> Response | None:
        given = request.authorization
        ok = (
            given is not None
            and given.type == "basic"
            and hmac.compare_digest((given.username or "").encode(), user.encode())
            and hmac.compare_digest((given.password or "").encode(), password.encode())
        )
        if ok:
            return None
        return Response(
            "Authentication required.\n",
            status=401,
            headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
        )

    app.server.before_request(check)


def files_from_env(value: str | None) -> list[Path]:
    """``KITPROF_DASHBOARD_FILES``: paths or glob patterns, separated like PATH."""
    files: list[Path] = []
    for item in (value or "").split(os.pathsep):
        item = item.strip()
        if not item:
            continue
        matches = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
        files.extend(Path(match) for match in matches)
    return files


def create_app_from_env() -> Dash:
    """The app a WSGI server runs: ``KITPROF_DB``, ``KITPROF_DASHBOARD_FILES``,
    ``KITPROF_DASHBOARD_AUTH``."""
    return create_app(
        os.environ.get(DB_ENV_VAR) or None,
        files_from_env(os.environ.get(FILES_ENV_VAR)),
        auth=parse_auth(os.environ.get(AUTH_ENV_VAR)),
        warm=True,
    )
