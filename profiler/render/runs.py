"""Stored runs: the JSON of one run (``runs --json`` and the run blocks of ``compare``
and ``check``) and the ``kitprof runs`` table.

JSON keys are stable: added, never renamed (each document has ``"schema": 1``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from profiler.render.format import JSON_SCHEMA, moment, percent, rounded, seconds

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from profiler.store import RunRecord

STATUS_STYLE = {
    "success": "green",
    "failed": "red",
    "cancelled": "yellow",
    "incomplete": "magenta",
    "untrusted": "bold magenta",
}


def run_dict(record: RunRecord) -> dict[str, Any]:
    """A stored run in JSON (``runs --json`` and the run blocks of other commands)."""
    ci = (
        None
        if record.ci_provider is None
        else {
            "provider": record.ci_provider,
            "job": record.ci_job,
            "run_id": record.ci_run_id,
            "run_url": record.ci_run_url,
        }
    )
    return {
        "id": record.id,
        "build": record.build_name,
        "started_at": moment(record.started_at),
        "ingested_at": moment(record.ingested_at),
        "status": record.status,
        "failed_step": record.failed_step,
        "truncated": record.truncated,
        "wall_seconds": rounded(record.wall_seconds),
        "sequential_seconds": rounded(record.sequential_seconds),
        "critical_path_seconds": rounded(record.critical_path_seconds),
        "lower_bound_seconds": rounded(record.lower_bound_seconds),
        "parallelism": rounded(record.parallelism, 4),
        "vertices": record.vertex_count,
        "cache": {
            "steps": record.cache_steps,
            "cached": record.cached_steps,
            "executed": record.executed_steps,
            "hit_ratio": rounded(record.cache_hit_ratio, 4),
        },
        "git": {"commit": record.git_commit, "branch": record.git_branch},
        "ci": ci,
        "command": record.command,
        "context": record.context,
        "host": record.host,
        "cores": record.cores,
        "versions": {
            "kitprof": record.kitprof_version,
            "docker": record.docker_version,
            "buildx": record.buildx_version,
            "buildkit": record.buildkit_version,
            "driver": record.driver,
        },
        "labels": dict(record.labels),
        "stream": {
            "sha256": record.stream_sha256,
            "bytes": record.stream_bytes,
            "source": record.source,
        },
        "analysis": {
            "derived_version": record.derived_version,
            "analyzed_at": moment(record.analyzed_at),
        },
    }


def runs_dict(records: Sequence[RunRecord], total: int, url: str) -> dict[str, Any]:
    """``kitprof runs --json``: the runs shown and how many matched in all."""
    return {
        "schema": JSON_SCHEMA,
        "database": url,
        "total": total,
        "runs": [run_dict(record) for record in records],
    }


def render_runs(records: Sequence[RunRecord], total: int, url: str, console: Console) -> None:
    """The ``kitprof runs`` table, newest first, and how many more there are."""
    if not records:
        console.print(f"no runs in {url}" + (" matching the filters" if total else ""))
        return
    console.print(runs_table(records))
    if total > len(records):
        console.print(f"{len(records)} of {total} runs; --limit 0 shows all", style="dim")


def runs_table(records: Sequence[RunRecord]) -> Table:
    # rich is imported here, not at the top: `runs --json` never needs it.
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    table.add_column("build")
    table.add_column("run", justify="right")
    table.add_column("started (UTC)")
    table.add_column("status")
    table.add_column("wall", justify="right")
    table.add_column("critical", justify="right")
    table.add_column("cached", justify="right")
    table.add_column("branch")
    table.add_column("commit")
    table.add_column("labels")
    for record in records:
        table.add_row(
            escape(record.build_name),
            str(record.id),
            record.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"[{STATUS_STYLE.get(record.status, '')}]{record.status}[/]",
            seconds(record.wall_seconds),
            seconds(record.critical_path_seconds),
            percent(record.cache_hit_ratio),
            escape(record.git_branch or ""),
            escape((record.git_commit or "")[:10]),
            escape(" ".join(f"{key}={value}" for key, value in record.labels.items())),
        )
    return table
