"""``kitprof runs``: the build history, newest first."""

from __future__ import annotations

from typing import Annotated

import typer

from profiler.cli.app import app, stdout_console
from profiler.cli.history import (
    BranchOption,
    BuildOption,
    DbOption,
    JsonOption,
    LabelOption,
    open_store,
    parse_labels,
    print_json,
)
from profiler.render.runs import render_runs, runs_dict


@app.command(name="runs")
def runs_command(
    build: BuildOption = None,
    branch: BranchOption = None,
    label: LabelOption = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="success, failed, cancelled, incomplete or untrusted.",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="How many runs to show (0: all).")
    ] = 20,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List the stored runs, newest first: time, status, wall and critical path, cache."""
    labels = parse_labels(label)
    with open_store(db) as store:
        records = store.runs(
            build=build, branch=branch, labels=labels, status=status, limit=limit or None
        )
        total = store.count(build=build, branch=branch, labels=labels, status=status)
        url = store.url
    if json:
        print_json(runs_dict(records, total, url))
    else:
        render_runs(records, total, url, stdout_console())
