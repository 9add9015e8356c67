"""``kitprof ingest``: store recorded streams in the build history (for CI)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from profiler.ci import detect_ci
from profiler.cli.app import BuildOption, MaxBytesOption, app, stderr_console
from profiler.cli.history import (
    BuildNameOption,
    DbOption,
    JsonOption,
    LabelOption,
    open_store,
    parse_labels,
    print_json,
)
from profiler.errors import KitprofError
from profiler.render.ingest import (
    already_stored_entry,
    already_stored_line,
    ingest_dict,
    ingested_entry,
    ingested_line,
    label_conflicts,
)

if TYPE_CHECKING:
    from rich.console import Console


@app.command(name="ingest")
def ingest_command(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            # Not Click's check (a usage error, exit 2): reading the file reports it (exit 1).
            readable=False,
            metavar="FILE...|REF...",
            help="rawjson streams, --progress=plain logs, .dockerbuild records (plain or "
            "gzip); with --from-history, build record refs.",
        ),
    ] = None,
    from_history: Annotated[
        bool,
        typer.Option(
            "--from-history",
            help="Export the builder's own records (docker buildx history, buildx >= 0.23) "
            "and store them: the REFs given, --all, or else the newest.",
        ),
    ] = False,
    all_records: Annotated[
        bool, typer.Option("--all", help="With --from-history: every record of the builder.")
    ] = False,
    builder: Annotated[
        str | None, typer.Option("--builder", help="With --from-history: this buildx builder.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="With --from-history: records of the last 7d, 12h, 30m…"),
    ] = None,
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
    build_name: BuildNameOption = None,
    dockerfile: Annotated[
        Path | None,
        typer.Option(
            "--dockerfile",
            dir_okay=False,
            help="Keep this Dockerfile with the stored runs: the dashboard's suggestions "
            "then give line numbers and diffs (a .dockerbuild record keeps its own).",
        ),
    ] = None,
    json: JsonOption = False,
    max_bytes: MaxBytesOption = None,
) -> None:
    """Store build streams in the history, with their CI run, git branch and commit.

    The CI system (GitHub Actions, GitLab CI, CircleCI, Jenkins, Buildkite, Azure Pipelines)
    is detected from the environment. The run file `kitprof run` writes next to a stream
    (build.run.json for build.rawjson) adds the command, context, git and versions. The
    same stream ingested twice is stored once; --label on a stream already stored
    adds the labels the run lacks, or, if one contradicts a label of the run, adds
    none and exits 1. Each build of a log that holds several
    (compose services, two builds in one job) is its own run, labelled build=NAME (else
    its number); --build stores only the one named. A file that is not a usable stream
    is reported and stores nothing; the exit code is then 1. With --from-history each
    record is labelled history_ref=ID; a record already stored is not exported again.
    """
    from profiler import __version__
    from profiler.cli.ingest_history import (
        HISTORY_REF_LABEL,
        chosen_records,
        exported,
        parse_since,
    )
    from profiler.runfile import run_info_beside
    from profiler.store import run_context

    labels = parse_labels(label)
    kept_files = _dockerfile_files(dockerfile)
    ci = None if no_ci else detect_ci()
    results: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    console = stderr_console()
    names = files or []
    if not names and not from_history:
        raise typer.BadParameter("give FILE... to ingest, or --from-history", param_hint="FILE")
    with open_store(db) as store, ExitStack() as stack:
        # (shown as, file to read or None if already stored, extra labels, stored run)
        items: list[tuple[str, Path | None, dict[str, str], int | None]]
        if from_history:
            try:
                records = chosen_records(names, all_records, builder, parse_since(since))
                exports = stack.enter_context(exported(store, records, builder))
            except KitprofError as error:
                typer.echo(f"Error: {error}", err=True)  # one line, however long
                raise typer.Exit(1) from None
            items = [
                (f"history {e.record.ref} ({e.record.name})", e.path,
                 {HISTORY_REF_LABEL: e.record.ref}, e.stored_run)
                for e in exports
            ]  # fmt: skip
        else:
            items = [(name, Path(name), {}, None) for name in names]
        advance = stack.enter_context(_progress(len(items) > 1 and sys.stderr.isatty(), len(items)))
        for shown, path, extra, already in items:
            if path is None:
                added, refused = (
                    store.add_labels(already, {**labels, **extra}) if already else ({}, {})
                )
                results.append(already_stored_entry(shown, already, added, refused))
                if not json:
                    typer.echo(already_stored_line(shown, already, added, refused))
                _refuse_labels(errors, console, shown, already, refused)
                advance()
                continue
            try:
                run_info = run_info_beside(path)
                context = run_context(
                    run_info,
                    ci=ci,
                    labels={**labels, **extra},
                    kitprof_version=__version__,
                    build_name=build_name,
                )
                if kept_files:
                    context = dataclasses.replace(context, files={**context.files, **kept_files})
                stored = store.ingest_builds(
                    path,
                    context=context,
                    source_name=shown,
                    allow_truncated=allow_truncated,
                    build=build,
                )
            except KitprofError as error:
                errors.append({"file": shown, "error": str(error)})
                console.print(
                    f"[bold red]Error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
                )
            else:
                for result in stored:
                    if kept_files and not result.created:
                        store.attach(result.run_id, kept_files)  # stored before: add it now
                    results.append(ingested_entry(shown, result))
                    if not json:
                        typer.echo(ingested_line(shown, result))
                    _refuse_labels(errors, console, shown, result.run_id, result.labels_refused)
            advance()
        url = store.url
    if json:
        print_json(ingest_dict(url, results, errors))
    if errors:
        raise typer.Exit(1)


def _dockerfile_files(path: Path | None) -> dict[str, bytes]:
    """``--dockerfile``: the file's bytes to keep with each run, checked before anything
    is stored (a file that is not a Dockerfile is an error, exit 1)."""
    if path is None:
        return {}
    from profiler.dockerfile import DockerfileError, parse_dockerfile
    from profiler.store.files import DOCKERFILE

    try:
        data = path.read_bytes()
        parse_dockerfile(data.decode("utf-8"))
    except OSError as error:
        typer.echo(f"Error: cannot read {path}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from None
    except (UnicodeDecodeError, DockerfileError) as error:
        typer.echo(f"Error: {path} is not a Dockerfile kitprof can read: {error}", err=True)
        raise typer.Exit(1) from None
    return {DOCKERFILE: data}


def _refuse_labels(
    errors: list[dict[str, str]],
    console: Console,
    shown: str,
    run_id: int | None,
    refused: Mapping[str, tuple[str, str]],
) -> None:
    """A run stored before with other label values: an error (exit 1), since changing
    a run's labels is not what ingest is for and doing it silently would hide it."""
    if not refused:
        return
    refusal = f"run {run_id} is already stored with other labels; none added: "
    refusal += label_conflicts(refused)
    errors.append({"file": shown, "error": refusal})
    console.print(
        f"[bold red]Error:[/] {escape(shown)}: {escape(refusal)}", highlight=False, soft_wrap=True
    )


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
