"""``kitprof dashboard``: the Dash dashboard over the history and rawjson files."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from profiler.cli.app import BuildOption, app, stderr_console
from profiler.cli.history import DbOption

AUTH_ENV_VAR = "KITPROF_DASHBOARD_AUTH"  # = dashboard.app.AUTH_ENV_VAR (tested)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command(name="dashboard")
def dashboard_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            readable=False,
            metavar="FILE",
            help="rawjson streams or --progress=plain logs (plain or gzip) to show beside "
            "the history; every build of a log that holds several.",
            show_default=False,
        ),
    ] = None,
    build: BuildOption = None,
    db: DbOption = None,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on. Anything but loopback is shared: see below."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8050,
) -> None:
    """Serve the dashboard: runs, each build's timeline, comparisons and trends.

    Shows the history (--db, KITPROF_DB, or the default SQLite file) and the FILEs
    given, read once at start and kept in memory. With FILEs and neither --db nor
    KITPROF_DB, only the files are shown. A Dockerfile next to a stream adds line
    numbers and diffs to its suggestions.

    Listens on 127.0.0.1 unless --host says otherwise. For a shared deployment set
    KITPROF_DASHBOARD_AUTH=user:password to require HTTP basic auth, and prefer a WSGI
    server with several workers: gunicorn -w 4 dashboard.wsgi:server.
    """
    from dashboard.app import create_app, parse_auth

    console = stderr_console()
    auth = parse_auth(os.environ.get(AUTH_ENV_VAR))
    paths = list(files or [])
    if paths and console.is_terminal:
        console.print(f"reading {len(paths)} stream{'s' if len(paths) != 1 else ''}…")
    dash_app = create_app(db, paths, auth=auth, build=build, warm=True)
    if not is_loopback(host):
        console.print(
            f"[yellow]Warning:[/] listening on {escape(host)}: anyone who can reach this "
            "machine can read the builds, their logs and the history."
            + ("" if auth else f" Set {AUTH_ENV_VAR}=user:password to require a password."),
            highlight=False,
        )
    shown = f"[{host}]" if ":" in host else host
    console.print(f"kitprof dashboard on http://{escape(shown)}:{port}/", highlight=False)
    dash_app.run(host=host, port=port, debug=False)
