"""``kitprof runs``: the build history, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from profiler.cli.app import app, stdout_console
from profiler.cli.history import (
    JSON_SCHEMA,
    BranchOption,
    DbOption,
    JsonOption,
    LabelOption,
    open_store,
    parse_labels,
    percent,
    print_json,
    run_dict,
)
from profiler.render.console import seconds

if TYPE_CHECKING:
    from profiler.store import RunRecord

STATUS_STYLE = {
    "success": "green",
    "failed": "red",
    "cancelled": "yellow",
    "incomplete": "magenta",
    "untrusted": "bold magenta",
}


@app.command(name="runs")
def runs_command(
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
        records = store.runs(branch=branch, labels=labels, status=status, limit=limit or None)
        total = store.count(branch=branch, labels=labels, status=status)
        url = store.url
    if json:
        print_json(
            {
                "schema": JSON_SCHEMA,
                "database": url,
                "total": total,
                "runs": [run_dict(record) for record in records],
            }
        )
        return
    console = stdout_console()
    if not records:
        console.print(f"no runs in {url}" + (" matching the filters" if total else ""))
        return
    console.print(_table(records))
    if total > len(records):
        console.print(f"{len(records)} of {total} runs; --limit 0 shows all", style="dim")


def _table(records: list[RunRecord]) -> Table:
    table = Table(box=None, pad_edge=False)
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
