"""``kitprof reanalyze``: rebuild the history's derived rows from the stored streams."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from profiler.cli.app import app, stderr_console
from profiler.cli.history import DbOption, JsonOption, open_store, print_json
from profiler.render.ingest import reanalyze_dict, reanalyzed_line

if TYPE_CHECKING:
    from profiler.store import ReanalyzeResult, Store


@app.command(name="reanalyze")
def reanalyze_command(
    runs: Annotated[
        list[int] | None,
        typer.Argument(metavar="[RUN...]", help="Run ids; all runs when none is given."),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Re-read every stored stream with this kitprof and rewrite the derived rows
    (times, status, stages, steps), e.g. after an upgrade improved the analysis.

    Labels, CI and run metadata are kept; each run is rewritten in one transaction.
    """
    with open_store(db) as store:
        result = _reanalyze(store, runs or None)
        url = store.url
    if json:
        print_json(reanalyze_dict(url, result))
    else:
        typer.echo(reanalyzed_line(url, result))
    console = stderr_console()
    for run_id, error in result.failures:
        console.print(
            f"[bold red]Error:[/] run {run_id}: {escape(error)}", highlight=False, soft_wrap=True
        )
    if result.failures:
        raise typer.Exit(1)


def _reanalyze(store: Store, runs: list[int] | None) -> ReanalyzeResult:
    if not sys.stderr.isatty():
        return store.reanalyze(runs)
    total = len(runs) if runs else store.count()
    columns = (TextColumn("reanalysing"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=stderr_console(), transient=True) as progress:
        task = progress.add_task("reanalyze", total=total)
        return store.reanalyze(runs, on_progress=lambda n: progress.advance(task, n))
