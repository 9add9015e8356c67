"""The Typer app, the helpers every command shares, and the CLI's error handling.

Exit codes: 0 success, 1 bad input (a one-line ``Error: …`` on stderr), 2 usage,
141 standard output closed by its reader (``kitprof runs | head -1``).
Each command lives in its own module of this package and registers itself on ``app``.

Errors become messages in one place, :func:`main`: library errors
(:class:`~profiler.errors.KitprofError`) and failures to write the output, which
:class:`LazyGroup` turns into :class:`OutputError` before Typer sees them.

Start-up matters (CI steps and shell loops call kitprof): this module imports typer
and nothing heavy. :data:`COMMANDS` names every command and the summary
``kitprof --help`` lists; a command's module (and with it pandas, the analysis, the
store…) is imported only when that command runs or shows its own help.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from difflib import get_close_matches
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from profiler.cli.coercion import use_plain_values
from profiler.errors import KitprofError

if TYPE_CHECKING:
    from rich.console import Console

    from profiler.dockerfile import Dockerfile
    from profiler.model import Build

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


def _output_error(error: OSError) -> Exception:
    """A failed write of standard output as an :class:`OutputError`; any other
    ``OSError`` as itself."""
    if error.filename is not None or error.errno not in _OUTPUT_ERRNOS:
        return error
    if error.errno == errno.EPIPE:
        return OutputClosed("standard output closed")
    return OutputError(f"cannot write the output: {error.strerror}")


COMMANDS: dict[str, str] = {
    # name: the first paragraph of its docstring (a test keeps them equal); the module
    # is profiler.cli.<name>.
    "analyze": "Analyse a BuildKit rawjson stream: timeline, critical path, cache, failure.",
    "check": "Fail (exit 3) when RUN's wall time exceeds the median of the last N comparable\n"
    "runs by more than the allowed slowdown, and name the stages responsible.",
    "compare": "Compare build A (before) with build B (after): time per stage and per step,\n"
    "steps no longer cached and what that cost, steps only in A or only in B, and\n"
    "whether the critical path moved.",
    "dashboard": "Serve the dashboard: runs, each build's timeline, comparisons and trends.",
    "export": "Export a build for the tools people already use.",
    "ingest": "Store build streams in the history, with their CI run, git branch and commit.",
    "reanalyze": "Re-read every stored stream with this kitprof and rewrite the derived rows\n"
    "(times, status, stages, steps), e.g. after an upgrade improved the analysis.",
    "run": "Run a build command and profile it: live progress, saved stream, analysis.",
    "runs": "List the stored runs, newest first: time, status, wall and critical path, cache.",
    "suggest": "Suggest Dockerfile changes that make the build faster, best saving first.",
    "trends": "How successful builds evolve: wall time, critical path, sequential time and\n"
    "cached steps (%) over the runs, per stage too, and the runs that regressed against\n"
    "the rolling median of the runs before them.",
}


class LazyGroup(TyperGroup):
    """The root group: commands are imported on first use, not at start-up.

    While the root help is being written, a command not yet imported is stood in for
    by a stub that carries its summary from :data:`COMMANDS`, so ``kitprof --help``
    imports no command module.

    Its commands' parameters coerce plain values without pydantic
    (:mod:`profiler.cli.coercion`).

    It also flushes the output before a command counts as done, and turns a failed
    write of it into an :class:`OutputError`. (Typer would turn a closed pipe into
    exit 1, and the interpreter a full disk into a traceback.)
    """

    _listing = False

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click privately)
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()
        except OSError as error:
            raise _output_error(error) from None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        use_plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: Any) -> list[str]:
        others = [name for name in super().list_commands(ctx) if name not in COMMANDS]
        return list(COMMANDS) + others

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        loaded = super().get_command(ctx, cmd_name)
        if loaded is None and cmd_name in COMMANDS:
            if self._listing:
                return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name])
            loaded = self._load(cmd_name)
        if loaded is not None and "help_option_names" not in loaded.context_settings:
            # Coerce option values without pydantic where typer's result is plain. Its
            # --help is made here: with the names the command's context will inherit.
            use_plain_values(loaded.get_params(ctx))
        return loaded

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Typer suggests close names among the commands already imported; all are known.
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in self.list_commands(ctx):
            matches = ", ".join(repr(match) for match in get_close_matches(name, COMMANDS))
            hint = f" Did you mean {matches}?" if matches else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def _load(self, name: str) -> Any:
        import_module(f"profiler.cli.{name}")  # registers the command on `app`
        for info in app.registered_commands:
            if info.name == name:
                command = typer.main.get_command_from_info(
                    info,
                    pretty_exceptions_short=app.pretty_exceptions_short,
                    rich_markup_mode=app.rich_markup_mode,
                )
                self.add_command(command, name)
                return command
        raise LookupError(f"profiler.cli.{name} registers no command {name!r}")


app = typer.Typer(
    name="kitprof",
    cls=LazyGroup,
    help="Build timing profiler for Docker BuildKit: critical path, parallelism, cache.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PROGRESS_BAR_MIN_BYTES = 32 * 1024 * 1024


def _print_version(value: bool) -> None:
    if value:
        from profiler import __version__

        try:
            typer.echo(f"kitprof {__version__}")
        except OSError as error:  # an eager option runs before a command's invoke()
            raise _output_error(error) from None
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


@cache
def _console_class() -> type[Console]:
    # Made on first use: rich is imported by the commands that print through it.
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # Rich's own answer (exit 1 on the spot) would bypass main's.
            raise OutputClosed("standard output closed")

    return _Console


def stderr_console() -> Console:
    return _console_class()(stderr=True)


TopOption = Annotated[
    int,
    typer.Option(
        "--top",
        min=1,
        metavar="N",
        help="Rows of each long table in the terminal report (--json has every one).",
    ),
]
AllOption = Annotated[
    bool,
    typer.Option("--all", help="Every row of every table in the terminal report."),
]


def shown_rows(top: int, all_rows: bool) -> int | None:
    """How many rows of each table a terminal report shows (``None``: all)."""
    return None if all_rows else top


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
    from profiler.sources import select_build

    label = "standard input" if source == "-" else source
    return select_build(load_builds(source, dockerfile), build, label)


def load_builds(source: str, dockerfile: Dockerfile | None = None) -> list[Build]:
    """Every build of an input, with a progress bar on stderr for large files on a terminal."""
    from profiler.sources import read_builds

    size = 0 if source == "-" else _size(source)
    if size < PROGRESS_BAR_MIN_BYTES or not sys.stderr.isatty():
        return read_builds(source, dockerfile=dockerfile)
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

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
    return _console_class()(width=width, highlight=False, soft_wrap=False)


_ending = {"without_teardown": False}


def end_without_teardown() -> None:
    """Ask :func:`main` to end the process as soon as the command has succeeded and its
    output is flushed, without the interpreter's teardown: freeing a whole history's
    trend (10,000 runs' objects, numpy) object by object costs ~30 ms of CPU for
    nothing. Only ``main`` acts on it (a process of its own): a command run in-process
    (tests, CliRunner) ends as usual."""
    _ending["without_teardown"] = True


def main() -> None:
    """Run the CLI: turns library errors into messages and exit codes."""
    _fill_closed_standard_streams()
    try:
        app()
    except SystemExit as done:
        if done.code in (0, None) and _ending["without_teardown"]:
            _exit_now()
        raise
    except KitprofError as error:
        if isinstance(error, OutputError):
            _discard_output()
        if not isinstance(error, OutputClosed):
            from rich.text import Text

            stderr_console().print(
                Text.assemble(("Error: ", "bold red"), str(error)), highlight=False, soft_wrap=True
            )
        sys.exit(error.exit_code)


def _exit_now() -> None:
    """Exit 0 at once, what was written flushed; if a flush fails, return: the usual
    exit reports it as it always has."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(0)


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
