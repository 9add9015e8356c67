"""``kitprof trends``: how runs evolve, as JSON and as a terminal report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from profiler.analysis.trends import CheckResult, Series, Summary, Trend
from profiler.render.format import (
    JSON_SCHEMA,
    clip,
    left_out,
    moment,
    percent,
    rounded,
    seconds,
    signed_seconds,
    sparkline,
)
from profiler.render.rounding import rounded_values

if TYPE_CHECKING:  # rich is imported to print, so that --json does without it
    from rich.console import Console

METRIC_LABELS = {
    "wall_seconds": "wall",
    "critical_path_seconds": "critical path",
    "sequential_seconds": "sequential",
    "busy_seconds": "busy",
    "cache_hit_ratio": "cached",
}
TOP_ROWS = 10
"""Stages and regressions the terminal report shows unless asked for all."""


def trend_dict(
    trend: Trend,
    *,
    url: str,
    branch: str | None,
    labels: dict[str, str],
    stage: str | None,
    last: int,
    build: str | None = None,
    window: int,
    max_regression: float,
) -> dict[str, Any]:
    """``kitprof trends --json``: the filters, the runs, every series and the regressions."""
    return {
        "schema": JSON_SCHEMA,
        "database": url,
        "filters": {
            "build": build,
            "branch": branch,
            "labels": labels,
            "stage": stage,
            "last": last,
            "status": "success",
        },
        "window": window,
        "max_regression": max_regression,
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
        "values": rounded_values(series.values, digits),
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


def render_trend(
    trend: Trend,
    stage: str | None,
    console: Console,
    build: str | None = None,
    top: int | None = TOP_ROWS,
) -> None:
    """The report: the run metrics, the ``top`` busiest stages and the ``top`` latest
    regressions (``top=None``: all), saying how many were left out."""
    from rich.markup import escape
    from rich.table import Table

    if not trend.runs:
        console.print("no successful runs match")
        return
    if build is not None:
        console.print(f"build {escape(build)}", style="bold", highlight=False)
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
        labels = list(trend.stages)  # busiest first
        shown = labels if top is None else labels[:top]
        console.print("\n[bold]Stages[/] (busy time; cached steps of the last run)")
        table = Table(box=None, pad_edge=False)
        for header in ("stage", "median", "last", "change", "cached", "trend"):
            table.add_column(header, justify="left" if header in ("stage", "trend") else "right")
        for label in shown:
            metrics = trend.stages[label]
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
        if len(shown) < len(labels):
            console.print(left_out(len(labels) - len(shown), "stages (less busy)"), style="dim")
    elif stage is not None:
        console.print(f"no stage {escape(stage)!r} in these runs")
    if trend.regressions:
        console.print(
            f"\n[bold red]{len(trend.regressions)} regression(s)[/] against the median of "
            f"the {trend.window} runs before"
        )
        latest = trend.regressions if top is None else trend.regressions[-top:]
        if len(latest) < len(trend.regressions):
            hidden = len(trend.regressions) - len(latest)
            console.print(f"  {left_out(hidden, 'earlier regressions')}", style="dim")
        for result in latest:
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
