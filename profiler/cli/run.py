"""``kitprof run -- COMMAND``: profile a build while it runs."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.text import Text

from profiler.capture import DisplayMode, Profile, make_display, run_build
from profiler.cli.app import app, stderr_console, stdout_console
from profiler.cli.history import BuildNameOption, DbOption, LabelOption, parse_labels
from profiler.errors import KitprofError
from profiler.render.run import render_run, run_report_dict
from profiler.suggest import SuggestionReport, suggest


@app.command(
    name="run",
    context_settings={
        # Everything from the first word of the build command on is the command's:
        # `kitprof run docker build --json .` passes --json to docker, not to kitprof.
        "allow_interspersed_args": False,
        "ignore_unknown_options": True,
    },
)
def run_command(
    command: Annotated[
        list[str],
        typer.Argument(
            metavar="COMMAND",
            help="The build command: docker build, docker buildx build|bake, buildctl build, "
            "or a script that runs one.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            readable=False,
            help="Where to save the raw stream (default: a new file in the kitprof data "
            "directory; KITPROF_DATA_DIR overrides). Metadata goes next to it as .run.json.",
            dir_okay=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
    json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the JSON report (with 'run' and 'stream' keys) on stdout; the "
            "build's own output goes to stderr.",
        ),
    ] = False,
    display: Annotated[
        DisplayMode,
        typer.Option(
            "--display",
            help="Progress while the build runs: live (terminal view), plain (a line per "
            "step, for logs), quiet, or auto (live on a terminal, plain otherwise).",
            case_sensitive=False,
        ),
    ] = DisplayMode.AUTO,
    db: DbOption = None,
    label: LabelOption = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store/--no-store",
            help="Record the run in the history (--db) for kitprof runs/compare/check.",
        ),
    ] = True,
    build_name: BuildNameOption = None,
) -> None:
    """Run a build command and profile it: live progress, saved stream, analysis.

    kitprof selects the rawjson progress stream (BUILDKIT_PROGRESS=rawjson; buildctl
    gets --progress=rawjson), shows its own progress while the build runs, saves the
    stream as it arrives, prints the analysis when the build ends and exits with
    the build's exit code (127: command not found, 2: usage). Ctrl-C is forwarded to
    the build (twice: kills it); the partial stream is still saved and analysed, and
    kitprof exits 130. Put -- before the command, or at least no kitprof option after
    its first word.

    Recorded with the run: the command line with secrets redacted (values of
    --build-arg and of env/sudo/sh -c assignments whose name looks secret, such as
    *TOKEN*, *PASSWORD*, *_KEY; the user and password of every URL; every field of
    --secret but id, type and env), the context
    and its git commit, the host, and the docker, buildx and daemon versions; for
    docker (buildx) build, the Dockerfile and a manifest of the context files its
    COPY/ADD sources take (paths and content hashes, .dockerignore honoured), so
    kitprof compare can name the files that broke the cache.

    The run is stored in the history (--db, KITPROF_DB, or the default SQLite file)
    unless --no-store; a history that cannot be written is a warning, not a failure.

    Example: kitprof run -- docker buildx build -t app .
    """
    labels = parse_labels(label)
    console = stderr_console()
    profile = run_build(
        command,
        out=out,
        force=force,
        display=make_display(display, console),
        # With --json, stdout carries the report alone.
        stdout=sys.stderr.fileno() if json else None,
    )
    if profile.context is not None and profile.context.problem:
        _warn(f"context manifest: {profile.context.problem}")
    stored = _store(profile, db, labels, build_name) if store else []
    suggestions = _suggestions(profile)
    if json:
        report = run_report_dict(profile, suggestions, stored)
        sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    else:
        render_run(profile, suggestions, stored, stdout_console(), stderr_console())
    raise typer.Exit(profile.exit_code)


def _store(
    profile: Profile, db: str | None, labels: dict[str, str], build_name: str | None
) -> list[int]:
    """The history's ids for the run, one per target (a service of ``docker compose
    build``); none if nothing was received or the store failed."""
    if profile.build is None:
        return []
    from profiler.store import store_runs
    from profiler.store.files import CONTEXT_MANIFEST, DOCKERFILE, RECORD

    files: dict[str, bytes] = {}
    if profile.record_path is not None:
        # Docker's record of the run, kept with it: provenance, host usage, Dockerfile.
        with contextlib.suppress(OSError):
            files[RECORD] = profile.record_path.read_bytes()
    if profile.context is not None and profile.context.manifest is not None:
        files[CONTEXT_MANIFEST] = profile.context.manifest.to_json(stat=False)
    if profile.context is not None and profile.context.dockerfile_text is not None:
        files[DOCKERFILE] = profile.context.dockerfile_text
    try:
        results = store_runs(
            profile.stream_path,
            profile.run.to_dict(),
            labels,
            db,
            build_name=build_name,
            files=files,
        )
    except KitprofError as error:
        # The build's exit code is what CI acts on: a history problem must not mask it.
        _warn(f"run not stored in the history: {error}")
        return []
    return [result.run_id for result in results]


def _warn(message: str) -> None:
    stderr_console().print(
        Text.assemble(("kitprof: ", "bold yellow"), message), soft_wrap=True, highlight=False
    )


def _suggestions(profile: Profile) -> SuggestionReport | None:
    return suggest(profile.build) if profile.build is not None else None
