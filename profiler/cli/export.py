"""``kitprof export``: a build as a Perfetto trace, HTML report, job summary, CSV or Parquet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from profiler.analysis import analyze
from profiler.cli.app import BuildOption, app, load, stderr_console
from profiler.cli.history import BranchOption, DbOption, open_store
from profiler.errors import InputError
from profiler.export import FORMATS, ExportFormat, export, format_for_path, suggestions_for
from profiler.model import Build

if TYPE_CHECKING:
    from profiler.dockerfile import Dockerfile

# What --format accepts and which suffixes name a format, both from the table of formats.
_NAMES = ", ".join(fmt.value for fmt in FORMATS)
_SUFFIXES = ", ".join(suffix for spec in FORMATS.values() for suffix in spec.suffixes)


@app.command(name="export")
def export_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|RUN",
            help=(
                "A build stream (rawjson or --progress=plain, plain or gzip; - reads "
                "standard input) or a stored run: an id, latest or latest~N."
            ),
        ),
    ],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            "-F",
            case_sensitive=False,
            help=f"{_NAMES} (default: from -o's suffix).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            readable=False,
            metavar="OUT",
            help="Write here instead of standard output.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
    dockerfile: Annotated[
        Path | None,
        typer.Option(
            "--dockerfile",
            "-f",
            readable=False,
            help=(
                "The build's Dockerfile: stage dependencies of a plain log, and "
                "Dockerfile lines and diffs in the suggestions."
            ),
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Heading of the html and markdown reports.")
    ] = None,
    suggestions: Annotated[
        bool,
        typer.Option(
            "--suggestions/--no-suggestions", help="Include suggestions (html, markdown)."
        ),
    ] = True,
    build: BuildOption = None,
    db: DbOption = None,
    branch: BranchOption = None,
) -> None:
    """Export a build for the tools people already use.

    chrome-trace opens in Perfetto (ui.perfetto.dev) and chrome://tracing: one track
    per stage, the critical path as its own track and as arrows. html is one
    self-contained file (opens offline). markdown is a CI job summary: append it to
    $GITHUB_STEP_SUMMARY. csv and parquet hold one row per step.
    """
    chosen = fmt or _format_from(output)
    if output is not None and str(output) != "-" and output.exists() and not force:
        raise InputError(f"{output} exists: use --force to overwrite it")
    if chosen.binary and (output is None or str(output) == "-") and sys.stdout.isatty():
        raise InputError(f"{chosen.value} is binary: write it to a file with -o OUT")
    parsed = _dockerfile(dockerfile)
    one = _load(source, parsed, build, db, branch)
    analysis = analyze(one)
    report = None
    if suggestions and chosen.spec.needs_suggestions:
        from profiler.dockerfile import recorded_dockerfile

        report = suggestions_for(one, parsed or recorded_dockerfile(one))
    data = export(
        one,
        chosen,
        analysis=analysis,
        suggestions=report,
        with_suggestions=suggestions,
        title=title,
    )
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        raise InputError(f"cannot write {output}: {error.strerror or error}") from None
    if sys.stderr.isatty():
        stderr_console().print(f"wrote {output} ({len(data):,} bytes, {chosen.value})")


def _format_from(output: Path | None) -> ExportFormat:
    found = format_for_path(output) if output is not None else None
    if found is None:
        raise typer.BadParameter(
            f"give --format ({_NAMES}) or an -o OUT whose suffix names one ({_SUFFIXES})",
            param_hint="'--format'",
        )
    return found


def _dockerfile(path: Path | None) -> Dockerfile | None:
    if path is None:
        return None
    from profiler.dockerfile import read_dockerfile

    return read_dockerfile(path)


def _load(
    source: str,
    dockerfile: Dockerfile | None,
    build: str | None,
    db: str | None,
    branch: str | None,
) -> Build:
    """A file (``-``: standard input; ``build`` picks one of several) or a stored run,
    read once."""
    if source == "-" or Path(source).is_file():
        return load(source, dockerfile, build)
    with open_store(db) as store:
        record = store.resolve(source, branch=branch)
        return store.build(record.id, dockerfile)
