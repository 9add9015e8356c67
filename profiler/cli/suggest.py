"""``kitprof suggest``: what to change in the Dockerfile, and what it should save."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from profiler.analysis.suggest import SuggestOptions, suggest
from profiler.cli.app import app, load, stdout_console
from profiler.dockerfile import read_dockerfile, recorded_dockerfile
from profiler.render.suggestions import render_suggestions, report_dict


@app.command(name="suggest")
def suggest_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="A --progress=rawjson stream (plain or gzip); - reads standard input.",
        ),
    ],
    dockerfile: Annotated[
        Path | None,
        typer.Option(
            "--dockerfile",
            "-f",
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
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Suggest Dockerfile changes that make the build faster, best saving first.

    Each saving is predicted by replaying the build's step graph with the change
    made (the replay of the unchanged graph is shown against the observed wall
    time). Kinds: split-stage, cache-bust, serialized-join, unneeded-stage,
    slow-base, build-context.
    """
    build = load(file)
    # A build record carries its Dockerfile: diffs without --dockerfile.
    parsed = read_dockerfile(dockerfile) if dockerfile is not None else recorded_dockerfile(build)
    earlier = load(previous) if previous is not None else None
    options = SuggestOptions(cores=cores, max_parallelism=max_parallelism, context=context)
    report = suggest(build, parsed, previous=earlier, options=options)
    if json:
        sys.stdout.buffer.write(
            orjson.dumps(report_dict(report), option=orjson.OPT_INDENT_2) + b"\n"
        )
        return
    render_suggestions(report, stdout_console())
