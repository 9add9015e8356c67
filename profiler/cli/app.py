"""The Typer app, the helpers every command shares, and the console-script entry point.

Exit codes: 0 success, 1 bad input (a one-line ``Error: …`` on stderr), 2 usage.
Each command lives in its own module of this package and registers itself on ``app``.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.text import Text

from profiler.errors import KitprofError
from profiler.model import Build
from profiler.sources import read_builds, select_build

if TYPE_CHECKING:
    from profiler.dockerfile import Dockerfile

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


def stderr_console() -> Console:
    return Console(stderr=True)


BuildOption = Annotated[
    str | None,
    typer.Option(
        "--build",
        metavar="N|NAME",
        help="Which build of a log that holds several: its number (from 1) or its name "
        "(compose service, bake target, image tag).",
        show_default=False,
    ),
]


def load(source: str, dockerfile: Dockerfile | None = None, build: str | None = None) -> Build:
    """The build of an input that ``build`` names (``--build``), or its only build.

    ``dockerfile`` gives a plain log's stages their ``FROM`` dependencies.
    """
    label = "standard input" if source == "-" else source
    return select_build(load_builds(source, dockerfile), build, label)


def load_builds(source: str, dockerfile: Dockerfile | None = None) -> list[Build]:
    """Every build of an input, with a progress bar on stderr for large files on a terminal."""
    size = 0 if source == "-" else _size(source)
    if size < PROGRESS_BAR_MIN_BYTES or not sys.stderr.isatty():
        return read_builds(source, dockerfile=dockerfile)
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=stderr_console(), transient=True) as progress:
        task = progress.add_task("reading", total=size)
        return read_builds(
            source, dockerfile=dockerfile, on_progress=lambda n: progress.advance(task, n)
        )


def _size(source: str) -> int:
    try:
        return Path(source).stat().st_size
    except OSError:
        return 0  # read_build reports the problem properly


def stdout_console() -> Console:
    # Tests and pipes get a stable width; a terminal gets its own.
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "120"))
    return Console(width=width, highlight=False, soft_wrap=False)


def main() -> None:
    """Console-script entry point: turns library errors into messages and exit codes."""
    try:
        app()
    except KitprofError as error:
        stderr_console().print(
            Text.assemble(("Error: ", "bold red"), str(error)), highlight=False, soft_wrap=True
        )
        sys.exit(error.exit_code)
