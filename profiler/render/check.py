"""``kitprof check``: the CI gate's verdict as JSON and as a few terminal lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from profiler.analysis.trends import CheckResult
from profiler.render.format import JSON_SCHEMA, clip, percent, rounded, seconds, signed_seconds

if TYPE_CHECKING:  # rich is imported to print, so that --json does without it
    from rich.console import Console

CACHE_DROP_NOTICE = 0.10
"""A cache hit ratio this far below the baseline's median gets a line of its own."""


def check_dict(
    result: CheckResult,
    about: dict[str, Any],
    url: str,
    branch: str | None,
    labels: dict[str, str],
    exit_code: int,
    build: str | None = None,
) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA,
        "database": url,
        "verdict": result.verdict,
        "exit_code": exit_code,
        "subject": about,
        "metric": result.metric,
        "value": rounded(result.value),
        "ratio": rounded(result.ratio, 4),
        "max_regression": result.max_regression,
        "noise_sigmas": result.noise_sigmas,
        "baseline": {
            "build": build,
            "branch": branch,
            "labels": labels,
            "runs": [run.run_id for run in result.baseline],
            "count": len(result.baseline),
            "min_runs": result.min_baseline_runs,
            "median": rounded(result.baseline_median),
            "mad": rounded(result.baseline_mad),
            "limit": rounded(result.limit),
        },
        "cache_hit_ratio": {
            "run": rounded(result.run.cache_hit_ratio, 4),
            "baseline_median": rounded(result.baseline_cache_hit_ratio, 4),
        },
        "stages": [
            {
                "stage": verdict.stage,
                "value": rounded(verdict.value),
                "baseline_median": rounded(verdict.baseline_median),
                "limit": rounded(verdict.limit),
                "delta_seconds": rounded(verdict.delta),
                "ratio": rounded(verdict.ratio, 4),
            }
            for verdict in result.stages
        ],
    }


def render_check(
    result: CheckResult, branch: str | None, console: Console, build: str | None = None
) -> None:
    from rich.markup import escape

    name = f"run {result.run.run_id}" if result.run.run_id is not None else "the build"
    on = (f" of build {escape(build)}" if build else "") + (
        f" on {escape(branch)}" if branch else ""
    )
    if not result.enough_history:
        console.print(
            f"not judged: {len(result.baseline)} comparable run(s){on}, "
            f"{result.min_baseline_runs} needed",
            highlight=False,
        )
        return
    summary = (
        f"{name} took {seconds(result.value)}, {percent(result.ratio, signed=True)} vs the "
        f"median {seconds(result.baseline_median)} of the last {len(result.baseline)} "
        f"comparable runs{on} (limit {seconds(result.limit)})"
    )
    if result.regression:
        console.print(f"[bold red]REGRESSION:[/] {summary}", highlight=False)
    else:
        console.print(f"[green]ok:[/] {summary}", highlight=False)
    if result.stages:
        title = "stages responsible" if result.regression else "stages over their own limit"
        console.print(f"{title}:")
        for verdict in result.stages:
            change = (
                f" ({percent(verdict.ratio, signed=True)})"
                if verdict.ratio is not None
                else " (new)"
            )
            console.print(
                f"  {escape(clip(verdict.stage))}: {seconds(verdict.value)} vs "
                f"{seconds(verdict.baseline_median)}, {signed_seconds(verdict.delta)}{change}",
                highlight=False,
            )
    baseline_cache = result.baseline_cache_hit_ratio
    if (
        baseline_cache is not None
        and baseline_cache - result.run.cache_hit_ratio >= CACHE_DROP_NOTICE
    ):
        console.print(
            f"cached steps fell from {percent(baseline_cache)} to "
            f"{percent(result.run.cache_hit_ratio)}",
            highlight=False,
        )
