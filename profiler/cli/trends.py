"""``kitprof trends``: wall, critical path, sequential time and cache over many runs."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from profiler.analysis.memo import without_cycle_collection
from profiler.analysis.trends import DEFAULT_BASELINE_RUNS, trends
from profiler.cli.app import (
    AllOption,
    TopOption,
    app,
    exit_without_freeing,
    shown_rows,
    stdout_console,
)
from profiler.cli.history import (
    BranchOption,
    BuildOption,
    DbOption,
    JsonOption,
    LabelOption,
    parse_fraction,
    parse_labels,
    print_json,
)
from profiler.render.trends import TOP_ROWS, render_trend, trend_dict


@app.command(name="trends")
def trends_command(
    stage: Annotated[
        str | None,
        typer.Option("--stage", metavar="STAGE", help="Only this stage (target/stage for bake)."),
    ] = None,
    build: BuildOption = None,
    branch: BranchOption = None,
    label: LabelOption = None,
    last: Annotated[int, typer.Option("--last", min=0, help="How many recent runs (0: all).")] = 50,
    window: Annotated[
        int,
        typer.Option("--window", min=1, help="Runs in the rolling baseline for regressions."),
    ] = DEFAULT_BASELINE_RUNS,
    max_regression: Annotated[
        str,
        typer.Option(
            "--max-regression", metavar="PERCENT", help="Slowdown that counts as a regression."
        ),
    ] = "20%",
    db: DbOption = None,
    json: JsonOption = False,
    top: TopOption = TOP_ROWS,
    all_rows: AllOption = False,
) -> None:
    """How successful builds evolve: wall time, critical path, sequential time and
    cached steps (%) over the runs, per stage too, and the runs that regressed against
    the rolling median of the runs before them.

    One build at a time (--build; default: the build of the newest matching run), so
    that a median never mixes unrelated builds. The terminal report shows the busiest
    stages and the latest regressions (--top, --all for every one; --json has all).
    """
    # numpy, imported for a long trend, would start OpenBLAS's pool of a thread a core
    # (CPU spent at start-up: ~25 ms) for arithmetic that never calls BLAS. Before
    # numpy's import; a value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    shown = _trends(
        stage=stage,
        build=build,
        branch=branch,
        labels=parse_labels(label),
        last=last,
        window=window,
        threshold=parse_fraction(max_regression, "'--max-regression'"),
        db=db,
        json=json,
        top=shown_rows(top, all_rows),
    )
    # A whole history's runs and series, freed object by object, cost ~10 ms, and the
    # interpreter's teardown ~30 ms more: kept to the end of a process that skips both.
    exit_without_freeing(*shown)


@without_cycle_collection  # 10,000 runs' objects, none in a cycle (as analyze does)
def _trends(
    *,
    stage: str | None,
    build: str | None,
    branch: str | None,
    labels: dict[str, str],
    last: int,
    window: int,
    threshold: float,
    db: str | None,
    json: bool,
    top: int | None,
) -> tuple[object, ...]:
    """Prints the trend; returns what it was made of (the history read, the trend, the
    JSON document)."""
    from profiler.store.direct import trend_history

    read = trend_history(
        db, build=build, branch=branch, labels=labels, limit=last or None, stage=stage
    )
    build, url = read.build, read.url
    trend = trends(read.runs, stage=stage, window=window, max_regression=threshold)
    if json:
        document = trend_dict(
            trend,
            url=url,
            branch=branch,
            labels=labels,
            stage=stage,
            last=last,
            build=build,
            window=window,
            max_regression=threshold,
        )
        print_json(document)
        return read, trend, document
    render_trend(trend, stage, stdout_console(), build=build, top=top)
    return read, trend
