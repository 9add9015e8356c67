"""``kitprof analyze``: the report of one recorded build."""

from __future__ import annotations

import sys
from typing import Annotated

import orjson
import typer

from profiler.analysis import analyze
from profiler.cli.app import app, load, stdout_console
from profiler.render.console import render_report
from profiler.render.json_report import report_dict


@app.command(name="analyze")
def analyze_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="A --progress=rawjson stream (plain or gzip); - reads standard input.",
        ),
    ],
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Analyse a BuildKit rawjson stream: timeline, critical path, cache, failure.

    Record one with `docker buildx build --progress=rawjson . 2> build.rawjson`.
    """
    build = load(file)
    analysis = analyze(build)
    if json:
        sys.stdout.buffer.write(
            orjson.dumps(report_dict(build, analysis), option=orjson.OPT_INDENT_2) + b"\n"
        )
        return
    render_report(build, analysis, stdout_console())
