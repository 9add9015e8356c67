"""The Typer app, the helpers every command shares, and the console-script entry point.

Exit codes: 0 success, 1 bad input (a one-line ``Error: …`` on stderr), 2 usage,
141 standard output closed by its reader (``kitprof runs | head -1``).
Each command lives in its own module of this package and registers itself on ``app``.

Errors become messages in one place, :func:`main`: library errors
(:class:`~profiler.errors.KitprofError`) and failures to write the output, which
:class:`_Commands` turns into :class:`OutputError` before Typer sees them.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.text import Text
from typer.core import TyperGroup

from profiler.errors import KitprofError
from profiler.model import Build
from profiler.sources import read_builds, select_build

if TYPE_CHECKING:
    from profiler.dockerfile import Dockerfile

SIGPIPE_EXIT_CODE = 128 + 13
"""What a shell shows for a program that a closed pipe ended (SIGPIPE is 13)."""
# A failed write of the output: no file name, one of these reasons.
_OUTPUT_ERRNOS = frozenset(
    {errno.EPIPE, errno.ENOSPC, errno.EBADF, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EROFS}
)


class OutputError(KitprofError):
    """Standard output cannot be written (closed, a full disk)."""


class OutputClosed(OutputError):
    """The reader of standard output went away (``| head -1``): end quietly."""

    exit_code = SIGPIPE_EXIT_CODE


class _Commands(TyperGroup):
    """The command group: flushes the output before the command counts as done, and
    turns a failed write of it into an :class:`OutputError`. (Typer would turn a
    closed pipe into exit 1, and the interpreter a full disk into a traceback.)"""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click privately)
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()
        except OSError as error:
            if error.filename is not None or error.errno not in _OUTPUT_ERRNOS:
                raise
            if error.errno == errno.EPIPE:
                raise OutputClosed("standard output closed") from None
            raise OutputError(f"cannot write the output: {error.strerror}") from None


app = typer.Typer(
    name="kitprof",
    cls=_Commands,
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


def _set_max_bytes(value: str | None) -> str | None:
    if value is not None:
        from profiler.sources.limits import parse_size, set_limits

        try:
            set_limits(max_bytes=parse_size(value))
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    return value


MaxBytesOption = Annotated[
    str | None,
    typer.Option(
        "--max-bytes",
        metavar="SIZE",
        callback=_set_max_bytes,
        help="Refuse a stream larger than SIZE after gunzip (e.g. 500M, 8G; default 2G, "
        "or KITPROF_MAX_BYTES): bounds memory on hostile input.",
        show_default=False,
    ),
]


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # Rich's own answer (exit 1 on the spot) would bypass main's.
        raise OutputClosed("standard output closed")


def stderr_console() -> Console:
    return _Console(stderr=True)


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
    return _Console(width=width, highlight=False, soft_wrap=False)


def main() -> None:
    """Console-script entry point: turns library errors into messages and exit codes."""
    _fill_closed_standard_streams()
    try:
        app()
    except KitprofError as error:
        if isinstance(error, OutputError):
            _discard_output()
        if not isinstance(error, OutputClosed):
            stderr_console().print(
                Text.assemble(("Error: ", "bold red"), str(error)), highlight=False, soft_wrap=True
            )
        sys.exit(error.exit_code)


def _discard_output() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush of what
    is still buffered does not fail again (with a traceback) on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        sys.stdout = io.TextIOWrapper(io.BytesIO())


class _ClosedStream(io.RawIOBase):
    """Standard output that was closed (``kitprof … >&-``): every write fails, as a
    write to a closed descriptor does, so a command that prints reports an error."""

    def writable(self) -> bool:
        return True

    def write(self, _data: object) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def _fill_closed_standard_streams() -> None:
    """Give closed standard descriptors (``>&-``, ``2>&-``, ``<&-``) /dev/null.

    Otherwise the next file kitprof opens (the history database) would get descriptor
    1 or 2, and a message meant for the terminal would be written into it. Standard
    input reads as empty; standard error is discarded; standard output fails when
    written to (an error rather than a report silently lost).
    """
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            devnull = os.open(os.devnull, os.O_RDWR)
            if devnull != descriptor:
                os.dup2(devnull, descriptor)
                os.close(devnull)
    if sys.stdin is None:
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    if sys.stdout is None:
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(_ClosedStream()), encoding="utf-8")
    if sys.stderr is None:
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
