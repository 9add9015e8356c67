"""``kitprof analyze``: the report of one recorded build."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.rule import Rule

from profiler.analysis import BuildAnalysis, analyze
from profiler.cli.app import BuildOption, MaxBytesOption, app, load_builds, stdout_console
from profiler.dockerfile import read_dockerfile, recorded_dockerfile
from profiler.model import Build
from profiler.render.console import render_report
from profiler.render.json_report import report_dict
from profiler.render.suggestions import render_suggestions, suggestion_dicts
from profiler.sources import build_heading, build_position
from profiler.suggest import SuggestionReport, suggest

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
# The analyze report shows the best few; `kitprof suggest` shows all, with diffs.
TOP_SUGGESTIONS = 3


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
) -> None:
    """Analyse a BuildKit rawjson stream: timeline, critical path, cache, failure.

    Record one with `docker buildx build --progress=rawjson . 2> build.rawjson`, or
    give a CI job's log (--progress=plain): a log of several builds reports each.
    """
    parsed = read_dockerfile(dockerfile) if dockerfile else None
    builds = load_builds(file, parsed)
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
            report = {
                **full_report(one, analysis, suggestions),
                "build_index": index,
                "build_name": one.name,
            }
            sys.stdout.buffer.write(orjson.dumps(report) + b"\n")
            continue
        if len(builds) > 1:
            console.print(Rule(build_heading(one, index, len(builds)), style="bold"))
        print_report(one, analysis, suggestions, console)


def full_report(
    build: Build, analysis: BuildAnalysis, suggestions: SuggestionReport
) -> dict[str, Any]:
    """The JSON report of a build: the analysis plus the suggestions (all of them)."""
    return {**report_dict(build, analysis), "suggestions": suggestion_dicts(suggestions)}


def print_report(
    build: Build, analysis: BuildAnalysis, suggestions: SuggestionReport, console: Console
) -> None:
    render_report(build, analysis, console)
    console.print(Rule("Suggestions", align="left", style="dim"))
    render_suggestions(suggestions, console, top=TOP_SUGGESTIONS, diffs=False)
