"""``kitprof suggest``: what to change in the Dockerfile, and what it should save."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from profiler.cli.app import BuildOption, app, load, load_builds, stdout_console
from profiler.dockerfile import read_dockerfile, recorded_dockerfile
from profiler.render.suggestions import render_kinds, render_suggestions, report_dict
from profiler.sources import select_build
from profiler.suggest import SuggestOptions, suggest


def _print_kinds(value: bool) -> None:
    if value:
        render_kinds(stdout_console())
        raise typer.Exit()


@app.command(name="suggest")
def suggest_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="A --progress=rawjson stream or a --progress=plain log (plain or gzip); "
            "- reads standard input.",
        ),
    ],
    dockerfile: Annotated[
        Path | None,
        typer.Option(
            "--dockerfile",
            "-f",
            readable=False,
            help="The build's Dockerfile: steps map to its lines and changes come as diffs.",
        ),
    ] = None,
    previous: Annotated[
        str | None,
        typer.Option(
            "--previous",
            metavar="FILE",
            help="An earlier run of the same build: explains which steps stopped being cached.",
        ),
    ] = None,
    context: Annotated[
        Path | None,
        typer.Option(
            "--context",
            readable=False,
            help="The build context directory (default: the Dockerfile's directory).",
        ),
    ] = None,
    cores: Annotated[
        int | None,
        typer.Option(
            "--cores",
            min=1,
            help="Parallel RUN steps share this many cores (default: they never contend).",
        ),
    ] = None,
    max_parallelism: Annotated[
        int | None,
        typer.Option(
            "--max-parallelism",
            min=1,
            help="At most this many steps run at once (BuildKit max-parallelism).",
        ),
    ] = None,
    build: BuildOption = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    kinds: Annotated[
        bool,
        typer.Option(
            "--kinds", callback=_print_kinds, is_eager=True, help="List the kinds of suggestion."
        ),
    ] = False,
) -> None:
    """Suggest Dockerfile changes that make the build faster, best saving first.

    Each saving is predicted by replaying the build's step graph with the change
    made (the replay of the unchanged graph is shown against the observed wall
    time). --kinds lists the kinds of suggestion kitprof looks for.
    """
    parsed = read_dockerfile(dockerfile) if dockerfile is not None else None
    chosen = load(file, parsed, build)
    earlier = None
    if previous is not None:
        # --build names the build in FILE; it names the one in --previous only if that
        # log holds several too.
        builds = load_builds(previous, parsed)
        earlier = builds[0] if len(builds) == 1 else select_build(builds, build, previous)
    options = SuggestOptions(cores=cores, max_parallelism=max_parallelism, context=context)
    # A build record carries its Dockerfile: diffs without --dockerfile.
    parsed = parsed or recorded_dockerfile(chosen)
    report = suggest(chosen, parsed, previous=earlier, options=options)
    if json:
        sys.stdout.buffer.write(
            orjson.dumps(report_dict(report), option=orjson.OPT_INDENT_2) + b"\n"
        )
        return
    render_suggestions(report, stdout_console())
