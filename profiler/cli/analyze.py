"""``kitprof analyze``: the report of one recorded build."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from profiler.analysis import analyze
from profiler.cli.app import (
    AllOption,
    BuildOption,
    MaxBytesOption,
    TopOption,
    app,
    exit_without_freeing,
    load_builds,
    shown_rows,
    stdout_console,
)
from profiler.dockerfile import read_dockerfile, recorded_dockerfile
from profiler.render.analyze import numbered_report, print_build_heading, print_report
from profiler.render.format import TOP_ROWS
from profiler.sources import build_position
from profiler.suggest import suggest

DockerfileOption = Annotated[
    Path | None,
    typer.Option(
        "--dockerfile",
        "-f",
        readable=False,
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
            help="A --progress=rawjson stream or a --progress=plain log (plain or gzip); "
            "- reads standard input.",
        ),
    ],
    dockerfile: DockerfileOption = None,
    build: BuildOption = None,
    json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object per build, one per line."),
    ] = False,
    max_bytes: MaxBytesOption = None,
    top: TopOption = TOP_ROWS,
    all_rows: AllOption = False,
) -> None:
    """Analyse a BuildKit rawjson stream: timeline, critical path, cache, failure.

    Record one with `docker buildx build --progress=rawjson . 2> build.rawjson`, or
    give a CI job's log (--progress=plain): a log of several builds reports each.
    The report shows the top rows of each table (--top, --all for every one; --json
    always has everything).
    """
    parsed = read_dockerfile(dockerfile) if dockerfile else None
    builds = load_builds(file, parsed)
    exit_without_freeing(builds)  # freeing them would only delay the exit
    label = "standard input" if file == "-" else file
    numbered = list(enumerate(builds, start=1))
    if build is not None:
        numbered = [numbered[build_position(builds, build, label)]]
    console = None if json else stdout_console()
    for index, one in numbered:
        analysis = analyze(one)
        # A build record carries its Dockerfile: diffs without --dockerfile.
        suggestions = suggest(one, parsed or recorded_dockerfile(one))
        if console is None:
            import orjson

            report = numbered_report(one, analysis, suggestions, index)
            sys.stdout.buffer.write(orjson.dumps(report) + b"\n")
            continue
        if len(builds) > 1:
            print_build_heading(one, index, len(builds), console)
        print_report(one, analysis, suggestions, console, shown_rows(top, all_rows))
