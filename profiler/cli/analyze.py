"""``kitprof analyze``: the report of one recorded build."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from profiler.analysis import analyze
from profiler.analysis.suggest import suggest
from profiler.cli.app import app, load, stdout_console
from profiler.dockerfile import read_dockerfile
from profiler.render.analyze import full_report, print_report

DockerfileOption = Annotated[
    Path | None,
    typer.Option(
        "--dockerfile",
        "-f",
        help="The build's Dockerfile: suggestions point at its lines, and a plain log's "
        "stages get their FROM dependencies.",
    ),
]


@app.command(name="analyze")
def analyze_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="A --progress=rawjson stream (plain or gzip); - reads standard input.",
        ),
    ],
    dockerfile: DockerfileOption = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Analyse a BuildKit rawjson stream: timeline, critical path, cache, failure.

    Record one with `docker buildx build --progress=rawjson . 2> build.rawjson`.
    """
    parsed = read_dockerfile(dockerfile) if dockerfile else None
    build = load(file, parsed)
    analysis = analyze(build)
    suggestions = suggest(build, parsed)
    if json:
        import orjson

        sys.stdout.buffer.write(
            orjson.dumps(full_report(build, analysis, suggestions), option=orjson.OPT_INDENT_2)
            + b"\n"
        )
        return
    print_report(build, analysis, suggestions, stdout_console())
