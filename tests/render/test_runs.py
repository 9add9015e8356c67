"""``kitprof runs`` as JSON and as a table, from a real (SQLite) store."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from profiler.render.runs import render_runs, run_dict, runs_dict
from profiler.store import Store, run_context
from tests.store.builds import app_build


def test_runs_json_and_table(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'h.sqlite'}") as store:
        context = run_context(labels={"arch": "amd64"})
        for slow in (3.0, 4.0, 5.0):
            store.ingest(app_build(slow=slow).indented(), context=context)
        records = store.runs(limit=2)
        total, url = store.count(), store.url
    document = runs_dict(records, total, url)
    assert document["total"] == 3 and [run["id"] for run in document["runs"]] == [3, 2]
    assert document["runs"][0] == run_dict(records[0])
    assert document["runs"][0]["labels"] == {"arch": "amd64"}
    console = Console(record=True, width=160, color_system=None)
    render_runs(records, total, url, console)
    lines = console.export_text().splitlines()
    assert lines[0].split()[:4] == ["build", "run", "started", "(UTC)"]
    assert lines[1].startswith(records[0].build_name) and "arch=amd64" in lines[1]
    assert lines[1].removeprefix(records[0].build_name).split()[0] == "3"
    assert lines[-1] == "2 of 3 runs; --limit 0 shows all"


def test_no_runs_says_where_it_looked() -> None:
    console = Console(record=True, width=160, color_system=None)
    render_runs([], 0, "sqlite:///h.sqlite", console)
    render_runs([], 4, "sqlite:///h.sqlite", console)
    assert console.export_text().splitlines() == [
        "no runs in sqlite:///h.sqlite",
        "no runs in sqlite:///h.sqlite matching the filters",
    ]
