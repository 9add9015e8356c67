"""The ``kitprof`` command: parse arguments, call the library, render. Nothing else.

Exit codes: 0 success, 1 bad input (a one-line ``Error: …`` on stderr), 2 usage.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.text import Text

from profiler.analysis import analyze
from profiler.errors import KitprofError
from profiler.model import Build
from profiler.reader import read_build
from profiler.render.console import render_report
from profiler.render.json_report import report_dict

app = typer.Typer(
    name="kitprof",
    help="Build timing profiler for Docker BuildKit: critical path, parallelism, cache.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PROGRESS_BAR_MIN_BYTES = 32 * 1024 * 1024


def _version() -> str:
    try:
        return version("kitprof")
    except PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"kitprof {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Build timing profiler for Docker BuildKit: critical path, parallelism, cache."""


def _stderr() -> Console:
    return Console(stderr=True)


def load(source: str) -> Build:
    """Read a stream, with a progress bar on stderr for large files on a terminal."""
    size = 0 if source == "-" else _size(source)
    if size < PROGRESS_BAR_MIN_BYTES or not sys.stderr.isatty():
        return read_build(source)
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=_stderr(), transient=True) as progress:
        task = progress.add_task("reading", total=size)
        return read_build(source, on_progress=lambda n: progress.advance(task, n))


def _size(source: str) -> int:
    try:
        return Path(source).stat().st_size
    except OSError:
        return 0  # read_build reports the problem properly


def _stdout_console() -> Console:
    # Tests and pipes get a stable width; a terminal gets its own.
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "120"))
    return Console(width=width, highlight=False, soft_wrap=False)


@app.command(name="analyze")
def analyze_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="A --progress=rawjson stream (plain or gzip); - reads standard input.",
        ),
    ],
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Analyse a BuildKit rawjson stream: timeline, critical path, cache, failure.

    Record one with `docker buildx build --progress=rawjson . 2> build.rawjson`.
    """
    build = load(file)
    analysis = analyze(build)
    if json:
        sys.stdout.buffer.write(
            orjson.dumps(report_dict(build, analysis), option=orjson.OPT_INDENT_2) + b"\n"
        )
        return
    render_report(build, analysis, _stdout_console())


def main() -> None:
    """Console-script entry point: turns library errors into messages and exit codes."""
    try:
        app()
    except KitprofError as error:
        _stderr().print(
            Text.assemble(("Error: ", "bold red"), str(error)), highlight=False, soft_wrap=True
        )
        sys.exit(error.exit_code)
