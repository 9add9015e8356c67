"""``kitprof ingest``: store recorded streams in the build history (for CI)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from profiler.ci import detect_ci
from profiler.cli.app import BuildOption, MaxBytesOption, app, stderr_console
from profiler.cli.history import (
    DbOption,
    JsonOption,
    LabelOption,
    open_store,
    parse_labels,
    print_json,
)
from profiler.errors import KitprofError
from profiler.render.ingest import ingest_dict, ingested_entry, ingested_line


@app.command(name="ingest")
def ingest_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            # Not Click's check (a usage error, exit 2): reading the file reports it (exit 1).
            readable=False,
            metavar="FILE...",
            help="rawjson streams or --progress=plain logs (plain or gzip).",
        ),
    ],
    label: LabelOption = None,
    build: BuildOption = None,
    db: DbOption = None,
    allow_truncated: Annotated[
        bool,
        typer.Option("--allow-truncated", help="Keep a cut-off stream as an incomplete run."),
    ] = False,
    no_ci: Annotated[
        bool, typer.Option("--no-ci", help="Do not read the CI system's environment.")
    ] = False,
    json: JsonOption = False,
    max_bytes: MaxBytesOption = None,
) -> None:
    """Store build streams in the history, with their CI run, git branch and commit.

    The CI system (GitHub Actions, GitLab CI, CircleCI, Jenkins, Buildkite, Azure
    Pipelines) is detected from the environment. A FILE.run.json next to a stream
    (written by `kitprof run`) adds the command, context, git and versions. The same
    stream ingested twice is stored once. Each build of a log that holds several
    (compose services, two builds in one job) is its own run, labelled build=NAME
    (else its number); --build stores only the one named. A file that is not a
    usable stream is reported and stores nothing; the exit code is then 1.
    """
    from profiler.store import installed_version, read_run_info, run_context, run_info_path

    labels = parse_labels(label)
    ci = None if no_ci else detect_ci()
    version = installed_version()
    results: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    console = stderr_console()
    show_progress = len(files) > 1 and sys.stderr.isatty()
    with open_store(db) as store, _progress(show_progress, len(files)) as advance:
        for path in files:
            try:
                info_path = run_info_path(path)
                run_info = read_run_info(info_path) if info_path.is_file() else None
                context = run_context(run_info, ci=ci, labels=labels, kitprof_version=version)
                stored = store.ingest_builds(
                    path,
                    context=context,
                    source_name=str(path),
                    allow_truncated=allow_truncated,
                    build=build,
                )
            except KitprofError as error:
                errors.append({"file": str(path), "error": str(error)})
                console.print(
                    f"[bold red]Error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
                )
            else:
                for result in stored:
                    results.append(ingested_entry(str(path), result))
                    if not json:
                        typer.echo(ingested_line(str(path), result))
            advance()
        url = store.url
    if json:
        print_json(ingest_dict(url, results, errors))
    if errors:
        raise typer.Exit(1)


class _progress:
    """A progress bar on stderr for many files on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int) -> None:
        self._progress = (
            Progress(
                TextColumn("ingesting"),
                BarColumn(),
                MofNCompleteColumn(),
                console=stderr_console(),
                transient=True,
            )
            if enabled
            else None
        )
        self._total = total

    def __enter__(self) -> Callable[[], None]:
        if self._progress is None:
            return lambda: None
        self._progress.start()
        task = self._progress.add_task("ingest", total=self._total)
        progress = self._progress
        return lambda: progress.advance(task)

    def __exit__(self, *_: object) -> None:
        if self._progress is not None:
            self._progress.stop()
