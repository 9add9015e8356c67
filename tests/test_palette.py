"""One visual language: a colour per stage, red for failure only, cached pale and
hatched, the critical path outlined, a legend and units on every chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from profiler.analysis import analyze
from profiler.analysis.trends import RunMetrics
from profiler.figures import concurrency_figure, gantt_figure, stage_figure, time_budget_figure
from profiler.figures_history import history_figure
from profiler.model import StepStatus
from profiler.palette import (
    FAILED_COLOR,
    PLATFORM_PALETTE,
    STAGE_PALETTE,
    pale,
    platform_color,
    stage_color,
)
from profiler.sources import read_build

SAMPLES = Path(__file__).resolve().parent.parent / "sample_builds"
REDS = {FAILED_COLOR, "#e45756", "#d93a3a"}


def bar_colors(figure: object) -> dict[str, tuple[str, str]]:
    """digest → (fill, hatch) of the timeline's bars."""
    found = {}
    for trace in figure.data:  # type: ignore[attr-defined]
        if trace.customdata is None:
            continue
        for index, digest in enumerate(trace.customdata):
            found[digest] = (trace.marker.color[index], trace.marker.pattern.shape[index])
    return found


def test_a_stage_has_one_colour_whatever_the_run_or_target() -> None:
    assert stage_color("backend") == stage_color("backend")
    assert stage_color("api/base") == stage_color("web/base") == stage_color("base")
    assert stage_color("(internal)") not in STAGE_PALETTE
    assert not REDS & set(STAGE_PALETTE)
    cold = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    cached = read_build(SAMPLES / "parallel-stages" / "cached.rawjson")
    fills_cold = bar_colors(gantt_figure(cold))
    fills_cached = bar_colors(gantt_figure(cached))
    backend_cold = {fills_cold[s.digest][0] for s in cold if s.stage_key == "backend"}
    backend_cached = {fills_cached[s.digest][0] for s in cached if s.stage_key == "backend"}
    assert backend_cold == {stage_color("backend")}
    assert backend_cached == {pale(stage_color("backend"))}  # cached: pale…


def test_cached_is_pale_and_hatched_and_red_means_failed() -> None:
    cached = read_build(SAMPLES / "parallel-stages" / "cached.rawjson")
    cached_colors = bar_colors(gantt_figure(cached))
    for step in cached:
        fill, hatch = cached_colors[step.digest]
        if step.status is StepStatus.CACHED:
            assert hatch == "/" and fill == pale(stage_color(step.stage_key))
    failed = read_build(SAMPLES / "failing-test" / "failed.rawjson")
    colors = bar_colors(gantt_figure(failed))
    for step in (step for step in failed if step.start is not None):
        fill, _ = colors[step.digest]
        assert (fill in REDS) == (step.status is StepStatus.FAILED), step.name


def test_the_stage_chart_outlines_the_critical_path_and_is_red_only_for_a_failure() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    analysis = analyze(build)
    figure = stage_figure(build, analysis)
    bars = figure.data[0]
    assert not REDS & set(bars.marker.color)
    outlined = {label for label, width in zip(bars.y, bars.marker.line.width, strict=True) if width}
    assert outlined == {label for label, share in analysis.critical_path_by_stage.items() if share}
    failed = stage_figure(read_build(SAMPLES / "failing-test" / "failed.rawjson"))
    assert FAILED_COLOR in failed.data[0].marker.color


@pytest.mark.parametrize("sample", ["parallel-stages/cold", "failing-test/failed"])
def test_every_chart_has_a_legend_and_units(sample: str) -> None:
    build = read_build(SAMPLES / f"{sample}.rawjson")
    analysis = analyze(build)
    for figure in (
        gantt_figure(build, analysis),
        stage_figure(build, analysis),
        concurrency_figure(analysis.concurrency),
    ):
        names = {trace.name for trace in figure.data if trace.showlegend is not False}
        assert names, figure.layout.title.text
        assert "seconds" in figure.layout.xaxis.title.text
    gantt_keys = {trace.name for trace in gantt_figure(build, analysis).data}
    assert "critical path (outlined)" in gantt_keys
    assert ("failed (red)" in gantt_keys) == (sample == "failing-test/failed")
    assert time_budget_figure(analysis).layout.xaxis.title.text == "seconds"


def test_the_title_says_durations_as_the_cards_do() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    assert "7.66s wall" in gantt_figure(build).layout.title.text


def _run(run_id: int, wall: float) -> RunMetrics:
    from datetime import UTC, datetime

    return RunMetrics(
        run_id=run_id,
        started_at=datetime(2026, 1, 1, run_id, tzinfo=UTC),
        status="success",
        wall_seconds=wall,
        critical_path_seconds=wall,
        sequential_seconds=wall,
        lower_bound_seconds=wall,
        cache_hit_ratio=0.0,
        git_branch=None,
        git_commit=None,
        stages={},
    )


def test_runs_of_very_different_lengths_get_a_log_axis() -> None:
    alike = history_figure([_run(1, 5.0), _run(2, 6.0)])
    assert alike.layout.yaxis.type != "log"
    mixed = history_figure([_run(1, 5.0), _run(2, 2084.8)])
    assert mixed.layout.yaxis.type == "log"
    assert "log" in mixed.layout.yaxis.title.text


def test_a_stage_keeps_its_colour_in_the_trends() -> None:
    from dataclasses import replace

    from profiler.analysis.trends import StageMetrics, trends
    from profiler.figures_history import stage_trend_figure

    stages = {
        "base": StageMetrics(1.0, 1.0, 1.0, 2, 0),
        "backend": StageMetrics(4.0, 4.0, 4.0, 3, 0),
    }
    runs = [replace(_run(index, 5.0), stages=stages) for index in range(1, 5)]
    figure = stage_trend_figure(trends(runs))
    colors = {trace.name: trace.line.color for trace in figure.data}
    assert colors == {"base": stage_color("base"), "backend": stage_color("backend")}


def test_a_stage_has_one_colour_on_every_platform_and_platforms_have_their_own() -> None:
    assert stage_color("linux/386 compile") == stage_color("linux/amd64 compile")
    assert stage_color("linux/amd64 compile") == stage_color("compile")
    assert stage_color("linux/386 (internal)") not in STAGE_PALETTE
    assert platform_color("linux/386") != platform_color("linux/amd64")
    assert platform_color(None) not in PLATFORM_PALETTE
    assert not REDS & set(PLATFORM_PALETTE)
    build = read_build(SAMPLES / "multi-platform" / "cold.rawjson")
    keys = [t.name for t in gantt_figure(build).data if t.legendgroup == "stages"]
    assert keys.count("compile") == 1 and not any(" " in key for key in keys)
