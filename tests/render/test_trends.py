"""``kitprof trends`` as JSON and as text, from real trend computations."""

from __future__ import annotations

from rich.console import Console

from profiler.analysis.trends import trends
from profiler.render.trends import TOP_ROWS, render_trend, trend_dict
from tests.analysis.test_trends import run
from tests.render.history import STEADY, metrics

RUNS = [*STEADY, metrics(9, 150.0)]


def test_the_text_shows_span_metrics_stages_and_the_jump() -> None:
    trend = trends(RUNS, window=5, max_regression=0.2)
    console = Console(record=True, width=120, color_system=None)
    render_trend(trend, None, console)
    text = console.export_text()
    assert text.startswith("9 successful runs, 2026-03-01 to 2026-03-01")
    for label in ("wall", "critical path", "sequential", "cached", "build", "test"):
        assert f"\n{label} " in text or f"\n{label}  " in text
    assert "1 regression(s) against the median of the 5 runs before" in text
    assert "  run 9 " in text and "2m30.0s" in text


def test_the_json_keeps_filters_series_and_regressions() -> None:
    trend = trends(RUNS, window=5, max_regression=0.2)
    document = trend_dict(
        trend,
        url="sqlite://",
        branch="main",
        labels={"arch": "amd64"},
        stage=None,
        last=50,
        window=5,
        max_regression=0.2,
    )
    assert document["filters"]["labels"] == {"arch": "amd64"}
    assert [run["id"] for run in document["runs"]] == list(range(1, 10))
    wall = document["metrics"]["wall_seconds"]
    assert wall["values"][-1] == 150.0 and wall["summary"]["last"] == 150.0
    assert [regression["run_id"] for regression in document["regressions"]] == [9]
    assert set(document["stages"]) == {"build", "test"}


def test_no_runs_and_an_unknown_stage() -> None:
    console = Console(record=True, width=80, color_system=None)
    render_trend(trends([]), None, console)
    render_trend(trends(RUNS, stage="deploy"), "deploy", console)
    text = console.export_text()
    assert text.startswith("no successful runs match\n")
    assert "no stage 'deploy' in these runs" in text


def wide_history(stages: int, jumps: int) -> list:
    """Runs of ``stages`` stages (stage k busy k+1 s), steady at 100 s but for
    ``jumps`` runs at 200 s, each followed by eleven steady ones."""
    busy = {f"st{k:02d}": float(k + 1) for k in range(stages)}
    walls = [100.0] * 11
    for _ in range(jumps):
        walls += [200.0] + [100.0] * 11
    return [run(index, wall, stages=busy) for index, wall in enumerate(walls, start=1)]


def test_the_text_shows_the_busiest_stages_and_latest_regressions_unless_all() -> None:
    trend = trends(wide_history(TOP_ROWS + 5, TOP_ROWS + 2), window=5)
    assert len(trend.stages) == TOP_ROWS + 5 and len(trend.regressions) == TOP_ROWS + 2
    console = Console(record=True, width=120, color_system=None)
    render_trend(trend, None, console)
    text = console.export_text()
    assert "5 more stages (less busy) not shown (--all shows every one)" in text
    # Stage k is busy k+1 s: the busiest are the last ones.
    assert "\nst14 " in text and "\nst05 " in text and "\nst04 " not in text
    assert "2 more earlier regressions not shown" in text
    latest = [result.run.run_id for result in trend.regressions[-TOP_ROWS:]]
    assert all(f"  run {run_id} " in text for run_id in latest)
    assert f"  run {trend.regressions[0].run.run_id} " not in text

    console = Console(record=True, width=120, color_system=None)
    render_trend(trend, None, console, top=None)
    every = console.export_text()
    assert "not shown" not in every and "\nst00 " in every
    assert all(f"  run {result.run.run_id} " in every for result in trend.regressions)
