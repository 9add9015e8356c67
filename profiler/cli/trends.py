"""``kitprof trends``: wall, critical path, sequential time and cache over many runs."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from profiler.analysis.trends import (
    DEFAULT_BASELINE_RUNS,
    CheckResult,
    Series,
    Summary,
    Trend,
    trends,
)
from profiler.cli.app import app, stdout_console
from profiler.cli.history import (
    JSON_SCHEMA,
    BranchOption,
    DbOption,
    JsonOption,
    LabelOption,
    moment,
    open_store,
    parse_fraction,
    parse_labels,
    percent,
    print_json,
    rounded,
    signed_seconds,
    sparkline,
)
from profiler.render.console import clip, seconds

METRIC_LABELS = {
    "wall_seconds": "wall",
    "critical_path_seconds": "critical path",
    "sequential_seconds": "sequential",
    "busy_seconds": "busy",
    "cache_hit_ratio": "cache hits",
}


@app.command(name="trends")
def trends_command(
    stage: Annotated[
        str | None,
        typer.Option("--stage", metavar="STAGE", help="Only this stage (target/stage for bake)."),
    ] = None,
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
) -> None:
    """How successful builds evolve: wall time, critical path, sequential time and
    cache hit ratio over the runs, per stage too, and the runs that regressed against
    the rolling median of the runs before them.
    """
    labels = parse_labels(label)
    threshold = parse_fraction(max_regression, "'--max-regression'")
    with open_store(db) as store:
        runs = store.history(branch=branch, labels=labels, limit=last or None, stage=stage)
        url = store.url
    trend = trends(runs, stage=stage, window=window, max_regression=threshold)
    if json:
        print_json(
            {
                "schema": JSON_SCHEMA,
                "database": url,
                "filters": {
                    "branch": branch,
                    "labels": labels,
                    "stage": stage,
                    "last": last,
                    "status": "success",
                },
                "window": window,
                "max_regression": threshold,
                "runs": [
                    {
                        "id": run.run_id,
                        "started_at": moment(run.started_at),
                        "git_branch": run.git_branch,
                        "git_commit": run.git_commit,
                    }
                    for run in trend.runs
                ],
                "metrics": {name: series_dict(series) for name, series in trend.series.items()},
                "stages": {
                    label: {name: series_dict(series) for name, series in metrics.items()}
                    for label, metrics in trend.stages.items()
                },
                "regressions": [regression_dict(result) for result in trend.regressions],
            }
        )
        return
    render_trend(trend, stage, stdout_console())


def summary_dict(summary: Summary, digits: int = 6) -> dict[str, Any]:
    return {
        "count": summary.count,
        "first": rounded(summary.first, digits),
        "last": rounded(summary.last, digits),
        "min": rounded(summary.minimum, digits),
        "max": rounded(summary.maximum, digits),
        "median": rounded(summary.median, digits),
        "mad": rounded(summary.mad, digits),
        "change": rounded(summary.change, digits),
        "slope_per_run": rounded(summary.slope_per_run, digits),
    }


def series_dict(series: Series) -> dict[str, Any]:
    digits = 4 if series.metric == "cache_hit_ratio" else 6
    return {
        "values": [rounded(value, digits) for value in series.values],
        "summary": summary_dict(series.summary, digits),
    }


def regression_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "run_id": result.run.run_id,
        "started_at": moment(result.run.started_at),
        "value": rounded(result.value),
        "baseline_median": rounded(result.baseline_median),
        "limit": rounded(result.limit),
        "ratio": rounded(result.ratio, 4),
        "stages": [
            {
                "stage": verdict.stage,
                "value": rounded(verdict.value),
                "baseline_median": rounded(verdict.baseline_median),
                "delta_seconds": rounded(verdict.delta),
                "ratio": rounded(verdict.ratio, 4),
            }
            for verdict in result.stages
        ],
    }


def _format(metric: str, value: float | None, signed: bool = False) -> str:
    if metric == "cache_hit_ratio":
        if value is None:
            return "-"
        return f"{value * 100:+.0f} pts" if signed else percent(value)
    return signed_seconds(value) if signed else seconds(value)


def render_trend(trend: Trend, stage: str | None, console: Console) -> None:
    if not trend.runs:
        console.print("no successful runs match")
        return
    first, last = trend.runs[0], trend.runs[-1]
    span = ""
    if first.started_at and last.started_at:
        span = f", {first.started_at:%Y-%m-%d} to {last.started_at:%Y-%m-%d}"
    console.print(f"{len(trend.runs)} successful runs{span}", highlight=False)
    if stage is None:
        table = Table(box=None, pad_edge=False)
        for header in ("", "first", "median", "last", "change", "per run", "trend"):
            table.add_column(header, justify="left" if header in ("", "trend") else "right")
        for name, series in trend.series.items():
            s = series.summary
            table.add_row(
                METRIC_LABELS[name],
                _format(name, s.first),
                _format(name, s.median),
                _format(name, s.last),
                _format(name, s.change, signed=True),
                _format(name, s.slope_per_run, signed=True),
                sparkline(series.values),
            )
        console.print(table)
    if trend.stages:
        console.print("\n[bold]Stages[/] (busy time; cache hits of the last run)")
        table = Table(box=None, pad_edge=False)
        for header in ("stage", "median", "last", "change", "cache", "trend"):
            table.add_column(header, justify="left" if header in ("stage", "trend") else "right")
        for label, metrics in trend.stages.items():
            busy = metrics["busy_seconds"]
            cache = metrics["cache_hit_ratio"].summary
            table.add_row(
                escape(clip(label)),
                seconds(busy.summary.median),
                seconds(busy.summary.last),
                signed_seconds(busy.summary.change),
                percent(cache.last),
                sparkline(busy.values),
            )
        console.print(table)
    elif stage is not None:
        console.print(f"no stage {escape(stage)!r} in these runs")
    if trend.regressions:
        console.print(
            f"\n[bold red]{len(trend.regressions)} regression(s)[/] against the median of "
            f"the {trend.window} runs before"
        )
        for result in trend.regressions:
            stages = ", ".join(
                f"{verdict.stage} {signed_seconds(verdict.delta)}" for verdict in result.stages
            )
            when = f"{result.run.started_at:%Y-%m-%d %H:%M}" if result.run.started_at else ""
            console.print(
                f"  run {result.run.run_id} {when}: {seconds(result.value)} vs "
                f"{seconds(result.baseline_median)} ({percent(result.ratio, signed=True)})"
                + (f"; {escape(stages)}" if stages else ""),
                highlight=False,
            )
